//! Verifying the books as they stream past, from the first entry or from a checkpoint.
//!
//! A [`Checkpoint`] is what a verification proved: the last entry it covered, a SHA-256 chained over every
//! entry up to it, and every account's balance there. Verifying from a checkpoint reads only the entries after
//! it; a full verification starts from nothing and must reproduce every stored checkpoint's digest and
//! balances, so an entry changed behind the journal's back is found by the next full run even though the
//! incremental ones never read it again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use money::{Amount, Currency};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Account, JournalEntry, LedgerError, check_balanced};

/// What a verification proved and where the next may start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The last entry covered (0: none).
    pub through: u64,
    /// SHA-256, hex, chained over the entries 1..=`through` in their canonical form.
    pub digest: String,
    /// Every non-zero balance after entry `through`, in account order.
    pub balances: Vec<(Account, Amount)>,
    pub taken_at: DateTime<Utc>,
}

/// Folds entries, in order, into balances and a chained digest, refusing the first that breaks an invariant.
#[derive(Debug, Clone)]
pub struct Verifier {
    through: u64,
    digest: [u8; 32],
    balances: crate::Balances,
    /// Accounts an entry after the starting point touched: the ones whose stored sums are worth comparing.
    touched: BTreeMap<(Account, Currency), ()>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier::new()
    }
}

impl Verifier {
    /// A verification from the first entry.
    pub fn new() -> Verifier {
        Verifier { through: 0, digest: [0; 32], balances: BTreeMap::new(), touched: BTreeMap::new() }
    }

    /// A verification that trusts `checkpoint` and goes on after it.
    pub fn from_checkpoint(checkpoint: &Checkpoint) -> Result<Verifier, LedgerError> {
        let corrupt = LedgerError::Corrupt { number: checkpoint.through };
        let mut digest = [0; 32];
        if checkpoint.through > 0 {
            let bytes = unhex(&checkpoint.digest).ok_or(corrupt.clone())?;
            digest.copy_from_slice(&bytes);
        }
        let mut balances = BTreeMap::new();
        for (account, amount) in &checkpoint.balances {
            balances.insert((account.clone(), amount.currency()), amount.micros());
        }
        Ok(Verifier { through: checkpoint.through, digest, balances, touched: BTreeMap::new() })
    }

    /// Checks the next entry: numbered right after the last, at least two non-zero postings, balanced per
    /// currency; then adds it to the balances and the digest.
    pub fn feed(&mut self, entry: &JournalEntry) -> Result<(), LedgerError> {
        let corrupt = LedgerError::Corrupt { number: entry.number };
        if entry.number != self.through + 1 {
            return Err(corrupt);
        }
        check_balanced(&entry.postings).map_err(|_| corrupt.clone())?;
        for p in &entry.postings {
            let key = (p.account.clone(), p.amount.currency());
            let balance = self.balances.entry(key.clone()).or_default();
            *balance = balance.checked_add(p.amount.micros()).ok_or(corrupt.clone())?;
            self.touched.insert(key, ());
        }
        self.digest = chain(&self.digest, entry);
        self.through = entry.number;
        Ok(())
    }

    /// The last entry verified.
    pub fn through(&self) -> u64 {
        self.through
    }

    /// The balance of an account in a currency after the last entry verified.
    pub fn balance(&self, account: &Account, currency: Currency) -> Amount {
        Amount::from_micros(self.balances.get(&(account.clone(), currency)).copied().unwrap_or(0), currency)
    }

    /// The balances of the accounts entries after the starting point touched.
    pub fn touched(&self) -> impl Iterator<Item = (&Account, Amount)> {
        self.touched.keys().map(|(account, currency)| (account, self.balance(account, *currency)))
    }

    /// Every non-zero balance, in account order.
    pub fn trial_balance(&self) -> Vec<(Account, Amount)> {
        crate::non_zero(&self.balances)
    }

    /// Whether all balances sum to zero in every currency.
    pub fn is_balanced(&self) -> bool {
        crate::sums_to_zero(&self.balances)
    }

