//! Report intake: a licensee's service or output report (or DSR file) is archived exactly as received,
//! read in one streaming pass to validate it and sum what rating needs, and, only if it has no error,
//! recorded: a new report id is a new report, the same bytes as the current revision change nothing, other
//! bytes under the same id are a correction that supersedes the current revision (kept as history).
//! Lateness and uses outside the agreement are flagged on the record.
//!
//! An output report's outputs are staged in a second pass, in chunks, under a token of this submission, and
//! adopted when the revision is recorded. DSR lines name no service or model version: they are linked to
//! the outputs the licensee reported before (by ISRC or id) in that pass, and their usage is summed after
//! linking; a line that links to no AI output is flagged, not invoiced.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use domain::Stage;
use domain::licensing::Unlicensed;
use formats::report::{OutputLine, ReportFormat, ReportHeader, ReportItem, ReportKind, read_report};
use formats::{Diagnostic, Level};
use money::{Amount, Currency};

use super::archive::{Archive, Archived};
use super::store::{OutputRow, ReportRecord, ReportSummary, ReportWrite, StoredAgreement, UsageRow};
use crate::store::LicensingStore;
use domain::ids::LicenseeId;
use ports::StoreError;
use ports::access::{Actor, Denied, Scope, UseCase};
use ports::progress::Counting;

/// The largest report file accepted (a month of output exploitation for a large service fits easily).
pub const MAX_REPORT_BYTES: u64 = 8 << 30;
/// Output lines are linked and staged in chunks of this many.
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
    #[error("the report was rejected with {errors} error(s); nothing was stored. Fix them and submit it again:\n{}", listed(.diagnostics))]
    Invalid { errors: u64, diagnostics: Vec<Diagnostic> },
    #[error("the report is larger than the limit of {limit} bytes: split it by period or ask the society")]
    TooLarge { limit: u64 },
    #[error("the report file could not be kept: {0}")]
    Archive(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] Denied),
}

fn listed(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
}

/// What submitting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    New(ReportRecord),
    /// The same bytes as the current revision: nothing changed.
    AlreadyReceived(ReportRecord),
    /// A new revision replaced the current one.
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

/// A phase's byte counter, for [`Counting`].
fn phase_of(phase: &'static str, progress: Option<Progress>) -> Option<ports::progress::Counter> {
    progress.map(|p| Arc::new(move |bytes| p(phase, bytes)) as ports::progress::Counter)
}

/// Who submits, when, within which limit.
#[derive(Clone)]
pub struct Intake<'a> {
    pub licensee: &'a LicenseeId,
    pub received_by: &'a str,
    /// Names the submission's staged rows (two submissions at the same moment must not share them).
    pub entropy: &'a dyn ports::Entropy,
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
    pub fn new(
        licensee: &'a LicenseeId,
        received_by: &'a str,
        entropy: &'a dyn ports::Entropy,
        now: DateTime<Utc>,
    ) -> Intake<'a> {
        Intake { licensee, received_by, entropy, now, max_bytes: MAX_REPORT_BYTES, progress: None }
    }
}

/// What the validating pass found.
struct Read1 {
    header: ReportHeader,
    format: ReportFormat,
    /// Usage per rating key; empty for a DSR file, whose usage is summed after its lines are linked.
    usage: BTreeMap<UsageKey, UsageRow>,
    lines: u64,
    outputs: u64,
    warnings: Vec<Diagnostic>,
}

