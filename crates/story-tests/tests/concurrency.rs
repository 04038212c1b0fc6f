//! Two requests at once, on SQLite and PostgreSQL: every use case that reads, decides and writes does so in
//! one transaction holding what it decides on, so concurrent payments, disputes, invoice runs and report
//! submissions give the outcome one-after-the-other would, and a lost race is a conflict, never a broken
//! store. Each pair runs interleaved on two connections (`tokio::join!`).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::Period;
use engine::Store;
use engine::import::{AckSink, ImportOptions};
use engine::licensing::Archive;
use engine::licensing::invoicing::{self, InvoiceError, InvoiceRun, RunOutcome};
use engine::licensing::reports::{self, Intake, ReportError, Submitted};
use engine::licensing::store::InvoiceStatus;
use engine::store::StoreError;
use ledger::Account;
use money::{Amount, Currency};
use story_tests::story;

mod common;
use common::{at, day, set_up};

const SERVICE_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-service-2026-03.json");
const OUTPUT_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-outputs-2026-03.csv");
const INVOICE: &str = "INV-2026-000001";

fn eur(text: &str) -> Amount {
    Amount::parse(text, Currency::EUR).expect("an amount")
}

async fn submit(store: &Arc<dyn Store>, archive: &Archive, bytes: &'static [u8]) -> Result<Submitted, ReportError> {
    let intake = Intake::new(story_tests::songfox(), "songfox", &engine::OsEntropy, at(2026, 4, 10));
    reports::submit_report(store.as_ref(), story_tests::staff(), archive, bytes, intake).await.map(|(s, _)| s)
}

fn march(now: DateTime<Utc>) -> InvoiceRun<'static> {
    InvoiceRun {
        period: Period::month(2026, 3).unwrap(),
        licensee: Some("songfox"),
        issued_on: day(2026, 4, 15),
        now,
        rates: &[],
    }
}

/// The songfox agreement with its March reports, invoiced once (23,300.00 EUR).
async fn invoiced(store: &Arc<dyn Store>) -> Archive {
    set_up(store).await;
    let archive = Archive::new(tempfile::tempdir().unwrap().keep());
    submit(store, &archive, SERVICE_REPORT).await.unwrap();
    submit(store, &archive, OUTPUT_REPORT).await.unwrap();
    let outcomes =
        invoicing::run_invoices(store.as_ref(), story_tests::staff(), &march(at(2026, 4, 15))).await.unwrap();
    assert!(matches!(&outcomes[0].1, RunOutcome::Issued(i) if i.number == INVOICE));
    archive
}

async fn pay(store: &Arc<dyn Store>, key: &str, amount: &str, on: NaiveDate) -> Result<bool, InvoiceError> {
    invoicing::record_payment(
        store.as_ref(),
        story_tests::staff(),
        &story_tests::id(INVOICE),
        key,
        eur(amount),
        on,
        at(2026, 5, 1),
    )
    .await
    .map(|(_, new)| new)
}

async fn status(store: &Arc<dyn Store>) -> InvoiceStatus {
    store.invoice(INVOICE).await.unwrap().unwrap().status
}

async fn two_partial_payments_at_once_leave_the_invoice_paid(store: &Arc<dyn Store>) {
    invoiced(store).await;
    let (a, b) =
        tokio::join!(pay(store, "BANK-A", "10000", day(2026, 5, 1)), pay(store, "BANK-B", "13300", day(2026, 5, 1)));
    assert_eq!((a.unwrap(), b.unwrap()), (true, true));
    assert_eq!(status(store).await, InvoiceStatus::Paid);
    assert_eq!(store.payments(INVOICE).await.unwrap().len(), 2);
    assert_eq!(store.balance(&Account::Cash, Currency::EUR).await.unwrap(), eur("23300"));
    story_tests::books_verify(store.as_ref()).await;
}

