//! Writes generated works as a CWR 2.1 NWR submission (Latin-1, CRLF), streaming.

use std::io::{self, Write};

use crate::GeneratedWork;

/// Pads or cuts to exactly `width` characters.
fn cell(text: &str, width: usize) -> String {
    let mut s: String = text.chars().take(width).collect();
    let len = s.chars().count();
    s.extend(std::iter::repeat_n(' ', width - len));
    s
}

/// Streams an NWR group: header on creation, one transaction per work, trailers on `finish`.
#[derive(Debug)]
pub struct Cwr21Writer<W: Write> {
    out: W,
    transactions: u64,
    records: u64,
}

impl<W: Write> Cwr21Writer<W> {
    /// `sender_id`: the publisher's 9-digit id; `created`: `YYYYMMDD` and `HHMMSS` (passed in: no clock).
    pub fn new(
        mut out: W,
        sender_id: u32,
        sender_name: &str,
        created_date: &str,
        created_time: &str,
    ) -> io::Result<Self> {
        let hdr = format!(
            "HDRPB{sender_id:09}{}01.10{created_date}{created_time}{created_date}{}",
            cell(sender_name, 45),
            cell("", 15)
        );
        write_latin1(&mut out, &hdr)?;
        write_latin1(&mut out, "GRHNWR0000102.100000000000  ")?;
        Ok(Cwr21Writer { out, transactions: 0, records: 1 })
    }

    pub fn write_work(&mut self, work: &GeneratedWork) -> io::Result<()> {
        let t = self.transactions;
        let mut r = 0u64;
        let mut lines: Vec<String> = Vec::with_capacity(12);
        let mut prefix = |kind: &str| {
            let p = format!("{kind}{t:08}{r:08}");
            r += 1;
            p
        };
        let (h, m, s) = (work.duration_seconds / 3600, work.duration_seconds / 60 % 60, work.duration_seconds % 60);
        lines.push(format!(
            "{}{}  {}{}00000000{}POP{h:02}{m:02}{s:02}YMTX   ORI{}",
            prefix("NWR"),
            cell(&work.title, 60),
            cell(&work.submitter_work_number, 14),
            cell(&work.iswc.map(|i| i.bare()).unwrap_or_default(), 11),
            cell("", 12),
            cell("", 115)
        ));
        for (chain, p) in work.publishers.iter().enumerate() {
            let chain = chain + 1;
            lines.push(publisher_record(
                &prefix("SPU"),
                chain,
                &p.ip_number,
                &p.name,
                "E ",
                &p.ipi.to_string(),
                p.society,
                p.pr_share,
                p.mr_share,
            ));
            match &p.sub_publisher {
                None => lines.push(territory_record(&prefix("SPT"), &p.ip_number, p.pr_share, p.mr_share, 'I', 2136)),
                Some((ip, name, ipi, society)) => {
                    lines.push(territory_record(&prefix("SPT"), &p.ip_number, p.pr_share, p.mr_share, 'I', 2136));
                    lines.push(territory_record(&prefix("SPT"), &p.ip_number, 0, 0, 'E', 2127));
                    lines.push(publisher_record(
                        &prefix("SPU"),
                        chain,
                        ip,
                        name,
                        "SE",
                        &ipi.to_string(),
                        *society,
                        0,
                        0,
                    ));
                    lines.push(territory_record(&prefix("SPT"), ip, p.pr_share, p.mr_share, 'I', 2127));
                }
            }
        }
        for w in &work.writers {
            lines.push(format!(
                "{}{}{}{} {}000000000{}{:03}{:05}   00000   00000    {}{}",
                prefix("SWR"),
                cell(&w.ip_number, 9),
                cell(&w.last_name, 45),
                cell(&w.first_name, 30),
                cell(w.designation, 2),
                w.ipi,
                w.society,
                w.pr_share,
                cell("", 13),
                cell("", 13)
            ));
            lines.push(format!("{}{}{:05}0000000000I2136N001", prefix("SWT"), cell(&w.ip_number, 9), w.pr_share));
            if let Some(p) = work.publishers.first() {
                lines.push(format!(
                    "{}{}{}{}{}",
                    prefix("PWR"),
                    cell(&p.ip_number, 9),
                    cell(&p.name, 45),
                    cell("", 28),
                    cell(&w.ip_number, 9)
                ));
            }
        }
        if let Some(alternate) = &work.alternate_title {
            lines.push(format!("{}{}AT  ", prefix("ALT"), cell(alternate, 60)));
        }
        // The recordings' artists as the work's performing artists (CWR 2.1's REC has no artist field).
        let mut performers: Vec<&str> = Vec::new();
        for rec in &work.recordings {
            if !performers.contains(&rec.artist.as_str()) {
                performers.push(&rec.artist);
            }
        }
        for artist in performers {
            lines.push(format!(
                "{}{}{}{}{}",
                prefix("PER"),
                cell(artist, 45),
                cell("", 30),
                cell("", 11),
                cell("", 13)
            ));
        }
        for rec in &work.recordings {
            let (h, m, s) = (rec.duration_seconds / 3600, rec.duration_seconds / 60 % 60, rec.duration_seconds % 60);
            let (y, mo, d) = rec.release_date;
            lines.push(format!(
                "{}{y:04}{mo:02}{d:02}{}{h:02}{m:02}{s:02}{}{}{}{}{}{}{}",
                prefix("REC"),
                cell("", 60),
                cell("", 5),
                cell(&rec.artist, 60),
                cell(&rec.label, 60),
                cell("", 18),
                cell("", 13),
                rec.isrc,
                cell("", 5)
            ));
        }
        for line in &lines {
            write_latin1(&mut self.out, line)?;
        }
        self.transactions += 1;
        self.records += lines.len() as u64;
        Ok(())
    }

