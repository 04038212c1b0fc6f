//! Recordings: DDEX ERN messages in (new releases, updates, purges), one recording per ISRC merged with
//! what CWR REC records say, each field keeping its source; links from recordings to works (from ERN, CWR
//! and operators), because a match on a recording pays authors only through its work; and a recording's AI
//! involvement, settable by operators.
//!
//! Rules: a test message changes nothing; the same file again changes nothing; an update older (by message
//! creation time) than what is stored is ignored with a notice; every change is a numbered revision with
//! its source; a purge withdraws the release, and a recording only on that release.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use domain::{Iswc, Origin, RecordingContributor, Release, SoundRecording, Sourced};
use formats::Diagnostic;
use formats::ern::{ErnMessage, ErnRecording, MessageKind, read_ern};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{RepertoireStore, StoreError, StoreResult, StoredRecording};
/// A recording's two fingerprints, as registered and stored.
pub use fingerprint::recogniser::Prints;
use fingerprint::recogniser::{Query, Recogniser, Thresholds};
use ports::access::{Actor, Denied, Scope, UseCase};

/// A recording as stored, with its revision number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSoundRecording {
    pub recording: SoundRecording,
    pub revision: u32,
}

/// A release as stored, with its revision number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRelease {
    pub release: Release,
    pub revision: u32,
}

/// One change to a recording or a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueRevision {
    /// `recording` or `release`.
    pub entity: String,
    pub key: String,
    pub revision: u32,
    pub changed_at: DateTime<Utc>,
    pub source: String,
    pub summary: String,
    pub document: String,
}

/// A recording ↔ work link and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingLink {
    pub recording_key: String,
    pub work_code: String,
    pub source: String,
}

/// An ERN file taken in (by its SHA-256, so the same file again changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErnMessageRecord {
    pub sha256: String,
    pub file_name: String,
    pub message_id: String,
    pub sender: String,
    pub created: DateTime<FixedOffset>,
    pub received_at: DateTime<Utc>,
    pub summary: String,
}

/// Everything one message changes, written in one transaction.
#[derive(Debug, Clone)]
pub struct ErnBatch {
    pub message: ErnMessageRecord,
    pub recordings: Vec<StoredSoundRecording>,
    pub releases: Vec<StoredRelease>,
    pub revisions: Vec<CatalogueRevision>,
    pub links: Vec<RecordingLink>,
}

/// What the recordings side needs from a store.
#[async_trait]
pub trait RecordingStore: Send + Sync {
    async fn ern_message(&self, sha256: &str) -> StoreResult<Option<ErnMessageRecord>>;
    async fn sound_recordings(&self, keys: &[String]) -> StoreResult<Vec<StoredSoundRecording>>;
    async fn releases(&self, keys: &[String]) -> StoreResult<Vec<StoredRelease>>;
    async fn apply_ern(&self, batch: ErnBatch) -> StoreResult<()>;
    /// The releases that carry a recording (only those not withdrawn, with `standing_only`).
    async fn releases_of(&self, recording_key: &str, standing_only: bool) -> StoreResult<Vec<String>>;
    /// Stores one operator's change to a recording (origin) with its revision.
    async fn put_sound_recording(
        &self,
        recording: &StoredSoundRecording,
        revision: &CatalogueRevision,
    ) -> StoreResult<()>;
    async fn catalogue_revisions(&self, entity: &str, key: &str) -> StoreResult<Vec<CatalogueRevision>>;
    async fn recording_links(&self, key: &str) -> StoreResult<Vec<RecordingLink>>;
    /// Adds a link; the same recording and work again changes nothing.
    async fn add_recording_link(&self, link: &RecordingLink) -> StoreResult<bool>;
    /// Recordings whose title or artists contain the folded text, at most `limit`.
    async fn search_sound_recordings(&self, text: &str, limit: u32) -> StoreResult<Vec<StoredSoundRecording>>;
    /// Recordings CWR REC records gave this ISRC.
    async fn cwr_recordings_by_isrc(&self, isrc: &str) -> StoreResult<Vec<StoredRecording>>;
    /// Stores (replaces) a recording's fingerprints.
    async fn put_fingerprint(&self, key: &str, prints: &Prints, duration_ms: u64) -> StoreResult<()>;
    /// Every stored recording's fingerprints, by recording key.
    async fn fingerprints(&self) -> StoreResult<Vec<(String, Prints)>>;
    /// Every stored recording's [`prints_digest`], by recording key, in key order.
    async fn fingerprint_digests(&self) -> StoreResult<Vec<(String, String)>>;
    /// CWR REC recordings whose title or artist contains the text (case ignored), at most `limit`.
    async fn search_cwr_recordings(&self, text: &str, limit: u32) -> StoreResult<Vec<StoredRecording>>;
}

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("{0}")]
    Ern(#[from] formats::ern::ErnError),
    #[error("no recording {0:?}: give an ISRC that an ERN message or a CWR REC record brought in")]
    UnknownRecording(String),
    #[error("no work with ISWC {0}: import the work first, or check the ISWC")]
    UnknownWork(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] Denied),
}

