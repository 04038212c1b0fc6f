//! The double-entry journal every money movement in Tantiem goes through: licensee receivables, cash,
//! per-stage pools per period, the presumption account, VAT payable, advances. A credit note reverses the postings of
//! the invoice it corrects. Every journal entry balances per
//! currency; every externally triggered entry carries an idempotency key, so re-submitting a report or a
//! payment posts nothing twice; balances are derived from the entries, never stored beside them.
//!
//! Architecture invariant: pure. No clock (the posting time comes in), no database (a store persists the
//! entries it is given as rows keyed by [`AccountKey`], and streams them back through a [`Verifier`]), no
//! floats.
#![deny(clippy::float_arithmetic)]

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, Utc};
use money::{Amount, Currency};
use serde::{Deserialize, Serialize};

mod verify;
pub use verify::{Checkpoint, Verifier};

/// The stages a pool collects for (the same words as the domain's; kept here so the ledger depends on money
/// alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolStage {
    Training,
    Service,
    Output,
}

/// An account of the society's books.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Account {
    /// What a licensee owes (debit) or has overpaid (credit).
    Receivable { licensee: String },
    /// Money received.
    Cash,
    /// Licence income of one stage and period, waiting for distribution.
    Pool { stage: PoolStage, period: String },
    /// The part of training fees owed only because of the presumption rule, held for its window.
    Presumption { licensee: String },
    /// VAT collected for the state.
    VatPayable,
    /// Advances on royalties a licensee paid, not yet recouped from its charges.
    Advance { licensee: String },
    /// The society's management fees taken from distributed pools.
    ManagementFee,
    /// The social and cultural fund's part of distributed pools.
    CulturalFund,
    /// What is owed to a member party of the society (`party` is its key), to be paid out.
    MemberPayable { party: String },
    /// A member's money under the minimum payout, carried forward to the next run.
    CarriedForward { party: String },
    /// What is owed to a sister society (its CISAC code) for its members.
    SocietyPayable { society: String },
    /// Money waiting for its owner to be known (`reason`: unidentified work, unknown party, ...).
    Reserve { reason: String },
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Receivable { licensee } => write!(f, "receivable:{licensee}"),
            Account::Cash => f.write_str("cash"),
            Account::Pool { stage, period } => write!(f, "pool:{}:{period}", stage.as_str()),
            Account::Presumption { licensee } => write!(f, "presumption:{licensee}"),
            Account::VatPayable => f.write_str("vat-payable"),
            Account::Advance { licensee } => write!(f, "advance:{licensee}"),
            Account::ManagementFee => f.write_str("management-fee"),
            Account::CulturalFund => f.write_str("cultural-fund"),
            Account::MemberPayable { party } => write!(f, "member-payable:{party}"),
            Account::CarriedForward { party } => write!(f, "carried-forward:{party}"),
            Account::SocietyPayable { society } => write!(f, "society-payable:{society}"),
            Account::Reserve { reason } => write!(f, "reserve:{reason}"),
        }
    }
}

/// An account as the store keys it: its kind and the parts that name it, each empty where the kind has none
/// (the currency is the posting's). A balance is the sum of one key's postings in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountKey {
    pub kind: &'static str,
    /// The licensee (or, for distribution, the party) the account is held for.
    pub holder: String,
    pub stage: &'static str,
    pub period: String,
}

