//! Matching a disclosure: its manifests stream through the matcher (read on a thread of their own into
//! batches, each batch matched on the matcher's threads while the next is read, so memory holds two batches
//! whatever the size of the files), people's earlier decisions are applied to the items they decided, and
//! the rows are written in chunks as a new match set, which counts only once finished.

use std::sync::Arc;
use std::sync::mpsc;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use fingerprint::recogniser::{Recogniser, Thresholds as AudioThresholds};
use formats::ReadOutcome;
use formats::disclosure::{ManifestFormat, ManifestItem, read_manifest, read_manifest_parquet};
use matching::{Matcher, Method, Outcome, Thresholds};

use super::{
    Decision, Disclosure, DisclosureError, FileKind, MatchRow, MatchSet, MatchStatus, Progress, matching_item,
    repertoire,
};
use crate::DisclosureStore;
use licensing::Archive;
use ports::access::{Actor, Scope, UseCase};

/// Items per batch: big enough to keep every core busy, small enough that two fit in memory easily.
pub const BATCH: usize = 50_000;

/// An item's outcome and its identity.
pub type Identified = (Outcome, String);

/// Reads a manifest with `read` (a reader handing items to its sink) and matches it batch by batch, handing
/// each batch's items and outcomes (each with the item's identity), in file order, to `matched`. Stops reading at the first error
/// `matched` returns (the rest of the file is then skipped) and returns it; otherwise returns what reading
/// found.
pub fn match_manifest<E: Send>(
    read: impl FnOnce(&mut dyn FnMut(ManifestItem)) -> ReadOutcome + Send,
    matcher: &Matcher<'_>,
    matched: &mut dyn FnMut(Vec<ManifestItem>, Vec<Identified>) -> Result<(), E>,
) -> Result<ReadOutcome, E> {
    std::thread::scope(|scope| {
        let (send, receive) = mpsc::sync_channel::<Vec<ManifestItem>>(1);
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut open = true;
            let outcome = read(&mut |item| {
                if !open {
                    return;
                }
                batch.push(item);
                if batch.len() == BATCH {
                    open = send.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_ok();
                }
            });
            if open && !batch.is_empty() {
                let _ = send.send(batch);
            }
            outcome
        });
        let mut failed = None;
        for items in receive.iter() {
            let queries: Vec<matching::Item> = items.iter().map(matching_item).collect();
            let outcomes = matcher.match_all_identified(&queries);
            if let Err(e) = matched(items, outcomes) {
                failed = Some(e);
                break;
            }
        }
        // Dropping the receiver tells the reader to stop sending.
        drop(receive);
        let outcome = reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match failed {
            Some(e) => Err(e),
            None => Ok(outcome),
        }
    })
}

/// Audio evidence from the fingerprint index of registered recordings: an item's Chromaprint is looked up
/// as a query, at the threshold `audio identify` uses.
struct AudioIndex(Arc<Recogniser>);

impl matching::AudioLookup for AudioIndex {
    fn identify(&self, fingerprint: &[u32]) -> Vec<(String, u16)> {
        let threshold = AudioThresholds::default().chromaprint;
        self.0
            .chromaprint()
            .identify(fingerprint, 3, threshold)
            .into_iter()
            .map(|m| (m.key, (m.confidence * 1000.0).round().clamp(0.0, 1000.0) as u16))
            .collect()
    }
}

/// "Title — Artist, Artist (ISRC)": an item in brief, as the manifest wrote it.
fn described(item: &ManifestItem) -> String {
    let mut out = item.title.clone().unwrap_or_else(|| "(no title)".into());
    if let Some(v) = &item.version {
        out.push_str(&format!(" ({v})"));
    }
    if !item.artists.is_empty() {
        out.push_str(&format!(" — {}", item.artists.join(", ")));
    }
    if let Some(isrc) = &item.isrc {
        out.push_str(&format!(" ({isrc})"));
    }
    out.chars().take(300).collect()
}