async fn the_same_payment_twice_at_once_is_posted_once(store: &Arc<dyn Store>) {
    invoiced(store).await;
    let entries = store.journal_length().await.unwrap();
    let (a, b) =
        tokio::join!(pay(store, "BANK-1", "5000", day(2026, 5, 1)), pay(store, "BANK-1", "5000", day(2026, 5, 1)));
    let mut new = [a.unwrap(), b.unwrap()];
    new.sort();
    assert_eq!(new, [false, true], "one of the two recorded it, the other found it recorded");
    assert_eq!(store.journal_length().await.unwrap(), entries + 1);
    assert_eq!(store.payments(INVOICE).await.unwrap().len(), 1);
    assert_eq!(status(store).await, InvoiceStatus::PartiallyPaid);
    story_tests::books_verify(store.as_ref()).await;
}

async fn a_payment_never_overwrites_a_dispute(store: &Arc<dyn Store>) {
    invoiced(store).await;
    let s = store.as_ref();
    let number = story_tests::id(INVOICE);
    let (disputed, paid) = tokio::join!(
        invoicing::dispute(s, story_tests::staff(), &number, true),
        pay(store, "BANK-1", "100", day(2026, 5, 1))
    );
    assert_eq!(disputed.unwrap().status, InvoiceStatus::Disputed);
    assert!(paid.unwrap());
    assert_eq!(status(store).await, InvoiceStatus::Disputed);
    // Paid in full while disputed: still disputed, until the dispute is settled.
    assert!(pay(store, "BANK-2", "23200", day(2026, 5, 2)).await.unwrap());
    assert_eq!(status(store).await, InvoiceStatus::Disputed);
    assert_eq!(
        invoicing::dispute(s, story_tests::staff(), &story_tests::id(INVOICE), false).await.unwrap().status,
        InvoiceStatus::Paid
    );
}

async fn two_invoice_runs_at_once_give_one_invoice(store: &Arc<dyn Store>) {
    set_up(store).await;
    let archive = Archive::new(tempfile::tempdir().unwrap().keep());
    submit(store, &archive, SERVICE_REPORT).await.unwrap();
    submit(store, &archive, OUTPUT_REPORT).await.unwrap();
    let (first, second) = (march(at(2026, 4, 15)), march(at(2026, 4, 15)));
    let (a, b) = tokio::join!(
        invoicing::run_invoices(store.as_ref(), story_tests::staff(), &first),
        invoicing::run_invoices(store.as_ref(), story_tests::staff(), &second)
    );
    let mut outcomes: Vec<String> = [a.unwrap(), b.unwrap()]
        .into_iter()
        .map(|o| match &o[0].1 {
            RunOutcome::Issued(i) => format!("invoiced {}", i.number),
            RunOutcome::Unchanged(i) => format!("unchanged {}", i.number),
            other => format!("{other:?}"),
        })
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, [format!("invoiced {INVOICE}"), format!("unchanged {INVOICE}")]);
    let numbers: Vec<String> = store.invoices(Some("songfox")).await.unwrap().into_iter().map(|i| i.number).collect();
    assert_eq!(numbers, [INVOICE]);
    // The numbering has no gap: the next invoice of the series is 000002.
    let advance = invoicing::invoice_advance(
        store.as_ref(),
        story_tests::staff(),
        story_tests::songfox(),
        day(2026, 4, 16),
        at(2026, 4, 16),
    )
    .await;
    if let Ok(advance) = advance {
        assert_eq!(advance.number, "INV-2026-000002");
    }
    story_tests::books_verify(store.as_ref()).await;
}

async fn the_same_report_twice_at_once_is_one_revision_and_a_conflict(store: &Arc<dyn Store>) {
    set_up(store).await;
    let archive = Archive::new(tempfile::tempdir().unwrap().keep());
    let (a, b) = tokio::join!(submit(store, &archive, SERVICE_REPORT), submit(store, &archive, SERVICE_REPORT));
    let outcomes = [a, b];
    let stored = outcomes.iter().filter(|o| matches!(o, Ok(Submitted::New(_)))).count();
    let lost = outcomes.iter().filter(|o| matches!(o, Err(ReportError::Store(StoreError::Conflict(_))))).count();
    let repeated = outcomes.iter().filter(|o| matches!(o, Ok(Submitted::AlreadyReceived(_)))).count();
    assert_eq!(stored, 1, "{outcomes:?}");
    assert_eq!(lost + repeated, 1, "{outcomes:?}");
    assert_eq!(store.report_revisions("songfox", "SF-SERVICE-2026-03").await.unwrap().len(), 1);
}

