//! Registry use cases beyond import: set up the society, look works and parties up, record consent and
//! origin, and compute a work's licensed share per AI stage.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Consent, ConsentChoice, LicensedShare, Origin, PartyKey, SocietyCode, SocietyRules, Stage, consent};

use crate::store::{
    PartyDetail, RegistryCounts, RepertoireStore, Revision, SocietyConfig, StoreError, StoreResult, WorkDetail,
    WorkSummary,
};
use ports::access::{Actor, Denied, Scope, UseCase};

/// Errors of registry operations a person asked for.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("no work with code or ISWC {0:?}: check the code with `tantiem works search`")]
    UnknownWork(String),
    #[error("no party with key or IPI name number {0:?}: check it with `tantiem works show`")]
    UnknownParty(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] Denied),
}

/// Creates the society's configuration if the store has none; returns what is in force.
#[tracing::instrument(skip_all)]
pub async fn initialise(
    store: &dyn RepertoireStore,
    actor: &Actor,
    code: SocietyCode,
    name: Option<&str>,
) -> Result<SocietyConfig, RegistryError> {
    actor.may(UseCase::Initialise, Scope::Society)?;
    if let Some(existing) = store.society().await? {
        return Ok(existing);
    }
    let name = name
        .map(str::to_owned)
        .or_else(|| code.info().map(|i| i.name.clone()))
        .unwrap_or_else(|| format!("Society {code}"));
    let config = SocietyConfig { code, name, rules: SocietyRules::default_for(code) };
    store.set_society(&config).await?;
    Ok(config)
}

/// A work's licensed share for each stage on `as_of` (the training date of a model, or today). A step of
/// the use cases that show a work or answer the per-work lookup, which decide who may see it.
#[tracing::instrument(skip_all)]
pub async fn licensed_shares(
    store: &dyn RepertoireStore,
    detail: &WorkDetail,
    as_of: NaiveDate,
) -> StoreResult<Vec<LicensedShare>> {
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let Some(primary) = detail.primary() else {
        return Ok(Vec::new());
    };
    let holders = primary.work.consent_holders();
    let keys: Vec<PartyKey> = holders.iter().map(|h| h.0.clone()).collect();
    let choices = store.consent_for(&keys).await?;
    Ok(Stage::ALL
        .into_iter()
        .map(|stage| {
            consent::licensed_share(
                &detail.summary.code,
                &holders,
                stage,
                as_of,
                &choices,
                society.rules.default_consent(stage),
            )
        })
        .collect())
}

/// What a person asked to record about a party's consent.
#[derive(Debug, Clone)]
pub struct ConsentRequest {
    pub party: String,
    pub work: Option<String>,
    pub stages: Vec<Stage>,
    pub consent: Consent,
    pub effective_from: NaiveDate,
    pub note: String,
}

