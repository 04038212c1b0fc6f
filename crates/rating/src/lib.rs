//! Tariffs for the three stages an AI licence covers, and the computations that turn usage figures into
//! charges. Every charge carries its trail: each candidate amount, how it was computed, and which rule won,
//! so a licensee or an auditor can redo the arithmetic by hand.
//!
//! - *training*: per model version, a base fee by business tier plus a rate per work used. Works used are
//!   the matched licensed works when the disclosure is fully transparent, otherwise (the presumption rule)
//!   the whole licensed repertoire; the part that exists only because of the presumption is reported
//!   separately so it can be held.
//! - *service*: per territory and period, the greatest of a share of net revenue, a minimum per subscriber
//!   and a minimum per generation.
//! - *output*: per use type, the greater of a share of output revenue and a minimum per usage; a use type the
//!   tariff does not price is not licensed.
//!
//! Architecture invariant: pure arithmetic on `money` types; rounding is toward zero at the micro-unit and
//! the remainder is reported in the trail; nothing here knows agreements, reports or the store.
#![deny(clippy::float_arithmetic)]

mod invoice;

use std::collections::BTreeMap;

use money::{Amount, Currency, MoneyError, Share};
use serde::{Deserialize, Serialize};

pub use invoice::{
    Adjustments, InvoiceLine, OutputUsage, RatedPeriod, ServiceUsage, Stage, TrainingUsage, Vat, rate_advance,
    rate_period,
};

/// A licensee's size, which sets its training base fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BusinessTier {
    Micro,
    Small,
    Medium,
    Large,
}

/// How an AI output is exploited.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UseType(pub String);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingTariff {
    pub base_fee: BTreeMap<BusinessTier, Amount>,
    /// Per work used by a model version.
    pub per_work: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTariff {
    pub revenue_share: Share,
    pub minimum_per_subscriber: Amount,
    pub minimum_per_generation: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRate {
    pub revenue_share: Share,
    pub minimum_per_usage: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputTariff {
    /// Only the use types listed are licensed (advertising, film and broadcast are not, by default).
    pub rates: BTreeMap<UseType, OutputRate>,
}

/// A complete tariff in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariff {
    pub currency: Currency,
    pub training: TrainingTariff,
    pub service: ServiceTariff,
    pub output: OutputTariff,
}

/// Why a charge could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("use type {0:?} is not licensed by the tariff: it needs a separate agreement")]
    UnlicensedUse(String),
    #[error("the tariff has no training base fee for tier {0:?}")]
    NoBaseFee(BusinessTier),
    #[error("figures in {found} cannot be rated by a tariff in {tariff}: convert them first at a recorded rate")]
    WrongCurrency { tariff: Currency, found: Currency },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// One step of a computation, in words and as an amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailStep {
    pub what: String,
    pub amount: Amount,
}

/// A computed charge and how it came about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// Which rule decided the amount (e.g. `minimum per subscriber`).
    pub rule: String,
    pub amount: Amount,
    pub trail: Vec<TrailStep>,
}

/// A training charge, with the part owed only because of the presumption rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingCharge {
    pub charge: Charge,
    /// Zero when the disclosure is fully transparent.
    pub presumption_part: Amount,
}

impl Tariff {
    /// Defaults an operator is expected to change. No Nordic society publishes its AI tariff figures; these
    /// are placeholders of the right shape and order of magnitude: GEMA's model is reported (by secondary
    /// sources, not confirmed) at 30% of a model's net revenue with a minimum royalty, which is the
    /// *service* default here; training and output defaults are illustrative.
    pub fn illustrative(currency: Currency) -> Result<Tariff, MoneyError> {
        let units = |n: i64| Amount::from_units(n, currency);
        let micros = |n: i64| Amount::from_micros(n, currency);
        let base_fee = BTreeMap::from([
            (BusinessTier::Micro, units(1_000)?),
            (BusinessTier::Small, units(5_000)?),
            (BusinessTier::Medium, units(25_000)?),
            (BusinessTier::Large, units(100_000)?),
        ]);
        let stream = OutputRate { revenue_share: Share::parse_percent("15")?, minimum_per_usage: micros(500) };
        let download = OutputRate { revenue_share: Share::parse_percent("15")?, minimum_per_usage: micros(50_000) };
        Ok(Tariff {
            currency,
            training: TrainingTariff { base_fee, per_work: micros(100_000) },
            service: ServiceTariff {
                revenue_share: Share::parse_percent("30")?,
                minimum_per_subscriber: micros(500_000),
                minimum_per_generation: micros(1_000),
            },
            output: OutputTariff {
                rates: BTreeMap::from([(UseType("stream".into()), stream), (UseType("download".into()), download)]),
            },
        })
    }

