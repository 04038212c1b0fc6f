//! DDEX DSR flat files (Digital Sales Report, `dsrf`) as output exploitation: each block's resource (ISRC
//! and the service's own resource id) with its sales lines becomes an [`OutputLine`], linked later to a
//! known AI output by its ISRC or proprietary id. Columns are found by the `#` header lines real files
//! carry, falling back to the positions of the DSR profiles when a file has none.
//!
//! Read: HEAD (message id, usage period), SY02 summaries (use type, territory, currency), AS01/AS02
//! resources, SU02/SU03 sales lines, FOOT (line, summary and block counts, checked). Other record types
//! (RE01, MW01, RU01, LI01, …) carry nothing rating needs and are passed over.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::NaiveDate;
use domain::Period;
use money::Currency;

use super::{
    Exploitation, Lines, OutputLine, ReadOutcome, ReportHeader, ReportItem, ReportKind, count, currency, signed_amount,
};

/// Column positions when a file carries no `#` header line for a record type (DSR profile defaults).
fn default_columns(record: &str) -> Option<&'static [&'static str]> {
    Some(match record {
        "HEAD" => &[
            "MessageVersion",
            "Profile",
            "ProfileVersion",
            "MessageId",
            "MessageCreatedDateTime",
            "FileNumber",
            "NumberofFiles",
            "UsageStartDate",
            "UsageEndDate",
            "SenderPartyId",
            "SenderName",
            "ServiceDescription",
        ],
        "SY02" => &[
            "SummaryRecordId",
            "DistributionChannel",
            "DistributionChannelDPID",
            "CommercialModel",
            "UseType",
            "Territory",
            "ServiceDescription",
            "Usages",
            "Users",
            "Currency",
            "NetRevenue",
        ],
        "AS01" | "AS02" => &["BlockId", "ResourceReference", "DspResourceId", "ISRC", "Title"],
        "SU02" | "SU03" => {
            &["BlockId", "SalesTransactionId", "SummaryRecordId", "DspReleaseId", "Usages", "NetRevenue"]
        }
        "FOOT" => &[
            "NumberOfLinesInFile",
            "NumberOfLinesInReport",
            "NumberOfSummaryRecords",
            "NumberOfBlocksInFile",
            "NumberOfBlocksInReport",
        ],
        _ => return None,
    })
}

/// A record type without its version suffix: `SY02.01` → `SY02`.
fn base(record: &str) -> &str {
    record.split('.').next().unwrap_or(record)
}

struct Summary {
    use_type: String,
    territory: String,
}

#[derive(Default)]
struct State {
    columns: HashMap<String, Vec<String>>,
    message_id: Option<String>,
    period: Option<Period>,
    currency: Option<Currency>,
    summaries: HashMap<String, Summary>,
    /// `None` until the first block; then whether the header could be sent.
    header_sent: Option<bool>,
    block: Option<OutputLine>,
    summary_records: u64,
    blocks: u64,
    foot: Option<(u64, Vec<(String, u64)>)>,
}

