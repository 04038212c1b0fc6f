//! Invoicing: rating a period for each licensee under the agreement version in force on the period's first
//! day, numbering the invoice without gaps, posting it to the journal, and everything that follows: payments,
//! disputes, credit notes when reports are corrected, and the presumption part held and then released or
//! credited back. Every posting carries an idempotency key, so running or recording anything twice changes
//! nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use domain::licensing::{AgreementStatus, Licensee};
use domain::{Period, Stage};
use ledger::{Account, Journal, JournalEntry, PoolStage, Posting};
use money::{Amount, Currency, MoneyError, Rate};
use rating::{
    Adjustments, BusinessTier, OutputUsage, RatingError, ServiceUsage, TrainingUsage, UseType, rate_advance,
    rate_period,
};
use sha2::{Digest, Sha256};

use super::store::{ConversionNote, Invoice, InvoiceKind, InvoiceStatus, Payment, StoredAgreement, UsageRow};
use super::vat;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    #[error("no licensee {0:?}")]
    UnknownLicensee(String),
    #[error("no invoice {0:?}: list them with `tantiem invoice list`")]
    UnknownInvoice(String),
    #[error("figures in {from} need a rate to {to}: give one with --rate {from}:{to}=RATE (units of {to} per {from})")]
    MissingRate { from: Currency, to: Currency },
    #[error("payment in {found} for invoice {invoice} in {expected}: record it in the invoice's currency")]
    PaymentCurrency { invoice: String, expected: Currency, found: Currency },
    #[error("agreement {0} has no advance: set one with `tantiem agreement amend --advance AMOUNT`")]
    NoAdvance(String),
    #[error("payment reference {key:?} was already used for {existing}")]
    PaymentKeyReused { key: String, existing: String },
    #[error("invoice {number} is {status}: {what}")]
    WrongStatus { number: String, status: &'static str, what: &'static str },
    #[error("the books do not verify: {0}")]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    Rating(#[from] RatingError),
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an invoice run is asked to do.
#[derive(Debug, Clone)]
pub struct InvoiceRun<'a> {
    pub period: Period,
    /// Only this licensee, or every licensee with an agreement.
    pub licensee: Option<&'a str>,
    pub issued_on: NaiveDate,
    pub now: DateTime<Utc>,
    /// Conversion rates for figures reported in another currency than the tariff's.
    pub rates: &'a [(Rate, String)],
}

/// What the run did for one licensee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    Issued(Box<Invoice>),
    /// The same reports and model versions were invoiced before: nothing changed.
    Unchanged(Box<Invoice>),
    /// The reports changed since the invoice: it was cancelled by a credit note and a new invoice issued.
    Corrected {
        credit_note: Box<Invoice>,
        invoice: Box<Invoice>,
    },
    /// Nothing to invoice (with the reason).
    Nothing(String),
}

/// Rates and invoices a period.
pub async fn run_invoices(store: &dyn Store, run: &InvoiceRun<'_>) -> Result<Vec<(String, RunOutcome)>, InvoiceError> {
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let society_country = society.code.info().map(|i| i.country.clone()).unwrap_or_default();
    let agreements = match run.licensee {
        Some(l) => vec![store.agreement_of(l).await?.ok_or_else(|| InvoiceError::UnknownLicensee(l.into()))?],
        None => store.agreements().await?,
    };
    let mut out = Vec::new();
    for agreement in agreements {
        let licensee = store
            .licensee(&agreement.licensee)
            .await?
            .ok_or_else(|| InvoiceError::UnknownLicensee(agreement.licensee.clone()))?;
        let outcome = invoice_licensee(store, run, &agreement, &licensee, &society_country).await?;
        out.push((licensee.id.clone(), outcome));
    }
    Ok(out)
}

