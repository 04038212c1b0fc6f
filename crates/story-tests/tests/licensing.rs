//! The licensing story, on SQLite and PostgreSQL: one licensee with a two-model-version, three-stage,
//! two-territory agreement, priced end to end from report files and checked against amounts computed by
//! hand; then re-submission, payments, a correction with its credit note, the presumption settled, and a
//! licence certificate verified, suspended by the agreement's end, and re-verified after a key rotation.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::licensing::AgreementStatus;
use domain::{Period, Stage};
use engine::Store;
use engine::licensing::invoicing::{self, InvoiceRun, RunOutcome, Settlement};
use engine::licensing::licensees;
use engine::licensing::reports::{self, Intake, Submitted};
use engine::licensing::store::InvoiceStatus;
use engine::licensing::{Archive, licences};
use ledger::{Account, PoolStage};
use money::{Amount, Currency};
use story_tests::story;

mod common;
use common::{at, day, set_up};

const SERVICE_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-service-2026-03.json");
const OUTPUT_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-outputs-2026-03.csv");
const PASSPHRASE: &str = "a long test passphrase";

fn eur(text: &str) -> Amount {
    Amount::parse(text, Currency::EUR).expect("an amount")
}

async fn submit(store: &Arc<dyn Store>, archive: &Archive, bytes: &'static [u8], now: DateTime<Utc>) -> Submitted {
    let intake = Intake::new(story_tests::songfox(), "songfox", &engine::OsEntropy, now);
    reports::submit_report(store.as_ref(), story_tests::staff(), archive, bytes, intake)
        .await
        .expect("the report is accepted")
        .0
}

async fn run(store: &Arc<dyn Store>, issued: NaiveDate) -> RunOutcome {
    let run = InvoiceRun {
        period: Period::month(2026, 3).unwrap(),
        licensee: Some("songfox"),
        issued_on: issued,
        now: at(2026, 4, 15),
        rates: &[],
    };
    let mut outcomes =
        invoicing::run_invoices(store.as_ref(), story_tests::staff(), &run).await.expect("the run succeeds");
    outcomes.pop().expect("one licensee").1
}

fn lines(invoice: &engine::licensing::store::Invoice) -> Vec<String> {
    invoice
        .rated
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} | {} | {} | {}",
                l.description,
                l.territory.as_deref().unwrap_or("-"),
                l.charge.rule,
                l.charge.amount
            )
        })
        .collect()
}

async fn balance(store: &Arc<dyn Store>, account: Account) -> Amount {
    story_tests::books_verify(store.as_ref()).await;
    store.balance(&account, Currency::EUR).await.expect("a balance")
}

