//! Invoicing: rating a period for each licensee under the agreement version in force on the period's first
//! day, numbering invoices without gaps, posting them to the journal, and correcting them: when a period's
//! reports change, the standing invoice is cancelled by a credit note and a new one issued in the same
//! transaction. Advances on royalties are invoiced here too. Payments, disputes and the settlement of the
//! presumption part are in [`settlement`](super::settlement). Every posting carries an idempotency key, so
//! running anything twice changes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use domain::Period;
use domain::licensing::{AgreementStatus, Licensee};
use ledger::{Account, JournalEntry, PoolStage, Posting};
use money::{Amount, Currency, MoneyError, Rate};
use rating::{Adjustments, RatingError, Vat, rate_advance, rate_period};
use sha2::{Digest, Sha256};

use super::pricing::{output_usage, relicense, service_usage, training_usage};
use super::store::{Invoice, InvoiceKind, InvoiceStatus, PendingInvoice, StoredAgreement, UsageRow};
use super::terms::Frequency;
use super::vat;
use crate::store::LicensingStore;
use domain::ids::{InvoiceNumber, LicenseeId};
use ports::StoreError;
use ports::access::{Actor, Denied, Scope, UseCase};

pub use super::settlement::{
    HeldPart, Settled, Settlement, dispute, held_parts, record_payment, release_due_presumptions, settle_part,
    settle_presumption,
};

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
    #[error("a payment must be more than zero: record a refund as a credit note")]
    PaymentNotPositive,
    #[error("agreement {0} has no advance: set one with `tantiem agreement amend --advance AMOUNT`")]
    NoAdvance(String),
    #[error(
        "a payment of {amount} is more than invoice {number} still owes ({owed}): nothing was recorded. Record what \
         is owed, and refund or agree on the rest with the licensee"
    )]
    Overpayment { number: String, amount: Amount, owed: Amount },
    #[error("payment reference {key:?} was already used for {existing}")]
    PaymentKeyReused { key: String, existing: String },
    #[error("invoice {number} is {status}: {what}")]
    WrongStatus { number: String, status: &'static str, what: &'static str },
    #[error("VAT cannot be decided: {0}")]
    Vat(String),
    #[error("the books do not verify: {0}")]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    Books(#[from] books::BooksError),
    #[error(transparent)]
    Rating(#[from] RatingError),
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] Denied),
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
    /// The reports changed and nothing is owed any more: the invoice was cancelled by a credit note.
    Cancelled {
        credit_note: Box<Invoice>,
    },
    /// Nothing to invoice (with the reason).
    Nothing(String),
    /// This licensee could not be invoiced (with the reason); the others were.
    Failed(String),
}

/// Rates and invoices a period. A licensee that cannot be invoiced (a missing rate, say) is reported as
/// failed and the run goes on with the others.
#[tracing::instrument(skip_all)]
pub async fn run_invoices(
    store: &dyn LicensingStore,
    actor: &Actor,
    run: &InvoiceRun<'_>,
) -> Result<Vec<(String, RunOutcome)>, InvoiceError> {
    actor.may(UseCase::RunInvoices, Scope::Society)?;
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let society_country = society.code.info().map(|i| i.country.clone()).unwrap_or_default();
    let agreements = match run.licensee {
        Some(l) => vec![store.agreement_of(l).await?.ok_or_else(|| InvoiceError::UnknownLicensee(l.into()))?],
        None => store.agreements().await?,
    };
    let single = run.licensee.is_some();
    let mut out = Vec::new();
    for agreement in agreements {
        let licensee = store
            .licensee(&agreement.licensee)
            .await?
            .ok_or_else(|| InvoiceError::UnknownLicensee(agreement.licensee.clone()))?;
        let mut attempt = invoice_licensee(store, run, &agreement, &licensee, &society_country).await;
        if matches!(&attempt, Err(InvoiceError::Store(e)) if e.is_conflict()) {
            // Another run invoiced this licensee at the same moment and its numbers stand: decide again
            // from what it stored (usually: nothing left to invoice).
            attempt = invoice_licensee(store, run, &agreement, &licensee, &society_country).await;
        }
        let outcome = match attempt {
            Ok(outcome) => outcome,
            Err(e @ InvoiceError::Store(_)) => return Err(e),
            Err(e) if single => return Err(e),
            Err(e) => RunOutcome::Failed(e.to_string()),
        };
        out.push((licensee.id.clone(), outcome));
    }
    verify_books(store, run.now).await?;
    Ok(out)
}

