//! The service report: one JSON document, or a CSV file with one row per service line. Both are
//! documented in `docs/reports.md`.

use std::io::{BufRead, Read};

use serde::Deserialize;

use super::csv::read_csv;

use super::{Country, Decimal, ReadOutcome, ReportItem, ReportKind, ServiceLine, amount, count, required, territory};

/// The value of the JSON form's `format` member.
pub(super) const FORMAT_NAME: &str = "tantiem-service-report/1";
/// A service report's JSON is read whole; it has one line per service and territory, so it stays small.
const MAX_JSON_BYTES: u64 = 16 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonReport {
    format: String,
    report_id: String,
    #[serde(default)]
    licensee: Option<String>,
    period: String,
    currency: String,
    lines: Vec<JsonLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonLine {
    service: String,
    territory: Country,
    #[serde(default)]
    model_version: Option<String>,
    net_revenue: Decimal,
    subscribers: u64,
    generations: u64,
}

/// Reads the JSON form. Errors carry serde's line; lines are numbered by their position in `lines`.
pub fn read_service_json(input: impl BufRead, sink: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
    let mut outcome = ReadOutcome::default();
    let mut text = String::new();
    if let Err(e) = input.take(MAX_JSON_BYTES + 1).read_to_string(&mut text) {
        outcome.error(0, "", None, format!("the file could not be read as UTF-8 text: {e}"));
        return outcome;
    }
    if text.len() as u64 > MAX_JSON_BYTES {
        outcome.error(0, "", None, "a JSON service report may be at most 16 MiB: send the CSV form");
        return outcome;
    }
    outcome.lines = text.lines().count() as u64;
    let report: JsonReport = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            outcome.error(e.line() as u64, "", None, format!("{e}"));
            return outcome;
        }
    };
    if report.format != FORMAT_NAME {
        outcome.error(1, "", Some("format"), format!("format {:?} is not {FORMAT_NAME:?}", report.format));
    }
    let Some(header) = super::header(
        &mut outcome,
        1,
        ReportKind::Service,
        &report.report_id,
        report.licensee,
        &report.period,
        &report.currency,
    ) else {
        return outcome;
    };
    let currency = header.currency;
    if report.lines.is_empty() {
        outcome.error(1, "", Some("lines"), "the report has no lines: report zero figures explicitly");
    }
    sink(ReportItem::Header(header));
    for (i, l) in report.lines.into_iter().enumerate() {
        if l.service.trim().is_empty() {
            outcome.error(0, "", Some("service"), format!("lines[{i}]: service is missing"));
            continue;
        }
        sink(ReportItem::Service(ServiceLine {
            line: i as u64 + 1,
            service: l.service,
            territory: l.territory.0,
            model_version: l.model_version.filter(|m| !m.trim().is_empty()),
            net_revenue: l.net_revenue.in_currency(currency),
            subscribers: l.subscribers,
            generations: l.generations,
        }));
    }
    outcome
}

const CSV_COLUMNS: [&str; 9] = [
    "report_id",
    "period",
    "currency",
    "service",
    "territory",
    "model_version",
    "net_revenue",
    "subscribers",
    "generations",
];

/// Reads the CSV form: a header row naming the columns (any order), then one row per line. `report_id`,
/// `period` and `currency` repeat on every row and must agree.
pub fn read_service_csv(input: impl BufRead, sink: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
    read_csv(input, ReportKind::Service, &CSV_COLUMNS, &["model_version"], sink, &|row| {
        Ok(ReportItem::Service(ServiceLine {
            line: row.line,
            service: required(row.get(3), "service").map_err(|e| ("service", e))?,
            territory: territory(row.get(4)).map_err(|e| ("territory", e))?,
            model_version: Some(row.get(5).to_owned()).filter(|m| !m.is_empty()),
            net_revenue: amount(row.get(6), row.currency).map_err(|e| ("net_revenue", e))?,
            subscribers: count(row.get(7)).map_err(|e| ("subscribers", e))?,
            generations: count(row.get(8)).map_err(|e| ("generations", e))?,
        }))
    })
}