impl Account {
    /// The account's kind as stored: `receivable`, `cash`, `pool`, `presumption`, `vat-payable`, `advance`.
    pub fn kind(&self) -> &'static str {
        match self {
            Account::Receivable { .. } => "receivable",
            Account::Cash => "cash",
            Account::Pool { .. } => "pool",
            Account::Presumption { .. } => "presumption",
            Account::VatPayable => "vat-payable",
            Account::Advance { .. } => "advance",
            Account::ManagementFee => "management-fee",
            Account::CulturalFund => "cultural-fund",
            Account::MemberPayable { .. } => "member-payable",
            Account::CarriedForward { .. } => "carried-forward",
            Account::SocietyPayable { .. } => "society-payable",
            Account::Reserve { .. } => "reserve",
        }
    }

    /// The structured key the store indexes balances by.
    pub fn key(&self) -> AccountKey {
        let (holder, stage, period) = match self {
            Account::Receivable { licensee } | Account::Presumption { licensee } | Account::Advance { licensee } => {
                (licensee.clone(), "", String::new())
            }
            Account::MemberPayable { party: holder }
            | Account::CarriedForward { party: holder }
            | Account::SocietyPayable { society: holder }
            | Account::Reserve { reason: holder } => (holder.clone(), "", String::new()),
            Account::Pool { stage, period } => (String::new(), stage.as_str(), period.clone()),
            Account::Cash | Account::VatPayable | Account::ManagementFee | Account::CulturalFund => {
                (String::new(), "", String::new())
            }
        };
        AccountKey { kind: self.kind(), holder, stage, period }
    }

    /// The account a stored key names; `None` for a key no account has (a corrupt or newer store).
    pub fn from_key(kind: &str, holder: &str, stage: &str, period: &str) -> Option<Account> {
        let licensee = || (!holder.is_empty() && stage.is_empty() && period.is_empty()).then(|| holder.to_owned());
        let bare = holder.is_empty() && stage.is_empty() && period.is_empty();
        match kind {
            "receivable" => licensee().map(|licensee| Account::Receivable { licensee }),
            "presumption" => licensee().map(|licensee| Account::Presumption { licensee }),
            "advance" => licensee().map(|licensee| Account::Advance { licensee }),
            "member-payable" => licensee().map(|party| Account::MemberPayable { party }),
            "carried-forward" => licensee().map(|party| Account::CarriedForward { party }),
            "society-payable" => licensee().map(|society| Account::SocietyPayable { society }),
            "reserve" => licensee().map(|reason| Account::Reserve { reason }),
            "management-fee" => bare.then_some(Account::ManagementFee),
            "cultural-fund" => bare.then_some(Account::CulturalFund),
            "cash" => bare.then_some(Account::Cash),
            "vat-payable" => bare.then_some(Account::VatPayable),
            "pool" if holder.is_empty() && !period.is_empty() => {
                PoolStage::parse(stage).map(|stage| Account::Pool { stage, period: period.to_owned() })
            }
            _ => None,
        }
    }
}

impl PoolStage {
    pub const ALL: [PoolStage; 3] = [PoolStage::Training, PoolStage::Service, PoolStage::Output];

    pub fn as_str(self) -> &'static str {
        match self {
            PoolStage::Training => "training",
            PoolStage::Service => "service",
            PoolStage::Output => "output",
        }
    }

    pub fn parse(text: &str) -> Option<PoolStage> {
        PoolStage::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One line of an entry: a signed amount on an account, debit positive and credit negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub account: Account,
    pub amount: Amount,
}

impl Posting {
    pub fn debit(account: Account, amount: Amount) -> Posting {
        Posting { account, amount }
    }

    /// A credit of `amount` (given as a positive amount).
    pub fn credit(account: Account, amount: Amount) -> Result<Posting, LedgerError> {
        Ok(Posting { account, amount: amount.checked_neg().map_err(LedgerError::Money)? })
    }
}

/// A balanced set of postings with what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Set by the journal: 1, 2, 3 … in posting order, without gaps.
    pub number: u64,
    /// Present on every entry something outside triggered (a report, a payment, an invoice run).
    pub idempotency_key: Option<String>,
    pub posted_at: DateTime<Utc>,
    /// The memo a person reads.
    pub description: String,
    /// Which use case posted it (`invoice`, `payment`, `presumption-release` …): what the books are filtered by.
    #[serde(default)]
    pub source: String,
    pub postings: Vec<Posting>,
}

/// Why an entry was refused. A refused entry changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("an entry needs at least two postings")]
    TooFewPostings,
    #[error("a posting of zero on {0} says nothing: leave it out")]
    ZeroPosting(Account),
    #[error("the entry does not balance in {currency}: debits and credits differ by {difference_micros} micro-units")]
    Unbalanced { currency: Currency, difference_micros: i128 },
    #[error(
        "idempotency key {key:?} was used for a different entry (number {existing}): use a new key or resubmit the same entry"
    )]
    KeyReused { key: String, existing: u64 },
    #[error("entry {number} is not the next in sequence or does not balance: the journal is corrupt")]
    Corrupt { number: u64 },
    #[error(transparent)]
    Money(money::MoneyError),
}

/// What posting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// A new entry with this number.
    New(u64),
    /// The same entry was posted before under the same key: nothing changed.
    AlreadyPosted(u64),
}

/// The journal: entries in order, their idempotency keys, and the balances derived from them.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: Vec<JournalEntry>,
    by_key: HashMap<String, usize>,
    balances: Balances,
}

/// Checks that postings form a valid entry: at least two, none zero, balanced per currency. Stores call it
/// before writing an entry.
pub fn check_balanced(postings: &[Posting]) -> Result<(), LedgerError> {
    if postings.len() < 2 {
        return Err(LedgerError::TooFewPostings);
    }
    let mut sums: BTreeMap<Currency, i128> = BTreeMap::new();
    for p in postings {
        if p.amount.is_zero() {
            return Err(LedgerError::ZeroPosting(p.account.clone()));
        }
        *sums.entry(p.amount.currency()).or_default() += i128::from(p.amount.micros());
    }
    match sums.into_iter().find(|(_, sum)| *sum != 0) {
        Some((currency, difference_micros)) => Err(LedgerError::Unbalanced { currency, difference_micros }),
        None => Ok(()),
    }
}