/// Why a period cannot be invoiced under the version in force, if it cannot.
fn not_invoiceable(agreement: &StoredAgreement, period: Period) -> Option<String> {
    let Some(record) = agreement.record_on(period.first_day()) else {
        return Some(format!("no agreement version in force on {}", period.first_day()));
    };
    let v = &record.coverage;
    if v.status != AgreementStatus::Active {
        return Some(format!("agreement {} is {:?} from {}", agreement.id, v.status, v.effective_from).to_lowercase());
    }
    if let Some(until) = v.term_until.filter(|u| *u < period.first_day()) {
        return Some(format!("agreement {}'s term ended on {until}", agreement.id));
    }
    let months = period.months().len();
    match (record.terms.reporting.frequency, months) {
        (Frequency::Monthly, 1) | (Frequency::Quarterly, 3) => None,
        (f, _) => {
            Some(format!("agreement {} reports {f:?}; invoice its periods that way", agreement.id).to_lowercase())
        }
    }
}

async fn invoice_licensee(
    store: &dyn LicensingStore,
    run: &InvoiceRun<'_>,
    agreement: &StoredAgreement,
    licensee: &Licensee,
    society_country: &str,
) -> Result<RunOutcome, InvoiceError> {
    if let Some(why) = not_invoiceable(agreement, run.period) {
        return Ok(RunOutcome::Nothing(why));
    }
    let Some(record) = agreement.record_on(run.period.first_day()) else {
        return Ok(RunOutcome::Nothing("no agreement version in force".into()));
    };
    let tariff = &record.terms.tariff;
    let mut usage = store.usage(&licensee.id, run.period).await?;
    relicense(&mut usage, agreement, run.period);
    let existing = current_invoice(store, &licensee.id, run.period).await?;
    let mut notes = Vec::new();
    let priced_before = existing.as_ref().map_or(&[][..], |e| e.training.as_slice());
    let training = training_usage(store, licensee, agreement, run.period, priced_before, &mut notes).await?;
    let mut basis: Vec<String> = store
        .reports(&licensee.id)
        .await?
        .into_iter()
        .filter(|r| r.current && r.period == run.period)
        .map(|r| format!("report {}#{} {}", r.report_id, r.revision, r.sha256))
        .collect();
    basis.extend(training.iter().map(|t| format!("training of model {}", t.model_version)));
    basis.push(format!("agreement {} version {}", agreement.id, record.coverage.version));
    if let Some(existing) = existing.as_ref().filter(|e| e.basis == basis) {
        return Ok(RunOutcome::Unchanged(Box::new(existing.clone())));
    }
    let mut conversions = Vec::new();
    let service = service_usage(&usage, tariff.currency, run.rates, &mut conversions)?;
    let output = output_usage(&usage, tariff.currency, run.rates, &mut conversions)?;
    let vat = vat_for(society_country, licensee)?;
    let advance = match record.terms.advance {
        Some(_) => Some(unrecouped_advance(store, &licensee.id, tariff.currency, existing.as_ref()).await?),
        None => None,
    };
    let adjustments = Adjustments { minimum_guarantee: record.terms.minimum_guarantee, advance_unrecouped: advance };
    let nothing_to_rate =
        training.is_empty() && service.is_empty() && output.is_empty() && record.terms.minimum_guarantee.is_none();
    let rated = rate_period(tariff, &training, &service, &output, adjustments, &vat)?;
    let mut invoice = Invoice {
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
        unlicensed: usage.iter().filter(|u| !u.licensed).map(describe).collect(),
        basis,
        corrects: None,
        status: InvoiceStatus::Issued,
        journal_entry: 0,
        training,
        paid_before: None,
        held_since: None,
        notes,
    };
    let entry = invoice_entry(&invoice, run.now, existing.as_ref().map(|e| e.number.as_str()))?;
    let chargeable = !nothing_to_rate && entry.postings.len() >= 2;
    let Some(old) = existing else {
        if !chargeable {
            return Ok(RunOutcome::Nothing("no reports, new model versions or guarantee for the period".into()));
        }
        settle_if_nothing_due(&mut invoice);
        let issued = issue(store, vec![pending(invoice, "INV", run.issued_on, entry)]).await?;
        return Ok(RunOutcome::Issued(Box::new(one(issued)?)));
    };
    let credit_note = credit_note(store, &old, run.issued_on, run.now).await?;
    if !chargeable {
        let issued = issue(store, vec![credit_note]).await?;
        return Ok(RunOutcome::Cancelled { credit_note: Box::new(one(issued)?) });
    }
    invoice.paid_before = Some(paid_so_far(store, &old).await?);
    invoice.held_since = Some(old.held_since.unwrap_or(old.issued_on));
    settle_if_nothing_due(&mut invoice);
    let mut issued = issue(store, vec![credit_note, pending(invoice, "INV", run.issued_on, entry)]).await?.into_iter();
    match (issued.next(), issued.next()) {
        (Some(credit_note), Some(invoice)) => {
            Ok(RunOutcome::Corrected { credit_note: Box::new(credit_note), invoice: Box::new(invoice) })
        }
        _ => {
            Err(InvoiceError::Store(StoreError::Corrupt("the store returned fewer invoices than it was given".into())))
        }
    }
}

