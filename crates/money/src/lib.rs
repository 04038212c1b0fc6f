//! Exact money for Tantiem: currencies, amounts in integer micro-units, shares as fixed-scale fractions,
//! conversion at an explicit recorded rate, and allocation that returns parts summing exactly to the whole.
//!
//! Architecture invariant: nothing here uses floating point, reads the clock or knows about works, parties or
//! the store. Every operation that could overflow is checked and returns [`MoneyError`]; every operation that
//! must round says how, and hands back what it rounded away, so callers can account for each micro-unit.
#![deny(clippy::float_arithmetic)]

mod allocate;
mod amount;
mod currency;
mod rate;
mod share;

pub use allocate::{allocate, allocate_micros};
pub use amount::{Amount, MICROS_PER_UNIT};
pub use currency::Currency;
pub use rate::{Conversion, Rate};
pub use share::{SHARE_SCALE, Share};

/// Everything that can go wrong with money arithmetic. None of these is a bug in the caller's data model:
/// each is a value that must be rejected with a message (a bug would be an `assert!`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency mismatch: {left} and {right} cannot be combined without a conversion rate")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("amount overflow: the result does not fit in 64-bit micro-units")]
    Overflow,
    #[error("cannot allocate over weights that are empty or all zero")]
    NoWeights,
    #[error("unknown currency code {0:?}: expected one of EUR, SEK, NOK, DKK, ISK, USD, GBP, CHF")]
    UnknownCurrency(String),
    #[error("invalid amount {0:?}: expected a decimal number with at most 6 decimals, e.g. 12.50")]
    InvalidAmount(String),
    #[error("invalid share {0:?}: expected a percentage between 0 and 100 with at most 6 decimals")]
    InvalidShare(String),
    #[error("invalid rate: {0}")]
    InvalidRate(String),
}

/// Parses a plain decimal string ("12", "-0.5", "3.141592") into an integer scaled by `10^scale_digits`.
/// Shared by amounts, shares and rates (and other exact decimals, such as declared hours of audio) so that
/// every textual value follows one grammar.
pub fn parse_scaled(text: &str, scale_digits: u32) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if fraction.len() > scale_digits as usize
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 24
    {
        return None;
    }
    let mut value: i128 = 0;
    for b in whole.bytes() {
        value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    for i in 0..scale_digits as usize {
        let digit = fraction.as_bytes().get(i).map_or(0, |b| b - b'0');
        value = value.checked_mul(10)?.checked_add(i128::from(digit))?;
    }
    Some(if negative { -value } else { value })
}

/// Writes `value / 10^scale_digits` as a decimal with exactly `shown_digits` decimals (truncating extra zeros
/// is the caller's choice). Used by the `Display` impls.
pub(crate) fn format_scaled(value: i128, scale_digits: u32, shown_digits: u32) -> String {
    let scale = 10i128.pow(scale_digits);
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    let whole = magnitude / scale as u128;
    let fraction = magnitude % scale as u128;
    if shown_digits == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = fraction / 10u128.pow(scale_digits - shown_digits.min(scale_digits));
    format!("{sign}{whole}.{fraction:0width$}", width = shown_digits as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_scaled_accepts_plain_decimals_and_rejects_the_rest() {
        assert_eq!(parse_scaled("12.5", 6), Some(12_500_000));
        assert_eq!(parse_scaled("-0.000001", 6), Some(-1));
        assert_eq!(parse_scaled(".5", 2), Some(50));
        assert_eq!(parse_scaled("7", 0), Some(7));
        for bad in ["", "-", ".", "1.2.3", "1e5", "0.0000001", "abc", "1,5"] {
            assert_eq!(parse_scaled(bad, 6), None, "{bad:?} must be rejected");
        }
    }

    #[test]
    fn format_scaled_pads_fractions() {
        assert_eq!(format_scaled(12_500_000, 6, 6), "12.500000");
        assert_eq!(format_scaled(-1, 6, 6), "-0.000001");
        assert_eq!(format_scaled(12_345_678, 6, 2), "12.34");
        assert_eq!(format_scaled(5, 0, 0), "5");
    }
}
