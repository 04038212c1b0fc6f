//! Licensees (AI companies), their services and model versions, and the blanket agreement with its
//! versions: which stages, territories and societies' repertoire it covers, for which term, and whether a
//! reported use falls inside it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::consent::Stage;
use crate::society::SocietyCode;

/// An AI company the society licenses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licensee {
    pub id: String,
    pub name: String,
    /// ISO 3166 alpha-2 country of establishment (decides VAT treatment).
    pub country: String,
    pub vat_number: Option<String>,
    /// `micro`, `small`, `medium`, `large`.
    pub business_tier: String,
    pub contacts: Vec<String>,
}

/// A version of a model: a retrained model is a new version and needs its own training licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelVersion {
    pub id: String,
    pub licensee: String,
    pub name: String,
    pub version: String,
    /// Model versions this one was built on.
    pub base_models: Vec<String>,
    pub trained_on: Option<NaiveDate>,
    pub placed_on_eu_market: Option<NaiveDate>,
    /// Where the AI Act public training summary is published.
    pub training_summary_url: Option<String>,
}

/// Which model versions power a service from a date on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceModels {
    pub from: NaiveDate,
    pub model_versions: Vec<String>,
}

/// A licensee's product, with the dated timeline of the models behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub licensee: String,
    pub name: String,
    pub timeline: Vec<ServiceModels>,
}

impl Service {
    /// The model versions powering the service on `day`.
    pub fn models_on(&self, day: NaiveDate) -> &[String] {
        self.timeline
            .iter()
            .filter(|t| t.from <= day)
            .max_by_key(|t| t.from)
            .map_or(&[], |t| t.model_versions.as_slice())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgreementStatus {
    Draft,
    Active,
    Suspended,
    Ended,
}

/// One version of the blanket agreement; changes create a new version from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementVersion {
    pub version: u32,
    pub effective_from: NaiveDate,
    pub stages: Vec<Stage>,
    /// ISO 3166 alpha-2 codes.
    pub territories: Vec<String>,
    pub societies: Vec<SocietyCode>,
    pub services: Vec<String>,
    pub model_versions: Vec<String>,
    /// Output use types licensed (advertising, film and broadcast are not, unless listed).
    pub use_types: Vec<String>,
    pub term_until: Option<NaiveDate>,
    pub status: AgreementStatus,
}

impl AgreementVersion {
    /// Whether this version can be the one in force on `day`: it took effect by then and is not a draft
    /// (a draft is a proposal, never in force).
    pub fn may_be_in_force_on(&self, day: NaiveDate) -> bool {
        self.effective_from <= day && self.status != AgreementStatus::Draft
    }

    /// Among versions that may be in force, the one in force is the latest to take effect (then the highest
    /// number).
    pub fn precedence(&self) -> (NaiveDate, u32) {
        (self.effective_from, self.version)
    }
}

/// The blanket agreement with its history of versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub id: String,
    pub licensee: String,
    pub versions: Vec<AgreementVersion>,
}

/// A reported use, to check against the agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use<'a> {
    pub stage: Stage,
    pub day: NaiveDate,
    pub territory: &'a str,
    pub service: Option<&'a str>,
    pub model_version: Option<&'a str>,
    pub use_type: Option<&'a str>,
}

/// Why a use is outside the agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unlicensed {
    NoVersionInForce,
    NotActive(AgreementStatus),
    StageNotCovered(Stage),
    TerritoryNotCovered(String),
    ServiceNotCovered(String),
    ModelVersionNotCovered(String),
    UseTypeNotCovered(String),
    TermEnded(NaiveDate),
}

impl Agreement {
    /// The version in force on `day`: a report period is rated under the version in force on its first day.
    pub fn version_on(&self, day: NaiveDate) -> Option<&AgreementVersion> {
        self.versions.iter().filter(|v| v.may_be_in_force_on(day)).max_by_key(|v| v.precedence())
    }

