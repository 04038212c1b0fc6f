//! The books as a whole: verifying the journal from its last checkpoint (what every posting use case does
//! after it posts) or from the first entry (`tantiem ledger verify --full`, and the periodic job), and the
//! sources entries are posted under.
//!
//! Verification streams the journal a page at a time, so its memory is the balances, never the history. An
//! incremental run trusts the last checkpoint, checks every entry after it, and compares each account those
//! entries touched with the store's own sum of its postings (which would show a change made to an older
//! posting behind the journal's back); a full run checks every entry and must reproduce every checkpoint.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ledger::{Account, LedgerError, Verifier};
use money::{Amount, Currency};

use async_trait::async_trait;
use ledger::{Checkpoint, JournalEntry};
use ports::access::{Actor, Denied, Scope, UseCase};
use ports::{StoreError, StoreResult};

/// What the books need from a store: the journal, its postings' sums and the checkpoints.
#[async_trait]
pub trait BooksStore: Send + Sync {
    /// Entries numbered after `after`, at most `limit`, in order, with their postings: what verification
    /// streams through.
    async fn journal_entries(&self, after: u64, limit: u32) -> StoreResult<Vec<JournalEntry>>;
    /// The number of the last entry (0 for empty books).
    async fn journal_length(&self) -> StoreResult<u64>;
    /// One account's balance in one currency (debit positive): one indexed sum of its postings.
    async fn balance(&self, account: &Account, currency: Currency) -> StoreResult<Amount> {
        self.balance_through(account, currency, u64::MAX).await
    }
    /// The balance after entry `through`: what verification compares, unmoved by entries posted meanwhile.
    async fn balance_through(&self, account: &Account, currency: Currency, through: u64) -> StoreResult<Amount>;
    /// Every non-zero balance after entry `through` (`u64::MAX`: now), summed from the postings, in account
    /// order.
    async fn trial_balance(&self, through: u64) -> StoreResult<Vec<(Account, Amount)>>;
    /// Posts a batch of entries in one transaction, numbered next in the order given, each checked to balance
    /// first; the entries are streamed into the store in chunks, never all held. Returns the numbers given
    /// (first, last), `None` for an empty batch. A key used before refuses the whole batch.
    async fn post_entries(
        &self,
        entries: Box<dyn Iterator<Item = JournalEntry> + Send>,
    ) -> StoreResult<Option<(u64, u64)>>;
    /// The entry numbers verification checkpoints were taken at, in order.
    async fn checkpoint_numbers(&self) -> StoreResult<Vec<u64>>;
    async fn checkpoint(&self, through: u64) -> StoreResult<Option<Checkpoint>>;
    /// The last checkpoint kept, if any: where an incremental verification starts.
    async fn latest_checkpoint(&self) -> StoreResult<Option<Checkpoint>>;
    /// Keeps a checkpoint (one already kept at the same entry stays as it was).
    async fn put_checkpoint(&self, checkpoint: &Checkpoint) -> StoreResult<()>;
    async fn journal_entry_by_key(&self, key: &str) -> StoreResult<Option<JournalEntry>>;
    async fn journal_entry(&self, number: u64) -> StoreResult<Option<JournalEntry>>;

    /// How many entry numbers the journal has given out (the last number; 0 for empty books), read from its
    /// counter, not from the entries: one removed behind the journal's back leaves the entries short of it.
    async fn journal_numbered(&self) -> StoreResult<u64>;
}

/// Which use case posted an entry.
pub mod source {
    pub const INVOICE: &str = "invoice";
    pub const CREDIT_NOTE: &str = "credit-note";
    pub const ADVANCE: &str = "advance";
    pub const PAYMENT: &str = "payment";
    pub const PRESUMPTION_SETTLEMENT: &str = "presumption-settlement";
    pub const DISTRIBUTION: &str = "distribution";
}

/// Entries read per page while verifying.
const PAGE: u32 = 10_000;

/// An incremental verification that read at least this many entries leaves a checkpoint behind, so the
/// next one reads fewer.
pub const CHECKPOINT_EVERY: u64 = 256;

/// What a verification proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The checkpoint it started from (0: the first entry).
    pub from: u64,
    /// The last entry it checked.
    pub through: u64,
    pub entries_read: u64,
    /// Accounts whose stored sums were compared with the journal's.
    pub accounts_compared: usize,
    /// Earlier checkpoints reproduced (a full verification only).
    pub checkpoints_reproduced: usize,
    /// Whether this verification kept a new checkpoint.
    pub checkpoint_kept: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BooksError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the books do not verify: {0}")]
    Ledger(#[from] LedgerError),
    #[error(
        "account {account} sums to {stored} in the store but to {derived} by the journal: postings were changed outside \
         Tantiem; restore the store from a backup and run `tantiem ledger verify --full`"
    )]
    Mismatch { account: String, stored: Amount, derived: Amount },
    #[error(
        "the checkpoint kept at entry {0} does not match the journal: an entry up to it was changed or removed outside \
         Tantiem; restore the store from a backup"
    )]
    CheckpointDiffers(u64),
    #[error(
        "the journal numbered {numbered} entries but holds only {through}: the last were removed outside Tantiem; \
         restore the store from a backup"
    )]
    EntriesMissing { numbered: u64, through: u64 },
    #[error(transparent)]
    Denied(#[from] Denied),
}