/// What importing a message did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErnCounts {
    pub recordings_new: u32,
    pub recordings_updated: u32,
    /// Described again exactly as stored: no new revision.
    pub recordings_unchanged: u32,
    pub recordings_ignored: u32,
    pub recordings_withdrawn: u32,
    pub releases_new: u32,
    pub releases_updated: u32,
    pub releases_ignored: u32,
    pub releases_withdrawn: u32,
    pub links: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErnOutcome {
    Applied,
    /// A TestMessage: read and checked, nothing changed.
    TestMessage,
    /// The same file was imported before: nothing changed.
    AlreadyImported,
}

/// The report of one import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErnImport {
    pub file_name: String,
    pub message: Option<ErnMessage>,
    pub outcome: ErnOutcome,
    pub counts: ErnCounts,
    /// Things a person should know: ignored older updates, ISWCs naming no known work.
    pub notices: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

fn sha256(bytes: &[u8]) -> String {
    ports::hex(&Sha256::digest(bytes))
}

/// Imports one ERN file.
#[tracing::instrument(skip_all)]
pub async fn import_ern(
    store: &dyn RepertoireStore,
    actor: &Actor,
    bytes: &[u8],
    file_name: &str,
    now: DateTime<Utc>,
) -> Result<ErnImport, RecordingError> {
    actor.may(UseCase::ImportErn, Scope::Society)?;
    let sha = sha256(bytes);
    let message = read_ern(bytes)?;
    let mut report = ErnImport {
        file_name: file_name.to_owned(),
        outcome: ErnOutcome::Applied,
        counts: ErnCounts::default(),
        notices: Vec::new(),
        diagnostics: message.diagnostics.clone(),
        message: None,
    };
    if message.test {
        report.outcome = ErnOutcome::TestMessage;
        report.message = Some(message);
        return Ok(report);
    }
    if store.ern_message(&sha).await?.is_some() {
        report.outcome = ErnOutcome::AlreadyImported;
        report.message = Some(message);
        return Ok(report);
    }
    let source = format!(
        "ERN {} from {}, {}",
        if message.message_id.is_empty() { file_name } else { &message.message_id },
        message.sender,
        message.created.format("%Y-%m-%d %H:%M")
    );
    let mut batch = Batch::new(store, &message, &source, now).await?;
    match message.kind {
        MessageKind::NewRelease => batch.new_release(store, &mut report).await?,
        MessageKind::PurgeRelease => batch.purge(store, &mut report).await?,
    }
    let summary = serde_json::to_string(&report.counts).unwrap_or_default();
    let record = ErnMessageRecord {
        sha256: sha,
        file_name: file_name.to_owned(),
        message_id: message.message_id.clone(),
        sender: message.sender.clone(),
        created: message.created,
        received_at: now,
        summary,
    };
    store.apply_ern(batch.finish(record)).await?;
    report.message = Some(message);
    Ok(report)
}

/// The changes of one message, built against what is stored.
struct Batch<'m> {
    message: &'m ErnMessage,
    source: &'m str,
    now: DateTime<Utc>,
    recordings: BTreeMap<String, StoredSoundRecording>,
    releases: BTreeMap<String, StoredRelease>,
    changed_recordings: BTreeMap<String, String>,
    changed_releases: BTreeMap<String, String>,
    links: Vec<RecordingLink>,
}

