//! The streaming CWR reader: lines → header, groups and transactions, with every structural deviation
//! (short lines, bad counts, misplaced records, odd encodings) reported as a diagnostic.
//!
//! Memory is bounded by the largest transaction, never by the file: transactions are handed out one at a
//! time, and file-level diagnostics are capped (the count of the rest is kept).

use std::io::BufRead;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::layout::{self, DETAIL_TYPES, TRANSACTION_TYPES, Version};
use super::record::{Decoded, Record};
use crate::{Diagnostic, Level};

/// Knobs for the reader. The defaults are tolerant; `strict` reports every deviation line by line.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Report each short or long line separately instead of one summary per file.
    pub strict: bool,
    /// Lines longer than this are refused (a CWR record is at most a few hundred characters).
    pub max_line_chars: usize,
    /// A transaction with more detail records than this is rejected whole.
    pub max_records_per_transaction: usize,
    /// File-level diagnostics kept in memory; the rest are only counted.
    pub max_diagnostics: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            strict: false,
            max_line_chars: 4096,
            max_records_per_transaction: 50_000,
            max_diagnostics: 10_000,
        }
    }
}

/// The HDR record: who sent the file, when, in which version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub line: u64,
    /// `PB` publisher, `SO` society, `AA` administrator, `WR` writer; real files put the first two digits
    /// of an 11-digit IPI name number here.
    pub sender_type: String,
    pub sender_id: String,
    pub sender_name: String,
    pub version: Version,
    pub revision: String,
    pub created: NaiveDateTime,
    pub transmission_date: Option<NaiveDate>,
    pub character_set: String,
    pub software: String,
    pub software_version: String,
    /// CWR 3.x states its own file name in the header.
    pub file_name: String,
}

impl Header {
    /// A stable key for the submitter: an IPI name number when the sender type is numeric, else type:id.
    pub fn submitter(&self) -> String {
        if self.sender_type.bytes().all(|b| b.is_ascii_digit()) && !self.sender_type.is_empty() {
            format!("IPI:{}{}", self.sender_type, self.sender_id)
        } else {
            format!("{}:{}", self.sender_type, self.sender_id.trim_start_matches('0'))
        }
    }

    /// Whether the HDR names UTF-8 as the character set (otherwise the file is ASCII or Latin-1).
    pub fn declares_utf8(&self) -> bool {
        self.character_set.to_ascii_uppercase().replace('-', "") == "UTF8"
    }

    /// Files from societies carry acknowledgements and notifications, not registrations to answer.
    pub fn is_from_society(&self) -> bool {
        self.sender_type == "SO"
    }

    /// The three-character sender code used in CWR file names.
    pub fn file_code(&self) -> String {
        let id: String = self.sender_id.trim().chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
        format!("{id:0>3}")
    }
}

/// One transaction: its header record and detail records, as read, with the problems found while reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub group_id: u64,
    pub group_type: String,
    /// The record type of the transaction header (NWR, REV, ACK, ...).
    pub kind: String,
    pub sequence: u64,
    pub records: Vec<Record>,
    pub diagnostics: Vec<Diagnostic>,
    /// The CWR version its records are read as: the HDR's, or its group's where a 2.1-shaped HDR heads a
    /// group that says 02.20.
    pub version: Version,
}

impl Transaction {
    pub fn header(&self) -> &Record {
        &self.records[0]
    }
    pub fn line(&self) -> u64 {
        self.records[0].line
    }
    pub fn details(&self) -> &[Record] {
        &self.records[1..]
    }
    /// Whether the reader found a problem that rejects the transaction whole.
    pub fn is_rejected(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level <= Level::Transaction)
    }
}

/// A transaction the file ended inside: nothing (the next transaction header, a GRT, the TRL) shows that
/// its last record arrived, so it is rejected whole rather than applied cut off.
fn unclosed(mut tx: Transaction) -> Transaction {
    let last = tx.records.last().map_or(tx.line(), |r| r.line);
    let message = format!(
        "the file ends inside this transaction (its last record is on line {last}, and no GRT, TRL or further transaction follows): it may be cut off, so it is rejected; send it again in a complete file"
    );
    let rejection = Diagnostic::new(tx.line(), &tx.kind, None, Level::Transaction, message);
    tx.diagnostics.push(rejection);
    tx
}

