//! Recording licensees, their services and model versions, and the agreement with its versions. Each
//! function checks what a person typed against what the store knows and says what to fix.

use chrono::{DateTime, NaiveDate, Utc};
use domain::licensing::{AgreementStatus, AgreementVersion, Licensee, ModelVersion, Service, ServiceModels};
use domain::{Stage, Territories};

use super::store::{AgreementRecord, StoredAgreement};
use super::terms::AgreementTerms;
use crate::store::LicensingStore;
use domain::ids::LicenseeId;
use ports::StoreError;
use ports::access::{Actor, Denied, Scope, UseCase};

#[derive(Debug, thiserror::Error)]
pub enum LicensingError {
    #[error("{0:?} is not a usable id: use letters, digits, '-', '_' and '.', at most 64 characters")]
    BadId(String),
    #[error("no licensee {0:?}: add it with `tantiem licensee add`")]
    UnknownLicensee(String),
    #[error("{0:?} is not an ISO 3166 alpha-2 country code in the CISAC territory tables")]
    BadCountry(String),
    #[error("business tier {0:?}: use micro, small, medium or large")]
    BadTier(String),
    #[error("no {kind} {id:?} for licensee {licensee:?}: add it first")]
    Unknown { kind: &'static str, id: String, licensee: String },
    #[error("licensee {0:?} already has agreement {1:?}: amend it instead (one blanket agreement per licensee)")]
    AgreementExists(String, String),
    #[error("licensee {0:?} has no agreement: create one with `tantiem agreement create`")]
    NoAgreement(String),
    #[error("a new version must take effect on or after {0}, the date the current version took effect")]
    BackdatedVersion(NaiveDate),
    #[error("{0:?} is not an amount in the tariff's currency (e.g. 5000.00)")]
    BadAmount(String),
    #[error("the tariff is in {tariff} but the minimum guarantee or advance is in {guarantee}: use one currency")]
    GuaranteeCurrency { tariff: money::Currency, guarantee: money::Currency },
    #[error(
        "the agreement licenses outputs for use type {use_type:?}, which its tariff does not price (it prices {priced}): add a rate for it to the tariff, or leave it out"
    )]
    UnpricedUseType { use_type: String, priced: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] Denied),
}

fn check_id(id: &str) -> Result<(), LicensingError> {
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok { Ok(()) } else { Err(LicensingError::BadId(id.into())) }
}

fn check_country(code: &str) -> Result<String, LicensingError> {
    let upper = code.trim().to_ascii_uppercase();
    Territories::cisac().from_iso(&upper).map(|_| upper).ok_or_else(|| LicensingError::BadCountry(code.into()))
}

/// Adds or updates a licensee.
#[tracing::instrument(skip_all)]
pub async fn put_licensee(
    store: &dyn LicensingStore,
    actor: &Actor,
    mut licensee: Licensee,
) -> Result<Licensee, LicensingError> {
    actor.may(UseCase::PutLicensee, Scope::Society)?;
    check_id(&licensee.id)?;
    licensee.country = check_country(&licensee.country)?;
    licensee.business_tier = licensee.business_tier.to_ascii_lowercase();
    if !["micro", "small", "medium", "large"].contains(&licensee.business_tier.as_str()) {
        return Err(LicensingError::BadTier(licensee.business_tier));
    }
    store.put_licensee(&licensee).await?;
    Ok(licensee)
}

async fn known_licensee(store: &dyn LicensingStore, id: &str) -> Result<Licensee, LicensingError> {
    store.licensee(id).await?.ok_or_else(|| LicensingError::UnknownLicensee(id.into()))
}

/// Adds or updates a model version. A retrained model is a new version with its own id.
#[tracing::instrument(skip_all)]
pub async fn put_model_version(
    store: &dyn LicensingStore,
    actor: &Actor,
    model: ModelVersion,
) -> Result<ModelVersion, LicensingError> {
    actor.may(UseCase::PutModelVersion, Scope::Society)?;
    check_id(&model.id)?;
    known_licensee(store, &model.licensee).await?;
    // A base model may be another company's (named as it names it), so only its form is checked.
    if let Some(base) = model.base_models.iter().find(|b| b.trim().is_empty()) {
        return Err(LicensingError::BadId(base.clone()));
    }
    store.put_model_version(&model).await?;
    Ok(model)
}