impl Journal {
    pub fn new() -> Journal {
        Journal::default()
    }

    /// Rebuilds a journal from stored entries, checking every invariant again (numbers without gaps, every
    /// entry balanced, keys unique), as a store must when it reads the books back.
    pub fn verify(entries: Vec<JournalEntry>) -> Result<Journal, LedgerError> {
        let mut journal = Journal::new();
        for entry in entries {
            if entry.number != journal.entries.len() as u64 + 1 {
                return Err(LedgerError::Corrupt { number: entry.number });
            }
            check_balanced(&entry.postings).map_err(|_| LedgerError::Corrupt { number: entry.number })?;
            if let Some(key) = &entry.idempotency_key
                && journal.by_key.contains_key(key)
            {
                return Err(LedgerError::Corrupt { number: entry.number });
            }
            journal.append(entry)?;
        }
        Ok(journal)
    }

    /// Posts an entry. With a key already used for the same postings and description, nothing changes
    /// and the earlier entry's number is returned; with a key used for something else, it is refused.
    pub fn post(
        &mut self,
        idempotency_key: Option<&str>,
        posted_at: DateTime<Utc>,
        description: &str,
        postings: Vec<Posting>,
    ) -> Result<Posted, LedgerError> {
        check_balanced(&postings)?;
        if let Some(key) = idempotency_key
            && let Some(&index) = self.by_key.get(key)
        {
            let existing = &self.entries[index];
            return if existing.postings == postings && existing.description == description {
                Ok(Posted::AlreadyPosted(existing.number))
            } else {
                Err(LedgerError::KeyReused { key: key.to_owned(), existing: existing.number })
            };
        }
        let number = self.entries.len() as u64 + 1;
        self.append(JournalEntry {
            number,
            idempotency_key: idempotency_key.map(str::to_owned),
            posted_at,
            description: description.to_owned(),
            source: String::new(),
            postings,
        })?;
        Ok(Posted::New(number))
    }

    /// Adds a checked entry and updates the derived balances; all-or-nothing.
    fn append(&mut self, entry: JournalEntry) -> Result<(), LedgerError> {
        let mut updated = Vec::with_capacity(entry.postings.len());
        for p in &entry.postings {
            let key = (p.account.clone(), p.amount.currency());
            let current = self.balances.get(&key).copied().unwrap_or(0);
            let next = current.checked_add(p.amount.micros()).ok_or(LedgerError::Money(money::MoneyError::Overflow))?;
            updated.push((key, next));
        }
        for (key, value) in updated {
            self.balances.insert(key, value);
        }
        if let Some(key) = &entry.idempotency_key {
            self.by_key.insert(key.clone(), self.entries.len());
        }
        self.entries.push(entry);
        debug_assert!(self.is_balanced(), "a balanced entry keeps the books balanced");
        Ok(())
    }

    pub fn entries(&self) -> &[JournalEntry] {
        &self.entries
    }

    /// The balance of an account in a currency (debit positive).
    pub fn balance(&self, account: &Account, currency: Currency) -> Amount {
        Amount::from_micros(self.balances.get(&(account.clone(), currency)).copied().unwrap_or(0), currency)
    }

    /// Every non-zero balance, in account order.
    pub fn trial_balance(&self) -> Vec<(Account, Amount)> {
        non_zero(&self.balances)
    }

    /// Whether all balances sum to zero in every currency: the invariant of double entry.
    pub fn is_balanced(&self) -> bool {
        sums_to_zero(&self.balances)
    }
}

/// Balances in micro-units per account and currency, as the journal and the verifier keep them.
pub(crate) type Balances = BTreeMap<(Account, Currency), i64>;

/// Every non-zero balance, in account order.
pub(crate) fn non_zero(balances: &Balances) -> Vec<(Account, Amount)> {
    balances
        .iter()
        .filter(|(_, v)| **v != 0)
        .map(|((account, currency), v)| (account.clone(), Amount::from_micros(*v, *currency)))
        .collect()
}

