//! From a CWR transaction to domain values: works (NWR, REV, WRK), ISWC notifications (ISW, ISA),
//! acknowledgements (ACK) and agreements (AGR). Field problems drop the field (FR); broken share chains and
//! unreadable transactions reject the transaction (TR).

use chrono::NaiveDate;
use domain::{
    AlternateTitle, Interest, IpiBaseNumber, IpiNameNumber, Isrc, Iswc, Origin, PartyKey, RecordingInfo, RightShares,
    RightSocieties, Role, SocietyCode, SocietyRules, Territories, TerritoryShare, TisCode, Work,
};
use money::Share;

use super::layout::Version;
use super::reader::Transaction;
use super::record::Record;
use crate::{Diagnostic, Level};

/// What a work transaction is read against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub version: Version,
    /// The submitter key of the file's sender (see [`super::Header::submitter`]).
    pub submitter: &'a str,
    pub rules: &'a SocietyRules,
    pub territories: &'a Territories,
    /// The day territories are resolved on (group memberships change over time).
    pub on: NaiveDate,
}

/// A work transaction read into a [`Work`], with everything found wrong on the way.
#[derive(Debug, Clone)]
pub struct WorkTransaction {
    pub kind: String,
    pub work: Work,
    pub diagnostics: Vec<Diagnostic>,
}

impl WorkTransaction {
    pub fn is_rejected(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level <= Level::Transaction)
    }

    /// Accepted, but with fields or records dropped.
    pub fn is_changed(&self) -> bool {
        self.diagnostics.iter().any(|d| matches!(d.level, Level::Record | Level::Field))
    }
}

const PUBLISHER_ROLES: &[&str] = &["E", "AM", "PA", "SE", "ES", "AQ"];
const WRITER_DESIGNATIONS: &[&str] = &["CA", "C", "A", "AR", "AD", "SR", "SA", "TR", "PA"];

struct Fields<'t> {
    record: &'t Record,
    diagnostics: &'t mut Vec<Diagnostic>,
}

