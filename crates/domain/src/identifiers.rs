//! Industry identifiers as parsed types: ISWC, ISRC, IPI name and base numbers, ISNI, EAN/ICPN.
//!
//! Each type has a private field and is built only by `parse`, which checks form and check digits, so an
//! invalid identifier cannot exist past the boundary. Parsing accepts the common written forms (hyphens,
//! dots, spaces, lower case) and `Display` gives the canonical one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an identifier was refused, worded for the person who typed or sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("{kind} {text:?} is malformed: expected {expected}")]
    Malformed { kind: &'static str, text: String, expected: &'static str },
    #[error("{kind} {text:?} fails its check digit (expected {expected_check}): check for a mistyped digit")]
    CheckDigit { kind: &'static str, text: String, expected_check: String },
}

fn compact(text: &str) -> String {
    text.chars().filter(|c| !matches!(c, '-' | '.' | ' ')).collect::<String>().to_ascii_uppercase()
}

fn digits(text: &str) -> Option<Vec<u32>> {
    text.chars().map(|c| c.to_digit(10)).collect()
}

/// International Standard Musical Work Code, ISO 15707: `T` + 9 digits + 1 check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iswc([u8; 10]);

impl Iswc {
    const EXPECTED: &'static str = "T followed by 10 digits, e.g. T-034.524.680-1";

    pub fn parse(text: &str) -> Result<Iswc, IdentifierError> {
        let bare = compact(text);
        let malformed = || IdentifierError::Malformed { kind: "ISWC", text: text.to_owned(), expected: Self::EXPECTED };
        let body = bare.strip_prefix('T').ok_or_else(malformed)?;
        let ds = digits(body).filter(|d| d.len() == 10).ok_or_else(malformed)?;
        let sum: u32 = 1 + ds[..9].iter().enumerate().map(|(i, d)| (i as u32 + 1) * d).sum::<u32>();
        let check = (10 - sum % 10) % 10;
        if check != ds[9] {
            return Err(IdentifierError::CheckDigit {
                kind: "ISWC",
                text: text.to_owned(),
                expected_check: check.to_string(),
            });
        }
        let mut out = [0u8; 10];
        out.copy_from_slice(&body.as_bytes()[..10]);
        Ok(Iswc(out))
    }

    /// The 11-character form CWR uses: `T0345246801`.
    pub fn bare(&self) -> String {
        format!("T{}", std::str::from_utf8(&self.0).unwrap_or_default())
    }
}

impl fmt::Display for Iswc {
    /// `T-034.524.680-1`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = std::str::from_utf8(&self.0).map_err(|_| fmt::Error)?;
        write!(f, "T-{}.{}.{}-{}", &d[0..3], &d[3..6], &d[6..9], &d[9..10])
    }
}

/// International Standard Recording Code, ISO 3901: `CC XXX YY NNNNN`, no check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Isrc([u8; 12]);

impl Isrc {
    pub fn parse(text: &str) -> Result<Isrc, IdentifierError> {
        let bare = compact(text);
        let b = bare.as_bytes();
        let ok = b.len() == 12
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..5].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && b[5..].iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(IdentifierError::Malformed {
                kind: "ISRC",
                text: text.to_owned(),
                expected: "2 letters, 3 letters or digits, 7 digits, e.g. SE-ABC-25-00001",
            });
        }
        let mut out = [0u8; 12];
        out.copy_from_slice(b);
        Ok(Isrc(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// An ISRC as written, reduced to its letters and digits in upper case, whether or not it is well formed:
    /// what a manifest's mistyped ISRC is kept and compared as.
    pub fn reduced(text: &str) -> String {
        text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
    }
}

impl fmt::Display for Isrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// IPI name number: 9 digits + 2 check digits (mod 101). Identifies one name of a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpiNameNumber(u64);

impl IpiNameNumber {
    /// Parses 9 to 11 digits (shorter forms are left-padded with zeros, as CWR files send 10-digit values).
    /// All zeros means "unknown" in CWR and is refused here: callers treat blank and zero as absent.
    pub fn parse(text: &str) -> Result<IpiNameNumber, IdentifierError> {
        let bare = compact(text);
        let malformed = || IdentifierError::Malformed {
            kind: "IPI name number",
            text: text.to_owned(),
            expected: "11 digits (9 + 2 check digits), e.g. 00014107338",
        };
        if bare.is_empty() || bare.len() > 11 {
            return Err(malformed());
        }
        let padded = format!("{bare:0>11}");
        let ds = digits(&padded).ok_or_else(malformed)?;
        if ds.iter().all(|&d| d == 0) {
            return Err(malformed());
        }
        let expected = Self::check_digits(&ds[..9]);
        if expected != ds[9] * 10 + ds[10] {
            return Err(IdentifierError::CheckDigit {
                kind: "IPI name number",
                text: text.to_owned(),
                expected_check: format!("{expected:02}"),
            });
        }
        Ok(IpiNameNumber(padded.parse().map_err(|_| malformed())?))
    }

    fn check_digits(first_nine: &[u32]) -> u32 {
        let sum: u32 = first_nine.iter().enumerate().map(|(i, d)| (10 - i as u32) * d).sum();
        let r = sum % 101;
        if r <= 1 { 0 } else { 101 - r }
    }

    pub fn value(&self) -> u64 {
        self.0
    }
}

impl fmt::Display for IpiNameNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:011}", self.0)
    }
}

