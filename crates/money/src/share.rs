//! [`Share`]: an exact fraction of a whole (a party's part of a work, a weight of a key) at a fixed scale.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{MoneyError, format_scaled, parse_scaled};

/// 100% in share units: 10⁸, i.e. one unit is 10⁻⁶ percent. CWR states shares in 0.01% (10⁴ units here),
/// so the product of two CWR shares (ownership × collection) is exact at this scale.
pub const SHARE_SCALE: u32 = 100_000_000;

/// A fraction between 0 and 100% inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Share(u32);

impl Share {
    pub const ZERO: Share = Share(0);
    pub const ONE: Share = Share(SHARE_SCALE);

    /// From share units (10⁸ = 100%); `None` above 100%.
    pub fn from_scaled(units: u32) -> Option<Share> {
        (units <= SHARE_SCALE).then_some(Share(units))
    }

    /// From CWR's `999v99` notation: `5000` is 50.00%.
    pub fn from_cwr_hundredths(hundredths_of_percent: u32) -> Option<Share> {
        hundredths_of_percent.checked_mul(10_000).and_then(Share::from_scaled)
    }

    /// Parses a percentage such as `"50"`, `"33.3333"` (at most six decimals).
    pub fn parse_percent(text: &str) -> Result<Share, MoneyError> {
        parse_scaled(text, 6)
            .and_then(|v| u32::try_from(v).ok())
            .and_then(Share::from_scaled)
            .ok_or_else(|| MoneyError::InvalidShare(text.to_owned()))
    }

    /// Parses a fraction of one such as `"0.25"` or `"1"` (at most eight decimals): attribution weights
    /// and confidences are written this way.
    pub fn parse_fraction(text: &str) -> Result<Share, MoneyError> {
        parse_scaled(text, 8)
            .and_then(|v| u32::try_from(v).ok())
            .and_then(Share::from_scaled)
            .ok_or_else(|| MoneyError::InvalidShare(text.to_owned()))
    }

    pub const fn scaled(self) -> u32 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The share in CWR hundredths of a percent, when it is a whole number of them.
    pub fn to_cwr_hundredths(self) -> Option<u32> {
        self.0.is_multiple_of(10_000).then_some(self.0 / 10_000)
    }

    /// Sum of two shares; `None` past 100% (a share chain that claims more than the whole).
    pub fn checked_add(self, other: Share) -> Option<Share> {
        self.0.checked_add(other.0).and_then(Share::from_scaled)
    }

    pub fn checked_sub(self, other: Share) -> Option<Share> {
        self.0.checked_sub(other.0).map(Share)
    }

    /// `self × other`, rounded down, with the remainder in 10⁻⁸ share units.
    pub fn times(self, other: Share) -> (Share, u32) {
        let product = u64::from(self.0) * u64::from(other.0);
        let scale = u64::from(SHARE_SCALE);
        // Both factors are <= 1, so the quotient is <= SHARE_SCALE and the remainder < SHARE_SCALE.
        (Share((product / scale) as u32), (product % scale) as u32)
    }

    /// The difference from `other`, as a magnitude (used for tolerance checks).
    pub fn distance(self, other: Share) -> u32 {
        self.0.abs_diff(other.0)
    }
}

impl TryFrom<u32> for Share {
    type Error = MoneyError;
    fn try_from(units: u32) -> Result<Self, Self::Error> {
        Share::from_scaled(units).ok_or_else(|| MoneyError::InvalidShare(units.to_string()))
    }
}

impl From<Share> for u32 {
    fn from(share: Share) -> u32 {
        share.0
    }
}

impl fmt::Display for Share {
    /// `50.00%`, `33.333333%`: at least two decimals, more only when they are not zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = format_scaled(i128::from(self.0), 6, 6);
        let trimmed = full.trim_end_matches('0');
        let decimals = trimmed.split_once('.').map_or(0, |(_, d)| d.len());
        let shown = if decimals < 2 { &full[..full.len() - (6 - 2)] } else { trimmed };
        write!(f, "{shown}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cwr_notation_and_display() {
        let half = Share::from_cwr_hundredths(5000).unwrap();
        assert_eq!(half.to_string(), "50.00%");
        assert_eq!(Share::from_cwr_hundredths(3333).unwrap().to_string(), "33.33%");
        assert_eq!(Share::parse_percent("12.3456").unwrap().to_string(), "12.3456%");
        assert_eq!(Share::from_cwr_hundredths(10_001), None);
        assert_eq!(half.to_cwr_hundredths(), Some(5000));
        assert!(Share::parse_percent("100.000001").is_err());
    }

    #[test]
    fn sums_past_the_whole_are_refused() {
        let sixty = Share::parse_percent("60").unwrap();
        assert_eq!(sixty.checked_add(sixty), None);
    }

    proptest! {
        #[test]
        fn product_of_cwr_shares_is_exact(a in 0u32..=10_000, b in 0u32..=10_000) {
            let (product, remainder) = Share::from_cwr_hundredths(a).unwrap().times(Share::from_cwr_hundredths(b).unwrap());
            prop_assert_eq!(remainder, 0);
            prop_assert_eq!(u64::from(product.scaled()), u64::from(a) * u64::from(b));
        }
    }
}
