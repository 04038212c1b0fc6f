//! Allocation of an amount over integer weights by the largest-remainder method.

use crate::{Amount, MoneyError};

/// Splits `total` into one part per weight, proportionally, so that the parts sum exactly to `total`.
///
/// Each part first gets `floor(total × weight / Σweights)`; the micro-units left over go one each to the
/// parts with the largest remainders, ties broken by the lower index. Callers fix the order of `weights`
/// (e.g. sorted by party id), which makes the result deterministic. Negative totals (credit notes) are
/// allocated by magnitude and negated, so a credit mirrors the debit it reverses.
pub fn allocate(total: Amount, weights: &[u64]) -> Result<Vec<Amount>, MoneyError> {
    let parts = allocate_micros(total.micros(), weights)?;
    Ok(parts.into_iter().map(|micros| Amount::from_micros(micros, total.currency())).collect())
}

/// [`allocate`] on bare micro-units.
pub fn allocate_micros(total_micros: i64, weights: &[u64]) -> Result<Vec<i64>, MoneyError> {
    let weight_sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if weight_sum == 0 {
        return Err(MoneyError::NoWeights);
    }
    let magnitude = u128::from(total_micros.unsigned_abs());
    let mut parts: Vec<u128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (index, &weight) in weights.iter().enumerate() {
        // magnitude < 2^64 and weight < 2^64, so the product fits in u128.
        let product = magnitude * u128::from(weight);
        parts.push(product / weight_sum);
        remainders.push((product % weight_sum, index));
    }
    let allocated: u128 = parts.iter().sum();
    let leftover = magnitude - allocated;
    // leftover < number of weights, because each floor lost less than one unit.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in remainders.iter().take(leftover as usize) {
        parts[index] += 1;
    }
    let negative = total_micros < 0;
    Ok(parts
        .into_iter()
        .map(|part| {
            // Every part is <= magnitude <= 2^63, and i64::MIN's magnitude only arises for a single part.
            let part = part as i128;
            (if negative { -part } else { part }) as i64
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;
    use proptest::prelude::*;

    #[test]
    fn thirds_go_to_the_lowest_index_on_ties() {
        assert_eq!(allocate_micros(100, &[1, 1, 1]).unwrap(), vec![34, 33, 33]);
        assert_eq!(allocate_micros(-100, &[1, 1, 1]).unwrap(), vec![-34, -33, -33]);
        assert_eq!(allocate_micros(2, &[1, 1, 1]).unwrap(), vec![1, 1, 0]);
    }

    #[test]
    fn largest_remainder_wins_over_index() {
        // 10 × 1/7 = 1.43, 10 × 6/7 = 8.57: the second part has the larger remainder.
        assert_eq!(allocate_micros(10, &[1, 6]).unwrap(), vec![1, 9]);
    }

    #[test]
    fn zero_weights_are_refused_and_zero_weight_gets_nothing() {
        assert_eq!(allocate_micros(5, &[]), Err(MoneyError::NoWeights));
        assert_eq!(allocate_micros(5, &[0, 0]), Err(MoneyError::NoWeights));
        assert_eq!(allocate_micros(5, &[0, 3]).unwrap(), vec![0, 5]);
    }

    #[test]
    fn extreme_totals() {
        assert_eq!(allocate_micros(i64::MIN, &[1]).unwrap(), vec![i64::MIN]);
        let parts = allocate_micros(i64::MAX, &[u64::MAX, u64::MAX, 1]).unwrap();
        assert_eq!(parts.iter().map(|&p| i128::from(p)).sum::<i128>(), i128::from(i64::MAX));
    }

    proptest! {
        #[test]
        fn parts_sum_to_the_total(total in any::<i64>(), weights in proptest::collection::vec(0u64..u64::MAX, 1..40)) {
            prop_assume!(weights.iter().any(|&w| w > 0));
            let parts = allocate(Amount::from_micros(total, Currency::NOK), &weights).unwrap();
            let sum: i128 = parts.iter().map(|p| i128::from(p.micros())).sum();
            prop_assert_eq!(sum, i128::from(total));
            for (part, &weight) in parts.iter().zip(&weights) {
                if weight == 0 { prop_assert_eq!(part.micros(), 0); }
                prop_assert!(part.micros().signum() * total.signum() >= 0);
            }
        }

        #[test]
        fn each_part_is_within_one_micro_of_its_exact_share(total in 0i64..1_000_000_000_000, weights in proptest::collection::vec(0u64..1_000_000, 1..20)) {
            prop_assume!(weights.iter().any(|&w| w > 0));
            let parts = allocate_micros(total, &weights).unwrap();
            let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
            for (part, &weight) in parts.iter().zip(&weights) {
                let exact_floor = (total as u128 * u128::from(weight) / sum) as i64;
                prop_assert!(*part == exact_floor || *part == exact_floor + 1);
            }
        }

        #[test]
        fn allocation_is_deterministic(total in any::<i64>(), weights in proptest::collection::vec(1u64..1000, 1..10)) {
            prop_assert_eq!(allocate_micros(total, &weights).unwrap(), allocate_micros(total, &weights).unwrap());
        }
    }
}
