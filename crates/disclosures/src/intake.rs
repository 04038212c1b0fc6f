//! Disclosure intake: each file is kept in the archive exactly as received, told apart by its first bytes
//! (a manifest in CSV, JSON Lines or Parquet; an AI Act summary; Croissant metadata) and read in one
//! streaming pass to validate it and count what the assessment weighs. A disclosure with any error stores
//! nothing (and its files are not kept, unless the same bytes were kept before); the same files and totals
//! again are the disclosure already received; anything else is the model version's next disclosure.

use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use formats::Diagnostic;
use formats::disclosure::croissant::{CroissantDataset, read_croissant};
use formats::disclosure::summary::{AiActSummary, FORMAT_NAME as SUMMARY_FORMAT, read_summary};
use formats::disclosure::{DisclosureFileKind, ManifestFormat, ManifestStats, read_manifest, read_manifest_parquet};
use sha2::{Digest, Sha256};

use super::run::MatchRun;
use super::{Assessment, DeclaredTotals, Disclosure, DisclosureError, DisclosureFile, FileKind, MatchSet, Progress};
use crate::DisclosureStore;
use domain::ids::LicenseeId;
use licensing::Archive;
use ports::access::{Actor, Scope, UseCase};
use ports::progress::Counting;

/// The largest disclosure file accepted: a manifest of a hundred million items fits.
pub const MAX_FILE_BYTES: u64 = 64 << 30;
/// The largest AI Act summary or Croissant file read.
const MAX_DOCUMENT_BYTES: u64 = 16 << 20;

/// Where a submitted file's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// A file on disk, copied into the archive.
    Path(PathBuf),
    /// A file already kept in the archive (uploaded before), by its SHA-256.
    Archived(String),
}

impl FileSource {
    /// A file on disk, named by its file name.
    pub fn on_disk(path: &std::path::Path) -> (String, FileSource) {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        (name, FileSource::Path(path.to_path_buf()))
    }
}

/// A submission: the files of one disclosure about one model version.
pub struct Submission<'a> {
    pub licensee: &'a LicenseeId,
    pub model_version: &'a str,
    /// Each file as (the name to show, where it is).
    pub files: Vec<(String, FileSource)>,
    /// Totals declared with the submission; where absent, the AI Act summary's `declared_totals` count.
    pub declared: DeclaredTotals,
    pub received_by: &'a str,
    pub now: DateTime<Utc>,
    /// The largest file accepted ([`MAX_FILE_BYTES`] unless the caller sets a lower limit).
    pub max_bytes: u64,
    pub progress: Option<Progress>,
    /// The licensee means this revision to take the place of the one in force although it lacks a kind of
    /// file that one had (a manifest, an AI Act summary): without it, such a revision is refused.
    pub replace: bool,
}

impl std::fmt::Debug for Submission<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Submission({} {} by {}, {} files)",
            self.licensee,
            self.model_version,
            self.received_by,
            self.files.len()
        )
    }
}

/// What receiving did.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    New(Disclosure),
    /// The same files and totals as the model version's disclosure in force: nothing changed.
    AlreadyReceived(Disclosure),
}

impl Received {
    pub fn disclosure(&self) -> &Disclosure {
        match self {
            Received::New(d) | Received::AlreadyReceived(d) => d,
        }
    }
}

/// What reading one file found.
#[derive(Default)]
struct FileRead {
    kind: Option<FileKind>,
    stats: ManifestStats,
    summary: Option<AiActSummary>,
    croissant: Option<CroissantDataset>,
    errors: u64,
    diagnostics: Vec<Diagnostic>,
}