/// IPI base number: `I-000000229-7`, identifies the party behind all its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpiBaseNumber(u32, u8);

impl IpiBaseNumber {
    pub fn parse(text: &str) -> Result<IpiBaseNumber, IdentifierError> {
        let bare = compact(text);
        let malformed = || IdentifierError::Malformed {
            kind: "IPI base number",
            text: text.to_owned(),
            expected: "I-, 9 digits and a check digit, e.g. I-000000229-7",
        };
        let body = bare.strip_prefix('I').ok_or_else(malformed)?;
        let ds = digits(body).filter(|d| d.len() == 10).ok_or_else(malformed)?;
        let sum: u32 = 2 + ds[..9].iter().enumerate().map(|(i, d)| (i as u32 + 1) * d).sum::<u32>();
        let check = (10 - sum % 10) % 10;
        if check != ds[9] {
            return Err(IdentifierError::CheckDigit {
                kind: "IPI base number",
                text: text.to_owned(),
                expected_check: check.to_string(),
            });
        }
        let number = ds[..9].iter().fold(0u32, |acc, d| acc * 10 + d);
        Ok(IpiBaseNumber(number, check as u8))
    }
}

impl fmt::Display for IpiBaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "I-{:09}-{}", self.0, self.1)
    }
}

/// International Standard Name Identifier, ISO 27729: 15 digits + a MOD 11-2 check character (0-9 or X).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Isni([u8; 16]);

impl Isni {
    pub fn parse(text: &str) -> Result<Isni, IdentifierError> {
        let bare = compact(text);
        let malformed = || IdentifierError::Malformed {
            kind: "ISNI",
            text: text.to_owned(),
            expected: "16 characters: 15 digits and a check digit or X, e.g. 0000 0001 2281 955X",
        };
        let b = bare.as_bytes();
        if b.len() != 16 {
            return Err(malformed());
        }
        let ds = digits(&bare[..15]).ok_or_else(malformed)?;
        let total = ds.iter().fold(0u32, |t, d| (t + d) * 2);
        let r = (12 - total % 11) % 11;
        let expected = if r == 10 { b'X' } else { b'0' + r as u8 };
        if b[15] != expected {
            if !(b[15].is_ascii_digit() || b[15] == b'X') {
                return Err(malformed());
            }
            return Err(IdentifierError::CheckDigit {
                kind: "ISNI",
                text: text.to_owned(),
                expected_check: (expected as char).to_string(),
            });
        }
        let mut out = [0u8; 16];
        out.copy_from_slice(b);
        Ok(Isni(out))
    }
}

impl fmt::Display for Isni {
    /// `0000 0001 2281 955X`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = std::str::from_utf8(&self.0).map_err(|_| fmt::Error)?;
        write!(f, "{} {} {} {}", &s[0..4], &s[4..8], &s[8..12], &s[12..16])
    }
}

/// EAN-13 / ICPN: 13 digits, mod 10 with weights 1,3 from the left (3,1 from the right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ean(u64);

impl Ean {
    pub fn parse(text: &str) -> Result<Ean, IdentifierError> {
        let bare = compact(text);
        let ds = digits(&bare).filter(|d| d.len() == 13).ok_or_else(|| IdentifierError::Malformed {
            kind: "EAN",
            text: text.to_owned(),
            expected: "13 digits",
        })?;
        let sum: u32 = ds[..12].iter().enumerate().map(|(i, d)| if i % 2 == 0 { *d } else { 3 * d }).sum();
        let check = (10 - sum % 10) % 10;
        if check != ds[12] {
            return Err(IdentifierError::CheckDigit {
                kind: "EAN",
                text: text.to_owned(),
                expected_check: check.to_string(),
            });
        }
        Ok(Ean(bare.parse().unwrap_or_default()))
    }
}

