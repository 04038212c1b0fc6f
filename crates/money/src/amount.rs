//! [`Amount`]: a signed quantity of one currency in integer micro-units (10⁻⁶ of the major unit).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Currency, MoneyError, Share, format_scaled, parse_scaled};

/// Micro-units in one major unit of any currency.
pub const MICROS_PER_UNIT: i64 = 1_000_000;

/// An exact amount of money. Micro-units in an `i64` reach ±9.2 × 10¹² major units, far beyond any royalty
/// figure; products with shares and rates are computed in `i128` so they cannot overflow on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Amount {
    micros: i64,
    currency: Currency,
}

impl Amount {
    pub const fn from_micros(micros: i64, currency: Currency) -> Self {
        Self { micros, currency }
    }

    pub const fn zero(currency: Currency) -> Self {
        Self::from_micros(0, currency)
    }

    /// Whole major units, e.g. `Amount::from_units(12, EUR)` is 12.00 EUR.
    pub fn from_units(units: i64, currency: Currency) -> Result<Self, MoneyError> {
        units.checked_mul(MICROS_PER_UNIT).map(|micros| Self::from_micros(micros, currency)).ok_or(MoneyError::Overflow)
    }

    /// Parses a decimal like `"1234.56"` in the given currency (at most six decimals).
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let micros = parse_scaled(text, 6)
            .and_then(|v| i64::try_from(v).ok())
            .ok_or_else(|| MoneyError::InvalidAmount(text.to_owned()))?;
        Ok(Self::from_micros(micros, currency))
    }

    pub const fn micros(self) -> i64 {
        self.micros
    }

    pub const fn currency(self) -> Currency {
        self.currency
    }

    pub const fn is_zero(self) -> bool {
        self.micros == 0
    }

    pub const fn is_negative(self) -> bool {
        self.micros < 0
    }

    fn same_currency(self, other: Amount) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }

    pub fn checked_add(self, other: Amount) -> Result<Amount, MoneyError> {
        self.same_currency(other)?;
        let micros = self.micros.checked_add(other.micros).ok_or(MoneyError::Overflow)?;
        Ok(Self::from_micros(micros, self.currency))
    }

    pub fn checked_sub(self, other: Amount) -> Result<Amount, MoneyError> {
        self.same_currency(other)?;
        let micros = self.micros.checked_sub(other.micros).ok_or(MoneyError::Overflow)?;
        Ok(Self::from_micros(micros, self.currency))
    }

    pub fn checked_neg(self) -> Result<Amount, MoneyError> {
        let micros = self.micros.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Self::from_micros(micros, self.currency))
    }

    /// Multiplies by an integer count (e.g. a per-stream minimum times the streams).
    pub fn checked_mul(self, count: i64) -> Result<Amount, MoneyError> {
        let micros = self.micros.checked_mul(count).ok_or(MoneyError::Overflow)?;
        Ok(Self::from_micros(micros, self.currency))
    }

    /// Sums amounts of one currency; an empty iterator gives zero of `currency`.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Amount>, currency: Currency) -> Result<Amount, MoneyError> {
        amounts.into_iter().try_fold(Amount::zero(currency), Amount::checked_add)
    }

    /// `self × share`, rounded down toward zero, with the remainder (in 10⁻⁸ micro-units, always of the
    /// same sign as `self`) returned so a caller splitting a pool can account for it. The product is taken
    /// in `i128`: `i64::MAX × SHARE_SCALE` fits with room to spare.
    pub fn mul_share(self, share: Share) -> (Amount, i64) {
        let product = i128::from(self.micros) * i128::from(share.scaled());
        let scale = i128::from(crate::SHARE_SCALE);
        let micros = product / scale;
        let remainder = product % scale;
        // |micros| <= |self.micros| because share <= 100%, so the narrowing is exact.
        (Self::from_micros(micros as i64, self.currency), remainder as i64)
    }

    /// Splits the amount into what is payable in the currency's minor units (cents, öre; whole krónur for
    /// ISK), rounding toward zero, and the residual micro-units that stay behind. Rounding for payment is its
    /// own recorded step: nothing else in Tantiem rounds to cents.
    pub fn split_payable(self) -> (Amount, Amount) {
        let step = 10i64.pow(6 - self.currency.minor_unit_digits());
        let payable = self.micros / step * step;
        (Self::from_micros(payable, self.currency), Self::from_micros(self.micros - payable, self.currency))
    }
}

