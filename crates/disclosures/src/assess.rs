//! The transparency assessment of a disclosure on its latest match set, and what follows from it: the
//! verdict and its reasons (`domain::disclosure`), the licensed works matched, the matched works whose
//! holders reserved training (flagged to the society as unlicensed use, with the shares concerned), and the
//! presumption rule.
//!
//! The presumption: while a model version's disclosure is not fully transparent, its training fee is
//! priced on the whole licensed repertoire and the part beyond the works it matched is held (see
//! `licensing::pricing`). When a disclosure earns *full* within the window, each held part is settled: the
//! fee for the licensed works the disclosure matched (beyond those already priced as disclosed) goes to the
//! training pool and the rest is credited back with its VAT. After the window the part is released to
//! distribution instead. Every step is a journal entry with an idempotency key.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use domain::disclosure::{DisclosureFacts, Verdict, assess as judge};
use domain::{PartyKey, Stage, consent};
use formats::disclosure::source_key;

use super::{Assessment, Disclosure, DisclosureError, UnlicensedUse};
use crate::DisclosureStore;
use domain::ids::DisclosureId;
use licensing::invoicing::{Settled, Settlement, held_parts, settle_part};
use ports::access::{Actor, Scope, UseCase};
use ports::{StoreError, stored_id};

/// Matched works with reservations listed one by one in an assessment (the count covers all).
pub const UNLICENSED_LISTED: usize = 1_000;
/// Undeclared sources named one by one in a reason.
const SOURCES_NAMED: usize = 10;
/// Works read from the store per query.
const CHUNK: usize = 1_000;

/// Whether an item's source is one the licensee declared: the same, a subdomain of it, or a page under it.
fn is_declared(source: &str, declared: &BTreeSet<String>) -> bool {
    let s = source_key(source);
    declared.contains(&s)
        || declared.iter().any(|d| !d.is_empty() && (s.ends_with(&format!(".{d}")) || s.starts_with(&format!("{d}/"))))
}

/// The facts the criteria are applied to.
pub fn facts(d: &Disclosure) -> DisclosureFacts {
    let mut declared: BTreeSet<String> = BTreeSet::new();
    if let Some(summary) = &d.summary {
        declared.extend(summary.named_sources().iter().map(|s| source_key(s)));
    }
    for c in &d.croissant {
        declared.insert(source_key(&c.name));
        declared.extend(c.url.iter().map(|u| source_key(u)));
    }
    let mut with_declared_source = 0;
    let mut undeclared: Vec<&String> = Vec::new();
    for (source, items) in &d.stats.sources {
        if is_declared(source, &declared) {
            with_declared_source += items;
        } else {
            undeclared.push(source);
        }
    }
    DisclosureFacts {
        items: d.stats.items,
        identifiable: d.stats.identifiable,
        with_source: d.stats.with_source,
        listed_seconds: d.stats.duration_s_total,
        declared_items: d.declared.items,
        declared_milli_hours: d.declared.milli_hours,
        has_summary: d.summary.is_some(),
        summary_audio_size: d.summary.as_ref().and_then(|s| s.audio_size()),
        has_croissant: !d.croissant.is_empty(),
        // Sources beyond those the statistics name one by one cannot be checked: they count as undeclared.
        with_declared_source,
        undeclared_sources: undeclared.into_iter().take(SOURCES_NAMED).cloned().collect(),
    }
}

/// The day reservations are read for: the model version's training day (or its market date), else today.
async fn consent_day(store: &dyn DisclosureStore, d: &Disclosure, today: NaiveDate) -> Result<NaiveDate, StoreError> {
    let models = store.model_versions(&d.licensee).await?;
    let model = models.iter().find(|m| m.id == d.model_version);
    Ok(model.and_then(|m| m.trained_on.or(m.placed_on_eu_market)).unwrap_or(today))
}

/// What the matched works come to: how many, how many the licence can cover, and those with training
/// reserved by any of their holders.
struct WorksFound {
    matched: u64,
    licensed: u64,
    unlicensed: Vec<UnlicensedUse>,
    unlicensed_count: u64,
}