/// Reads an archived file through, without storing anything.
fn read_file(archive: &Archive, sha256: &str, progress: Option<Progress>) -> Result<FileRead, std::io::Error> {
    let head = archive.head(sha256, 64 * 1024)?;
    let mut read = FileRead::default();
    let Some(kind) = DisclosureFileKind::detect(&head) else { return Ok(read) };
    // Progress in one unit per file: rows for Parquet (its bytes are not read in order), bytes otherwise.
    match kind {
        DisclosureFileKind::Manifest(ManifestFormat::Parquet) => {
            let mut stats = ManifestStats::default();
            let outcome = read_manifest_parquet(archive.open(sha256)?, &mut |item| {
                stats.add(&item);
                if let Some(p) = &progress
                    && stats.items.is_multiple_of(100_000)
                {
                    p("reading rows", stats.items, 0);
                }
            });
            read = FileRead {
                kind: Some(FileKind::Manifest(ManifestFormat::Parquet)),
                stats,
                errors: outcome.errors,
                diagnostics: outcome.diagnostics,
                ..read
            };
        }
        DisclosureFileKind::Manifest(format) => {
            let file = archive.open(sha256)?;
            let size = file.metadata()?.len();
            let bytes = progress.clone().map(|p| Arc::new(move |b| p("reading", b, size)) as ports::progress::Counter);
            let input = BufReader::with_capacity(1 << 20, Counting::new(file, bytes));
            let mut stats = ManifestStats::default();
            let outcome = read_manifest(format, input, &mut |item| stats.add(&item));
            read = FileRead {
                kind: Some(FileKind::Manifest(format)),
                stats,
                errors: outcome.errors,
                diagnostics: outcome.diagnostics,
                ..read
            };
        }
        DisclosureFileKind::Document => {
            let bytes = archive.head(sha256, MAX_DOCUMENT_BYTES as usize + 1)?;
            if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
                read.errors = 1;
                read.diagnostics.push(Diagnostic::new(
                    0,
                    "",
                    None,
                    formats::Level::File,
                    "an AI Act summary or Croissant file over 16 MiB is not read: is it a manifest?",
                ));
                return Ok(read);
            }
            // A summary names its format; Croissant is JSON-LD with a context. Anything else is told what to do.
            let document: Option<serde_json::Value> = match serde_json::from_slice(&bytes) {
                Ok(document) => Some(document),
                Err(e) => {
                    read.errors = 1;
                    let message =
                        format!("not valid JSON: {e}: an AI Act summary or Croissant file is one JSON document");
                    read.diagnostics.push(Diagnostic::new(e.line() as u64, "", None, formats::Level::File, message));
                    read.kind = Some(FileKind::AiActSummary);
                    return Ok(read);
                }
            };
            let member = |name: &str| document.as_ref().and_then(|d| d.get(name)).cloned();
            let (kind, parsed) = if member("format").and_then(|f| f.as_str().map(str::to_owned)).as_deref()
                == Some(SUMMARY_FORMAT)
                || member("@context").is_none() && member("provider").is_some()
            {
                (
                    FileKind::AiActSummary,
                    read_summary(&bytes).map(|(summary, warnings)| {
                        read.summary = Some(summary);
                        warnings
                    }),
                )
            } else if member("@context").is_some() {
                (
                    FileKind::Croissant,
                    read_croissant(&bytes).map(|dataset| {
                        read.croissant = Some(dataset);
                        Vec::new()
                    }),
                )
            } else {
                let neither = "a JSON document that is neither an AI Act summary (format \"tantiem-ai-act-summary/1\") nor Croissant metadata (a JSON-LD @context naming http://mlcommons.org/croissant/): see docs/disclosures.md";
                (
                    FileKind::Croissant,
                    Err(formats::disclosure::DocumentError(Diagnostic::new(
                        1,
                        "",
                        None,
                        formats::Level::File,
                        neither,
                    ))),
                )
            };
            read.kind = Some(kind);
            match parsed {
                Ok(warnings) => read.diagnostics = warnings,
                Err(e) => {
                    read.errors = 1;
                    read.diagnostics.push(e.0);
                }
            }
        }
    }
    Ok(read)
}

