//! The repertoire's store port, in the domain's language, and the rows it reads and writes. Implemented by
//! `store-sqlite` (the embedded default) and `store-postgres` (production); the areas know neither.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    ConsentChoice, Iswc, Mandate, Origin, Party, PartyKey, RecordingInfo, Role, SocietyCode, SocietyRules, Work,
};
use money::Share;
use serde::{Deserialize, Serialize};

pub use ports::{StoreError, StoreResult, stored_id};

/// The registry held by one import: dropping it lets the next import in.
pub struct RegistryLock(pub Box<dyn std::any::Any + Send + Sync>);

impl std::fmt::Debug for RegistryLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegistryLock")
    }
}

/// The society running this Tantiem, with the rules it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocietyConfig {
    pub code: SocietyCode,
    pub name: String,
    pub rules: SocietyRules,
}

/// Whether a registration is in force or held as a conflict with other claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationStatus {
    Active,
    /// Claims more than 100% together with other registrations of the work: kept, shown, not applied.
    Conflict,
}

impl RegistrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Active => "active",
            RegistrationStatus::Conflict => "conflict",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(RegistrationStatus::Active),
            "conflict" => Some(RegistrationStatus::Conflict),
            _ => None,
        }
    }
}

/// What the import needs to know of an existing registration to decide identity, duplicates and conflicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRef {
    pub work_code: String,
    pub submitter: String,
    pub submitter_work_number: String,
    pub content_hash: String,
    pub status: RegistrationStatus,
    /// Whether the work is shown from this registration (the first submitter's, unless in conflict).
    pub primary: bool,
    /// The work's ISWC (held on the work, whoever's registration brought it).
    pub iswc: Option<Iswc>,
    /// Sum of the performing and mechanical shares this registration's controlled parties hold.
    pub controlled_performing: Share,
    pub controlled_mechanical: Share,
}

/// A registration to write (insert or replace, keyed by submitter + submitter work number); whether it
/// is the work's primary registration is `reference.primary`.
#[derive(Debug, Clone)]
pub struct RegistrationWrite {
    pub reference: RegistrationRef,
    pub work: Work,
    /// Index in the batch's `revisions` of the revision that records this registration's document: the
    /// document is stored once, in the history, and the registration points at it.
    pub revision_index: usize,
}

/// A change to the work's history: what happened, from which submission, by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub work_code: String,
    /// Numbered by the store when written: 1 for a work's first change.
    pub revision: u32,
    /// `NWR`, `REV`, `WRK`, `ISW`, `conflict`, `origin`, ...
    pub change: String,
    pub submitter: String,
    pub submitter_work_number: String,
    pub summary: String,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    /// The registration's document after the change (JSON), so any past state can be shown; `None` for
    /// changes that touch no registration (ISWC notices, origin).
    pub document: Option<String>,
}

/// An agreement read from a CWR AGR transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementWrite {
    pub submitter: String,
    pub number: String,
    pub document: String,
}

/// Everything one chunk of an import writes, committed atomically.
#[derive(Debug, Clone, Default)]
pub struct ImportBatch {
    /// When the import runs: the time stamp of every row the batch writes.
    pub at: DateTime<Utc>,
    /// Works first seen in this batch: (code, title, ISWC, origin).
    pub new_works: Vec<(String, String, Option<Iswc>, Origin)>,
    pub registrations: Vec<RegistrationWrite>,
    pub revisions: Vec<Revision>,
    pub parties: Vec<Party>,
    pub iswc_updates: Vec<(String, Iswc)>,
    pub agreements: Vec<AgreementWrite>,
}

impl ImportBatch {
    pub fn is_empty(&self) -> bool {
        self.new_works.is_empty()
            && self.registrations.is_empty()
            && self.revisions.is_empty()
            && self.iswc_updates.is_empty()
            && self.agreements.is_empty()
    }
}

/// A submission (one imported file), kept so re-importing it is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionRecord {
    pub sha256: String,
    pub file_name: String,
    pub version: String,
    pub submitter: String,
    pub received_at: DateTime<Utc>,
    pub ack_file_name: Option<String>,
    pub summary: String,
}

/// A row of a work search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkSummary {
    pub code: String,
    pub title: String,
    pub iswc: Option<Iswc>,
    pub origin: Origin,
    pub revision: u32,
}

