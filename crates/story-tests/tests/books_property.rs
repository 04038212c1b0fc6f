//! A property of the books on both stores: for random sequences of postings (invoices, payments, credit
//! notes, settlements and releases are all entries of this shape: balanced sets of postings on licensee,
//! pool, cash, VAT and presumption accounts, in several currencies, one at a time or in batches) with
//! incremental verifications taken at random moments, every balance the store sums equals the sum of the
//! postings a model kept aside, and a full verification agrees with the incremental one.

use std::collections::BTreeMap;
use std::sync::Arc;

use engine::Store;
use ledger::{Account, JournalEntry, PoolStage, Posting};
use money::{Amount, Currency};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// A batch of entries: (debit account, credit account, micros, currency) each.
    Post(Vec<(usize, usize, i64, bool)>),
    Verify,
}

fn accounts() -> Vec<Account> {
    vec![
        Account::Receivable { licensee: "songfox".into() },
        Account::Receivable { licensee: "tunebird".into() },
        Account::Cash,
        Account::Pool { stage: PoolStage::Training, period: "2026-03".into() },
        Account::Pool { stage: PoolStage::Output, period: "2026-04".into() },
        Account::Presumption { licensee: "songfox".into() },
        Account::VatPayable,
        Account::Advance { licensee: "tunebird".into() },
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let entry = (0usize..8, 0usize..8, 1i64..5_000_000_000, any::<bool>());
    prop_oneof![
        4 => proptest::collection::vec(entry, 1..40).prop_map(Op::Post),
        1 => Just(Op::Verify),
    ]
}

async fn run(store: &Arc<dyn Store>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let accounts = accounts();
    let mut model: BTreeMap<(Account, Currency), i64> = BTreeMap::new();
    let mut key = 0u64;
    for op in ops {
        match op {
            Op::Post(batch) => {
                let mut entries = Vec::new();
                for (from, to, micros, sek) in batch {
                    if from == to {
                        continue;
                    }
                    let currency = if sek { Currency::SEK } else { Currency::EUR };
                    let amount = Amount::from_micros(micros, currency);
                    *model.entry((accounts[from].clone(), currency)).or_default() += micros;
                    *model.entry((accounts[to].clone(), currency)).or_default() -= micros;
                    key += 1;
                    entries.push(JournalEntry {
                        number: 0,
                        idempotency_key: Some(format!("k{key}")),
                        posted_at: at,
                        description: "random".into(),
                        source: "property".into(),
                        postings: vec![
                            Posting::debit(accounts[from].clone(), amount),
                            Posting::credit(accounts[to].clone(), amount).unwrap(),
                        ],
                    });
                }
                store.post_entries(Box::new(entries.into_iter())).await.unwrap();
            }
            Op::Verify => {
                engine::books::verify(store.as_ref(), story_tests::staff(), false, at)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
        }
    }
    for ((account, currency), micros) in &model {
        let stored = store.balance(account, *currency).await.unwrap();
        prop_assert_eq!(stored, Amount::from_micros(*micros, *currency), "{}", account);
    }
    let incremental = engine::books::verify(store.as_ref(), story_tests::staff(), false, at)
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let full = engine::books::verify(store.as_ref(), story_tests::staff(), true, at)
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(incremental.through, full.through);
    prop_assert_eq!(full.through, key);
    let trial: i128 = store.trial_balance(u64::MAX).await.unwrap().iter().map(|(_, a)| i128::from(a.micros())).sum();
    prop_assert_eq!(trial, 0);
    Ok(())
}

fn check(postgres: bool) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ProptestConfig { cases: 16, ..ProptestConfig::default() };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..40))| {
        runtime.block_on(async {
            let test = if postgres { story_tests::postgres().await } else { story_tests::sqlite().await };
            run(&test.store, ops).await
        })?;
    });
}

#[test]
fn balances_and_verifications_agree_on_sqlite() {
    check(false);
}

#[test]
fn balances_and_verifications_agree_on_postgres() {
    check(true);
}