impl Fields<'_> {
    fn text(&self, start: usize, len: usize) -> String {
        self.record.field(start, len).to_owned()
    }

    fn problem(&mut self, field: &'static str, level: Level, message: String) {
        let kind = self.record.record_type().to_owned();
        self.diagnostics.push(Diagnostic::new(self.record.line, &kind, Some(field), level, message));
    }

    /// A CWR `999v99` share; a bad value is dropped to 0%.
    fn share(&mut self, start: usize, field: &'static str) -> Share {
        match self.record.number(start, 5) {
            Ok(None) => Share::ZERO,
            Ok(Some(n)) => match u32::try_from(n).ok().and_then(Share::from_cwr_hundredths) {
                Some(s) => s,
                None => {
                    let f = self.record.field(start, 5).to_owned();
                    self.problem(field, Level::Field, format!("share {f} is above 100.00%: read as 0%"));
                    Share::ZERO
                }
            },
            Err(f) => {
                let f = f.to_owned();
                self.problem(field, Level::Field, format!("share {f:?} is not a number: read as 0%"));
                Share::ZERO
            }
        }
    }

    fn society(&mut self, start: usize, len: usize, field: &'static str) -> Option<SocietyCode> {
        let text = self.record.field(start, len).to_owned();
        if text.is_empty() {
            return None;
        }
        match SocietyCode::parse(&text) {
            Some(code) if code.info().is_some() => Some(code),
            Some(code) if code.number() == 0 || code.number() == 99 => None, // 000/099: no society
            _ => {
                self.problem(
                    field,
                    Level::Field,
                    format!("unknown society code {text:?}: dropped; use a CISAC society code (e.g. 079 for STIM)"),
                );
                None
            }
        }
    }

    /// CWR 2.x's three (society 3 characters, ownership share 5 characters) pairs for PR, MR and SR,
    /// eight characters apart, starting at `start` (SPU: 113, SWR: 127).
    fn affiliations_and_ownership(&mut self, start: usize) -> (RightSocieties, RightShares) {
        let societies = RightSocieties {
            performing: self.society(start, 3, "PR affiliation society #"),
            mechanical: self.society(start + 8, 3, "MR affiliation society #"),
            synchronisation: self.society(start + 16, 3, "SR affiliation society #"),
        };
        let ownership = RightShares {
            performing: self.share(start + 3, "PR ownership share"),
            mechanical: self.share(start + 11, "MR ownership share"),
            synchronisation: self.share(start + 19, "SR ownership share"),
        };
        (societies, ownership)
    }

    /// The text of an optional field: `None` when blank or, for CWR's numeric "unknown", all zeros.
    fn present(&self, start: usize, len: usize, zeros_mean_unknown: bool) -> Option<String> {
        let text = self.record.field(start, len);
        let absent = text.is_empty() || (zeros_mean_unknown && text.bytes().all(|b| b == b'0'));
        (!absent).then(|| text.to_owned())
    }

    /// An identifier field: parsed, or dropped at field level with the parser's reason.
    fn identifier<T>(
        &mut self,
        (start, len): (usize, usize),
        field: &'static str,
        what: &str,
        parse: fn(&str) -> Result<T, domain::IdentifierError>,
    ) -> Option<T> {
        let text = self.present(start, len, true)?;
        match parse(&text) {
            Ok(id) => Some(id),
            Err(e) => {
                self.problem(field, Level::Field, format!("{e}; the {what} was dropped"));
                None
            }
        }
    }

    fn ipi_name(&mut self, start: usize, field: &'static str) -> Option<IpiNameNumber> {
        self.identifier((start, 11), field, "IPI name number", IpiNameNumber::parse)
    }

    fn ipi_base(&mut self, start: usize, field: &'static str) -> Option<IpiBaseNumber> {
        self.identifier((start, 13), field, "IPI base number", IpiBaseNumber::parse)
    }

    fn date(&mut self, start: usize, field: &'static str) -> Option<NaiveDate> {
        let text = self.present(start, 8, true)?;
        let parsed = NaiveDate::parse_from_str(&text, "%Y%m%d").ok();
        if parsed.is_none() {
            self.problem(field, Level::Field, format!("{text:?} is not a date (YYYYMMDD): dropped"));
        }
        parsed
    }

    /// `HHMMSS` → seconds; zeros read as unknown.
    fn duration(&mut self, start: usize, field: &'static str) -> Option<u32> {
        let text = self.present(start, 6, true)?;
        let digits: Option<Vec<u32>> = text.chars().map(|c| c.to_digit(10)).collect();
        match digits {
            Some(d) if d.len() == 6 && d[2] < 6 && d[4] < 6 => {
                Some((d[0] * 10 + d[1]) * 3600 + (d[2] * 10 + d[3]) * 60 + d[4] * 10 + d[5])
            }
            _ => {
                self.problem(field, Level::Field, format!("{text:?} is not a duration (HHMMSS): dropped"));
                None
            }
        }
    }

    fn iswc(&mut self, start: usize, field: &'static str) -> Option<Iswc> {
        self.identifier((start, 11), field, "ISWC", Iswc::parse)
    }
}

