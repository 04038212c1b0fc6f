//! After an invoice: payments (idempotent by the bank's reference), disputes, and the settlement of the
//! part of a training fee held by the presumption rule — released to the training pool when its window
//! passes, or credited back (with its VAT) when a fully transparent disclosure arrives in time.

use chrono::{DateTime, Days, NaiveDate, Utc};
use ledger::{Account, JournalEntry, PoolStage, Posting};
use money::Amount;

use super::invoicing::{InvoiceError, paid_in, verify_books};
use super::store::{Invoice, InvoiceChange, InvoiceDecision, InvoiceKind, InvoiceStatus, Payment};
use crate::store::LicensingStore;
use domain::ids::{InvoiceNumber, LicenseeId};
use ports::access::{Actor, Scope, UseCase};
use ports::{StoreError, stored_id};

/// Records a payment; the same reference again changes nothing. Decided under the invoice's lock, so two
/// payments at once each see the other's, and a disputed invoice stays disputed until the dispute is settled.
#[tracing::instrument(skip_all)]
pub async fn record_payment(
    store: &dyn LicensingStore,
    actor: &Actor,
    invoice_number: &InvoiceNumber,
    key: &str,
    amount: Amount,
    received_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(Payment, bool), InvoiceError> {
    actor.may(UseCase::RecordPayment, Scope::Society)?;
    let idempotency_key = format!("payment {key}");
    // A reference used for another invoice's payment is refused by name here; the journal's unique key
    // refuses one that races this.
    let used_before = store.journal_entry_by_key(&idempotency_key).await?.map(|e| e.description);
    let reference = key.to_owned();
    let key = key.to_owned();
    let decide: InvoiceDecision = Box::new(move |invoice: &Invoice, paid: &[Payment]| {
        if paid.iter().any(|p| p.key == key) {
            return Ok(InvoiceChange::Nothing);
        }
        if let Some(existing) = used_before {
            return Err(InvoiceError::PaymentKeyReused { key, existing });
        }
        check_payable(invoice, amount)?;
        let paid_so_far = paid_in(invoice, paid)?;
        let total_paid = paid_so_far.checked_add(amount)?;
        if total_paid.micros() > invoice.rated.total.micros() {
            // More than is owed would leave the licensee in credit on an account that keeps no credits.
            return Err(InvoiceError::Overpayment {
                number: invoice.number.clone(),
                amount,
                owed: invoice.rated.total.checked_sub(paid_so_far)?,
            });
        }
        let status = match (invoice.status, total_paid.micros() >= invoice.rated.total.micros()) {
            (InvoiceStatus::Disputed, _) => InvoiceStatus::Disputed,
            (_, true) => InvoiceStatus::Paid,
            (_, false) => InvoiceStatus::PartiallyPaid,
        };
        let entry = JournalEntry {
            number: 0,
            idempotency_key: Some(idempotency_key),
            posted_at: now,
            description: format!("payment {key} for {}", invoice.number),
            source: books::source::PAYMENT.to_owned(),
            postings: vec![
                Posting::debit(Account::Cash, amount),
                Posting::credit(Account::Receivable { licensee: invoice.licensee.clone() }, amount)?,
            ],
        };
        let payment =
            Payment { key, invoice: invoice.number.clone(), amount, received_on, recorded_at: now, journal_entry: 0 };
        Ok(InvoiceChange::Payment { payment: Box::new(payment), entry: Box::new(entry), status })
    });
    let changed = store.change_invoice(invoice_number, decide).await??;
    if let Some(payment) = changed.payment {
        verify_books(store, now).await?;
        return Ok((payment, true));
    }
    // Recorded before (by an earlier call, or by one that held the lock first).
    let earlier = store.payments(invoice_number).await?.into_iter().find(|p| p.key == reference);
    let earlier = earlier.ok_or_else(|| StoreError::Corrupt(format!("payment {reference} vanished")))?;
    Ok((earlier, false))
}

/// Refuses a payment an invoice cannot take: not positive, in another currency, or for a credit note or an
/// invoice a credit note cancelled.
fn check_payable(invoice: &Invoice, amount: Amount) -> Result<(), InvoiceError> {
    if amount.micros() <= 0 {
        return Err(InvoiceError::PaymentNotPositive);
    }
    if amount.currency() != invoice.currency {
        return Err(InvoiceError::PaymentCurrency {
            invoice: invoice.number.clone(),
            expected: invoice.currency,
            found: amount.currency(),
        });
    }
    if invoice.kind == InvoiceKind::CreditNote || invoice.status == InvoiceStatus::Credited {
        return Err(InvoiceError::WrongStatus {
            number: invoice.number.clone(),
            status: invoice.status.as_str(),
            what: "a payment belongs to the invoice that replaced it",
        });
    }
    Ok(())
}

/// Marks an invoice disputed, or (with `open == false`) settles the dispute back to its payment status;
/// decided under the invoice's lock, from the payments as they stand.
#[tracing::instrument(skip_all)]
pub async fn dispute(
    store: &dyn LicensingStore,
    actor: &Actor,
    number: &InvoiceNumber,
    open: bool,
) -> Result<Invoice, InvoiceError> {
    actor.may(UseCase::Dispute, Scope::Society)?;
    let decide: InvoiceDecision = Box::new(move |invoice: &Invoice, paid: &[Payment]| {
        if matches!(invoice.status, InvoiceStatus::Credited) || invoice.kind == InvoiceKind::CreditNote {
            return Err(InvoiceError::WrongStatus {
                number: invoice.number.clone(),
                status: invoice.status.as_str(),
                what: "only a standing invoice can be disputed",
            });
        }
        if open {
            return Ok(InvoiceChange::Status(InvoiceStatus::Disputed));
        }
        let paid = paid_in(invoice, paid)?.micros();
        Ok(InvoiceChange::Status(match paid {
            0 => InvoiceStatus::Issued,
            p if p >= invoice.rated.total.micros() => InvoiceStatus::Paid,
            _ => InvoiceStatus::PartiallyPaid,
        }))
    });
    Ok(store.change_invoice(number, decide).await??.invoice)
}

/// What happens to a held presumption part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The window passed without a fully transparent disclosure: the money goes to the training pool.
    Release,
    /// A fully transparent disclosure arrived within the window: the money (and its VAT) is credited back,
    /// all but what the disclosure itself makes owed: the fee for the licensed works it matched beyond
    /// those the invoice already priced as disclosed, which goes to the training pool.
    CreditBack {
        /// Licensed works the fully transparent disclosure matched (`None`: credit the whole part back).
        works_matched: Option<u64>,
    },
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

/// The idempotency key of the settlement of one model version's presumption part on an invoice (a credit
/// note reverses it too).
fn settlement_key(invoice: &str, model_version: &str) -> String {
    format!("presumption settled {invoice} model {model_version}")
}

/// The key an invoice's presumption was settled under before parts were settled per model version: such
/// an entry settled every part of the invoice.
pub(super) fn whole_invoice_key(invoice: &str) -> String {
    format!("presumption settled {invoice}")
}

/// The entry that settled a model version's part on an invoice, if one did (its own, or one for the whole
/// invoice from before parts were settled per model version).
#[tracing::instrument(skip_all)]
pub(super) async fn settlement_of(
    store: &dyn LicensingStore,
    invoice: &str,
    model_version: &str,
) -> Result<Option<JournalEntry>, InvoiceError> {
    if let Some(entry) = store.journal_entry_by_key(&settlement_key(invoice, model_version)).await? {
        return Ok(Some(entry));
    }
    Ok(store.journal_entry_by_key(&whole_invoice_key(invoice)).await?)
}

/// How a model version's presumption part on an invoice was settled, as distribution needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledPart {
    pub model_version: String,
    /// Released to distribution after its window (otherwise credited back after a full disclosure).
    pub released: bool,
    /// What went to the training pool: the whole part when released, what the disclosure's matched works
    /// make owed when credited back.
    pub to_pool: Amount,
    /// What the licensee was credited back, VAT included (nothing when released).
    pub credited: Amount,
}

