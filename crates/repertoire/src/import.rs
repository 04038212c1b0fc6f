//! Importing a CWR submission: read it, decide for every transaction whether it registers a new work,
//! revises a known one, duplicates what arrived before, conflicts with another submitter's claim or is
//! rejected; commit the accepted ones chunk by chunk; and write the acknowledgement as it goes.
//!
//! Work identity: the society gives each new work its own code; a REV or a re-sent NWR is matched by
//! submitter + submitter work number, then by ISWC. The same transaction content arriving again is a
//! duplicate and stores nothing. Two submitters claiming more than 100% of a work is a conflict, kept and
//! shown, never silently resolved.

use ports::hex;
use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::{Affiliation, Iswc, Party, PartyKind, RightType, Territories, Work};
use formats::cwr::{
    self, AckEntry, AckNotice, AckStatus, AckWriter, Context, Header, ReadOptions, Reader, Transaction,
};
use formats::{Diagnostic, Level};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{
    AgreementWrite, ImportBatch, RegistrationRef, RegistrationStatus, RegistrationWrite, RepertoireStore, Revision,
    SocietyConfig, StoreError, SubmissionRecord,
};

/// How an import runs. The clock and the operator are passed in, so an import can be replayed.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Read, decide and report, but store nothing and write no acknowledgement.
    pub dry_run: bool,
    /// Report every deviation line by line (see [`ReadOptions::strict`]).
    pub strict: bool,
    /// Transactions decided and committed together.
    pub chunk_size: usize,
    /// Outcomes and diagnostics kept in the report (counts are always complete).
    pub report_limit: usize,
    pub now: DateTime<Utc>,
    pub operator: String,
}

impl ImportOptions {
    pub fn new(now: DateTime<Utc>, operator: impl Into<String>) -> Self {
        ImportOptions {
            dry_run: false,
            strict: false,
            chunk_size: 5_000,
            report_limit: 10_000,
            now,
            operator: operator.into(),
        }
    }
}

/// Why an import could not run at all (problems inside the file are diagnostics, not errors).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    NotCwr(Diagnostic),
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] ports::access::Denied),
}

/// What happened to one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionOutcome {
    pub line: u64,
    pub kind: String,
    pub title: String,
    pub submitter_work_number: String,
    /// The status the acknowledgement gives it.
    pub status: AckStatus,
    /// The society's work code, when the transaction concerns a known or new work.
    pub work_code: Option<String>,
    pub note: String,
}

/// Counts per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub transactions: u64,
    /// New works registered.
    pub registered: u64,
    /// Known works revised (REV, or an NWR re-sent with new content).
    pub revised: u64,
    /// Accepted with changes (a field or record dropped): a subset of registered + revised + claims.
    pub changed: u64,
    /// Another submitter's registration of a known work, added without conflict.
    pub claims: u64,
    pub duplicates: u64,
    pub conflicts: u64,
    pub rejected: u64,
    pub iswcs_assigned: u64,
    /// Transactions read and reported without changing the registry (ACK, ISR, EXC, unmatched ISW, ...).
    pub notifications: u64,
    pub agreements: u64,
}

/// The result of importing one file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub file_name: String,
    pub version: String,
    pub submitter: String,
    pub sender_name: String,
    pub sha256: String,
    pub dry_run: bool,
    pub counts: ImportCounts,
    pub outcomes: Vec<TransactionOutcome>,
    pub diagnostics: Vec<Diagnostic>,
    /// Diagnostics beyond the report limit, counted but not listed.
    pub diagnostics_dropped: u64,
    /// Acknowledgements from other societies found in the file.
    pub acks_received: Vec<AckNotice>,
    pub ack_file_name: Option<String>,
    /// When the same file (by SHA-256) was imported before.
    pub previously_imported: Option<DateTime<Utc>>,
}

impl ImportReport {
    pub fn count_at_level(&self, level: Level) -> usize {
        self.diagnostics.iter().filter(|d| d.level == level).count()
    }
}

/// Where the acknowledgement goes: given the CWR file name the society should use, opens the output.
pub type AckSink<'a> = Box<dyn FnOnce(&str) -> io::Result<Box<dyn Write + Send>> + Send + 'a>;

/// Reads through a `BufRead` while computing its SHA-256, so the file is read once.
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: BufRead> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader { inner, hasher: Sha256::new() }
    }
    pub fn sha256_hex(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }
}

impl<R: BufRead> io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for HashingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amount.min(buf.len());
            self.hasher.update(&buf[..n]);
        }
        self.inner.consume(amount);
    }
}