/// A registration as stored, with its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRegistration {
    pub submitter: String,
    pub submitter_work_number: String,
    pub status: RegistrationStatus,
    pub primary: bool,
    pub revision: u32,
    pub work: Work,
    pub updated_at: DateTime<Utc>,
}

/// Everything `works show` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkDetail {
    pub summary: WorkSummary,
    pub registrations: Vec<StoredRegistration>,
    pub history: Vec<Revision>,
}

impl WorkDetail {
    /// The registration the work is shown from.
    pub fn primary(&self) -> Option<&StoredRegistration> {
        self.registrations.iter().find(|r| r.primary).or_else(|| self.registrations.first())
    }
}

/// A party's part in one work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyInterest {
    pub work_code: String,
    pub title: String,
    pub role: Role,
    pub controlled: bool,
    pub performing: Share,
    pub mechanical: Share,
    pub synchronisation: Share,
}

/// Everything `parties show` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyDetail {
    pub party: Party,
    pub interests: Vec<PartyInterest>,
    pub consent: Vec<ConsentChoice>,
    pub mandates: Vec<Mandate>,
}

/// Counts of what the registry holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryCounts {
    pub works: u64,
    pub registrations: u64,
    pub conflicts: u64,
    pub parties: u64,
    pub recordings: u64,
    pub submissions: u64,
}

/// A recording as stored, linked to its work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecording {
    pub work_code: String,
    pub recording: RecordingInfo,
}

/// What the repertoire's use cases need from a store, in the domain's words. Every write method is atomic.
#[async_trait]
pub trait RepertoireStore: crate::recordings::RecordingStore + Send + Sync {
    /// Which backend this is ("sqlite", "postgres"), for messages.
    fn backend(&self) -> &'static str;

    async fn society(&self) -> StoreResult<Option<SocietyConfig>>;
    async fn set_society(&self, config: &SocietyConfig) -> StoreResult<()>;

    /// Every registration of every work that has a registration matching one of the (submitter, submitter
    /// work number) keys or one of the ISWCs: a claim check needs all of a work's registrations.
    async fn lookup_registrations(
        &self,
        keys: &[(String, String)],
        iswcs: &[Iswc],
    ) -> StoreResult<Vec<RegistrationRef>>;
    /// Registrations whose submitter work number is `number`, whoever submitted them.
    async fn registrations_by_number(&self, number: &str) -> StoreResult<Vec<RegistrationRef>>;
    /// Reserves `count` consecutive numbers of the named counter (starting at 1) and returns the first;
    /// with `count` 0 it only tells the next number.
    async fn allocate(&self, counter: &str, count: u64) -> StoreResult<u64>;
    async fn commit_import(&self, batch: &ImportBatch) -> StoreResult<()>;
    /// Waits for, and then holds until the lock is dropped, the registry: an import decides its chunks from
    /// what is stored and commits them later, so two imports at once (two processes, or two requests) queue
    /// here and each decides from what the earlier one committed. A process that dies releases it.
    async fn lock_registry(&self) -> StoreResult<RegistryLock>;

    async fn submission_by_hash(&self, sha256: &str) -> StoreResult<Option<SubmissionRecord>>;
    async fn add_submission(&self, submission: &SubmissionRecord) -> StoreResult<()>;

    async fn search_works(&self, text: &str, limit: u32) -> StoreResult<Vec<WorkSummary>>;
    /// A work by its society code or ISWC.
    async fn work(&self, code_or_iswc: &str) -> StoreResult<Option<WorkDetail>>;
    async fn work_recordings(&self, work_code: &str) -> StoreResult<Vec<StoredRecording>>;
    /// A party by key (`IPI:…`, `SUB:…`) or bare IPI name number.
    async fn party(&self, key_or_ipi: &str) -> StoreResult<Option<PartyDetail>>;

    async fn add_consent(&self, choice: &ConsentChoice) -> StoreResult<()>;
    /// Records that a society represents some of a party's rights (appended; the latest in force wins).
    async fn add_mandate(&self, mandate: &Mandate) -> StoreResult<()>;
    async fn consent_for(&self, parties: &[PartyKey]) -> StoreResult<Vec<ConsentChoice>>;
    async fn set_origin(&self, work_code: &str, origin: Origin, revision: &Revision) -> StoreResult<bool>;

    async fn counts(&self) -> StoreResult<RegistryCounts>;
}