/// Records a consent choice for each requested stage, after checking that the party (and work) exist.
#[tracing::instrument(skip_all)]
pub async fn set_consent(
    store: &dyn RepertoireStore,
    actor: &Actor,
    request: &ConsentRequest,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<ConsentChoice>, RegistryError> {
    let party = party(store, actor, &request.party).await?;
    actor.may(UseCase::SetConsent, Scope::Party(party.party.key.as_str()))?;
    let work_code = match &request.work {
        Some(w) => Some(store.work(w).await?.ok_or_else(|| RegistryError::UnknownWork(w.clone()))?.summary.code),
        None => None,
    };
    let mut recorded = Vec::new();
    for &stage in &request.stages {
        let choice = ConsentChoice {
            party: party.party.key.clone(),
            work_code: work_code.clone(),
            stage,
            consent: request.consent,
            effective_from: request.effective_from,
            recorded_by: by.to_owned(),
            recorded_at: now,
            note: request.note.clone(),
        };
        store.add_consent(&choice).await?;
        recorded.push(choice);
    }
    Ok(recorded)
}

/// Records a mandate for a party that the registry knows.
#[tracing::instrument(skip_all)]
pub async fn add_mandate(
    store: &dyn RepertoireStore,
    actor: &Actor,
    party: &str,
    mut mandate: domain::Mandate,
) -> Result<domain::Mandate, RegistryError> {
    actor.may(UseCase::AddMandate, Scope::Society)?;
    let detail = store.party(party).await?.ok_or_else(|| RegistryError::UnknownParty(party.to_owned()))?;
    mandate.party = detail.party.key;
    store.add_mandate(&mandate).await?;
    Ok(mandate)
}

/// Changes the society's rules (publisher PR cap, share tolerance, AI consent defaults).
#[tracing::instrument(skip_all)]
pub async fn set_rules(
    store: &dyn RepertoireStore,
    actor: &Actor,
    rules: SocietyRules,
) -> Result<SocietyConfig, RegistryError> {
    actor.may(UseCase::SetRules, Scope::Society)?;
    let mut society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    society.rules = rules;
    store.set_society(&society).await?;
    Ok(society)
}

/// Declares a work's origin, kept in its history.
#[tracing::instrument(skip_all)]
pub async fn set_origin(
    store: &dyn RepertoireStore,
    actor: &Actor,
    work: &str,
    origin: Origin,
    by: &str,
    now: DateTime<Utc>,
    note: &str,
) -> Result<String, RegistryError> {
    actor.may(UseCase::SetWorkOrigin, Scope::Society)?;
    let detail = store.work(work).await?.ok_or_else(|| RegistryError::UnknownWork(work.to_owned()))?;
    let code = detail.summary.code.clone();
    let revision = Revision {
        work_code: code.clone(),
        revision: 0,
        change: "origin".into(),
        submitter: String::new(),
        submitter_work_number: String::new(),
        summary: format!(
            "origin {} → {}{}",
            detail.summary.origin.as_str(),
            origin.as_str(),
            if note.is_empty() { String::new() } else { format!(" ({note})") }
        ),
        changed_at: now,
        changed_by: by.to_owned(),
        document: None,
    };
    store.set_origin(&code, origin, &revision).await?;
    Ok(code)
}

/// The society running this Tantiem and its rules (public: its offer is built from them).
#[tracing::instrument(skip_all)]
pub async fn society(store: &dyn RepertoireStore, actor: &Actor) -> Result<SocietyConfig, RegistryError> {
    actor.may(UseCase::ShowSociety, Scope::Society)?;
    Ok(store.society().await?.ok_or(StoreError::NotInitialised)?)
}

/// Works whose title, code or ISWC matches `text`.
#[tracing::instrument(skip_all)]
pub async fn search_works(
    store: &dyn RepertoireStore,
    actor: &Actor,
    text: &str,
    limit: u32,
) -> Result<Vec<WorkSummary>, RegistryError> {
    actor.may(UseCase::SearchWorks, Scope::Society)?;
    Ok(store.search_works(text, limit).await?)
}

/// A work by its society code or ISWC, with its registrations and history.
#[tracing::instrument(skip_all)]
pub async fn work(store: &dyn RepertoireStore, actor: &Actor, code_or_iswc: &str) -> Result<WorkDetail, RegistryError> {
    actor.may(UseCase::ShowWork, Scope::Society)?;
    store.work(code_or_iswc).await?.ok_or_else(|| RegistryError::UnknownWork(code_or_iswc.to_owned()))
}

/// The recordings linked to a work (by ERN, CWR REC records or an operator).
#[tracing::instrument(skip_all)]
pub async fn work_recordings(
    store: &dyn RepertoireStore,
    actor: &Actor,
    work_code: &str,
) -> Result<Vec<crate::store::StoredRecording>, RegistryError> {
    actor.may(UseCase::ShowWork, Scope::Society)?;
    Ok(store.work_recordings(work_code).await?)
}

/// A party by key (`IPI:…`, `SUB:…`) or bare IPI name number, with its interests, consent and mandates.
#[tracing::instrument(skip_all)]
pub async fn party(store: &dyn RepertoireStore, actor: &Actor, key_or_ipi: &str) -> Result<PartyDetail, RegistryError> {
    // Who may see it is known once it is found; a member asking for another's party learns nothing more
    // than a refusal either way.
    let detail = store.party(key_or_ipi).await?;
    let key = detail.as_ref().map_or(key_or_ipi, |d| d.party.key.as_str());
    actor.may(UseCase::ShowParty, Scope::Party(key))?;
    detail.ok_or_else(|| RegistryError::UnknownParty(key_or_ipi.to_owned()))
}

/// Counts of what the registry holds.
#[tracing::instrument(skip_all)]
pub async fn counts(store: &dyn RepertoireStore, actor: &Actor) -> Result<RegistryCounts, RegistryError> {
    actor.may(UseCase::RegistryCounts, Scope::Society)?;
    Ok(store.counts().await?)
}