/// The key of a recording: its ISRC, else its first proprietary id, else the sender's reference.
fn recording_key(r: &ErnRecording, message: &ErnMessage) -> String {
    // Without an id, the sender's title and artists: stable across the sender's messages (a message-local
    // reference would make a new recording of every update).
    r.isrc
        .as_ref()
        .map(|i| i.as_str().to_owned())
        .or_else(|| r.proprietary_ids.first().cloned())
        .unwrap_or_else(|| format!("{}:{}|{}", message.sender, r.title, r.display_artists.join(", ")))
}

impl<'m> Batch<'m> {
    async fn new(
        store: &dyn RepertoireStore,
        message: &'m ErnMessage,
        source: &'m str,
        now: DateTime<Utc>,
    ) -> StoreResult<Batch<'m>> {
        let recording_keys: Vec<String> = message.recordings.iter().map(|r| recording_key(r, message)).collect();
        let release_keys: Vec<String> = message
            .releases
            .iter()
            .filter_map(|r| r.key())
            .chain(message.purged.iter().filter_map(|p| p.key()))
            .collect();
        let releases: BTreeMap<String, StoredRelease> =
            store.releases(&release_keys).await?.into_iter().map(|r| (r.release.key.clone(), r)).collect();
        // A purge touches the recordings of the releases it withdraws.
        let mut all_keys = recording_keys;
        all_keys.extend(releases.values().flat_map(|r| r.release.tracks.clone()));
        let recordings =
            store.sound_recordings(&all_keys).await?.into_iter().map(|r| (r.recording.key.clone(), r)).collect();
        Ok(Batch {
            message,
            source,
            now,
            recordings,
            releases,
            changed_recordings: BTreeMap::new(),
            changed_releases: BTreeMap::new(),
            links: Vec::new(),
        })
    }

    fn newer_than_stored(&self, stored: Option<DateTime<FixedOffset>>) -> bool {
        stored.is_none_or(|s| s <= self.message.created)
    }

    async fn new_release(&mut self, store: &dyn RepertoireStore, report: &mut ErnImport) -> StoreResult<()> {
        let message = self.message;
        let by_reference: HashMap<&str, String> =
            message.recordings.iter().map(|r| (r.reference.as_str(), recording_key(r, message))).collect();
        for r in &message.releases {
            let Some(key) = r.key() else {
                report.notices.push(format!(
                    "release {} has no ICPN, GRid or proprietary id: its recordings are kept, the release is not",
                    r.reference
                ));
                continue;
            };
            let tracks: Vec<String> = r.tracks.iter().filter_map(|t| by_reference.get(t.as_str()).cloned()).collect();
            let existing = self.releases.get(&key);
            if !self.newer_than_stored(existing.map(|e| e.release.updated_by_message)) {
                report.counts.releases_ignored += 1;
                report.notices.push(format!("release {key}: this update is older than the stored one; ignored"));
                continue;
            }
            let revision = existing.map_or(1, |e| e.revision + 1);
            let (what, count) = if existing.is_some() {
                ("updated", &mut report.counts.releases_updated)
            } else {
                ("new", &mut report.counts.releases_new)
            };
            *count += 1;
            let release = Release {
                key: key.clone(),
                icpn: r.icpn.clone(),
                grid: r.grid.clone(),
                title: r.title.clone(),
                label: r.label.clone(),
                tracks,
                withdrawn: false,
                source: self.source.to_owned(),
                updated_by_message: message.created,
            };
            self.releases.insert(key.clone(), StoredRelease { release, revision });
            self.changed_releases.insert(key, format!("{what} release"));
        }
        for r in &message.recordings {
            let key = recording_key(r, message);
            if self.changed_recordings.contains_key(&key) {
                // Twice in one message (DDEX's DJ-mix sample does this): one recording, the later description.
                report.notices.push(format!(
                    "recording {key} is described more than once in the message; the last description ({}) is kept",
                    r.reference
                ));
                if let Some(stored) = self.recordings.get_mut(&key) {
                    apply_fields(&mut stored.recording, r, self.source);
                }
                continue;
            }
            let existing = self.recordings.get(&key);
            if !self.newer_than_stored(existing.and_then(|e| e.recording.updated_by_message)) {
                report.counts.recordings_ignored += 1;
                report.notices.push(format!("recording {key}: this update is older than the stored one; ignored"));
                continue;
            }
            let is_new = existing.is_none();
            let was_withdrawn = existing.is_some_and(|e| e.recording.withdrawn);
            let mut stored = existing
                .cloned()
                .unwrap_or(StoredSoundRecording { recording: SoundRecording::new(&key, r.isrc), revision: 0 });
            let changed = apply_fields(&mut stored.recording, r, self.source);
            stored.recording.withdrawn = false;
            stored.recording.updated_by_message = Some(message.created);
            for iswc in &r.iswcs {
                self.link(store, &key, iswc, report).await?;
            }
            if !is_new && changed.is_empty() && !was_withdrawn {
                // The same description again: no revision.
                report.counts.recordings_unchanged += 1;
                continue;
            }
            stored.revision += 1;
            let summary = match (is_new, was_withdrawn) {
                (true, _) => "new recording".to_owned(),
                (false, true) if changed.is_empty() => "delivered again after its withdrawal".to_owned(),
                (false, true) => format!("delivered again after its withdrawal; changed: {}", changed.join(", ")),
                (false, false) => format!("updated: {}", changed.join(", ")),
            };
            if is_new {
                report.counts.recordings_new += 1;
            } else {
                report.counts.recordings_updated += 1;
            }
            self.recordings.insert(key.clone(), stored);
            self.changed_recordings.insert(key, summary);
        }
        Ok(())
    }

    async fn link(
        &mut self,
        store: &dyn RepertoireStore,
        key: &str,
        iswc: &Iswc,
        report: &mut ErnImport,
    ) -> StoreResult<()> {
        match store.work(&iswc.to_string()).await? {
            Some(work) => {
                let known = store.recording_links(key).await?.iter().any(|l| l.work_code == work.summary.code);
                if known || self.links.iter().any(|l| l.recording_key == key && l.work_code == work.summary.code) {
                    return Ok(());
                }
                report.counts.links += 1;
                self.links.push(RecordingLink { recording_key: key.to_owned(), work_code: work.summary.code, source: self.source.to_owned() });
            }
            None => report.notices.push(format!("recording {key}: ISWC {iswc} names no work in the registry yet; link it later with `tantiem recordings link`")),
        }
        Ok(())
    }

    async fn purge(&mut self, store: &dyn RepertoireStore, report: &mut ErnImport) -> StoreResult<()> {
        for p in &self.message.purged {
            let Some(key) = p.key() else { continue };
            let Some(existing) = self.releases.get(&key).cloned() else {
                report.notices.push(format!("release {key}: not known, nothing to purge"));
                continue;
            };
            if !self.newer_than_stored(Some(existing.release.updated_by_message)) {
                report.counts.releases_ignored += 1;
                report.notices.push(format!("release {key}: this purge is older than the stored release; ignored"));
                continue;
            }
            let mut release = existing;
            release.revision += 1;
            release.release.withdrawn = true;
            release.release.source = self.source.to_owned();
            release.release.updated_by_message = self.message.created;
            report.counts.releases_withdrawn += 1;
            for track in &release.release.tracks {
                let Some(mut recording) = self.recordings.get(track).cloned() else { continue };
                // Withdrawn only if no other release still standing carries it (this message may withdraw
                // several).
                let standing = store.releases_of(track, true).await?;
                let elsewhere = standing
                    .iter()
                    .any(|other| other != &key && self.releases.get(other).is_none_or(|r| !r.release.withdrawn));
                if elsewhere || recording.recording.withdrawn {
                    continue;
                }
                recording.revision += 1;
                recording.recording.withdrawn = true;
                recording.recording.updated_by_message = Some(self.message.created);
                report.counts.recordings_withdrawn += 1;
                self.changed_recordings.insert(track.clone(), format!("withdrawn with release {key}"));
                self.recordings.insert(track.clone(), recording);
            }
            self.changed_releases.insert(key.clone(), "withdrawn".into());
            self.releases.insert(key, release);
        }
        Ok(())
    }

    fn finish(self, message: ErnMessageRecord) -> ErnBatch {
        let mut revisions = Vec::new();
        let mut recordings = Vec::new();
        for (key, summary) in &self.changed_recordings {
            if let Some(r) = self.recordings.get(key) {
                revisions.push(self.revision(
                    "recording",
                    key,
                    r.revision,
                    summary,
                    serde_json::to_string(&r.recording).unwrap_or_default(),
                ));
                recordings.push(r.clone());
            }
        }
        let mut releases = Vec::new();
        for (key, summary) in &self.changed_releases {
            if let Some(r) = self.releases.get(key) {
                revisions.push(self.revision(
                    "release",
                    key,
                    r.revision,
                    summary,
                    serde_json::to_string(&r.release).unwrap_or_default(),
                ));
                releases.push(r.clone());
            }
        }
        ErnBatch { message, recordings, releases, revisions, links: self.links }
    }

    fn revision(&self, entity: &str, key: &str, revision: u32, summary: &str, document: String) -> CatalogueRevision {
        CatalogueRevision {
            entity: entity.to_owned(),
            key: key.to_owned(),
            revision,
            changed_at: self.now,
            source: self.source.to_owned(),
            summary: summary.to_owned(),
            document,
        }
    }
}