/// Reads a work registration (NWR, REV, WRK, and the work part of ISW/EXC).
pub fn read_work(tx: &Transaction, ctx: &Context<'_>) -> WorkTransaction {
    let mut diagnostics = tx.diagnostics.clone();
    let header = tx.header();
    let mut h = Fields { record: header, diagnostics: &mut diagnostics };
    let title = h.text(20, 60);
    let submitter_work_number = h.text(82, 14);
    let language = Some(h.text(80, 2)).filter(|l| !l.is_empty());
    let iswc = h.iswc(96, "ISWC");
    let copyright_date = h.date(107, "copyright date");
    let duration_seconds = h.duration(130, "duration");
    let version_type = h.text(143, 3);
    if title.is_empty() {
        h.problem("work title", Level::Transaction, "the work has no title: rejected; send it with its title".into());
    }
    if submitter_work_number.is_empty() {
        h.problem(
            "submitter work #",
            Level::Transaction,
            "the work has no submitter work number: rejected; Tantiem matches later revisions by it".into(),
        );
    }
    let mut work = Work {
        title,
        alternate_titles: Vec::new(),
        language,
        iswc,
        submitter_work_number,
        duration_seconds,
        version_type,
        copyright_date,
        interests: Vec::new(),
        performers: Vec::new(),
        recordings: Vec::new(),
        origin: Origin::Unknown,
        valid_from: None,
        valid_until: None,
    };
    // A transaction is read as its own version (its group's may be 2.2 under a 2.1-shaped HDR).
    let version = tx.version;
    let v3 = version.is_v3();
    for (ordinal, record) in tx.details().iter().enumerate() {
        let mut f = Fields { record, diagnostics: &mut diagnostics };
        match record.record_type() {
            kind @ ("SPU" | "OPU") => {
                let interest = read_publisher(&mut f, kind == "SPU", v3, ctx, &work.submitter_work_number, ordinal);
                work.interests.push(interest);
            }
            "SPT" | "OPT" => attach_territory(&mut f, &mut work, true, v3, ctx),
            kind @ ("SWR" | "OWR") => {
                let interest = read_writer(&mut f, kind == "SWR", v3, ctx, &work.submitter_work_number, ordinal);
                work.interests.push(interest);
            }
            "SWT" | "OWT" => attach_territory(&mut f, &mut work, false, v3, ctx),
            "PWR" => attach_publisher_link(&mut f, &mut work, version),
            "ALT" => {
                let title = f.text(20, 60);
                if title.is_empty() {
                    f.problem("alternate title", Level::Record, "ALT without a title: ignored".into());
                } else {
                    work.alternate_titles.push(AlternateTitle { title, kind: f.text(80, 2) });
                }
            }
            "PER" => {
                let (last, first) = (f.text(20, 45), f.text(65, 30));
                let name = if first.is_empty() { last } else { format!("{first} {last}") };
                if name.is_empty() {
                    f.problem("performing artist last name", Level::Record, "PER without a name: ignored".into());
                } else {
                    work.performers.push(name);
                }
            }
            "REC" => {
                if let Some(recording) = read_recording(&mut f, version) {
                    work.recordings.push(recording);
                }
            }
            _ => {}
        }
    }
    for problem in work.share_problems(ctx.rules, ctx.territories, ctx.on) {
        let line = match &problem {
            domain::ShareProblem::PublisherCapExceeded { line, .. } => *line,
            domain::ShareProblem::CollectionTotal { .. } => header.line,
        };
        diagnostics.push(Diagnostic::new(
            line,
            &tx.kind,
            Some("shares"),
            Level::Transaction,
            format!(
                "broken share chain: {}; rejected, nothing of the work was stored; correct the shares and resend",
                problem.describe(ctx.territories)
            ),
        ));
    }
    WorkTransaction { kind: tx.kind.clone(), work, diagnostics }
}

fn party_key(
    ipi: Option<IpiNameNumber>,
    ip_number: &str,
    ctx: &Context<'_>,
    work_number: &str,
    ordinal: usize,
) -> PartyKey {
    match ipi {
        Some(ipi) => PartyKey::from_ipi(ipi),
        None if !ip_number.is_empty() => PartyKey::from_submitter(ctx.submitter, ip_number),
        // An unnamed "other" party: scoped to this work so it never merges with anyone else.
        None => PartyKey::new(format!("UNKNOWN:{}:{}:{}", ctx.submitter, work_number, ordinal + 1)),
    }
}