/// A match set row from an item and its outcome.
fn row_of(number: u64, file: u32, item: &ManifestItem, (outcome, identity): Identified) -> MatchRow {
    let mut row = MatchRow {
        item: number,
        file,
        line: item.line,
        item_key: identity,
        item_id: item.item_id.clone(),
        described: described(item),
        status: MatchStatus::Unmatched,
        recording: None,
        works: Vec::new(),
        method: None,
        score: 0,
        explanation: String::new(),
        candidates: Vec::new(),
        decided: false,
    };
    match outcome {
        Outcome::Matched(m) => {
            row.status = MatchStatus::Matched;
            row.recording = m.recording;
            row.works = m.works;
            row.method = Some(m.method);
            row.score = m.score;
            row.explanation = m.explanation;
        }
        Outcome::Ambiguous { candidates, explanation } => {
            row.status = MatchStatus::Ambiguous;
            row.score = candidates.first().map_or(0, |c| c.score);
            row.candidates = candidates;
            row.explanation = explanation;
        }
        Outcome::Unmatched { explanation } => row.explanation = explanation,
    }
    row
}

/// Applies a person's decision to a row.
pub(super) fn decided(mut row: MatchRow, decision: &Decision) -> MatchRow {
    let note = if decision.note.is_empty() { String::new() } else { format!(": {}", decision.note) };
    let by = format!("decided by {} on {}{note}", decision.decided_by, decision.decided_at.date_naive());
    if decision.is_none() {
        row.status = MatchStatus::Unmatched;
        row.explanation = format!("not in the repertoire ({by})");
    } else {
        row.status = MatchStatus::Matched;
        row.explanation = match &decision.recording {
            Some(r) => format!("recording {r} ({by})"),
            None => format!(
                "work{} {} alone ({by})",
                if decision.works.len() == 1 { "" } else { "s" },
                decision.works.join(", ")
            ),
        };
    }
    row.recording = decision.recording.clone();
    row.works = decision.works.clone();
    row.method = (!decision.is_none()).then_some(Method::Decision);
    row.score = 1000;
    row.candidates.clear();
    row.decided = true;
    row
}

/// What a match run needs besides the store.
pub struct MatchRun<'a> {
    pub archive: &'a Archive,
    /// The audio index file kept beside the store (read when current, else rebuilt from the store and
    /// saved; `None`: built in memory). Read only for disclosures whose items carry fingerprints.
    pub audio_index: Option<PathBuf>,
    pub now: DateTime<Utc>,
    pub progress: Option<Progress>,
}

impl<'a> MatchRun<'a> {
    pub fn new(archive: &'a Archive, now: DateTime<Utc>) -> MatchRun<'a> {
        MatchRun { archive, audio_index: None, now, progress: None }
    }
}

impl std::fmt::Debug for MatchRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MatchRun(at {}, audio index {:?})", self.now, self.audio_index)
    }
}

/// What matching needs from the store, read once for any number of disclosures: the repertoire (with the
/// stamp it was read under) and, once some disclosure needs it, the audio index.
struct Prepared {
    repertoire: Arc<matching::Repertoire>,
    stamp: String,
    audio: Option<Arc<Recogniser>>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Prepared({})", self.stamp)
    }
}

impl Prepared {
    async fn load(store: &dyn DisclosureStore, run: &MatchRun<'_>) -> Result<Prepared, DisclosureError> {
        let (repertoire, stamp) = repertoire::load(store, run.progress.as_ref()).await?;
        Ok(Prepared { repertoire: Arc::new(repertoire), stamp, audio: None })
    }

    /// The audio index, loaded the first time a disclosure with fingerprints asks for it.
    async fn audio_for(
        &mut self,
        store: &dyn DisclosureStore,
        disclosure: &Disclosure,
        run: &MatchRun<'_>,
    ) -> Result<Option<Arc<Recogniser>>, DisclosureError> {
        if disclosure.stats.with_fingerprint == 0 {
            return Ok(None);
        }
        if self.audio.is_none() {
            let (recogniser, _) =
                ::repertoire::recordings::recogniser(store, &Actor::society(), run.audio_index.as_deref())
                    .await
                    .map_err(|e| DisclosureError::Audio(e.to_string()))?;
            self.audio = Some(Arc::new(recogniser));
        }
        Ok(self.audio.clone())
    }
}

/// Matches a disclosure's manifests against the repertoire as it stands now, as the disclosure's next
/// match set.
#[tracing::instrument(skip_all)]
pub async fn match_disclosure(
    store: &dyn DisclosureStore,
    actor: &Actor,
    disclosure: &Disclosure,
    run: &MatchRun<'_>,
) -> Result<MatchSet, DisclosureError> {
    actor.may(UseCase::MatchDisclosure, Scope::Society)?;
    let mut prepared = Prepared::load(store, run).await?;
    match_prepared(store, disclosure, run, &mut prepared).await
}