/// Sets the fields the message gives (keeping the others), each with its source; returns the names of
/// the fields whose value changed.
fn apply_fields(rec: &mut SoundRecording, r: &ErnRecording, source: &str) -> Vec<&'static str> {
    // An update replaces the previous description: what the message leaves out is cleared. (Only the origin
    // is set by operators; CWR REC fields are merged when shown, never stored here.)
    let before = rec.clone();
    let sourced = |v| Sourced::new(v, source);
    rec.title = Some(r.title.clone()).filter(|t| !t.is_empty()).map(sourced);
    rec.subtitle = r.subtitle.clone().map(sourced);
    rec.display_artists = Some(r.display_artists.clone()).filter(|a| !a.is_empty()).map(|v| Sourced::new(v, source));
    let contributors: Vec<RecordingContributor> = r
        .contributors
        .iter()
        .map(|c| RecordingContributor { name: c.name.clone(), roles: c.roles.clone(), indirect: c.indirect })
        .collect();
    rec.contributors = Some(contributors).filter(|c| !c.is_empty()).map(|v| Sourced::new(v, source));
    rec.duration_seconds = r.duration_seconds.map(|v| Sourced::new(v, source));
    rec.label = r.label.clone().map(sourced);
    rec.p_line = r.p_line.clone().map(sourced);
    if rec.isrc.is_none() {
        rec.isrc = r.isrc;
    }
    /// Whether a field's value differs (its source alone does not count).
    fn differs<T: PartialEq>(a: &Option<Sourced<T>>, b: &Option<Sourced<T>>) -> bool {
        a.as_ref().map(|x| &x.value) != b.as_ref().map(|x| &x.value)
    }
    let fields = [
        ("title", differs(&before.title, &rec.title)),
        ("subtitle", differs(&before.subtitle, &rec.subtitle)),
        ("display artists", differs(&before.display_artists, &rec.display_artists)),
        ("contributors", differs(&before.contributors, &rec.contributors)),
        ("duration", differs(&before.duration_seconds, &rec.duration_seconds)),
        ("label", differs(&before.label, &rec.label)),
        ("P-line", differs(&before.p_line, &rec.p_line)),
    ];
    fields.into_iter().filter(|(_, d)| *d).map(|(name, _)| name).collect()
}

