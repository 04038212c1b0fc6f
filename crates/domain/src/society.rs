//! Societies (CMOs) by CISAC code, and the rules each applies, kept as data an operator can change.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use money::Share;
use serde::{Deserialize, Serialize};

use crate::consent::{Consent, Stage, StageDefaults};
use crate::disclosure::TransparencyCriteria;

/// A CISAC society code as CWR writes it (`079` STIM, `052` PRS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SocietyCode(u16);

impl SocietyCode {
    pub const STIM: SocietyCode = SocietyCode(79);
    pub const TONO: SocietyCode = SocietyCode(90);
    pub const KODA: SocietyCode = SocietyCode(40);
    pub const TEOSTO: SocietyCode = SocietyCode(89);
    pub const STEF: SocietyCode = SocietyCode(77);

    /// Parses `"079"`, `"79"`, `"61 "`; `None` for blank or non-numeric text.
    pub fn parse(text: &str) -> Option<SocietyCode> {
        let t = text.trim();
        if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok().map(SocietyCode)
    }

    pub const fn from_number(code: u16) -> SocietyCode {
        SocietyCode(code)
    }

    pub const fn number(self) -> u16 {
        self.0
    }

    /// The society's entry in the CISAC table, if the code is known.
    pub fn info(self) -> Option<&'static SocietyInfo> {
        known_societies().get(&self)
    }
}

impl fmt::Display for SocietyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// One row of the CISAC society table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocietyInfo {
    pub code: SocietyCode,
    pub name: String,
    pub country: String,
}

fn known_societies() -> &'static HashMap<SocietyCode, SocietyInfo> {
    static TABLE: OnceLock<HashMap<SocietyCode, SocietyInfo>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../data/societies.csv")
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.splitn(3, ',');
                let code = SocietyCode::parse(f.next()?)?;
                Some((code, SocietyInfo { code, name: f.next()?.to_owned(), country: f.next()?.to_owned() }))
            })
            .collect()
    })
}

/// The rules a society applies to registrations and AI licensing. Defaults follow CWR and the Nordic
/// societies' published positions; every field can be changed by an operator and is stored with the society.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocietyRules {
    /// The most a publisher chain may own of the performing right (CWR: 50%).
    pub publisher_pr_cap: Share,
    /// How far from 100% a total of shares may be and still count as whole (CWR: 0.06%).
    pub share_total_tolerance: Share,
    /// Whether a party's AI consent is included or reserved when it has said nothing, per stage.
    pub ai_defaults: StageDefaults,
    /// What a training disclosure needs to count as fully transparent.
    #[serde(default)]
    pub transparency: TransparencyCriteria,
}

impl SocietyRules {
    /// CWR's rules with every AI stage reserved until a rightsholder opts in. This is STIM's model (its AI
    /// licence covers only works whose rightsholders consented) and the safe default for any society.
    pub fn opt_in() -> SocietyRules {
        SocietyRules {
            publisher_pr_cap: Share::from_cwr_hundredths(5000).unwrap_or(Share::ONE),
            share_total_tolerance: Share::from_cwr_hundredths(6).unwrap_or(Share::ZERO),
            ai_defaults: StageDefaults::all(Consent::Reserved),
            transparency: TransparencyCriteria::default(),
        }
    }

    /// CWR's rules with every AI stage included by mandate: Teosto's model, where members assign AI rights.
    pub fn by_mandate() -> SocietyRules {
        SocietyRules { ai_defaults: StageDefaults::all(Consent::Included), ..SocietyRules::opt_in() }
    }

    /// The built-in rules for a society: Teosto includes by mandate, everyone else is opt-in.
    pub fn default_for(code: SocietyCode) -> SocietyRules {
        if code == SocietyCode::TEOSTO { SocietyRules::by_mandate() } else { SocietyRules::opt_in() }
    }

    pub fn default_consent(&self, stage: Stage) -> Consent {
        self.ai_defaults.get(stage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_and_name_nordic_societies() {
        assert_eq!(SocietyCode::parse("079"), Some(SocietyCode::STIM));
        assert_eq!(SocietyCode::parse("61 "), Some(SocietyCode::from_number(61)));
        assert_eq!(SocietyCode::parse("   "), None);
        assert_eq!(SocietyCode::parse("A1"), None);
        assert_eq!(SocietyCode::STIM.info().unwrap().name, "STIM");
        assert_eq!(SocietyCode::TEOSTO.to_string(), "089");
        assert!(SocietyCode::from_number(708).info().is_none());
    }

    #[test]
    fn nordic_defaults_differ_by_model() {
        assert_eq!(SocietyRules::default_for(SocietyCode::STIM).default_consent(Stage::Training), Consent::Reserved);
        assert_eq!(SocietyRules::default_for(SocietyCode::TEOSTO).default_consent(Stage::Output), Consent::Included);
        assert_eq!(SocietyRules::opt_in().publisher_pr_cap.to_string(), "50.00%");
    }
}