/// The identity of a transaction's content: every record from position 20 on, trailing spaces ignored, so
/// a re-sent transaction with new sequence numbers is still recognised.
pub fn content_hash(tx: &Transaction) -> String {
    let mut hasher = Sha256::new();
    for record in &tx.records {
        hasher.update(record.record_type().as_bytes());
        hasher.update(record.raw(20, usize::MAX / 2).trim_end().as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize()[..16])
}

/// Transactions that register or revise a work.
fn is_work_transaction(kind: &str) -> bool {
    matches!(kind, "NWR" | "REV" | "WRK")
}

/// Society work codes: `W` and nine digits.
pub fn work_code(number: u64) -> String {
    format!("W{number:09}")
}

type Key = (String, String);

/// What the import knows of the registry while deciding a chunk: the store's answers plus its own
/// decisions so far (a later transaction in the same file sees an earlier one). Entries carry the chunk
/// that added them: while chunk k is decided, chunk k-1 is still being committed, so its decisions must
/// outlive it by one chunk; older ones are in the store and are forgotten to keep memory bounded.
#[derive(Debug, Default)]
struct Known {
    chunk: u64,
    by_key: HashMap<Key, (u64, RegistrationRef)>,
    by_work: HashMap<String, (u64, Vec<Key>)>,
    by_iswc: HashMap<Iswc, (u64, String)>,
}

impl Known {
    /// Records a decision of this import: it overrides whatever the store said.
    fn add(&mut self, reference: RegistrationRef) {
        let chunk = self.chunk;
        let key = (reference.submitter.clone(), reference.submitter_work_number.clone());
        if let Some(iswc) = reference.iswc {
            let entry = self.by_iswc.entry(iswc).or_insert_with(|| (chunk, reference.work_code.clone()));
            entry.0 = chunk;
        }
        let keys = self.by_work.entry(reference.work_code.clone()).or_insert_with(|| (chunk, Vec::new()));
        keys.0 = chunk;
        if !keys.1.contains(&key) {
            keys.1.push(key.clone());
        }
        self.by_key.insert(key, (chunk, reference));
    }

    /// Records what the store answered, unless this import decided something newer about it (the store
    /// may not have the previous chunk yet).
    fn add_from_store(&mut self, reference: RegistrationRef) {
        let key = (reference.submitter.clone(), reference.submitter_work_number.clone());
        if !self.by_key.contains_key(&key) {
            self.add(reference);
        }
    }

    fn get(&self, key: &Key) -> Option<&RegistrationRef> {
        self.by_key.get(key).map(|(_, r)| r)
    }

    fn work_with_iswc(&self, iswc: &Iswc) -> Option<&String> {
        self.by_iswc.get(iswc).map(|(_, code)| code)
    }

    fn registrations_of(&self, work_code: &str) -> Vec<&RegistrationRef> {
        self.by_work.get(work_code).into_iter().flat_map(|(_, keys)| keys).filter_map(|k| self.get(k)).collect()
    }

    fn registrations(&self) -> impl Iterator<Item = &RegistrationRef> {
        self.by_key.values().map(|(_, r)| r)
    }

    /// Starts a new chunk, forgetting what was learnt two chunks ago (committed by now).
    fn next_chunk(&mut self) {
        self.chunk += 1;
        let keep = self.chunk.saturating_sub(1);
        // A work is kept or dropped whole: a claim check needs every registration of the work.
        self.by_work.retain(|_, (c, _)| *c >= keep);
        let by_work = &self.by_work;
        self.by_key.retain(|_, (_, r)| by_work.contains_key(&r.work_code));
        self.by_iswc.retain(|_, (_, code)| by_work.contains_key(code));
    }
}

/// A decided transaction: the outcome, what to write, and what to acknowledge.
struct Decision {
    outcome: TransactionOutcome,
    diagnostics: Vec<Diagnostic>,
}

struct Importer<'a> {
    store: &'a dyn RepertoireStore,
    society: SocietyConfig,
    options: ImportOptions,
    header: Header,
    submitter: String,
    known: Known,
    batch: ImportBatch,
    report: ImportReport,
    next_code_number: u64,
    codes_left: u64,
}

/// Work codes reserved at a time.
const CODE_BLOCK: u64 = 10_000;