    /// Whether a reported use is covered; every reason it is not, in a fixed order.
    pub fn check(&self, u: &Use<'_>) -> Result<&AgreementVersion, Vec<Unlicensed>> {
        let Some(v) = self.version_on(u.day) else { return Err(vec![Unlicensed::NoVersionInForce]) };
        let mut reasons = Vec::new();
        if v.status != AgreementStatus::Active {
            reasons.push(Unlicensed::NotActive(v.status));
        }
        if let Some(until) = v.term_until.filter(|until| u.day > *until) {
            reasons.push(Unlicensed::TermEnded(until));
        }
        if !v.stages.contains(&u.stage) {
            reasons.push(Unlicensed::StageNotCovered(u.stage));
        }
        if !v.territories.iter().any(|t| t.eq_ignore_ascii_case(u.territory)) {
            reasons.push(Unlicensed::TerritoryNotCovered(u.territory.to_owned()));
        }
        if let Some(s) = u.service.filter(|s| !v.services.iter().any(|x| x == s)) {
            reasons.push(Unlicensed::ServiceNotCovered(s.to_owned()));
        }
        if let Some(m) = u.model_version.filter(|m| !v.model_versions.iter().any(|x| x == m)) {
            reasons.push(Unlicensed::ModelVersionNotCovered(m.to_owned()));
        }
        if let Some(t) = u.use_type.filter(|t| !v.use_types.iter().any(|x| x == t)) {
            reasons.push(Unlicensed::UseTypeNotCovered(t.to_owned()));
        }
        if reasons.is_empty() { Ok(v) } else { Err(reasons) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn agreement() -> Agreement {
        let v1 = AgreementVersion {
            version: 1,
            effective_from: day(1, 1),
            stages: vec![Stage::Training, Stage::Service],
            territories: vec!["SE".into()],
            societies: vec![SocietyCode::STIM],
            services: vec!["app".into()],
            model_versions: vec!["sf-1".into()],
            use_types: vec![],
            term_until: None,
            status: AgreementStatus::Active,
        };
        let v2 = AgreementVersion {
            version: 2,
            effective_from: day(6, 1),
            stages: vec![Stage::Training, Stage::Service, Stage::Output],
            territories: vec!["SE".into(), "NO".into()],
            model_versions: vec!["sf-1".into(), "sf-2".into()],
            use_types: vec!["stream".into()],
            ..v1.clone()
        };
        Agreement { id: "A1".into(), licensee: "songfox".into(), versions: vec![v1, v2] }
    }

    #[test]
    fn the_version_in_force_on_the_first_day_decides() {
        let a = agreement();
        assert_eq!(a.version_on(day(5, 31)).map(|v| v.version), Some(1));
        assert_eq!(a.version_on(day(6, 1)).map(|v| v.version), Some(2));
        let early = Agreement { versions: vec![], ..a.clone() };
        assert!(early.version_on(day(1, 1)).is_none());
    }

    #[test]
    fn uses_outside_the_agreement_are_flagged_with_every_reason() {
        let a = agreement();
        let output_in_norway = Use {
            stage: Stage::Output,
            day: day(3, 1),
            territory: "NO",
            service: Some("app"),
            model_version: Some("sf-2"),
            use_type: Some("stream"),
        };
        assert_eq!(
            a.check(&output_in_norway).unwrap_err(),
            vec![
                Unlicensed::StageNotCovered(Stage::Output),
                Unlicensed::TerritoryNotCovered("NO".into()),
                Unlicensed::ModelVersionNotCovered("sf-2".into()),
                Unlicensed::UseTypeNotCovered("stream".into())
            ]
        );
        let later = Use { day: day(7, 1), ..output_in_norway.clone() };
        assert_eq!(a.check(&later).map(|v| v.version), Ok(2));
        let advertising = Use { use_type: Some("advertising"), ..later };
        assert_eq!(a.check(&advertising).unwrap_err(), vec![Unlicensed::UseTypeNotCovered("advertising".into())]);
    }

    #[test]
    fn a_service_names_its_models_by_date() {
        let s = Service {
            id: "app".into(),
            licensee: "songfox".into(),
            name: "Songfox".into(),
            timeline: vec![
                ServiceModels { from: day(1, 1), model_versions: vec!["sf-1".into()] },
                ServiceModels { from: day(6, 1), model_versions: vec!["sf-2".into()] },
            ],
        };
        assert_eq!(s.models_on(day(5, 1)), ["sf-1"]);
        assert_eq!(s.models_on(day(6, 2)), ["sf-2"]);
        assert!(s.models_on(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()).is_empty());
    }
}