impl fmt::Display for Amount {
    /// `1234.500000 EUR`: all six decimals, so a printed amount is exact.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", format_scaled(i128::from(self.micros), 6, 6), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EUR: Currency = Currency::EUR;

    #[test]
    fn parse_and_display() {
        let amount = Amount::parse("1234.5", EUR).unwrap();
        assert_eq!(amount.micros(), 1_234_500_000);
        assert_eq!(amount.to_string(), "1234.500000 EUR");
        assert!(Amount::parse("1.0000001", EUR).is_err());
        assert!(Amount::parse("99999999999999999999", EUR).is_err());
    }

    #[test]
    fn currencies_never_mix() {
        let eur = Amount::from_micros(1, EUR);
        let sek = Amount::from_micros(1, Currency::SEK);
        assert_eq!(eur.checked_add(sek), Err(MoneyError::CurrencyMismatch { left: EUR, right: Currency::SEK }));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let big = Amount::from_micros(i64::MAX, EUR);
        assert_eq!(big.checked_add(Amount::from_micros(1, EUR)), Err(MoneyError::Overflow));
        assert_eq!(Amount::from_micros(i64::MIN, EUR).checked_neg(), Err(MoneyError::Overflow));
    }

    #[test]
    fn mul_share_of_the_largest_amount_does_not_overflow() {
        let (part, _) = Amount::from_micros(i64::MAX, EUR).mul_share(Share::ONE);
        assert_eq!(part.micros(), i64::MAX);
        let (part, rest) = Amount::from_micros(10, EUR).mul_share(Share::from_cwr_hundredths(3333).unwrap());
        assert_eq!((part.micros(), rest), (3, 33_300_000));
    }

    #[test]
    fn payable_split_respects_minor_units() {
        let (paid, left) = Amount::from_micros(12_345_678, EUR).split_payable();
        assert_eq!((paid.micros(), left.micros()), (12_340_000, 5_678));
        let (paid, left) = Amount::from_micros(12_345_678, Currency::ISK).split_payable();
        assert_eq!((paid.micros(), left.micros()), (12_000_000, 345_678));
    }

    proptest! {
        #[test]
        fn add_then_sub_is_identity(a in -1_000_000_000_000_000i64..1_000_000_000_000_000, b in -1_000_000_000_000_000i64..1_000_000_000_000_000) {
            let x = Amount::from_micros(a, EUR);
            let y = Amount::from_micros(b, EUR);
            prop_assert_eq!(x.checked_add(y).unwrap().checked_sub(y).unwrap(), x);
        }

        #[test]
        fn share_split_conserves(micros in any::<i64>(), scaled in 0u32..=crate::SHARE_SCALE) {
            let share = Share::from_scaled(scaled).unwrap();
            let amount = Amount::from_micros(micros, EUR);
            let (part, remainder) = amount.mul_share(share);
            let rebuilt = i128::from(part.micros()) * i128::from(crate::SHARE_SCALE) + i128::from(remainder);
            prop_assert_eq!(rebuilt, i128::from(micros) * i128::from(scaled));
            prop_assert!(part.micros().unsigned_abs() <= micros.unsigned_abs());
        }

        #[test]
        fn payable_split_conserves(micros in any::<i64>()) {
            let amount = Amount::from_micros(micros, Currency::SEK);
            let (paid, left) = amount.split_payable();
            prop_assert_eq!(paid.checked_add(left).unwrap(), amount);
        }
    }
}