impl State {
    fn field<'a>(&self, record: &str, cells: &'a [&'a str], name: &str) -> &'a str {
        let position = match self.columns.get(base(record)) {
            Some(names) => names.iter().position(|n| n.eq_ignore_ascii_case(name)),
            None => {
                default_columns(base(record)).and_then(|names| names.iter().position(|n| n.eq_ignore_ascii_case(name)))
            }
        };
        position.and_then(|p| cells.get(p + 1)).map_or("", |c| c.trim())
    }
}

/// Reads a DSR flat file (one file of a report; `1of1`).
pub fn read_dsr(input: impl BufRead, sink: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
    let mut outcome = ReadOutcome::default();
    let mut lines = Lines::new(input);
    let mut state = State::default();
    while let Some(text) = lines.next_line(&mut outcome) {
        let n = lines.number;
        if text.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = text.split('\t').collect();
        let record = cells[0];
        if let Some(described) = record.strip_prefix('#') {
            state.columns.insert(base(described).to_owned(), cells[1..].iter().map(|c| c.trim().to_owned()).collect());
            continue;
        }
        if state.foot.is_some() {
            outcome.error(n, record, None, "a record after FOOT: FOOT must be the last line");
            continue;
        }
        match base(record) {
            "HEAD" => head(&mut state, &mut outcome, n, record, &cells),
            "SY02" => summary(&mut state, &mut outcome, n, record, &cells),
            "AS01" | "AS02" => {
                send_header(&mut state, &mut outcome, n, record, sink);
                flush(&mut state, sink);
                state.blocks += 1;
                state.block = Some(OutputLine {
                    line: n,
                    output_id: state.field(record, &cells, "DspResourceId").to_owned(),
                    service: None,
                    model_version: None,
                    created_on: None,
                    isrc: Some(state.field(record, &cells, "ISRC").to_owned()).filter(|i| !i.is_empty()),
                    exploitation: Vec::new(),
                    attribution: None,
                });
                if state.block.as_ref().is_some_and(|b| b.output_id.is_empty() && b.isrc.is_none()) {
                    outcome.error(
                        n,
                        record,
                        Some("DspResourceId"),
                        "the resource has neither an ISRC nor a DspResourceId: it cannot be linked to an output",
                    );
                }
            }
            "SU02" | "SU03" => sale(&mut state, &mut outcome, n, record, &cells),
            "FOOT" => {
                let names = ["NumberOfLinesInFile", "NumberOfSummaryRecords", "NumberOfBlocksInFile"];
                let mut counts = Vec::new();
                for name in names {
                    match count(state.field(record, &cells, name)) {
                        Ok(c) => counts.push((name.to_owned(), c)),
                        Err(e) => outcome.error(
                            n,
                            record,
                            None,
                            format!("{name}: {e}: FOOT's counts are how a file shows it is whole"),
                        ),
                    }
                }
                state.foot = Some((n, counts));
            }
            "" => outcome.error(n, "", None, "a line without a record type"),
            _ if default_columns(base(record)).is_none() && !is_known_unused(base(record)) => {
                outcome.warning(
                    n,
                    record,
                    None,
                    format!("record type {record:?} is not a DSR record Tantiem knows; passed over"),
                );
            }
            _ => {}
        }
    }
    flush(&mut state, sink);
    outcome.lines = lines.number;
    check_foot(&state, &mut outcome, lines.number);
    if state.message_id.is_none() {
        outcome.error(1, "HEAD", None, "no HEAD record: this is not a DSR file, or its start is missing");
    }
    outcome
}

fn is_known_unused(record: &str) -> bool {
    matches!(
        record,
        "RE01" | "RE02" | "MW01" | "RU01" | "RU02" | "LI01" | "SY01" | "SY03" | "SY04" | "SY05" | "SR01" | "SR02"
    )
}

fn head(state: &mut State, outcome: &mut ReadOutcome, n: u64, record: &str, cells: &[&str]) {
    let id = state.field(record, cells, "MessageId");
    if id.is_empty() {
        outcome.error(n, record, Some("MessageId"), "MessageId is missing: it identifies the report");
    }
    state.message_id = Some(id.to_owned());
    let date = |name: &str| NaiveDate::parse_from_str(state.field(record, cells, name), "%Y-%m-%d").ok();
    match (date("UsageStartDate"), date("UsageEndDate")) {
        (Some(start), Some(end)) => match Period::spanning(start, end) {
            Some(p) => state.period = Some(p),
            None => outcome.error(
                n,
                record,
                Some("UsageStartDate"),
                format!("usage period {start} to {end} is not a calendar month or quarter"),
            ),
        },
        _ => outcome.error(
            n,
            record,
            Some("UsageStartDate"),
            "UsageStartDate and UsageEndDate must be dates like 2015-10-01",
        ),
    }
}

fn summary(state: &mut State, outcome: &mut ReadOutcome, n: u64, record: &str, cells: &[&str]) {
    state.summary_records += 1;
    let id = state.field(record, cells, "SummaryRecordId").to_owned();
    match currency(state.field(record, cells, "Currency")) {
        Ok(c) if state.currency.is_none_or(|known| known == c) => state.currency = Some(c),
        Ok(c) => outcome.error(
            n,
            record,
            Some("Currency"),
            format!(
                "currency {c} differs from the file's {}: send one file per currency",
                state.currency.map_or("", |k| k.code())
            ),
        ),
        Err(e) => outcome.error(n, record, Some("Currency"), e),
    }
    let territory = state.field(record, cells, "Territory").to_ascii_uppercase();
    let use_type = state.field(record, cells, "UseType").to_ascii_lowercase();
    state.summaries.entry(id).or_insert(Summary { use_type, territory });
}

fn sale(state: &mut State, outcome: &mut ReadOutcome, n: u64, record: &str, cells: &[&str]) {
    let Some(currency) = state.currency else {
        outcome.error(n, record, None, "a sales line before any SY02 summary record: the currency is unknown");
        return;
    };
    let summary_id = state.field(record, cells, "SummaryRecordId");
    let Some(summary) = state.summaries.get(summary_id) else {
        outcome.error(n, record, Some("SummaryRecordId"), format!("summary record {summary_id:?} is not in the file"));
        return;
    };
    let usages = count(state.field(record, cells, "Usages"));
    let revenue = signed_amount(state.field(record, cells, "NetRevenue"), currency);
    let exploitation = match (usages, revenue) {
        (Ok(usages), Ok(revenue)) => {
            Exploitation { use_type: summary.use_type.clone(), territory: summary.territory.clone(), usages, revenue }
        }
        (Err(e), _) => return outcome.error(n, record, Some("Usages"), e),
        (_, Err(e)) => return outcome.error(n, record, Some("NetRevenue"), e),
    };
    match state.block.as_mut() {
        Some(block) => block.exploitation.push(exploitation),
        None => outcome.error(n, record, None, "a sales line outside a block: it follows no AS01/AS02 resource"),
    }
}

fn send_header(state: &mut State, outcome: &mut ReadOutcome, n: u64, record: &str, sink: &mut dyn FnMut(ReportItem)) {
    if state.header_sent.is_some() {
        return;
    }
    let sent = match (&state.message_id, state.period, state.currency) {
        (Some(id), Some(period), Some(currency)) => {
            sink(ReportItem::Header(ReportHeader {
                kind: ReportKind::Output,
                report_id: id.clone(),
                licensee: None,
                period,
                currency,
            }));
            true
        }
        _ => {
            outcome.error(n, record, None, "the first block comes before a valid HEAD and SY02 summary");
            false
        }
    };
    state.header_sent = Some(sent);
}

fn flush(state: &mut State, sink: &mut dyn FnMut(ReportItem)) {
    if let Some(block) = state.block.take()
        && state.header_sent == Some(true)
    {
        sink(ReportItem::Output(block));
    }
}

fn check_foot(state: &State, outcome: &mut ReadOutcome, lines: u64) {
    let Some((n, counts)) = &state.foot else {
        outcome.error(lines, "FOOT", None, "no FOOT record: the file is truncated; send it whole");
        return;
    };
    for (name, declared) in counts {
        let found = match name.as_str() {
            "NumberOfLinesInFile" => lines,
            "NumberOfSummaryRecords" => state.summary_records,
            _ => state.blocks,
        };
        if *declared != found {
            outcome.error(
                *n,
                "FOOT",
                None,
                format!("{name} says {declared} but the file has {found}: lines are missing or extra"),
            );
        }
    }
}