/// What the reader saw of the file as a whole, once it reached the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSummary {
    pub lines: u64,
    pub groups: u64,
    pub transactions: u64,
    pub diagnostics: Vec<Diagnostic>,
    /// Diagnostics beyond `max_diagnostics` that were counted but not kept.
    pub diagnostics_dropped: u64,
}

#[derive(Debug)]
struct Group {
    id: u64,
    kind: String,
    /// The version its transactions are read as.
    version: Version,
    line: u64,
    transactions: u64,
    records: u64,
    next_sequence: u64,
}

#[derive(Debug, Default)]
struct Deviations {
    short: u64,
    long: u64,
    first_short: u64,
    first_long: u64,
    crlf: u64,
    lf: u64,
}

/// The streaming reader. Open it on a file, take transactions until `None`, then call `finish`.
#[derive(Debug)]
pub struct Reader<R> {
    input: R,
    options: ReadOptions,
    header: Header,
    line: u64,
    bytes_read: u64,
    buffer: Vec<u8>,
    pending: Option<Record>,
    group: Option<Group>,
    current: Option<Transaction>,
    summary: FileSummary,
    records_total: u64,
    trailer_seen: bool,
    utf8_declared: bool,
    deviations: Deviations,
    decoded_warned: bool,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{}", .0.message)]
    NotCwr(Diagnostic),
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y%m%d").ok()
}