    fn same_currency(&self, amount: Amount) -> Result<(), RatingError> {
        if amount.currency() == self.currency {
            Ok(())
        } else {
            Err(RatingError::WrongCurrency { tariff: self.currency, found: amount.currency() })
        }
    }

    /// The per-work part of a training fee for `works` works (what each work the model used adds).
    pub fn per_work_fee(&self, works: u64) -> Result<Amount, RatingError> {
        let count = i64::try_from(works).map_err(|_| RatingError::Money(MoneyError::Overflow))?;
        Ok(self.training.per_work.checked_mul(count)?)
    }

    /// A training line as payable (rounded down to the currency's payable unit): the base fee of `tier` and
    /// the rate per work for `works`.
    pub fn training_line(&self, tier: BusinessTier, works: u64) -> Result<Amount, RatingError> {
        let base = *self.training.base_fee.get(&tier).ok_or(RatingError::NoBaseFee(tier))?;
        Ok(base.checked_add(self.per_work_fee(works)?)?.split_payable().0)
    }

    /// The training fee for one model version. `works_used`: the works the fee is priced on (matched
    /// licensed works, or the whole licensed repertoire under the presumption); `works_disclosed`: the
    /// matched licensed works the disclosure itself names (equal to `works_used` when it is transparent).
    pub fn training_fee(
        &self,
        tier: BusinessTier,
        works_used: u64,
        works_disclosed: u64,
    ) -> Result<TrainingCharge, RatingError> {
        let base = *self.training.base_fee.get(&tier).ok_or(RatingError::NoBaseFee(tier))?;
        let per_works = self.per_work_fee(works_used)?;
        let total = base.checked_add(per_works)?;
        let presumed_only = works_used.saturating_sub(works_disclosed);
        // The held part is what the line priced on every work comes to beyond the line priced on the
        // disclosed works, each as payable: rounding the part on its own could hold one unit more or less, and
        // a credit-back would then not leave exactly a fully disclosed invoice.
        let presumption_part = if presumed_only > 0 {
            self.training_line(tier, works_used)?.checked_sub(self.training_line(tier, works_disclosed)?)?
        } else {
            Amount::zero(self.currency)
        };
        let mut trail = vec![
            TrailStep { what: format!("base fee, {tier:?} business"), amount: base },
            TrailStep { what: format!("{works_used} works × {} per work", self.training.per_work), amount: per_works },
        ];
        if presumed_only > 0 {
            trail.push(TrailStep {
                what: format!("of which {presumed_only} works priced only by the presumption rule (held)"),
                amount: presumption_part,
            });
        }
        Ok(TrainingCharge {
            charge: Charge { rule: "base fee + rate per work".into(), amount: total, trail },
            presumption_part,
        })
    }

    /// The service fee for one territory and period: the greatest of the three rules.
    pub fn service_fee(&self, net_revenue: Amount, subscribers: u64, generations: u64) -> Result<Charge, RatingError> {
        self.same_currency(net_revenue)?;
        let t = &self.service;
        let (share, rest) = net_revenue.mul_share(t.revenue_share);
        let count = |n: u64| i64::try_from(n).map_err(|_| RatingError::Money(MoneyError::Overflow));
        let candidates = [
            ("share of net revenue", share, format!("{} × {net_revenue}{}", t.revenue_share, remainder_note(rest))),
            (
                "minimum per subscriber",
                t.minimum_per_subscriber.checked_mul(count(subscribers)?)?,
                format!("{subscribers} subscribers × {}", t.minimum_per_subscriber),
            ),
            (
                "minimum per generation",
                t.minimum_per_generation.checked_mul(count(generations)?)?,
                format!("{generations} generations × {}", t.minimum_per_generation),
            ),
        ];
        Ok(greatest(candidates))
    }

