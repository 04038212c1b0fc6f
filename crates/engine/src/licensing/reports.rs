//! Report intake: a licensee's service or output report (or DSR file) is archived exactly as received,
//! read in one streaming pass to validate it and sum what rating needs, and, only if it has no error,
//! recorded: a new report id is a new report, the same bytes again change nothing, other bytes under the
//! same id are a correction that supersedes the earlier revision (kept as history). Lateness and uses
//! outside the agreement are flagged on the record.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use domain::Stage;
use domain::licensing::{Unlicensed, Use};
use formats::Diagnostic;
use formats::report::{OutputLine, ReportFormat, ReportHeader, ReportItem, ReportKind, read_report};
use money::{Amount, Currency};

use super::archive::{Archive, Archived};
use super::store::{OutputRow, ReportRecord, ReportSummary, ReportWrite, StoredAgreement, UsageRow};
use crate::store::{Store, StoreError};

/// The largest report file accepted (a month of output exploitation for a large service fits easily).
pub const MAX_REPORT_BYTES: u64 = 8 << 30;
/// Outputs are staged in chunks of this many rows.
const OUTPUT_CHUNK: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no licensee {0:?}: add it with `tantiem licensee add`")]
    UnknownLicensee(String),
    #[error("licensee {0:?} has no agreement: reports are read against an agreement, create one first")]
    NoAgreement(String),
    #[error(
        "the file is not a report Tantiem reads: expected a service or output report (JSON, JSON Lines, CSV) or a DSR flat file; see docs/reports.md"
    )]
    UnknownFormat,
    #[error("the report names licensee {named:?} but was submitted for {submitter:?}")]
    WrongLicensee { named: String, submitter: String },
    #[error("the report was rejected with {errors} error(s); nothing was stored. Fix them and submit it again:\n{}", list(.diagnostics))]
    Invalid { errors: u64, diagnostics: Vec<Diagnostic> },
    #[error("the report file could not be kept: {0}")]
    Archive(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
}

/// What submitting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    New(ReportRecord),
    /// The same bytes were received before under this report id: nothing changed.
    AlreadyReceived(ReportRecord),
    /// A new revision replaced the one before.
    Correction(ReportRecord),
}

impl Submitted {
    pub fn record(&self) -> &ReportRecord {
        match self {
            Submitted::New(r) | Submitted::AlreadyReceived(r) | Submitted::Correction(r) => r,
        }
    }
}

/// Says how far a long submission has got: the phase (`archiving`, `reading`, `storing outputs`) and the
/// bytes of the file done in it.
pub type Progress = Arc<dyn Fn(&'static str, u64) + Send + Sync>;

/// Who submits, when, within which limit.
#[derive(Clone)]
pub struct Intake<'a> {
    pub licensee: &'a str,
    pub received_by: &'a str,
    pub now: DateTime<Utc>,
    /// The largest file accepted ([`MAX_REPORT_BYTES`] unless the caller sets a lower limit).
    pub max_bytes: u64,
    pub progress: Option<Progress>,
}

impl std::fmt::Debug for Intake<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Intake({} by {} at {})", self.licensee, self.received_by, self.now)
    }
}

impl<'a> Intake<'a> {
    pub fn new(licensee: &'a str, received_by: &'a str, now: DateTime<Utc>) -> Intake<'a> {
        Intake { licensee, received_by, now, max_bytes: MAX_REPORT_BYTES, progress: None }
    }
}

/// A reader that reports the bytes read, every mebibyte.
struct Counting<R> {
    inner: R,
    phase: &'static str,
    done: u64,
    reported: u64,
    progress: Option<Progress>,
}

impl<R> Counting<R> {
    fn new(inner: R, phase: &'static str, progress: Option<Progress>) -> Self {
        Counting { inner, phase, done: 0, reported: 0, progress }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if let Some(p) = &self.progress
            && (self.done - self.reported >= 1 << 20 || n == 0)
        {
            p(self.phase, self.done);
            self.reported = self.done;
        }
        Ok(n)
    }
}

