//! What the licensing side keeps, and the store trait that keeps it: licensees, services, model versions,
//! agreement versions with their terms, API tokens (hashed), report revisions with the usage rating needs,
//! the journal, invoices, payments, signing keys (sealed) and issued licences.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::licensing::{AgreementVersion, Licensee, ModelVersion, Service};
use domain::{Period, Stage};
use formats::report::{Attribution, ReportFormat, ReportKind};
use ledger::JournalEntry;
use money::{Amount, Currency};
use rating::RatedPeriod;
use serde::{Deserialize, Serialize};

use super::terms::AgreementTerms;
use ports::StoreResult;

/// One version of an agreement as stored: what it covers and on which terms, who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementRecord {
    pub coverage: AgreementVersion,
    pub terms: AgreementTerms,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

/// A licensee's blanket agreement with every version it has had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAgreement {
    pub id: String,
    pub licensee: String,
    pub versions: Vec<AgreementRecord>,
}

impl StoredAgreement {
    /// The agreement as the domain checks it.
    pub fn domain(&self) -> domain::licensing::Agreement {
        domain::licensing::Agreement {
            id: self.id.clone(),
            licensee: self.licensee.clone(),
            versions: self.versions.iter().map(|v| v.coverage.clone()).collect(),
        }
    }

    /// The version in force on `day` with its terms.
    pub fn record_on(&self, day: NaiveDate) -> Option<&AgreementRecord> {
        self.versions.iter().filter(|v| v.coverage.may_be_in_force_on(day)).max_by_key(|v| v.coverage.precedence())
    }

    /// The version with the highest number (drafts included): what an amendment starts from.
    pub fn latest(&self) -> Option<&AgreementRecord> {
        self.versions.iter().max_by_key(|v| v.coverage.version)
    }
}

/// One revision of a report as received: the original is in the archive under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRecord {
    pub licensee: String,
    pub report_id: String,
    /// 1 for the first submission; each correction adds one and supersedes the one before.
    pub revision: u32,
    pub kind: ReportKind,
    pub format: ReportFormat,
    pub period: Period,
    pub currency: Currency,
    pub sha256: String,
    pub size: u64,
    pub received_at: DateTime<Utc>,
    pub received_by: String,
    pub current: bool,
    pub summary: ReportSummary,
}

/// What intake found in a report: counts, lateness and the uses outside the agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    pub lines: u64,
    pub outputs: u64,
    pub usage_rows: u64,
    pub late: bool,
    pub due_on: Option<NaiveDate>,
    /// Each distinct use outside the agreement, with its reasons, in words.
    pub unlicensed: Vec<String>,
    /// How many of the summed usage rows are outside the agreement.
    pub unlicensed_lines: u64,
}

/// Usage summed for rating: a service line, or output exploitation per service, model version, use type and
/// territory. `licensed` is false for a use outside the agreement (flagged, not invoiced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    pub stage: Stage,
    pub service: String,
    pub territory: String,
    pub model_version: String,
    pub use_type: String,
    pub revenue: Amount,
    pub subscribers: u64,
    pub generations: u64,
    pub usages: u64,
    pub licensed: bool,
}

impl UsageRow {
    /// The use this row reports, as the agreement checks it, on `day` (a period's first day).
    pub fn as_use(&self, day: NaiveDate) -> domain::licensing::Use<'_> {
        fn given(text: &str) -> Option<&str> {
            Some(text).filter(|t| !t.is_empty())
        }
        domain::licensing::Use {
            stage: self.stage,
            day,
            territory: &self.territory,
            service: given(&self.service),
            model_version: given(&self.model_version),
            use_type: given(&self.use_type),
        }
    }

    /// Output use from DSR lines that link to none of the licensee's reported AI outputs names no service:
    /// it is not AI output use the licence covers.
    pub fn is_linked(&self) -> bool {
        self.stage != Stage::Output || !self.service.is_empty()
    }
}

/// One AI output's totals for a report, with its attribution, kept for distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRow {
    pub output_id: String,
    pub service: Option<String>,
    pub model_version: Option<String>,
    pub created_on: Option<NaiveDate>,
    pub isrc: Option<String>,
    pub usages: u64,
    pub revenue: Amount,
    pub attribution: Option<Attribution>,
    /// Its revenue per territory (ISO country → micro-units in the revenue's currency); empty for outputs
    /// stored before territories were kept, which count in every territory.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub territories: BTreeMap<String, i64>,
}