/// Submits a report file: archive, validate, record. Returns what happened and the warnings.
#[tracing::instrument(skip_all)]
pub async fn submit_report(
    store: &dyn LicensingStore,
    actor: &Actor,
    archive: &Archive,
    input: impl Read + Send + 'static,
    intake: Intake<'_>,
) -> Result<(Submitted, Vec<Diagnostic>), ReportError> {
    actor.may(UseCase::SubmitReport, Scope::Licensee(intake.licensee))?;
    let licensee =
        store.licensee(intake.licensee).await?.ok_or_else(|| ReportError::UnknownLicensee(intake.licensee.into()))?;
    let agreement =
        store.agreement_of(&licensee.id).await?.ok_or_else(|| ReportError::NoAgreement(licensee.id.clone()))?;
    let archived = {
        let archive = archive.clone();
        let limit = intake.max_bytes.min(MAX_REPORT_BYTES);
        let counted = Counting::new(input, phase_of("archiving", intake.progress.clone()));
        blocking(move || {
            archive.put(counted, limit).map_err(|e| match e.kind() {
                std::io::ErrorKind::FileTooLarge => ReportError::TooLarge { limit },
                _ => ReportError::Archive(e.to_string()),
            })
        })
        .await?
    };
    let read = {
        let (archive, sha, progress) = (archive.clone(), archived.sha256.clone(), intake.progress.clone());
        blocking(move || validate(&archive, &sha, progress)).await
    };
    let read = match read {
        Ok(read) => read,
        Err(e) => {
            // A rejected file is not kept (unless the same bytes were kept before).
            archive.discard(&archived);
            return Err(e);
        }
    };
    if let Some(named) = read.header.licensee.as_ref().filter(|n| **n != licensee.id) {
        archive.discard(&archived);
        return Err(ReportError::WrongLicensee { named: named.clone(), submitter: licensee.id.clone() });
    }
    let revisions = store.report_revisions(&licensee.id, &read.header.report_id).await?;
    if let Some(current) = revisions.iter().find(|r| r.current && r.sha256 == archived.sha256) {
        return Ok((Submitted::AlreadyReceived(current.clone()), read.warnings));
    }
    let revision = revisions.iter().map(|r| r.revision).max().unwrap_or(0) + 1;
    let staging = staging_token(intake.entropy)?;
    let mut usage = read.usage;
    if read.header.kind == ReportKind::Output {
        let target = Staging { licensee: &licensee.id, report_id: &read.header.report_id, revision, token: &staging };
        let linked = stage_outputs(store, archive, &archived, read.format, target, intake.progress.clone()).await?;
        if read.format == ReportFormat::Dsr {
            usage = linked;
        }
    }
    let (usage, unlicensed) = check_usage(usage, &agreement, &read.header)?;
    let due_on = agreement
        .record_on(read.header.period.first_day())
        .and_then(|r| read.header.period.last_day().checked_add_days(Days::new(u64::from(r.terms.reporting.due_days))));
    let summary = ReportSummary {
        lines: read.lines,
        outputs: read.outputs,
        usage_rows: usage.len() as u64,
        // A correction is not lateness: the period's report is as timely as its first revision.
        late: match revisions.first() {
            Some(first) => first.summary.late,
            None => due_on.is_some_and(|due| intake.now.date_naive() > due),
        },
        due_on,
        unlicensed_lines: usage.iter().filter(|u| !u.licensed).count() as u64,
        unlicensed,
    };
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
    let (licensee, report_id) = (record.licensee.clone(), record.report_id.clone());
    store.add_report(ReportWrite { record: record.clone(), usage, staging }).await.map_err(|e| match e {
        // Revision numbers are decided from what was stored when intake began; another submission of the
        // same report id stored its revision first.
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "report {report_id:?} of {licensee} was submitted by another request at the same moment, and that one was \
             stored as revision {revision}; this one was not: list the reports to see it, and submit this file again \
             only if it differs"
        )),
        e => e,
    })?;
    let submitted = if revision == 1 { Submitted::New(record) } else { Submitted::Correction(record) };
    Ok((submitted, read.warnings))
}

/// A token naming one submission's staged outputs.
fn staging_token(entropy: &dyn ports::Entropy) -> Result<String, ReportError> {
    let bytes: [u8; 16] = ports::random_bytes(entropy)
        .map_err(|e| ReportError::Archive(format!("no random bytes for a staging token: {e}")))?;
    Ok(ports::hex(&bytes))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ReportError> + Send + 'static,
) -> Result<T, ReportError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ReportError::Archive(format!("the reading task failed: {e}")))?
}