    /// The output fee for one use type: the greater of the revenue share and the minimum per usage.
    pub fn output_fee(&self, use_type: &UseType, revenue: Amount, usages: u64) -> Result<Charge, RatingError> {
        self.same_currency(revenue)?;
        let rate = self.output.rates.get(use_type).ok_or_else(|| RatingError::UnlicensedUse(use_type.0.clone()))?;
        let (share, rest) = revenue.mul_share(rate.revenue_share);
        let usages_i64 = i64::try_from(usages).map_err(|_| RatingError::Money(MoneyError::Overflow))?;
        let candidates = [
            ("share of output revenue", share, format!("{} × {revenue}{}", rate.revenue_share, remainder_note(rest))),
            (
                "minimum per usage",
                rate.minimum_per_usage.checked_mul(usages_i64)?,
                format!("{usages} usages × {}", rate.minimum_per_usage),
            ),
        ];
        Ok(greatest(candidates))
    }
}

fn remainder_note(rest: i64) -> String {
    if rest == 0 { String::new() } else { ", rounded down to the micro-unit".into() }
}

/// The greatest candidate wins; ties go to the first listed (the revenue share).
fn greatest<const N: usize>(candidates: [(&str, Amount, String); N]) -> Charge {
    let mut best = 0;
    for (i, c) in candidates.iter().enumerate() {
        if c.1.micros() > candidates[best].1.micros() {
            best = i;
        }
    }
    let trail = candidates
        .iter()
        .map(|(rule, amount, how)| TrailStep { what: format!("{rule}: {how}"), amount: *amount })
        .collect();
    Charge { rule: candidates[best].0.to_owned(), amount: candidates[best].1, trail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EUR: Currency = Currency::EUR;

    fn tariff() -> Tariff {
        Tariff::illustrative(EUR).unwrap()
    }

    #[test]
    fn training_fee_with_and_without_the_presumption() {
        // Transparent: 1,200 matched licensed works. Small business: 5,000 + 1,200 × 0.10 = 5,120.00 EUR.
        let transparent = tariff().training_fee(BusinessTier::Small, 1_200, 1_200).unwrap();
        assert_eq!(transparent.charge.amount, Amount::parse("5120", EUR).unwrap());
        assert!(transparent.presumption_part.is_zero());
        // Presumed: the whole licensed repertoire of 50,000 works, of which the disclosure named 1,200:
        // 5,000 + 50,000 × 0.10 = 10,000.00 EUR, of which 48,800 × 0.10 = 4,880.00 EUR only by presumption.
        let presumed = tariff().training_fee(BusinessTier::Small, 50_000, 1_200).unwrap();
        assert_eq!(presumed.charge.amount, Amount::parse("10000", EUR).unwrap());
        assert_eq!(presumed.presumption_part, Amount::parse("4880", EUR).unwrap());
        assert_eq!(presumed.charge.trail.len(), 3);
    }

    #[test]
    fn the_held_part_is_the_whole_line_less_the_disclosed_line() {
        // A rate per work that is no whole number of cents: 5,006 works × 0.676292 = 3,385.517752, payable
        // 3,385.51 on its own, but the whole line (5,000 + 5,006 works) is 8,385.51 and the line on the
        // disclosed works (5,000 + 0) is 5,000.00: the part held is their difference, 3,385.51.
        let mut t = tariff();
        t.training.per_work = Amount::parse("0.676292", EUR).unwrap();
        let fee = t.training_fee(BusinessTier::Small, 5_006, 0).unwrap();
        let whole = t.training_line(BusinessTier::Small, 5_006).unwrap();
        let disclosed = t.training_line(BusinessTier::Small, 0).unwrap();
        assert_eq!(fee.presumption_part, whole.checked_sub(disclosed).unwrap());
        // With 3 works disclosed (2.028876 EUR, payable 2.02) the part rounded on its own, ⌊5,003 × 0.676292⌋ =
        // 3,383.48, would leave one cent more than the fully disclosed invoice after a credit-back; as the
        // difference of the payable lines it is 8,385.51 − 5,002.02 = 3,383.49.
        let fee = t.training_fee(BusinessTier::Small, 5_006, 3).unwrap();
        let disclosed = t.training_line(BusinessTier::Small, 3).unwrap();
        assert_eq!(fee.presumption_part, whole.checked_sub(disclosed).unwrap());
        assert_eq!(fee.presumption_part, Amount::parse("3383.49", EUR).unwrap());
        assert_eq!(t.per_work_fee(5_003).unwrap().split_payable().0, Amount::parse("3383.48", EUR).unwrap());
    }

    proptest! {
        #[test]
        fn after_a_credit_back_what_is_left_is_the_disclosed_invoice(
            per_work in 1i64..5_000_000,
            used in 0u64..2_000_000,
            disclosed_share in 0u64..=100,
        ) {
            let mut t = tariff();
            t.training.per_work = Amount::from_micros(per_work, EUR);
            let disclosed = used * disclosed_share / 100;
            let fee = t.training_fee(BusinessTier::Medium, used, disclosed).unwrap();
            let payable = fee.charge.amount.split_payable().0;
            let left = payable.checked_sub(fee.presumption_part).unwrap();
            prop_assert_eq!(left, t.training_line(BusinessTier::Medium, disclosed).unwrap());
            prop_assert!(fee.presumption_part.micros() >= 0);
        }
    }

    #[test]
    fn service_fee_takes_the_greatest_rule() {
        // 10,000 EUR revenue × 30% = 3,000; 7,000 subscribers × 0.50 = 3,500; 1,000,000 generations × 0.001 = 1,000.
        let charge = tariff().service_fee(Amount::parse("10000", EUR).unwrap(), 7_000, 1_000_000).unwrap();
        assert_eq!(charge.rule, "minimum per subscriber");
        assert_eq!(charge.amount, Amount::parse("3500", EUR).unwrap());
        assert_eq!(charge.trail.len(), 3);
        // With 4,000,000 generations the per-generation minimum (4,000) wins.
        let charge = tariff().service_fee(Amount::parse("10000", EUR).unwrap(), 7_000, 4_000_000).unwrap();
        assert_eq!(
            (charge.rule.as_str(), charge.amount),
            ("minimum per generation", Amount::parse("4000", EUR).unwrap())
        );
    }

    #[test]
    fn output_fee_and_unlicensed_use_types() {
        let stream = UseType("stream".into());
        // 2,000,000 streams × 0.0005 = 1,000 EUR beats 15% of 4,000 EUR = 600.
        let charge = tariff().output_fee(&stream, Amount::parse("4000", EUR).unwrap(), 2_000_000).unwrap();
        assert_eq!((charge.rule.as_str(), charge.amount), ("minimum per usage", Amount::parse("1000", EUR).unwrap()));
        let advertising = UseType("advertising".into());
        assert_eq!(
            tariff().output_fee(&advertising, Amount::zero(EUR), 1),
            Err(RatingError::UnlicensedUse("advertising".into()))
        );
        assert!(matches!(
            tariff().output_fee(&stream, Amount::zero(Currency::SEK), 1),
            Err(RatingError::WrongCurrency { .. })
        ));
    }

    proptest! {
        #[test]
        fn a_charge_is_never_below_any_of_its_rules(revenue in 0i64..1_000_000_000_000, subscribers in 0u64..10_000_000, generations in 0u64..1_000_000_000) {
            let charge = tariff().service_fee(Amount::from_micros(revenue, EUR), subscribers, generations).unwrap();
            for step in &charge.trail {
                prop_assert!(charge.amount.micros() >= step.amount.micros());
            }
            prop_assert!(charge.trail.iter().any(|s| s.amount == charge.amount));
        }
    }
}