fn read_publisher(
    f: &mut Fields<'_>,
    controlled: bool,
    v3: bool,
    ctx: &Context<'_>,
    work_number: &str,
    ordinal: usize,
) -> Interest {
    let ip_number = f.text(22, 9);
    let chain = f.record.number(20, 2).ok().flatten().map(|n| n.min(99) as u8);
    let role_text = f.text(77, 2);
    let role = if PUBLISHER_ROLES.contains(&role_text.as_str()) {
        role_text
    } else {
        if !role_text.is_empty() || controlled {
            f.problem("publisher type", Level::Field, format!("unknown publisher type {role_text:?}: dropped"));
        }
        String::new()
    };
    let ipi_name = f.ipi_name(88, "IPI name #");
    let (ipi_base, ownership, societies) = if v3 {
        (f.ipi_base(99, "IPI base #"), RightShares::default(), RightSocieties::default())
    } else {
        let (societies, ownership) = f.affiliations_and_ownership(113);
        (f.ipi_base(140, "IPI base #"), ownership, societies)
    };
    Interest {
        party: party_key(ipi_name, &ip_number, ctx, work_number, ordinal),
        ip_number,
        name: f.text(31, 45),
        first_name: String::new(),
        ipi_name,
        ipi_base,
        role: Role::Publisher(role),
        controlled,
        chain,
        ownership,
        societies,
        collection: Vec::new(),
        publishers: Vec::new(),
        line: f.record.line,
    }
}

fn read_writer(
    f: &mut Fields<'_>,
    controlled: bool,
    v3: bool,
    ctx: &Context<'_>,
    work_number: &str,
    ordinal: usize,
) -> Interest {
    let ip_number = f.text(20, 9);
    let designation = f.text(105, 2);
    let role = if WRITER_DESIGNATIONS.contains(&designation.as_str()) || (designation.is_empty() && !controlled) {
        designation
    } else {
        f.problem(
            "writer designation code",
            Level::Field,
            format!("unknown writer designation {designation:?}: dropped"),
        );
        String::new()
    };
    let (ipi_name, ipi_base, ownership, societies) = if v3 {
        (
            f.ipi_name(107, "IPI name #"),
            f.ipi_base(118, "IPI base #"),
            RightShares::default(),
            RightSocieties::default(),
        )
    } else {
        let ipi_name = f.ipi_name(116, "IPI name #");
        let (societies, ownership) = f.affiliations_and_ownership(127);
        (ipi_name, f.ipi_base(155, "IPI base #"), ownership, societies)
    };
    Interest {
        party: party_key(ipi_name, &ip_number, ctx, work_number, ordinal),
        ip_number,
        name: f.text(29, 45),
        first_name: f.text(74, 30),
        ipi_name,
        ipi_base,
        role: Role::Writer(role),
        controlled,
        chain: None,
        ownership,
        societies,
        collection: Vec::new(),
        publishers: Vec::new(),
        line: f.record.line,
    }
}