    /// Writes GRT and TRL with correct counts and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        let group_records = self.records + 1;
        write_latin1(&mut self.out, &format!("GRT00001{:08}{group_records:08}", self.transactions))?;
        write_latin1(&mut self.out, &format!("TRL00001{:08}{:08}", self.transactions, group_records + 2))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[allow(clippy::too_many_arguments)]
fn publisher_record(
    prefix: &str,
    chain: usize,
    ip: &str,
    name: &str,
    role: &str,
    ipi: &str,
    society: u16,
    pr: u32,
    mr: u32,
) -> String {
    format!(
        "{prefix}{chain:02}{}{} {role}000000000{ipi}{}{society:03}{pr:05}{society:03}{mr:05}{society:03}{mr:05} N {}{}",
        cell(ip, 9),
        cell(name, 45),
        cell("", 14),
        cell("", 13),
        cell("", 31)
    )
}

fn territory_record(prefix: &str, ip: &str, pr: u32, mr: u32, flag: char, tis: u16) -> String {
    format!("{prefix}{}      {pr:05}{mr:05}{mr:05}{flag}{tis:04}N001", cell(ip, 9))
}

/// CWR 2.1 files are Latin-1 with CRLF line ends; every character the generator uses is in Latin-1.
fn write_latin1<W: Write>(out: &mut W, line: &str) -> io::Result<()> {
    let bytes: Vec<u8> = line.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect();
    out.write_all(&bytes)?;
    out.write_all(b"\r\n")
}

/// Writes `works` as one CWR 2.1 file.
pub fn write_cwr21<W: Write>(
    out: W,
    works: impl IntoIterator<Item = GeneratedWork>,
    created_date: &str,
) -> io::Result<W> {
    let mut writer = Cwr21Writer::new(out, 199, "TANTIEM TESTKIT PUBLISHING", created_date, "120000")?;
    for work in works {
        writer.write_work(&work)?;
    }
    writer.finish()
}