/// Adds a service, or adds to its timeline the model versions powering it from a date.
#[tracing::instrument(skip_all)]
pub async fn put_service(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    id: &str,
    name: &str,
    models_from: Option<(NaiveDate, Vec<String>)>,
) -> Result<Service, LicensingError> {
    actor.may(UseCase::PutService, Scope::Society)?;
    check_id(id)?;
    known_licensee(store, licensee).await?;
    let models = store.model_versions(licensee).await?;
    let mut service = store.services(licensee).await?.into_iter().find(|s| s.id == id).unwrap_or_else(|| Service {
        id: id.into(),
        licensee: licensee.into(),
        name: name.into(),
        timeline: Vec::new(),
    });
    if !name.is_empty() {
        service.name = name.into();
    }
    if let Some((from, versions)) = models_from {
        if let Some(missing) = versions.iter().find(|v| !models.iter().any(|m| &m.id == *v)) {
            return Err(LicensingError::Unknown {
                kind: "model version",
                id: missing.clone(),
                licensee: licensee.into(),
            });
        }
        service.timeline.retain(|t| t.from != from);
        service.timeline.push(ServiceModels { from, model_versions: versions });
        service.timeline.sort_by_key(|t| t.from);
    }
    store.put_service(&service).await?;
    Ok(service)
}

/// The coverage of an agreement version as a person gives it.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub effective_from: NaiveDate,
    pub stages: Vec<Stage>,
    pub territories: Vec<String>,
    pub societies: Vec<domain::SocietyCode>,
    pub services: Vec<String>,
    pub model_versions: Vec<String>,
    pub use_types: Vec<String>,
    pub term_until: Option<NaiveDate>,
    pub status: AgreementStatus,
}

async fn checked_version(
    store: &dyn LicensingStore,
    licensee: &str,
    version: u32,
    c: Coverage,
) -> Result<AgreementVersion, LicensingError> {
    let territories = c.territories.iter().map(|t| check_country(t)).collect::<Result<Vec<_>, _>>()?;
    let services = store.services(licensee).await?;
    if let Some(missing) = c.services.iter().find(|s| !services.iter().any(|x| &x.id == *s)) {
        return Err(LicensingError::Unknown { kind: "service", id: missing.clone(), licensee: licensee.into() });
    }
    let models = store.model_versions(licensee).await?;
    if let Some(missing) = c.model_versions.iter().find(|m| !models.iter().any(|x| &x.id == *m)) {
        return Err(LicensingError::Unknown { kind: "model version", id: missing.clone(), licensee: licensee.into() });
    }
    Ok(AgreementVersion {
        version,
        effective_from: c.effective_from,
        stages: c.stages,
        territories,
        societies: c.societies,
        services: c.services,
        model_versions: c.model_versions,
        use_types: c.use_types.iter().map(|u| u.trim().to_ascii_lowercase()).collect(),
        term_until: c.term_until,
        status: c.status,
    })
}

/// Refuses an agreement that licenses the use of outputs for a use type its tariff does not price: every
/// invoice of such a use would otherwise be refused when it is run, months later.
fn check_use_types(coverage: &AgreementVersion, terms: &AgreementTerms) -> Result<(), LicensingError> {
    if !coverage.stages.contains(&Stage::Output) {
        return Ok(());
    }
    let rates = &terms.tariff.output.rates;
    match coverage.use_types.iter().find(|u| !rates.contains_key(&rating::UseType((*u).clone()))) {
        Some(unpriced) => Err(LicensingError::UnpricedUseType {
            use_type: unpriced.clone(),
            priced: rates.keys().map(|u| u.0.clone()).collect::<Vec<_>>().join(", "),
        }),
        None => Ok(()),
    }
}