/// SPT/OPT/SWT/OWT: a territory with collection shares, attached to the latest interest of the right side
/// with the same interested-party number (or simply the latest one, when the number is blank).
fn attach_territory(f: &mut Fields<'_>, work: &mut Work, publisher: bool, v3: bool, ctx: &Context<'_>) {
    let (ip_at, pr_at, flag_at) = match (v3, publisher) {
        (true, _) => (23, 32, 47),
        (false, true) => (20, 35, 50),
        (false, false) => (20, 29, 44),
    };
    let ip_number = f.text(ip_at, 9);
    let shares = RightShares {
        performing: f.share(pr_at, "PR collection share"),
        mechanical: f.share(pr_at + 5, "MR collection share"),
        synchronisation: f.share(pr_at + 10, "SR collection share"),
    };
    let included = match f.record.field(flag_at, 1) {
        "I" => true,
        "E" => false,
        other => {
            let other = other.to_owned();
            f.problem(
                "inclusion/exclusion indicator",
                Level::Record,
                format!("inclusion/exclusion indicator {other:?} is neither I nor E: territory record ignored"),
            );
            return;
        }
    };
    let tis_text = f.text(flag_at + 1, 4);
    let tis: Option<TisCode> = tis_text.parse().ok().filter(|t| ctx.territories.get(*t).is_some());
    let Some(tis) = tis else {
        f.problem(
            "TIS numeric code",
            Level::Record,
            format!("unknown TIS territory code {tis_text:?}: territory record ignored"),
        );
        return;
    };
    let target = work
        .interests
        .iter_mut()
        .rev()
        .find(|i| i.role.is_publisher() == publisher && (ip_number.is_empty() || i.ip_number == ip_number));
    let Some(interest) = target else {
        let side = if publisher { "publisher" } else { "writer" };
        f.problem(
            "interested party #",
            Level::Record,
            format!("territory record for {side} {ip_number:?}, who has no SPU/SWR/OPU/OWR before it: ignored"),
        );
        return;
    };
    if v3 {
        // CWR 3.x states affiliations per territory; keep the first ones seen as the party's affiliations.
        let societies = RightSocieties {
            performing: f.society(flag_at + 5, 4, "PR affiliation society"),
            mechanical: f.society(flag_at + 9, 4, "MR affiliation society"),
            synchronisation: f.society(flag_at + 13, 4, "SR affiliation society"),
        };
        if interest.societies == RightSocieties::default() {
            interest.societies = societies;
        }
    }
    interest.collection.push(TerritoryShare { included, tis, shares, line: f.record.line });
}

/// PWR: which publisher acts for which writer.
fn attach_publisher_link(f: &mut Fields<'_>, work: &mut Work, version: Version) {
    let (publisher, writer) =
        if version.is_v3() { (f.text(22, 9), f.text(31, 9)) } else { (f.text(20, 9), f.text(102, 9)) };
    if writer.is_empty() {
        return; // CWR 3.x uses writer-less PWR records for unknown writers' publishers
    }
    match work.interests.iter_mut().rev().find(|i| !i.role.is_publisher() && i.ip_number == writer) {
        Some(interest) => interest.publishers.push(publisher),
        None => f.problem(
            "writer IP #",
            Level::Record,
            format!("PWR names writer {writer:?}, who is not in this work: ignored"),
        ),
    }
}

fn read_recording(f: &mut Fields<'_>, version: Version) -> Option<RecordingInfo> {
    let isrc_at = match version {
        Version::V30 | Version::V31 => 34,
        _ => 250,
    };
    let isrc = f.identifier((isrc_at, 12), "ISRC", "ISRC", Isrc::parse);
    let recording = match version {
        Version::V30 | Version::V31 => RecordingInfo {
            isrc,
            release_date: f.date(20, "first release date"),
            duration_seconds: f.duration(28, "first release duration"),
            title: f.text(46, 60),
            version_title: f.text(106, 60),
            artist: f.text(166, 60),
            label: f.text(253, 60),
            album_title: String::new(),
        },
        _ => {
            let v22 = version == Version::V22;
            RecordingInfo {
                isrc,
                release_date: f.date(20, "first release date"),
                duration_seconds: f.duration(88, "first release duration"),
                album_title: f.text(99, 60),
                label: if v22 && !f.text(447, 60).is_empty() { f.text(447, 60) } else { f.text(159, 60) },
                title: if v22 { f.text(267, 60) } else { String::new() },
                version_title: if v22 { f.text(327, 60) } else { String::new() },
                artist: if v22 { f.text(387, 60) } else { String::new() },
            }
        }
    };
    Some(recording)
}

/// An ISWC notification (ISW in 2.x, ISA in 3.x): which work got which ISWC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IswcNotice {
    pub line: u64,
    pub title: String,
    pub submitter_work_number: String,
    pub iswc: Option<Iswc>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn read_iswc_notice(tx: &Transaction) -> IswcNotice {
    let mut diagnostics = tx.diagnostics.clone();
    let header = tx.header();
    let mut f = Fields { record: header, diagnostics: &mut diagnostics };
    let iswc = f.iswc(96, "ISWC");
    IswcNotice { line: header.line, title: f.text(20, 60), submitter_work_number: f.text(82, 14), iswc, diagnostics }
}