/// The March 2026 invoice, priced by hand from the tariff (`Tariff::illustrative`, EUR) and the reports:
///
/// - training, each of sf-1 and sf-2 (placed on the EU market in March; no disclosure yet, so priced on the
///   whole licensed repertoire of 400 works by the presumption): small-business base fee 5,000.00 +
///   400 works × 0.10 = 5,040.00, of which 400 × 0.10 = 40.00 is held.
/// - service NO: 3,000.00 × 30% = 900.00; 4,000 subscribers × 0.50 = 2,000.00; 500,000 generations ×
///   0.001 = 500.00 → 2,000.00 (minimum per subscriber).
/// - service SE (sf-1 and sf-2 lines summed): 20,000.00 × 30% = 6,000.00; 9,000 × 0.50 = 4,500.00;
///   2,000,000 × 0.001 = 2,000.00 → 6,000.00 (share of net revenue).
/// - output downloads NO: 400.00 × 15% = 60.00 beats 1,000 × 0.05 = 50.00 → 60.00.
/// - output streams SE: 1,000.00 × 15% = 150.00; 1,000,000 × 0.0005 = 500.00 → 500.00.
/// - the DK service line and the advertising output are outside the agreement: flagged, not invoiced.
///
/// Net 5,040 + 5,040 + 2,000 + 6,000 + 60 + 500 = 18,640.00; Swedish VAT 25% (a Swedish customer) =
/// 4,660.00; total 23,300.00; held by presumption 80.00.
async fn a_period_is_priced_invoiced_paid_and_corrected(store: &Arc<dyn Store>) {
    set_up(store).await;
    assert_eq!(store.licensed_repertoire_size(Stage::Training).await.unwrap(), 400);
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::new(dir.path());

    let service = submit(store, &archive, SERVICE_REPORT, at(2026, 4, 10)).await;
    let Submitted::New(record) = &service else { panic!("a new report: {service:?}") };
    assert_eq!((record.revision, record.summary.late, record.summary.usage_rows), (1, false, 4));
    assert_eq!(record.summary.unlicensed, ["service use of service \"app\" in DK: territory DK is not licensed"]);
    let outputs = submit(store, &archive, OUTPUT_REPORT, at(2026, 4, 10)).await;
    assert_eq!(
        outputs.record().summary.unlicensed,
        ["output use \"advertising\" of service \"app\" in SE: use type \"advertising\" is not licensed"]
    );
    assert_eq!(outputs.record().summary.outputs, 4);
    let kept = store.outputs("songfox", "SF-OUTPUT-2026-03").await.unwrap();
    assert_eq!(
        kept.iter().map(|o| format!("{} {} {}", o.output_id, o.usages, o.revenue)).collect::<Vec<_>>(),
        ["gen-0001 600000 600.000000 EUR", "gen-0002 401000 800.000000 EUR", "gen-0003 1 250.000000 EUR"]
    );
    assert_eq!(kept[0].attribution.as_ref().unwrap().influences.len(), 2);
    // The original bytes are kept under their hash.
    assert_eq!(std::fs::read(archive.path_of(&record.sha256).unwrap()).unwrap(), SERVICE_REPORT);

    // Re-submitting the same bytes changes nothing.
    assert!(
        matches!(submit(store, &archive, SERVICE_REPORT, at(2026, 4, 11)).await, Submitted::AlreadyReceived(r) if r.revision == 1)
    );

    let RunOutcome::Issued(invoice) = run(store, day(2026, 4, 15)).await else { panic!("an invoice") };
    assert_eq!(invoice.number, "INV-2026-000001");
    assert_eq!(
        lines(&invoice),
        [
            "training licence, model version sf-1 | - | base fee + rate per work | 5040.000000 EUR",
            "training licence, model version sf-2 | - | base fee + rate per work | 5040.000000 EUR",
            "service app | NO | minimum per subscriber | 2000.000000 EUR",
            "service app | SE | share of net revenue | 6000.000000 EUR",
            "use of outputs: download | NO | share of output revenue | 60.000000 EUR",
            "use of outputs: stream | SE | minimum per usage | 500.000000 EUR",
        ]
    );
    assert_eq!((invoice.rated.net, invoice.rated.vat, invoice.rated.total), (eur("18640"), eur("4660"), eur("23300")));
    assert_eq!(invoice.rated.presumption_held, eur("80"));
    assert_eq!(invoice.due_on, day(2026, 5, 15));
    assert_eq!(invoice.unlicensed.len(), 2);
    let march = "2026-03".to_owned();
    assert_eq!(balance(store, Account::Receivable { licensee: "songfox".into() }).await, eur("23300"));
    assert_eq!(
        balance(store, Account::Pool { stage: PoolStage::Training, period: march.clone() }).await,
        eur("-10000")
    );
    assert_eq!(balance(store, Account::Presumption { licensee: "songfox".into() }).await, eur("-80"));
    assert_eq!(balance(store, Account::Pool { stage: PoolStage::Service, period: march.clone() }).await, eur("-8000"));
    assert_eq!(balance(store, Account::Pool { stage: PoolStage::Output, period: march.clone() }).await, eur("-560"));
    assert_eq!(balance(store, Account::VatPayable).await, eur("-4660"));

    // What people read: the CSV and printable HTML exports.
    expect_test::expect_file!["snapshots/invoice-2026-000001.csv"].assert_eq(&engine::licensing::export::csv(&invoice));
    expect_test::expect_file!["snapshots/invoice-2026-000001.html"]
        .assert_eq(&engine::licensing::export::html(&invoice, "079 STIM"));

    // Running again with the same reports changes nothing.
    assert!(matches!(run(store, day(2026, 4, 16)).await, RunOutcome::Unchanged(i) if i.number == "INV-2026-000001"));

    // Payments: the same bank reference twice is recorded once.
    let s = store.as_ref();
    let (_, new) = invoicing::record_payment(
        s,
        story_tests::staff(),
        &story_tests::id("INV-2026-000001"),
        "BANK-1",
        eur("10000"),
        day(2026, 5, 1),
        at(2026, 5, 1),
    )
    .await
    .unwrap();
    assert!(new);
    let (_, again) = invoicing::record_payment(
        s,
        story_tests::staff(),
        &story_tests::id("INV-2026-000001"),
        "BANK-1",
        eur("10000"),
        day(2026, 5, 1),
        at(2026, 5, 2),
    )
    .await
    .unwrap();
    assert!(!again);
    assert_eq!(store.invoice("INV-2026-000001").await.unwrap().unwrap().status, InvoiceStatus::PartiallyPaid);
    // More than is owed is refused whole: 13,300.00 is owed, 13,300.01 is not recorded.
    let over = invoicing::record_payment(
        s,
        story_tests::staff(),
        &story_tests::id("INV-2026-000001"),
        "BANK-OVER",
        eur("13300.01"),
        day(2026, 5, 9),
        at(2026, 5, 9),
    )
    .await
    .unwrap_err();
    assert_eq!(
        over.to_string(),
        "a payment of 13300.010000 EUR is more than invoice INV-2026-000001 still owes (13300.000000 EUR): nothing \
         was recorded. Record what is owed, and refund or agree on the rest with the licensee"
    );
    assert_eq!(store.payments("INV-2026-000001").await.unwrap().len(), 1);
    invoicing::record_payment(
        s,
        story_tests::staff(),
        &story_tests::id("INV-2026-000001"),
        "BANK-2",
        eur("13300"),
        day(2026, 5, 10),
        at(2026, 5, 10),
    )
    .await
    .unwrap();
    assert_eq!(store.invoice("INV-2026-000001").await.unwrap().unwrap().status, InvoiceStatus::Paid);
    assert_eq!(balance(store, Account::Receivable { licensee: "songfox".into() }).await, eur("0"));
    assert_eq!(balance(store, Account::Cash).await, eur("23300"));

    // A correction: Swedish revenue was 24,000.00, not 20,000.00 (× 30% = 7,200.00).
    let corrected = String::from_utf8(SERVICE_REPORT.to_vec()).unwrap().replace("\"12000.00\"", "\"16000.00\"");
    let corrected: &'static [u8] = Box::leak(corrected.into_bytes().into_boxed_slice());
    let Submitted::Correction(revision) = submit(store, &archive, corrected, at(2026, 5, 20)).await else {
        panic!("a correction")
    };
    assert_eq!((revision.revision, revision.summary.late), (2, false));
    assert_eq!(
        store.report_revisions("songfox", "SF-SERVICE-2026-03").await.unwrap().iter().filter(|r| r.current).count(),
        1
    );
    let RunOutcome::Corrected { credit_note, invoice } = run(store, day(2026, 5, 21)).await else {
        panic!("a correction")
    };
    assert_eq!(
        (credit_note.number.as_str(), credit_note.corrects.as_deref()),
        ("CN-2026-000001", Some("INV-2026-000001"))
    );
    assert_eq!(invoice.number, "INV-2026-000002");
    assert_eq!(lines(&invoice)[3], "service app | SE | share of net revenue | 7200.000000 EUR");
    // Net 18,640 + 1,200 = 19,840.00; VAT 4,960.00; total 24,800.00: 1,500.00 more is owed.
    assert_eq!(invoice.rated.total, eur("24800"));
    assert_eq!(store.invoice("INV-2026-000001").await.unwrap().unwrap().status, InvoiceStatus::Credited);
    assert_eq!(balance(store, Account::Receivable { licensee: "songfox".into() }).await, eur("1500"));
    assert_eq!(balance(store, Account::Pool { stage: PoolStage::Service, period: march.clone() }).await, eur("-9200"));

    // The presumption window (365 days) has not passed: nothing is released yet; then it is.
    assert!(
        invoicing::release_due_presumptions(s, story_tests::staff(), day(2026, 12, 1), at(2026, 12, 1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        invoicing::release_due_presumptions(s, story_tests::staff(), day(2027, 6, 1), at(2027, 6, 1)).await.unwrap(),
        ["INV-2026-000002"]
    );
    assert!(
        invoicing::release_due_presumptions(s, story_tests::staff(), day(2027, 6, 2), at(2027, 6, 2))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        invoicing::settle_presumption(
            s,
            story_tests::staff(),
            &story_tests::id("INV-2026-000002"),
            Settlement::CreditBack { works_matched: None },
            at(2027, 6, 3)
        )
        .await
        .unwrap(),
        invoicing::Settled::Already(_)
    ));
    assert_eq!(balance(store, Account::Presumption { licensee: "songfox".into() }).await, eur("0"));
    assert_eq!(
        balance(store, Account::Pool { stage: PoolStage::Training, period: march.clone() }).await,
        eur("-10080")
    );
    assert_eq!(store.invoice("INV-2026-000002").await.unwrap().unwrap().status, InvoiceStatus::PartiallyPaid);

    // The figures are corrected back: the credit note reverses INV-2026-000002 and its released
    // presumption part; INV-2026-000003 holds its own part again, and is already paid by the 23,300.00.
    let Submitted::Correction(third) = submit(store, &archive, SERVICE_REPORT, at(2027, 6, 10)).await else {
        panic!("a correction")
    };
    assert_eq!(third.revision, 3);
    let RunOutcome::Corrected { credit_note, invoice } = run(store, day(2027, 6, 11)).await else {
        panic!("a correction")
    };
    assert_eq!((credit_note.number.as_str(), invoice.number.as_str()), ("CN-2027-000001", "INV-2027-000001"));
    assert_eq!(credit_note.rated.total, eur("-24800"));
    assert_eq!((invoice.rated.total, invoice.status), (eur("23300"), InvoiceStatus::Paid));
    assert_eq!(balance(store, Account::Presumption { licensee: "songfox".into() }).await, eur("-80"));
    assert_eq!(balance(store, Account::Pool { stage: PoolStage::Training, period: march }).await, eur("-10000"));
    assert_eq!(balance(store, Account::Receivable { licensee: "songfox".into() }).await, eur("0"));

    // Reporting duty: January and February were never reported; March came in time.
    let status =
        reports::reporting_status(s, story_tests::staff(), story_tests::songfox(), day(2026, 5, 15)).await.unwrap();
    let found: Vec<String> = status.iter().map(|d| format!("{} {} {}", d.period, d.kind.as_str(), d.status)).collect();
    assert_eq!(
        found,
        [
            "2026-01 service missing",
            "2026-01 output missing",
            "2026-02 service missing",
            "2026-02 output missing",
            "2026-03 service received",
            "2026-03 output received",
            "2026-04 service open",
            "2026-04 output open",
            "2026-05 service open",
            "2026-05 output open",
        ]
    );
}

async fn a_licence_verifies_offline_and_shows_its_standing_online(store: &Arc<dyn Store>) {
    set_up(store).await;
    let s = store.as_ref();
    licences::rotate_key(s, story_tests::staff(), PASSPHRASE, &engine::FixedEntropy::new(1), at(2026, 1, 2))
        .await
        .unwrap();
    let licence = licences::issue_licence(s, story_tests::staff(), story_tests::songfox(), PASSPHRASE, at(2026, 1, 2))
        .await
        .unwrap();
    assert!(matches!(
        licences::issue_licence(s, story_tests::staff(), story_tests::songfox(), "not the passphrase", at(2026, 1, 2))
            .await,
        Err(licences::KeyError::WrongPassphrase)
    ));
    let text = serde_json::to_string_pretty(&licence.signed).unwrap();
    let verdict = licences::verify_online(s, story_tests::staff(), &text, day(2026, 6, 1)).await.unwrap();
    assert_eq!((verdict.signature_valid, verdict.status.as_str()), (true, "valid"));

    // One byte changed fails.
    let tampered = text.replacen("\\\"SE\\\"", "\\\"DK\\\"", 1);
    assert_ne!(tampered, text);
    let verdict = licences::verify_online(s, story_tests::staff(), &tampered, day(2026, 6, 1)).await.unwrap();
    assert_eq!((verdict.signature_valid, verdict.status.as_str()), (false, "invalid"));

    // The agreement ends from December: the signature still verifies, the standing says ended.
    let agreement = store.agreement_of("songfox").await.unwrap().unwrap();
    let latest = agreement.latest().unwrap();
    // Licensing a use of outputs the tariff does not price is refused when the version is made, not when a
    // period is invoiced months later.
    let mut karaoke = licensees::coverage_of(&latest.coverage, day(2026, 11, 1));
    karaoke.use_types.push("Karaoke".into());
    let unpriced = licensees::amend_agreement(
        s,
        story_tests::staff(),
        story_tests::songfox(),
        karaoke,
        latest.terms.clone(),
        at(2026, 10, 25),
    )
    .await
    .unwrap_err();
    assert!(
        unpriced.to_string().starts_with(
            "the agreement licenses outputs for use type \"karaoke\", which its tariff does not price (it prices"
        ),
        "{unpriced}"
    );
    let mut ended = licensees::coverage_of(&latest.coverage, day(2026, 12, 1));
    ended.status = AgreementStatus::Ended;
    licensees::amend_agreement(
        s,
        story_tests::staff(),
        story_tests::songfox(),
        ended,
        latest.terms.clone(),
        at(2026, 11, 25),
    )
    .await
    .unwrap();
    let verdict = licences::verify_online(s, story_tests::staff(), &text, day(2026, 12, 5)).await.unwrap();
    assert_eq!((verdict.signature_valid, verdict.status.as_str()), (true, "ended"));
    assert_eq!(
        licences::verify_online(s, story_tests::staff(), &text, day(2026, 11, 30)).await.unwrap().status,
        "valid"
    );

    // A rotation under a mistyped passphrase changes nothing: the key in force stays and still signs.
    let typo = licences::rotate_key(
        s,
        story_tests::staff(),
        "a long test passphrase.",
        &engine::FixedEntropy::new(3),
        at(2026, 12, 1),
    )
    .await
    .unwrap_err();
    assert!(typo.to_string().starts_with("the passphrase does not open the key in force"), "{typo}");
    let keys = licences::published_keys(s, &engine::Actor::Public).await.unwrap();
    assert_eq!((keys.len(), keys.iter().filter(|k| k.retired).count()), (1, 0));
    // After a key rotation the old certificate still verifies, offline too.
    licences::rotate_key(s, story_tests::staff(), PASSPHRASE, &engine::FixedEntropy::new(2), at(2027, 1, 1))
        .await
        .unwrap();
    let keys = licences::published_keys(s, &engine::Actor::Public).await.unwrap();
    assert_eq!(keys.iter().filter(|k| k.retired).count(), 1);
    let offline = licences::verify_offline(keys, &text);
    assert_eq!((offline.signature_valid, offline.status.as_str()), (true, "offline"));
    // An ended agreement gets no new certificate.
    assert!(
        licences::issue_licence(s, story_tests::staff(), story_tests::songfox(), PASSPHRASE, at(2027, 1, 2))
            .await
            .is_err()
    );
    story_tests::books_verify(s).await;
}

const DSR: &str = include_str!(
    "../../formats/tests/fixtures/dsr/ddexnet__DSR_TEST_YouTube_AdSupport-music_2015-Q4_IS_1of1_20160121T150926.tsv"
);

/// The real DSR test file, moved to March 2026 in Sweden, with its first recording's ISRC set to the ISRC
/// Songfox gave its output gen-0002: its lines are linked to that output, and its US dollars need a rate.
async fn dsr_exploitation_is_linked_to_outputs_and_converted(store: &Arc<dyn Store>) {
    set_up(store).await;
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::new(dir.path());
    submit(store, &archive, OUTPUT_REPORT, at(2026, 4, 10)).await;
    let dsr = DSR
        .replace("\t2015-10-01\t2015-12-31\t", "\t2026-03-01\t2026-03-31\t")
        .replace("\tIS\t", "\tSE\t")
        .replace("USSM19803037", "SE5BU2600099");
    let dsr: &'static [u8] = Box::leak(dsr.into_bytes().into_boxed_slice());
    let record = submit(store, &archive, dsr, at(2026, 4, 12)).await.record().clone();
    assert_eq!(
        (record.report_id.as_str(), record.period.to_string(), record.currency),
        ("1453417766009915", "2026-03".into(), Currency::USD)
    );
    let outputs = store.outputs("songfox", "1453417766009915").await.unwrap();
    let linked: Vec<String> = outputs
        .iter()
        .map(|o| {
            format!(
                "{} {} {} {}",
                o.output_id,
                o.service.as_deref().unwrap_or("-"),
                o.model_version.as_deref().unwrap_or("-"),
                o.usages
            )
        })
        .collect();
    assert_eq!(linked, ["A726198037646795 - - 2045", "XMhY7hsbhs4 - - 355", "gen-0002 app sf-2 7810"]);

    let period = Period::month(2026, 3).unwrap();
    let no_rate =
        InvoiceRun { period, licensee: Some("songfox"), issued_on: day(2026, 4, 15), now: at(2026, 4, 15), rates: &[] };
    let error = invoicing::run_invoices(store.as_ref(), story_tests::staff(), &no_rate).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "figures in USD need a rate to EUR: give one with --rate USD:EUR=RATE (units of EUR per USD)"
    );
    let rates = [(
        money::Rate::parse(Currency::USD, Currency::EUR, "0.9").unwrap(),
        "ECB reference rate 2026-03-31".to_owned(),
    )];
    let run = InvoiceRun { rates: &rates, ..no_rate };
    let RunOutcome::Issued(invoice) = run_one(store, &run).await else { panic!("an invoice") };
    // Only the DSR lines linked to gen-0002 are AI output use: the other two recordings link to no output
    // Songfox reported, so they are flagged and not invoiced. Streams in SE: 1,000.00 EUR + 2.00 USD × 0.9 =
    // 1.80 EUR → 1,001.80 EUR × 15% = 150.27; 1,000,000 + 7,810 = 1,007,810 streams × 0.0005 = 503.905 EUR,
    // which wins, rounded down to the cent: 503.90.
    let stream = invoice.rated.lines.iter().find(|l| l.description.ends_with("stream")).unwrap();
    assert_eq!((stream.charge.rule.as_str(), stream.charge.amount), ("minimum per usage", eur("503.90")));
    assert_eq!(stream.charge.trail.last().unwrap().what, "rounded down to the payable unit");
    assert!(
        invoice
            .unlicensed
            .iter()
            .any(|u| u.starts_with("output stream in SE not linked to a reported AI output (2400 usages")),
        "{:?}",
        invoice.unlicensed
    );
    // Re-submitting either file changes nothing; the books balance.
    assert!(matches!(submit(store, &archive, dsr, at(2026, 4, 13)).await, Submitted::AlreadyReceived(_)));
    assert!(matches!(submit(store, &archive, OUTPUT_REPORT, at(2026, 4, 13)).await, Submitted::AlreadyReceived(_)));
    story_tests::books_verify(store.as_ref()).await;
    assert_eq!(invoice.conversions.len(), 1);
    assert_eq!(invoice.conversions[0].rate, "1 USD = 0.900000000 EUR");
}