/// What the validating pass found.
struct Read1 {
    header: ReportHeader,
    format: ReportFormat,
    usage: Vec<UsageRow>,
    summary: ReportSummary,
    warnings: Vec<Diagnostic>,
}

/// Submits a report file: archive, validate, record. Returns what happened and the warnings.
pub async fn submit_report(
    store: &dyn Store,
    archive: &Archive,
    input: impl Read + Send + 'static,
    intake: Intake<'_>,
) -> Result<(Submitted, Vec<Diagnostic>), ReportError> {
    let licensee =
        store.licensee(intake.licensee).await?.ok_or_else(|| ReportError::UnknownLicensee(intake.licensee.into()))?;
    let agreement =
        store.agreement_of(&licensee.id).await?.ok_or_else(|| ReportError::NoAgreement(licensee.id.clone()))?;
    let archive_for_put = archive.clone();
    let limit = intake.max_bytes.min(MAX_REPORT_BYTES);
    let archived =
        blocking(move || archive_for_put.put(input, limit).map_err(|e| ReportError::Archive(e.to_string()))).await?;
    let (archive2, sha, agreement2) = (archive.clone(), archived.sha256.clone(), agreement.clone());
    let today = intake.now.date_naive();
    let progress = intake.progress.clone();
    let read = blocking(move || validate(&archive2, &sha, &agreement2, today, progress)).await?;
    if let Some(named) = read.header.licensee.as_ref().filter(|n| **n != licensee.id) {
        return Err(ReportError::WrongLicensee { named: named.clone(), submitter: licensee.id.clone() });
    }
    let revisions = store.report_revisions(&licensee.id, &read.header.report_id).await?;
    if let Some(same) = revisions.iter().find(|r| r.sha256 == archived.sha256) {
        return Ok((Submitted::AlreadyReceived(same.clone()), read.warnings));
    }
    let revision = revisions.iter().map(|r| r.revision).max().unwrap_or(0) + 1;
    let mut summary = read.summary;
    // A correction is not lateness: the period's report is as timely as its first revision.
    if let Some(first) = revisions.first() {
        summary.late = first.summary.late;
    }
    let record = ReportRecord {
        licensee: licensee.id.clone(),
        report_id: read.header.report_id.clone(),
        revision,
        kind: read.header.kind,
        format: read.format,
        period: read.header.period,
        currency: read.header.currency,
        sha256: archived.sha256.clone(),
        size: archived.size,
        received_at: intake.now,
        received_by: intake.received_by.to_owned(),
        current: true,
        summary,
    };
    if record.kind == ReportKind::Output {
        stage_outputs(store, archive, &archived, &record, intake.progress.clone()).await?;
    }
    store.add_report(ReportWrite { record: record.clone(), usage: read.usage }).await?;
    let submitted = if revision == 1 { Submitted::New(record) } else { Submitted::Correction(record) };
    Ok((submitted, read.warnings))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ReportError> + Send + 'static,
) -> Result<T, ReportError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ReportError::Archive(format!("the reading task failed: {e}")))?
}