/// The validating pass: reads the archived file once, sums usage per rating key (except for a DSR file)
/// and collects every diagnostic.
fn validate(archive: &Archive, sha256: &str, progress: Option<Progress>) -> Result<Read1, ReportError> {
    let head = archive.head(sha256, 4096).map_err(|e| ReportError::Archive(e.to_string()))?;
    let format = ReportFormat::detect(&head).ok_or(ReportError::UnknownFormat)?;
    let file = Counting::new(
        archive.open(sha256).map_err(|e| ReportError::Archive(e.to_string()))?,
        phase_of("reading", progress),
    );
    let mut summer = Summer { sum_usage: format != ReportFormat::Dsr, ..Summer::default() };
    let mut outcome = read_report(format, BufReader::with_capacity(1 << 16, file), &mut |item| summer.take(item));
    if summer.overflow {
        outcome.errors += 1;
        outcome.diagnostics.push(Diagnostic::new(
            0,
            "",
            None,
            Level::File,
            "the report's figures add up beyond what Tantiem can hold: split the report",
        ));
    }
    let Some(header) = summer.header.clone() else {
        return Err(ReportError::Invalid { errors: outcome.errors.max(1), diagnostics: outcome.diagnostics });
    };
    if !outcome.is_ok() {
        return Err(ReportError::Invalid { errors: outcome.errors, diagnostics: outcome.diagnostics });
    }
    Ok(Read1 {
        header,
        format,
        usage: summer.usage,
        lines: outcome.lines,
        outputs: summer.outputs,
        warnings: outcome.diagnostics,
    })
}

/// Checks each summed use against the agreement: what is outside it is flagged (and not invoiced).
fn check_usage(
    usage: BTreeMap<UsageKey, UsageRow>,
    agreement: &StoredAgreement,
    header: &ReportHeader,
) -> Result<(Vec<UsageRow>, Vec<String>), ReportError> {
    let domain_agreement = agreement.domain();
    let mut unlicensed = Vec::new();
    let mut rows = Vec::with_capacity(usage.len());
    for (_, mut row) in usage {
        let check = domain_agreement.check(&row.as_use(header.period.first_day()));
        let mut reasons = check.err().unwrap_or_default().iter().map(reason).collect::<Vec<_>>();
        if !row.is_linked() {
            reasons.push("the lines link to no AI output the licensee reported (by ISRC or id)".into());
        }
        if !reasons.is_empty() {
            row.licensed = false;
            unlicensed.push(format!("{}: {}", describe(&row), reasons.join("; ")));
        }
        rows.push(row);
    }
    Ok((rows, unlicensed))
}

fn describe(row: &UsageRow) -> String {
    match row.stage {
        Stage::Output if row.service.is_empty() => format!("output use {:?} in {}", row.use_type, row.territory),
        Stage::Output => format!("output use {:?} of service {:?} in {}", row.use_type, row.service, row.territory),
        _ => format!("{} use of service {:?} in {}", row.stage.as_str(), row.service, row.territory),
    }
}

fn reason(r: &Unlicensed) -> String {
    match r {
        Unlicensed::NoVersionInForce => "no agreement version was in force".into(),
        Unlicensed::NotActive(s) => format!("the agreement was {s:?}").to_lowercase(),
        Unlicensed::StageNotCovered(s) => format!("stage {} is not licensed", s.as_str()),
        Unlicensed::TerritoryNotCovered(t) => format!("territory {t} is not licensed"),
        Unlicensed::ServiceNotCovered(s) => format!("service {s:?} is not licensed"),
        Unlicensed::ModelVersionNotCovered(m) => format!("model version {m:?} is not licensed"),
        Unlicensed::UseTypeNotCovered(u) => format!("use type {u:?} is not licensed"),
        Unlicensed::TermEnded(d) => format!("the term ended on {d}"),
    }
}

type UsageKey = (Stage, String, String, String, String);

/// Sums usage per rating key as lines stream past; an overflow rejects the report.
#[derive(Default)]
struct Summer {
    header: Option<ReportHeader>,
    sum_usage: bool,
    usage: BTreeMap<UsageKey, UsageRow>,
    outputs: u64,
    overflow: bool,
}