fn check_terms(terms: &AgreementTerms) -> Result<(), LicensingError> {
    let tariff = terms.tariff.currency;
    match [terms.minimum_guarantee, terms.advance].into_iter().flatten().find(|a| a.currency() != tariff) {
        Some(other) => Err(LicensingError::GuaranteeCurrency { tariff, guarantee: other.currency() }),
        None => Ok(()),
    }
}

/// Creates the licensee's blanket agreement (version 1).
#[tracing::instrument(skip_all)]
pub async fn create_agreement(
    store: &dyn LicensingStore,
    actor: &Actor,
    id: &str,
    licensee: &LicenseeId,
    coverage: Coverage,
    terms: AgreementTerms,
    now: DateTime<Utc>,
) -> Result<StoredAgreement, LicensingError> {
    actor.may(UseCase::CreateAgreement, Scope::Society)?;
    check_id(id)?;
    known_licensee(store, licensee).await?;
    if let Some(existing) = store.agreement_of(licensee).await? {
        return Err(LicensingError::AgreementExists(licensee.into(), existing.id));
    }
    let version = Version { number: 1, coverage, terms };
    record_version(store, id, licensee, version, &actor.name(), now).await
}

/// A version about to be recorded.
struct Version {
    number: u32,
    coverage: Coverage,
    terms: AgreementTerms,
}

/// Checks and records a version, and reads the agreement back.
async fn record_version(
    store: &dyn LicensingStore,
    id: &str,
    licensee: &str,
    v: Version,
    by: &str,
    now: DateTime<Utc>,
) -> Result<StoredAgreement, LicensingError> {
    check_terms(&v.terms)?;
    let coverage = checked_version(store, licensee, v.number, v.coverage).await?;
    check_use_types(&coverage, &v.terms)?;
    let record = AgreementRecord { coverage, terms: v.terms, recorded_at: now, recorded_by: by.into() };
    store.add_agreement_version(id, licensee, &record).await?;
    store.agreement_of(licensee).await?.ok_or_else(|| LicensingError::NoAgreement(licensee.into()))
}

/// Adds a new version of the agreement, taking effect from `coverage.effective_from`.
#[tracing::instrument(skip_all)]
pub async fn amend_agreement(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    coverage: Coverage,
    terms: AgreementTerms,
    now: DateTime<Utc>,
) -> Result<StoredAgreement, LicensingError> {
    actor.may(UseCase::AmendAgreement, Scope::Society)?;
    let agreement = store.agreement_of(licensee).await?.ok_or_else(|| LicensingError::NoAgreement(licensee.into()))?;
    let latest = agreement.latest().ok_or_else(|| LicensingError::NoAgreement(licensee.into()))?;
    if coverage.effective_from < latest.coverage.effective_from {
        return Err(LicensingError::BackdatedVersion(latest.coverage.effective_from));
    }
    let version = Version { number: latest.coverage.version + 1, coverage, terms };
    record_version(store, &agreement.id, licensee, version, &actor.name(), now).await
}

/// The coverage of an existing version, for an amendment that changes only some of it.
pub fn coverage_of(v: &AgreementVersion, effective_from: NaiveDate) -> Coverage {
    Coverage {
        effective_from,
        stages: v.stages.clone(),
        territories: v.territories.clone(),
        societies: v.societies.clone(),
        services: v.services.clone(),
        model_versions: v.model_versions.clone(),
        use_types: v.use_types.clone(),
        term_until: v.term_until,
        status: v.status,
    }
}

