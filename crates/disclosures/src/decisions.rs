//! People's decisions on items: an operator says which recording or works an item is, or that it is none of
//! the repertoire. The decision is kept by the licensee and the item's identity, applied to the latest
//! match set at once, and to every later match set of any disclosure of that licensee that lists the same
//! item.

use chrono::{DateTime, Utc};

use super::run::decided;
use super::{Decision, DisclosureError, MatchCounts, MatchRow};
use crate::DisclosureStore;
use domain::ids::DisclosureId;
use ports::access::{Actor, Scope, UseCase};

/// What an operator decides an item is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// This recording (by ISRC or key); its works come with it.
    Recording(String),
    /// These works alone (by code or ISWC): another recording of them than the repertoire's.
    Works(Vec<String>),
    /// None of the repertoire.
    None,
}

/// The longest note a decision keeps.
pub const MAX_NOTE_CHARS: usize = 1_000;

/// Records a decision on item `item` of a disclosure's latest match set and applies it there.
#[tracing::instrument(skip_all)]
pub async fn resolve(
    store: &dyn DisclosureStore,
    actor: &Actor,
    disclosure: &DisclosureId,
    item: u64,
    resolution: Resolution,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(MatchRow, MatchCounts), DisclosureError> {
    actor.may(UseCase::ResolveItem, Scope::Society)?;
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(DisclosureError::Decision(format!(
            "the note is longer than {MAX_NOTE_CHARS} characters: shorten it"
        )));
    }
    let d = store.disclosure(disclosure).await?.ok_or_else(|| DisclosureError::UnknownDisclosure(disclosure.into()))?;
    let set =
        store.match_sets(disclosure).await?.pop().ok_or_else(|| DisclosureError::NotMatched(disclosure.into()))?;
    let row = store.match_row(set.id, item).await?.ok_or(DisclosureError::UnknownItem {
        disclosure: disclosure.into(),
        match_set: set.id,
        item,
    })?;
    let (recording, works) = match resolution {
        Resolution::Recording(key) => {
            let view = ::repertoire::recordings::recording_view(store, actor, &key)
                .await
                .map_err(|e| DisclosureError::Decision(e.to_string()))?;
            let works = view.links.iter().map(|l| l.work_code.clone()).collect();
            (Some(view.recording.key), works)
        }
        Resolution::Works(codes) => {
            let mut works = Vec::new();
            for code in codes {
                let found = store.work(&code).await?.ok_or_else(|| {
                    DisclosureError::Decision(format!(
                        "no work {code:?}: give a work code or ISWC shown by `tantiem works search`"
                    ))
                })?;
                works.push(found.summary.code);
            }
            if works.is_empty() {
                return Err(DisclosureError::Decision("name at least one work".into()));
            }
            (None, works)
        }
        Resolution::None => (None, Vec::new()),
    };
    let decision = Decision {
        licensee: d.licensee.clone(),
        item_key: row.item_key.clone(),
        recording,
        works,
        decided_by: actor.name(),
        decided_at: now,
        note: note.to_owned(),
    };
    store.put_decision(&decision).await?;
    let row = decided(row, &decision);
    let counts = store.replace_match(set.id, &row).await?;
    Ok((row, counts))
}