    /// What has been proved so far, to start the next verification from.
    pub fn checkpoint(&self, taken_at: DateTime<Utc>) -> Checkpoint {
        Checkpoint { through: self.through, digest: hex(&self.digest), balances: self.trial_balance(), taken_at }
    }

    /// Whether a stored checkpoint says what this verification found at the same entry.
    pub fn agrees_with(&self, checkpoint: &Checkpoint) -> bool {
        checkpoint.through == self.through
            && checkpoint.digest == hex(&self.digest)
            && checkpoint.balances == self.trial_balance()
    }
}

/// The digest after `entry`: SHA-256 of the previous digest and the entry's canonical bytes, each field
/// length-prefixed so that no two entries share a form.
fn chain(previous: &[u8; 32], entry: &JournalEntry) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(previous);
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(&entry.number.to_be_bytes());
    // A presence byte first: no key and an empty key must not hash alike.
    field(&[u8::from(entry.idempotency_key.is_some())]);
    field(entry.idempotency_key.as_deref().unwrap_or("").as_bytes());
    field(&entry.posted_at.timestamp_micros().to_be_bytes());
    field(entry.description.as_bytes());
    field(entry.source.as_bytes());
    for p in &entry.postings {
        let key = p.account.key();
        for part in [key.kind, &key.holder, key.stage, &key.period, p.amount.currency().code()] {
            field(part.as_bytes());
        }
        field(&p.amount.micros().to_be_bytes());
    }
    h.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Journal, PoolStage, Posting};

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000, 0).unwrap()
    }

    fn journal(n: i64) -> Journal {
        let mut journal = Journal::new();
        for i in 1..=n {
            let amount = Amount::from_micros(i * 1_000, Currency::EUR);
            let pool = Account::Pool { stage: PoolStage::Output, period: "2026-11".into() };
            let postings = vec![
                Posting::debit(Account::Receivable { licensee: format!("l{}", i % 3) }, amount),
                Posting::credit(pool, amount).unwrap(),
            ];
            journal.post(Some(&format!("k{i}")), at(), "entry", postings).unwrap();
        }
        journal
    }

    #[test]
    fn from_a_checkpoint_gives_what_a_full_run_gives() {
        let entries = journal(10).entries().to_vec();
        let mut full = Verifier::new();
        entries.iter().try_for_each(|e| full.feed(e)).unwrap();
        let mut first = Verifier::new();
        entries[..6].iter().try_for_each(|e| first.feed(e)).unwrap();
        let checkpoint = first.checkpoint(at());
        let mut rest = Verifier::from_checkpoint(&checkpoint).unwrap();
        entries[6..].iter().try_for_each(|e| rest.feed(e)).unwrap();
        assert_eq!(rest.checkpoint(at()), full.checkpoint(at()));
        assert!(rest.is_balanced());
        assert_eq!(rest.touched().count(), 4, "three receivables and the pool");
    }

    #[test]
    fn a_changed_entry_before_a_checkpoint_is_found_by_the_full_run() {
        let mut entries = journal(5).entries().to_vec();
        let mut honest = Verifier::new();
        entries[..3].iter().try_for_each(|e| honest.feed(e)).unwrap();
        let checkpoint = honest.checkpoint(at());
        entries[1].description = "changed".into();
        let mut full = Verifier::new();
        entries[..3].iter().try_for_each(|e| full.feed(e)).unwrap();
        assert!(!full.agrees_with(&checkpoint));
        // Gaps and unbalanced entries are refused as they stream past.
        let mut gap = Verifier::new();
        assert_eq!(gap.feed(&entries[1]), Err(LedgerError::Corrupt { number: 2 }));
        let mut unbalanced = entries[0].clone();
        unbalanced.postings[0].amount = Amount::from_micros(7, Currency::EUR);
        assert_eq!(Verifier::new().feed(&unbalanced), Err(LedgerError::Corrupt { number: 1 }));
    }
}