/// Verifies the books: from the last checkpoint, or with `full` from the first entry. Keeps a checkpoint
/// where it proved enough new entries (a full run always keeps one at its end).
#[tracing::instrument(skip_all)]
pub async fn verify(
    store: &dyn BooksStore,
    actor: &Actor,
    full: bool,
    now: DateTime<Utc>,
) -> Result<Verified, BooksError> {
    actor.may(UseCase::VerifyBooks, Scope::Society)?;
    check(store, full, now).await
}

/// Every non-zero balance of the books now, summed from the postings, in account order.
#[tracing::instrument(skip_all)]
pub async fn trial_balance(store: &dyn BooksStore, actor: &Actor) -> Result<Vec<(Account, Amount)>, BooksError> {
    actor.may(UseCase::TrialBalance, Scope::Society)?;
    Ok(store.trial_balance(u64::MAX).await?)
}

/// [`verify`] as the step every posting use case takes after it posted (it was allowed already): for the
/// areas that post, not for an edge.
pub async fn check(store: &dyn BooksStore, full: bool, now: DateTime<Utc>) -> Result<Verified, BooksError> {
    // Every number the journal has given out, read before the entries: an entry committed meanwhile only
    // adds to what is read, and one removed behind the journal's back leaves `through` short of it.
    let numbered = store.journal_numbered().await?;
    // An incremental run needs the last checkpoint only; a full one must reproduce them all.
    let (start, numbers) =
        if full { (None, store.checkpoint_numbers().await?) } else { (store.latest_checkpoint().await?, Vec::new()) };
    let mut verifier = match &start {
        Some(c) => Verifier::from_checkpoint(c)?,
        None => Verifier::new(),
    };
    let from = verifier.through();
    let mut to_reproduce = numbers.into_iter().filter(|n| *n > from).peekable();
    let (mut entries_read, mut checkpoints_reproduced) = (0u64, 0usize);
    loop {
        let page = store.journal_entries(verifier.through(), PAGE).await?;
        if page.is_empty() {
            break;
        }
        for entry in &page {
            verifier.feed(entry)?;
            entries_read += 1;
            if to_reproduce.peek() == Some(&verifier.through()) {
                let kept = store.checkpoint(verifier.through()).await?;
                if !kept.is_some_and(|c| verifier.agrees_with(&c)) {
                    return Err(BooksError::CheckpointDiffers(verifier.through()));
                }
                checkpoints_reproduced += 1;
                to_reproduce.next();
            }
        }
    }
    if let Some(beyond) = to_reproduce.next() {
        return Err(BooksError::CheckpointDiffers(beyond));
    }
    if verifier.through() < numbered {
        return Err(BooksError::EntriesMissing { numbered, through: verifier.through() });
    }
    if !verifier.is_balanced() {
        return Err(LedgerError::Corrupt { number: verifier.through() }.into());
    }
    let accounts_compared = compare_sums(store, &verifier, full).await?;
    let checkpoint_kept = (full || entries_read >= CHECKPOINT_EVERY) && entries_read > 0;
    if checkpoint_kept {
        store.put_checkpoint(&verifier.checkpoint(now)).await?;
    }
    Ok(Verified {
        from,
        through: verifier.through(),
        entries_read,
        accounts_compared,
        checkpoints_reproduced,
        checkpoint_kept,
    })
}

/// Compares the store's sums with the journal's balances: every account on a full run, the touched ones
/// otherwise, each as of the last entry verified (entries posted meanwhile are the next run's). Returns how
/// many were compared.
async fn compare_sums(store: &dyn BooksStore, verifier: &Verifier, full: bool) -> Result<usize, BooksError> {
    let mismatch = |account: &Account, stored: Amount, derived: Amount| BooksError::Mismatch {
        account: account.to_string(),
        stored,
        derived,
    };
    if full {
        let by_key = |balances: Vec<(Account, Amount)>| -> BTreeMap<(Account, Currency), Amount> {
            balances.into_iter().map(|(a, m)| ((a, m.currency()), m)).collect()
        };
        let stored = by_key(store.trial_balance(verifier.through()).await?);
        let derived = by_key(verifier.trial_balance());
        for key in stored.keys().chain(derived.keys()) {
            let zero = Amount::zero(key.1);
            let (s, d) = (stored.get(key).copied().unwrap_or(zero), derived.get(key).copied().unwrap_or(zero));
            if s != d {
                return Err(mismatch(&key.0, s, d));
            }
        }
        return Ok(derived.len());
    }
    let mut compared = 0;
    for (account, derived) in verifier.touched() {
        let stored = store.balance_through(account, derived.currency(), verifier.through()).await?;
        if stored != derived {
            return Err(mismatch(account, stored, derived));
        }
        compared += 1;
    }
    Ok(compared)
}