/// Puts a submitted file in the archive (or finds it there), at most `limit` bytes.
fn keep(
    archive: &Archive,
    source: FileSource,
    limit: u64,
    progress: Option<&Progress>,
) -> std::io::Result<licensing::archive::Archived> {
    match source {
        FileSource::Path(path) => {
            let input = std::fs::File::open(&path)?;
            let size = input.metadata().map_or(0, |m| m.len());
            let bytes =
                progress.cloned().map(|p| Arc::new(move |b| p("archiving", b, size)) as ports::progress::Counter);
            archive.put(Counting::new(input, bytes), limit)
        }
        FileSource::Archived(sha256) => {
            let path = archive.path_of(&sha256).ok().filter(|p| p.is_file());
            let Some(path) = path else {
                let missing = format!("no file {sha256} is kept in the archive: upload it first");
                return Err(std::io::Error::new(std::io::ErrorKind::NotFound, missing));
            };
            let size = std::fs::metadata(&path)?.len();
            if size > limit {
                let over = format!("the file is larger than the limit of {limit} bytes");
                return Err(std::io::Error::new(std::io::ErrorKind::FileTooLarge, over));
            }
            Ok(licensing::archive::Archived { sha256: sha256.to_ascii_lowercase(), size, path, fresh: false })
        }
    }
}

/// A rejected disclosure's files are not kept (unless the same bytes were kept before).
fn discard(archive: &Archive, kept: &[licensing::archive::Archived]) {
    for archived in kept {
        archive.discard(archived);
    }
}

/// Hours as people write them (`"1.92"`) in thousandths of an hour.
pub fn milli_hours(text: &str) -> Result<u64, DisclosureError> {
    formats::disclosure::summary::declared_milli_hours(text).ok_or_else(|| {
        DisclosureError::NothingSubmitted(format!(
            "the declared hours {text:?} are not a decimal number of hours with at most three decimals"
        ))
    })
}

/// The same files (in any order) and the same totals give the same key.
fn content_key(files: &[DisclosureFile], declared: &DeclaredTotals) -> String {
    let mut parts: Vec<String> = files.iter().map(|f| format!("{:?}:{}", f.kind, f.sha256)).collect();
    parts.sort();
    parts.push(format!("items={:?} milli_hours={:?}", declared.items, declared.milli_hours));
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    ports::hex(&h.finalize())
}

/// Takes in a submission: archives, reads and validates every file, and records the disclosure.
#[tracing::instrument(skip_all)]
pub async fn receive(
    store: &dyn DisclosureStore,
    actor: &Actor,
    archive: &Archive,
    s: Submission<'_>,
) -> Result<Received, DisclosureError> {
    actor.may(UseCase::SubmitDisclosure, Scope::Licensee(s.licensee))?;
    store.licensee(s.licensee).await?.ok_or_else(|| DisclosureError::UnknownLicensee(s.licensee.into()))?;
    if !store.model_versions(s.licensee).await?.iter().any(|m| m.id == s.model_version) {
        return Err(DisclosureError::UnknownModel { licensee: s.licensee.into(), model: s.model_version.into() });
    }
    if s.files.is_empty() {
        return Err(DisclosureError::NothingSubmitted(
            "a disclosure needs at least one file: a manifest, an AI Act summary or Croissant metadata".into(),
        ));
    }
    let mut files = Vec::new();
    let mut stats = ManifestStats::default();
    let mut summary: Option<AiActSummary> = None;
    let mut croissant = Vec::new();
    let mut warnings = Vec::new();
    let mut errors = 0u64;
    let mut problems = Vec::new();
    let mut kept = Vec::new();
    for (name, source) in &s.files {
        let failed = |message: String| DisclosureError::File { file: name.clone(), message };
        let (task_archive, source, limit, progress) =
            (archive.clone(), source.clone(), s.max_bytes, s.progress.clone());
        let taken = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            let archived = keep(&task_archive, source, limit, progress.as_ref())?;
            match read_file(&task_archive, &archived.sha256, progress) {
                Ok(read) => Ok((archived, read)),
                Err(e) => {
                    task_archive.discard(&archived);
                    Err(e)
                }
            }
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(format!("the reading task failed: {e}"))));
        let (archived, read) = match taken {
            Ok(taken) => taken,
            Err(e) => {
                discard(archive, &kept);
                return Err(match e.kind() {
                    std::io::ErrorKind::FileTooLarge => {
                        DisclosureError::TooLarge { file: name.clone(), limit: s.max_bytes }
                    }
                    _ => failed(e.to_string()),
                });
            }
        };
        let Some(kind) = read.kind else {
            archive.discard(&archived);
            discard(archive, &kept);
            return Err(DisclosureError::UnknownFile { file: name.clone() });
        };
        if let Some(same) = files.iter().find(|f: &&DisclosureFile| f.sha256 == archived.sha256) {
            // The second copy was not fresh: the first one's put is what `discard` undoes.
            discard(archive, &kept);
            return Err(DisclosureError::Request(format!(
                "{name} is the same file as {}: give each file once",
                same.name
            )));
        }
        errors += read.errors;
        for d in read.diagnostics {
            if d.level == formats::Level::Warning {
                warnings.push(format!("{name}: {d}"));
            } else {
                problems.push((name.clone(), d));
            }
        }
        if let Some(found) = read.summary {
            if summary.is_some() {
                errors += 1;
                let second = "a disclosure has one AI Act summary: this is a second one";
                problems.push((name.clone(), Diagnostic::new(0, "", None, formats::Level::File, second)));
            }
            summary = Some(found);
        }
        croissant.extend(read.croissant);
        stats.merge(&read.stats);
        files.push(DisclosureFile {
            name: name.clone(),
            sha256: archived.sha256.clone(),
            size: archived.size,
            kind,
            items: read.stats.items,
        });
        kept.push(archived);
    }
    if errors > 0 {
        discard(archive, &kept);
        return Err(DisclosureError::Invalid { errors, diagnostics: problems });
    }
    let from_summary = summary.as_ref().and_then(|s| s.declared_totals.clone()).unwrap_or_default();
    let declared = DeclaredTotals {
        items: s.declared.items.or(from_summary.items),
        milli_hours: match (s.declared.milli_hours, &from_summary.audio_hours) {
            (Some(m), _) => Some(m),
            (None, Some(text)) => Some(milli_hours(text)?),
            (None, None) => None,
        },
    };
    let mut disclosure = Disclosure {
        id: String::new(),
        licensee: s.licensee.into(),
        model_version: s.model_version.into(),
        revision: 0,
        current: true,
        received_at: s.now,
        received_by: s.received_by.into(),
        content_key: content_key(&files, &declared),
        files,
        declared,
        stats,
        summary,
        croissant,
        warnings,
    };
    let recorded = record(store, &mut disclosure, s.replace).await;
    if matches!(recorded, Err(DisclosureError::DropsFiles { .. })) {
        discard(archive, &kept);
    }
    recorded
}