/// A recording as people look at it: the ERN/operator fields, completed from CWR REC records, its links to
/// works from every source, its releases and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordingView {
    pub recording: SoundRecording,
    pub links: Vec<RecordingLink>,
    pub releases: Vec<Release>,
    pub history: Vec<CatalogueRevision>,
}

/// Shows a recording by ISRC (or key), merging what ERN and CWR say.
#[tracing::instrument(skip_all)]
pub async fn recording_view(
    store: &dyn RepertoireStore,
    actor: &Actor,
    key: &str,
) -> Result<RecordingView, RecordingError> {
    actor.may(UseCase::ShowRecording, Scope::Society)?;
    let key = domain::Isrc::parse(key).map(|i| i.as_str().to_owned()).unwrap_or_else(|_| key.trim().to_owned());
    let stored = store.sound_recordings(std::slice::from_ref(&key)).await?.into_iter().next();
    let cwr = store.cwr_recordings_by_isrc(&key).await?;
    if stored.is_none() && cwr.is_empty() {
        return Err(RecordingError::UnknownRecording(key));
    }
    let mut recording =
        stored.map_or_else(|| SoundRecording::new(&key, domain::Isrc::parse(&key).ok()), |s| s.recording);
    let mut links = store.recording_links(&key).await?;
    for c in &cwr {
        let source = format!("CWR REC of work {}", c.work_code);
        let info = &c.recording;
        if recording.title.is_none() && !info.title.is_empty() {
            recording.title = Some(Sourced::new(info.title.clone(), &source));
        }
        // A CWR 2.1 REC record has no title: the recording then bears the title of the work it records.
        if recording.title.is_none()
            && let Some(work) = store.work(&c.work_code).await?
        {
            recording.title = Some(Sourced::new(work.summary.title, &format!("title of work {}", c.work_code)));
        }
        if recording.display_artists.is_none() && !info.artist.is_empty() {
            recording.display_artists = Some(Sourced::new(vec![info.artist.clone()], &source));
        }
        if recording.label.is_none() && !info.label.is_empty() {
            recording.label = Some(Sourced::new(info.label.clone(), &source));
        }
        if recording.duration_seconds.is_none()
            && let Some(d) = info.duration_seconds
        {
            recording.duration_seconds = Some(Sourced::new(d, &source));
        }
        if !links.iter().any(|l| l.work_code == c.work_code) {
            links.push(RecordingLink { recording_key: key.clone(), work_code: c.work_code.clone(), source });
        }
    }
    recording.releases = store.releases_of(&key, false).await?;
    let releases = store.releases(&recording.releases).await?.into_iter().map(|r| r.release).collect();
    let history = store.catalogue_revisions("recording", &key).await?;
    Ok(RecordingView { recording, links, releases, history })
}

