//! Training disclosures: what a licensee says a model version trained on (`intake`), matched to the
//! repertoire (loaded by `repertoire`) in versioned match sets streamed through the matcher (`run`), with
//! people's decisions on ambiguous items kept across re-matching (`decisions`), judged for transparency
//! with the presumption rule applied where it falls short (`assess`), and shown to the society's staff,
//! including per rightsholder (`views`).
//!
//! A manifest is confidential: it is kept in the archive as received and its items are seen by the
//! society's staff and the licensee; a member sees only the items matched to their own works.

pub mod assess;
pub mod decisions;
pub mod intake;
pub mod repertoire;
pub mod run;
mod store;
pub mod views;

use chrono::{DateTime, NaiveDate, Utc};
use domain::disclosure::{CriterionResult, TransparencyCriteria, Verdict};
use formats::Diagnostic;
use formats::disclosure::croissant::CroissantDataset;
use formats::disclosure::summary::AiActSummary;
use formats::disclosure::{ManifestFormat, ManifestItem, ManifestStats};
use money::Share;
use serde::{Deserialize, Serialize};

pub use store::DisclosureStore;

use licensing::invoicing::InvoiceError;
use ports::StoreError;

/// The matcher's view of a manifest item.
pub fn matching_item(item: &ManifestItem) -> ::matching::Item {
    ::matching::Item {
        isrc: item.isrc.clone(),
        iswc: item.iswc.clone(),
        title: item.title.clone(),
        version: item.version.clone(),
        artists: item.artists.clone(),
        writers: item.writers.clone(),
        duration_s: item.duration_s,
        fingerprint: item.chromaprint.clone(),
    }
}

/// What a file of a disclosure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Manifest(ManifestFormat),
    AiActSummary,
    Croissant,
}

impl FileKind {
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Manifest(ManifestFormat::Csv) => "manifest (CSV)",
            FileKind::Manifest(ManifestFormat::JsonLines) => "manifest (JSON Lines)",
            FileKind::Manifest(ManifestFormat::Parquet) => "manifest (Parquet)",
            FileKind::AiActSummary => "AI Act summary",
            FileKind::Croissant => "Croissant metadata",
        }
    }
}

/// A file of a disclosure, kept in the archive as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureFile {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub kind: FileKind,
    /// Items, for a manifest.
    pub items: u64,
}

/// Totals the licensee declares for the whole training set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredTotals {
    pub items: Option<u64>,
    /// Hours of audio in thousandths of an hour (exact: `1.920` hours is 1,920).
    pub milli_hours: Option<u64>,
}

/// A disclosure: one submission of a licensee about one model version. A later submission for the same
/// model version is its next revision and the one in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disclosure {
    /// `D000001`, numbered in order of receipt.
    pub id: String,
    pub licensee: String,
    pub model_version: String,
    /// 1 for the model version's first disclosure.
    pub revision: u32,
    pub current: bool,
    pub received_at: DateTime<Utc>,
    pub received_by: String,
    pub files: Vec<DisclosureFile>,
    pub declared: DeclaredTotals,
    pub stats: ManifestStats,
    pub summary: Option<AiActSummary>,
    pub croissant: Vec<CroissantDataset>,
    /// What reading the files warned of, as "file: line N: ..." (at most [`formats::MAX_DIAGNOSTICS`] per file).
    pub warnings: Vec<String>,
    /// A digest of the files and the declared totals: the same again is the same disclosure.
    pub content_key: String,
}

impl Disclosure {
    pub fn manifests(&self) -> impl Iterator<Item = (usize, &DisclosureFile)> {
        self.files.iter().enumerate().filter(|(_, f)| matches!(f.kind, FileKind::Manifest(_)))
    }
}

/// The status of one item in a match set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchStatus {
    Matched,
    Ambiguous,
    Unmatched,
}

impl MatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Matched => "matched",
            MatchStatus::Ambiguous => "ambiguous",
            MatchStatus::Unmatched => "unmatched",
        }
    }

    pub fn parse(text: &str) -> Option<MatchStatus> {
        [MatchStatus::Matched, MatchStatus::Ambiguous, MatchStatus::Unmatched].into_iter().find(|s| s.as_str() == text)
    }
}

/// One item of a match set: the item as the manifest gave it (in brief) and what matching (or a person)
/// decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchRow {
    /// The item's number in the disclosure, from 1, in file order.
    pub item: u64,
    /// Which file (index in the disclosure's files) and line or row.
    pub file: u32,
    pub line: u64,
    /// The item's identity (from [`::matching::Matcher::match_all_identified`]): what people's decisions are
    /// kept by.
    pub item_key: String,
    /// The licensee's own id for the item, if the manifest gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// "Title — Artists (ISRC)" as the manifest wrote them.
    pub described: String,
    pub status: MatchStatus,
    pub recording: Option<String>,
    pub works: Vec<String>,
    pub method: Option<::matching::Method>,
    /// In thousandths.
    pub score: u16,
    pub explanation: String,
    pub candidates: Vec<::matching::Candidate>,
    /// A person's decision made this row (and will again, when the disclosure is matched anew).
    pub decided: bool,
}

