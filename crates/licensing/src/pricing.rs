//! What an invoice is priced from: the period's usage (checked against the agreement as it stands when
//! rating, converted into the tariff's currency at recorded rates and summed per rating key) and the model
//! versions whose training is licensed in the period.

use std::collections::BTreeMap;

use domain::licensing::Licensee;
use domain::{Period, Stage};
use money::{Amount, Currency, Rate};
use rating::{BusinessTier, OutputUsage, ServiceUsage, TrainingUsage, UseType};

use super::invoicing::InvoiceError;
use super::store::{ConversionNote, StoredAgreement, UsageRow};
use crate::store::LicensingStore;

/// Converts a reported amount to the tariff's currency at a given rate, noting the rate once.
pub(super) fn convert(
    amount: Amount,
    to: Currency,
    rates: &[(Rate, String)],
    notes: &mut Vec<ConversionNote>,
) -> Result<Amount, InvoiceError> {
    if amount.currency() == to {
        return Ok(amount);
    }
    let (rate, source) = rates
        .iter()
        .find(|(r, _)| r.from() == amount.currency() && r.to() == to)
        .ok_or(InvoiceError::MissingRate { from: amount.currency(), to })?;
    if !notes.iter().any(|n| n.from == rate.from() && n.to == to) {
        notes.push(ConversionNote { from: rate.from(), to, rate: rate.to_string(), source: source.clone() });
    }
    Ok(rate.convert(amount)?.result)
}

/// Checks each usage row against the agreement as it stands now (an amendment since the report counts),
/// for the period's first day.
pub(super) fn relicense(usage: &mut [UsageRow], agreement: &StoredAgreement, period: Period) {
    let domain = agreement.domain();
    for row in usage.iter_mut() {
        row.licensed = row.is_linked() && domain.check(&row.as_use(period.first_day())).is_ok();
    }
}

/// Service lines summed per service and territory (a model-version breakdown adds up to the service).
pub(super) fn service_usage(
    usage: &[UsageRow],
    currency: Currency,
    rates: &[(Rate, String)],
    notes: &mut Vec<ConversionNote>,
) -> Result<Vec<ServiceUsage>, InvoiceError> {
    let mut sums: BTreeMap<(String, String), ServiceUsage> = BTreeMap::new();
    for u in usage.iter().filter(|u| u.stage == Stage::Service && u.licensed) {
        let revenue = convert(u.revenue, currency, rates, notes)?;
        let line = sums.entry((u.service.clone(), u.territory.clone())).or_insert_with(|| ServiceUsage {
            service: u.service.clone(),
            territory: u.territory.clone(),
            net_revenue: Amount::zero(currency),
            subscribers: 0,
            generations: 0,
        });
        line.net_revenue = line.net_revenue.checked_add(revenue)?;
        line.subscribers = line.subscribers.saturating_add(u.subscribers);
        line.generations = line.generations.saturating_add(u.generations);
    }
    Ok(sums.into_values().collect())
}

/// Output exploitation summed per use type and territory.
pub(super) fn output_usage(
    usage: &[UsageRow],
    currency: Currency,
    rates: &[(Rate, String)],
    notes: &mut Vec<ConversionNote>,
) -> Result<Vec<OutputUsage>, InvoiceError> {
    let mut sums: BTreeMap<(String, String), OutputUsage> = BTreeMap::new();
    for u in usage.iter().filter(|u| u.stage == Stage::Output && u.licensed) {
        let revenue = convert(u.revenue, currency, rates, notes)?;
        let line = sums.entry((u.use_type.clone(), u.territory.clone())).or_insert_with(|| OutputUsage {
            use_type: UseType(u.use_type.clone()),
            territory: u.territory.clone(),
            revenue: Amount::zero(currency),
            usages: 0,
        });
        line.revenue = line.revenue.checked_add(revenue)?;
        line.usages = line.usages.saturating_add(u.usages);
    }
    Ok(sums.into_values().collect())
}

pub(super) fn tier_of(licensee: &Licensee) -> BusinessTier {
    match licensee.business_tier.as_str() {
        "micro" => BusinessTier::Micro,
        "small" => BusinessTier::Small,
        "medium" => BusinessTier::Medium,
        _ => BusinessTier::Large,
    }
}

/// The model versions whose training is licensed in this period: those the agreement covers, placed on
/// the market (or, failing that, trained) within the period. A model version whose current disclosure was
/// assessed fully transparent is priced on the licensed works it matched. Otherwise the fee is priced on the
/// whole licensed repertoire (the presumption rule), all of it beyond the licensed works its disclosure
/// matched (if any) held. `priced_before` keeps the figures an earlier invoice of the period used, so a
/// re-run prices the same repertoire size. Models that cannot be dated are named in `notes`.
#[tracing::instrument(skip_all)]
pub(super) async fn training_usage(
    store: &dyn LicensingStore,
    licensee: &Licensee,
    agreement: &StoredAgreement,
    period: Period,
    priced_before: &[TrainingUsage],
    notes: &mut Vec<String>,
) -> Result<Vec<TrainingUsage>, InvoiceError> {
    let Some(record) = agreement.record_on(period.first_day()) else { return Ok(Vec::new()) };
    if !record.coverage.stages.contains(&Stage::Training) {
        return Ok(Vec::new());
    }
    let models = store.model_versions(&licensee.id).await?;
    let mut out = Vec::new();
    let mut repertoire = None;
    for m in models.iter().filter(|m| record.coverage.model_versions.contains(&m.id)) {
        let Some(day) = m.placed_on_eu_market.or(m.trained_on) else {
            notes.push(format!(
                "model version {} has neither a market date nor a training date: its training licence is invoiced once one is recorded",
                m.id
            ));
            continue;
        };
        if !period.contains(day) {
            continue;
        }
        let assessed = store.training_transparency(&licensee.id, &m.id).await?;
        if let Some(a) = assessed.as_ref().filter(|a| a.verdict == domain::disclosure::Verdict::Full) {
            notes.push(format!(
                "model version {}: disclosure {} is fully transparent; its training is priced on the {} licensed works it matched",
                m.id, a.disclosure, a.licensed_works_matched
            ));
            out.push(TrainingUsage {
                model_version: m.id.clone(),
                tier: tier_of(licensee),
                works_used: a.licensed_works_matched,
                works_disclosed: a.licensed_works_matched,
            });
            continue;
        }
        if let Some(before) = priced_before.iter().find(|t| t.model_version == m.id) {
            out.push(before.clone());
            continue;
        }
        let works = match repertoire {
            Some(n) => n,
            None => *repertoire.insert(store.licensed_repertoire_size(Stage::Training).await?),
        };
        let disclosed = assessed.as_ref().map_or(0, |a| a.licensed_works_matched.min(works));
        if let Some(a) = &assessed {
            notes.push(format!(
                "model version {}: disclosure {} is {} transparency: the presumption rule prices all {works} licensed works, {disclosed} of them matched",
                m.id, a.disclosure, a.verdict
            ));
        }
        out.push(TrainingUsage {
            model_version: m.id.clone(),
            tier: tier_of(licensee),
            works_used: works,
            works_disclosed: disclosed,
        });
    }
    Ok(out)
}