/// An invoice nothing is owed on (an advance met it, or earlier payments did) is settled as issued.
fn settle_if_nothing_due(invoice: &mut Invoice) {
    let paid = invoice.paid_before.map_or(0, |p| p.micros());
    if invoice.rated.total.micros() <= paid {
        invoice.status = InvoiceStatus::Paid;
    } else if paid > 0 {
        invoice.status = InvoiceStatus::PartiallyPaid;
    }
}

fn pending(invoice: Invoice, prefix: &str, day: NaiveDate, entry: JournalEntry) -> PendingInvoice {
    PendingInvoice { invoice, series: format!("{prefix}-{}", day.year()), entry }
}

/// Numbers and stores invoices with their entries. The books are read back and verified once per run
/// (by the caller), not after each licensee: reading the whole journal per posting grows with the books.
async fn issue(store: &dyn LicensingStore, batch: Vec<PendingInvoice>) -> Result<Vec<Invoice>, InvoiceError> {
    Ok(store.issue_invoices(batch).await?)
}

fn one(mut issued: Vec<Invoice>) -> Result<Invoice, InvoiceError> {
    issued.pop().ok_or_else(|| InvoiceError::Store(StoreError::Corrupt("the store returned no invoice".into())))
}

fn vat_for(society_country: &str, licensee: &Licensee) -> Result<Vat, InvoiceError> {
    vat::treatment(society_country, &licensee.country, licensee.vat_number.as_deref()).map_err(InvoiceError::Vat)
}

fn describe(u: &UsageRow) -> String {
    match u.stage {
        domain::Stage::Output if u.service.is_empty() => {
            format!(
                "output {} in {} not linked to a reported AI output ({} usages, {})",
                u.use_type, u.territory, u.usages, u.revenue
            )
        }
        domain::Stage::Output => {
            format!("output {} {} in {} ({} usages, {})", u.service, u.use_type, u.territory, u.usages, u.revenue)
        }
        _ => format!("service {} in {} ({})", u.service, u.territory, u.revenue),
    }
}

