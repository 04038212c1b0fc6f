//! What the society publishes from its books: the annual transparency report (CMO Directive Art. 22 and
//! its Annex, for the figures the system holds) and the dilution index, which shows per service and period
//! how much of the exploitation reported was AI output against what human creators received through that
//! service's licence, with the trend over periods.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::Period;
use ports::access::{Actor, Scope, UseCase};
use serde::{Deserialize, Serialize};

use crate::DistributionError;
use crate::allocation::LineKind;
use crate::catalogue::Payee;
use crate::reserve::Clocks;
use crate::rules::PoolStage;
use crate::store::DistributionStore;

/// A sum in one currency, keyed by what it is of.
pub type Sums = BTreeMap<String, BTreeMap<String, i64>>;

fn add(sums: &mut Sums, what: &str, currency: &str, micros: i64) {
    *sums.entry(what.to_owned()).or_default().entry(currency.to_owned()).or_default() += micros;
}

/// The annual transparency report's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransparencyReport {
    /// The financial year (named by the year it ends in).
    pub year: i32,
    pub society: String,
    /// Invoiced per stage (before VAT), and received (paid and released to distribution) per stage.
    pub invoiced: Sums,
    pub received: Sums,
    /// Costs: the management fee per stage.
    pub management_fees: Sums,
    /// The special report on social and cultural deductions, per stage.
    pub cultural_fund: Sums,
    /// Attributed to rightsholders, per category of right (PR, MR) and per stage.
    pub attributed_by_right: Sums,
    pub attributed_by_stage: Sums,
    /// Paid to members, to sister societies, and carried forward under the minimum payout.
    pub paid_members: BTreeMap<String, i64>,
    pub paid_societies: Sums,
    /// Not yet distributed, by reason (the reserve), and of it what is non-distributable now.
    pub reserve_by_reason: Sums,
    pub non_distributable: BTreeMap<String, i64>,
    pub runs: Vec<u64>,
    pub dilution: Vec<Dilution>,
}

/// The transparency report of the financial year ending in `year`.
pub async fn transparency(
    store: &dyn DistributionStore,
    actor: &Actor,
    year: i32,
    today: NaiveDate,
) -> Result<TransparencyReport, DistributionError> {
    actor.may(UseCase::TransparencyReport, Scope::Society)?;
    let rules = store.distribution_rules().await?.unwrap_or_default();
    let society = store.society().await?.map(|s| format!("{} {}", s.code, s.name)).unwrap_or_default();
    let in_year = |period: Period| Clocks::of(period, &rules).year_end.format("%Y").to_string() == year.to_string();
    let mut report = TransparencyReport { year, society, ..TransparencyReport::default() };
    for invoice in store.invoices(None).await?.into_iter().filter(|i| in_year(i.period)) {
        if invoice.kind != licensing::store::InvoiceKind::Invoice
            || invoice.status == licensing::store::InvoiceStatus::Credited
        {
            continue;
        }
        for line in &invoice.rated.lines {
            let stage = format!("{:?}", line.stage).to_lowercase();
            add(&mut report.invoiced, &stage, invoice.currency.code(), line.charge.amount.micros());
        }
    }
    let mut periods = Vec::new();
    for run in store.runs().await?.into_iter().filter(|r| in_year(r.period)) {
        report.runs.push(run.id);
        periods.push(run.period);
        for t in &run.totals {
            *report.paid_members.entry(t.currency.clone()).or_default() += t.members_paid + t.carried_forward;
        }
        for stored in store.run_lines(run.id).await? {
            let id = &stored.line.id;
            let (stage, currency, amount) = (id.pool.stage.as_str(), id.currency.code(), stored.line.amount_micros);
            add(&mut report.received, stage, currency, amount);
            match (id.kind, id.payee) {
                (LineKind::Fee, _) => add(&mut report.management_fees, stage, currency, amount),
                (LineKind::Fund, _) => add(&mut report.cultural_fund, stage, currency, amount),
                (LineKind::Share, payee) => {
                    add(&mut report.attributed_by_right, &id.right, currency, amount);
                    add(&mut report.attributed_by_stage, stage, currency, amount);
                    if let Payee::Society(code) = payee {
                        add(&mut report.paid_societies, &format!("{code:03}"), currency, amount);
                    }
                }
                (LineKind::Reserve, _) => {}
            }
        }
    }
    for line in store.reserve_lines().await?.into_iter().filter(|l| in_year(l.id.pool.period)) {
        let reason = line.id.reason.map_or("unknown-party", |r| r.as_str());
        add(&mut report.reserve_by_reason, reason, line.id.currency.code(), line.amount_micros);
        if Clocks::of(line.id.pool.period, &rules).non_distributable_on <= today {
            *report.non_distributable.entry(line.id.currency.code().to_owned()).or_default() += line.amount_micros;
        }
    }
    periods.sort();
    periods.dedup();
    report.dilution = dilution_of(store, &periods).await?;
    Ok(report)
}