/// An acknowledgement another society sent: read and reported, never acted on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AckNotice {
    pub line: u64,
    pub original_group_id: String,
    pub original_sequence: String,
    pub original_kind: String,
    pub title: String,
    pub submitter_work_number: String,
    /// The acknowledging society's own code for the work.
    pub society_work_code: String,
    pub status: String,
    pub messages: Vec<String>,
}

pub fn read_ack(tx: &Transaction) -> AckNotice {
    let h = tx.header();
    AckNotice {
        line: h.line,
        original_group_id: h.field(34, 5).to_owned(),
        original_sequence: h.field(39, 8).to_owned(),
        original_kind: h.field(47, 3).to_owned(),
        title: h.field(50, 60).to_owned(),
        submitter_work_number: h.field(110, 20).to_owned(),
        society_work_code: h.field(130, 20).to_owned(),
        status: h.field(158, 2).to_owned(),
        messages: tx
            .details()
            .iter()
            .filter(|r| r.record_type() == "MSG")
            .map(|r| format!("{} {}: {}", r.field(20, 1), r.field(29, 3), r.field(36, 150)))
            .collect(),
    }
}

/// A party to an agreement (IPA record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementParty {
    /// AS assignor, AC acquirer.
    pub role: String,
    pub ipi_name: Option<IpiNameNumber>,
    pub name: String,
    pub pr_society: Option<SocietyCode>,
    pub pr_share: Share,
}

/// CWR's agreement types: original or subpublishing, general or specific.
const AGREEMENT_TYPES: &[&str] = &["OG", "OS", "PG", "PS"];

/// An agreement between an assignor and acquirers (AGR with TER and IPA records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementNotice {
    pub line: u64,
    pub submitter_agreement_number: String,
    pub society_agreement_number: String,
    pub agreement_type: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub territories: Vec<(bool, TisCode)>,
    /// (role AS/AC, IPI name number, name, PR society, PR share)
    pub parties: Vec<AgreementParty>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn read_agreement(tx: &Transaction) -> AgreementNotice {
    let mut diagnostics = tx.diagnostics.clone();
    let header = tx.header();
    let mut f = Fields { record: header, diagnostics: &mut diagnostics };
    let mut notice = AgreementNotice {
        line: header.line,
        submitter_agreement_number: f.text(20, 14),
        society_agreement_number: f.text(109, 14),
        agreement_type: f.text(48, 3),
        start: f.date(51, "agreement start date"),
        end: f.date(59, "agreement end date"),
        territories: Vec::new(),
        parties: Vec::new(),
        diagnostics: Vec::new(),
    };
    if let Some(message) = crate::cwr::layout::coded("agreement type", &notice.agreement_type, AGREEMENT_TYPES) {
        f.problem("Agreement Type", Level::Field, message);
    }
    for record in tx.details() {
        let mut f = Fields { record, diagnostics: &mut diagnostics };
        match record.record_type() {
            "TER" => match f.text(21, 4).parse::<TisCode>() {
                Ok(tis) => notice.territories.push((f.record.field(20, 1) != "E", tis)),
                Err(_) => f.problem("TIS numeric code", Level::Record, "TER without a territory code: ignored".into()),
            },
            "IPA" => {
                let party = AgreementParty {
                    role: f.text(20, 2),
                    ipi_name: f.ipi_name(22, "IPI name #"),
                    name: f.text(55, 45),
                    pr_society: f.society(130, 3, "PR affiliation society"),
                    pr_share: f.share(133, "PR share"),
                };
                notice.parties.push(party);
            }
            _ => {}
        }
    }
    notice.diagnostics = diagnostics;
    notice
}