async fn run_one(store: &Arc<dyn Store>, run: &InvoiceRun<'_>) -> RunOutcome {
    invoicing::run_invoices(store.as_ref(), story_tests::staff(), run)
        .await
        .expect("the run succeeds")
        .pop()
        .expect("one licensee")
        .1
}

/// An advance of 20,000.00 EUR (VAT 25%: 25,000.00 invoiced) meets March's net charges of 18,640.00 first
/// (see the first story for how they are priced): March's invoice comes to nothing, and 1,360.00 remains
/// for April, whose guarantee of 3,000.00 (no reports) is met by 1,360.00 of it, leaving 1,640.00 net.
async fn an_advance_is_invoiced_once_and_recouped(store: &Arc<dyn Store>) {
    set_up(store).await;
    let s = store.as_ref();
    let agreement = store.agreement_of("songfox").await.unwrap().unwrap();
    let latest = agreement.latest().unwrap();
    let mut terms = latest.terms.clone();
    terms.advance = Some(eur("20000"));
    terms.minimum_guarantee = Some(eur("3000"));
    licensees::amend_agreement(
        s,
        story_tests::staff(),
        story_tests::songfox(),
        licensees::coverage_of(&latest.coverage, day(2026, 1, 1)),
        terms,
        at(2026, 1, 2),
    )
    .await
    .unwrap();
    let advance =
        invoicing::invoice_advance(s, story_tests::staff(), story_tests::songfox(), day(2026, 1, 5), at(2026, 1, 5))
            .await
            .unwrap();
    assert_eq!((advance.number.as_str(), advance.rated.total), ("INV-2026-000001", eur("25000")));
    let again =
        invoicing::invoice_advance(s, story_tests::staff(), story_tests::songfox(), day(2026, 1, 6), at(2026, 1, 6))
            .await
            .unwrap();
    assert_eq!(again.number, "INV-2026-000001");
    assert_eq!(balance(store, Account::Advance { licensee: "songfox".into() }).await, eur("-20000"));

    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::new(dir.path());
    submit(store, &archive, SERVICE_REPORT, at(2026, 4, 10)).await;
    submit(store, &archive, OUTPUT_REPORT, at(2026, 4, 10)).await;
    let RunOutcome::Issued(march) = run(store, day(2026, 4, 15)).await else { panic!("an invoice") };
    let recouped = march.rated.lines.last().unwrap();
    assert_eq!((recouped.charge.rule.as_str(), recouped.charge.amount), ("advance", eur("-18640")));
    assert_eq!((march.rated.net, march.rated.total, march.status), (eur("0"), eur("0"), InvoiceStatus::Paid));
    assert_eq!(balance(store, Account::Advance { licensee: "songfox".into() }).await, eur("-1360"));
    assert_eq!(
        balance(store, Account::Pool { stage: PoolStage::Service, period: "2026-03".into() }).await,
        eur("-8000")
    );

    let april_run = InvoiceRun {
        period: Period::month(2026, 4).unwrap(),
        licensee: Some("songfox"),
        issued_on: day(2026, 5, 15),
        now: at(2026, 5, 15),
        rates: &[],
    };
    let RunOutcome::Issued(april) = run_one(store, &april_run).await else { panic!("an invoice") };
    assert_eq!(
        lines(&april),
        [
            "minimum guarantee top-up | - | minimum guarantee | 3000.000000 EUR",
            "advance recouped (VAT was invoiced with the advance) | - | advance | -1360.000000 EUR"
        ]
    );
    assert_eq!((april.rated.net, april.rated.vat, april.rated.total), (eur("1640"), eur("410"), eur("2050")));
    assert_eq!(balance(store, Account::Advance { licensee: "songfox".into() }).await, eur("0"));
    // January, the advance's own month, is invoiced as a period of its own; the advance invoice stands.
    let january = InvoiceRun { period: Period::month(2026, 1).unwrap(), ..april_run };
    assert!(matches!(run_one(store, &january).await, RunOutcome::Issued(_)));
    assert_eq!(store.invoice("INV-2026-000001").await.unwrap().unwrap().status, InvoiceStatus::Issued);
}

