//! AI consent: for each stage (training, service, output) whether a rightsholder's share is included in the
//! society's AI licence or reserved. A society default applies unless the party chose, and a party's choice
//! for one work overrides its general choice for its share of that work.

use chrono::{DateTime, NaiveDate, Utc};
use money::Share;
use serde::{Deserialize, Serialize};

use crate::party::PartyKey;

/// The three stages of AI use the Nordic societies license separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Training,
    Service,
    Output,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Training, Stage::Service, Stage::Output];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Training => "training",
            Stage::Service => "service",
            Stage::Output => "output",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text.trim().to_ascii_lowercase())
    }
}

/// Whether a share is in the AI licence (included) or held back by its rightsholder (reserved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Consent {
    Included,
    Reserved,
}

impl Consent {
    pub fn as_str(self) -> &'static str {
        match self {
            Consent::Included => "included",
            Consent::Reserved => "reserved",
        }
    }

    pub fn parse(text: &str) -> Option<Consent> {
        match text.trim().to_ascii_lowercase().as_str() {
            "included" | "include" | "opt-in" | "in" => Some(Consent::Included),
            "reserved" | "reserve" | "opt-out" | "out" => Some(Consent::Reserved),
            _ => None,
        }
    }
}

/// A consent value per stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDefaults {
    pub training: Consent,
    pub service: Consent,
    pub output: Consent,
}

impl StageDefaults {
    pub const fn all(consent: Consent) -> StageDefaults {
        StageDefaults { training: consent, service: consent, output: consent }
    }

    pub fn get(&self, stage: Stage) -> Consent {
        match stage {
            Stage::Training => self.training,
            Stage::Service => self.service,
            Stage::Output => self.output,
        }
    }
}

/// One dated, audited consent decision by (or for) a party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentChoice {
    pub party: PartyKey,
    /// `None`: the party's choice for all its works; `Some(code)`: only its share of that work.
    pub work_code: Option<String>,
    pub stage: Stage,
    pub consent: Consent,
    /// The choice governs model versions trained on or after this day.
    pub effective_from: NaiveDate,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub note: String,
}

/// Where an effective consent came from, so a person can see why a share is in or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentSource {
    SocietyDefault,
    PartyChoice,
    WorkChoice,
}

/// The consent that governs `party`'s share of `work_code` for `stage` on `as_of`: the latest per-work choice
/// in force, else the latest general choice in force, else the society default. Among choices with the same
/// effective day, the one recorded last wins.
pub fn effective_consent(
    choices: &[ConsentChoice],
    party: &PartyKey,
    work_code: &str,
    stage: Stage,
    as_of: NaiveDate,
    default: Consent,
) -> (Consent, ConsentSource) {
    let latest = |for_work: bool| {
        choices
            .iter()
            .filter(|c| &c.party == party && c.stage == stage && c.effective_from <= as_of)
            .filter(|c| if for_work { c.work_code.as_deref() == Some(work_code) } else { c.work_code.is_none() })
            .max_by_key(|c| (c.effective_from, c.recorded_at))
    };
    if let Some(choice) = latest(true) {
        (choice.consent, ConsentSource::WorkChoice)
    } else if let Some(choice) = latest(false) {
        (choice.consent, ConsentSource::PartyChoice)
    } else {
        (default, ConsentSource::SocietyDefault)
    }
}

/// One holder's part in a [`LicensedShare`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderConsent {
    pub party: PartyKey,
    pub name: String,
    pub share: Share,
    pub consent: Consent,
    pub source: ConsentSource,
}

/// How much of a work is in the AI licence for one stage: the sum of the shares whose holders included it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicensedShare {
    pub stage: Stage,
    pub licensed: Share,
    pub reserved: Share,
    pub holders: Vec<HolderConsent>,
}

/// Computes a work's licensed share for a stage from its holders (party, name, share).
pub fn licensed_share(
    work_code: &str,
    holders: &[(PartyKey, String, Share)],
    stage: Stage,
    as_of: NaiveDate,
    choices: &[ConsentChoice],
    default: Consent,
) -> LicensedShare {
    let mut licensed = 0u64;
    let mut reserved = 0u64;
    let mut out = Vec::with_capacity(holders.len());
    for (party, name, share) in holders {
        let (consent, source) = effective_consent(choices, party, work_code, stage, as_of, default);
        match consent {
            Consent::Included => licensed += u64::from(share.scaled()),
            Consent::Reserved => reserved += u64::from(share.scaled()),
        }
        out.push(HolderConsent { party: party.clone(), name: name.clone(), share: *share, consent, source });
    }
    // Holder shares come from a validated work and sum to at most 100%; clamp rather than trust it blindly.
    let clamp = |units: u64| Share::from_scaled(units.min(u64::from(money::SHARE_SCALE)) as u32).unwrap_or(Share::ONE);
    LicensedShare { stage, licensed: clamp(licensed), reserved: clamp(reserved), holders: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn choice(party: &str, work: Option<&str>, consent: Consent, from: u32) -> ConsentChoice {
        ConsentChoice {
            party: PartyKey::new(party),
            work_code: work.map(str::to_owned),
            stage: Stage::Training,
            consent,
            effective_from: day(from),
            recorded_by: "test".into(),
            recorded_at: DateTime::from_timestamp(i64::from(from) * 86_400, 0).unwrap(),
            note: String::new(),
        }
    }

    #[test]
    fn work_choice_beats_party_choice_beats_default_and_dates_matter() {
        let writer = PartyKey::new("IPI:00014107338");
        let choices = vec![
            choice("IPI:00014107338", None, Consent::Included, 5),
            choice("IPI:00014107338", Some("W1"), Consent::Reserved, 10),
        ];
        let at = |d, work| effective_consent(&choices, &writer, work, Stage::Training, day(d), Consent::Reserved);
        assert_eq!(at(1, "W1"), (Consent::Reserved, ConsentSource::SocietyDefault));
        assert_eq!(at(6, "W1"), (Consent::Included, ConsentSource::PartyChoice));
        assert_eq!(at(10, "W1"), (Consent::Reserved, ConsentSource::WorkChoice));
        assert_eq!(at(10, "W2"), (Consent::Included, ConsentSource::PartyChoice));
    }

    #[test]
    fn licensed_share_sums_the_included_holders() {
        let half = Share::from_cwr_hundredths(5000).unwrap();
        let quarter = Share::from_cwr_hundredths(2500).unwrap();
        let holders = vec![
            (PartyKey::new("IPI:00014107338"), "Writer".to_owned(), half),
            (PartyKey::new("IPI:00000000199"), "Publisher A".to_owned(), quarter),
            (PartyKey::new("IPI:00000000297"), "Publisher B".to_owned(), quarter),
        ];
        let choices = vec![choice("IPI:00014107338", None, Consent::Included, 1)];
        let share = licensed_share("W1", &holders, Stage::Training, day(2), &choices, Consent::Reserved);
        assert_eq!(share.licensed, half);
        assert_eq!(share.reserved, half);
        let teosto = licensed_share("W1", &holders, Stage::Training, day(2), &[], Consent::Included);
        assert_eq!(teosto.licensed, Share::ONE);
    }
}
