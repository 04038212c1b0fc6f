//! The journal (`BooksStore`, and the posting every money-moving use case does inside its own
//! transaction): entries and their postings on structured accounts, numbered inside the writing
//! transaction, balances as one indexed `SUM`, and verification checkpoints.

use std::collections::HashMap;

use async_trait::async_trait;
use engine::store::{StoreError, StoreResult};
use ledger::{Account, Checkpoint, JournalEntry, Posting};
use money::{Amount, Currency};

use crate::SqlStore;
use crate::sql::{Pool, Row, Tx, Value, query};

const ENTRY_COLUMNS: &str = "number, idempotency_key, posted_at, description, source";

/// Entries per bulk write while posting a batch.
const POSTING_CHUNK: usize = 20_000;

pub(crate) fn currency(text: &str) -> StoreResult<Currency> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("currency {text:?}")))
}

/// An entry read back without its postings yet.
fn entry_head(row: &Row) -> StoreResult<JournalEntry> {
    Ok(JournalEntry {
        number: row.count("number")?,
        idempotency_key: row.get("idempotency_key")?,
        posted_at: row.get("posted_at")?,
        description: row.get("description")?,
        source: row.get("source")?,
        postings: Vec::new(),
    })
}

/// The account of a row holding an account's key columns.
fn account_from(row: &Row) -> StoreResult<Account> {
    let (kind, holder): (String, String) = (row.get("kind")?, row.get("holder")?);
    let (stage, period): (String, String) = (row.get("stage")?, row.get("period")?);
    Account::from_key(&kind, &holder, &stage, &period)
        .ok_or_else(|| StoreError::Corrupt(format!("ledger account {kind}/{holder}/{stage}/{period}")))
}

/// Fills in the postings of `entries` (consecutive or single, in number order) from one range query.
async fn with_postings(pool: &Pool, mut entries: Vec<JournalEntry>) -> StoreResult<Vec<JournalEntry>> {
    let (Some(first), Some(last)) = (entries.first().map(|e| e.number), entries.last().map(|e| e.number)) else {
        return Ok(entries);
    };
    let rows = query(
        "SELECT p.entry, a.kind, a.holder, a.stage, a.period, a.currency, p.amount_micros \
         FROM journal_postings p JOIN ledger_accounts a ON a.id = p.account \
         WHERE p.entry >= $1 AND p.entry <= $2 ORDER BY p.entry, p.line",
    )
    .bind(first as i64)
    .bind(last as i64)
    .fetch_all(pool)
    .await?;
    let index: HashMap<u64, usize> = entries.iter().enumerate().map(|(i, e)| (e.number, i)).collect();
    for row in &rows {
        let Some(&i) = index.get(&row.count("entry")?) else { continue };
        let amount = Amount::from_micros(row.get("amount_micros")?, currency(&row.get::<String>("currency")?)?);
        entries[i].postings.push(Posting { account: account_from(row)?, amount });
    }
    Ok(entries)
}

/// Takes the journal's numbering (the counter row, and with it the database's write lock or row lock,
/// before anything is numbered: concurrent postings queue instead of colliding) and returns the last
/// number given.
async fn lock_journal(tx: &mut Tx) -> StoreResult<u64> {
    let row = query(
        "INSERT INTO counters (name, value) VALUES ('journal', 0) ON CONFLICT (name) \
         DO UPDATE SET value = counters.value RETURNING value",
    )
    .fetch_one(tx)
    .await?;
    row.count("value")
}

/// The id of an account in a currency, created on first use.
async fn account_id(
    tx: &mut Tx,
    cache: &mut HashMap<(Account, Currency), i64>,
    account: &Account,
    currency: Currency,
) -> StoreResult<i64> {
    if let Some(id) = cache.get(&(account.clone(), currency)) {
        return Ok(*id);
    }
    let key = account.key();
    let find = || {
        query(
            "SELECT id FROM ledger_accounts WHERE kind = $1 AND holder = $2 AND stage = $3 AND period = $4 \
             AND currency = $5",
        )
        .bind(key.kind)
        .bind(key.holder.clone())
        .bind(key.stage)
        .bind(key.period.clone())
        .bind(currency.code())
    };
    let mut row = find().fetch_optional(&mut *tx).await?;
    if row.is_none() {
        query(
            "INSERT INTO ledger_accounts (kind, holder, stage, period, currency) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (kind, holder, stage, period, currency) DO NOTHING",
        )
        .bind(key.kind)
        .bind(key.holder.clone())
        .bind(key.stage)
        .bind(key.period.clone())
        .bind(currency.code())
        .execute(&mut *tx)
        .await?;
        row = find().fetch_optional(&mut *tx).await?;
    }
    let row = row.ok_or_else(|| StoreError::Corrupt(format!("ledger account {account} was not created")))?;
    let id = row.get("id")?;
    cache.insert((account.clone(), currency), id);
    Ok(id)
}