/// Links a recording to the work with this ISWC (an operator's link).
#[tracing::instrument(skip_all)]
pub async fn link(
    store: &dyn RepertoireStore,
    actor: &Actor,
    key: &str,
    iswc: &Iswc,
    by: &str,
) -> Result<(RecordingLink, bool), RecordingError> {
    actor.may(UseCase::LinkRecording, Scope::Society)?;
    let view = recording_view(store, actor, key).await?;
    let work = store.work(&iswc.to_string()).await?.ok_or_else(|| RecordingError::UnknownWork(iswc.to_string()))?;
    let link = RecordingLink {
        recording_key: view.recording.key,
        work_code: work.summary.code,
        source: format!("operator {by}"),
    };
    let added = store.add_recording_link(&link).await?;
    Ok((link, added))
}

/// Records a recording's AI involvement (an operator's statement).
#[tracing::instrument(skip_all)]
pub async fn set_origin(
    store: &dyn RepertoireStore,
    actor: &Actor,
    key: &str,
    origin: Origin,
    by: &str,
    now: DateTime<Utc>,
) -> Result<SoundRecording, RecordingError> {
    actor.may(UseCase::SetRecordingOrigin, Scope::Society)?;
    let view = recording_view(store, actor, key).await?;
    let stored = store.sound_recordings(std::slice::from_ref(&view.recording.key)).await?.into_iter().next();
    // Start from what is stored (or nothing): the view's CWR fields are merged when shown, never copied.
    let mut stored = stored.unwrap_or_else(|| StoredSoundRecording {
        recording: SoundRecording::new(&view.recording.key, view.recording.isrc),
        revision: 0,
    });
    stored.revision += 1;
    let source = format!("operator {by}");
    stored.recording.origin = Sourced::new(origin, &source);
    let revision = CatalogueRevision {
        entity: "recording".into(),
        key: stored.recording.key.clone(),
        revision: stored.revision,
        changed_at: now,
        source,
        summary: format!("origin set to {}", origin.as_str()),
        document: serde_json::to_string(&stored.recording).unwrap_or_default(),
    };
    store.put_sound_recording(&stored, &revision).await?;
    Ok(stored.recording)
}