impl Summer {
    fn take(&mut self, item: ReportItem) {
        match item {
            ReportItem::Header(h) => self.header = Some(h),
            ReportItem::Service(l) => {
                let key = (Stage::Service, l.service, l.territory, l.model_version.unwrap_or_default(), String::new());
                let currency = self.currency();
                let row = usage_row(&mut self.usage, key, currency);
                let sums = (
                    row.revenue.checked_add(l.net_revenue).ok(),
                    row.subscribers.checked_add(l.subscribers),
                    row.generations.checked_add(l.generations),
                );
                match sums {
                    (Some(r), Some(s), Some(g)) => (row.revenue, row.subscribers, row.generations) = (r, s, g),
                    _ => self.overflow = true,
                }
            }
            ReportItem::Output(o) => {
                self.outputs += 1;
                if self.sum_usage {
                    let currency = self.currency();
                    self.overflow |= !add_exploitation(&mut self.usage, &o, currency);
                }
            }
        }
    }

    fn currency(&self) -> Currency {
        self.header.as_ref().map_or(Currency::EUR, |h| h.currency)
    }
}

fn usage_row(usage: &mut BTreeMap<UsageKey, UsageRow>, key: UsageKey, currency: Currency) -> &mut UsageRow {
    usage.entry(key.clone()).or_insert_with(|| UsageRow {
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

/// Adds an output's exploitation to the usage sums; false on overflow.
fn add_exploitation(usage: &mut BTreeMap<UsageKey, UsageRow>, o: &OutputLine, currency: Currency) -> bool {
    for e in &o.exploitation {
        let key = (
            Stage::Output,
            o.service.clone().unwrap_or_default(),
            e.territory.clone(),
            o.model_version.clone().unwrap_or_default(),
            e.use_type.clone(),
        );
        let row = usage_row(usage, key, currency);
        match (row.revenue.checked_add(e.revenue).ok(), row.usages.checked_add(e.usages)) {
            (Some(r), Some(u)) => (row.revenue, row.usages) = (r, u),
            _ => return false,
        }
    }
    true
}

/// Where a submission's outputs are staged.
struct Staging<'a> {
    licensee: &'a str,
    report_id: &'a str,
    revision: u32,
    token: &'a str,
}

/// The second pass over a valid output report: lines in chunks, linked to known outputs where they name
/// no service, consecutive lines of the same output merged, staged. Returns the usage summed after
/// linking (what a DSR file's rating needs).
async fn stage_outputs(
    store: &dyn LicensingStore,
    archive: &Archive,
    archived: &Archived,
    format: ReportFormat,
    target: Staging<'_>,
    progress: Option<Progress>,
) -> Result<BTreeMap<UsageKey, UsageRow>, ReportError> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<(Vec<OutputLine>, Currency)>(2);
    let file = archive.open(&archived.sha256).map_err(|e| ReportError::Archive(e.to_string()))?;
    let file = Counting::new(file, phase_of("storing outputs", progress));
    let reader = tokio::task::spawn_blocking(move || {
        let mut chunk: Vec<OutputLine> = Vec::with_capacity(OUTPUT_CHUNK);
        let mut currency = Currency::EUR;
        read_report(format, BufReader::with_capacity(1 << 16, file), &mut |item| match item {
            ReportItem::Header(h) => currency = h.currency,
            ReportItem::Output(o) => {
                chunk.push(o);
                if chunk.len() >= OUTPUT_CHUNK {
                    let _ = sender
                        .blocking_send((std::mem::replace(&mut chunk, Vec::with_capacity(OUTPUT_CHUNK)), currency));
                }
            }
            ReportItem::Service(_) => {}
        });
        let _ = sender.blocking_send((chunk, currency));
    });
    let mut usage = BTreeMap::new();
    while let Some((mut lines, currency)) = receiver.recv().await {
        link_outputs(store, target.licensee, &mut lines).await?;
        let mut rows: Vec<OutputRow> = Vec::with_capacity(lines.len());
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for line in lines {
            if !add_exploitation(&mut usage, &line, currency) {
                return Err(ReportError::Invalid {
                    errors: 1,
                    diagnostics: vec![Diagnostic::new(
                        line.line,
                        "",
                        None,
                        Level::File,
                        "the report's figures add up beyond what Tantiem can hold: split the report",
                    )],
                });
            }
            merge(&mut rows, &mut by_id, line, currency);
        }
        store.stage_outputs(target.token, target.licensee, target.report_id, target.revision, rows).await?;
    }
    reader.await.map_err(|e| ReportError::Archive(format!("the reading task failed: {e}")))?;
    Ok(usage)
}

/// Links lines that arrived without a service and model version (DSR lines) to the outputs the licensee
/// reported before, by ISRC or by its own id, so rating and distribution see one output.
async fn link_outputs(store: &dyn LicensingStore, licensee: &str, lines: &mut [OutputLine]) -> Result<(), ReportError> {
    let ids: Vec<String> = lines
        .iter()
        .filter(|l| l.service.is_none())
        .flat_map(|l| std::iter::once(l.output_id.clone()).chain(l.isrc.clone()))
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
    for line in lines.iter_mut().filter(|l| l.service.is_none()) {
        let found = line.isrc.as_ref().and_then(|i| known.get(i)).or_else(|| known.get(&line.output_id));
        if let Some(k) = found {
            line.output_id = k.output_id.clone();
            line.service = k.service.clone();
            line.model_version = k.model_version.clone();
            line.created_on = k.created_on;
        }
    }
    Ok(())
}

/// Adds an output line to the chunk's rows, summing it into the row of the same output when there is one
/// (an output's lines usually follow each other; across chunks it may have several rows).
fn merge(rows: &mut Vec<OutputRow>, by_id: &mut HashMap<String, usize>, o: OutputLine, currency: Currency) {
    let usages = o.exploitation.iter().fold(0u64, |sum, e| sum.saturating_add(e.usages));
    let revenue =
        o.exploitation.iter().fold(Amount::zero(currency), |sum, e| sum.checked_add(e.revenue).unwrap_or(sum));
    if let Some(&i) = by_id.get(&o.output_id) {
        let row = &mut rows[i];
        row.usages = row.usages.saturating_add(usages);
        row.revenue = row.revenue.checked_add(revenue).unwrap_or(row.revenue);
        if row.attribution.is_none() {
            row.attribution = o.attribution;
        }
        add_territories(&mut row.territories, &o.exploitation);
        return;
    }
    by_id.insert(o.output_id.clone(), rows.len());
    let mut territories = BTreeMap::new();
    add_territories(&mut territories, &o.exploitation);
    rows.push(OutputRow {
        output_id: o.output_id,
        service: o.service,
        model_version: o.model_version,
        created_on: o.created_on,
        isrc: o.isrc,
        usages,
        revenue,
        attribution: o.attribution,
        territories,
    });
}

/// Adds an output line's revenue per territory (one without a territory counts nowhere in particular).
fn add_territories(territories: &mut BTreeMap<String, i64>, exploitation: &[formats::report::Exploitation]) {
    for e in exploitation.iter().filter(|e| !e.territory.is_empty()) {
        let sum = territories.entry(e.territory.clone()).or_default();
        *sum = sum.saturating_add(e.revenue.micros());
    }
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

/// The licensee's reports, each at its current revision.
#[tracing::instrument(skip_all)]
pub async fn list(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
) -> Result<Vec<ReportRecord>, ReportError> {
    actor.may(UseCase::ListReports, Scope::Licensee(licensee))?;
    Ok(store.reports(licensee).await?)
}

/// Every revision of one of the licensee's reports, oldest first (empty if it sent none with that id).
#[tracing::instrument(skip_all)]
pub async fn revisions(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    report_id: &str,
) -> Result<Vec<ReportRecord>, ReportError> {
    actor.may(UseCase::ListReports, Scope::Licensee(licensee))?;
    Ok(store.report_revisions(licensee, report_id).await?)
}

/// The reporting status of a licensee: each period and kind the agreement asks for, and whether it came.
#[tracing::instrument(skip_all)]
pub async fn reporting_status(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    today: NaiveDate,
) -> Result<Vec<DuePeriod>, ReportError> {
    actor.may(UseCase::ReportingStatus, Scope::Licensee(licensee))?;
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
        // The month after the step, whatever the step's length: the next version may report monthly.
        period = domain::Period::month_of(step.last_day()).next();
    }
    Ok(out)
}