/// The settled presumption parts of an invoice, read from their journal entries.
#[tracing::instrument(skip_all)]
pub async fn settled_parts(
    store: &dyn LicensingStore,
    actor: &Actor,
    invoice: &Invoice,
) -> Result<Vec<SettledPart>, InvoiceError> {
    actor.may(UseCase::HeldParts, Scope::Society)?;
    let mut out = Vec::new();
    for (model_version, held) in held_lines(invoice) {
        let Some(entry) = settlement_of(store, &invoice.number, &model_version).await? else { continue };
        let credited_to = |kind: &str| {
            entry
                .postings
                .iter()
                .filter(|p| p.account.kind() == kind && p.amount.micros() < 0)
                .map(|p| p.amount.micros().unsigned_abs())
                .sum::<u64>()
        };
        let micros = |m: u64| Amount::from_micros(i64::try_from(m).unwrap_or(i64::MAX), held.currency());
        let credited = micros(credited_to("receivable"));
        out.push(SettledPart {
            model_version,
            released: credited.is_zero() && credited_to("pool") == held.micros().unsigned_abs(),
            to_pool: micros(credited_to("pool")),
            credited,
        });
    }
    Ok(out)
}

/// A model version's presumption part held on an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPart {
    pub invoice: String,
    pub model_version: String,
    pub held: Amount,
    /// Works the training fee was priced on, and how many of them the disclosure named then.
    pub works_used: u64,
    pub works_disclosed: u64,
    /// Until this day a fully transparent disclosure credits the part back; after it, it is released.
    pub window_ends: NaiveDate,
}

