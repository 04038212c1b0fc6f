//! The CWR acknowledgement writer: for every transaction of a submission, an ACK transaction that echoes
//! the original records, states the society's verdict and work code, and explains each rejection or change
//! in MSG records placed after the record concerned. Written in the submission's own CWR version, as a
//! stream, so an acknowledgement of a million works never sits in memory.

use std::io::{self, Write};

use chrono::{NaiveDate, NaiveDateTime};
use domain::SocietyCode;
use serde::{Deserialize, Serialize};

use super::layout::{self, Version};
use super::reader::{Header, Transaction};
use super::record::fit;
use crate::{Diagnostic, Level};

/// The status an acknowledgement gives a transaction (CWR transaction status codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AckStatus {
    /// AS: registration accepted.
    Accepted,
    /// AC: accepted with changes (fields or records dropped).
    AcceptedWithChanges,
    /// RJ: rejected.
    Rejected,
    /// DU: the same transaction was received before; nothing stored.
    Duplicate,
    /// CO: claims more than 100% together with another submitter's registration; kept as a conflict.
    Conflict,
    /// RA: transaction received and read, but it registers nothing (notifications, requests).
    Received,
}

impl AckStatus {
    pub fn code(self) -> &'static str {
        match self {
            AckStatus::Accepted => "AS",
            AckStatus::AcceptedWithChanges => "AC",
            AckStatus::Rejected => "RJ",
            AckStatus::Duplicate => "DU",
            AckStatus::Conflict => "CO",
            AckStatus::Received => "RA",
        }
    }

    pub fn from_code(code: &str) -> Option<AckStatus> {
        [
            AckStatus::Accepted,
            AckStatus::AcceptedWithChanges,
            AckStatus::Rejected,
            AckStatus::Duplicate,
            AckStatus::Conflict,
            AckStatus::Received,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// The verdict on one original transaction.
#[derive(Debug, Clone, Copy)]
pub struct AckEntry<'a> {
    pub transaction: &'a Transaction,
    pub status: AckStatus,
    pub society_work_code: Option<&'a str>,
    /// Problems to explain; warnings are not written (they reject nothing), the rest become MSG records.
    pub messages: &'a [Diagnostic],
}

/// Writes one ACK file: HDR and GRH on creation, one ACK transaction per [`AckWriter::write`], GRT and
/// TRL on [`AckWriter::finish`].
#[derive(Debug)]
pub struct AckWriter<W: Write> {
    out: W,
    version: Version,
    /// Written in UTF-8 (declared in the HDR) when the submission declared it, else in Latin-1 like the
    /// submission, so the sender reads its own names back unchanged.
    utf8: bool,
    original_created: NaiveDateTime,
    processing_date: NaiveDate,
    transactions: u64,
    group_records: u64,
}

impl<W: Write> AckWriter<W> {
    /// Starts the file. `created` is when the society wrote it (passed in: the core reads no clock).
    pub fn new(
        mut out: W,
        society: SocietyCode,
        society_name: &str,
        original: &Header,
        created: NaiveDateTime,
    ) -> io::Result<Self> {
        let version = original.version;
        let utf8 = original.declares_utf8();
        let charset = fitted(if utf8 { "UTF-8" } else { "" }, 15);
        let date = created.format("%Y%m%d").to_string();
        let time = created.format("%H%M%S").to_string();
        let name = fitted(society_name, 45);
        let header = match version {
            Version::V21 => format!("HDRSO{:09}{name}01.10{date}{time}{date}{charset}", society.number()),
            Version::V22 => format!(
                "HDRSO{:09}{name}01.10{date}{time}{date}{charset}2.2001{}{}",
                society.number(),
                fitted("TANTIEM", 30),
                fitted(env!("CARGO_PKG_VERSION"), 30)
            ),
            Version::V30 | Version::V31 => format!(
                "HDRSO{:04}{name}{}{date}{time}{date}{charset}{}000{}{}{}",
                society.number(),
                " ".repeat(11),
                version.label(),
                fitted("TANTIEM", 30),
                fitted(env!("CARGO_PKG_VERSION"), 30),
                " ".repeat(27)
            ),
        };
        write_line(&mut out, version, utf8, "HDR", header)?;
        let trailing = if version.is_v3() { "" } else { "  " };
        write_line(&mut out, version, utf8, "GRH", format!("GRHACK00001{}0000000000{trailing}", version.group_text()))?;
        Ok(AckWriter {
            out,
            version,
            utf8,
            original_created: original.created,
            processing_date: created.date(),
            transactions: 0,
            group_records: 1,
        })
    }

    /// Writes the ACK transaction for one original transaction.
    pub fn write(&mut self, entry: &AckEntry<'_>) -> io::Result<()> {
        let tx = entry.transaction;
        let sequence = self.transactions;
        let header = tx.header();
        let ack = format!(
            "ACK{sequence:08}00000000{}{}{:05}{:08}{}{}{}{}{}{}",
            self.original_created.format("%Y%m%d"),
            self.original_created.format("%H%M%S"),
            tx.group_id,
            tx.sequence,
            fitted(&tx.kind, 3),
            fitted(header.field(20, 60), 60),
            fitted(header.field(82, 14), 20),
            fitted(entry.society_work_code.unwrap_or(""), 20),
            self.processing_date.format("%Y%m%d"),
            entry.status.code()
        );
        write_line(&mut self.out, self.version, self.utf8, "ACK", ack)?;
        let mut record_sequence = 1u64;
        for (original_sequence, record) in tx.records.iter().enumerate() {
            let length = layout::length(self.version, record.record_type()).map_or(record.len(), |(min, _)| min);
            let echoed = record.renumbered(sequence, record_sequence, length);
            write_line(&mut self.out, self.version, self.utf8, record.record_type(), echoed)?;
            record_sequence += 1;
            // Problems on lines that are not among the echoed records (an ignored record, a cut-off
            // transaction) are explained after the transaction header.
            let on_this_record = |m: &&Diagnostic| {
                m.line == record.line || (original_sequence == 0 && !tx.records.iter().any(|r| r.line == m.line))
            };
            for message in entry.messages.iter().filter(on_this_record).filter(|m| m.level < Level::Warning) {
                let msg = format!(
                    "MSG{sequence:08}{record_sequence:08}{}{original_sequence:08}{}{}000{}",
                    message.level.msg_type(),
                    fitted(record.record_type(), 3),
                    message.level.msg_type(),
                    fitted(&message_text(message), 150)
                );
                write_line(&mut self.out, self.version, self.utf8, "MSG", msg)?;
                record_sequence += 1;
            }
        }
        self.transactions += 1;
        self.group_records += record_sequence;
        Ok(())
    }

    /// Closes the group and the file, and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.group_records += 1;
        let grt = format!("GRT00001{:08}{:08}", self.transactions, self.group_records);
        write_line(&mut self.out, self.version, self.utf8, "GRT", grt)?;
        let trl = format!("TRL00001{:08}{:08}", self.transactions, self.group_records + 2);
        write_line(&mut self.out, self.version, self.utf8, "TRL", trl)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// CWR text is upper case; keep the field name so the sender can find it.
fn message_text(d: &Diagnostic) -> String {
    let text = match d.field {
        Some(field) => format!("{}: {}", field, d.message),
        None => d.message.clone(),
    };
    text.to_uppercase()
}

fn fitted(text: &str, length: usize) -> String {
    let mut s = text.to_owned();
    fit(&mut s, length);
    s
}

fn write_line<W: Write>(
    out: &mut W,
    version: Version,
    utf8: bool,
    record_type: &str,
    mut line: String,
) -> io::Result<()> {
    // The records the writer composes itself get their exact length; echoed ones come already fitted.
    if let (Some((min, _)), true) =
        (layout::length(version, record_type), matches!(record_type, "HDR" | "GRH" | "ACK" | "MSG" | "GRT" | "TRL"))
    {
        fit(&mut line, min);
    }
    if utf8 || line.is_ascii() {
        out.write_all(line.as_bytes())?;
    } else {
        // Latin-1: every character the submission could have sent fits in a byte; others become '?'.
        let bytes: Vec<u8> = line.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect();
        out.write_all(&bytes)?;
    }
    out.write_all(b"\r\n")
}

/// How many acknowledgements a society can name in one year (four digits in the file name).
pub const ACK_NUMBERS_PER_YEAR: u64 = 9_999;

/// The CWR file name for an acknowledgement: `CWyynnnnSSS_RRR.Vxx` (2.x) or `CWyynnnnSSS_RRRR_V3-0-0.ACK`,
/// with SSS the society, RRR the submitter and nnnn the society's running number for the year.
///
/// CWR file names have four digits for the running number: numbers above 9,999 in one year wrap around,
/// and a caller that could overwrite an earlier file must refuse ([`ACK_NUMBERS_PER_YEAR`]).
pub fn ack_file_name(version: Version, year: i32, sequence: u32, society: SocietyCode, original: &Header) -> String {
    let yy = year.rem_euclid(100);
    let receiver = original.file_code();
    match version {
        Version::V21 => format!("CW{yy:02}{:04}{:03}_{receiver}.V21", sequence % 10_000, society.number() % 1000),
        Version::V22 => format!("CW{yy:02}{:04}{:03}_{receiver}.V22", sequence % 10_000, society.number() % 1000),
        Version::V30 | Version::V31 => {
            let minor = if version == Version::V31 { 1 } else { 0 };
            format!("CW{yy:02}{:04}{:03}_{receiver:0>4}_V3-{minor}-0.ACK", sequence % 10_000, society.number() % 1000)
        }
    }
}
