//! The output report: JSON Lines (a header line, then one AI output per line) or CSV (one row per output ×
//! use type × territory, attribution in four optional columns). Both are documented in `docs/reports.md`.

use std::io::BufRead;

use chrono::NaiveDate;
use serde::Deserialize;

use super::csv::{FieldError, Row, read_csv};
use super::{
    Attribution, Country, Decimal, Exploitation, Fraction, Influence, Lines, OutputLine, ReadOutcome, ReportItem,
    ReportKind, amount, check_weights, count, fraction, required, territory,
};

/// The value of the header line's `format` member.
pub(super) const FORMAT_NAME: &str = "tantiem-output-report/1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonHeader {
    format: String,
    report_id: String,
    #[serde(default)]
    licensee: Option<String>,
    period: String,
    currency: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonOutput {
    output_id: String,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    created_on: Option<NaiveDate>,
    #[serde(default)]
    isrc: Option<String>,
    #[serde(default)]
    exploitation: Vec<JsonExploitation>,
    #[serde(default)]
    attribution: Option<JsonAttribution>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonExploitation {
    use_type: String,
    territory: Country,
    usages: u64,
    revenue: Decimal,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonAttribution {
    provider: String,
    provider_version: String,
    confidence: Fraction,
    influences: Vec<JsonInfluence>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonInfluence {
    scheme: String,
    id: String,
    weight: Fraction,
}

/// Reads the JSON Lines form, one output at a time.
pub fn read_output_jsonl(input: impl BufRead, sink: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
    let mut outcome = ReadOutcome::default();
    let mut lines = Lines::new(input);
    let Some(first) = lines.next_line(&mut outcome) else {
        outcome.error(1, "", None, "the file is empty");
        return outcome;
    };
    let head: JsonHeader = match serde_json::from_str(&first) {
        Ok(h) => h,
        Err(e) => {
            outcome.error(1, "", None, format!("the first line must be the report header: {e}"));
            return outcome;
        }
    };
    if head.format != FORMAT_NAME {
        outcome.error(1, "", Some("format"), format!("format {:?} is not {FORMAT_NAME:?}", head.format));
    }
    let Some(header) = super::header(
        &mut outcome,
        1,
        ReportKind::Output,
        &head.report_id,
        head.licensee,
        &head.period,
        &head.currency,
    ) else {
        return outcome;
    };
    let currency = header.currency;
    sink(ReportItem::Header(header));
    while let Some(text) = lines.next_line(&mut outcome) {
        let n = lines.number;
        if text.trim().is_empty() {
            continue;
        }
        let parsed: JsonOutput = match serde_json::from_str(&text) {
            Ok(o) => o,
            Err(e) => {
                outcome.error(n, "", None, format!("column {}: {e}", e.column()));
                continue;
            }
        };
        let attribution = parsed.attribution.map(|a| Attribution {
            provider: a.provider,
            provider_version: a.provider_version,
            confidence: a.confidence.0,
            influences: a
                .influences
                .into_iter()
                .map(|i| Influence { scheme: i.scheme.to_ascii_lowercase(), id: i.id, weight: i.weight.0 })
                .collect(),
        });
        let line = OutputLine {
            line: n,
            output_id: parsed.output_id,
            service: parsed.service,
            model_version: parsed.model_version,
            created_on: parsed.created_on,
            isrc: parsed.isrc.filter(|i| !i.trim().is_empty()),
            exploitation: parsed
                .exploitation
                .into_iter()
                .map(|e| Exploitation {
                    use_type: e.use_type.trim().to_ascii_lowercase(),
                    territory: e.territory.0,
                    usages: e.usages,
                    revenue: e.revenue.in_currency(currency),
                })
                .collect(),
            attribution,
        };
        if let Err((field, e)) = check_output(&line) {
            outcome.error(n, "", Some(field), e);
            continue;
        }
        sink(ReportItem::Output(line));
    }
    outcome.lines = lines.number;
    outcome
}

/// What every output must hold, whatever form it came in.
fn check_output(line: &OutputLine) -> Result<(), (&'static str, String)> {
    if line.output_id.trim().is_empty() {
        return Err(("output_id", "output_id is missing".into()));
    }
    if line.service.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(("service", "service is missing: name the service that generated the output".into()));
    }
    if line.model_version.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(("model_version", "model_version is missing: name the model version that generated it".into()));
    }
    if let Some(e) = line.exploitation.iter().find(|e| e.use_type.is_empty()) {
        return Err(("use_type", format!("an exploitation in {} has no use_type", e.territory)));
    }
    if let Some(a) = &line.attribution {
        check_weights(&a.influences).map_err(|e| ("influences", e))?;
        if let Some(i) = a.influences.iter().find(|i| i.id.trim().is_empty() || i.scheme.trim().is_empty()) {
            return Err(("influences", format!("an influence needs a scheme and an id (weight {})", i.weight)));
        }
    }
    Ok(())
}

const CSV_COLUMNS: [&str; 16] = [
    "report_id",
    "period",
    "currency",
    "output_id",
    "service",
    "model_version",
    "created_on",
    "isrc",
    "use_type",
    "territory",
    "usages",
    "revenue",
    "provider",
    "provider_version",
    "confidence",
    "influences",
];
/// Columns a file may leave out.
const OPTIONAL: [&str; 6] = ["created_on", "isrc", "provider", "provider_version", "confidence", "influences"];

/// Reads the CSV form, one row (output × use type × territory) at a time.
pub fn read_output_csv(input: impl BufRead, sink: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
    read_csv(input, ReportKind::Output, &CSV_COLUMNS, &OPTIONAL, sink, &|row| csv_row(row).map(ReportItem::Output))
}

fn csv_row(row: &Row<'_>) -> Result<OutputLine, FieldError> {
    let created_on = match row.get(6) {
        "" => None,
        text => Some(
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| ("created_on", format!("{text:?} is not a date like 2026-03-31")))?,
        ),
    };
    let exploitation = if row.get(8).is_empty() {
        Vec::new()
    } else {
        vec![Exploitation {
            use_type: row.get(8).to_ascii_lowercase(),
            territory: territory(row.get(9)).map_err(|e| ("territory", e))?,
            usages: count(row.get(10)).map_err(|e| ("usages", e))?,
            revenue: amount(row.get(11), row.currency).map_err(|e| ("revenue", e))?,
        }]
    };
    let attribution = if row.get(15).is_empty() {
        None
    } else {
        Some(Attribution {
            provider: required(row.get(12), "provider").map_err(|e| ("provider", e))?,
            provider_version: required(row.get(13), "provider_version").map_err(|e| ("provider_version", e))?,
            confidence: fraction(row.get(14)).map_err(|e| ("confidence", e))?,
            influences: influences(row.get(15)).map_err(|e| ("influences", e))?,
        })
    };
    let line = OutputLine {
        line: row.line,
        output_id: row.get(3).to_owned(),
        service: Some(row.get(4).to_owned()),
        model_version: Some(row.get(5).to_owned()),
        created_on,
        isrc: Some(row.get(7).to_owned()).filter(|i| !i.is_empty()),
        exploitation,
        attribution,
    };
    check_output(&line)?;
    Ok(line)
}