/// The training lines of an invoice holding a presumption part, by model version. Lines written before
/// they named their model version follow the invoice's training figures in order, one line each.
fn held_lines(invoice: &Invoice) -> Vec<(String, Amount)> {
    if invoice.kind != InvoiceKind::Invoice || invoice.status == InvoiceStatus::Credited {
        return Vec::new();
    }
    invoice
        .rated
        .lines
        .iter()
        .filter(|l| l.stage == rating::Stage::Training)
        .enumerate()
        .filter(|(_, l)| !l.presumption_part.is_zero())
        .filter_map(|(n, l)| {
            let model = l.model_version.clone().or_else(|| invoice.training.get(n).map(|t| t.model_version.clone()));
            model.map(|m| (m, l.presumption_part))
        })
        .collect()
}

/// The parts an invoice holds, with their windows.
async fn parts_of(store: &dyn LicensingStore, invoice: &Invoice) -> Result<Vec<HeldPart>, InvoiceError> {
    let lines = held_lines(invoice);
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    let window = match store.agreement(&invoice.agreement).await? {
        Some(agreement) => agreement
            .versions
            .iter()
            .find(|v| v.coverage.version == invoice.agreement_version)
            .map_or(365, |r| r.terms.presumption.window_days),
        None => 365,
    };
    let since = invoice.held_since.unwrap_or(invoice.issued_on);
    let window_ends = since.checked_add_days(Days::new(u64::from(window))).unwrap_or(since);
    Ok(lines
        .into_iter()
        .map(|(model, held)| {
            let priced = invoice.training.iter().find(|t| t.model_version == model);
            HeldPart {
                invoice: invoice.number.clone(),
                works_used: priced.map_or(0, |t| t.works_used),
                works_disclosed: priced.map_or(0, |t| t.works_disclosed),
                model_version: model,
                held,
                window_ends,
            }
        })
        .collect())
}

/// The presumption parts held and not yet settled, of one licensee (or all), oldest invoice first.
#[tracing::instrument(skip_all)]
pub async fn held_parts(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: Option<&LicenseeId>,
) -> Result<Vec<HeldPart>, InvoiceError> {
    actor.may(UseCase::HeldParts, Scope::Society)?;
    let mut out = Vec::new();
    for invoice in store.invoices(licensee.map(|l| l.as_str())).await? {
        for part in parts_of(store, &invoice).await? {
            if settlement_of(store, &part.invoice, &part.model_version).await?.is_none() {
                out.push(part);
            }
        }
    }
    Ok(out)
}

