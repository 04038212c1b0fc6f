//! Statements and settlements as people and other societies read them: CSV (one line per work, pool and
//! right, amounts as decimals of the currency), JSON, and a printable HTML statement. The same statement
//! gives the same bytes.

use std::fmt::Write;

use crate::views::{Settlement, Statement};

/// Micro-units as a decimal with six places (`1234.500000`).
pub fn decimal(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    format!("{sign}{}.{:06}", m / 1_000_000, m % 1_000_000)
}

/// Micro-units as a decimal of two places, rounded toward zero (for people; the CSV keeps every micro-unit).
pub fn cents(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs() / 10_000;
    format!("{sign}{}.{:02}", m / 100, m % 100)
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A statement as CSV.
pub fn statement_csv(s: &Statement) -> String {
    let mut out = String::from(
        "party,ipi,run,period,stage,licensee,source,territory,work,right,currency,gross,management_fee,cultural_fund,net,previous,kind,reason\n",
    );
    for l in &s.lines {
        let fields = [
            csv_field(&s.party),
            csv_field(s.ipi.as_deref().unwrap_or("")),
            l.run.to_string(),
            l.period.to_string(),
            l.stage.as_str().to_owned(),
            csv_field(&l.licensee),
            csv_field(&l.source),
            l.territory.clone(),
            csv_field(&l.work),
            l.right.clone(),
            l.currency.code().to_owned(),
            decimal(l.gross_micros),
            decimal(l.management_fee_micros),
            decimal(l.cultural_fund_micros),
            decimal(l.net_micros),
            decimal(l.previous_micros),
            l.kind().to_owned(),
            csv_field(l.reason.as_deref().unwrap_or("")),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// A statement as a printable HTML page.
pub fn statement_html(s: &Statement, society: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Statement {party}</title>\
         <style>body{{font-family:sans-serif;margin:2em;color:#111}}table{{border-collapse:collapse;width:100%}}\
         th,td{{border-bottom:1px solid #ccc;padding:.3em .5em;text-align:left}}td.n,th.n{{text-align:right}}\
         caption{{text-align:left;font-weight:bold;margin:.5em 0}}</style></head><body><main>\n\
         <h1>Statement of distribution</h1>\n<p>{society}</p>\n<p>Rightsholder: <strong>{name}</strong> \
         ({party}{ipi})</p>\n<p>Runs: {runs}</p>\n",
        party = escape(&s.party),
        society = escape(society),
        name = escape(if s.name.is_empty() { &s.party } else { &s.name }),
        ipi = s.ipi.as_deref().map(|i| format!(", IPI {}", escape(i))).unwrap_or_default(),
        runs = s.runs.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
    );
    out.push_str(
        "<table>\n<caption>By work, stage, licensee and territory</caption>\n<thead><tr><th>Run</th><th>Period</th>\
         <th>Stage</th><th>Licensee</th><th>Model version or service</th><th>Territory</th><th>Work</th><th>Right</th>\
         <th class=\"n\">Gross</th><th class=\"n\">Management fee</th><th class=\"n\">Cultural fund</th>\
         <th class=\"n\">Net</th><th>Note</th></tr></thead>\n<tbody>\n",
    );
    for l in &s.lines {
        let because = l.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        let note = if l.reserved {
            format!("held in reserve: no society is known to collect for you{because}")
        } else if l.previous_micros != 0 || l.reason.is_some() {
            format!(
                "adjustment: {} before, {} now{because}",
                cents(l.previous_micros),
                cents(l.previous_micros + l.net_micros)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"n\">{} {cur}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} {cur}</td><td>{}</td></tr>",
            l.run,
            l.period,
            l.stage.as_str(),
            escape(&l.licensee),
            escape(&l.source),
            if l.territory.is_empty() { "world" } else { &l.territory },
            escape(&l.work),
            l.right,
            cents(l.gross_micros),
            cents(l.management_fee_micros),
            cents(l.cultural_fund_micros),
            cents(l.net_micros),
            escape(&note),
            cur = l.currency.code(),
        );
    }
    out.push_str(
        "</tbody>\n</table>\n<table>\n<caption>Totals</caption>\n<thead><tr><th>Currency</th>\
        <th class=\"n\">Gross</th><th class=\"n\">Management fee</th><th class=\"n\">Cultural fund</th>\
        <th class=\"n\">Net</th><th class=\"n\">Of which adjustments</th><th class=\"n\">Held in reserve</th>\
        <th class=\"n\">Outstanding (under the minimum payout)</th></tr></thead>\n<tbody>\n",
    );
    for t in &s.totals {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            t.currency,
            cents(t.gross_micros),
            cents(t.management_fee_micros),
            cents(t.cultural_fund_micros),
            cents(t.net_micros),
            cents(t.adjustments_micros),
            cents(t.reserved_micros),
            cents(t.outstanding_micros),
        );
    }
    out.push_str(
        "</tbody>\n</table>\n<p>Amounts are rounded down to the cent here; the CSV statement keeps every \
         micro-unit. Deductions are your line's part of its pool's management fee and cultural fund.</p>\n\
         </main></body></html>\n",
    );
    out
}

/// A sister society's settlement as CSV, one line per party of theirs, work, pool and right.
pub fn settlement_csv(s: &Settlement) -> String {
    let mut out = String::from(
        "society,run,period,party,ipi,work,stage,licensee,source,territory,right,currency,amount,previous\n",
    );
    for l in &s.lines {
        let fields = [
            s.society.clone(),
            s.run.to_string(),
            s.period.to_string(),
            csv_field(&l.party),
            csv_field(l.ipi.as_deref().unwrap_or("")),
            csv_field(&l.work),
            l.stage.as_str().to_owned(),
            csv_field(&l.licensee),
            csv_field(&l.source),
            l.territory.clone(),
            l.right.clone(),
            l.currency.code().to_owned(),
            decimal(l.amount_micros),
            decimal(l.previous_micros),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_every_micro_unit_and_cents_round_toward_zero() {
        assert_eq!(decimal(1_234_500_000), "1234.500000");
        assert_eq!(decimal(-5), "-0.000005");
        assert_eq!(cents(1_234_567_890), "1234.56");
        assert_eq!(cents(-9_999), "-0.00");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
