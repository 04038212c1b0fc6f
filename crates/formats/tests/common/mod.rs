//! Shared by the formats tests: the CWR fixtures and a full read of a file into a printable report.

// Each test crate uses a part of this module.
#![allow(dead_code)]

use std::fmt::Write;

use formats::cwr::{Context, ReadOptions, Reader, read_ack, read_agreement, read_iswc_notice, read_work};

/// Every CWR fixture: name and bytes.
pub fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cwr");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("the fixture folder")
        .map(|e| {
            let path = e.expect("an entry").path();
            (path.file_name().expect("a name").to_string_lossy().into_owned(), std::fs::read(&path).expect("readable"))
        })
        .collect();
    files.sort();
    files
}

/// Reads `bytes` completely, translating every transaction, and describes what was read. Never panics on
/// any input (that is what the mutation tests check).
pub fn read_everything(bytes: &[u8], options: ReadOptions) -> String {
    let mut out = String::new();
    let mut reader = match Reader::open(bytes, options) {
        Ok(r) => r,
        Err(e) => return format!("not read: {e}\n"),
    };
    let header = reader.header().clone();
    let submitter = header.submitter();
    let rules = domain::SocietyRules::opt_in();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    let ctx = Context {
        version: header.version,
        submitter: &submitter,
        rules: &rules,
        territories: domain::Territories::cisac(),
        on,
    };
    let _ = writeln!(
        out,
        "CWR {} from {} {:?} created {}",
        header.version.label(),
        submitter,
        header.sender_name,
        header.created
    );
    loop {
        let tx = match reader.next_transaction() {
            Ok(Some(tx)) => tx,
            Ok(None) => break,
            Err(e) => {
                let _ = writeln!(out, "I/O error: {e}");
                break;
            }
        };
        let _ = writeln!(
            out,
            "{} line {} (group {} sequence {}), {} records",
            tx.kind,
            tx.line(),
            tx.group_id,
            tx.sequence,
            tx.records.len()
        );
        let diagnostics = match tx.kind.as_str() {
            "NWR" | "REV" | "WRK" => {
                let wt = read_work(&tx, &ctx);
                let w = &wt.work;
                let _ = writeln!(
                    out,
                    "  work {:?} #{} ISWC {} rejected {} changed {}",
                    w.title,
                    w.submitter_work_number,
                    w.iswc.map(|i| i.to_string()).unwrap_or_default(),
                    wt.is_rejected(),
                    wt.is_changed()
                );
                for i in &w.interests {
                    let _ = writeln!(
                        out,
                        "    {} {} {:?} {} own {}/{}/{}",
                        if i.controlled { "S" } else { "O" },
                        i.role.code(),
                        i.name,
                        i.ipi_name.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                        i.ownership.performing,
                        i.ownership.mechanical,
                        i.ownership.synchronisation
                    );
                    for t in &i.collection {
                        let _ = writeln!(
                            out,
                            "      {} {} {}/{}/{}",
                            if t.included { "I" } else { "E" },
                            t.tis,
                            t.shares.performing,
                            t.shares.mechanical,
                            t.shares.synchronisation
                        );
                    }
                }
                for r in &w.recordings {
                    let _ = writeln!(
                        out,
                        "    recording {} {:?} {:?}",
                        r.isrc.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
                        r.title,
                        r.duration_seconds
                    );
                }
                wt.diagnostics
            }
            "ISW" | "ISA" => {
                let n = read_iswc_notice(&tx);
                let _ = writeln!(out, "  ISWC notice #{} {:?}", n.submitter_work_number, n.iswc.map(|i| i.to_string()));
                n.diagnostics
            }
            "ACK" => {
                let a = read_ack(&tx);
                let _ = writeln!(
                    out,
                    "  ACK {} of {} {:?} society code {:?}, {} messages",
                    a.status,
                    a.original_kind,
                    a.title,
                    a.society_work_code,
                    a.messages.len()
                );
                tx.diagnostics.clone()
            }
            "AGR" => {
                let a = read_agreement(&tx);
                let _ = writeln!(
                    out,
                    "  agreement {} type {:?} territories {:?} parties {}",
                    a.submitter_agreement_number,
                    a.agreement_type,
                    a.territories,
                    a.parties.len()
                );
                a.diagnostics
            }
            _ => tx.diagnostics.clone(),
        };
        for d in diagnostics {
            let _ = writeln!(out, "  ! {d}");
        }
    }
    for d in reader.finish().diagnostics {
        let _ = writeln!(out, "! {d}");
    }
    out
}
