//! Tantiem's own identifiers — of licensees and their services and model versions, agreements, reports,
//! works, invoices and disclosures — as types, parsed at the edge, so that a licensee id cannot be passed
//! where a work code is meant and an id a person typed is checked once, where it comes in.
//!
//! Each is a string underneath (as stored and as shown); serde reads it through its parser, so a stored
//! document with an unusable id is refused rather than carried on.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a usable {kind}: {rule}")]
pub struct IdError {
    pub kind: &'static str,
    pub text: String,
    pub rule: &'static str,
}

/// Ids a person chooses (licensees, services, model versions, agreements): letters, digits, `-`, `_`, `.`.
fn chosen(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

const CHOSEN_RULE: &str = "use letters, digits, '-', '_' and '.', at most 64 characters";

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $rule:expr, |$text:ident| $normalise:expr, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<$name, IdError> {
                let $text = text.trim();
                let normalised: String = $normalise;
                let check: fn(&str) -> bool = $check;
                if check(&normalised) {
                    Ok($name(normalised))
                } else {
                    Err(IdError { kind: $kind, text: text.to_owned(), rule: $rule })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// An id reads as the text it is (to a store, in a message); only its construction is checked.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<$name, IdError> {
                $name::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(text: String) -> Result<$name, IdError> {
                $name::parse(&text)
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// An AI company the society licenses (`songfox`).
    LicenseeId, "licensee id", CHOSEN_RULE, |t| t.to_owned(), chosen
);
id_type!(
    /// A licensee's service (`app`); unique within the licensee.
    ServiceId, "service id", CHOSEN_RULE, |t| t.to_owned(), chosen
);
id_type!(
    /// A licensee's model version (`sf-1`); unique within the licensee.
    ModelVersionId, "model version id", CHOSEN_RULE, |t| t.to_owned(), chosen
);
id_type!(
    /// A blanket agreement (`A-2026-001`).
    AgreementId, "agreement id", CHOSEN_RULE, |t| t.to_owned(), chosen
);
id_type!(
    /// A licensee's own id for a report (its revisions share it).
    ReportId, "report id", "give 1 to 128 characters without control characters",
    |t| t.to_owned(),
    |t| !t.is_empty() && t.chars().count() <= 128 && !t.chars().any(char::is_control)
);
id_type!(
    /// A work's code in the society's registry: `W` and nine digits.
    WorkCode, "work code", "a work code is W and nine digits, e.g. W000000001",
    |t| t.to_ascii_uppercase(),
    |t| t.len() == 10 && t.starts_with('W') && t[1..].bytes().all(|b| b.is_ascii_digit())
);
id_type!(
    /// An invoice, credit note or advance: `INV-2026-000001`, `CN-2026-000001`.
    InvoiceNumber, "invoice number", "an invoice number is INV- or CN-, the year and six digits, e.g. INV-2026-000001",
    |t| t.to_ascii_uppercase(),
    |t| {
        let mut parts = t.split('-');
        matches!(
            (parts.next(), parts.next(), parts.next(), parts.next()),
            (Some("INV" | "CN"), Some(year), Some(seq), None)
                if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit())
                    && seq.len() >= 6 && seq.bytes().all(|b| b.is_ascii_digit())
        )
    }
);
id_type!(
    /// A training disclosure: `D` and six digits, numbered in order of receipt.
    DisclosureId, "disclosure id", "a disclosure id is D and six digits, e.g. D000001",
    |t| t.to_ascii_uppercase(),
    |t| t.len() >= 7 && t.starts_with('D') && t[1..].bytes().all(|b| b.is_ascii_digit())
);

impl WorkCode {
    /// The code of the society's `number`th work.
    pub fn from_number(number: u64) -> WorkCode {
        WorkCode(format!("W{number:09}"))
    }
}

impl InvoiceNumber {
    /// The number `seq` of a series (`INV-2026`, `CN-2026`).
    pub fn in_series(series: &str, seq: u64) -> Result<InvoiceNumber, IdError> {
        InvoiceNumber::parse(&format!("{series}-{seq:06}"))
    }
}

impl DisclosureId {
    /// The `number`th disclosure received.
    pub fn from_number(number: u64) -> DisclosureId {
        DisclosureId(format!("D{number:06}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_and_normalised_where_they_come_in() {
        assert_eq!(LicenseeId::parse(" songfox ").unwrap().as_str(), "songfox");
        assert!(LicenseeId::parse("song fox").is_err());
        assert!(LicenseeId::parse(&"x".repeat(65)).is_err());
        assert_eq!(WorkCode::parse("w000000001").unwrap(), WorkCode::from_number(1));
        assert!(WorkCode::parse("W1").is_err());
        assert!(WorkCode::parse("T-034.524.680-1").is_err());
        assert_eq!(InvoiceNumber::parse("inv-2026-000001").unwrap().as_str(), "INV-2026-000001");
        assert_eq!(InvoiceNumber::in_series("CN-2026", 12).unwrap().as_str(), "CN-2026-000012");
        assert!(InvoiceNumber::parse("INV-26-1").is_err());
        assert_eq!(DisclosureId::from_number(2).as_str(), "D000002");
        assert!(DisclosureId::parse("D12").is_err());
        assert!(ReportId::parse("2026-03 service").is_ok());
        assert!(ReportId::parse("a\nb").is_err());
        let error = ServiceId::parse("a/b").unwrap_err().to_string();
        assert_eq!(
            error,
            "\"a/b\" is not a usable service id: use letters, digits, '-', '_' and '.', at most 64 characters"
        );
    }

    #[test]
    fn serde_reads_ids_through_their_parser() {
        let id: LicenseeId = serde_json::from_str("\"songfox\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"songfox\"");
        assert!(serde_json::from_str::<WorkCode>("\"nonsense\"").is_err());
    }
}
