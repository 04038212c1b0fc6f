//! A property of the books through the use cases themselves, on both stores: random sequences of service
//! reports and their corrections, invoice runs (issuing invoices, and credit notes when a report changed),
//! partial payments, disputes opened and closed, and presumption parts released, with incremental
//! verifications at random moments. Whatever the order, every licensee's receivable equals what its
//! invoices and credit notes charged less what it paid (reckoned apart from the journal), the trial
//! balance is zero, and a full verification agrees with the incremental one.

mod common;

use std::sync::Arc;

use common::{at, day, set_up};
use engine::Store;
use engine::licensing::Archive;
use engine::licensing::invoicing::{self, InvoiceError, InvoiceRun};
use engine::licensing::reports::{self, Intake};
use engine::licensing::store::{InvoiceKind, InvoiceStatus};

use ledger::Account;
use money::{Amount, Currency};
use proptest::prelude::*;
use story_tests::staff;

#[derive(Debug, Clone)]
enum Op {
    /// A service report for a month of 2026 (3 to 5) with this revenue in cents: the first for the month,
    /// or a correction of it.
    Report {
        month: u32,
        cents: u64,
    },
    /// An invoice run for a month.
    Invoice {
        month: u32,
    },
    /// A payment of this share (per cent) of what an invoice still owes (the n-th standing one).
    Pay {
        which: usize,
        percent: u8,
    },
    /// A dispute opened or closed on the n-th standing invoice.
    Dispute {
        which: usize,
        open: bool,
    },
    /// Every held presumption part whose window has passed is released to the training pool.
    Release,
    Verify,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (3u32..=5, 1u64..500_000_000).prop_map(|(month, cents)| Op::Report { month, cents }),
        3 => (3u32..=5).prop_map(|month| Op::Invoice { month }),
        3 => (0usize..4, 1u8..=100).prop_map(|(which, percent)| Op::Pay { which, percent }),
        1 => (0usize..4, any::<bool>()).prop_map(|(which, open)| Op::Dispute { which, open }),
        1 => Just(Op::Release),
        1 => Just(Op::Verify),
    ]
}

fn report(month: u32, cents: u64) -> Vec<u8> {
    let revenue = format!("{}.{:02}", cents / 100, cents % 100);
    serde_json::json!({
        "format": "tantiem-service-report/1",
        "report_id": format!("SF-SERVICE-2026-{month:02}"),
        "licensee": "songfox",
        "period": format!("2026-{month:02}"),
        "currency": "EUR",
        "lines": [
            { "service": "app", "territory": "SE", "model_version": "sf-1", "net_revenue": revenue, "subscribers": 5000, "generations": 1000000 },
        ]
    })
    .to_string()
    .into_bytes()
}

/// Invoices (not credit notes) that are standing: issued, partly paid or disputed.
async fn standing(store: &Arc<dyn Store>) -> Vec<engine::licensing::store::Invoice> {
    let all = invoicing::invoices(store.as_ref(), staff(), None).await.expect("invoices");
    all.into_iter()
        .filter(|i| i.kind != InvoiceKind::CreditNote)
        .filter(|i| matches!(i.status, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid | InvoiceStatus::Disputed))
        .collect()
}