/// Imports one CWR file. `ack` is asked for an output only when the file is a submission to acknowledge
/// (not a society's own ACK or notification file) and the run is not a dry run. `progress` is called with
/// the bytes read so far.
#[tracing::instrument(skip_all)]
pub async fn import_cwr<R: BufRead>(
    shared: &Arc<dyn RepertoireStore>,
    actor: &ports::access::Actor,
    input: R,
    file_name: &str,
    options: ImportOptions,
    ack: AckSink<'_>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, ImportError> {
    actor.may(ports::access::UseCase::ImportCwr, ports::access::Scope::Society)?;
    let store: &dyn RepertoireStore = shared.as_ref();
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    // Decisions are taken from what is stored and committed a chunk later: no other import may commit in
    // between (two would each give a new work the same ISWC). A dry run writes nothing and needs no lock.
    let _registry = if options.dry_run { None } else { Some(store.lock_registry().await?) };
    let hashing = HashingReader::new(input);
    let mut reader = Reader::open(hashing, ReadOptions { strict: options.strict, ..ReadOptions::default() }).map_err(
        |e| match e {
            cwr::OpenError::NotCwr(d) => ImportError::NotCwr(d),
            cwr::OpenError::Io(e) => ImportError::Io(e),
        },
    )?;
    let header = reader.header().clone();
    let submitter = header.submitter();
    let mut ack_writer = if options.dry_run || header.is_from_society() {
        None
    } else {
        let year = options.now.format("%Y").to_string().parse().unwrap_or(2000);
        let number = store.allocate(&format!("ack-{year}"), 1).await?;
        if number > cwr::ACK_NUMBERS_PER_YEAR {
            return Err(ImportError::Io(io::Error::other(format!(
                "{year} has used all {} acknowledgement numbers CWR file names allow; import with --dry-run or ask for the numbering to be reset",
                cwr::ACK_NUMBERS_PER_YEAR
            ))));
        }
        let name = cwr::ack_file_name(header.version, year, number as u32, society.code, &header);
        let sink = ack(&name)?;
        let writer = AckWriter::new(sink, society.code, &society.name, &header, options.now.naive_utc())?;
        Some((name, writer))
    };
    let report = ImportReport {
        file_name: file_name.to_owned(),
        version: header.version.label().to_owned(),
        submitter: submitter.clone(),
        sender_name: header.sender_name.clone(),
        sha256: String::new(),
        dry_run: options.dry_run,
        counts: ImportCounts::default(),
        outcomes: Vec::new(),
        diagnostics: Vec::new(),
        diagnostics_dropped: 0,
        acks_received: Vec::new(),
        ack_file_name: ack_writer.as_ref().map(|(n, _)| n.clone()),
        previously_imported: None,
    };
    let options_now = options.now;
    let mut importer = Importer {
        store,
        society,
        options,
        header,
        submitter,
        known: Known::default(),
        batch: ImportBatch { at: options_now, ..ImportBatch::default() },
        report,
        next_code_number: 0,
        codes_left: 0,
    };
    // Chunk k is decided while chunk k-1 is committed; chunk k-1 is acknowledged only once its commit has
    // succeeded, so an acknowledgement never reports what the store does not hold.
    let mut decided: Option<(Vec<Transaction>, Vec<Decision>)> = None;
    loop {
        let mut chunk = Vec::with_capacity(importer.options.chunk_size);
        while chunk.len() < importer.options.chunk_size {
            match reader.next_transaction()? {
                Some(tx) => chunk.push(tx),
                None => break,
            }
        }
        if chunk.is_empty() {
            break;
        }
        // Reserving work codes writes to the store: do it before the commit starts, never beside it.
        let works = chunk.iter().filter(|tx| is_work_transaction(&tx.kind)).count() as u64;
        importer.reserve_codes(works).await?;
        let previous =
            std::mem::replace(&mut importer.batch, ImportBatch { at: importer.options.now, ..ImportBatch::default() });
        // The previous chunk is committed on another task (another core on a multi-threaded runtime) while
        // this one is decided.
        let commit = (!importer.options.dry_run && !previous.is_empty()).then(|| {
            let store = Arc::clone(shared);
            tokio::spawn(async move { store.commit_import(&previous).await })
        });
        let decisions = importer.decide_chunk(&chunk).await;
        if let Some(commit) = commit {
            commit.await.map_err(|e| ImportError::Io(io::Error::other(format!("the commit task failed: {e}"))))??;
        }
        if let Some((transactions, decisions)) = decided.take() {
            importer.acknowledge(ack_writer.as_mut().map(|(_, w)| w), &transactions, decisions)?;
        }
        decided = Some((chunk, decisions?));
        progress(reader.bytes_read());
    }
    let last = std::mem::take(&mut importer.batch);
    if !importer.options.dry_run && !last.is_empty() {
        importer.store.commit_import(&last).await?;
    }
    if let Some((transactions, decisions)) = decided.take() {
        importer.acknowledge(ack_writer.as_mut().map(|(_, w)| w), &transactions, decisions)?;
    }
    if let Some((_, writer)) = ack_writer {
        writer.finish()?;
    }
    let sha256 = reader.inner().sha256_hex();
    for d in reader.finish().diagnostics {
        importer.push_diagnostic(d);
    }
    importer.report.sha256 = sha256.clone();
    if let Some(previous) = importer.store.submission_by_hash(&sha256).await? {
        importer.report.previously_imported = Some(previous.received_at);
    } else if !importer.options.dry_run {
        let record = SubmissionRecord {
            sha256,
            file_name: importer.report.file_name.clone(),
            version: importer.report.version.clone(),
            submitter: importer.submitter.clone(),
            received_at: importer.options.now,
            ack_file_name: importer.report.ack_file_name.clone(),
            summary: serde_json::to_string(&importer.report.counts).unwrap_or_default(),
        };
        importer.store.add_submission(&record).await?;
    }
    Ok(importer.report)
}