/// The dilution index of one service in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dilution {
    pub licensee: String,
    pub service: String,
    pub period: Period,
    /// Uses of AI outputs reported (streams, plays, …) and their revenue.
    pub ai_output_uses: u64,
    pub ai_output_revenue_micros: i64,
    /// Uses the service reported of itself (its generations and usages).
    pub service_uses: u64,
    /// AI output's part of all the uses reported, in parts per million.
    pub ai_share_ppm: u64,
    /// What human creators received through the service's licence in the period (its service pool and its
    /// outputs' part of the output pool), in the currency of the licence.
    pub human_received_micros: i64,
    pub currency: String,
    /// Received per thousand AI output uses (0 without uses).
    pub received_per_thousand_uses_micros: i64,
    /// The change of `received_per_thousand_uses_micros` from the service's previous period, in parts per
    /// million of it (`None` for a first period).
    pub trend_ppm: Option<i64>,
}

/// The dilution index of every service for `periods` (every period runs were posted for, when empty).
pub async fn dilution(
    store: &dyn DistributionStore,
    actor: &Actor,
    periods: &[Period],
) -> Result<Vec<Dilution>, DistributionError> {
    actor.may(UseCase::DilutionIndex, Scope::Society)?;
    let mut periods = periods.to_vec();
    if periods.is_empty() {
        periods = store.runs().await?.into_iter().map(|r| r.period).collect();
    }
    periods.sort();
    periods.dedup();
    dilution_of(store, &periods).await
}

async fn dilution_of(store: &dyn DistributionStore, periods: &[Period]) -> Result<Vec<Dilution>, DistributionError> {
    let mut out: Vec<Dilution> = Vec::new();
    for &period in periods {
        // What human creators received per pool of the period, all runs together.
        let (_, lines) = store.posted_lines(period).await?;
        let mut received: BTreeMap<(String, PoolStage, String), (i64, String)> = BTreeMap::new();
        for line in lines.iter().filter(|l| l.id.kind == LineKind::Share) {
            let id = &line.id;
            let entry = received
                .entry((id.pool.licensee.clone(), id.pool.stage, id.pool.source.clone()))
                .or_insert((0, id.currency.code().to_owned()));
            entry.0 += line.amount_micros;
        }
        for licensee in store.licensees().await? {
            let outputs = store.period_outputs(&licensee.id, period).await?;
            let usage = store.usage(&licensee.id, period).await?;
            let output_revenue_total: i64 = outputs.iter().map(|o| o.revenue.micros()).sum();
            let output_pool = received.get(&(licensee.id.clone(), PoolStage::Output, String::new())).cloned();
            for service in store.services(&licensee.id).await? {
                let mine: Vec<_> =
                    outputs.iter().filter(|o| o.service.as_deref() == Some(service.id.as_str())).collect();
                let ai_uses: u64 = mine.iter().map(|o| o.usages).sum();
                let ai_revenue: i64 = mine.iter().map(|o| o.revenue.micros()).sum();
                let service_uses: u64 = usage
                    .iter()
                    .filter(|u| u.service == service.id && u.stage == domain::Stage::Service)
                    .map(|u| u.generations + u.usages)
                    .sum();
                let (service_pool, currency) = received
                    .get(&(licensee.id.clone(), PoolStage::Service, service.id.clone()))
                    .cloned()
                    .unwrap_or((0, output_pool.as_ref().map(|p| p.1.clone()).unwrap_or_default()));
                let output_part = match &output_pool {
                    Some((amount, _)) if output_revenue_total > 0 => {
                        (i128::from(*amount) * i128::from(ai_revenue) / i128::from(output_revenue_total)) as i64
                    }
                    _ => 0,
                };
                if ai_uses == 0 && service_uses == 0 && service_pool == 0 && output_part == 0 {
                    continue;
                }
                let human = service_pool + output_part;
                let all_uses = ai_uses + service_uses;
                let per_thousand =
                    if ai_uses == 0 { 0 } else { (i128::from(human) * 1000 / i128::from(ai_uses)) as i64 };
                let previous = out.iter().rev().find(|d| d.licensee == licensee.id && d.service == service.id);
                let trend_ppm = previous.filter(|p| p.received_per_thousand_uses_micros != 0).map(|p| {
                    let before = i128::from(p.received_per_thousand_uses_micros);
                    ((i128::from(per_thousand) - before) * 1_000_000 / before) as i64
                });
                out.push(Dilution {
                    licensee: licensee.id.clone(),
                    service: service.id.clone(),
                    period,
                    ai_output_uses: ai_uses,
                    ai_output_revenue_micros: ai_revenue,
                    service_uses,
                    ai_share_ppm: (ai_uses * 1_000_000).checked_div(all_uses).unwrap_or(0),
                    human_received_micros: human,
                    currency,
                    received_per_thousand_uses_micros: per_thousand,
                    trend_ppm,
                });
            }
        }
    }
    Ok(out)
}