/// Searches recordings by title or artist (ERN and operator records, and CWR REC records), at most `limit`.
#[tracing::instrument(skip_all)]
pub async fn search(
    store: &dyn RepertoireStore,
    actor: &Actor,
    text: &str,
    limit: u32,
) -> Result<Vec<SoundRecording>, RecordingError> {
    actor.may(UseCase::SearchRecordings, Scope::Society)?;
    let mut found: Vec<SoundRecording> =
        store.search_sound_recordings(text, limit).await?.into_iter().map(|s| s.recording).collect();
    for c in store.search_cwr_recordings(text, limit).await? {
        let Some(isrc) = c.recording.isrc else { continue };
        if found.len() as u32 >= limit || found.iter().any(|r| r.key == isrc.as_str()) {
            continue;
        }
        let source = format!("CWR REC of work {}", c.work_code);
        let mut r = SoundRecording::new(isrc.as_str(), Some(isrc));
        r.title = Some(Sourced::new(c.recording.title.clone(), &source));
        r.display_artists =
            Some(Sourced::new(vec![c.recording.artist.clone()], &source)).filter(|a| !a.value[0].is_empty());
        found.push(r);
    }
    Ok(found)
}

/// Registers a recording's audio fingerprints (computed by the caller from the audio file). A recording not
/// yet in the catalogue is added with its ISRC alone.
#[tracing::instrument(skip_all)]
pub async fn register_audio(
    store: &dyn RepertoireStore,
    actor: &Actor,
    isrc: &domain::Isrc,
    prints: &Prints,
    duration_ms: u64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<AudioRegistered, RecordingError> {
    actor.may(UseCase::RegisterAudio, Scope::Society)?;
    let key = isrc.as_str().to_owned();
    let digest = prints_digest(prints);
    let mut outcome = AudioRegistered::default();
    for (other, other_digest) in store.fingerprint_digests().await? {
        if other == key {
            outcome.replaced = other_digest != digest;
        } else if other_digest == digest {
            outcome.same_audio_as.push(other);
        }
    }
    if store.sound_recordings(std::slice::from_ref(&key)).await?.is_empty() {
        let recording = StoredSoundRecording { recording: SoundRecording::new(&key, Some(*isrc)), revision: 1 };
        let revision = CatalogueRevision {
            entity: "recording".into(),
            key: key.clone(),
            revision: 1,
            changed_at: now,
            source: format!("operator {by}"),
            summary: "new recording, registered from its audio".into(),
            document: serde_json::to_string(&recording.recording).unwrap_or_default(),
        };
        store.put_sound_recording(&recording, &revision).await?;
    }
    store.put_fingerprint(&key, prints, duration_ms).await?;
    Ok(outcome)
}

/// What registering a recording's audio found besides: a person should hear of both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AudioRegistered {
    /// The recording had other audio registered, which this replaced.
    pub replaced: bool,
    /// Recordings already registered with the very same audio: identifying it will name them all.
    pub same_audio_as: Vec<String>,
}

impl AudioRegistered {
    /// What to tell the person who registered it, if anything.
    pub fn notices(&self, isrc: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.replaced {
            out.push(format!("{isrc} had other audio registered: it was replaced by this file"));
        }
        if !self.same_audio_as.is_empty() {
            out.push(format!(
                "the same audio is registered for {} too: identifying it will name them all; remove the wrong one",
                self.same_audio_as.join(", ")
            ));
        }
        out
    }
}

/// A recognised recording with what the catalogue knows of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identified {
    #[serde(flatten)]
    pub found: fingerprint::Match,
    pub title: Option<String>,
}