async fn invoice_licensee(
    store: &dyn Store,
    run: &InvoiceRun<'_>,
    agreement: &StoredAgreement,
    licensee: &Licensee,
    society_country: &str,
) -> Result<RunOutcome, InvoiceError> {
    let Some(record) = agreement.record_on(run.period.first_day()) else {
        return Ok(RunOutcome::Nothing(format!("no agreement version in force on {}", run.period.first_day())));
    };
    if record.coverage.status == AgreementStatus::Draft {
        return Ok(RunOutcome::Nothing("the agreement version in force is a draft".into()));
    }
    let tariff = &record.terms.tariff;
    let usage = store.usage(&licensee.id, run.period).await?;
    let reports: Vec<String> = store
        .reports(&licensee.id)
        .await?
        .into_iter()
        .filter(|r| r.current && r.period == run.period)
        .map(|r| format!("report {}#{} {}", r.report_id, r.revision, r.sha256))
        .collect();
    let mut conversions = Vec::new();
    let service = service_usage(&usage, tariff.currency, run.rates, &mut conversions)?;
    let output = output_usage(&usage, tariff.currency, run.rates, &mut conversions)?;
    let training = training_usage(store, licensee, agreement, run.period).await?;
    let mut basis = reports;
    basis.extend(training.iter().map(|t| format!("model {} priced on {} works", t.model_version, t.works_used)));
    basis.push(format!("agreement {} version {}", agreement.id, record.coverage.version));
    let unlicensed: Vec<String> = usage.iter().filter(|u| !u.licensed).map(describe).collect();
    let existing = current_invoice(store, &licensee.id, run.period).await?;
    if let Some(existing) = &existing
        && existing.basis == basis
    {
        return Ok(RunOutcome::Unchanged(Box::new(existing.clone())));
    }
    if training.is_empty() && service.is_empty() && output.is_empty() && record.terms.minimum_guarantee.is_none() {
        return Ok(RunOutcome::Nothing("no reports, new model versions or guarantee for the period".into()));
    }
    let vat = vat::treatment(society_country, &licensee.country, licensee.vat_number.as_deref());
    let adjustments = Adjustments {
        minimum_guarantee: record.terms.minimum_guarantee,
        advance_unrecouped: Some(unrecouped_advance(store, &licensee.id, tariff.currency, existing.as_ref()).await?),
    };
    let rated = rate_period(tariff, &training, &service, &output, adjustments, &vat)?;
    let invoice = Invoice {
        number: String::new(),
        kind: InvoiceKind::Invoice,
        licensee: licensee.id.clone(),
        licensee_name: licensee.name.clone(),
        period: run.period,
        agreement: agreement.id.clone(),
        agreement_version: record.coverage.version,
        issued_on: run.issued_on,
        due_on: run
            .issued_on
            .checked_add_days(Days::new(u64::from(record.terms.payment_days)))
            .unwrap_or(run.issued_on),
        currency: tariff.currency,
        conversions,
        rated,
        unlicensed,
        basis,
        corrects: None,
        status: InvoiceStatus::Issued,
        journal_entry: 0,
    };
    let mut invoice = invoice;
    if invoice.rated.total.is_zero() {
        // Nothing to pay (an advance met it all): settled as issued.
        invoice.status = InvoiceStatus::Paid;
    }
    let entry = invoice_entry(&invoice, run.now)?;
    if entry.postings.len() < 2 {
        return Ok(RunOutcome::Nothing("every charge of the period is zero".into()));
    }
    let credit_note = match existing {
        Some(old) => Some(issue_credit_note(store, &old, run.issued_on, run.now).await?),
        None => None,
    };
    let invoice = store.issue_invoice(invoice, &series("INV", run.issued_on), entry).await?;
    verify_books(store).await?;
    Ok(match credit_note {
        Some(credit_note) => RunOutcome::Corrected { credit_note: Box::new(credit_note), invoice: Box::new(invoice) },
        None => RunOutcome::Issued(Box::new(invoice)),
    })
}

fn series(prefix: &str, day: NaiveDate) -> String {
    format!("{prefix}-{}", day.year())
}

fn describe(u: &UsageRow) -> String {
    match u.stage {
        Stage::Output => {
            format!("output {} {} in {} ({} usages, {})", u.service, u.use_type, u.territory, u.usages, u.revenue)
        }
        _ => format!("service {} in {} ({})", u.service, u.territory, u.revenue),
    }
}