/// Parses `isrc:SE5BU2600001=0.6|iswc:T0700002224=0.4`.
fn influences(text: &str) -> Result<Vec<Influence>, String> {
    text.split('|')
        .map(|part| {
            let (id, weight) = part.rsplit_once('=').ok_or_else(|| {
                format!("{part:?}: write an influence as scheme:id=weight, e.g. isrc:SE5BU2600001=0.6")
            })?;
            let (scheme, id) =
                id.split_once(':').ok_or_else(|| format!("{part:?}: the id needs a scheme such as isrc: or iswc:"))?;
            Ok(Influence {
                scheme: scheme.trim().to_ascii_lowercase(),
                id: id.trim().to_owned(),
                weight: fraction(weight)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use money::Share;

    fn read(f: fn(&[u8], &mut dyn FnMut(ReportItem)) -> ReadOutcome, text: &str) -> (Vec<ReportItem>, ReadOutcome) {
        let mut items = Vec::new();
        let outcome = f(text.as_bytes(), &mut |i| items.push(i));
        (items, outcome)
    }

    fn jsonl(i: &[u8], s: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
        read_output_jsonl(i, s)
    }

    fn csv(i: &[u8], s: &mut dyn FnMut(ReportItem)) -> ReadOutcome {
        read_output_csv(i, s)
    }

    #[test]
    fn an_output_with_exploitation_and_attribution() {
        let (items, outcome) = read(
            jsonl,
            "{\"format\":\"tantiem-output-report/1\",\"report_id\":\"O1\",\"period\":\"2026-03\",\"currency\":\"SEK\"}\n\
             {\"output_id\":\"gen-1\",\"service\":\"app\",\"model_version\":\"sf-2\",\"created_on\":\"2026-03-02\",\"exploitation\":[{\"use_type\":\"Stream\",\"territory\":\"se\",\"usages\":1000,\"revenue\":\"1.50\"}],\"attribution\":{\"provider\":\"Musical AI\",\"provider_version\":\"2.1\",\"confidence\":\"0.9\",\"influences\":[{\"scheme\":\"ISRC\",\"id\":\"SE5BU2600001\",\"weight\":\"0.6\"},{\"scheme\":\"iswc\",\"id\":\"T0700002224\",\"weight\":\"0.4\"}]}}\n",
        );
        assert!(outcome.is_ok(), "{:?}", outcome.diagnostics);
        let (items_csv, outcome) = read(
            csv,
            "report_id,period,currency,output_id,service,model_version,created_on,isrc,use_type,territory,usages,revenue,provider,provider_version,confidence,influences\n\
             O1,2026-03,SEK,gen-1,app,sf-2,2026-03-02,,stream,SE,1000,1.50,Musical AI,2.1,0.9,isrc:SE5BU2600001=0.6|iswc:T0700002224=0.4\n",
        );
        assert!(outcome.is_ok(), "{:?}", outcome.diagnostics);
        let (ReportItem::Output(a), ReportItem::Output(b)) = (&items[1], &items_csv[1]) else { panic!() };
        assert_eq!(a, &OutputLine { line: 2, ..b.clone() });
        assert_eq!(a.exploitation[0].use_type, "stream");
        assert_eq!(a.attribution.as_ref().unwrap().influences[1].weight, Share::parse_fraction("0.4").unwrap());
    }

    #[test]
    fn bad_outputs_are_named_by_line() {
        let (_, outcome) = read(
            csv,
            "report_id,period,currency,output_id,service,model_version,use_type,territory,usages,revenue,provider,provider_version,confidence,influences\n\
             O1,2026-03,EUR,g1,app,sf-2,stream,SE,10,0.10,P,1,0.5,isrc:SE5BU2600001=0.6|iswc:T0700002224=0.3\n\
             O1,2026-03,EUR,g2,app,,stream,SE,10,0.10,,,,\n\
             O1,2026-03,EUR,g3,app,sf-2,stream,SE,10,0.10,P,1,1.5,isrc:X=1\n",
        );
        let found: Vec<String> = outcome.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "line 2: ER influences: influence weights sum to 0.90000000, not 1",
                "line 3: ER model_version: model_version is missing: name the model version that generated it",
                "line 4: ER confidence: \"1.5\" is not a fraction between 0 and 1 (at most 8 decimals)",
            ]
        );
        let (_, outcome) = read(
            jsonl,
            "{\"format\":\"tantiem-output-report/1\",\"report_id\":\"O1\",\"period\":\"2026-03\",\"currency\":\"EUR\"}\n{\"output_id\": 5}\nnot json\n",
        );
        assert_eq!(outcome.errors, 2);
        assert_eq!(outcome.diagnostics[1].line, 3);
    }
}