impl Importer<'_> {
    fn push_diagnostic(&mut self, d: Diagnostic) {
        if self.report.diagnostics.len() < self.options.report_limit {
            self.report.diagnostics.push(d);
        } else {
            self.report.diagnostics_dropped += 1;
        }
    }

    /// Writes the acknowledgement of committed transactions and records their outcomes in the report.
    fn acknowledge<W: Write>(
        &mut self,
        writer: Option<&mut AckWriter<W>>,
        transactions: &[Transaction],
        decisions: Vec<Decision>,
    ) -> io::Result<()> {
        if let Some(writer) = writer {
            for (tx, decision) in transactions.iter().zip(&decisions) {
                writer.write(&AckEntry {
                    transaction: tx,
                    status: decision.outcome.status,
                    society_work_code: decision.outcome.work_code.as_deref(),
                    messages: &decision.diagnostics,
                })?;
            }
        }
        for decision in decisions {
            self.record(decision);
        }
        Ok(())
    }

    fn record(&mut self, decision: Decision) {
        self.report.counts.transactions += 1;
        for d in decision.diagnostics {
            self.push_diagnostic(d);
        }
        if self.report.outcomes.len() < self.options.report_limit {
            self.report.outcomes.push(decision.outcome);
        }
    }

    async fn decide_chunk(&mut self, chunk: &[Transaction]) -> Result<Vec<Decision>, ImportError> {
        let ctx_rules = self.society.rules.clone();
        let territories = Territories::cisac();
        let submitter = self.submitter.clone();
        let ctx = Context {
            version: self.header.version,
            submitter: &submitter,
            rules: &ctx_rules,
            territories,
            on: self.options.now.date_naive(),
        };
        // Read every work transaction first, so the store is asked once for the whole chunk.
        let works: Vec<Option<cwr::WorkTransaction>> =
            chunk.iter().map(|tx| is_work_transaction(&tx.kind).then(|| cwr::read_work(tx, &ctx))).collect();
        let mut keys = Vec::new();
        let mut iswcs = Vec::new();
        for wt in works.iter().flatten() {
            keys.push((submitter.clone(), wt.work.submitter_work_number.clone()));
            iswcs.extend(wt.work.iswc);
        }
        if !self.options.dry_run {
            self.known.next_chunk();
        }
        keys.retain(|k| self.known.get(k).is_none());
        iswcs.retain(|i| self.known.work_with_iswc(i).is_none());
        if !keys.is_empty() || !iswcs.is_empty() {
            for r in self.store.lookup_registrations(&keys, &iswcs).await? {
                self.known.add_from_store(r);
            }
        }
        // Codes were reserved for the chunk before its decisions (see the import loop).
        let mut decisions = Vec::with_capacity(chunk.len());
        for (tx, wt) in chunk.iter().zip(works) {
            let decision = match wt {
                Some(wt) => self.decide_work(tx, wt),
                None => self.decide_other(tx).await?,
            };
            decisions.push(decision);
        }
        Ok(decisions)
    }

    async fn reserve_codes(&mut self, count: u64) -> Result<(), ImportError> {
        if count <= self.codes_left {
            return Ok(());
        }
        if self.options.dry_run {
            // A dry run previews the codes the next real import would start from, reserving none.
            if self.next_code_number == 0 {
                self.next_code_number = self.store.allocate("work-code", 0).await?;
            }
            self.codes_left = u64::MAX;
            return Ok(());
        }
        // Codes are reserved in large blocks, so that reserving (a write) seldom waits for the chunk being
        // committed. Numbers not used (rejections, duplicates, the end of a block) leave gaps, which is fine
        // for work codes (unlike invoice numbers).
        let block = count.max(CODE_BLOCK);
        self.next_code_number = self.store.allocate("work-code", block).await?;
        self.codes_left = block;
        Ok(())
    }

    fn next_code(&mut self) -> String {
        let number = self.next_code_number;
        self.next_code_number += 1;
        self.codes_left = self.codes_left.saturating_sub(1);
        work_code(number)
    }

    fn outcome(
        &self,
        tx: &Transaction,
        title: &str,
        number: &str,
        status: AckStatus,
        code: Option<String>,
        note: String,
    ) -> TransactionOutcome {
        TransactionOutcome {
            line: tx.line(),
            kind: tx.kind.clone(),
            title: title.to_owned(),
            submitter_work_number: number.to_owned(),
            status,
            work_code: code,
            note,
        }
    }

    fn decide_work(&mut self, tx: &Transaction, mut wt: cwr::WorkTransaction) -> Decision {
        let key: Key = (self.submitter.clone(), wt.work.submitter_work_number.clone());
        let hash = content_hash(tx);
        let existing = self.known.get(&key).cloned();
        let title = wt.work.title.clone();
        let number = wt.work.submitter_work_number.clone();
        let counts = &mut self.report.counts;

        if existing.is_none() && wt.kind == "REV" {
            // A REV revises what the submitter registered: matched by its number, then by ISWC to another
            // submitter's work (a claim). It never creates a work.
            let by_iswc = wt.work.iswc.and_then(|i| self.known.work_with_iswc(&i).cloned());
            let own_number = by_iswc.as_ref().and_then(|code| {
                self.known
                    .registrations_of(code)
                    .iter()
                    .find(|r| r.submitter == self.submitter)
                    .map(|r| r.submitter_work_number.clone())
            });
            match (by_iswc, own_number) {
                (None, _) => wt.diagnostics.push(Diagnostic::new(tx.line(), "REV", Some("submitter work #"), Level::Transaction, format!(
                    "REV of a work the society does not know (submitter work number {number:?} from {}): rejected; register it with an NWR first",
                    self.submitter
                ))),
                (Some(code), Some(own)) => wt.diagnostics.push(Diagnostic::new(tx.line(), "REV", Some("submitter work #"), Level::Transaction, format!(
                    "REV names submitter work number {number:?}, but its ISWC belongs to work {code}, which you registered as {own:?}: rejected; resend the REV with {own:?}"
                ))),
                (Some(_), None) => {}
            }
        }
        if wt.is_rejected() {
            counts.rejected += 1;
            let note = wt
                .diagnostics
                .iter()
                .find(|d| d.level <= Level::Transaction)
                .map(|d| d.message.clone())
                .unwrap_or_default();
            let code = existing.map(|e| e.work_code);
            return Decision {
                outcome: self.outcome(tx, &title, &number, AckStatus::Rejected, code, note),
                diagnostics: wt.diagnostics,
            };
        }
        if let Some(existing) = existing {
            if existing.content_hash == hash {
                counts.duplicates += 1;
                let note =
                    format!("the same transaction was received before for work {}; nothing stored", existing.work_code);
                let code = Some(existing.work_code.clone());
                return Decision {
                    outcome: self.outcome(tx, &title, &number, AckStatus::Duplicate, code, note),
                    diagnostics: wt.diagnostics,
                };
            }
            return self.revise(tx, wt, existing, hash);
        }
        // Not known by submitter and number: is it a work another registration already names by ISWC?
        if let Some(iswc) = wt.work.iswc
            && let Some(code) = self.known.work_with_iswc(&iswc).cloned()
        {
            let same_submitter = self
                .known
                .registrations_of(&code)
                .iter()
                .find(|r| r.submitter == self.submitter)
                .map(|r| r.submitter_work_number.clone());
            match same_submitter {
                Some(other_number) => {
                    wt.diagnostics.push(Diagnostic::new(tx.line(), &tx.kind, Some("ISWC"), Level::Field, format!(
                        "ISWC {iswc} is already assigned to work {code} (your submitter work number {other_number}): the ISWC was dropped; check which work it belongs to"
                    )));
                    wt.work.iswc = None;
                }
                None => return self.claim(tx, wt, code, hash),
            }
        }
        self.register_new(tx, wt, hash)
    }

    fn reference(
        &self,
        code: &str,
        work: &Work,
        hash: &str,
        status: RegistrationStatus,
        primary: bool,
    ) -> RegistrationRef {
        RegistrationRef {
            primary,
            work_code: code.to_owned(),
            submitter: self.submitter.clone(),
            submitter_work_number: work.submitter_work_number.clone(),
            content_hash: hash.to_owned(),
            status,
            iswc: work.iswc,
            controlled_performing: work.controlled_share(RightType::Performing),
            controlled_mechanical: work.controlled_share(RightType::Mechanical),
        }
    }

    fn revision(&self, code: &str, change: &str, work: &Work, summary: String) -> Revision {
        Revision {
            work_code: code.to_owned(),
            revision: 0,
            change: change.to_owned(),
            submitter: self.submitter.clone(),
            submitter_work_number: work.submitter_work_number.clone(),
            summary,
            changed_at: self.options.now,
            changed_by: self.options.operator.clone(),
            document: serde_json::to_string(work).ok(),
        }
    }

    fn accepted_status(wt: &cwr::WorkTransaction) -> AckStatus {
        if wt.is_changed() { AckStatus::AcceptedWithChanges } else { AckStatus::Accepted }
    }

    fn register_new(&mut self, tx: &Transaction, wt: cwr::WorkTransaction, hash: String) -> Decision {
        let code = self.next_code();
        let status = Self::accepted_status(&wt);
        let reference = self.reference(&code, &wt.work, &hash, RegistrationStatus::Active, true);
        self.known.add(reference.clone());
        self.batch.new_works.push((code.clone(), wt.work.title.clone(), wt.work.iswc, wt.work.origin));
        let revision = self.revision(&code, &tx.kind, &wt.work, format!("registered from {}", self.report.file_name));
        let revision_index = self.batch.revisions.len();
        self.batch.revisions.push(revision);
        self.add_parties(&wt.work);
        self.report.counts.registered += 1;
        if status == AckStatus::AcceptedWithChanges {
            self.report.counts.changed += 1;
        }
        let (title, number) = (wt.work.title.clone(), wt.work.submitter_work_number.clone());
        self.batch.registrations.push(RegistrationWrite { reference, work: wt.work, revision_index });
        Decision {
            outcome: self.outcome(tx, &title, &number, status, Some(code.clone()), format!("registered as {code}")),
            diagnostics: wt.diagnostics,
        }
    }

    fn revise(
        &mut self,
        tx: &Transaction,
        wt: cwr::WorkTransaction,
        existing: RegistrationRef,
        hash: String,
    ) -> Decision {
        let code = existing.work_code.clone();
        let others: Vec<RegistrationRef> = self
            .known
            .registrations_of(&code)
            .into_iter()
            .filter(|r| r.submitter != self.submitter || r.submitter_work_number != existing.submitter_work_number)
            .cloned()
            .collect();
        let status_kind = if self.exceeds_whole(&wt.work, &others) {
            RegistrationStatus::Conflict
        } else {
            RegistrationStatus::Active
        };
        let mut wt = wt;
        if let Some(new) = wt.work.iswc {
            let held_elsewhere = self.known.work_with_iswc(&new).filter(|c| **c != code).cloned();
            let replaces = existing.iswc.filter(|old| *old != new);
            if let Some(other) = held_elsewhere {
                wt.diagnostics.push(Diagnostic::new(tx.line(), &tx.kind, Some("ISWC"), Level::Field, format!(
                    "ISWC {new} belongs to work {other}, not to {code}: the ISWC was dropped; check which work it belongs to"
                )));
                wt.work.iswc = None;
            } else if let Some(old) = replaces {
                wt.diagnostics.push(Diagnostic::new(tx.line(), &tx.kind, Some("ISWC"), Level::Field, format!(
                    "work {code} already has ISWC {old}; the revision's {new} was dropped (an ISWC is changed by the ISWC agency, not by a revision)"
                )));
                wt.work.iswc = None;
            }
        }
        let mut reference = self.reference(&code, &wt.work, &hash, status_kind, existing.primary);
        // A revision never takes away an ISWC the society already holds for the work.
        if reference.iswc.is_none() {
            reference.iswc = existing.iswc;
        }
        self.known.add(reference.clone());
        let revision = self.revision(&code, &tx.kind, &wt.work, format!("revised from {}", self.report.file_name));
        let revision_index = self.batch.revisions.len();
        self.batch.revisions.push(revision);
        self.add_parties(&wt.work);
        let (title, number) = (wt.work.title.clone(), wt.work.submitter_work_number.clone());
        let status = if status_kind == RegistrationStatus::Conflict {
            self.report.counts.conflicts += 1;
            AckStatus::Conflict
        } else {
            self.report.counts.revised += 1;
            let s = Self::accepted_status(&wt);
            if s == AckStatus::AcceptedWithChanges {
                self.report.counts.changed += 1;
            }
            s
        };
        self.batch.registrations.push(RegistrationWrite { reference, work: wt.work, revision_index });
        Decision {
            outcome: self.outcome(tx, &title, &number, status, Some(code.clone()), format!("revised {code}")),
            diagnostics: wt.diagnostics,
        }
    }

    /// Whether `work`'s controlled shares plus the active `others` claim more than the whole.
    fn exceeds_whole(&self, work: &Work, others: &[RegistrationRef]) -> bool {
        let tolerance = u64::from(self.society.rules.share_total_tolerance.scaled());
        let whole = u64::from(money::SHARE_SCALE) + tolerance;
        let active = others.iter().filter(|o| o.status == RegistrationStatus::Active);
        let (mut performing, mut mechanical) = (
            u64::from(work.controlled_share(RightType::Performing).scaled()),
            u64::from(work.controlled_share(RightType::Mechanical).scaled()),
        );
        for o in active {
            performing += u64::from(o.controlled_performing.scaled());
            mechanical += u64::from(o.controlled_mechanical.scaled());
        }
        performing > whole || mechanical > whole
    }

    /// Another submitter registers a work the society knows by its ISWC.
    fn claim(&mut self, tx: &Transaction, wt: cwr::WorkTransaction, code: String, hash: String) -> Decision {
        let others: Vec<RegistrationRef> = self.known.registrations_of(&code).into_iter().cloned().collect();
        let conflict = self.exceeds_whole(&wt.work, &others);
        let status_kind = if conflict { RegistrationStatus::Conflict } else { RegistrationStatus::Active };
        let reference = self.reference(&code, &wt.work, &hash, status_kind, false);
        self.known.add(reference.clone());
        let change = if conflict { "conflict" } else { "claim" };
        let summary = if conflict {
            format!(
                "{} claims shares that, with the other registrations, exceed 100%: kept as a conflict",
                self.submitter
            )
        } else {
            format!("{} registered its share", self.submitter)
        };
        let revision = self.revision(&code, change, &wt.work, summary.clone());
        let revision_index = self.batch.revisions.len();
        self.batch.revisions.push(revision);
        self.add_parties(&wt.work);
        let (title, number) = (wt.work.title.clone(), wt.work.submitter_work_number.clone());
        let status = if conflict {
            self.report.counts.conflicts += 1;
            AckStatus::Conflict
        } else {
            self.report.counts.claims += 1;
            let s = Self::accepted_status(&wt);
            if s == AckStatus::AcceptedWithChanges {
                self.report.counts.changed += 1;
            }
            s
        };
        let mut diagnostics = wt.diagnostics;
        if conflict {
            diagnostics.push(Diagnostic::new(tx.line(), &tx.kind, Some("shares"), Level::Warning, format!(
                "work {code} is already registered by another submitter; together the claims exceed 100%: kept as a conflict for the society to resolve"
            )));
        }
        self.batch.registrations.push(RegistrationWrite { reference, work: wt.work, revision_index });
        Decision { outcome: self.outcome(tx, &title, &number, status, Some(code), summary), diagnostics }
    }

    fn add_parties(&mut self, work: &Work) {
        for interest in &work.interests {
            if interest.party.as_str().starts_with("UNKNOWN:") {
                continue;
            }
            let affiliations = RightType::ALL
                .into_iter()
                .filter_map(|right| interest.societies.get(right).map(|society| Affiliation { right, society }))
                .collect();
            self.batch.parties.push(Party {
                key: interest.party.clone(),
                kind: if interest.role.is_publisher() { PartyKind::Publisher } else { PartyKind::Writer },
                name: interest.name.clone(),
                first_name: interest.first_name.clone(),
                ipi_name: interest.ipi_name,
                ipi_base: interest.ipi_base,
                isni: None,
                affiliations,
            });
        }
    }

    async fn decide_other(&mut self, tx: &Transaction) -> Result<Decision, ImportError> {
        let header = tx.header();
        let (title, number) = (header.field(20, 60).to_owned(), header.field(82, 14).to_owned());
        let mut diagnostics = tx.diagnostics.clone();
        let (status, code, note) = match tx.kind.as_str() {
            "ISW" | "ISA" => {
                let notice = cwr::read_iswc_notice(tx);
                diagnostics = notice.diagnostics.clone();
                self.apply_iswc(&notice).await?
            }
            "ACK" => {
                let notice = cwr::read_ack(tx);
                self.report.counts.notifications += 1;
                let mut note =
                    format!("acknowledgement {} for {} {:?}", notice.status, notice.original_kind, notice.title);
                // Why the society accepted or rejected it is in its MSG records: kept with the note and in the
                // history of the work it names.
                if !notice.messages.is_empty() {
                    note.push_str(&format!(": {}", notice.messages.join("; ")));
                }
                let work = self.acknowledged_work(&notice).await?;
                if let Some(code) = &work {
                    self.batch.revisions.push(Revision {
                        work_code: code.clone(),
                        revision: 0,
                        change: "ACK".into(),
                        submitter: self.submitter.clone(),
                        submitter_work_number: notice.submitter_work_number.clone(),
                        summary: format!("{note} (from {} {})", self.header.sender_name, self.submitter),
                        changed_at: self.options.now,
                        changed_by: self.options.operator.clone(),
                        document: None,
                    });
                }
                let (title, number) = (notice.title.clone(), notice.submitter_work_number.clone());
                if self.report.acks_received.len() < self.options.report_limit {
                    self.report.acks_received.push(notice);
                }
                return Ok(Decision {
                    outcome: self.outcome(tx, &title, &number, AckStatus::Received, work, note),
                    diagnostics,
                });
            }
            "AGR" => {
                let notice = cwr::read_agreement(tx);
                diagnostics = notice.diagnostics.clone();
                if tx.is_rejected() {
                    self.report.counts.rejected += 1;
                    (AckStatus::Rejected, None, "agreement rejected".to_owned())
                } else {
                    self.report.counts.agreements += 1;
                    let document = serde_json::json!({
                        "submitter_agreement_number": notice.submitter_agreement_number,
                        "society_agreement_number": notice.society_agreement_number,
                        "agreement_type": notice.agreement_type,
                        "start": notice.start,
                        "end": notice.end,
                        "territories": notice.territories,
                        "parties": notice.parties.iter().map(|p| serde_json::json!({
                            "role": p.role, "ipi_name": p.ipi_name, "name": p.name, "pr_society": p.pr_society.map(|s| s.to_string()), "pr_share": p.pr_share.to_string()
                        })).collect::<Vec<_>>(),
                    });
                    self.batch.agreements.push(AgreementWrite {
                        submitter: self.submitter.clone(),
                        number: notice.submitter_agreement_number.clone(),
                        document: document.to_string(),
                    });
                    (AckStatus::Received, None, format!("agreement {} recorded", notice.submitter_agreement_number))
                }
            }
            other => {
                self.report.counts.notifications += 1;
                (AckStatus::Received, None, format!("{other} read; Tantiem registers nothing from it"))
            }
        };
        Ok(Decision { outcome: self.outcome(tx, &title, &number, status, code, note), diagnostics })
    }

    /// An ISWC notification: give the named work its ISWC when it has none.
    /// The one work an acknowledgement is about: the registration with its submitter work number (our own
    /// number, echoed back by the society), if exactly one work has it.
    async fn acknowledged_work(&mut self, notice: &cwr::AckNotice) -> Result<Option<String>, ImportError> {
        if notice.submitter_work_number.trim().is_empty() {
            return Ok(None);
        }
        let mut codes: Vec<String> = self
            .known
            .registrations()
            .filter(|r| r.submitter_work_number == notice.submitter_work_number)
            .map(|r| r.work_code.clone())
            .collect();
        codes.extend(
            self.store.registrations_by_number(&notice.submitter_work_number).await?.into_iter().map(|r| r.work_code),
        );
        codes.sort();
        codes.dedup();
        Ok(if codes.len() == 1 { codes.pop() } else { None })
    }

    async fn apply_iswc(
        &mut self,
        notice: &cwr::IswcNotice,
    ) -> Result<(AckStatus, Option<String>, String), ImportError> {
        let Some(iswc) = notice.iswc else {
            self.report.counts.notifications += 1;
            return Ok((AckStatus::Received, None, "no valid ISWC in the notification: nothing changed".into()));
        };
        // What this import decided comes first: the store may not hold the last chunk yet.
        let mut matches: Vec<RegistrationRef> = self
            .known
            .registrations()
            .filter(|r| r.submitter_work_number == notice.submitter_work_number)
            .cloned()
            .collect();
        matches.extend(self.store.registrations_by_number(&notice.submitter_work_number).await?);
        let mut seen = std::collections::HashSet::new();
        matches.retain(|r| seen.insert(r.work_code.clone()));
        matches.sort_by(|a, b| a.work_code.cmp(&b.work_code));
        // An ISWC names one work: one another work holds already is reported, never given twice.
        let mut holder = self.known.work_with_iswc(&iswc).cloned();
        if holder.is_none() {
            let stored = self.store.lookup_registrations(&[], &[iswc]).await?;
            holder = stored.into_iter().find(|r| r.iswc == Some(iswc)).map(|r| r.work_code);
        }
        if let ([only], Some(other)) = (matches.as_slice(), &holder)
            && only.iswc.is_none()
            && *other != only.work_code
        {
            self.report.counts.notifications += 1;
            let text = format!(
                "ISWC {iswc} already belongs to work {other}; it was not given to work {} as well: ask the ISWC agency \
                 which work it names",
                only.work_code
            );
            return Ok((AckStatus::Received, Some(only.work_code.clone()), text));
        }
        match matches.as_slice() {
            [only] if only.iswc.is_none() || only.iswc == Some(iswc) => {
                let code = only.work_code.clone();
                if only.iswc.is_none() {
                    let mut updated = only.clone();
                    updated.iswc = Some(iswc);
                    for r in self.known.registrations_of(&code).into_iter().cloned().collect::<Vec<_>>() {
                        self.known.add(RegistrationRef { iswc: Some(iswc), ..r });
                    }
                    self.known.add_from_store(updated);
                    self.batch.iswc_updates.push((code.clone(), iswc));
                    let revision = Revision {
                        work_code: code.clone(),
                        revision: 0,
                        change: "ISW".into(),
                        submitter: self.submitter.clone(),
                        submitter_work_number: notice.submitter_work_number.clone(),
                        summary: format!("ISWC {iswc} assigned by notification from {}", self.submitter),
                        changed_at: self.options.now,
                        changed_by: self.options.operator.clone(),
                        document: None,
                    };
                    self.batch.revisions.push(revision);
                    self.report.counts.iswcs_assigned += 1;
                } else {
                    self.report.counts.notifications += 1;
                }
                Ok((AckStatus::Accepted, Some(code), format!("ISWC {iswc}")))
            }
            [only] => {
                self.report.counts.notifications += 1;
                Ok((
                    AckStatus::Received,
                    Some(only.work_code.clone()),
                    format!(
                        "work {} already has ISWC {}; notified {iswc} was not applied",
                        only.work_code,
                        only.iswc.map(|i| i.to_string()).unwrap_or_default()
                    ),
                ))
            }
            [] => {
                self.report.counts.notifications += 1;
                Ok((
                    AckStatus::Received,
                    None,
                    format!("no work with submitter work number {:?}: nothing changed", notice.submitter_work_number),
                ))
            }
            _ => {
                self.report.counts.notifications += 1;
                Ok((
                    AckStatus::Received,
                    None,
                    format!(
                        "{} works have submitter work number {:?}: nothing changed",
                        matches.len(),
                        notice.submitter_work_number
                    ),
                ))
            }
        }
    }
}