/// A version of a disclosure's matching: every item's outcome against the repertoire as it stood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchSet {
    pub id: u64,
    pub disclosure: String,
    /// 1 for the disclosure's first match set.
    pub number: u32,
    pub created_at: DateTime<Utc>,
    /// What the repertoire was when matched ([`repertoire::stamp`]): a different stamp means re-match.
    pub repertoire_stamp: String,
    pub counts: MatchCounts,
}

/// What a match set came to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchCounts {
    pub items: u64,
    pub matched: u64,
    /// Matched to a recording (the rest of `matched` to works alone).
    pub recordings: u64,
    pub works_only: u64,
    pub ambiguous: u64,
    pub unmatched: u64,
    pub by_method: Vec<(::matching::Method, u64)>,
    /// People's decisions applied.
    pub decided: u64,
    /// Distinct works matched.
    pub works: u64,
}

/// A person's decision on an item: which recording or works it is, or that it is none of the repertoire.
/// Kept by the licensee and the item's identity, so it survives re-matching and re-submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub licensee: String,
    pub item_key: String,
    pub recording: Option<String>,
    pub works: Vec<String>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    pub note: String,
}

impl Decision {
    /// Whether the person decided the item is in none of the repertoire.
    pub fn is_none(&self) -> bool {
        self.recording.is_none() && self.works.is_empty()
    }
}

/// A matched work whose holders reserved training: the society is told of it as unlicensed use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlicensedUse {
    pub work_code: String,
    pub title: String,
    /// Items matched to it.
    pub items: u64,
    /// The share of the work whose holders reserved training, and who they are.
    pub reserved: Share,
    pub holders: Vec<(String, String, Share)>,
}

/// A transparency assessment of a disclosure, on one match set, and what it did to the presumption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub disclosure: String,
    pub match_set: u64,
    pub assessed_at: DateTime<Utc>,
    pub assessed_by: String,
    pub verdict: Verdict,
    pub criteria: TransparencyCriteria,
    pub results: Vec<CriterionResult>,
    /// Distinct works matched, and of them those the licence can cover (not fully AI-generated).
    pub works_matched: u64,
    pub licensed_works_matched: u64,
    /// Matched works whose holders reserved training (at most [`assess::UNLICENSED_LISTED`] listed).
    pub unlicensed: Vec<UnlicensedUse>,
    pub unlicensed_works: u64,
    /// The day the reservations were read for (the model's training day, or the day of assessment).
    pub consent_as_of: NaiveDate,
    /// What the assessment did to held presumption parts (journal entries posted).
    pub settlements: Vec<String>,
}

/// What a rightsholder sees: which model versions' disclosures matched their works, by which method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyMatch {
    pub licensee: String,
    pub model_version: String,
    pub disclosure: String,
    pub work_code: String,
    pub method: ::matching::Method,
    pub items: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    #[error("no licensee {0:?}: add it with `tantiem licensee add`")]
    UnknownLicensee(String),
    #[error("licensee {licensee} has no model version {model:?}: add it with `tantiem model add`")]
    UnknownModel { licensee: String, model: String },
    #[error("no disclosure {0:?}: `tantiem disclosure list` lists them")]
    UnknownDisclosure(String),
    #[error("{0}")]
    NothingSubmitted(String),
    #[error(
        "disclosure {current} in force has {dropped} and this one has not: nothing was stored. Send the files again with it, or say that this one replaces it (`--replace`; `\"replace\": true` over the API)"
    )]
    DropsFiles { current: String, dropped: String },
    #[error("{0}")]
    Request(String),
    #[error("no party {0:?}: give an IPI name number or a party key (`tantiem parties show` finds them)")]
    UnknownParty(String),
    #[error(
        "{file}: not a disclosure file Tantiem reads: expected a training manifest (CSV, JSON Lines, Parquet), an AI Act summary (JSON, format tantiem-ai-act-summary/1) or Croissant metadata; see docs/disclosures.md"
    )]
    UnknownFile { file: String },
    #[error("the disclosure was rejected with {errors} error(s); nothing was stored. Fix them and submit it again:\n{}", list(.diagnostics))]
    Invalid { errors: u64, diagnostics: Vec<(String, Diagnostic)> },
    #[error("{file} is larger than the limit of {limit} bytes: split the manifest into several files")]
    TooLarge { file: String, limit: u64 },
    #[error("{file} could not be kept or read: {message}")]
    File { file: String, message: String },
    #[error("item {item} is not in match set {match_set} of disclosure {disclosure}")]
    UnknownItem { disclosure: String, match_set: u64, item: u64 },
    #[error("{0}")]
    Decision(String),
    #[error("disclosure {0} has not been matched yet: run `tantiem disclosure rematch {0}`")]
    NotMatched(String),
    #[error("the audio fingerprints could not be used: {0}")]
    Audio(String),
    #[error("matching stopped: {0}")]
    Matching(String),
    #[error(transparent)]
    Invoice(#[from] InvoiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] ports::access::Denied),
}

fn list(diagnostics: &[(String, Diagnostic)]) -> String {
    diagnostics.iter().map(|(file, d)| format!("  {file}: {d}")).collect::<Vec<_>>().join("\n")
}

/// Says how far a long step has got: the phase and how much of it is done (bytes or items) of how much.
pub type Progress = std::sync::Arc<dyn Fn(&'static str, u64, u64) + Send + Sync>;