/// Settles one model version's presumption part on an invoice, once.
#[tracing::instrument(skip_all)]
pub async fn settle_part(
    store: &dyn LicensingStore,
    actor: &Actor,
    invoice_number: &InvoiceNumber,
    model_version: &str,
    how: Settlement,
    now: DateTime<Utc>,
) -> Result<Settled, InvoiceError> {
    actor.may(UseCase::SettlePresumption, Scope::Society)?;
    let invoice =
        store.invoice(invoice_number).await?.ok_or_else(|| InvoiceError::UnknownInvoice(invoice_number.into()))?;
    let Some(part) = parts_of(store, &invoice).await?.into_iter().find(|p| p.model_version == model_version) else {
        return Ok(Settled::NothingHeld);
    };
    if let Some(entry) = settlement_of(store, invoice_number, model_version).await? {
        return Ok(Settled::Already(entry.number));
    }
    let key = settlement_key(invoice_number, model_version);
    let held = part.held;
    let presumption = Account::Presumption { licensee: invoice.licensee.clone() };
    let pool = Account::Pool { stage: PoolStage::Training, period: invoice.period.to_string() };
    let (postings, what) = match how {
        Settlement::Release => (
            vec![Posting::debit(presumption, held), Posting::credit(pool, held)?],
            "released to distribution".to_owned(),
        ),
        Settlement::CreditBack { works_matched } => {
            let owed = owed_by_disclosure(store, &invoice, &part, works_matched).await?;
            let credited = held.checked_sub(owed)?;
            // The VAT charged on the part credited back is credited with it.
            let vat = invoice
                .rated
                .vat_rate
                .map_or(Amount::zero(held.currency()), |rate| credited.mul_share(rate).0.split_payable().0);
            let mut postings = vec![Posting::debit(presumption, held)];
            if !vat.is_zero() {
                postings.push(Posting::debit(Account::VatPayable, vat));
            }
            if !owed.is_zero() {
                postings.push(Posting::credit(pool, owed)?);
            }
            if !credited.is_zero() || !vat.is_zero() {
                postings.push(Posting::credit(
                    Account::Receivable { licensee: invoice.licensee.clone() },
                    credited.checked_add(vat)?,
                )?);
            }
            let what = if owed.is_zero() {
                "credited back after a fully transparent disclosure".to_owned()
            } else {
                format!(
                    "credited back after a fully transparent disclosure, but for {owed} its matched works make owed"
                )
            };
            (postings, what)
        }
    };
    let entry = JournalEntry {
        number: 0,
        idempotency_key: Some(key),
        posted_at: now,
        description: format!("presumption part of {invoice_number} for model {model_version} {what}"),
        source: books::source::PRESUMPTION_SETTLEMENT.to_owned(),
        postings,
    };
    let number = store.post_entry(entry).await?;
    verify_books(store, now).await?;
    Ok(Settled::Posted(number))
}

/// The part of a held amount a fully transparent disclosure makes owed: the per-work fee for the licensed
/// works it matched beyond those the invoice already priced as disclosed, rounded down to the payable
/// unit, and never more than is held.
async fn owed_by_disclosure(
    store: &dyn LicensingStore,
    invoice: &Invoice,
    part: &HeldPart,
    works_matched: Option<u64>,
) -> Result<Amount, InvoiceError> {
    let zero = Amount::zero(part.held.currency());
    let Some(matched) = works_matched else { return Ok(zero) };
    let extra = matched.saturating_sub(part.works_disclosed).min(part.works_used.saturating_sub(part.works_disclosed));
    if extra == 0 {
        return Ok(zero);
    }
    let Some(agreement) = store.agreement(&invoice.agreement).await? else { return Ok(zero) };
    let Some(record) = agreement.versions.iter().find(|v| v.coverage.version == invoice.agreement_version) else {
        return Ok(zero);
    };
    let tariff = &record.terms.tariff;
    // As the held part itself: the line on the works now known beyond the line the invoice priced as
    // disclosed, each as payable, so a credit-back leaves exactly what a fully disclosed invoice would be.
    let owed = match invoice.training.iter().find(|t| t.model_version == part.model_version) {
        Some(t) => tariff
            .training_line(t.tier, part.works_disclosed + extra)?
            .checked_sub(tariff.training_line(t.tier, part.works_disclosed)?)?,
        None => tariff.per_work_fee(extra)?.split_payable().0,
    };
    Ok(if owed.micros() > part.held.micros() { part.held } else { owed })
}