impl<R: BufRead> Reader<R> {
    /// Reads the HDR. A file without a usable one is rejected at file level (ER).
    pub fn open(input: R, options: ReadOptions) -> Result<Reader<R>, OpenError> {
        let mut reader = Reader {
            input,
            options,
            header: Header {
                line: 0,
                sender_type: String::new(),
                sender_id: String::new(),
                sender_name: String::new(),
                version: Version::V21,
                revision: String::new(),
                created: NaiveDateTime::MIN,
                transmission_date: None,
                character_set: String::new(),
                software: String::new(),
                software_version: String::new(),
                file_name: String::new(),
            },
            line: 0,
            bytes_read: 0,
            buffer: Vec::with_capacity(512),
            pending: None,
            group: None,
            current: None,
            summary: FileSummary::default(),
            records_total: 0,
            trailer_seen: false,
            utf8_declared: false,
            deviations: Deviations::default(),
            decoded_warned: false,
        };
        let first = loop {
            match reader.next_line()? {
                None => {
                    return Err(OpenError::NotCwr(file_error(
                        0,
                        "",
                        "the file is empty: a CWR file starts with an HDR record",
                    )));
                }
                Some(r) if r.is_empty() => continue,
                Some(r) => break r,
            }
        };
        reader.header = parse_header(&first)?;
        let sender_type = reader.header.sender_type.clone();
        if !sender_type.bytes().all(|b| b.is_ascii_digit())
            && let Some(message) = crate::cwr::layout::coded("sender type", &sender_type, SENDER_TYPES)
        {
            reader.push(Diagnostic::new(first.line, "HDR", Some("Sender Type"), Level::Warning, message));
        }
        reader.utf8_declared = reader.header.declares_utf8();
        reader.records_total = 1;
        reader.check_length(&first);
        Ok(reader)
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The underlying input (e.g. to ask a hashing reader for its digest once the file is read).
    pub fn inner(&self) -> &R {
        &self.input
    }

    /// Bytes consumed so far, for progress reporting.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        if self.summary.diagnostics.len() < self.options.max_diagnostics {
            self.summary.diagnostics.push(diagnostic);
        } else {
            self.summary.diagnostics_dropped += 1;
        }
    }

    /// Reads and decodes the next physical line, or `None` at the end.
    fn next_line(&mut self) -> std::io::Result<Option<Record>> {
        self.buffer.clear();
        // Read up to the next LF, keeping at most the line limit: a file without line ends must not be
        // read into memory whole.
        let limit = self.options.max_line_chars.saturating_mul(4) + 2;
        let mut consumed = 0usize;
        let mut overlong = false;
        loop {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                break;
            }
            let (take, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if self.buffer.len() + take <= limit {
                self.buffer.extend_from_slice(&available[..take]);
            } else {
                overlong = true;
            }
            consumed += take;
            self.input.consume(take);
            if done {
                break;
            }
        }
        if consumed == 0 {
            return Ok(None);
        }
        let n = consumed;
        if overlong {
            self.bytes_read += n as u64;
            self.line += 1;
            let d = Diagnostic::new(
                self.line,
                "",
                None,
                Level::Record,
                format!(
                    "line is {n} bytes long, above the limit of {} characters: not a CWR record; it was skipped",
                    self.options.max_line_chars
                ),
            );
            self.push(d);
            return Ok(Some(Record::from_text(self.line, "")));
        }
        self.bytes_read += n as u64;
        self.line += 1;
        let mut bytes = self.buffer.as_slice();
        if let Some(rest) = bytes.strip_suffix(b"\n") {
            bytes = rest;
            match rest.strip_suffix(b"\r") {
                Some(r) => {
                    bytes = r;
                    self.deviations.crlf += 1;
                }
                None => self.deviations.lf += 1,
            }
        }
        // A stray CR or a Ctrl-Z at the end of a last line is padding, not data.
        while let Some(rest) = bytes.strip_suffix(b"\r").or_else(|| bytes.strip_suffix(b"\x1a")) {
            bytes = rest;
        }
        let line = self.line;
        let (record, decoded) = Record::decode(line, bytes, self.utf8_declared);
        if decoded != Decoded::Ascii && !self.decoded_warned {
            let message = match (decoded, self.utf8_declared) {
                (Decoded::Latin1, true) => Some(
                    "the HDR declares UTF-8 but this line is not valid UTF-8: read as Latin-1; check the accented names",
                ),
                (Decoded::Utf8, false) => {
                    Some("non-ASCII text read as UTF-8 although the HDR declares no UTF-8 character set")
                }
                _ => None,
            };
            if let Some(message) = message {
                self.decoded_warned = true;
                self.push(Diagnostic::new(line, record.record_type(), Some("character set"), Level::Warning, message));
            }
        }
        Ok(Some(record))
    }

    /// Checks a record's length against the version's layout.
    fn check_length(&mut self, record: &Record) {
        // Inside a group, its version decides (a 2.2 group under a 2.1-shaped HDR has 2.2's lengths).
        let version = self.group.as_ref().map_or(self.header.version, |g| g.version);
        let Some((min, max)) = layout::length(version, record.record_type()) else {
            return;
        };
        let len = record.len();
        let (too_short, too_long) = (len < min, len > max);
        if !too_short && !too_long {
            return;
        }
        if too_short {
            self.deviations.short += 1;
            if self.deviations.first_short == 0 {
                self.deviations.first_short = record.line;
            }
        } else {
            self.deviations.long += 1;
            if self.deviations.first_long == 0 {
                self.deviations.first_long = record.line;
            }
        }
        if self.options.strict {
            let message = if too_short {
                format!(
                    "record is {len} characters, shorter than the {min} of CWR {}: read as padded with spaces",
                    version.label()
                )
            } else {
                format!(
                    "record is {len} characters, longer than the {max} of CWR {}: the extra characters were ignored",
                    version.label()
                )
            };
            self.push(Diagnostic::new(record.line, record.record_type(), None, Level::Warning, message));
        }
    }

    /// The next record that is not blank, or `None` at the end of the file.
    fn next_record(&mut self) -> std::io::Result<Option<Record>> {
        if let Some(r) = self.pending.take() {
            return Ok(Some(r));
        }
        loop {
            let Some(record) = self.next_line()? else {
                return Ok(None);
            };
            if record.text().trim().is_empty() {
                self.push(Diagnostic::new(record.line, "", None, Level::Warning, "blank line skipped"));
                continue;
            }
            if record.len() < 3 {
                self.push(Diagnostic::new(
                    record.line,
                    record.text(),
                    None,
                    Level::Record,
                    "line too short to hold a record type: skipped",
                ));
                continue;
            }
            self.records_total += 1;
            self.check_length(&record);
            return Ok(Some(record));
        }
    }

    /// The next transaction, or `None` when the file is done.
    pub fn next_transaction(&mut self) -> std::io::Result<Option<Transaction>> {
        loop {
            let Some(record) = self.next_record()? else {
                return Ok(self.current.take().map(unclosed));
            };
            if self.trailer_seen {
                self.push(Diagnostic::new(
                    record.line,
                    record.record_type(),
                    None,
                    Level::Warning,
                    "record after the TRL trailer: ignored",
                ));
                continue;
            }
            let kind = record.record_type().to_owned();
            match kind.as_str() {
                "HDR" => {
                    self.push(Diagnostic::new(
                        record.line,
                        "HDR",
                        None,
                        Level::Warning,
                        "a second HDR inside the file: ignored",
                    ));
                }
                "GRH" => {
                    if let Some(done) = self.current.take() {
                        self.pending = Some(record);
                        return Ok(Some(done));
                    }
                    self.open_group(&record);
                }
                "GRT" => {
                    if let Some(done) = self.current.take() {
                        self.pending = Some(record);
                        return Ok(Some(done));
                    }
                    self.close_group(&record);
                }
                "TRL" => {
                    if let Some(done) = self.current.take() {
                        self.pending = Some(record);
                        return Ok(Some(done));
                    }
                    self.close_file(&record);
                }
                _ if self.starts_transaction(&kind) => {
                    let done = self.current.take();
                    self.begin_transaction(record, kind);
                    if let Some(done) = done {
                        return Ok(Some(done));
                    }
                }
                _ => self.add_detail(record, kind),
            }
        }
    }

    /// Whether a record of `kind` starts a transaction here. In an ACK group the echoed original
    /// transaction (NWR, REV, ...) is part of the acknowledgement, so only ACK starts one.
    fn starts_transaction(&self, kind: &str) -> bool {
        if !TRANSACTION_TYPES.contains(&kind) {
            return false;
        }
        match (&self.group, &self.current) {
            (Some(g), Some(_)) if g.kind == "ACK" => kind == "ACK",
            (Some(g), Some(_)) if g.kind == "AGR" || g.kind == "LIC" => kind == g.kind,
            _ => true,
        }
    }

    fn open_group(&mut self, record: &Record) {
        if let Some(open) = self.group.take() {
            self.push(Diagnostic::new(
                record.line,
                "GRH",
                None,
                Level::Warning,
                format!(
                    "group {} (line {}) has no GRT before this GRH: its counts were not checked",
                    open.id, open.line
                ),
            ));
        }
        let id = record.number(7, 5).ok().flatten().unwrap_or(0);
        let kind = record.field(4, 3).to_owned();
        if !TRANSACTION_TYPES.contains(&kind.as_str()) {
            self.push(Diagnostic::new(
                record.line,
                "GRH",
                Some("transaction type"),
                Level::Warning,
                format!("group transaction type {kind:?} is not a CWR transaction type"),
            ));
        }
        let version_text = record.field(12, 5);
        let mut version = self.header.version;
        match Version::from_group_text(version_text) {
            // A 2.1-shaped HDR over a group that says 2.2: the group's records carry 2.2's fields (REC's
            // recording title and display artist, …), so they are read as 2.2 rather than lost.
            Some(Version::V22) if self.header.version == Version::V21 => {
                version = Version::V22;
                self.push(Diagnostic::new(
                    record.line,
                    "GRH",
                    Some("version number"),
                    Level::Warning,
                    format!(
                        "group version {version_text} under an HDR shaped as CWR 2.1: the group's records are read as CWR 2.2"
                    ),
                ));
            }
            Some(v) if v.is_v3() != self.header.version.is_v3() || (v != self.header.version && !v.is_v3()) => {
                self.push(Diagnostic::new(
                    record.line,
                    "GRH",
                    Some("version number"),
                    Level::Warning,
                    format!(
                        "group version {version_text} differs from the HDR's CWR {}: the file is read as {}",
                        self.header.version.label(),
                        self.header.version.label()
                    ),
                ));
            }
            Some(_) => {}
            None => self.push(Diagnostic::new(
                record.line,
                "GRH",
                Some("version number"),
                Level::Warning,
                format!("group version {version_text:?} is not a CWR version (02.10, 02.20, 03.00, 03.10)"),
            )),
        }
        let expected = self.summary.groups + 1;
        if id != expected {
            self.push(Diagnostic::new(
                record.line,
                "GRH",
                Some("group ID"),
                Level::Warning,
                format!("group ID {id} where {expected} was expected (groups are numbered from 1)"),
            ));
        }
        self.summary.groups += 1;
        self.group =
            Some(Group { id, kind, version, line: record.line, transactions: 0, records: 1, next_sequence: 0 });
    }

    fn close_group(&mut self, record: &Record) {
        let Some(group) = self.group.take() else {
            self.push(Diagnostic::new(record.line, "GRT", None, Level::Warning, "GRT without a GRH: ignored"));
            return;
        };
        let records = group.records + 1;
        let id = record.number(4, 5).ok().flatten();
        let transactions = record.number(9, 8).ok().flatten();
        let stated_records = record.number(17, 8).ok().flatten();
        if id != Some(group.id) {
            self.push(Diagnostic::new(
                record.line,
                "GRT",
                Some("group ID"),
                Level::Warning,
                format!("GRT closes group {} but the open group is {}", record.field(4, 5), group.id),
            ));
        }
        if transactions != Some(group.transactions) {
            self.push(Diagnostic::new(
                record.line,
                "GRT",
                Some("transaction count"),
                Level::Warning,
                format!("GRT states {} transactions; the group has {}", record.field(9, 8), group.transactions),
            ));
        }
        if stated_records != Some(records) {
            self.push(Diagnostic::new(
                record.line,
                "GRT",
                Some("record count"),
                Level::Warning,
                format!("GRT states {} records; the group has {records} (GRH and GRT included)", record.field(17, 8)),
            ));
        }
    }

    fn close_file(&mut self, record: &Record) {
        if let Some(open) = self.group.take() {
            self.push(Diagnostic::new(
                record.line,
                "TRL",
                None,
                Level::Warning,
                format!("group {} (line {}) has no GRT before the TRL", open.id, open.line),
            ));
        }
        self.trailer_seen = true;
        let checks = [
            (4, 5, "group count", self.summary.groups, "groups"),
            (9, 8, "transaction count", self.summary.transactions, "transactions"),
            (17, 8, "record count", self.records_total, "records (HDR and TRL included)"),
        ];
        for (start, len, field, actual, what) in checks {
            if record.number(start, len).ok().flatten() != Some(actual) {
                self.push(Diagnostic::new(
                    record.line,
                    "TRL",
                    Some(field),
                    Level::Warning,
                    format!("TRL states {} {what}; the file has {actual}", record.field(start, len)),
                ));
            }
        }
    }

    fn begin_transaction(&mut self, record: Record, kind: String) {
        let mut diagnostics = Vec::new();
        if self.group.is_none() {
            diagnostics.push(Diagnostic::new(
                record.line,
                &kind,
                None,
                Level::Warning,
                "transaction outside a group (no GRH before it)",
            ));
            self.group = Some(Group {
                id: 0,
                kind: kind.clone(),
                version: self.header.version,
                line: record.line,
                transactions: 0,
                records: 0,
                next_sequence: 0,
            });
        }
        let group = self.group.as_mut().expect("a group was just ensured");
        if group.kind != kind {
            diagnostics.push(Diagnostic::new(
                record.line,
                &kind,
                None,
                Level::Warning,
                format!("{kind} transaction inside a group of {}: read as {kind}", group.kind),
            ));
        }
        let sequence = record.number(4, 8).ok().flatten();
        match sequence {
            Some(s) if s == group.next_sequence => {}
            _ => diagnostics.push(Diagnostic::new(
                record.line,
                &kind,
                Some("transaction sequence #"),
                Level::Warning,
                format!("transaction sequence {} where {} was expected", record.field(4, 8), group.next_sequence),
            )),
        }
        let sequence = sequence.unwrap_or(group.next_sequence);
        group.next_sequence = sequence + 1;
        group.transactions += 1;
        group.records += 1;
        self.summary.transactions += 1;
        self.current = Some(Transaction {
            version: group.version,
            group_id: group.id,
            group_type: group.kind.clone(),
            kind,
            sequence,
            records: vec![record],
            diagnostics,
        });
    }

    fn add_detail(&mut self, record: Record, kind: String) {
        if let Some(group) = self.group.as_mut() {
            group.records += 1;
        }
        let max = self.options.max_records_per_transaction;
        let Some(tx) = self.current.as_mut() else {
            self.push(Diagnostic::new(
                record.line,
                &kind,
                None,
                Level::Record,
                format!("{kind} record outside a transaction: ignored"),
            ));
            return;
        };
        if !DETAIL_TYPES.contains(&kind.as_str()) && !TRANSACTION_TYPES.contains(&kind.as_str()) {
            tx.diagnostics.push(Diagnostic::new(
                record.line,
                &kind,
                Some("record type"),
                Level::Record,
                format!("unknown record type {kind:?}: record ignored"),
            ));
            return;
        }
        let expected = tx.records.len() as u64;
        if record.number(12, 8).ok().flatten() != Some(expected)
            && !tx.diagnostics.iter().any(|d| d.field == Some("record sequence #"))
        {
            tx.diagnostics.push(Diagnostic::new(
                record.line,
                &kind,
                Some("record sequence #"),
                Level::Warning,
                format!(
                    "record sequence {} where {expected} was expected (and maybe in later records of this transaction)",
                    record.field(12, 8)
                ),
            ));
        }
        if record.number(4, 8).ok().flatten() != Some(tx.sequence)
            && !tx.diagnostics.iter().any(|d| d.field == Some("transaction sequence #") && d.line != tx.line())
        {
            tx.diagnostics.push(Diagnostic::new(
                record.line,
                &kind,
                Some("transaction sequence #"),
                Level::Warning,
                format!(
                    "detail record carries transaction sequence {} but belongs to transaction {}",
                    record.field(4, 8),
                    tx.sequence
                ),
            ));
        }
        if tx.records.len() >= max {
            if tx.records.len() == max {
                tx.diagnostics.push(Diagnostic::new(
                    record.line,
                    &kind,
                    None,
                    Level::Transaction,
                    format!("transaction has more than {max} records: rejected; split it"),
                ));
            }
            return;
        }
        tx.records.push(record);
    }

    /// Ends reading: checks the trailer was there and reports what was summarised rather than listed.
    pub fn finish(mut self) -> FileSummary {
        if !self.trailer_seen {
            let line = self.line;
            self.push(file_warning(
                line,
                "TRL",
                "the file ends without a TRL trailer: it may be truncated; check that every transaction arrived",
            ));
        }
        let d = std::mem::take(&mut self.deviations);
        if !self.options.strict {
            if d.short > 0 {
                self.push(file_warning(d.first_short, "", &format!(
                    "{} records are shorter than their CWR length (trailing spaces trimmed) and were read as padded; first at line {}",
                    d.short, d.first_short
                )));
            }
            if d.long > 0 {
                self.push(file_warning(d.first_long, "", &format!(
                    "{} records are longer than their CWR length; the extra characters were ignored; first at line {}",
                    d.long, d.first_long
                )));
            }
        }
        if d.crlf > 0 && d.lf > 0 {
            self.push(file_warning(0, "", &format!("line endings are mixed: {} CRLF and {} LF", d.crlf, d.lf)));
        }
        self.summary.lines = self.line;
        self.summary
    }
}