/// Numbers and writes entries inside `tx`, in the order given, each checked to balance first, a chunk at a
/// time. Returns the first and last numbers given.
pub(crate) async fn write_entries(
    tx: &mut Tx,
    entries: impl Iterator<Item = JournalEntry> + Send,
) -> StoreResult<Option<(u64, u64)>> {
    let before = lock_journal(tx).await?;
    let mut last = before;
    let mut accounts = HashMap::new();
    let (mut heads, mut lines) = (Vec::new(), Vec::new());
    for entry in entries {
        ledger::check_balanced(&entry.postings)
            .map_err(|e| StoreError::Corrupt(format!("refused journal entry: {e}")))?;
        last += 1;
        heads.push(vec![
            Value::Int(last as i64),
            entry.idempotency_key.into(),
            entry.posted_at.into(),
            entry.description.into(),
            entry.source.into(),
        ]);
        for (line, p) in entry.postings.iter().enumerate() {
            let id = account_id(tx, &mut accounts, &p.account, p.amount.currency()).await?;
            lines.push(vec![
                Value::Int(last as i64),
                Value::Int(line as i64 + 1),
                Value::Int(id),
                Value::Int(p.amount.micros()),
            ]);
        }
        if heads.len() >= POSTING_CHUNK {
            flush_entries(tx, &mut heads, &mut lines).await?;
        }
    }
    flush_entries(tx, &mut heads, &mut lines).await?;
    if last == before {
        return Ok(None);
    }
    query("UPDATE counters SET value = $1 WHERE name = 'journal'").bind(last as i64).execute(tx).await?;
    Ok(Some((before + 1, last)))
}

async fn flush_entries(tx: &mut Tx, heads: &mut Vec<Vec<Value>>, lines: &mut Vec<Vec<Value>>) -> StoreResult<()> {
    let head_columns = ["number", "idempotency_key", "posted_at", "description", "source"];
    tx.insert_rows("journal_entries", &head_columns, heads).await?;
    tx.insert_rows("journal_postings", &["entry", "line", "account", "amount_micros"], lines).await?;
    heads.clear();
    lines.clear();
    Ok(())
}

/// Writes one entry inside `tx` and returns its number.
pub(crate) async fn append_entry(tx: &mut Tx, entry: JournalEntry) -> StoreResult<u64> {
    let numbers = write_entries(tx, std::iter::once(entry)).await?;
    numbers.map(|(n, _)| n).ok_or_else(|| StoreError::Corrupt("an entry was not numbered".into()))
}

/// A journal number as the databases' BIGINT holds it.
fn number(n: u64) -> i64 {
    n.min(i64::MAX as u64) as i64
}

impl SqlStore {
    async fn entry_where(&self, condition: &str, value: Value) -> StoreResult<Option<JournalEntry>> {
        let row = query(format!("SELECT {ENTRY_COLUMNS} FROM journal_entries WHERE {condition}"))
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        let heads = row.as_ref().map(entry_head).transpose()?.into_iter().collect();
        Ok(with_postings(&self.pool, heads).await?.pop())
    }
}