/// The transparency report as a printable HTML page.
pub fn transparency_html(report: &TransparencyReport) -> String {
    use std::fmt::Write;
    let money = |m: i64| crate::export::cents(m);
    let table = |out: &mut String, caption: &str, sums: &Sums| {
        let _ = write!(
            out,
            "<table><caption>{caption}</caption><thead><tr><th></th><th>Currency</th><th class=\"n\">Amount</th></tr></thead><tbody>"
        );
        for (what, by_currency) in sums {
            for (currency, micros) in by_currency {
                let _ =
                    write!(out, "<tr><td>{what}</td><td>{currency}</td><td class=\"n\">{}</td></tr>", money(*micros));
            }
        }
        if sums.is_empty() {
            out.push_str("<tr><td colspan=\"3\">none</td></tr>");
        }
        out.push_str("</tbody></table>\n");
    };
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Transparency report {year}</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border-bottom:1px solid #ccc;padding:.3em .6em}}.n{{text-align:right}}caption{{text-align:left;font-weight:bold}}</style>\
         </head><body><main><h1>Annual transparency report {year}</h1><p>{society}</p>\n\
         <p>Figures from the distribution runs {runs} of the financial year, as CMO Directive 2014/26/EU Art. 22 and its Annex ask.</p>\n",
        year = report.year,
        society = report.society.replace('&', "&amp;").replace('<', "&lt;"),
        runs = report.runs.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
    );
    table(&mut out, "Revenue invoiced, per stage", &report.invoiced);
    table(&mut out, "Revenue received (paid and released to distribution), per stage", &report.received);
    table(&mut out, "Costs: management fees, per stage", &report.management_fees);
    table(&mut out, "Special report: social and cultural deductions, per stage", &report.cultural_fund);
    table(&mut out, "Attributed to rightsholders, per category of right", &report.attributed_by_right);
    table(&mut out, "Attributed to rightsholders, per stage", &report.attributed_by_stage);
    table(&mut out, "Paid to sister societies", &report.paid_societies);
    table(&mut out, "Not yet distributed, by reason", &report.reserve_by_reason);
    out.push_str("<table><caption>Dilution index</caption><thead><tr><th>Licensee</th><th>Service</th><th>Period</th>\
        <th class=\"n\">AI output uses</th><th class=\"n\">AI share of uses</th><th class=\"n\">Human creators received</th>\
        <th class=\"n\">Per 1,000 AI uses</th><th class=\"n\">Trend</th></tr></thead><tbody>");
    for d in &report.dilution {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}.{:02}%</td><td class=\"n\">{} {}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            d.licensee,
            d.service,
            d.period,
            d.ai_output_uses,
            d.ai_share_ppm / 10_000,
            d.ai_share_ppm % 10_000 / 100,
            money(d.human_received_micros),
            d.currency,
            money(d.received_per_thousand_uses_micros),
            d.trend_ppm.map_or("—".to_owned(), |t| format!("{:+}.{:02}%", t / 10_000, (t % 10_000).abs() / 100)),
        );
    }
    out.push_str("</tbody></table></main></body></html>\n");
    out
}