fn tier_of(licensee: &Licensee) -> BusinessTier {
    match licensee.business_tier.as_str() {
        "micro" => BusinessTier::Micro,
        "small" => BusinessTier::Small,
        "medium" => BusinessTier::Medium,
        _ => BusinessTier::Large,
    }
}

/// The licensee's invoice for the period that still stands (not cancelled by a credit note).
async fn current_invoice(store: &dyn Store, licensee: &str, period: Period) -> Result<Option<Invoice>, InvoiceError> {
    Ok(store
        .invoices(Some(licensee))
        .await?
        .into_iter()
        .rfind(|i| i.kind == InvoiceKind::Invoice && i.period == period && i.status != InvoiceStatus::Credited))
}

/// Converts a reported amount to the tariff's currency at a given rate, noting the rate once.
fn convert(
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

/// Service lines summed per service and territory (a model-version breakdown adds up to the service).
fn service_usage(
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
        line.subscribers += u.subscribers;
        line.generations += u.generations;
    }
    Ok(sums.into_values().collect())
}

/// Output exploitation summed per use type and territory.
fn output_usage(
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
        line.usages += u.usages;
    }
    Ok(sums.into_values().collect())
}

/// The model versions whose training is licensed in this period: those the agreement covers, placed on
/// the market (or, failing that, trained) within the period. Until a disclosure is assessed, the fee is
/// priced on the whole licensed repertoire by the presumption rule and all of it beyond the disclosed
/// works is held.
async fn training_usage(
    store: &dyn Store,
    licensee: &Licensee,
    agreement: &StoredAgreement,
    period: Period,
) -> Result<Vec<TrainingUsage>, InvoiceError> {
    let Some(record) = agreement.record_on(period.first_day()) else { return Ok(Vec::new()) };
    if !record.coverage.stages.contains(&Stage::Training) {
        return Ok(Vec::new());
    }
    let models = store.model_versions(&licensee.id).await?;
    let mut out = Vec::new();
    let mut repertoire = None;
    for m in models.iter().filter(|m| record.coverage.model_versions.contains(&m.id)) {
        let Some(day) = m.placed_on_eu_market.or(m.trained_on) else { continue };
        if !period.contains(day) {
            continue;
        }
        let works = match repertoire {
            Some(n) => n,
            None => *repertoire.insert(store.licensed_repertoire_size(Stage::Training).await?),
        };
        out.push(TrainingUsage {
            model_version: m.id.clone(),
            tier: tier_of(licensee),
            works_used: works,
            works_disclosed: 0,
        });
    }
    Ok(out)
}

/// The account a line is credited to.
fn account_for(stage: rating::Stage, invoice: &Invoice) -> Account {
    let stage = match stage {
        rating::Stage::Training => PoolStage::Training,
        rating::Stage::Output => PoolStage::Output,
        // A guarantee top-up is licence income for providing the service.
        rating::Stage::Service | rating::Stage::Guarantee => PoolStage::Service,
        // An advance is owed back as charges until recouped; recouping (a negative line) debits it.
        rating::Stage::Advance | rating::Stage::AdvanceRecouped => {
            return Account::Advance { licensee: invoice.licensee.clone() };
        }
    };
    Account::Pool { stage, period: invoice.period.to_string() }
}

/// The advance the licensee paid and has not had recouped, counting as unrecouped what the invoice being
/// replaced (if any) recouped.
async fn unrecouped_advance(
    store: &dyn Store,
    licensee: &str,
    currency: Currency,
    replaced: Option<&Invoice>,
) -> Result<Amount, InvoiceError> {
    let journal = verify_books(store).await?;
    let held = journal.balance(&Account::Advance { licensee: licensee.to_owned() }, currency).checked_neg()?;
    let given_back = replaced
        .into_iter()
        .flat_map(|i| &i.rated.lines)
        .filter(|l| l.stage == rating::Stage::AdvanceRecouped)
        .try_fold(Amount::zero(currency), |sum, l| sum.checked_sub(l.charge.amount))?;
    Ok(held.checked_add(given_back)?)
}