/// Settles every presumption part an invoice holds (each model version's), once each: what the CLI's
/// `presumption credit-back` does. The first entry posted (or found) is returned.
#[tracing::instrument(skip_all)]
pub async fn settle_presumption(
    store: &dyn LicensingStore,
    actor: &Actor,
    number: &InvoiceNumber,
    how: Settlement,
    now: DateTime<Utc>,
) -> Result<Settled, InvoiceError> {
    actor.may(UseCase::SettlePresumption, Scope::Society)?;
    let invoice = store.invoice(number).await?.ok_or_else(|| InvoiceError::UnknownInvoice(number.into()))?;
    let mut first = Settled::NothingHeld;
    for part in parts_of(store, &invoice).await? {
        let settled = settle_part(store, actor, number, &part.model_version, how, now).await?;
        if first == Settled::NothingHeld {
            first = settled;
        }
    }
    Ok(first)
}

/// Releases every held presumption part whose window (from the day the period's part was first held, under
/// the invoice's agreement version) has passed by `today`; returns the invoices released from.
#[tracing::instrument(skip_all)]
pub async fn release_due_presumptions(
    store: &dyn LicensingStore,
    actor: &Actor,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<String>, InvoiceError> {
    actor.may(UseCase::ReleasePresumptions, Scope::Society)?;
    let mut released: Vec<String> = Vec::new();
    for part in held_parts(store, actor, None).await? {
        if today > part.window_ends
            && matches!(
                settle_part(store, actor, &stored_id(&part.invoice)?, &part.model_version, Settlement::Release, now)
                    .await?,
                Settled::Posted(_)
            )
            && !released.contains(&part.invoice)
        {
            released.push(part.invoice);
        }
    }
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;
    use money::Currency;
    use rating::{BusinessTier, Charge, InvoiceLine, RatedPeriod, TrainingUsage};

    fn eur(text: &str) -> Amount {
        Amount::parse(text, Currency::EUR).unwrap()
    }

    fn training_line(model_version: Option<&str>, presumption_part: &str) -> InvoiceLine {
        InvoiceLine {
            stage: rating::Stage::Training,
            model_version: model_version.map(str::to_owned),
            service: None,
            description: "training licence".into(),
            territory: None,
            charge: Charge { rule: "base fee + rate per work".into(), amount: eur("100"), trail: Vec::new() },
            presumption_part: eur(presumption_part),
        }
    }

    fn invoice(lines: Vec<InvoiceLine>, models: &[&str]) -> Invoice {
        let zero = Amount::zero(Currency::EUR);
        Invoice {
            number: "INV-2026-000001".into(),
            kind: InvoiceKind::Invoice,
            licensee: "songfox".into(),
            licensee_name: "Songfox AB".into(),
            period: domain::Period::month(2026, 3).unwrap(),
            agreement: "A1".into(),
            agreement_version: 1,
            issued_on: NaiveDate::from_ymd_opt(2026, 4, 15).unwrap(),
            due_on: NaiveDate::from_ymd_opt(2026, 5, 15).unwrap(),
            currency: Currency::EUR,
            conversions: Vec::new(),
            rated: RatedPeriod {
                lines,
                net: zero,
                vat: zero,
                vat_note: String::new(),
                total: zero,
                presumption_held: zero,
                vat_rate: None,
            },
            unlicensed: Vec::new(),
            basis: Vec::new(),
            corrects: None,
            status: InvoiceStatus::Issued,
            journal_entry: 1,
            training: models
                .iter()
                .map(|m| TrainingUsage {
                    model_version: (*m).into(),
                    tier: BusinessTier::Small,
                    works_used: 400,
                    works_disclosed: 0,
                })
                .collect(),
            paid_before: None,
            held_since: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn lines_from_before_model_versions_were_named_follow_the_training_figures_in_order() {
        let legacy = invoice(
            vec![training_line(None, "40"), training_line(None, "0"), training_line(None, "25")],
            &["sf-1", "sf-2", "sf-3"],
        );
        assert_eq!(held_lines(&legacy), [("sf-1".to_owned(), eur("40")), ("sf-3".to_owned(), eur("25"))]);
        let named = invoice(vec![training_line(Some("sf-2"), "40")], &["sf-1", "sf-2"]);
        assert_eq!(held_lines(&named), [("sf-2".to_owned(), eur("40"))]);
        let credited = Invoice { status: InvoiceStatus::Credited, ..named };
        assert!(held_lines(&credited).is_empty());
    }
}