async fn matched_works(
    store: &dyn DisclosureStore,
    match_set: u64,
    as_of: NaiveDate,
) -> Result<WorksFound, DisclosureError> {
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let default = society.rules.default_consent(Stage::Training);
    let works = store.matched_works(match_set).await?;
    let mut found =
        WorksFound { matched: works.len() as u64, licensed: 0, unlicensed: Vec::new(), unlicensed_count: 0 };
    let items: BTreeMap<&str, u64> = works.iter().map(|(code, n)| (code.as_str(), *n)).collect();
    let codes: Vec<String> = works.iter().map(|(c, _)| c.clone()).collect();
    for chunk in codes.chunks(CHUNK) {
        let rows = store.works_for_assessment(chunk).await?;
        // (code, title, holders whose consent governs the work).
        type Holders = Vec<(PartyKey, String, money::Share)>;
        let holders: Vec<(String, String, Holders)> = rows
            .into_iter()
            .filter(|(_, _, origin, _)| origin.is_distributable())
            .map(|(code, title, _, work)| (code, title, work.map(|w| w.consent_holders()).unwrap_or_default()))
            .collect();
        found.licensed += holders.len() as u64;
        let mut keys: Vec<PartyKey> = holders.iter().flat_map(|(_, _, h)| h.iter().map(|x| x.0.clone())).collect();
        keys.sort();
        keys.dedup();
        let mut choices = Vec::new();
        for part in keys.chunks(CHUNK) {
            choices.extend(store.consent_for(part).await?);
        }
        for (code, title, holders) in holders {
            let share = consent::licensed_share(&code, &holders, Stage::Training, as_of, &choices, default);
            if share.reserved.is_zero() {
                continue;
            }
            found.unlicensed_count += 1;
            if found.unlicensed.len() < UNLICENSED_LISTED {
                found.unlicensed.push(UnlicensedUse {
                    items: items.get(code.as_str()).copied().unwrap_or(0),
                    holders: share
                        .holders
                        .iter()
                        .filter(|h| h.consent == domain::Consent::Reserved)
                        .map(|h| (h.party.as_str().to_owned(), h.name.clone(), h.share))
                        .collect(),
                    reserved: share.reserved,
                    work_code: code,
                    title,
                });
            }
        }
    }
    Ok(found)
}

/// Settles the presumption parts held for the disclosure's model version, as a verdict of *full* calls
/// for: credited back within the window, released after it. Returns what was done, in words.
async fn settle(
    store: &dyn DisclosureStore,
    actor: &Actor,
    d: &Disclosure,
    licensed_works: u64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DisclosureError> {
    let mut done = Vec::new();
    for part in held_parts(store, actor, Some(&stored_id(&d.licensee)?))
        .await?
        .into_iter()
        .filter(|p| p.model_version == d.model_version)
    {
        let (how, note) = if today <= part.window_ends {
            (Settlement::CreditBack { works_matched: Some(licensed_works) }, "")
        } else {
            (Settlement::Release, ": its window had passed")
        };
        if let Settled::Posted(number) =
            settle_part(store, actor, &stored_id(&part.invoice)?, &part.model_version, how, now).await?
        {
            let described = store.journal_entry(number).await?.map(|e| e.description).unwrap_or_default();
            done.push(format!("{described}{note} (journal entry {number})"));
        }
    }
    Ok(done)
}

/// Assesses a disclosure on its latest match set under the society's criteria, stores the assessment and
/// settles held presumption parts when the verdict is *full*.
#[tracing::instrument(skip_all)]
pub async fn assess(
    store: &dyn DisclosureStore,
    actor: &Actor,
    id: &DisclosureId,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Assessment, DisclosureError> {
    actor.may(UseCase::Assess, Scope::Society)?;
    let d = store.disclosure(id).await?.ok_or_else(|| DisclosureError::UnknownDisclosure(id.into()))?;
    let set = store.match_sets(id).await?.pop().ok_or_else(|| DisclosureError::NotMatched(id.into()))?;
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let criteria = society.rules.transparency;
    let (verdict, results) = judge(&facts(&d), &criteria);
    let today = now.date_naive();
    let as_of = consent_day(store, &d, today).await?;
    let works = matched_works(store, set.id, as_of).await?;
    // Only the disclosure in force settles anything: an old revision's verdict says nothing today.
    let settlements = if verdict == Verdict::Full && d.current {
        settle(store, actor, &d, works.licensed, today, now).await?
    } else {
        Vec::new()
    };
    let assessment = Assessment {
        disclosure: d.id.clone(),
        match_set: set.id,
        assessed_at: now,
        assessed_by: by.to_owned(),
        verdict,
        criteria,
        results,
        works_matched: works.matched,
        licensed_works_matched: works.licensed,
        unlicensed: works.unlicensed,
        unlicensed_works: works.unlicensed_count,
        consent_as_of: as_of,
        settlements,
    };
    store.add_assessment(&assessment).await?;
    Ok(assessment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_declared_by_name_domain_or_page() {
        let declared: BTreeSet<String> =
            ["https://FreeMusicArchive.org/", "songfox-licensed-catalogue"].iter().map(|s| source_key(s)).collect();
        assert!(is_declared("freemusicarchive.org", &declared));
        assert!(is_declared("http://www.freemusicarchive.org/music/x", &declared));
        assert!(is_declared("cdn.freemusicarchive.org", &declared));
        assert!(is_declared("Songfox-Licensed-Catalogue", &declared));
        assert!(!is_declared("notfreemusicarchive.org", &declared));
        assert!(!is_declared("youtube.com", &declared));
    }
}