/// What a person sets on an agreement version; every part left `None` keeps the version it amends (or, for a
/// new agreement, takes the default: every stage, this society's repertoire, active, the illustrative tariff
/// in EUR and its default terms). The CLI, the API and the web app build one of these; the rules of what is
/// kept and what is defaulted are here, once.
#[derive(Debug, Clone, Default)]
pub struct AgreementChange {
    pub stages: Option<Vec<Stage>>,
    pub territories: Option<Vec<String>>,
    pub societies: Option<Vec<domain::SocietyCode>>,
    pub services: Option<Vec<String>>,
    pub model_versions: Option<Vec<String>>,
    pub use_types: Option<Vec<String>>,
    pub term_until: Option<NaiveDate>,
    pub status: Option<AgreementStatus>,
    pub tariff: Option<rating::Tariff>,
    /// Decimal amounts in the tariff's currency.
    pub minimum_guarantee: Option<String>,
    pub advance: Option<String>,
    pub payment_days: Option<u32>,
    pub report_due_days: Option<u32>,
    pub presumption_window_days: Option<u32>,
}

impl AgreementChange {
    /// The coverage and terms of the version taking effect on `from`: this change over `base` (the version it
    /// amends) or over the defaults for `society`.
    pub fn apply(
        self,
        society: domain::SocietyCode,
        base: Option<&AgreementRecord>,
        from: NaiveDate,
    ) -> Result<(Coverage, AgreementTerms), LicensingError> {
        let mut coverage = match base {
            Some(b) => coverage_of(&b.coverage, from),
            None => Coverage {
                effective_from: from,
                stages: Stage::ALL.to_vec(),
                territories: Vec::new(),
                societies: vec![society],
                services: Vec::new(),
                model_versions: Vec::new(),
                use_types: Vec::new(),
                term_until: None,
                status: AgreementStatus::Active,
            },
        };
        let keep = |new: Option<Vec<_>>, old: &mut Vec<_>| {
            if let Some(new) = new.filter(|n: &Vec<_>| !n.is_empty()) {
                *old = new;
            }
        };
        keep(self.territories, &mut coverage.territories);
        keep(self.services, &mut coverage.services);
        keep(self.model_versions, &mut coverage.model_versions);
        keep(self.use_types, &mut coverage.use_types);
        if let Some(stages) = self.stages.filter(|s| !s.is_empty()) {
            coverage.stages = stages;
        }
        if let Some(societies) = self.societies.filter(|s| !s.is_empty()) {
            coverage.societies = societies;
        }
        coverage.term_until = self.term_until.or(coverage.term_until);
        coverage.status = self.status.unwrap_or(coverage.status);
        let mut terms = match (base, self.tariff) {
            (Some(b), Some(tariff)) => AgreementTerms { tariff, ..b.terms.clone() },
            (None, Some(tariff)) => AgreementTerms::new(tariff),
            (Some(b), None) => b.terms.clone(),
            (None, None) => AgreementTerms::new(
                rating::Tariff::illustrative(money::Currency::EUR)
                    .map_err(|e| LicensingError::BadAmount(e.to_string()))?,
            ),
        };
        let amount = |text: &str| {
            money::Amount::parse(text, terms.tariff.currency).map_err(|_| LicensingError::BadAmount(text.into()))
        };
        if let Some(g) = &self.minimum_guarantee {
            terms.minimum_guarantee = Some(amount(g)?);
        }
        if let Some(a) = &self.advance {
            terms.advance = Some(amount(a)?);
        }
        terms.payment_days = self.payment_days.unwrap_or(terms.payment_days);
        terms.reporting.due_days = self.report_due_days.unwrap_or(terms.reporting.due_days);
        terms.presumption.window_days = self.presumption_window_days.unwrap_or(terms.presumption.window_days);
        Ok((coverage, terms))
    }
}

/// Creates the licensee's blanket agreement from what a person set, the rest defaulted.
#[tracing::instrument(skip_all)]
pub async fn create_agreement_with(
    store: &dyn LicensingStore,
    actor: &Actor,
    id: &str,
    licensee: &LicenseeId,
    from: NaiveDate,
    change: AgreementChange,
    now: DateTime<Utc>,
) -> Result<StoredAgreement, LicensingError> {
    actor.may(UseCase::CreateAgreement, Scope::Society)?;
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let (coverage, terms) = change.apply(society.code, None, from)?;
    create_agreement(store, actor, id, licensee, coverage, terms, now).await
}