/// [`match_disclosure`] against a repertoire read before.
async fn match_prepared(
    store: &dyn DisclosureStore,
    disclosure: &Disclosure,
    run: &MatchRun<'_>,
    prepared: &mut Prepared,
) -> Result<MatchSet, DisclosureError> {
    let audio = prepared.audio_for(store, disclosure, run).await?;
    let (set, number) = store.begin_match_set(&disclosure.id, run.now, &prepared.stamp).await?;
    let filled = fill(store, disclosure, run, prepared.repertoire.clone(), audio, set).await;
    let counts = match filled {
        Ok(()) => store.finish_match_set(set).await?,
        Err(e) => {
            // A failed run's rows are of no use; the latest finished set stays in force. (If dropping fails
            // too, the next run drops the set a day on.)
            let _ = store.drop_match_set(set).await;
            return Err(e);
        }
    };
    Ok(MatchSet {
        id: set,
        disclosure: disclosure.id.clone(),
        number,
        created_at: run.now,
        repertoire_stamp: prepared.stamp.clone(),
        counts,
    })
}

/// Streams a disclosure's manifests through the matcher into the started match set `set`.
async fn fill(
    store: &dyn DisclosureStore,
    disclosure: &Disclosure,
    run: &MatchRun<'_>,
    repertoire: Arc<matching::Repertoire>,
    audio: Option<Arc<Recogniser>>,
    set: u64,
) -> Result<(), DisclosureError> {
    let files = disclosure
        .manifests()
        .map(|(i, f)| {
            let path = run.archive.path_of(&f.sha256).map_err(|e| DisclosureError::File {
                file: f.name.clone(),
                message: format!("the disclosure names no kept file: {e}"),
            })?;
            Ok((i as u32, f.kind, path, f.name.clone()))
        })
        .collect::<Result<Vec<(u32, FileKind, std::path::PathBuf, String)>, DisclosureError>>()?;
    let total = disclosure.stats.items;
    let archive_root = run.archive.root().display().to_string();
    let (send, mut receive) = tokio::sync::mpsc::channel::<Vec<MatchRow>>(2);
    let matching = tokio::task::spawn_blocking(move || -> Result<(), DisclosureError> {
        let lookup = audio.map(AudioIndex);
        let mut matcher = Matcher::new(&repertoire, Thresholds::default());
        if let Some(lookup) = &lookup {
            matcher = matcher.with_audio(lookup);
        }
        let mut number = 0u64;
        for (file, kind, path, name) in files {
            let unreadable = |e: std::io::Error| DisclosureError::File {
                file: name.clone(),
                message: format!(
                    "{e}: it should be kept as {} (is --archive-dir {archive_root} the right folder?)",
                    path.display()
                ),
            };
            let handle = std::fs::File::open(&path).map_err(unreadable)?;
            let read = move |sink: &mut dyn FnMut(ManifestItem)| match kind {
                FileKind::Manifest(ManifestFormat::Parquet) => read_manifest_parquet(handle, sink),
                FileKind::Manifest(format) => {
                    read_manifest(format, std::io::BufReader::with_capacity(1 << 20, handle), sink)
                }
                _ => ReadOutcome::default(),
            };
            let outcome = match_manifest(read, &matcher, &mut |items, outcomes| {
                let rows: Vec<MatchRow> = items
                    .iter()
                    .zip(outcomes)
                    .map(|(item, outcome)| {
                        number += 1;
                        row_of(number, file, item, outcome)
                    })
                    .collect();
                send.blocking_send(rows).map_err(|_| ())
            });
            match outcome {
                Ok(read) if read.is_ok() => {}
                Ok(read) => {
                    return Err(DisclosureError::Invalid {
                        errors: read.errors,
                        diagnostics: read.diagnostics.into_iter().map(|d| (name.clone(), d)).collect(),
                    });
                }
                // The writing side stopped: its error is the one to report.
                Err(()) => return Ok(()),
            }
        }
        Ok(())
    });
    let mut done = 0u64;
    let written = async {
        let decisions: std::collections::HashMap<String, Decision> =
            store.decisions(&disclosure.licensee).await?.into_iter().map(|d| (d.item_key.clone(), d)).collect();
        while let Some(rows) = receive.recv().await {
            let rows: Vec<MatchRow> = rows
                .into_iter()
                .map(|row| match decisions.get(&row.item_key) {
                    Some(d) => decided(row, d),
                    None => row,
                })
                .collect();
            store.add_matches(set, &rows).await?;
            done += rows.len() as u64;
            if let Some(p) = &run.progress {
                p("matching", done, total);
            }
        }
        Ok::<(), DisclosureError>(())
    }
    .await;
    // Closing the channel stops the matching thread if writing failed.
    drop(receive);
    let matched = matching.await.map_err(|e| DisclosureError::Matching(format!("the matching thread failed: {e}")))?;
    written?;
    matched
}