#[async_trait]
impl engine::books::BooksStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all, name = "store.journal_entries")]
    async fn journal_entries(&self, after: u64, limit: u32) -> StoreResult<Vec<JournalEntry>> {
        let rows =
            query(format!("SELECT {ENTRY_COLUMNS} FROM journal_entries WHERE number > $1 ORDER BY number LIMIT $2"))
                .bind(number(after))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        with_postings(&self.pool, rows.iter().map(entry_head).collect::<StoreResult<_>>()?).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.journal_length")]
    async fn journal_length(&self) -> StoreResult<u64> {
        let row = query("SELECT CAST(COALESCE(MAX(number), 0) AS BIGINT) AS last FROM journal_entries")
            .fetch_one(&self.pool)
            .await?;
        row.count("last")
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.balance_through")]
    async fn balance_through(&self, account: &Account, currency: Currency, through: u64) -> StoreResult<Amount> {
        let key = account.key();
        let row = query(
            "SELECT CAST(COALESCE(SUM(p.amount_micros), 0) AS BIGINT) AS balance FROM journal_postings p \
             WHERE p.account = (SELECT id FROM ledger_accounts WHERE kind = $1 AND holder = $2 AND stage = $3 \
             AND period = $4 AND currency = $5) AND p.entry <= $6",
        )
        .bind(key.kind)
        .bind(key.holder)
        .bind(key.stage)
        .bind(key.period)
        .bind(currency.code())
        .bind(number(through))
        .fetch_one(&self.pool)
        .await?;
        Ok(Amount::from_micros(row.get("balance")?, currency))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.trial_balance")]
    async fn trial_balance(&self, through: u64) -> StoreResult<Vec<(Account, Amount)>> {
        let rows = query(
            "SELECT a.kind, a.holder, a.stage, a.period, a.currency, s.balance FROM ledger_accounts a \
             JOIN (SELECT account, CAST(SUM(amount_micros) AS BIGINT) AS balance FROM journal_postings \
             WHERE entry <= $1 GROUP BY account) s ON s.account = a.id WHERE s.balance <> 0",
        )
        .bind(number(through))
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|row| {
                let amount = Amount::from_micros(row.get("balance")?, currency(&row.get::<String>("currency")?)?);
                Ok((account_from(row)?, amount))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        out.sort_by(|a, b| (&a.0, a.1.currency()).cmp(&(&b.0, b.1.currency())));
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.post_entries")]
    async fn post_entries(
        &self,
        entries: Box<dyn Iterator<Item = JournalEntry> + Send>,
    ) -> StoreResult<Option<(u64, u64)>> {
        let mut tx = self.pool.begin_write().await?;
        let numbers = write_entries(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(numbers)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.checkpoint_numbers")]
    async fn checkpoint_numbers(&self) -> StoreResult<Vec<u64>> {
        let rows = query("SELECT through FROM ledger_checkpoints ORDER BY through").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.count("through")).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.checkpoint")]
    async fn latest_checkpoint(&self) -> StoreResult<Option<Checkpoint>> {
        let row = query("SELECT through FROM ledger_checkpoints ORDER BY through DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => self.checkpoint(r.count("through")?).await,
            None => Ok(None),
        }
    }

    async fn checkpoint(&self, through: u64) -> StoreResult<Option<Checkpoint>> {
        let row = query("SELECT through, digest, taken_at, balances FROM ledger_checkpoints WHERE through = $1")
            .bind(number(through))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Checkpoint {
                through: r.count("through")?,
                digest: r.get("digest")?,
                taken_at: r.get("taken_at")?,
                balances: r.json("balances", "checkpoint balances")?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.put_checkpoint")]
    async fn put_checkpoint(&self, checkpoint: &Checkpoint) -> StoreResult<()> {
        query(
            "INSERT INTO ledger_checkpoints (through, digest, taken_at, balances) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (through) DO NOTHING",
        )
        .bind(number(checkpoint.through))
        .bind(&checkpoint.digest)
        .bind(checkpoint.taken_at)
        .bind(crate::document(&checkpoint.balances))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.journal_entry_by_key")]
    async fn journal_entry_by_key(&self, key: &str) -> StoreResult<Option<JournalEntry>> {
        self.entry_where("idempotency_key = $1", key.into()).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.journal_entry")]
    async fn journal_entry(&self, number: u64) -> StoreResult<Option<JournalEntry>> {
        self.entry_where("number = $1", Value::Int(self::number(number))).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.journal_numbered")]
    async fn journal_numbered(&self) -> StoreResult<u64> {
        let row = query("SELECT value FROM counters WHERE name = 'journal'").fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.count("value")).transpose()?.unwrap_or(0))
    }
}