impl fmt::Display for Ean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013}", self.0)
    }
}

macro_rules! string_conversions {
    ($($ty:ty),*) => {$(
        impl TryFrom<String> for $ty {
            type Error = IdentifierError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                <$ty>::parse(&text)
            }
        }
        impl From<$ty> for String {
            fn from(id: $ty) -> String {
                id.to_string()
            }
        }
        impl std::str::FromStr for $ty {
            type Err = IdentifierError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$ty>::parse(text)
            }
        }
    )*};
}
string_conversions!(Iswc, Isrc, IpiNameNumber, IpiBaseNumber, Isni, Ean);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string that differs from `good` in exactly one digit position.
    fn single_digit_changes(good: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (i, c) in good.char_indices() {
            if let Some(d) = c.to_digit(10) {
                for other in (0..10).filter(|&o| o != d) {
                    let mut s = good.to_owned();
                    s.replace_range(i..i + 1, &other.to_string());
                    out.push((i, s));
                }
            }
        }
        out
    }

    #[test]
    fn iswc_known_good_and_every_check_digit_change() {
        for good in ["T-034.524.680-1", "T-000.000.001-0", "T0345246801", "t-034.524.680-1"] {
            assert!(Iswc::parse(good).is_ok(), "{good}");
        }
        let iswc = Iswc::parse("T0345246801").unwrap();
        assert_eq!(iswc.to_string(), "T-034.524.680-1");
        assert_eq!(iswc.bare(), "T0345246801");
        for d in (0..10).filter(|&d| d != 1) {
            let bad = format!("T034524680{d}");
            assert!(matches!(Iswc::parse(&bad), Err(IdentifierError::CheckDigit { .. })), "{bad}");
        }
        for bad in ["", "T", "X0345246801", "T034524680", "T03452468011", "T03452468O1"] {
            assert!(matches!(Iswc::parse(bad), Err(IdentifierError::Malformed { .. })), "{bad}");
        }
    }

    #[test]
    fn ipi_name_number_rejects_every_single_digit_change() {
        for good in ["00014107338", "00000000199", "00000000297", "00000000395", "00260583078"] {
            let ipi = IpiNameNumber::parse(good).unwrap();
            assert_eq!(ipi.to_string(), good);
            for (position, bad) in single_digit_changes(good) {
                assert!(IpiNameNumber::parse(&bad).is_err(), "{bad} (position {position}) must fail");
            }
        }
        assert_eq!(IpiNameNumber::parse("199").unwrap().to_string(), "00000000199");
        assert!(IpiNameNumber::parse("00000000000").is_err());
        assert!(IpiNameNumber::parse("00854632549").is_err(), "demo fixture IPI is made up");
    }

    #[test]
    fn ipi_base_number_rejects_every_check_digit_change() {
        let good = "I-000000229-7";
        assert_eq!(IpiBaseNumber::parse(good).unwrap().to_string(), good);
        assert_eq!(IpiBaseNumber::parse("I0000002297").unwrap().to_string(), good);
        assert!(IpiBaseNumber::parse("I-123456789-3").is_ok());
        for d in (0..10).filter(|&d| d != 7) {
            assert!(IpiBaseNumber::parse(&format!("I-000000229-{d}")).is_err());
        }
    }

    #[test]
    fn isni_known_good_and_every_single_digit_change() {
        let good = "000000012281955X";
        let isni = Isni::parse("0000 0001 2281 955X").unwrap();
        assert_eq!(isni.to_string(), "0000 0001 2281 955X");
        for (position, bad) in single_digit_changes(good) {
            assert!(Isni::parse(&bad).is_err(), "{bad} (position {position}) must fail");
        }
        assert!(Isni::parse("0000000122819551").is_err());
    }

    #[test]
    fn isrc_form() {
        assert_eq!(Isrc::parse("se-abc-25-00001").unwrap().to_string(), "SEABC2500001");
        assert!(Isrc::parse("GBAYE6900001").is_ok());
        for bad in ["", "GBAYE690000", "1BAYE6900001", "GBAYE69000A1", "GB-AY!-69-00001"] {
            assert!(Isrc::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ean_check() {
        assert!(Ean::parse("4006381333931").is_ok());
        assert!(Ean::parse("4006381333932").is_err());
    }

    #[test]
    fn serde_uses_the_canonical_text() {
        let iswc = Iswc::parse("T0345246801").unwrap();
        assert_eq!(serde_json::to_string(&iswc).unwrap(), "\"T-034.524.680-1\"");
        assert!(serde_json::from_str::<Iswc>("\"T0345246802\"").is_err());
    }
}