/// Splits one CSV row (RFC 4180 quoting: fields in double quotes may hold commas and doubled quotes).
pub(super) fn split_csv(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        format: fn(&[u8], &mut dyn FnMut(ReportItem)) -> ReadOutcome,
        text: &str,
    ) -> (Vec<ReportItem>, ReadOutcome) {
        let mut items = Vec::new();
        let outcome = format(text.as_bytes(), &mut |i| items.push(i));
        (items, outcome)
    }

    fn json(input: &[u8], sink: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
        read_service_json(input, sink)
    }

    fn csv(input: &[u8], sink: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
        read_service_csv(input, sink)
    }

    #[test]
    fn json_and_csv_forms_read_the_same_lines() {
        let (from_json, outcome) = read(
            json,
            r#"{"format": "tantiem-service-report/1", "report_id": "R1", "period": "2026-03", "currency": "EUR",
                "lines": [{"service": "app", "territory": "se", "model_version": "sf-1", "net_revenue": "10000.00", "subscribers": 7000, "generations": 1000000}]}"#,
        );
        assert!(outcome.is_ok(), "{:?}", outcome.diagnostics);
        let (from_csv, outcome) = read(
            csv,
            "report_id,period,currency,service,territory,model_version,net_revenue,subscribers,generations\nR1,2026-03,EUR,app,SE,sf-1,10000.00,7000,1000000\n",
        );
        assert!(outcome.is_ok(), "{:?}", outcome.diagnostics);
        assert_eq!(from_json.len(), 2);
        assert_eq!(from_json[0], from_csv[0]);
        let (ReportItem::Service(a), ReportItem::Service(b)) = (&from_json[1], &from_csv[1]) else { panic!() };
        assert_eq!((a.net_revenue.micros(), a.territory.as_str()), (10_000_000_000, "SE"));
        assert_eq!(ServiceLine { line: 2, ..a.clone() }, b.clone());
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let (_, outcome) = read(
            json,
            "{\"format\": \"tantiem-service-report/1\", \"report_id\": \"R1\", \"period\": \"2026-03\", \"currency\": \"EUR\",\n\"lines\": [\n{\"service\": \"app\", \"territory\": \"Sweden\", \"net_revenue\": \"1\", \"subscribers\": 1, \"generations\": 1}]}",
        );
        assert_eq!(outcome.diagnostics.len(), 1);
        assert_eq!(outcome.diagnostics[0].line, 3);
        assert!(outcome.diagnostics[0].message.contains("\"Sweden\" is not an ISO 3166"), "{}", outcome.diagnostics[0]);
        let (_, outcome) = read(
            csv,
            "report_id,period,currency,service,territory,net_revenue,subscribers,generations\nR1,2026-03,EUR,app,SE,12.5x,1,1\nR1,2026-03,EUR,app,NO,1,-4,1\nR2,2026-03,EUR,app,NO,1,1,1\n",
        );
        let found: Vec<String> = outcome.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "line 2: ER net_revenue: \"12.5x\" is not an amount: write a decimal like 1234.56",
                "line 3: ER subscribers: \"-4\" is not a whole number",
                "line 4: ER report_id: report_id, period and currency must be the same on every row",
            ]
        );
        let (_, outcome) = read(csv, "report_id,period\n");
        assert_eq!(outcome.errors, 6, "{:?}", outcome.diagnostics);
    }

    #[test]
    fn negative_revenue_is_refused() {
        let (_, outcome) = read(
            csv,
            "report_id,period,currency,service,territory,net_revenue,subscribers,generations\nR1,2026-03,EUR,app,SE,-5.00,1,1\n",
        );
        let found: Vec<String> = outcome.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["line 2: ER net_revenue: \"-5.00\" is negative: report refunds by correcting the period's report"]
        );
    }

    #[test]
    fn quoted_csv_cells_keep_their_commas() {
        assert_eq!(split_csv(r#"a,"b, c","say ""hi""",,"#), ["a", "b, c", "say \"hi\"", "", ""]);
    }
}