async fn import(store: &Arc<dyn Store>, bytes: &[u8]) -> engine::ImportReport {
    let options = ImportOptions { chunk_size: 100, ..ImportOptions::new(at(2026, 11, 25), "concurrency") };
    let sink: AckSink<'_> = Box::new(|_name: &str| Ok(Box::new(std::io::sink()) as Box<dyn std::io::Write + Send>));
    engine::import_cwr(store, story_tests::staff(), bytes, "TESTKIT.V21", options, sink, &|_| {})
        .await
        .expect("the file imports")
}

async fn two_imports_of_one_file_at_once_give_each_iswc_one_work(store: &Arc<dyn Store>) {
    engine::registry::initialise(store.as_ref(), story_tests::staff(), domain::SocietyCode::STIM, None).await.unwrap();
    let works: Vec<testkit::GeneratedWork> = testkit::Generator::new(7).works(1_500).collect();
    let bytes = testkit::write_cwr21(Vec::new(), works.clone(), "20261125").unwrap();
    let (a, b) = tokio::join!(import(store, &bytes), import(store, &bytes));
    // One import registered every work; the other, let in after it, found them all registered.
    let mut registered = [a.counts.registered, b.counts.registered];
    registered.sort();
    assert_eq!(registered, [0, works.len() as u64]);
    let iswcs: Vec<domain::Iswc> = works.iter().filter_map(|w| w.iswc).collect();
    assert!(iswcs.len() > 1_000);
    let mut holders: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for r in store.lookup_registrations(&[], &iswcs).await.unwrap() {
        if let Some(iswc) = r.iswc {
            holders.entry(iswc.to_string()).or_default().insert(r.work_code);
        }
    }
    let shared: Vec<_> = holders.iter().filter(|(_, works)| works.len() > 1).collect();
    assert!(shared.is_empty(), "ISWCs on more than one work: {shared:?}");
    assert_eq!(holders.len(), iswcs.iter().collect::<std::collections::BTreeSet<_>>().len());
}

async fn a_payment_racing_a_correction_is_never_lost(store: &Arc<dyn Store>) {
    let archive = invoiced(store).await;
    pay(store, "BANK-1", "1000", day(2026, 5, 1)).await.unwrap();
    let corrected = String::from_utf8(SERVICE_REPORT.to_vec()).unwrap().replace("\"12000.00\"", "\"16000.00\"");
    let corrected: &'static [u8] = Box::leak(corrected.into_bytes().into_boxed_slice());
    let intake = Intake::new(story_tests::songfox(), "songfox", &engine::OsEntropy, at(2026, 5, 20));
    reports::submit_report(store.as_ref(), story_tests::staff(), &archive, corrected, intake).await.unwrap();
    let run = march(at(2026, 5, 21));
    let (outcome, paid) = tokio::join!(
        invoicing::run_invoices(store.as_ref(), story_tests::staff(), &run),
        pay(store, "BANK-2", "2000", day(2026, 5, 21))
    );
    let outcome = outcome.unwrap();
    let RunOutcome::Corrected { invoice, .. } = &outcome[0].1 else { panic!("a correction: {outcome:?}") };
    let on_old: Vec<Amount> = store.payments(INVOICE).await.unwrap().into_iter().map(|p| p.amount).collect();
    let total = on_old.iter().try_fold(eur("0"), |sum, a| sum.checked_add(*a)).unwrap();
    // Whichever came first, what was paid against the cancelled invoice counts towards its replacement.
    assert_eq!(invoice.paid_before, Some(total), "{paid:?}");
    match paid {
        Ok(_) => assert_eq!(total, eur("3000")),
        Err(e) => assert!(matches!(e, InvoiceError::WrongStatus { .. }), "{e}"),
    }
    story_tests::books_verify(store.as_ref()).await;
}

story!(
    a_payment_racing_a_correction_is_never_lost,
    two_imports_of_one_file_at_once_give_each_iswc_one_work,
    two_partial_payments_at_once_leave_the_invoice_paid,
    the_same_payment_twice_at_once_is_posted_once,
    a_payment_never_overwrites_a_dispute,
    two_invoice_runs_at_once_give_one_invoice,
    the_same_report_twice_at_once_is_one_revision_and_a_conflict,
);