/// A new report revision with the usage rating needs (its outputs are staged before, in chunks, under
/// `staging`).
#[derive(Debug, Clone)]
pub struct ReportWrite {
    pub record: ReportRecord,
    pub usage: Vec<UsageRow>,
    pub staging: String,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The first 12 hex digits of the token's SHA-256, enough to name it for revocation.
    pub hash_prefix: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Whom a token of a rightsholder or sister society lets act (a licensee's token names its licensee).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenHolder {
    /// A member, for the parties named (party keys).
    Member { name: String, parties: Vec<String> },
    /// A sister society, by its CISAC code.
    Society { code: u16, name: String },
}

/// An invoice to number and store with its journal entry.
#[derive(Debug, Clone)]
pub struct PendingInvoice {
    pub invoice: Invoice,
    /// `INV-2026`, `CN-2026`.
    pub series: String,
    pub entry: JournalEntry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvoiceKind {
    Invoice,
    CreditNote,
    /// An advance on royalties (not a period's charges).
    Advance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvoiceStatus {
    Issued,
    PartiallyPaid,
    Paid,
    Disputed,
    /// Cancelled by a credit note (a corrected invoice follows).
    Credited,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::PartiallyPaid => "partially-paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Disputed => "disputed",
            InvoiceStatus::Credited => "credited",
        }
    }
}

/// A currency conversion applied to reported figures, with the rate recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionNote {
    pub from: Currency,
    pub to: Currency,
    /// Units of `to` per unit of `from`, nine decimals.
    pub rate: String,
    pub source: String,
}

/// An issued invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// `INV-2026-000001` or `CN-2026-000001`: gapless within each series and year.
    pub number: String,
    pub kind: InvoiceKind,
    pub licensee: String,
    pub licensee_name: String,
    pub period: Period,
    pub agreement: String,
    pub agreement_version: u32,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub currency: Currency,
    pub conversions: Vec<ConversionNote>,
    pub rated: RatedPeriod,
    /// Uses outside the agreement found in the period's reports: flagged, not invoiced.
    pub unlicensed: Vec<String>,
    /// The report revisions and model versions the invoice was rated from (a correction changes it).
    pub basis: Vec<String>,
    /// For a credit note: the invoice it cancels.
    pub corrects: Option<String>,
    pub status: InvoiceStatus,
    pub journal_entry: u64,
    /// The training figures priced (kept so a re-run prices the same repertoire size).
    #[serde(default)]
    pub training: Vec<rating::TrainingUsage>,
    /// Paid against the invoices this one replaced.
    #[serde(default)]
    pub paid_before: Option<Amount>,
    /// Since when the presumption part has been held (the first invoice of the period to hold it).
    #[serde(default)]
    pub held_since: Option<NaiveDate>,
    /// What a person should know (e.g. a model version that could not be priced).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A payment received against an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The bank's or the operator's reference: recording it again changes nothing.
    pub key: String,
    pub invoice: String,
    pub amount: Amount,
    pub received_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub journal_entry: u64,
}

/// What a decision on a locked invoice writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceChange {
    /// Nothing (the same payment was recorded before, say).
    Nothing,
    Status(InvoiceStatus),
    /// A payment with its journal entry, and the invoice's status after it.
    Payment {
        payment: Box<Payment>,
        entry: Box<JournalEntry>,
        status: InvoiceStatus,
    },
}

/// A decision on an invoice, taken from it and its payments as they stand under its lock.
pub type InvoiceDecision =
    Box<dyn FnOnce(&Invoice, &[Payment]) -> Result<InvoiceChange, super::invoicing::InvoiceError> + Send>;

/// An invoice after a change, with the payment the change recorded (numbered), if it recorded one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedInvoice {
    pub invoice: Invoice,
    pub payment: Option<Payment>,
}

/// A signing key as stored: the private half sealed under the operator's passphrase, never in plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub key_id: String,
    pub public_key: String,
    pub sealed_secret: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// A licence certificate as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLicence {
    pub id: String,
    pub licensee: String,
    pub agreement: String,
    pub agreement_version: u32,
    pub signed: licence::SignedCertificate,
    pub issued_at: DateTime<Utc>,
}

/// What the latest assessment of a model version's disclosure in force found, as pricing needs it: the
/// licensing area reads it through its own port and knows nothing else of disclosures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingTransparency {
    pub disclosure: String,
    pub verdict: domain::disclosure::Verdict,
    pub licensed_works_matched: u64,
}

/// What the licensing use cases need from a store (the repertoire's and the books' ports below it). Every
/// write is one transaction.
#[async_trait]
pub trait LicensingStore: repertoire::RepertoireStore + books::BooksStore + Send + Sync {
    async fn put_licensee(&self, licensee: &Licensee) -> StoreResult<()>;
    async fn licensee(&self, id: &str) -> StoreResult<Option<Licensee>>;
    async fn licensees(&self) -> StoreResult<Vec<Licensee>>;
    async fn put_service(&self, service: &Service) -> StoreResult<()>;
    async fn services(&self, licensee: &str) -> StoreResult<Vec<Service>>;
    async fn put_model_version(&self, model: &ModelVersion) -> StoreResult<()>;
    async fn model_versions(&self, licensee: &str) -> StoreResult<Vec<ModelVersion>>;

    /// Adds an agreement version; refuses one whose number already exists.
    async fn add_agreement_version(&self, id: &str, licensee: &str, record: &AgreementRecord) -> StoreResult<()>;
    async fn agreement_of(&self, licensee: &str) -> StoreResult<Option<StoredAgreement>>;
    async fn agreement(&self, id: &str) -> StoreResult<Option<StoredAgreement>>;
    async fn agreements(&self) -> StoreResult<Vec<StoredAgreement>>;