/// What a recording's fingerprints are, in a word (SHA-256 of their items), stored beside them.
pub fn prints_digest(prints: &Prints) -> String {
    let mut hash = Sha256::new();
    for item in prints.chromaprint.iter().chain([&u32::MAX]).chain(&prints.peaks) {
        hash.update(item.to_le_bytes());
    }
    ports::hex(&hash.finalize())
}

/// What every stored fingerprint is, in a word: an index file built from them keeps it, so a file built from
/// other fingerprints (older ones, or another store's) is known to be stale.
async fn fingerprints_stamp(store: &dyn RepertoireStore) -> StoreResult<String> {
    let digests = store.fingerprint_digests().await?;
    let mut hash = Sha256::new();
    for (key, digest) in &digests {
        hash.update(format!("{key}\t{digest}\n"));
    }
    Ok(format!("{} recordings, {}", digests.len(), ports::hex(&hash.finalize())))
}

/// Where the recogniser came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexSource {
    /// Read from the index file, which matched the store.
    File,
    /// Built from the store (no file, or it was stale or damaged), and saved to the file if one was given.
    Built,
    /// Built from the store, but the file could not be written (why): the next identification builds again.
    Unsaved(String),
}

/// The recogniser over every registered recording: read from `index_file` when it was built from the
/// fingerprints the store holds now, otherwise built from the store and saved there. The file is written
/// under a name of this process's own and renamed into place, so a reader never sees half a file and two
/// writers do not mix; failing to save it is reported, not an error.
#[tracing::instrument(skip_all)]
pub async fn recogniser(
    store: &dyn RepertoireStore,
    actor: &Actor,
    index_file: Option<&std::path::Path>,
) -> Result<(Recogniser, IndexSource), RecordingError> {
    actor.may(UseCase::IdentifyAudio, Scope::Society)?;
    let stamp = fingerprints_stamp(store).await?;
    let path = index_file.map(std::path::Path::to_path_buf);
    // Reading, building and writing the index is CPU and file work: off the async threads.
    let (read_path, read_stamp) = (path.clone(), stamp.clone());
    let found = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(read_path?).ok()?;
        Recogniser::read(&mut std::io::BufReader::new(file), &read_stamp).ok().flatten()
    })
    .await
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()));
    if let Some(found) = found {
        return Ok((found, IndexSource::File));
    }
    let prints = store.fingerprints().await?;
    let built = tokio::task::spawn_blocking(move || {
        let built = Recogniser::build(prints);
        let source = match &path {
            Some(path) => save_index(&built, path, &stamp),
            None => IndexSource::Built,
        };
        (built, source)
    })
    .await
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()));
    Ok(built)
}

/// Writes the index under a partial name of its own and renames it into place.
fn save_index(built: &Recogniser, path: &std::path::Path, stamp: &str) -> IndexSource {
    // Each writer its own partial file, also two in one process (a server matching two disclosures).
    static WRITERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let writer = WRITERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = std::path::PathBuf::from(format!("{}.{}-{writer}.partial", path.display(), std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&partial)?);
        built.write(&mut out, stamp)?;
        std::io::Write::flush(&mut out)?;
        std::fs::rename(&partial, path)
    };
    match write() {
        Ok(()) => IndexSource::Built,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            IndexSource::Unsaved(format!("cannot write {}: {e}", path.display()))
        }
    }
}

/// Identifies audio against every registered recording (see [`recogniser`] for the index).
#[tracing::instrument(skip_all)]
pub async fn identify(
    store: &dyn RepertoireStore,
    actor: &Actor,
    recogniser: &Recogniser,
    query: &Query,
    top: usize,
    thresholds: Thresholds,
) -> Result<Vec<Identified>, RecordingError> {
    actor.may(UseCase::IdentifyAudio, Scope::Society)?;
    let mut out = Vec::new();
    for found in recogniser.identify(query, top, thresholds) {
        let recording = store.sound_recordings(std::slice::from_ref(&found.key)).await?.into_iter().next();
        let title = recording.and_then(|r| r.recording.title.map(|t| t.value));
        out.push(Identified { found, title });
    }
    Ok(out)
}