/// Refuses a revision that would take the place of the disclosure in force while lacking a kind of file it
/// had (a training manifest, an AI Act summary), unless the licensee says it means to: a Croissant file
/// alone sent after a full disclosure would otherwise bring the presumption back unnoticed.
fn drops_nothing_unless_meant(current: &Disclosure, new: &Disclosure, replace: bool) -> Result<(), DisclosureError> {
    let mut dropped = Vec::new();
    if current.stats.items > 0 && new.stats.items == 0 {
        dropped.push("a training manifest");
    }
    if current.summary.is_some() && new.summary.is_none() {
        dropped.push("an AI Act summary");
    }
    if replace || dropped.is_empty() {
        return Ok(());
    }
    Err(DisclosureError::DropsFiles { current: current.id.clone(), dropped: dropped.join(" and ") })
}

/// Records a read disclosure as its model version's next revision, unless the one in force has the same
/// content. Another submission for the model version may take the revision a moment before: then this one
/// looks again (it may be that one), a few times.
async fn record(
    store: &dyn DisclosureStore,
    disclosure: &mut Disclosure,
    replace: bool,
) -> Result<Received, DisclosureError> {
    const ATTEMPTS: usize = 3;
    let mut attempt = 1;
    loop {
        let mine: Vec<Disclosure> = store
            .disclosures(Some(&disclosure.licensee))
            .await?
            .into_iter()
            .filter(|d| d.model_version == disclosure.model_version)
            .collect();
        if let Some(same) = mine.iter().find(|d| d.current && d.content_key == disclosure.content_key) {
            return Ok(Received::AlreadyReceived(same.clone()));
        }
        // Decided on what this attempt read: a revision another submission records meanwhile makes the add
        // below fail, and the next attempt decides again.
        if let Some(current) = mine.iter().find(|d| d.current) {
            drops_nothing_unless_meant(current, disclosure, replace)?;
        }
        let number = store.allocate("disclosures", 1).await?;
        disclosure.id = format!("D{number:06}");
        disclosure.revision = mine.len() as u32 + 1;
        match store.add_disclosure(disclosure).await {
            Ok(()) => return Ok(Received::New(disclosure.clone())),
            // The files stay in the archive: the other submission may hold the same bytes.
            Err(e) if attempt == ATTEMPTS => return Err(e.into()),
            Err(_) => attempt += 1,
        }
    }
}