/// Amends the licensee's agreement from what a person changed, the rest kept from the latest version.
#[tracing::instrument(skip_all)]
pub async fn amend_agreement_with(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    from: NaiveDate,
    change: AgreementChange,
    now: DateTime<Utc>,
) -> Result<StoredAgreement, LicensingError> {
    actor.may(UseCase::AmendAgreement, Scope::Society)?;
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let agreement = store.agreement_of(licensee).await?.ok_or_else(|| LicensingError::NoAgreement(licensee.into()))?;
    let latest = agreement.latest().ok_or_else(|| LicensingError::NoAgreement(licensee.into()))?;
    let (coverage, terms) = change.apply(society.code, Some(latest), from)?;
    amend_agreement(store, actor, licensee, coverage, terms, now).await
}

/// A licensee as it sees itself: its record, services, model versions and agreement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LicenseeView {
    pub licensee: Licensee,
    pub services: Vec<Service>,
    pub model_versions: Vec<ModelVersion>,
    pub agreement: Option<StoredAgreement>,
}

/// One licensee with its services, model versions and agreement.
#[tracing::instrument(skip_all)]
pub async fn show(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
) -> Result<LicenseeView, LicensingError> {
    actor.may(UseCase::ShowLicensee, Scope::Licensee(licensee))?;
    Ok(LicenseeView {
        licensee: known_licensee(store, licensee).await?,
        services: store.services(licensee).await?,
        model_versions: store.model_versions(licensee).await?,
        agreement: store.agreement_of(licensee).await?,
    })
}

/// Every licensee.
#[tracing::instrument(skip_all)]
pub async fn list(store: &dyn LicensingStore, actor: &Actor) -> Result<Vec<Licensee>, LicensingError> {
    actor.may(UseCase::ListLicensees, Scope::Society)?;
    Ok(store.licensees().await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::SocietyCode;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_new_agreement_takes_the_defaults_and_an_amendment_keeps_what_it_does_not_change() {
        let first = AgreementChange {
            territories: Some(vec!["SE".into(), "NO".into()]),
            minimum_guarantee: Some("5000".into()),
            ..AgreementChange::default()
        };
        let (coverage, terms) = first.apply(SocietyCode::STIM, None, day(2026, 1, 1)).unwrap();
        assert_eq!(coverage.stages, Stage::ALL.to_vec());
        assert_eq!(coverage.societies, vec![SocietyCode::STIM]);
        assert_eq!(coverage.status, AgreementStatus::Active);
        assert_eq!(terms.minimum_guarantee.map(|g| g.to_string()), Some("5000.000000 EUR".to_owned()));
        let version = AgreementVersion {
            version: 1,
            effective_from: coverage.effective_from,
            stages: coverage.stages,
            territories: coverage.territories,
            societies: coverage.societies,
            services: coverage.services,
            model_versions: coverage.model_versions,
            use_types: coverage.use_types,
            term_until: coverage.term_until,
            status: coverage.status,
        };
        let base = AgreementRecord {
            coverage: version,
            terms,
            recorded_at: chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
            recorded_by: "staff".into(),
        };
        let amendment = AgreementChange {
            status: Some(AgreementStatus::Suspended),
            territories: Some(vec![]),
            payment_days: Some(45),
            ..AgreementChange::default()
        };
        let (coverage, terms) = amendment.apply(SocietyCode::STIM, Some(&base), day(2026, 12, 1)).unwrap();
        assert_eq!((coverage.effective_from, coverage.status), (day(2026, 12, 1), AgreementStatus::Suspended));
        assert_eq!(coverage.territories, ["SE", "NO"], "an empty list changes nothing");
        assert_eq!(terms.payment_days, 45);
        assert_eq!(terms.minimum_guarantee, base.terms.minimum_guarantee);
        let bad = AgreementChange { advance: Some("lots".into()), ..AgreementChange::default() };
        assert!(matches!(
            bad.apply(SocietyCode::STIM, Some(&base), day(2027, 1, 1)),
            Err(LicensingError::BadAmount(_))
        ));
    }
}