/// The validating pass: reads the archived file once, sums usage per rating key, checks each use
/// against the agreement, and collects every diagnostic.
fn validate(
    archive: &Archive,
    sha256: &str,
    agreement: &StoredAgreement,
    today: NaiveDate,
    progress: Option<Progress>,
) -> Result<Read1, ReportError> {
    let mut file = archive.open(sha256).map_err(|e| ReportError::Archive(e.to_string()))?;
    let mut head = vec![0u8; 4096];
    let n = read_up_to(&mut file, &mut head).map_err(|e| ReportError::Archive(e.to_string()))?;
    let format = ReportFormat::detect(&head[..n]).ok_or(ReportError::UnknownFormat)?;
    let file =
        Counting::new(archive.open(sha256).map_err(|e| ReportError::Archive(e.to_string()))?, "reading", progress);
    let mut summer = Summer::default();
    let outcome = read_report(format, BufReader::with_capacity(1 << 16, file), &mut |item| summer.take(item));
    let Some(header) = summer.header.clone() else {
        return Err(ReportError::Invalid { errors: outcome.errors.max(1), diagnostics: outcome.diagnostics });
    };
    if !outcome.is_ok() {
        return Err(ReportError::Invalid { errors: outcome.errors, diagnostics: outcome.diagnostics });
    }
    let domain_agreement = agreement.domain();
    let mut unlicensed = Vec::new();
    let mut usage = Vec::with_capacity(summer.usage.len());
    for (key, mut row) in summer.usage {
        let check = domain_agreement.check(&Use {
            stage: key.0,
            day: header.period.first_day(),
            territory: &key.2,
            service: Some(key.1.as_str()).filter(|s| !s.is_empty()),
            model_version: Some(key.3.as_str()).filter(|m| !m.is_empty()),
            use_type: Some(key.4.as_str()).filter(|u| !u.is_empty()),
        });
        if let Err(reasons) = check {
            row.licensed = false;
            unlicensed.push(describe_unlicensed(&row, &reasons));
        }
        usage.push(row);
    }
    let due_on = agreement
        .record_on(header.period.first_day())
        .and_then(|r| header.period.last_day().checked_add_days(Days::new(u64::from(r.terms.reporting.due_days))));
    let summary = ReportSummary {
        lines: outcome.lines,
        outputs: summer.outputs,
        usage_rows: usage.len() as u64,
        late: due_on.is_some_and(|due| today > due),
        due_on,
        unlicensed_lines: usage.iter().filter(|u| !u.licensed).count() as u64,
        unlicensed,
    };
    Ok(Read1 { header, format, usage, summary, warnings: outcome.diagnostics })
}

