//! The API's own types: what every JSON route answers (and the disclosure request it reads), apart from
//! the engine's types, so that the engine and the stored documents may change without changing what
//! licensees' programs read. Each is built from the engine's value by `From`; the OpenAPI document is
//! generated from them (`openapi`).
//!
//! Money is `{"micros": …, "currency": …}` (integer micro-units, as everywhere in Tantiem); moments are
//! RFC 3339, days ISO 8601; shares are percentages with two decimals as text.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use engine::disclosure as dis;
use engine::licensing::{licences, licensees, offer, reports, store as lic};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The word an engine enum is written as (its unit variants serialise as strings).
fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A JSON object given as the engine writes it, for the parts of an answer that are documented formats of
/// their own (the tariff, the AI Act summary, Croissant metadata, the transparency criteria).
fn object<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// An amount of money in integer micro-units of its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Money {
    /// Millionths of the currency's unit: 23300.00 EUR is 23300000000.
    pub micros: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<money::Amount> for Money {
    fn from(a: money::Amount) -> Money {
        Money { micros: a.micros(), currency: a.currency().code().to_owned() }
    }
}

/// What was wrong and what to do; every error the API answers has this body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A short code (`bad-request`, `not-found`, `conflict`, `unauthorised`, `too-many-requests`, …).
    pub error: String,
    pub detail: String,
    /// For a rejected file: each problem with its line, record and field.
    pub diagnostics: Vec<Diagnostic>,
}

/// A problem found in a submitted file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Diagnostic {
    /// 1-based line (0: the file as a whole).
    pub line: u64,
    /// The record or section the line holds.
    pub record: String,
    pub field: Option<String>,
    /// `ER`, `TR`, `RR`, `FR` or `W` (error of the file, transaction, record, field; warning).
    pub level: String,
    pub message: String,
}

impl From<&formats::Diagnostic> for Diagnostic {
    fn from(d: &formats::Diagnostic) -> Diagnostic {
        Diagnostic {
            line: d.line,
            record: d.record.clone(),
            field: d.field.map(str::to_owned),
            level: word(&d.level),
            message: d.message.clone(),
        }
    }
}

// --- the licensee, its services, model versions and agreement --------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseeView {
    pub licensee: Licensee,
    pub services: Vec<Service>,
    pub model_versions: Vec<ModelVersion>,
    pub agreement: Option<Agreement>,
}