fn file_error(line: u64, record: &str, message: &str) -> Diagnostic {
    Diagnostic::new(line, record, None, Level::File, message)
}

fn file_warning(line: u64, record: &str, message: &str) -> Diagnostic {
    Diagnostic::new(line, record, None, Level::Warning, message)
}

/// Which UTF-16 a first line is in, if it is: a byte-order mark read as Latin-1, or a NUL beside every
/// character of an ASCII text.
fn utf16(text: &str) -> Option<&'static str> {
    let bytes: Vec<u32> = text.chars().take(40).map(u32::from).collect();
    match bytes.as_slice() {
        [0xFF, 0xFE, ..] => Some("UTF-16 (little-endian, with a byte-order mark)"),
        [0xFE, 0xFF, ..] => Some("UTF-16 (big-endian, with a byte-order mark)"),
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Some("UTF-16 (little-endian)"),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => Some("UTF-16 (big-endian)"),
        _ => None,
    }
}

/// CWR's sender types (a number instead is the start of the sender's IPI name number).
const SENDER_TYPES: &[&str] = &["PB", "SO", "AA", "WR"];

/// Parses the HDR of CWR 2.x or 3.x; the version is told by the header itself.
fn parse_header(r: &Record) -> Result<Header, OpenError> {
    let not_cwr = |message: String| OpenError::NotCwr(file_error(r.line, r.record_type(), &message));
    if r.record_type() != "HDR" {
        if let Some(encoding) = utf16(r.text()) {
            return Err(not_cwr(format!(
                "the file is {encoding}: CWR files are ASCII, Latin-1 or UTF-8; save it as UTF-8 and send it again"
            )));
        }
        let start: String = r.text().chars().take(20).collect();
        return Err(not_cwr(format!("not a CWR file: the first record must be HDR, found {start:?}")));
    }
    let v3 = r.raw(103, 3).starts_with("3.");
    let (name_at, date_at, charset_at) = if v3 { ((10, 45), 66, 88) } else { ((15, 45), 65, 87) };
    let created_date = date(r.field(date_at, 8));
    let Some(created_date) = created_date else {
        return Err(not_cwr(format!(
            "the HDR is truncated or damaged: no valid creation date at position {date_at} (found {:?}); the file cannot be read",
            r.field(date_at, 8)
        )));
    };
    let time = NaiveTime::parse_from_str(r.field(date_at + 8, 6), "%H%M%S").unwrap_or(NaiveTime::MIN);
    let version = if v3 {
        if r.raw(103, 3) == "3.1" { Version::V31 } else { Version::V30 }
    } else if r.raw(102, 3) == "2.2" {
        Version::V22
    } else {
        Version::V21
    };
    let sender_id = if v3 { r.field(6, 4) } else { r.field(6, 9) };
    if r.field(4, 2).is_empty() && sender_id.is_empty() {
        return Err(not_cwr(
            "the HDR names no sender (positions 4–14 are blank): the file cannot be attributed".into(),
        ));
    }
    let (revision_at, software_at) = if v3 { (106, 109) } else { (105, 108) };
    Ok(Header {
        line: r.line,
        sender_type: r.field(4, 2).to_owned(),
        sender_id: sender_id.to_owned(),
        sender_name: r.field(name_at.0, name_at.1).to_owned(),
        version,
        revision: r.field(revision_at, 3).to_owned(),
        created: created_date.and_time(time),
        transmission_date: date(r.field(date_at + 14, 8)),
        character_set: r.field(charset_at, 15).to_owned(),
        software: r.field(software_at, 30).to_owned(),
        software_version: r.field(software_at + 30, 30).to_owned(),
        file_name: if v3 { r.field(169, 27).to_owned() } else { String::new() },
    })
}
