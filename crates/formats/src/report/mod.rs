//! Usage reports from licensees: the *service report* (revenue and users per service, territory and
//! period) and the *output report* (each AI output with its exploitation and attribution), in Tantiem's
//! documented JSON and CSV forms (`docs/reports.md`), plus output exploitation as DDEX DSR flat files.
//!
//! Readers stream: they hand each line to a sink as it is read, so a report of ten million lines needs
//! memory for one line. Every problem is a [`Diagnostic`] with its line; a report with any error is
//! rejected whole by the engine, so the readers go on after an error to report as many as they can (up to
//! [`MAX_DIAGNOSTICS`]).

mod csv;
mod dsr;
mod output;
mod service;

use std::io::BufRead;

use chrono::NaiveDate;
use domain::Period;
use money::{Amount, Currency, Share};
use serde::{Deserialize, Serialize};

pub use dsr::read_dsr;
pub use output::{read_output_csv, read_output_jsonl};
pub use service::{read_service_csv, read_service_json};

use crate::reading::Lines;
pub use crate::reading::{MAX_DIAGNOSTICS, MAX_LINE_BYTES, ReadOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    Service,
    Output,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Service => "service",
            ReportKind::Output => "output",
        }
    }
}

/// The encodings a report can arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportFormat {
    ServiceJson,
    ServiceCsv,
    OutputJsonLines,
    OutputCsv,
    Dsr,
}

impl ReportFormat {
    pub fn kind(self) -> ReportKind {
        match self {
            ReportFormat::ServiceJson | ReportFormat::ServiceCsv => ReportKind::Service,
            _ => ReportKind::Output,
        }
    }

    /// Tells the format from a file's first bytes: a DSR starts with `HEAD` or a `#` header line and is
    /// tab-separated; Tantiem's JSON forms name themselves in a `format` member; a CSV is told by its header.
    pub fn detect(head: &[u8]) -> Option<ReportFormat> {
        let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
        let text = text.trim_start_matches('\u{feff}').trim_start();
        let first = text.lines().next().unwrap_or("");
        if first.starts_with("HEAD\t") || (first.starts_with('#') && first.contains('\t')) {
            return Some(ReportFormat::Dsr);
        }
        if first.starts_with('{') {
            if first.contains(service::FORMAT_NAME) || (text.contains(service::FORMAT_NAME) && !first.ends_with('}')) {
                return Some(ReportFormat::ServiceJson);
            }
            if first.contains(output::FORMAT_NAME) {
                return Some(ReportFormat::OutputJsonLines);
            }
            return None;
        }
        let columns: Vec<&str> = first.split(',').map(str::trim).collect();
        if columns.contains(&"subscribers") {
            Some(ReportFormat::ServiceCsv)
        } else if columns.contains(&"output_id") {
            Some(ReportFormat::OutputCsv)
        } else {
            None
        }
    }
}

/// What a report says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportHeader {
    pub kind: ReportKind,
    /// The licensee's own id for the report: the same id again is a re-submission or a correction.
    pub report_id: String,
    /// The licensee's id when the file names it (it must then match the submitter).
    pub licensee: Option<String>,
    pub period: Period,
    pub currency: Currency,
}

/// One line of a service report: a service's figures in one territory (and optionally for one model
/// version) over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLine {
    pub line: u64,
    pub service: String,
    pub territory: String,
    pub model_version: Option<String>,
    pub net_revenue: Amount,
    pub subscribers: u64,
    pub generations: u64,
}

/// How an output was used in one territory over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploitation {
    pub use_type: String,
    pub territory: String,
    pub usages: u64,
    pub revenue: Amount,
}

/// One influence on an output, as the attribution provider named it (resolved against the repertoire later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Influence {
    /// `isrc`, `iswc` or another scheme the provider uses.
    pub scheme: String,
    pub id: String,
    pub weight: Share,
}

/// Who attributed an output to which repertoire, and how sure they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub provider: String,
    pub provider_version: String,
    pub confidence: Share,
    pub influences: Vec<Influence>,
}

/// One AI output and what happened to it in the period. An output without a service or model version
/// (a DSR line) is linked to a known output by its ISRC or proprietary id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputLine {
    pub line: u64,
    pub output_id: String,
    pub service: Option<String>,
    pub model_version: Option<String>,
    pub created_on: Option<NaiveDate>,
    pub isrc: Option<String>,
    pub exploitation: Vec<Exploitation>,
    pub attribution: Option<Attribution>,
}

/// What a reader hands to its sink, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportItem {
    Header(ReportHeader),
    Service(ServiceLine),
    Output(OutputLine),
}

/// The report header from its fields, each error reported at `line`; `None` when any is wrong.
fn header(
    outcome: &mut ReadOutcome,
    line: u64,
    kind: ReportKind,
    report_id: &str,
    licensee: Option<String>,
    period_text: &str,
    currency_text: &str,
) -> Option<ReportHeader> {
    let id = required(report_id, "report_id").map_err(|e| outcome.error(line, "", Some("report_id"), e)).ok();
    let p = period(period_text).map_err(|e| outcome.error(line, "", Some("period"), e)).ok();
    let c = currency(currency_text).map_err(|e| outcome.error(line, "", Some("currency"), e)).ok();
    Some(ReportHeader {
        kind,
        report_id: id?,
        licensee: licensee.filter(|l| !l.trim().is_empty()),
        period: p?,
        currency: c?,
    })
}