/// Invoices the agreement's advance on royalties, once.
pub async fn invoice_advance(
    store: &dyn Store,
    licensee: &str,
    issued_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Invoice, InvoiceError> {
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let customer = store.licensee(licensee).await?.ok_or_else(|| InvoiceError::UnknownLicensee(licensee.into()))?;
    let agreement =
        store.agreement_of(licensee).await?.ok_or_else(|| InvoiceError::UnknownLicensee(licensee.into()))?;
    let record = agreement
        .record_on(issued_on)
        .or(agreement.latest())
        .ok_or_else(|| InvoiceError::UnknownLicensee(licensee.into()))?;
    let advance = record.terms.advance.ok_or(InvoiceError::NoAdvance(agreement.id.clone()))?;
    let key = format!("advance {}", agreement.id);
    if let Some(entry) = store.journal_entry_by_key(&key).await? {
        let invoices = store.invoices(Some(licensee)).await?;
        return invoices.into_iter().find(|i| i.journal_entry == entry.number).ok_or(InvoiceError::UnknownInvoice(key));
    }
    let country = society.code.info().map(|i| i.country.clone()).unwrap_or_default();
    let vat = vat::treatment(&country, &customer.country, customer.vat_number.as_deref());
    let invoice = Invoice {
        number: String::new(),
        kind: InvoiceKind::Invoice,
        licensee: customer.id.clone(),
        licensee_name: customer.name.clone(),
        period: Period::month_of(issued_on),
        agreement: agreement.id.clone(),
        agreement_version: record.coverage.version,
        issued_on,
        due_on: issued_on.checked_add_days(Days::new(u64::from(record.terms.payment_days))).unwrap_or(issued_on),
        currency: advance.currency(),
        conversions: Vec::new(),
        rated: rate_advance(advance, &vat)?,
        unlicensed: Vec::new(),
        basis: vec![format!("advance of agreement {} version {}", agreement.id, record.coverage.version)],
        corrects: None,
        status: InvoiceStatus::Issued,
        journal_entry: 0,
    };
    let mut entry = invoice_entry(&invoice, now)?;
    entry.idempotency_key = Some(key);
    entry.description = format!("advance invoiced to {licensee}");
    let invoice = store.issue_invoice(invoice, &series("INV", issued_on), entry).await?;
    verify_books(store).await?;
    Ok(invoice)
}

/// The journal entry of an invoice: the receivable against the pools, the presumption account and VAT.
fn invoice_entry(invoice: &Invoice, now: DateTime<Utc>) -> Result<JournalEntry, InvoiceError> {
    let currency = invoice.currency;
    let mut credits: BTreeMap<Account, i64> = BTreeMap::new();
    for line in &invoice.rated.lines {
        let held = line.presumption_part.micros();
        *credits.entry(account_for(line.stage, invoice)).or_default() += line.charge.amount.micros() - held;
        if held != 0 {
            *credits.entry(Account::Presumption { licensee: invoice.licensee.clone() }).or_default() += held;
        }
    }
    if !invoice.rated.vat.is_zero() {
        credits.insert(Account::VatPayable, invoice.rated.vat.micros());
    }
    // A period met wholly by an advance leaves nothing receivable.
    let mut postings = Vec::new();
    if !invoice.rated.total.is_zero() {
        postings.push(Posting::debit(Account::Receivable { licensee: invoice.licensee.clone() }, invoice.rated.total));
    }
    for (account, micros) in credits.into_iter().filter(|(_, m)| *m != 0) {
        postings.push(Posting::credit(account, Amount::from_micros(micros, currency))?);
    }
    Ok(JournalEntry {
        number: 0,
        idempotency_key: Some(format!(
            "invoice {} {} {}",
            invoice.licensee,
            invoice.period,
            basis_hash(&invoice.basis)
        )),
        posted_at: now,
        description: format!("invoice for {} {}", invoice.licensee, invoice.period),
        postings,
    })
}

fn basis_hash(basis: &[String]) -> String {
    let mut h = Sha256::new();
    for b in basis {
        h.update(b.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Cancels an invoice with a credit note that reverses its postings exactly.
async fn issue_credit_note(
    store: &dyn Store,
    old: &Invoice,
    issued_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Invoice, InvoiceError> {
    let journal = store.journal().await?;
    let original = journal
        .iter()
        .find(|e| e.number == old.journal_entry)
        .ok_or(InvoiceError::UnknownInvoice(old.number.clone()))?;
    let postings = original
        .postings
        .iter()
        .map(|p| Ok(Posting { account: p.account.clone(), amount: p.amount.checked_neg()? }))
        .collect::<Result<Vec<_>, MoneyError>>()?;
    let entry = JournalEntry {
        number: 0,
        idempotency_key: Some(format!("credit note for {}", old.number)),
        posted_at: now,
        description: format!("credit note cancelling {}", old.number),
        postings,
    };
    let note = Invoice {
        number: String::new(),
        kind: InvoiceKind::CreditNote,
        issued_on,
        due_on: issued_on,
        corrects: Some(old.number.clone()),
        status: InvoiceStatus::Issued,
        journal_entry: 0,
        ..old.clone()
    };
    Ok(store.issue_invoice(note, &series("CN", issued_on), entry).await?)
}

/// Reads the journal back and checks every invariant; refuses to go on from corrupt books.
pub async fn verify_books(store: &dyn Store) -> Result<Journal, InvoiceError> {
    Ok(Journal::verify(store.journal().await?)?)
}

/// Records a payment; the same reference again changes nothing.
pub async fn record_payment(
    store: &dyn Store,
    invoice_number: &str,
    key: &str,
    amount: Amount,
    received_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(Payment, bool), InvoiceError> {
    let invoice =
        store.invoice(invoice_number).await?.ok_or_else(|| InvoiceError::UnknownInvoice(invoice_number.into()))?;
    let paid = store.payments(invoice_number).await?;
    if let Some(same) = paid.iter().find(|p| p.key == key) {
        return Ok((same.clone(), false));
    }
    let idempotency_key = format!("payment {key}");
    if let Some(entry) = store.journal_entry_by_key(&idempotency_key).await? {
        return Err(InvoiceError::PaymentKeyReused { key: key.into(), existing: entry.description });
    }
    if amount.currency() != invoice.currency {
        return Err(InvoiceError::PaymentCurrency {
            invoice: invoice.number,
            expected: invoice.currency,
            found: amount.currency(),
        });
    }
    if invoice.kind == InvoiceKind::CreditNote || invoice.status == InvoiceStatus::Credited {
        return Err(InvoiceError::WrongStatus {
            number: invoice.number,
            status: invoice.status.as_str(),
            what: "a payment belongs to the invoice that replaced it",
        });
    }
    let total_paid = paid.iter().try_fold(amount, |sum, p| sum.checked_add(p.amount))?;
    let status = match (invoice.status, total_paid.micros() >= invoice.rated.total.micros()) {
        (_, true) => InvoiceStatus::Paid,
        (InvoiceStatus::Disputed, false) => InvoiceStatus::Disputed,
        (_, false) => InvoiceStatus::PartiallyPaid,
    };
    let entry = JournalEntry {
        number: 0,
        idempotency_key: Some(idempotency_key),
        posted_at: now,
        description: format!("payment {key} for {}", invoice.number),
        postings: vec![
            Posting::debit(Account::Cash, amount),
            Posting::credit(Account::Receivable { licensee: invoice.licensee.clone() }, amount)?,
        ],
    };
    let payment =
        Payment { key: key.into(), invoice: invoice.number, amount, received_on, recorded_at: now, journal_entry: 0 };
    let payment = store.record_payment(payment, entry, status).await?;
    verify_books(store).await?;
    Ok((payment, true))
}

/// Marks an invoice disputed, or (with `open == false`) settles the dispute back to its payment status.
pub async fn dispute(store: &dyn Store, number: &str, open: bool) -> Result<Invoice, InvoiceError> {
    let invoice = store.invoice(number).await?.ok_or_else(|| InvoiceError::UnknownInvoice(number.into()))?;
    if matches!(invoice.status, InvoiceStatus::Credited) || invoice.kind == InvoiceKind::CreditNote {
        return Err(InvoiceError::WrongStatus {
            number: number.into(),
            status: invoice.status.as_str(),
            what: "only a standing invoice can be disputed",
        });
    }
    let status = if open {
        InvoiceStatus::Disputed
    } else {
        let paid = store.payments(number).await?.iter().map(|p| p.amount.micros()).sum::<i64>();
        match paid {
            0 => InvoiceStatus::Issued,
            p if p >= invoice.rated.total.micros() => InvoiceStatus::Paid,
            _ => InvoiceStatus::PartiallyPaid,
        }
    };
    store.set_invoice_status(number, status).await?;
    store.invoice(number).await?.ok_or_else(|| InvoiceError::UnknownInvoice(number.into()))
}

/// What happens to a held presumption part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The window passed without a fully transparent disclosure: the money goes to the training pool.
    Release,
    /// A fully transparent disclosure arrived within the window: the money is credited to the licensee.
    CreditBack,
}

/// What settling a presumption part did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Posted as this journal entry.
    Posted(u64),
    /// Settled before (by this entry): nothing changed.
    Already(u64),
    /// The invoice holds nothing by presumption (or was cancelled).
    NothingHeld,
}

/// Settles the presumption part held by an invoice, once.
pub async fn settle_presumption(
    store: &dyn Store,
    number: &str,
    how: Settlement,
    now: DateTime<Utc>,
) -> Result<Settled, InvoiceError> {
    let invoice = store.invoice(number).await?.ok_or_else(|| InvoiceError::UnknownInvoice(number.into()))?;
    let held = invoice.rated.presumption_held;
    if held.is_zero() || invoice.kind != InvoiceKind::Invoice || invoice.status == InvoiceStatus::Credited {
        return Ok(Settled::NothingHeld);
    }
    let key = format!("presumption settled {number}");
    if let Some(entry) = store.journal_entry_by_key(&key).await? {
        return Ok(Settled::Already(entry.number));
    }
    let (to, what) = match how {
        Settlement::Release => (
            Account::Pool { stage: PoolStage::Training, period: invoice.period.to_string() },
            "released to distribution",
        ),
        Settlement::CreditBack => (
            Account::Receivable { licensee: invoice.licensee.clone() },
            "credited back after a fully transparent disclosure",
        ),
    };
    let entry = JournalEntry {
        number: 0,
        idempotency_key: Some(key),
        posted_at: now,
        description: format!("presumption part of {number} {what}"),
        postings: vec![
            Posting::debit(Account::Presumption { licensee: invoice.licensee.clone() }, held),
            Posting::credit(to, held)?,
        ],
    };
    let number = store.post_entry(entry).await?;
    verify_books(store).await?;
    Ok(Settled::Posted(number))
}

/// Releases every held presumption part whose window has passed by `today`.
pub async fn release_due_presumptions(
    store: &dyn Store,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<String>, InvoiceError> {
    let mut released = Vec::new();
    for invoice in store.invoices(None).await? {
        if invoice.rated.presumption_held.is_zero() || invoice.kind != InvoiceKind::Invoice {
            continue;
        }
        let Some(agreement) = store.agreement_of(&invoice.licensee).await? else { continue };
        let window = agreement.record_on(invoice.period.first_day()).map_or(365, |r| r.terms.presumption.window_days);
        let ends = invoice.issued_on.checked_add_days(Days::new(u64::from(window))).unwrap_or(invoice.issued_on);
        if today > ends
            && matches!(settle_presumption(store, &invoice.number, Settlement::Release, now).await?, Settled::Posted(_))
        {
            released.push(invoice.number);
        }
    }
    Ok(released)
}