async fn apply(store: &Arc<dyn Store>, archive: &Archive, op: Op, step: u64) -> Result<(), TestCaseError> {
    let s = store.as_ref();
    let now = at(2026, 7, 1) + chrono::Duration::seconds(step as i64);
    match op {
        Op::Report { month, cents } => {
            let intake = Intake::new(story_tests::songfox(), "story", &engine::OsEntropy, now);
            reports::submit_report(s, staff(), archive, std::io::Cursor::new(report(month, cents)), intake)
                .await
                .map_err(|e| TestCaseError::fail(format!("report: {e}")))?;
        }
        Op::Invoice { month } => {
            let run = InvoiceRun {
                period: domain::Period::month(2026, month).expect("a period"),
                licensee: Some("songfox"),
                issued_on: now.date_naive(),
                now,
                rates: &[],
            };
            // A period without a report cannot be invoiced yet: that is an answer, not a failure.
            refusal_only(invoicing::run_invoices(s, staff(), &run).await, "invoice run")?;
        }
        Op::Pay { which, percent } => {
            let open = standing(store).await;
            let Some(invoice) = open.get(which % open.len().max(1)) else { return Ok(()) };
            let paid: i64 =
                s.payments(&invoice.number).await.expect("payments").iter().map(|p| p.amount.micros()).sum();
            let owed = invoice.rated.total.micros() - paid - invoice.paid_before.map_or(0, |a| a.micros());
            // Whole cents, at least one, never more than is owed.
            let part = (owed / 100 * i64::from(percent) / 10_000 * 10_000).max(10_000).min(owed);
            if part <= 0 {
                return Ok(());
            }
            let number = story_tests::id(&invoice.number);
            let amount = Amount::from_micros(part, invoice.currency);
            let result =
                invoicing::record_payment(s, staff(), &number, &format!("BANK-{step}"), amount, now.date_naive(), now)
                    .await;
            result.map_err(|e| TestCaseError::fail(format!("payment on {}: {e}", invoice.number)))?;
        }
        Op::Dispute { which, open } => {
            let standing = standing(store).await;
            if let Some(invoice) = standing.get(which % standing.len().max(1)) {
                // Opening an open dispute or closing none is refused: an answer, not a failure.
                let number = story_tests::id(&invoice.number);
                refusal_only(invoicing::dispute(s, staff(), &number, open).await, "dispute")?;
            }
        }
        Op::Release => {
            invoicing::release_due_presumptions(s, staff(), day(2027, 12, 31), now)
                .await
                .map_err(|e| TestCaseError::fail(format!("release: {e}")))?;
        }
        Op::Verify => {
            engine::books::verify(s, staff(), false, now).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
    }
    Ok(())
}

/// A use case's answer where a refusal of the request is expected now and then, but a failure of the store
/// or the books never is.
fn refusal_only<T>(result: Result<T, InvoiceError>, what: &str) -> Result<(), TestCaseError> {
    match result {
        Err(
            e @ (InvoiceError::Store(_) | InvoiceError::Books(_) | InvoiceError::Ledger(_) | InvoiceError::Money(_)),
        ) => Err(TestCaseError::fail(format!("{what}: {e}"))),
        _ => Ok(()),
    }
}

async fn run(store: &Arc<dyn Store>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    set_up(store).await;
    let dir = tempfile::tempdir().expect("a folder");
    let archive = Archive::new(dir.path().join("archive"));
    for (step, op) in ops.into_iter().enumerate() {
        apply(store, &archive, op, step as u64).await?;
    }
    let s = store.as_ref();
    // What the invoices charged, less what was paid, reckoned from the invoices and payments alone.
    let mut expected = 0i64;
    for invoice in invoicing::invoices(s, staff(), Some(story_tests::songfox())).await.expect("invoices") {
        expected += invoice.rated.total.micros();
        expected -= s.payments(&invoice.number).await.expect("payments").iter().map(|p| p.amount.micros()).sum::<i64>();
    }
    let receivable = s.balance(&Account::Receivable { licensee: "songfox".into() }, Currency::EUR).await.unwrap();
    prop_assert_eq!(receivable, Amount::from_micros(expected, Currency::EUR));
    let trial: i128 = s.trial_balance(u64::MAX).await.unwrap().iter().map(|(_, a)| i128::from(a.micros())).sum();
    prop_assert_eq!(trial, 0);
    let now = at(2027, 1, 1);
    let incremental =
        engine::books::verify(s, staff(), false, now).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
    let full = engine::books::verify(s, staff(), true, now).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(incremental.through, full.through);
    Ok(())
}

fn check(postgres: bool) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ProptestConfig { cases: 16, ..ProptestConfig::default() };
    proptest!(config, |(ops in proptest::collection::vec(op(), 4..30))| {
        runtime.block_on(async {
            let test = if postgres { story_tests::postgres().await } else { story_tests::sqlite().await };
            run(&test.store, ops).await
        })?;
    });
}

#[test]
fn use_cases_keep_the_books_whole_on_sqlite() {
    check(false);
}

#[test]
fn use_cases_keep_the_books_whole_on_postgres() {
    check(true);
}