/// The demo's key, sealed with a passphrase anyone can read, signs the demo's licence and nothing else; the
/// society's own key replaces it without the demo passphrase.
async fn a_demo_key_signs_only_the_demo(store: &Arc<dyn Store>) {
    set_up(store).await;
    let s = store.as_ref();
    let demo = licences::rotate_key(
        s,
        story_tests::staff(),
        licences::DEMO_PASSPHRASE,
        &engine::FixedEntropy::new(4),
        at(2026, 1, 2),
    )
    .await
    .unwrap();
    assert!(licences::is_demo_key(&demo));
    let refused = licences::issue_licence(
        s,
        story_tests::staff(),
        story_tests::songfox(),
        licences::DEMO_PASSPHRASE,
        at(2026, 1, 3),
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().starts_with(&format!("the signing key in force ({}) is the demo's", demo.key_id)));
    licences::issue_demo_licence(
        s,
        story_tests::staff(),
        story_tests::songfox(),
        licences::DEMO_PASSPHRASE,
        at(2026, 1, 3),
    )
    .await
    .unwrap();
    let own = licences::rotate_key(s, story_tests::staff(), PASSPHRASE, &engine::FixedEntropy::new(5), at(2026, 1, 4))
        .await
        .unwrap();
    assert!(!licences::is_demo_key(&own));
    licences::issue_licence(s, story_tests::staff(), story_tests::songfox(), PASSPHRASE, at(2026, 1, 5)).await.unwrap();
}

story!(
    a_demo_key_signs_only_the_demo,
    an_advance_is_invoiced_once_and_recouped,
    a_period_is_priced_invoiced_paid_and_corrected,
    a_licence_verifies_offline_and_shows_its_standing_online,
    dsr_exploitation_is_linked_to_outputs_and_converted
);