/// Each disclosure matched again, with its new match set and assessment or why it failed.
pub type Rematched = Vec<(String, Result<(MatchSet, super::Assessment), DisclosureError>)>;

/// What follows every import of repertoire (CWR, ERN, recordings, audio), whoever runs it: the disclosures
/// whose repertoire changed are matched and assessed again. `None` when the store holds no disclosure. The
/// import is committed whatever happens here, so a caller reports a failure as a warning with what to run.
#[tracing::instrument(skip_all)]
pub async fn after_import(
    store: &dyn DisclosureStore,
    actor: &Actor,
    run: &MatchRun<'_>,
    by: &str,
) -> Result<Option<Rematched>, DisclosureError> {
    actor.may(UseCase::RematchStale, Scope::Society)?;
    if store.disclosures(None).await?.is_empty() {
        return Ok(None);
    }
    rematch_stale(store, actor, run, by).await.map(Some)
}

/// Matches again, and assesses again, every disclosure in force whose latest match set was made against
/// another repertoire than the one the store holds now (the repertoire grew or changed): what follows an
/// import. The repertoire is read once for all of them; a disclosure that fails is reported with its error
/// and the others go on.
#[tracing::instrument(skip_all)]
pub async fn rematch_stale(
    store: &dyn DisclosureStore,
    actor: &Actor,
    run: &MatchRun<'_>,
    by: &str,
) -> Result<Rematched, DisclosureError> {
    actor.may(UseCase::RematchStale, Scope::Society)?;
    let stamp = store.repertoire_stamp().await?;
    let mut stale = Vec::new();
    for d in store.disclosures(None).await?.into_iter().filter(|d| d.current) {
        if store.match_sets(&d.id).await?.pop().is_none_or(|s| s.repertoire_stamp != stamp) {
            stale.push(d);
        }
    }
    if stale.is_empty() {
        return Ok(Vec::new());
    }
    let mut prepared = Prepared::load(store, run).await?;
    let mut done = Vec::new();
    for d in stale {
        let outcome = async {
            let set = match_prepared(store, &d, run, &mut prepared).await?;
            let assessment = super::assess::assess(store, actor, &ports::stored_id(&d.id)?, by, run.now).await?;
            Ok((set, assessment))
        }
        .await;
        done.push((d.id.clone(), outcome));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use formats::disclosure::{ManifestFormat, read_manifest};
    use matching::{RecordingEntry, RepertoireBuilder, Thresholds};

    #[test]
    fn every_item_is_matched_once_in_file_order_and_errors_stop_the_run() {
        let mut b = RepertoireBuilder::new();
        b.add_recordings(&[RecordingEntry {
            key: "R1".into(),
            title: "Northern Lights".into(),
            artists: vec!["Anna Berg".into()],
            duration_s: Some(200),
            ..RecordingEntry::default()
        }]);
        let repertoire = b.build();
        let matcher = Matcher::new(&repertoire, Thresholds::default());
        let mut text = String::from("title,artists,duration_s\n");
        for i in 0..(BATCH * 2 + 7) {
            text.push_str(if i % 2 == 0 { "Northern Lights,Anna Berg,201\n" } else { "Other,Someone,100\n" });
        }
        let mut lines = Vec::new();
        let mut found = 0;
        let outcome = match_manifest::<()>(
            |sink| read_manifest(ManifestFormat::Csv, text.as_bytes(), sink),
            &matcher,
            &mut |items, outcomes| {
                lines.extend(items.iter().map(|i| i.line));
                found += outcomes.iter().filter(|(o, _)| o.recording() == Some("R1")).count();
                Ok(())
            },
        )
        .unwrap();
        assert!(outcome.is_ok());
        assert_eq!(lines.len(), BATCH * 2 + 7);
        assert!(lines.windows(2).all(|w| w[0] + 1 == w[1]), "in file order");
        assert_eq!(found, BATCH + 4);
        let mut batches = 0;
        let stopped =
            match_manifest(|sink| read_manifest(ManifestFormat::Csv, text.as_bytes(), sink), &matcher, &mut |_, _| {
                batches += 1;
                Err("the store said no")
            });
        assert_eq!((stopped.unwrap_err(), batches), ("the store said no", 1));
    }
}