fn read_up_to(file: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let n = file.read(&mut buffer[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

fn describe_unlicensed(row: &UsageRow, reasons: &[Unlicensed]) -> String {
    let what = match row.stage {
        Stage::Output => format!("output use {:?} of service {:?} in {}", row.use_type, row.service, row.territory),
        _ => format!("{} use of service {:?} in {}", row.stage.as_str(), row.service, row.territory),
    };
    let why: Vec<String> = reasons
        .iter()
        .map(|r| match r {
            Unlicensed::NoVersionInForce => "no agreement version was in force".into(),
            Unlicensed::NotActive(s) => format!("the agreement was {s:?}").to_lowercase(),
            Unlicensed::StageNotCovered(s) => format!("stage {} is not licensed", s.as_str()),
            Unlicensed::TerritoryNotCovered(t) => format!("territory {t} is not licensed"),
            Unlicensed::ServiceNotCovered(s) => format!("service {s:?} is not licensed"),
            Unlicensed::ModelVersionNotCovered(m) => format!("model version {m:?} is not licensed"),
            Unlicensed::UseTypeNotCovered(u) => format!("use type {u:?} is not licensed"),
            Unlicensed::TermEnded(d) => format!("the term ended on {d}"),
        })
        .collect();
    format!("{what}: {}", why.join("; "))
}

type UsageKey = (Stage, String, String, String, String);

/// Sums usage per rating key as lines stream past.
#[derive(Default)]
struct Summer {
    header: Option<ReportHeader>,
    usage: BTreeMap<UsageKey, UsageRow>,
    outputs: u64,
}

impl Summer {
    fn take(&mut self, item: ReportItem) {
        let currency = self.header.as_ref().map_or(Currency::EUR, |h| h.currency);
        match item {
            ReportItem::Header(h) => self.header = Some(h),
            ReportItem::Service(l) => {
                let key = (Stage::Service, l.service, l.territory, l.model_version.unwrap_or_default(), String::new());
                let row = self.row(key, currency);
                row.revenue = add(row.revenue, l.net_revenue);
                row.subscribers += l.subscribers;
                row.generations += l.generations;
            }
            ReportItem::Output(o) => {
                self.outputs += 1;
                for e in &o.exploitation {
                    let key = (
                        Stage::Output,
                        o.service.clone().unwrap_or_default(),
                        e.territory.clone(),
                        o.model_version.clone().unwrap_or_default(),
                        e.use_type.clone(),
                    );
                    let row = self.row(key, currency);
                    row.revenue = add(row.revenue, e.revenue);
                    row.usages += e.usages;
                }
            }
        }
    }

    fn row(&mut self, key: UsageKey, currency: Currency) -> &mut UsageRow {
        self.usage.entry(key.clone()).or_insert_with(|| UsageRow {
            stage: key.0,
            service: key.1,
            territory: key.2,
            model_version: key.3,
            use_type: key.4,
            revenue: Amount::zero(currency),
            subscribers: 0,
            generations: 0,
            usages: 0,
            licensed: true,
        })
    }
}

/// Sums within one report; a sum beyond ±9.2 × 10¹² units saturates (no real report comes near).
fn add(a: Amount, b: Amount) -> Amount {
    a.checked_add(b).unwrap_or(Amount::from_micros(i64::MAX, a.currency()))
}

/// The second pass over a valid output report: outputs in chunks to the store, consecutive lines of the
/// same output merged.
async fn stage_outputs(
    store: &dyn Store,
    archive: &Archive,
    archived: &Archived,
    record: &ReportRecord,
    progress: Option<Progress>,
) -> Result<(), ReportError> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<OutputRow>>(2);
    let file = archive.open(&archived.sha256).map_err(|e| ReportError::Archive(e.to_string()))?;
    let file = Counting::new(file, "storing outputs", progress);
    let format = record.format;
    let reader = tokio::task::spawn_blocking(move || {
        let mut chunk: Vec<OutputRow> = Vec::with_capacity(OUTPUT_CHUNK);
        let mut by_id: HashMap<String, usize> = HashMap::new();
        read_report(format, BufReader::with_capacity(1 << 16, file), &mut |item| {
            if let ReportItem::Output(o) = item {
                merge(&mut chunk, &mut by_id, o);
                if chunk.len() >= OUTPUT_CHUNK {
                    by_id.clear();
                    let _ = sender.blocking_send(std::mem::replace(&mut chunk, Vec::with_capacity(OUTPUT_CHUNK)));
                }
            }
        });
        if !chunk.is_empty() {
            let _ = sender.blocking_send(chunk);
        }
    });
    let mut first = true;
    while let Some(mut rows) = receiver.recv().await {
        link_outputs(store, &record.licensee, &mut rows).await?;
        store.stage_outputs(&record.licensee, &record.report_id, record.revision, first, rows).await?;
        first = false;
    }
    if first {
        store.stage_outputs(&record.licensee, &record.report_id, record.revision, true, Vec::new()).await?;
    }
    reader.await.map_err(|e| ReportError::Archive(format!("the reading task failed: {e}")))
}

/// Links outputs that arrived without their service and model version (DSR lines) to the outputs the
/// licensee reported before, by ISRC or by its own id, so distribution sees one output.
async fn link_outputs(store: &dyn Store, licensee: &str, rows: &mut [OutputRow]) -> Result<(), ReportError> {
    let ids: Vec<String> = rows
        .iter()
        .filter(|r| r.service.is_none())
        .flat_map(|r| std::iter::once(r.output_id.clone()).chain(r.isrc.clone()))
        .filter(|id| !id.is_empty())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut known: HashMap<String, OutputRow> = HashMap::new();
    for chunk in ids.chunks(500) {
        for k in store.known_outputs(licensee, chunk).await? {
            if let Some(isrc) = k.isrc.clone() {
                known.entry(isrc).or_insert_with(|| k.clone());
            }
            known.entry(k.output_id.clone()).or_insert(k);
        }
    }
    for row in rows.iter_mut().filter(|r| r.service.is_none()) {
        let found = row.isrc.as_ref().and_then(|i| known.get(i)).or_else(|| known.get(&row.output_id));
        if let Some(k) = found {
            row.output_id = k.output_id.clone();
            row.service = k.service.clone();
            row.model_version = k.model_version.clone();
            row.created_on = k.created_on;
        }
    }
    Ok(())
}

/// Adds an output line to the chunk, summing it into the row of the same output when that is in the chunk.
fn merge(chunk: &mut Vec<OutputRow>, by_id: &mut HashMap<String, usize>, o: OutputLine) {
    let usages: u64 = o.exploitation.iter().map(|e| e.usages).sum();
    let currency = o.exploitation.first().map_or(Currency::EUR, |e| e.revenue.currency());
    let revenue = o.exploitation.iter().fold(Amount::zero(currency), |sum, e| add(sum, e.revenue));
    if let Some(&i) = by_id.get(&o.output_id) {
        let row = &mut chunk[i];
        row.usages += usages;
        row.revenue = add(row.revenue, revenue);
        if row.attribution.is_none() {
            row.attribution = o.attribution;
        }
        return;
    }
    by_id.insert(o.output_id.clone(), chunk.len());
    chunk.push(OutputRow {
        output_id: o.output_id,
        service: o.service,
        model_version: o.model_version,
        created_on: o.created_on,
        isrc: o.isrc,
        usages,
        revenue,
        attribution: o.attribution,
    });
}

/// Where a licensee stands with its reporting duty for each period from the agreement's start to `today`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DuePeriod {
    pub period: domain::Period,
    pub kind: ReportKind,
    pub due_on: NaiveDate,
    /// `received`, `late` (received after the due date), `missing` (due and not received), `open`.
    pub status: &'static str,
    pub report_ids: Vec<String>,
}

/// The reporting status of a licensee: each period and kind the agreement asks for, and whether it came.
pub async fn reporting_status(
    store: &dyn Store,
    licensee: &str,
    today: NaiveDate,
) -> Result<Vec<DuePeriod>, ReportError> {
    let agreement = store.agreement_of(licensee).await?.ok_or_else(|| ReportError::NoAgreement(licensee.into()))?;
    let reports = store.reports(licensee).await?;
    let Some(first) = agreement.versions.iter().map(|v| v.coverage.effective_from).min() else { return Ok(Vec::new()) };
    let mut period = domain::Period::month_of(first);
    let mut out = Vec::new();
    while period.first_day() <= today {
        let Some(record) = agreement.record_on(period.first_day()) else { break };
        let step = match record.terms.reporting.frequency {
            super::terms::Frequency::Monthly => period,
            super::terms::Frequency::Quarterly => {
                let first = period.first_day();
                domain::Period::quarter(chrono::Datelike::year(&first), (chrono::Datelike::month(&first) - 1) / 3 + 1)
                    .unwrap_or(period)
            }
        };
        let due_on = step
            .last_day()
            .checked_add_days(Days::new(u64::from(record.terms.reporting.due_days)))
            .unwrap_or(step.last_day());
        let active = record.coverage.status == domain::licensing::AgreementStatus::Active;
        for kind in record.terms.reporting.kinds.iter().copied().filter(|_| active) {
            let received: Vec<&ReportRecord> =
                reports.iter().filter(|r| r.current && r.kind == kind && r.period == step).collect();
            let status = match (received.is_empty(), today > due_on) {
                (false, _) if received.iter().any(|r| r.summary.late) => "late",
                (false, _) => "received",
                (true, true) => "missing",
                (true, false) => "open",
            };
            out.push(DuePeriod {
                period: step,
                kind,
                due_on,
                status,
                report_ids: received.iter().map(|r| r.report_id.clone()).collect(),
            });
        }
        period = step.next();
        if step.months().len() == 3 {
            period = domain::Period::month_of(step.last_day()).next();
        }
    }
    Ok(out)
}
