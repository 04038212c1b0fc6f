//! Stores written by earlier schemas migrate forward without loss, on both databases: the fixtures in
//! `tests/fixtures/migrations` (see its README for how they were made and what they hold) are opened by
//! today's code, and their books, invoices and payments read back exactly as the old code printed them.

use std::io::Read;
use std::sync::Arc;

use engine::Store;
use engine::licensing::store::InvoiceStatus;
use ledger::{Account, JournalEntry, PoolStage, Posting};
use money::{Amount, Currency};

const SQLITE_0005: &[u8] = include_bytes!("fixtures/migrations/schema-0005.sqlite.gz");
const POSTGRES_0005: &[u8] = include_bytes!("fixtures/migrations/schema-0005.postgres.sql.gz");

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("a gzip fixture");
    out
}

fn eur(text: &str) -> Amount {
    Amount::parse(text, Currency::EUR).expect("an amount")
}

fn pool(stage: PoolStage) -> Account {
    Account::Pool { stage, period: "2026-03".into() }
}

/// What `tantiem ledger` printed for the fixture before the migration.
fn balances_before() -> Vec<(Account, Amount)> {
    let songfox = || "songfox".to_owned();
    let mut expected = vec![
        (Account::Receivable { licensee: songfox() }, eur("-6.87")),
        (Account::Cash, eur("23214")),
        (pool(PoolStage::Training), eur("-10000.1")),
        (pool(PoolStage::Service), eur("-8000")),
        (pool(PoolStage::Output), eur("-560")),
        (Account::Presumption { licensee: songfox() }, eur("-5.6")),
        (Account::VatPayable, eur("-4641.43")),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    expected
}

async fn carried_forward(store: &Arc<dyn Store>) {
    assert_eq!(story_tests::books_verify(store.as_ref()).await, 4);
    assert_eq!(store.trial_balance(u64::MAX).await.unwrap(), balances_before());
    for (account, amount) in balances_before() {
        assert_eq!(store.balance(&account, Currency::EUR).await.unwrap(), amount, "{account}");
    }
    let sources: Vec<String> = store.journal_entries(0, 10).await.unwrap().into_iter().map(|e| e.source).collect();
    assert_eq!(sources, ["invoice", "presumption-settlement", "payment", "payment"]);
    let first = store.journal_entry(1).await.unwrap().expect("the invoice's entry");
    assert_eq!(first.postings.len(), 6, "every JSON posting became a row, in order");
    assert_eq!(first.postings[0], Posting::debit(Account::Receivable { licensee: "songfox".into() }, eur("23214")));
    let invoice = store.invoice("INV-2026-000001").await.unwrap().expect("the invoice");
    assert_eq!(invoice.status, InvoiceStatus::Paid);
    let paid: Vec<_> = store.payments("INV-2026-000001").await.unwrap().into_iter().map(|p| p.amount).collect();
    assert_eq!(paid, [eur("10000"), eur("13214")]);
    // The migrated books take new entries on the accounts they already had.
    let entry = JournalEntry {
        number: 0,
        idempotency_key: Some("after the migration".into()),
        posted_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        description: "a transfer".into(),
        source: "test".into(),
        postings: vec![
            Posting::debit(Account::Cash, eur("1")),
            Posting::credit(Account::VatPayable, eur("1")).unwrap(),
        ],
    };
    assert_eq!(store.post_entries(Box::new(std::iter::once(entry))).await.unwrap(), Some((5, 5)));
    assert_eq!(store.balance(&Account::Cash, Currency::EUR).await.unwrap(), eur("23215"));
    assert_eq!(story_tests::books_verify(store.as_ref()).await, 5);
}

#[tokio::test]
async fn a_sqlite_store_of_schema_0005_migrates_forward() {
    let test = story_tests::sqlite_from(&gunzip(SQLITE_0005)).await;
    carried_forward(&test.store).await;
}

#[tokio::test]
async fn a_postgres_store_of_schema_0005_migrates_forward() {
    let dump = String::from_utf8(gunzip(POSTGRES_0005)).expect("a UTF-8 dump");
    let test = story_tests::postgres_from(&dump).await;
    carried_forward(&test.store).await;
}