/// Brings a received disclosure to its end: matched if it has no match set yet, then assessed if the match
/// set is new or nothing assessed it. What every submission ends with, also when the same files come again
/// after a run that was interrupted.
#[tracing::instrument(skip_all)]
pub async fn complete(
    store: &dyn DisclosureStore,
    actor: &Actor,
    d: &Disclosure,
    run: &MatchRun<'_>,
    by: &str,
) -> Result<(MatchSet, Assessment), DisclosureError> {
    actor.may(UseCase::CompleteDisclosures, Scope::Licensee(&d.licensee))?;
    // The society matches and assesses what its licensee sent.
    let society = Actor::society();
    let (set, fresh) = match store.match_sets(&d.id).await?.pop() {
        Some(set) => (set, false),
        None => (super::run::match_disclosure(store, &society, d, run).await?, true),
    };
    let assessment = match store.assessments(&d.id).await?.pop() {
        Some(a) if !fresh && a.match_set == set.id => a,
        _ => super::assess::assess(store, &society, &ports::stored_id(&d.id)?, by, run.now).await?,
    };
    Ok((set, assessment))
}

/// Records that a licensee uploaded a file now kept in the archive (again changes nothing), so that its
/// disclosure may name it.
#[tracing::instrument(skip_all)]
pub async fn record_upload(
    store: &dyn DisclosureStore,
    actor: &Actor,
    licensee: &LicenseeId,
    sha256: &str,
    size: u64,
    now: DateTime<Utc>,
) -> Result<(), DisclosureError> {
    actor.may(UseCase::UploadDisclosureFile, Scope::Licensee(licensee))?;
    Ok(store.add_upload(licensee, sha256, size, now).await?)
}

/// Whether a licensee uploaded the file with this SHA-256: a disclosure it sends names only its own uploads.
#[tracing::instrument(skip_all)]
pub async fn uploaded(
    store: &dyn DisclosureStore,
    actor: &Actor,
    licensee: &LicenseeId,
    sha256: &str,
) -> Result<bool, DisclosureError> {
    actor.may(UseCase::UploadDisclosureFile, Scope::Licensee(licensee))?;
    Ok(store.uploaded(licensee, sha256).await?)
}

/// Whether a disclosure still needs [`complete`]: it has no match set, or its latest match set is not
/// assessed.
#[tracing::instrument(skip_all)]
pub async fn incomplete(store: &dyn DisclosureStore, actor: &Actor, d: &Disclosure) -> Result<bool, DisclosureError> {
    actor.may(UseCase::ShowDisclosure, Scope::Licensee(&d.licensee))?;
    let Some(set) = store.match_sets(&d.id).await?.pop() else { return Ok(true) };
    Ok(store.assessments(&d.id).await?.pop().is_none_or(|a| a.match_set != set.id))
}

/// Receives a submission, matches it and assesses it: what `disclosure submit` does. `audio_index` is the
/// fingerprint index file kept beside the store, read only when items carry fingerprints.
#[tracing::instrument(skip_all)]
pub async fn submit(
    store: &dyn DisclosureStore,
    actor: &Actor,
    archive: &Archive,
    s: Submission<'_>,
    audio_index: Option<PathBuf>,
) -> Result<(Received, MatchSet, Assessment), DisclosureError> {
    let (now, by, progress) = (s.now, s.received_by.to_owned(), s.progress.clone());
    let received = receive(store, actor, archive, s).await?;
    let run = MatchRun { archive, audio_index, now, progress };
    let (set, assessment) = complete(store, actor, received.disclosure(), &run, &by).await?;
    Ok((received, set, assessment))
}