    async fn add_token(&self, hash: &str, licensee: &str, label: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// The licensee a token hash belongs to, unless revoked.
    async fn token_licensee(&self, hash: &str) -> StoreResult<Option<String>>;
    async fn tokens(&self, licensee: &str) -> StoreResult<Vec<TokenRecord>>;
    async fn add_holder_token(
        &self,
        hash: &str,
        holder: &TokenHolder,
        label: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Whom a member's or sister society's token hash lets act, unless revoked.
    async fn token_holder(&self, hash: &str) -> StoreResult<Option<TokenHolder>>;
    /// Revokes the licensee's tokens whose hash starts with `hash_prefix`; returns how many.
    async fn revoke_tokens(&self, licensee: &str, hash_prefix: &str, at: DateTime<Utc>) -> StoreResult<u64>;

    async fn report_revisions(&self, licensee: &str, report_id: &str) -> StoreResult<Vec<ReportRecord>>;
    /// Stages a chunk of a revision's outputs under a staging token. They are invisible until
    /// [`LicensingStore::add_report`] records the revision and adopts the rows staged under its token
    /// (dropping what other, interrupted or concurrent, attempts staged for the same revision).
    async fn stage_outputs(
        &self,
        staging: &str,
        licensee: &str,
        report_id: &str,
        revision: u32,
        rows: Vec<OutputRow>,
    ) -> StoreResult<()>;
    /// Stores a new revision, marking the earlier ones superseded, in one transaction.
    async fn add_report(&self, write: ReportWrite) -> StoreResult<()>;
    async fn reports(&self, licensee: &str) -> StoreResult<Vec<ReportRecord>>;
    /// Usage of the current revisions of a licensee's reports for a period.
    async fn usage(&self, licensee: &str, period: Period) -> StoreResult<Vec<UsageRow>>;
    async fn outputs(&self, licensee: &str, report_id: &str) -> StoreResult<Vec<OutputRow>>;
    /// Outputs the licensee reported before (in current revisions, with a service) whose output id or ISRC
    /// is one of `ids`: what a DSR line is linked to.
    async fn known_outputs(&self, licensee: &str, ids: &[String]) -> StoreResult<Vec<OutputRow>>;

    /// Numbers each invoice (next in its series, gapless), posts its entry (numbered next in the journal),
    /// marks the invoice a credit note corrects as credited, and stores them all, in one transaction.
    /// Returns the invoices as numbered.
    async fn issue_invoices(&self, batch: Vec<PendingInvoice>) -> StoreResult<Vec<Invoice>>;
    async fn invoice(&self, number: &str) -> StoreResult<Option<Invoice>>;
    async fn invoices(&self, licensee: Option<&str>) -> StoreResult<Vec<Invoice>>;
    /// Locks an invoice (its row on PostgreSQL, the write lock on SQLite), lets `decide` choose from the
    /// invoice and its payments as they stand under the lock, and writes what it chose, all in one
    /// transaction: two payments or a payment and a dispute at once are decided one after the other.
    async fn change_invoice(
        &self,
        number: &str,
        decide: InvoiceDecision,
    ) -> StoreResult<Result<ChangedInvoice, super::invoicing::InvoiceError>>;
    async fn payments(&self, invoice: &str) -> StoreResult<Vec<Payment>>;
    /// Posts an entry that belongs to no invoice (a presumption release).
    async fn post_entry(&self, entry: JournalEntry) -> StoreResult<u64>;

    /// What the latest assessment of the disclosure in force for a licensee's model version found, if one
    /// was assessed.
    async fn training_transparency(&self, licensee: &str, model: &str) -> StoreResult<Option<TrainingTransparency>>;

    /// Works in the licensed repertoire: every work that is not fully AI-generated. (Shares reserved by
    /// their holders reduce what a work's holders receive, not the count the presumption prices.)
    async fn licensed_repertoire_size(&self, stage: Stage) -> StoreResult<u64>;
    /// Works with a reservation for the stage, by a holder's general choice or one for the work (at most
    /// `limit`, in code order): candidates for the AI-preferences statement.
    async fn works_with_reservations(&self, stage: Stage, limit: u32) -> StoreResult<Vec<String>>;
    /// The codes of the works whose recordings carry this ISRC.
    async fn works_by_isrc(&self, isrc: &str) -> StoreResult<Vec<String>>;

    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>>;
    /// Adds a key and retires every other key, in one transaction.
    async fn rotate_key(&self, key: &StoredKey) -> StoreResult<()>;
    async fn put_licence(&self, licence: &StoredLicence) -> StoreResult<()>;
    async fn licence(&self, id: &str) -> StoreResult<Option<StoredLicence>>;
    async fn licences(&self, licensee: &str) -> StoreResult<Vec<StoredLicence>>;
}