/// The licensee's invoice for the period that still stands (not cancelled by a credit note).
async fn current_invoice(
    store: &dyn LicensingStore,
    licensee: &str,
    period: Period,
) -> Result<Option<Invoice>, InvoiceError> {
    Ok(store
        .invoices(Some(licensee))
        .await?
        .into_iter()
        .rfind(|i| i.kind == InvoiceKind::Invoice && i.period == period && i.status != InvoiceStatus::Credited))
}

/// What was paid towards an invoice, including what was paid towards the invoices it replaced.
#[tracing::instrument(skip_all)]
pub(super) async fn paid_so_far(store: &dyn LicensingStore, invoice: &Invoice) -> Result<Amount, InvoiceError> {
    paid_in(invoice, &store.payments(&invoice.number).await?)
}

/// What `payments` and the invoices `invoice` replaced paid towards it.
pub(super) fn paid_in(invoice: &Invoice, payments: &[super::store::Payment]) -> Result<Amount, InvoiceError> {
    let before = invoice.paid_before.unwrap_or(Amount::zero(invoice.currency));
    Ok(payments.iter().try_fold(before, |sum, p| sum.checked_add(p.amount))?)
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

/// The advance invoiced and not yet recouped, counting as unrecouped what the invoice being replaced (if
/// any) recouped.
async fn unrecouped_advance(
    store: &dyn LicensingStore,
    licensee: &str,
    currency: Currency,
    replaced: Option<&Invoice>,
) -> Result<Amount, InvoiceError> {
    let held = store.balance(&Account::Advance { licensee: licensee.to_owned() }, currency).await?.checked_neg()?;
    let given_back = replaced
        .into_iter()
        .flat_map(|i| &i.rated.lines)
        .filter(|l| l.stage == rating::Stage::AdvanceRecouped)
        .try_fold(Amount::zero(currency), |sum, l| sum.checked_sub(l.charge.amount))?;
    Ok(held.checked_add(given_back)?)
}

/// Invoices the agreement's advance on royalties, once.
#[tracing::instrument(skip_all)]
pub async fn invoice_advance(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    issued_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Invoice, InvoiceError> {
    actor.may(UseCase::InvoiceAdvance, Scope::Society)?;
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
    let invoice = Invoice {
        number: String::new(),
        kind: InvoiceKind::Advance,
        licensee: customer.id.clone(),
        licensee_name: customer.name.clone(),
        period: Period::month_of(issued_on),
        agreement: agreement.id.clone(),
        agreement_version: record.coverage.version,
        issued_on,
        due_on: issued_on.checked_add_days(Days::new(u64::from(record.terms.payment_days))).unwrap_or(issued_on),
        currency: advance.currency(),
        conversions: Vec::new(),
        rated: rate_advance(advance, &vat_for(&country, &customer)?)?,
        unlicensed: Vec::new(),
        basis: vec![format!("advance of agreement {} version {}", agreement.id, record.coverage.version)],
        corrects: None,
        status: InvoiceStatus::Issued,
        journal_entry: 0,
        training: Vec::new(),
        paid_before: None,
        held_since: None,
        notes: Vec::new(),
    };
    let mut entry = invoice_entry(&invoice, now, None)?;
    entry.idempotency_key = Some(key);
    entry.description = format!("advance invoiced to {licensee}");
    entry.source = books::source::ADVANCE.to_owned();
    let issued = one(issue(store, vec![pending(invoice, "INV", issued_on, entry)]).await?)?;
    verify_books(store, now).await?;
    Ok(issued)
}

/// The journal entry of an invoice: the receivable against the pools, the presumption account, advances
/// and VAT. `replacing` names the invoice this one replaces (part of the key, so a later correction back
/// to earlier reports is a new entry).
fn invoice_entry(invoice: &Invoice, now: DateTime<Utc>, replacing: Option<&str>) -> Result<JournalEntry, InvoiceError> {
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
    let replacing = replacing.map_or(String::new(), |n| format!(" replacing {n}"));
    Ok(JournalEntry {
        number: 0,
        idempotency_key: Some(format!(
            "invoice {} {} {}{replacing}",
            invoice.licensee,
            invoice.period,
            basis_hash(&invoice.basis)
        )),
        posted_at: now,
        description: format!("invoice for {} {}", invoice.licensee, invoice.period),
        source: books::source::INVOICE.to_owned(),
        postings,
    })
}

fn basis_hash(basis: &[String]) -> String {
    let mut h = Sha256::new();
    for b in basis {
        h.update(b.as_bytes());
        h.update([0]);
    }
    ports::hex(&h.finalize()[..8])
}

/// A credit note cancelling an invoice: its document states the invoice's amounts negated; its entry
/// reverses the invoice's postings and, where the presumption part was already settled, that settlement
/// too (the replacing invoice holds its own part, settled in its turn).
async fn credit_note(
    store: &dyn LicensingStore,
    old: &Invoice,
    issued_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<PendingInvoice, InvoiceError> {
    let original =
        store.journal_entry(old.journal_entry).await?.ok_or(InvoiceError::UnknownInvoice(old.number.clone()))?;
    // Each model version's settlement, and the one that settled the whole invoice before parts were settled
    // per model version (an invoice of then may not list its training figures).
    let mut settlements: Vec<JournalEntry> = Vec::new();
    let whole = store.journal_entry_by_key(&super::settlement::whole_invoice_key(&old.number)).await?;
    settlements.extend(whole);
    for t in &old.training {
        if let Some(entry) = super::settlement::settlement_of(store, &old.number, &t.model_version).await?
            && !settlements.iter().any(|e| e.number == entry.number)
        {
            settlements.push(entry);
        }
    }
    let mut reversed: Vec<&Posting> = original.postings.iter().collect();
    reversed.extend(settlements.iter().flat_map(|e| &e.postings));
    let mut net: BTreeMap<(Account, Currency), i64> = BTreeMap::new();
    for p in reversed {
        *net.entry((p.account.clone(), p.amount.currency())).or_default() -= p.amount.micros();
    }
    let postings = net
        .into_iter()
        .filter(|(_, micros)| *micros != 0)
        .map(|((account, currency), micros)| Posting { account, amount: Amount::from_micros(micros, currency) })
        .collect();
    let entry = JournalEntry {
        number: 0,
        idempotency_key: Some(format!("credit note for {}", old.number)),
        posted_at: now,
        description: format!("credit note cancelling {}", old.number),
        source: books::source::CREDIT_NOTE.to_owned(),
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
        rated: old.rated.negated()?,
        ..old.clone()
    };
    Ok(pending(note, "CN", issued_on, entry))
}

/// The invoices, credit notes and advances of one licensee, or with `None` of every licensee.
#[tracing::instrument(skip_all)]
pub async fn invoices(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: Option<&LicenseeId>,
) -> Result<Vec<Invoice>, InvoiceError> {
    let licensee = licensee.map(|l| l.as_str());
    actor.may(UseCase::ListInvoices, licensee.map_or(Scope::Society, Scope::Licensee))?;
    Ok(store.invoices(licensee).await?)
}

/// One invoice, credit note or advance by number.
#[tracing::instrument(skip_all)]
pub async fn invoice(
    store: &dyn LicensingStore,
    actor: &Actor,
    number: &InvoiceNumber,
) -> Result<Invoice, InvoiceError> {
    let found = store.invoice(number).await?;
    // Whose it is is known once it is found; a licensee asking for another's number is refused either way.
    actor.may(UseCase::ShowInvoice, found.as_ref().map_or(Scope::Society, |i| Scope::Licensee(&i.licensee)))?;
    found.ok_or_else(|| InvoiceError::UnknownInvoice(number.to_string()))
}

/// Verifies the books from the last checkpoint; refuses to go on from corrupt books.
#[tracing::instrument(skip_all)]
pub(crate) async fn verify_books(
    store: &dyn LicensingStore,
    now: DateTime<Utc>,
) -> Result<books::Verified, InvoiceError> {
    Ok(books::check(store, false, now).await?)
}