/// Reads any report format into `sink`.
pub fn read_report(format: ReportFormat, input: impl BufRead, sink: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
    match format {
        ReportFormat::ServiceJson => read_service_json(input, sink),
        ReportFormat::ServiceCsv => read_service_csv(input, sink),
        ReportFormat::OutputJsonLines => read_output_jsonl(input, sink),
        ReportFormat::OutputCsv => read_output_csv(input, sink),
        ReportFormat::Dsr => read_dsr(input, sink),
    }
}

/// A decimal amount as written in a report (a string such as `"1234.56"`, at most six decimals), before the
/// report's currency is applied. Reading it as a string keeps it exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal(Amount);

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        // The currency is a placeholder: the report's own currency replaces it once the header is known.
        amount(&text, Currency::EUR).map(Decimal).map_err(serde::de::Error::custom)
    }
}

impl Decimal {
    fn in_currency(self, currency: Currency) -> Amount {
        Amount::from_micros(self.0.micros(), currency)
    }
}

/// A fraction of one written as a string (`"0.25"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fraction(Share);

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        fraction(&text).map(Fraction).map_err(serde::de::Error::custom)
    }
}

fn fraction(text: &str) -> Result<Share, String> {
    Share::parse_fraction(text.trim())
        .map_err(|_| format!("{text:?} is not a fraction between 0 and 1 (at most 8 decimals)"))
}

/// An ISO 3166 alpha-2 code, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Country(String);

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        territory(&String::deserialize(d)?).map(Country).map_err(serde::de::Error::custom)
    }
}

fn currency(text: &str) -> Result<Currency, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a currency Tantiem invoices in (EUR, SEK, NOK, DKK, ISK, USD, GBP, CHF)"))
}

fn period(text: &str) -> Result<Period, String> {
    text.trim().parse().map_err(|e: domain::period::PeriodError| e.to_string())
}

/// Parses an amount written as a plain decimal in the report's currency.
/// A revenue figure: a decimal, not negative (a refund is reported as a correction of the period).
fn amount(text: &str, currency: Currency) -> Result<Amount, String> {
    let parsed = signed_amount(text, currency)?;
    if parsed.is_negative() {
        return Err(format!("{text:?} is negative: report refunds by correcting the period's report"));
    }
    Ok(parsed)
}

/// An amount that may be negative (DSR sales lines carry returns as negative figures).
fn signed_amount(text: &str, currency: Currency) -> Result<Amount, String> {
    Amount::parse(text, currency).map_err(|_| format!("{text:?} is not an amount: write a decimal like 1234.56"))
}

fn count(text: &str) -> Result<u64, String> {
    text.trim().parse().map_err(|_| format!("{text:?} is not a whole number"))
}

fn territory(text: &str) -> Result<String, String> {
    let t = text.trim().to_ascii_uppercase();
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(t)
    } else {
        Err(format!("{text:?} is not an ISO 3166 alpha-2 country code such as SE or NO"))
    }
}

fn required(text: &str, what: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() { Err(format!("{what} is missing")) } else { Ok(t.to_owned()) }
}

/// Checks attribution weights: each a fraction, together 1 (within 10⁻⁶, for providers that round).
fn check_weights(influences: &[Influence]) -> Result<(), String> {
    if influences.is_empty() {
        return Err("an attribution needs at least one influence".into());
    }
    let sum: u64 = influences.iter().map(|i| u64::from(i.weight.scaled())).sum();
    if sum.abs_diff(u64::from(Share::ONE.scaled())) > 100 {
        return Err(format!("influence weights sum to {}.{:08}, not 1", sum / 100_000_000, sum % 100_000_000));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        assert_eq!(ReportFormat::detect(b"HEAD\tdsrf/30\t"), Some(ReportFormat::Dsr));
        assert_eq!(ReportFormat::detect(b"#HEAD\tMessageVersion\n"), Some(ReportFormat::Dsr));
        assert_eq!(
            ReportFormat::detect(b"{\"format\": \"tantiem-service-report/1\", \"report_id\": \"x\"}"),
            Some(ReportFormat::ServiceJson)
        );
        assert_eq!(
            ReportFormat::detect(b"{\n  \"format\": \"tantiem-service-report/1\",\n"),
            Some(ReportFormat::ServiceJson)
        );
        assert_eq!(
            ReportFormat::detect(b"{\"format\":\"tantiem-output-report/1\",\"report_id\":\"x\"}\n{}"),
            Some(ReportFormat::OutputJsonLines)
        );
        assert_eq!(
            ReportFormat::detect(
                b"report_id,period,currency,service,territory,model_version,net_revenue,subscribers,generations\n"
            ),
            Some(ReportFormat::ServiceCsv)
        );
        assert_eq!(
            ReportFormat::detect(b"report_id,period,currency,output_id,service\n"),
            Some(ReportFormat::OutputCsv)
        );
        assert_eq!(ReportFormat::detect(b"<xml/>"), None);
    }
}
