-- The books as relations: every journal entry's postings become rows on structured accounts (kind, holder,
-- stage, period, currency), so that a balance is one indexed SUM; entries say which use case posted them;
-- verification checkpoints let the books be verified from where the last verification stopped.
-- Existing journals are carried forward: each JSON posting becomes a row, in its order.

CREATE TABLE ledger_accounts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    holder TEXT NOT NULL,
    stage TEXT NOT NULL,
    period TEXT NOT NULL,
    currency TEXT NOT NULL,
    UNIQUE (kind, holder, stage, period, currency)
);

CREATE TABLE journal_postings (
    entry BIGINT NOT NULL REFERENCES journal_entries (number),
    line BIGINT NOT NULL,
    account BIGINT NOT NULL REFERENCES ledger_accounts (id),
    amount_micros BIGINT NOT NULL,
    PRIMARY KEY (entry, line)
);
-- Covers a balance (now, or as of an entry): the SUM reads the index alone, the account's postings only.
CREATE INDEX journal_postings_by_account ON journal_postings (account, entry, amount_micros);

CREATE TABLE ledger_checkpoints (
    through BIGINT PRIMARY KEY,
    digest TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    balances TEXT NOT NULL
);

ALTER TABLE journal_entries ADD COLUMN source TEXT NOT NULL DEFAULT '';

INSERT INTO ledger_accounts (kind, holder, stage, period, currency)
SELECT DISTINCT
    json_extract(p.value, '$.account.kind'),
    COALESCE(json_extract(p.value, '$.account.licensee'), ''),
    COALESCE(json_extract(p.value, '$.account.stage'), ''),
    COALESCE(json_extract(p.value, '$.account.period'), ''),
    json_extract(p.value, '$.amount.currency')
FROM journal_entries e, json_each(e.postings) p;

INSERT INTO journal_postings (entry, line, account, amount_micros)
SELECT e.number, p.key + 1, a.id, json_extract(p.value, '$.amount.micros')
FROM journal_entries e, json_each(e.postings) p
JOIN ledger_accounts a
    ON a.kind = json_extract(p.value, '$.account.kind')
    AND a.holder = COALESCE(json_extract(p.value, '$.account.licensee'), '')
    AND a.stage = COALESCE(json_extract(p.value, '$.account.stage'), '')
    AND a.period = COALESCE(json_extract(p.value, '$.account.period'), '')
    AND a.currency = json_extract(p.value, '$.amount.currency');

UPDATE journal_entries SET source = 'payment' WHERE number IN (SELECT journal_entry FROM payments);
UPDATE journal_entries
SET source = (SELECT json_extract(i.document, '$.kind') FROM invoices i WHERE i.journal_entry = journal_entries.number)
WHERE number IN (SELECT journal_entry FROM invoices);
UPDATE journal_entries SET source = 'presumption-settlement' WHERE source = '';

ALTER TABLE journal_entries DROP COLUMN postings;
