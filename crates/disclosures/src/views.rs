//! Reading disclosures back: a disclosure with its latest match set and assessment, a model version's
//! disclosure in force, and what a rightsholder sees (which model versions' disclosures matched their
//! works, by which method).

use serde::Serialize;

use super::{Assessment, Disclosure, DisclosureError, MatchRow, MatchSet, MatchStatus, PartyMatch};
use crate::DisclosureStore;
use domain::ids::{DisclosureId, LicenseeId};
use ports::access::{Actor, Scope, UseCase};

/// A disclosure with what was made of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisclosureView {
    pub disclosure: Disclosure,
    pub match_set: Option<MatchSet>,
    pub match_sets: u32,
    pub assessment: Option<Assessment>,
    /// Whether the repertoire has changed since the latest match set (when asked: reading the repertoire's
    /// stamp counts every table of it, too much for a status someone polls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<bool>,
}

/// A disclosure with its latest match set and assessment; with `staleness`, whether the repertoire has
/// changed since it was matched.
#[tracing::instrument(skip_all)]
pub async fn show(
    store: &dyn DisclosureStore,
    actor: &Actor,
    id: &DisclosureId,
    staleness: bool,
) -> Result<DisclosureView, DisclosureError> {
    let disclosure = disclosure(store, actor, id).await?;
    let sets = store.match_sets(id).await?;
    let match_set = sets.last().cloned();
    let stale = match (&match_set, staleness) {
        (Some(set), true) => Some(set.repertoire_stamp != store.repertoire_stamp().await?),
        _ => None,
    };
    Ok(DisclosureView {
        stale,
        match_sets: sets.len() as u32,
        assessment: store.assessments(id).await?.pop(),
        match_set,
        disclosure,
    })
}

/// The most rows a page of matches holds.
pub const MAX_PAGE: u32 = 10_000;

/// A page of a disclosure's latest match set: the rows after item `after` (with `status`, if given), in item
/// order, at most `limit` (and [`MAX_PAGE`]); `None` while it has no match set.
#[tracing::instrument(skip_all)]
pub async fn matches(
    store: &dyn DisclosureStore,
    actor: &Actor,
    id: &DisclosureId,
    status: Option<MatchStatus>,
    after: u64,
    limit: u32,
) -> Result<Option<(MatchSet, Vec<MatchRow>)>, DisclosureError> {
    disclosure(store, actor, id).await?;
    let Some(set) = store.match_sets(id).await?.pop() else { return Ok(None) };
    let rows = store.matches(set.id, status, after, limit.min(MAX_PAGE)).await?;
    Ok(Some((set, rows)))
}

/// The disclosure in force for a licensee's model version, if any.
#[tracing::instrument(skip_all)]
pub async fn current_disclosure(
    store: &dyn DisclosureStore,
    actor: &Actor,
    licensee: &LicenseeId,
    model: &str,
) -> Result<Option<Disclosure>, DisclosureError> {
    actor.may(UseCase::ListDisclosures, Scope::Licensee(licensee))?;
    Ok(store.current_disclosure(licensee, model).await?)
}

/// The latest assessment of a model version's disclosure in force.
#[tracing::instrument(skip_all)]
pub async fn current_assessment(
    store: &dyn DisclosureStore,
    actor: &Actor,
    licensee: &LicenseeId,
    model: &str,
) -> Result<Option<Assessment>, DisclosureError> {
    actor.may(UseCase::ListDisclosures, Scope::Licensee(licensee))?;
    Ok(store.current_assessment(licensee, model).await?)
}

/// The disclosure an operator names: by id, or the one in force for a licensee's model version.
#[tracing::instrument(skip_all)]
pub async fn find(
    store: &dyn DisclosureStore,
    actor: &Actor,
    id: Option<&DisclosureId>,
    licensee: Option<&LicenseeId>,
    model: Option<&str>,
) -> Result<Disclosure, DisclosureError> {
    match (id, licensee, model) {
        (Some(id), _, _) => disclosure(store, actor, id).await,
        (None, Some(licensee), Some(model)) => current_disclosure(store, actor, licensee, model)
            .await?
            .ok_or_else(|| DisclosureError::UnknownDisclosure(format!("{licensee} {model}"))),
        _ => Err(DisclosureError::Request("give a disclosure id, or --licensee and --model".into())),
    }
}

/// For a party (by key or IPI name number): the items of current disclosures matched to its works.
#[tracing::instrument(skip_all)]
pub async fn party_matches(
    store: &dyn DisclosureStore,
    actor: &Actor,
    party: &str,
) -> Result<(String, Vec<PartyMatch>), DisclosureError> {
    let detail = store.party(party).await?;
    actor.may(UseCase::PartyMatches, Scope::Party(detail.as_ref().map_or(party, |d| d.party.key.as_str())))?;
    let detail = detail.ok_or_else(|| DisclosureError::UnknownParty(party.into()))?;
    let key = detail.party.key.as_str().to_owned();
    Ok((key.clone(), store.party_matches(&key).await?))
}

/// One disclosure by id, to whom may see it (its licensee and the society).
#[tracing::instrument(skip_all)]
pub async fn disclosure(
    store: &dyn DisclosureStore,
    actor: &Actor,
    id: &DisclosureId,
) -> Result<Disclosure, DisclosureError> {
    let found = store.disclosure(id).await?;
    // Whose it is is known once it is found; a licensee asking for another's id is refused either way.
    actor.may(UseCase::ShowDisclosure, found.as_ref().map_or(Scope::Society, |d| Scope::Licensee(&d.licensee)))?;
    found.ok_or_else(|| DisclosureError::UnknownDisclosure(id.into()))
}

/// The disclosures of one licensee, or with `None` of every licensee, in order of receipt.
#[tracing::instrument(skip_all)]
pub async fn list(
    store: &dyn DisclosureStore,
    actor: &Actor,
    licensee: Option<&LicenseeId>,
) -> Result<Vec<Disclosure>, DisclosureError> {
    let licensee = licensee.map(|l| l.as_str());
    actor.may(UseCase::ListDisclosures, licensee.map_or(Scope::Society, Scope::Licensee))?;
    Ok(store.disclosures(licensee).await?)
}

/// Every assessment of a disclosure, oldest first.
#[tracing::instrument(skip_all)]
pub async fn assessments(
    store: &dyn DisclosureStore,
    actor: &Actor,
    id: &DisclosureId,
) -> Result<Vec<Assessment>, DisclosureError> {
    disclosure(store, actor, id).await?;
    Ok(store.assessments(id).await?)
}