impl From<licensees::LicenseeView> for LicenseeView {
    fn from(v: licensees::LicenseeView) -> LicenseeView {
        LicenseeView {
            licensee: v.licensee.into(),
            services: v.services.into_iter().map(Service::from).collect(),
            model_versions: v.model_versions.into_iter().map(ModelVersion::from).collect(),
            agreement: v.agreement.map(Agreement::from),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Licensee {
    pub id: String,
    pub name: String,
    /// ISO 3166 alpha-2 country of establishment.
    pub country: String,
    pub vat_number: Option<String>,
    /// `micro`, `small`, `medium` or `large`.
    pub business_tier: String,
    pub contacts: Vec<String>,
}

impl From<domain::licensing::Licensee> for Licensee {
    fn from(l: domain::licensing::Licensee) -> Licensee {
        Licensee {
            id: l.id,
            name: l.name,
            country: l.country,
            vat_number: l.vat_number,
            business_tier: l.business_tier,
            contacts: l.contacts,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    pub id: String,
    pub name: String,
    /// Which model versions power the service from which day.
    pub timeline: Vec<ServiceModels>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceModels {
    pub from: NaiveDate,
    pub model_versions: Vec<String>,
}

impl From<domain::licensing::Service> for Service {
    fn from(s: domain::licensing::Service) -> Service {
        let timeline =
            s.timeline.into_iter().map(|t| ServiceModels { from: t.from, model_versions: t.model_versions }).collect();
        Service { id: s.id, name: s.name, timeline }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelVersion {
    pub id: String,
    pub name: String,
    pub version: String,
    pub base_models: Vec<String>,
    pub trained_on: Option<NaiveDate>,
    pub placed_on_eu_market: Option<NaiveDate>,
    /// Where the AI Act public training summary is published.
    pub training_summary_url: Option<String>,
}

impl From<domain::licensing::ModelVersion> for ModelVersion {
    fn from(m: domain::licensing::ModelVersion) -> ModelVersion {
        ModelVersion {
            id: m.id,
            name: m.name,
            version: m.version,
            base_models: m.base_models,
            trained_on: m.trained_on,
            placed_on_eu_market: m.placed_on_eu_market,
            training_summary_url: m.training_summary_url,
        }
    }
}

/// The blanket agreement with every version it has had.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agreement {
    pub id: String,
    pub versions: Vec<AgreementVersion>,
}

impl From<lic::StoredAgreement> for Agreement {
    fn from(a: lic::StoredAgreement) -> Agreement {
        Agreement { id: a.id, versions: a.versions.into_iter().map(AgreementVersion::from).collect() }
    }
}

/// What one version of the agreement covers, on which terms.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementVersion {
    pub version: u32,
    pub effective_from: NaiveDate,
    pub term_until: Option<NaiveDate>,
    /// `draft`, `active`, `suspended` or `terminated`.
    pub status: String,
    /// `training`, `service`, `output`.
    pub stages: Vec<String>,
    /// ISO 3166 alpha-2 codes.
    pub territories: Vec<String>,
    /// CISAC codes of the societies whose repertoire is covered.
    pub societies: Vec<String>,
    pub services: Vec<String>,
    pub model_versions: Vec<String>,
    /// Output use types licensed.
    pub use_types: Vec<String>,
    /// The tariff, reporting duty, presumption window, guarantee, advance and payment days, in the form
    /// `tantiem tariff show` writes (docs/tariffs.md).
    #[schema(value_type = Object)]
    pub terms: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

impl From<lic::AgreementRecord> for AgreementVersion {
    fn from(r: lic::AgreementRecord) -> AgreementVersion {
        let c = r.coverage;
        AgreementVersion {
            version: c.version,
            effective_from: c.effective_from,
            term_until: c.term_until,
            status: word(&c.status),
            stages: c.stages.iter().map(|s| s.as_str().to_owned()).collect(),
            territories: c.territories,
            societies: c.societies.iter().map(|s| format!("{:03}", s.number())).collect(),
            services: c.services,
            model_versions: c.model_versions,
            use_types: c.use_types,
            terms: object(&r.terms),
            recorded_at: r.recorded_at,
            recorded_by: r.recorded_by,
        }
    }
}

// --- reports ---------------------------------------------------------------------------------------------

/// One revision of a report as received (the file itself is kept under its SHA-256).
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    pub report_id: String,
    /// 1 for the first submission; each correction adds one.
    pub revision: u32,
    /// `service` or `output`.
    pub kind: String,
    pub format: String,
    /// `YYYY-MM`.
    pub period: String,
    pub currency: String,
    pub sha256: String,
    pub size: u64,
    pub received_at: DateTime<Utc>,
    pub received_by: String,
    /// Whether this revision is the one in force.
    pub current: bool,
    pub summary: ReportSummary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSummary {
    pub lines: u64,
    pub outputs: u64,
    pub usage_rows: u64,
    pub late: bool,
    pub due_on: Option<NaiveDate>,
    /// Each distinct use outside the agreement, in words: flagged, not invoiced.
    pub unlicensed: Vec<String>,
    pub unlicensed_lines: u64,
}

impl From<&lic::ReportRecord> for Report {
    fn from(r: &lic::ReportRecord) -> Report {
        let s = &r.summary;
        Report {
            report_id: r.report_id.clone(),
            revision: r.revision,
            kind: word(&r.kind),
            format: word(&r.format),
            period: r.period.to_string(),
            currency: r.currency.code().to_owned(),
            sha256: r.sha256.clone(),
            size: r.size,
            received_at: r.received_at,
            received_by: r.received_by.clone(),
            current: r.current,
            summary: ReportSummary {
                lines: s.lines,
                outputs: s.outputs,
                usage_rows: s.usage_rows,
                late: s.late,
                due_on: s.due_on,
                unlicensed: s.unlicensed.clone(),
                unlicensed_lines: s.unlicensed_lines,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub reports: Vec<Report>,
}

/// What a submission did: `new`, `correction` (a new revision replaced the one in force) or
/// `already-received` (the same bytes again: nothing changed).
#[derive(Debug, Serialize, ToSchema)]
pub struct Submission {
    pub outcome: String,
    pub report: Report,
    pub warnings: Vec<Diagnostic>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRevisions {
    pub report_id: String,
    pub revisions: Vec<Report>,
}

/// A period's due report.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuePeriod {
    pub period: String,
    pub kind: String,
    pub due_on: NaiveDate,
    /// `received`, `late`, `missing` or `open`.
    pub status: String,
    pub report_ids: Vec<String>,
}

impl From<reports::DuePeriod> for DuePeriod {
    fn from(d: reports::DuePeriod) -> DuePeriod {
        DuePeriod {
            period: d.period.to_string(),
            kind: word(&d.kind),
            due_on: d.due_on,
            status: d.status.to_owned(),
            report_ids: d.report_ids,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportingStatus {
    pub periods: Vec<DuePeriod>,
}

// --- invoices and licences -------------------------------------------------------------------------------

/// An invoice or credit note in a list; the whole invoice is `GET …/invoices/{number}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceSummary {
    /// `INV-2026-000001` or `CN-2026-000001`.
    pub number: String,
    /// `invoice` or `credit-note`.
    pub kind: String,
    pub period: String,
    pub agreement: String,
    pub agreement_version: u32,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub net: Money,
    pub vat: Money,
    pub total: Money,
    /// The part owed only because of the presumption rule (held until the disclosure or the window).
    pub presumption_held: Money,
    /// `issued`, `partially-paid`, `paid`, `disputed` or `credited`.
    pub status: String,
    /// For a credit note: the invoice it cancels.
    pub corrects: Option<String>,
}

impl From<&lic::Invoice> for InvoiceSummary {
    fn from(i: &lic::Invoice) -> InvoiceSummary {
        InvoiceSummary {
            number: i.number.clone(),
            kind: word(&i.kind),
            period: i.period.to_string(),
            agreement: i.agreement.clone(),
            agreement_version: i.agreement_version,
            issued_on: i.issued_on,
            due_on: i.due_on,
            net: i.rated.net.into(),
            vat: i.rated.vat.into(),
            total: i.rated.total.into(),
            presumption_held: i.rated.presumption_held.into(),
            status: word(&i.status),
            corrects: i.corrects.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceList {
    pub invoices: Vec<InvoiceSummary>,
}

/// A signed licence certificate: `payload` is the canonical JSON of the certificate, signed with the
/// society's Ed25519 key `key_id`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignedCertificate {
    pub payload: String,
    pub key_id: String,
    /// Hex of the signature over `payload`.
    pub signature: String,
}

impl From<licence::SignedCertificate> for SignedCertificate {
    fn from(s: licence::SignedCertificate) -> SignedCertificate {
        SignedCertificate { payload: s.payload, key_id: s.key_id, signature: s.signature }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Licence {
    pub id: String,
    pub agreement: String,
    pub agreement_version: u32,
    pub issued_at: DateTime<Utc>,
    pub signed: SignedCertificate,
}

impl From<lic::StoredLicence> for Licence {
    fn from(l: lic::StoredLicence) -> Licence {
        Licence {
            id: l.id,
            agreement: l.agreement,
            agreement_version: l.agreement_version,
            issued_at: l.issued_at,
            signed: l.signed.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LicenceList {
    pub licences: Vec<Licence>,
}

/// What a licence certificate says (its signed payload).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certificate {
    /// The issuing society's CISAC code and name.
    pub issuer: String,
    pub licensee: String,
    pub agreement: String,
    pub agreement_version: u32,
    pub services: Vec<String>,
    pub model_versions: Vec<String>,
    pub stages: Vec<String>,
    pub territories: Vec<String>,
    pub societies: Vec<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

impl From<licence::Certificate> for Certificate {
    fn from(c: licence::Certificate) -> Certificate {
        Certificate {
            issuer: c.issuer,
            licensee: c.licensee,
            agreement: c.agreement,
            agreement_version: c.agreement_version,
            services: c.services,
            model_versions: c.model_versions,
            stages: c.stages,
            territories: c.territories,
            societies: c.societies,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
        }
    }
}

/// Whether a certificate is genuine and where its agreement stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verdict {
    /// The signature matches one of the society's published keys.
    pub signature_valid: bool,
    pub key_id: String,
    pub certificate: Option<Certificate>,
    /// `valid`, `suspended`, `ended`, `superseded`, `not-yet-valid`, `unknown-agreement`, or `invalid`.
    pub status: String,
    pub detail: String,
}

impl From<licences::Verdict> for Verdict {
    fn from(v: licences::Verdict) -> Verdict {
        Verdict {
            signature_valid: v.signature_valid,
            key_id: v.key_id,
            certificate: v.certificate.map(Certificate::from),
            status: v.status,
            detail: v.detail,
        }
    }
}

/// A licence by id, with its standing today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LicenceStatus {
    pub id: String,
    pub issued_at: DateTime<Utc>,
    pub verdict: Verdict,
    pub certificate: SignedCertificate,
}

/// One of the society's signing keys, current or retired.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedKey {
    pub key_id: String,
    /// Hex of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// Retired keys sign nothing new but still verify what they signed.
    pub retired: bool,
}

impl From<licence::PublishedKey> for PublishedKey {
    fn from(k: licence::PublishedKey) -> PublishedKey {
        PublishedKey { key_id: k.key_id, public_key: k.public_key, retired: k.retired }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<PublishedKey>,
}

// --- the per-work lookup ---------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct Lookup {
    /// The ISWC or ISRC asked for.
    pub id: String,
    pub works: Vec<WorkLookup>,
}

/// Per stage, how much of a work the AI licence includes.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkLookup {
    pub work: String,
    pub title: String,
    pub iswc: Option<String>,
    pub stages: Vec<StageInclusion>,
    /// Whom to ask for what the licence does not include.
    pub contact: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageInclusion {
    pub stage: String,
    /// `wholly`, `partly` or `not`.
    pub included: String,
    /// The included share, e.g. `62.50%`.
    pub share: String,
    /// Holders who reserved their share.
    pub reserved_by: Vec<String>,
}

impl From<offer::WorkLookup> for WorkLookup {
    fn from(w: offer::WorkLookup) -> WorkLookup {
        let stages = w
            .stages
            .into_iter()
            .map(|s| StageInclusion {
                stage: s.stage.as_str().to_owned(),
                included: s.included.to_owned(),
                share: s.share,
                reserved_by: s.reserved_by,
            })
            .collect();
        WorkLookup { work: w.work, title: w.title, iswc: w.iswc, stages, contact: w.contact }
    }
}

// --- disclosures -----------------------------------------------------------------------------------------

/// An uploaded disclosure file, to be named in a disclosure by its SHA-256.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedFile {
    pub sha256: String,
    pub size: u64,
    /// `manifest-csv`, `manifest-jsonl`, `manifest-parquet` or `document` (an AI Act summary or Croissant
    /// metadata, told apart once read whole).
    pub kind: String,
}

/// The kind of an uploaded or disclosed file as one word.
pub fn file_kind<T: Serialize>(kind: &T) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::Object(map)) => {
            map.iter().map(|(k, v)| format!("{k}-{}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join("")
        }
        _ => word(kind),
    }
}

/// A model version's disclosure of uploaded files.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureRequest {
    pub model_version: String,
    pub files: Vec<FileRef>,
    /// The number of items the licensee declares the whole training set holds.
    #[serde(default)]
    pub declared_items: Option<u64>,
    /// Hours of audio, a decimal with at most three decimals (`"1.92"`).
    #[serde(default)]
    pub declared_hours: Option<String>,
    /// This revision replaces the one in force although it lacks a kind of file that one had (otherwise
    /// refused with 409 `drops-files`).
    #[serde(default)]
    pub replace: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    pub sha256: String,
    /// The file's name as the licensee knows it.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Disclosure {
    /// `D000001`, numbered in order of receipt.
    pub id: String,
    pub model_version: String,
    /// 1 for the model version's first disclosure.
    pub revision: u32,
    /// Whether this is the revision in force.
    pub current: bool,
    pub received_at: DateTime<Utc>,
    pub received_by: String,
    pub files: Vec<DisclosureFile>,
    pub declared_items: Option<u64>,
    /// Thousandths of an hour (1.920 hours is 1920).
    pub declared_milli_hours: Option<u64>,
    pub stats: ManifestStats,
    /// The AI Act summary, as read (docs/disclosures.md).
    #[schema(value_type = Option<Object>)]
    pub summary: Option<serde_json::Value>,
    /// Croissant datasets, as read.
    #[schema(value_type = Vec<Object>)]
    pub croissant: Vec<serde_json::Value>,
    /// What reading the files warned of, as "file: line N: …".
    pub warnings: Vec<String>,
}

impl From<dis::Disclosure> for Disclosure {
    fn from(d: dis::Disclosure) -> Disclosure {
        Disclosure {
            id: d.id,
            model_version: d.model_version,
            revision: d.revision,
            current: d.current,
            received_at: d.received_at,
            received_by: d.received_by,
            files: d.files.iter().map(DisclosureFile::from).collect(),
            declared_items: d.declared.items,
            declared_milli_hours: d.declared.milli_hours,
            stats: d.stats.into(),
            summary: d.summary.as_ref().map(object),
            croissant: d.croissant.iter().map(object).collect(),
            warnings: d.warnings,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureFile {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    /// `manifest-csv`, `manifest-jsonl`, `manifest-parquet`, `ai-act-summary` or `croissant`.
    pub kind: String,
    /// Items, for a manifest.
    pub items: u64,
}

impl From<&dis::DisclosureFile> for DisclosureFile {
    fn from(f: &dis::DisclosureFile) -> DisclosureFile {
        DisclosureFile {
            name: f.name.clone(),
            sha256: f.sha256.clone(),
            size: f.size,
            kind: file_kind(&f.kind),
            items: f.items,
        }
    }
}

/// What a manifest's items carry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManifestStats {
    pub items: u64,
    pub identifiable: u64,
    pub with_valid_isrc: u64,
    pub with_valid_iswc: u64,
    pub with_fingerprint: u64,
    pub with_title_artist_duration: u64,
    pub with_duration: u64,
    pub with_source: u64,
    /// The sum of the items' durations, in seconds.
    pub duration_s_total: u64,
    /// Items per source (the largest named), and items from sources beyond those.
    pub sources: BTreeMap<String, u64>,
    pub sources_unlisted: u64,
    pub acquired_first: Option<NaiveDate>,
    pub acquired_last: Option<NaiveDate>,
}

impl From<formats::disclosure::ManifestStats> for ManifestStats {
    fn from(s: formats::disclosure::ManifestStats) -> ManifestStats {
        ManifestStats {
            items: s.items,
            identifiable: s.identifiable,
            with_valid_isrc: s.with_valid_isrc,
            with_valid_iswc: s.with_valid_iswc,
            with_fingerprint: s.with_fingerprint,
            with_title_artist_duration: s.with_title_artist_duration,
            with_duration: s.with_duration,
            with_source: s.with_source,
            duration_s_total: s.duration_s_total,
            sources: s.sources,
            sources_unlisted: s.sources_unlisted,
            acquired_first: s.acquired_first,
            acquired_last: s.acquired_last,
        }
    }
}

/// What a submission of a disclosure did: `new` (validated; matched and assessed in the background: follow
/// `status`) or `already-received`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedDisclosure {
    pub outcome: String,
    pub disclosure: Disclosure,
    /// Where to follow its matching and verdict.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureList {
    pub disclosures: Vec<Disclosure>,
}

/// A disclosure with its latest match set and assessment.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureStatus {
    /// `matching`, `assessed`, `failed` (see `error`) or `interrupted` (submit it again to finish).
    pub status: String,
    pub error: Option<String>,
    pub view: DisclosureView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureView {
    pub disclosure: Disclosure,
    pub match_set: Option<MatchSet>,
    /// How many match sets the disclosure has had.
    pub match_sets: u32,
    pub assessment: Option<Assessment>,
}

impl From<dis::views::DisclosureView> for DisclosureView {
    fn from(v: dis::views::DisclosureView) -> DisclosureView {
        DisclosureView {
            disclosure: v.disclosure.into(),
            match_set: v.match_set.map(MatchSet::from),
            match_sets: v.match_sets,
            assessment: v.assessment.map(Assessment::from),
        }
    }
}

/// One matching of a disclosure's items against the repertoire.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchSet {
    /// 1 for the disclosure's first match set.
    pub number: u32,
    pub created_at: DateTime<Utc>,
    pub counts: MatchCounts,
}

impl From<dis::MatchSet> for MatchSet {
    fn from(m: dis::MatchSet) -> MatchSet {
        MatchSet { number: m.number, created_at: m.created_at, counts: m.counts.into() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchCounts {
    pub items: u64,
    pub matched: u64,
    /// Matched to a recording (the rest of `matched` to works alone).
    pub recordings: u64,
    pub works_only: u64,
    pub ambiguous: u64,
    pub unmatched: u64,
    /// Items matched by each method (`isrc`, `iswc`, `fingerprint`, `metadata`, …).
    pub by_method: BTreeMap<String, u64>,
    /// People's decisions applied.
    pub decided: u64,
    /// Distinct works matched.
    pub works: u64,
}

impl From<dis::MatchCounts> for MatchCounts {
    fn from(c: dis::MatchCounts) -> MatchCounts {
        MatchCounts {
            items: c.items,
            matched: c.matched,
            recordings: c.recordings,
            works_only: c.works_only,
            ambiguous: c.ambiguous,
            unmatched: c.unmatched,
            by_method: c.by_method.into_iter().map(|(m, n)| (m.as_str().to_owned(), n)).collect(),
            decided: c.decided,
            works: c.works,
        }
    }
}

/// The transparency verdict on a disclosure and what followed from it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assessment {
    pub assessed_at: DateTime<Utc>,
    /// `full`, `partial` or `none`.
    pub verdict: String,
    /// The society's criteria as they stood (docs/disclosures.md).
    #[schema(value_type = Object)]
    pub criteria: serde_json::Value,
    pub results: Vec<CriterionResult>,
    /// Distinct works matched, and of them those the licence can cover.
    pub works_matched: u64,
    pub licensed_works_matched: u64,
    /// Matched works whose holders reserved training (the first ones listed).
    pub unlicensed: Vec<UnlicensedUse>,
    pub unlicensed_works: u64,
    /// The day reservations were read for.
    pub consent_as_of: NaiveDate,
    /// What the assessment did to presumption parts held (journal entries posted).
    pub settlements: Vec<String>,
}

impl From<dis::Assessment> for Assessment {
    fn from(a: dis::Assessment) -> Assessment {
        Assessment {
            assessed_at: a.assessed_at,
            verdict: a.verdict.as_str().to_owned(),
            criteria: object(&a.criteria),
            results: a
                .results
                .into_iter()
                .map(|r| CriterionResult { criterion: r.criterion, met: r.met, detail: r.detail })
                .collect(),
            works_matched: a.works_matched,
            licensed_works_matched: a.licensed_works_matched,
            unlicensed: a.unlicensed.into_iter().map(UnlicensedUse::from).collect(),
            unlicensed_works: a.unlicensed_works,
            consent_as_of: a.consent_as_of,
            settlements: a.settlements,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionResult {
    pub criterion: String,
    pub met: bool,
    pub detail: String,
}

/// A matched work whose holders reserved training.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnlicensedUse {
    pub work_code: String,
    pub title: String,
    pub items: u64,
    /// The reserved share, e.g. `50.00%`.
    pub reserved: String,
    pub holders: Vec<ReservedHolder>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReservedHolder {
    pub party: String,
    pub name: String,
    pub share: String,
}

impl From<dis::UnlicensedUse> for UnlicensedUse {
    fn from(u: dis::UnlicensedUse) -> UnlicensedUse {
        UnlicensedUse {
            work_code: u.work_code,
            title: u.title,
            items: u.items,
            reserved: u.reserved.to_string(),
            holders: u
                .holders
                .into_iter()
                .map(|(party, name, share)| ReservedHolder { party, name, share: share.to_string() })
                .collect(),
        }
    }
}

/// A page of a disclosure's items as matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchPage {
    /// `matching` while no match set is finished yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub match_set: Option<u32>,
    pub counts: Option<MatchCounts>,
    pub matches: Vec<Match>,
}

/// One item of a disclosure and what it matched, with why.
#[derive(Debug, Serialize, ToSchema)]
pub struct Match {
    /// The item's number in the disclosure, from 1, in file order (page on with `after`).
    pub item: u64,
    /// Which file (its index in the disclosure's files) and line or row.
    pub file: u32,
    pub line: u64,
    /// The item's identity, which people's decisions are kept by.
    pub item_key: String,
    pub item_id: Option<String>,
    /// "Title — Artists (ISRC)" as the manifest wrote them.
    pub described: String,
    /// `matched`, `ambiguous` or `unmatched`.
    pub status: String,
    pub recording: Option<String>,
    pub works: Vec<String>,
    pub method: Option<String>,
    /// In thousandths.
    pub score: u16,
    pub explanation: String,
    pub candidates: Vec<Candidate>,
    /// A person's decision made this row.
    pub decided: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Candidate {
    pub recording: String,
    pub works: Vec<String>,
    /// In thousandths.
    pub score: u16,
    pub explanation: String,
}

impl From<dis::MatchRow> for Match {
    fn from(r: dis::MatchRow) -> Match {
        Match {
            item: r.item,
            file: r.file,
            line: r.line,
            item_key: r.item_key,
            item_id: r.item_id,
            described: r.described,
            status: r.status.as_str().to_owned(),
            recording: r.recording,
            works: r.works,
            method: r.method.map(|m| m.as_str().to_owned()),
            score: r.score,
            explanation: r.explanation,
            candidates: r
                .candidates
                .into_iter()
                .map(|c| Candidate {
                    recording: c.recording,
                    works: c.works,
                    score: c.score,
                    explanation: c.explanation,
                })
                .collect(),
            decided: r.decided,
        }
    }
}

/// A money figure of a statement or settlement: `micros` of `currency`.
fn money(micros: i64, currency: &str) -> Money {
    Money { micros, currency: currency.to_owned() }
}

/// A rightsholder's statement (CMO Directive Art. 18): every line a distribution run posted to the party,
/// with its part of the deductions, and the totals per currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statement {
    /// The party's key (`IPI:…`).
    pub party: String,
    pub name: String,
    pub ipi: Option<String>,
    /// The runs the statement covers.
    pub runs: Vec<u64>,
    pub lines: Vec<StatementLine>,
    pub totals: Vec<StatementTotals>,
}

/// One line of a statement: a work's right in one pool, as one run posted it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLine {
    pub run: u64,
    /// The period of use (`2026-03`, `2026-Q1`).
    pub period: String,
    /// `training`, `service`, `output` or `presumption` (training fees released under the presumption).
    pub stage: String,
    pub licensee: String,
    /// The model version (training, presumption) or the service.
    pub source: String,
    /// ISO country code; empty: worldwide.
    pub territory: String,
    pub work: String,
    /// `PR` or `MR`.
    pub right: String,
    /// Before deductions.
    pub gross: Money,
    pub management_fee: Money,
    pub cultural_fund: Money,
    /// What the line brings the party.
    pub net: Money,
    /// For an adjustment: what earlier runs had posted on this line.
    pub previous: Money,
    /// `distribution`, `adjustment`, or `reserved` (held: no society is known to collect for the party).
    pub kind: String,
    /// For an adjustment: why the run was made.
    pub reason: Option<String>,
}

/// A statement's sums in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementTotals {
    pub gross: Money,
    pub management_fee: Money,
    pub cultural_fund: Money,
    pub net: Money,
    /// Of the net, what adjusted earlier runs.
    pub adjustments: Money,
    pub reserved: Money,
    /// Carried forward under the minimum payout, not yet paid.
    pub outstanding: Money,
}

impl From<engine::distribution::views::Statement> for Statement {
    fn from(s: engine::distribution::views::Statement) -> Statement {
        Statement {
            party: s.party,
            name: s.name,
            ipi: s.ipi,
            runs: s.runs,
            lines: s
                .lines
                .into_iter()
                .map(|l| {
                    let c = l.currency.code();
                    let kind = l.kind();
                    StatementLine {
                        run: l.run,
                        period: l.period.to_string(),
                        stage: l.stage.as_str().to_owned(),
                        licensee: l.licensee,
                        source: l.source,
                        territory: l.territory,
                        work: l.work,
                        right: l.right,
                        gross: money(l.gross_micros, c),
                        management_fee: money(l.management_fee_micros, c),
                        cultural_fund: money(l.cultural_fund_micros, c),
                        net: money(l.net_micros, c),
                        previous: money(l.previous_micros, c),
                        kind: kind.to_owned(),
                        reason: l.reason,
                    }
                })
                .collect(),
            totals: s
                .totals
                .into_iter()
                .map(|t| {
                    let c = t.currency.as_str();
                    StatementTotals {
                        gross: money(t.gross_micros, c),
                        management_fee: money(t.management_fee_micros, c),
                        cultural_fund: money(t.cultural_fund_micros, c),
                        net: money(t.net_micros, c),
                        adjustments: money(t.adjustments_micros, c),
                        reserved: money(t.reserved_micros, c),
                        outstanding: money(t.outstanding_micros, c),
                    }
                })
                .collect(),
        }
    }
}

/// What one distribution run owes a sister society, per party of theirs with IPI numbers, so that it can
/// pay its members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Settlement {
    /// The sister society's CISAC code (`052`).
    pub society: String,
    pub run: u64,
    pub period: String,
    pub lines: Vec<SettlementLine>,
    /// Per currency.
    pub totals: Vec<Money>,
}

/// A party's share of a work's right in one pool, owed through their society.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettlementLine {
    pub party: String,
    pub ipi: Option<String>,
    pub work: String,
    pub stage: String,
    pub licensee: String,
    pub source: String,
    pub territory: String,
    pub right: String,
    pub amount: Money,
    /// What earlier runs of the period had posted on this line.
    pub previous: Money,
}

impl From<engine::distribution::views::Settlement> for Settlement {
    fn from(s: engine::distribution::views::Settlement) -> Settlement {
        Settlement {
            society: s.society,
            run: s.run,
            period: s.period.to_string(),
            lines: s
                .lines
                .into_iter()
                .map(|l| {
                    let c = l.currency.code();
                    SettlementLine {
                        party: l.party,
                        ipi: l.ipi,
                        work: l.work,
                        stage: l.stage.as_str().to_owned(),
                        licensee: l.licensee,
                        source: l.source,
                        territory: l.territory,
                        right: l.right,
                        amount: money(l.amount_micros, c),
                        previous: money(l.previous_micros, c),
                    }
                })
                .collect(),
            totals: s.total_micros.iter().map(|(c, m)| money(*m, c)).collect(),
        }
    }
}
