//! After an invoice: payments (idempotent by the bank's reference), disputes, and the settlement of the
//! part of a training fee held by the presumption rule — released to the training pool when its window
//! passes, or credited back (with its VAT) when a fully transparent disclosure arrives in time.

use chrono::{DateTime, Days, NaiveDate, Utc};
use ledger::{Account, JournalEntry, PoolStage, Posting};
use money::Amount;

use super::invoicing::{InvoiceError, paid_so_far, verify_books};
use super::store::{InvoiceKind, InvoiceStatus, Payment};
use crate::store::Store;

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
    if amount.micros() <= 0 {
        return Err(InvoiceError::PaymentNotPositive);
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
    let total_paid = paid_so_far(store, &invoice).await?.checked_add(amount)?;
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
pub async fn dispute(store: &dyn Store, number: &str, open: bool) -> Result<super::store::Invoice, InvoiceError> {
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
        let paid = paid_so_far(store, &invoice).await?.micros();
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
    /// A fully transparent disclosure arrived within the window: the money (and its VAT) is credited back.
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

/// The idempotency key of an invoice's presumption settlement (a credit note reverses it too).
pub(super) fn settlement_key(invoice: &str) -> String {
    format!("presumption settled {invoice}")
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
    let key = settlement_key(number);
    if let Some(entry) = store.journal_entry_by_key(&key).await? {
        return Ok(Settled::Already(entry.number));
    }
    let presumption = Account::Presumption { licensee: invoice.licensee.clone() };
    let (postings, what) = match how {
        Settlement::Release => (
            vec![
                Posting::debit(presumption, held),
                Posting::credit(
                    Account::Pool { stage: PoolStage::Training, period: invoice.period.to_string() },
                    held,
                )?,
            ],
            "released to distribution",
        ),
        Settlement::CreditBack => {
            // The VAT charged on the held part is credited back with it.
            let vat = invoice
                .rated
                .vat_rate
                .map_or(Amount::zero(held.currency()), |rate| held.mul_share(rate).0.split_payable().0);
            let mut postings = vec![Posting::debit(presumption, held)];
            if !vat.is_zero() {
                postings.push(Posting::debit(Account::VatPayable, vat));
            }
            postings.push(Posting::credit(
                Account::Receivable { licensee: invoice.licensee.clone() },
                held.checked_add(vat)?,
            )?);
            (postings, "credited back after a fully transparent disclosure")
        }
    };
    let entry = JournalEntry {
        number: 0,
        idempotency_key: Some(key),
        posted_at: now,
        description: format!("presumption part of {number} {what}"),
        postings,
    };
    let number = store.post_entry(entry).await?;
    verify_books(store).await?;
    Ok(Settled::Posted(number))
}

/// Releases every held presumption part whose window (from the day the period's part was first held, under
/// the invoice's agreement version) has passed by `today`.
pub async fn release_due_presumptions(
    store: &dyn Store,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<String>, InvoiceError> {
    let mut released = Vec::new();
    for invoice in store.invoices(None).await? {
        if invoice.rated.presumption_held.is_zero()
            || invoice.kind != InvoiceKind::Invoice
            || invoice.status == InvoiceStatus::Credited
        {
            continue;
        }
        let Some(agreement) = store.agreement(&invoice.agreement).await? else { continue };
        let window = agreement
            .versions
            .iter()
            .find(|v| v.coverage.version == invoice.agreement_version)
            .map_or(365, |r| r.terms.presumption.window_days);
        let since = invoice.held_since.unwrap_or(invoice.issued_on);
        let ends = since.checked_add_days(Days::new(u64::from(window))).unwrap_or(since);
        if today > ends
            && matches!(settle_presumption(store, &invoice.number, Settlement::Release, now).await?, Settled::Posted(_))
        {
            released.push(invoice.number);
        }
    }
    Ok(released)
}
