//! Invoices as people and programs read them: plain text (a terminal or an e-mail), JSON (the whole
//! document), CSV (one row per line) and a printable HTML page.

use std::fmt::Write;

use super::store::{Invoice, InvoiceKind};

/// The invoice as plain text: its header, each line with the steps that priced it, the totals, conversions
/// and what was not invoiced.
pub fn text(i: &Invoice) -> String {
    let mut out = format!(
        "{} {} to {} ({}) for {}, agreement {} v{}; issued {}, due {}; {}\n",
        i.number,
        kind_label(i.kind),
        i.licensee_name,
        i.licensee,
        i.period,
        i.agreement,
        i.agreement_version,
        i.issued_on,
        i.due_on,
        i.status.as_str()
    );
    for l in &i.rated.lines {
        let territory = l.territory.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "  {:<44} {territory:<3} {:<26} {:>22}",
            l.description,
            l.charge.rule,
            l.charge.amount.to_string()
        );
        for step in &l.charge.trail {
            let _ = writeln!(out, "      {}: {}", step.what, step.amount);
        }
    }
    let r = &i.rated;
    let _ = writeln!(
        out,
        "  net {}\n  {} {}\n  total {}\n  held by presumption {}",
        r.net, r.vat_note, r.vat, r.total, r.presumption_held
    );
    for c in &i.conversions {
        let _ = writeln!(out, "  converted at {} ({})", c.rate, c.source);
    }
    for u in &i.unlicensed {
        let _ = writeln!(out, "  not invoiced, outside the agreement: {u}");
    }
    out
}

pub fn json(invoice: &Invoice) -> String {
    serde_json::to_string_pretty(invoice).expect("an invoice always serialises")
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// One row per invoice line, then the totals as rows of their own.
pub fn csv(invoice: &Invoice) -> String {
    let mut out = String::from(
        "invoice,kind,licensee,period,stage,territory,description,rule,amount,presumption_held,currency\n",
    );
    let kind = kind_label(invoice.kind);
    for l in &invoice.rated.lines {
        let stage = serde_json::to_value(l.stage).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let cells = [
            invoice.number.clone(),
            kind.into(),
            invoice.licensee.clone(),
            invoice.period.to_string(),
            stage,
            l.territory.clone().unwrap_or_default(),
            l.description.clone(),
            l.charge.rule.clone(),
            decimal(l.charge.amount),
            decimal(l.presumption_part),
            invoice.currency.to_string(),
        ];
        out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    let totals = [
        ("net", "net", invoice.rated.net),
        ("vat", invoice.rated.vat_note.as_str(), invoice.rated.vat),
        ("total", "total", invoice.rated.total),
    ];
    for (what, description, amount) in totals {
        let _ = writeln!(
            out,
            "{},{kind},{},{},{what},,{},,{},,{}",
            invoice.number,
            invoice.licensee,
            invoice.period,
            csv_cell(description),
            decimal(amount),
            invoice.currency
        );
    }
    out
}

/// An amount as a plain decimal (the currency has its own column).
fn decimal(amount: money::Amount) -> String {
    amount.to_string().split(' ').next().unwrap_or_default().to_owned()
}

fn kind_label(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Invoice => "invoice",
        InvoiceKind::CreditNote => "credit-note",
        InvoiceKind::Advance => "advance",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A self-contained printable page (no scripts, no external assets).
pub fn html(invoice: &Invoice, society: &str) -> String {
    let title = match invoice.kind {
        InvoiceKind::Invoice => "Invoice",
        InvoiceKind::CreditNote => "Credit note",
        InvoiceKind::Advance => "Invoice (advance on royalties)",
    };
    let mut rows = String::new();
    for l in &invoice.rated.lines {
        let trail: Vec<String> = l.charge.trail.iter().map(|t| format!("{}: {}", escape(&t.what), t.amount)).collect();
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}<div class=trail>{}</div></td><td class=n>{}</td></tr>",
            escape(&l.description),
            escape(l.territory.as_deref().unwrap_or("")),
            escape(&l.charge.rule),
            trail.join("<br>"),
            l.charge.amount
        );
    }
    let corrects =
        invoice.corrects.as_ref().map_or(String::new(), |c| format!("<p>Cancels invoice {}.</p>", escape(c)));
    let unlicensed = if invoice.unlicensed.is_empty() {
        String::new()
    } else {
        let items: String = invoice.unlicensed.iter().map(|u| format!("<li>{}</li>", escape(u))).collect();
        format!("<h2>Reported use outside the agreement (not invoiced; needs a licence)</h2><ul>{items}</ul>")
    };
    format!(
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>{title} {number}</title>\n<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ccc;padding:.3em;text-align:left;vertical-align:top}}.n{{text-align:right;white-space:nowrap}}.trail{{font-size:.8em;color:#555}}@media print{{body{{margin:0}}}}</style></head>\n<body><h1>{title} {number}</h1>\n<p>From {society}<br>To {licensee} ({licensee_id})<br>Period {period}, agreement {agreement} version {version}<br>Issued {issued}, due {due}. Status: {status}.</p>{corrects}\n<table><thead><tr><th>Line</th><th>Territory</th><th>Rule and computation</th><th class=n>Amount ({currency})</th></tr></thead><tbody>\n{rows}</tbody>\n<tfoot><tr><td colspan=3>Net</td><td class=n>{net}</td></tr><tr><td colspan=3>{vat_note}</td><td class=n>{vat}</td></tr><tr><th colspan=3>Total</th><th class=n>{total}</th></tr></tfoot></table>\n<p>Of the net, {held} is held in the presumption account until a fully transparent training disclosure or the end of its window.</p>{unlicensed}\n</body></html>\n",
        number = escape(&invoice.number),
        society = escape(society),
        licensee = escape(&invoice.licensee_name),
        licensee_id = escape(&invoice.licensee),
        period = invoice.period,
        agreement = escape(&invoice.agreement),
        version = invoice.agreement_version,
        issued = invoice.issued_on,
        due = invoice.due_on,
        status = invoice.status.as_str(),
        currency = invoice.currency,
        net = invoice.rated.net,
        vat_note = escape(&invoice.rated.vat_note),
        vat = invoice.rated.vat,
        total = invoice.rated.total,
        held = invoice.rated.presumption_held,
    )
}
