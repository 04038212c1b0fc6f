//! Parties (writers, publishers, performers, producers), their society affiliations per right type, and the
//! mandates that say which society represents which of their rights where.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::consent::Stage;
use crate::identifiers::{IpiBaseNumber, IpiNameNumber, Isni};
use crate::society::SocietyCode;
use crate::territory::TisCode;
use crate::work::RightType;

/// A party's identity across works and files: its IPI name number when known (`IPI:00014107338`), otherwise
/// the submitter's own interested-party number scoped by the submitter (`SUB:PB000000199:W000001`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartyKey(String);

impl PartyKey {
    pub fn new(key: impl Into<String>) -> PartyKey {
        PartyKey(key.into())
    }

    /// A party as people name one: an IPI name number (`00014107338`) or a key (`IPI:…`, `SUB:…`).
    pub fn named(text: &str) -> PartyKey {
        let text = text.trim();
        match IpiNameNumber::parse(text) {
            Ok(ipi) if !text.contains(':') => PartyKey::from_ipi(ipi),
            _ => PartyKey::new(text),
        }
    }

    pub fn from_ipi(ipi: IpiNameNumber) -> PartyKey {
        PartyKey(format!("IPI:{ipi}"))
    }

    pub fn from_submitter(submitter: &str, interested_party_number: &str) -> PartyKey {
        PartyKey(format!("SUB:{submitter}:{}", interested_party_number.trim()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartyKind {
    Writer,
    Publisher,
    Performer,
    Producer,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Writer => "writer",
            PartyKind::Publisher => "publisher",
            PartyKind::Performer => "performer",
            PartyKind::Producer => "producer",
        }
    }
}

/// A party's membership of a society for one right type, as a registration stated it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Affiliation {
    pub right: RightType,
    pub society: SocietyCode,
}

/// A rightsholder as the registry knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub key: PartyKey,
    pub kind: PartyKind,
    /// Last name, or the full name of a company.
    pub name: String,
    pub first_name: String,
    pub ipi_name: Option<IpiNameNumber>,
    pub ipi_base: Option<IpiBaseNumber>,
    pub isni: Option<Isni>,
    pub affiliations: Vec<Affiliation>,
}

impl Party {
    pub fn display_name(&self) -> String {
        if self.first_name.is_empty() { self.name.clone() } else { format!("{}, {}", self.name, self.first_name) }
    }
}

/// Which society represents which of a party's rights, where and when, including AI licensing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mandate {
    pub party: PartyKey,
    pub society: SocietyCode,
    pub rights: Vec<RightType>,
    /// Inclusions and exclusions in order, as CWR's TER records and SPT/SWT state them.
    pub territories: Vec<(bool, TisCode)>,
    /// The AI stages the society may license for this party (empty: none).
    pub ai_stages: Vec<Stage>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_is_named_by_ipi_name_number_or_by_key() {
        assert_eq!(PartyKey::named(" 00014107338 ").as_str(), "IPI:00014107338");
        assert_eq!(PartyKey::named("IPI:00014107338").as_str(), "IPI:00014107338");
        assert_eq!(PartyKey::named("SUB:079:W1").as_str(), "SUB:079:W1");
    }

    #[test]
    fn keys_prefer_ipi() {
        let ipi = IpiNameNumber::parse("00014107338").unwrap();
        assert_eq!(PartyKey::from_ipi(ipi).as_str(), "IPI:00014107338");
        assert_eq!(PartyKey::from_submitter("PB199", " W1 ").as_str(), "SUB:PB199:W1");
    }
}
