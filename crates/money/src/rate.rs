//! Currency conversion at an explicit rate that the caller records: nothing here looks a rate up.

use serde::{Deserialize, Serialize};

use crate::{Amount, Currency, MoneyError, parse_scaled};

/// Nano-units of the rate: a rate of 11.234567891 SEK per EUR is stored as 11_234_567_891.
const RATE_SCALE: i128 = 1_000_000_000;

/// "One unit of `from` is worth `rate` units of `to`", exact to nine decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rate {
    from: Currency,
    to: Currency,
    nanos: u64,
}

/// The full record of one conversion: what went in, at which rate, what came out, and the sub-micro-unit
/// residue that was rounded away (half away from zero), so the trail can be re-checked by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    pub source: Amount,
    pub rate: Rate,
    pub result: Amount,
}

impl std::fmt::Display for Rate {
    /// `1 USD = 0.920000000 EUR`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "1 {} = {} {}", self.from(), crate::format_scaled(i128::from(self.nanos()), 9, 9), self.to())
    }
}

impl Rate {
    /// A rate must be positive; converting a currency to itself must be at 1.
    pub fn new(from: Currency, to: Currency, nanos: u64) -> Result<Rate, MoneyError> {
        if nanos == 0 {
            return Err(MoneyError::InvalidRate(format!("{from}→{to} rate must be positive")));
        }
        if from == to && i128::from(nanos) != RATE_SCALE {
            return Err(MoneyError::InvalidRate(format!("{from}→{to} must be 1")));
        }
        Ok(Rate { from, to, nanos })
    }

    /// Parses the decimal rate text, e.g. `Rate::parse(EUR, SEK, "11.2345")`.
    pub fn parse(from: Currency, to: Currency, text: &str) -> Result<Rate, MoneyError> {
        let nanos = parse_scaled(text, 9).and_then(|v| u64::try_from(v).ok()).ok_or_else(|| {
            MoneyError::InvalidRate(format!("{text:?} is not a positive decimal with at most 9 decimals"))
        })?;
        Rate::new(from, to, nanos)
    }

    pub const fn from(self) -> Currency {
        self.from
    }
    pub const fn to(self) -> Currency {
        self.to
    }
    pub const fn nanos(self) -> u64 {
        self.nanos
    }

    /// Converts, rounding half away from zero to the micro-unit.
    pub fn convert(self, source: Amount) -> Result<Conversion, MoneyError> {
        if source.currency() != self.from {
            return Err(MoneyError::CurrencyMismatch { left: source.currency(), right: self.from });
        }
        let product = i128::from(source.micros()) * i128::from(self.nanos);
        let half = RATE_SCALE / 2;
        let rounded = if product >= 0 { (product + half) / RATE_SCALE } else { (product - half) / RATE_SCALE };
        let micros = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
        Ok(Conversion { source, rate: self, result: Amount::from_micros(micros, self.to) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_with_half_away_from_zero() {
        let rate = Rate::parse(Currency::EUR, Currency::SEK, "11.5").unwrap();
        let c = rate.convert(Amount::parse("2.000001", Currency::EUR).unwrap()).unwrap();
        // 2.000001 × 11.5 = 23.0000115 → 23.000012 (half away from zero)
        assert_eq!(c.result, Amount::parse("23.000012", Currency::SEK).unwrap());
        let c = rate.convert(Amount::parse("-2.000001", Currency::EUR).unwrap()).unwrap();
        assert_eq!(c.result, Amount::parse("-23.000012", Currency::SEK).unwrap());
    }

    #[test]
    fn wrong_source_currency_and_bad_rates_are_refused() {
        let rate = Rate::parse(Currency::EUR, Currency::SEK, "11").unwrap();
        assert!(rate.convert(Amount::zero(Currency::USD)).is_err());
        assert!(Rate::parse(Currency::EUR, Currency::SEK, "0").is_err());
        assert!(Rate::parse(Currency::EUR, Currency::EUR, "1.1").is_err());
        assert!(Rate::parse(Currency::EUR, Currency::SEK, "-1").is_err());
    }
}