/// Whether the balances sum to zero in every currency: the invariant of double entry.
pub(crate) fn sums_to_zero(balances: &Balances) -> bool {
    let mut sums: BTreeMap<Currency, i128> = BTreeMap::new();
    for ((_, currency), v) in balances {
        *sums.entry(*currency).or_default() += i128::from(*v);
    }
    sums.values().all(|s| *s == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EUR: Currency = Currency::EUR;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000, 0).unwrap()
    }

    fn eur(units: i64) -> Amount {
        Amount::from_units(units, EUR).unwrap()
    }

    fn receivable() -> Account {
        Account::Receivable { licensee: "songfox".into() }
    }

    fn pool() -> Account {
        Account::Pool { stage: PoolStage::Training, period: "2026-11".into() }
    }

    #[test]
    fn an_invoice_and_its_payment_balance_and_derive_balances() {
        let mut journal = Journal::new();
        let invoice = vec![Posting::debit(receivable(), eur(1000)), Posting::credit(pool(), eur(1000)).unwrap()];
        assert_eq!(
            journal.post(Some("invoice:2026-0001"), at(), "invoice 2026-0001", invoice).unwrap(),
            Posted::New(1)
        );
        let payment = vec![Posting::debit(Account::Cash, eur(600)), Posting::credit(receivable(), eur(600)).unwrap()];
        assert_eq!(journal.post(Some("payment:bank-77"), at(), "payment", payment.clone()).unwrap(), Posted::New(2));
        assert_eq!(journal.balance(&receivable(), EUR), eur(400));
        assert_eq!(journal.balance(&Account::Cash, EUR), eur(600));
        assert_eq!(journal.balance(&pool(), EUR), eur(-1000));
        assert!(journal.is_balanced());
        // The same payment again changes nothing; the same key for another payment is refused.
        assert_eq!(journal.post(Some("payment:bank-77"), at(), "payment", payment).unwrap(), Posted::AlreadyPosted(2));
        let other = vec![Posting::debit(Account::Cash, eur(1)), Posting::credit(receivable(), eur(1)).unwrap()];
        assert!(matches!(
            journal.post(Some("payment:bank-77"), at(), "payment", other),
            Err(LedgerError::KeyReused { existing: 2, .. })
        ));
        assert_eq!(journal.entries().len(), 2);
    }

    #[test]
    fn unbalanced_and_degenerate_entries_are_refused() {
        let mut journal = Journal::new();
        let unbalanced = vec![Posting::debit(receivable(), eur(10)), Posting::credit(pool(), eur(9)).unwrap()];
        assert!(matches!(
            journal.post(None, at(), "x", unbalanced),
            Err(LedgerError::Unbalanced { difference_micros: 1_000_000, .. })
        ));
        assert_eq!(
            journal.post(None, at(), "x", vec![Posting::debit(Account::Cash, eur(1))]),
            Err(LedgerError::TooFewPostings)
        );
        let zero = vec![Posting::debit(Account::Cash, eur(0)), Posting::debit(receivable(), eur(0))];
        assert!(matches!(journal.post(None, at(), "x", zero), Err(LedgerError::ZeroPosting(_))));
        // Balanced per currency, not across currencies.
        let mixed = vec![
            Posting::debit(Account::Cash, eur(1)),
            Posting::credit(pool(), Amount::from_units(1, Currency::SEK).unwrap()).unwrap(),
        ];
        assert!(matches!(
            journal.post(None, at(), "x", mixed),
            Err(LedgerError::Unbalanced { currency: Currency::EUR, .. })
        ));
        assert!(journal.entries().is_empty());
    }

    #[test]
    fn verify_refuses_gaps_and_tampering() {
        let mut journal = Journal::new();
        for n in 0..3 {
            let postings = vec![Posting::debit(receivable(), eur(n + 1)), Posting::credit(pool(), eur(n + 1)).unwrap()];
            journal.post(Some(&format!("k{n}")), at(), "e", postings).unwrap();
        }
        let entries = journal.entries().to_vec();
        assert!(Journal::verify(entries.clone()).is_ok());
        let mut gap = entries.clone();
        gap.remove(1);
        assert_eq!(Journal::verify(gap).unwrap_err(), LedgerError::Corrupt { number: 3 });
        let mut tampered = entries;
        tampered[0].postings[0].amount = eur(2);
        assert_eq!(Journal::verify(tampered).unwrap_err(), LedgerError::Corrupt { number: 1 });
    }

    proptest! {
        #[test]
        fn books_always_balance(entries in proptest::collection::vec((1i64..1_000_000_000, 0usize..4, 0usize..4, any::<bool>()), 1..60)) {
            let accounts = [receivable(), Account::Cash, pool(), Account::Presumption { licensee: "songfox".into() }];
            let mut journal = Journal::new();
            for (i, (micros, from, to, keyed)) in entries.iter().enumerate() {
                if from == to { continue; }
                let amount = Amount::from_micros(*micros, EUR);
                let postings = vec![Posting::debit(accounts[*from].clone(), amount), Posting::credit(accounts[*to].clone(), amount).unwrap()];
                let key = keyed.then(|| format!("k{}", i % 7));
                let _ = journal.post(key.as_deref(), at(), "p", postings);
                prop_assert!(journal.is_balanced());
            }
            let total: i128 = journal.trial_balance().iter().map(|(_, a)| i128::from(a.micros())).sum();
            prop_assert_eq!(total, 0);
            prop_assert!(Journal::verify(journal.entries().to_vec()).is_ok());
        }
    }
}
