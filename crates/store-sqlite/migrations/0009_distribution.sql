-- Distribution: the society's rules, runs (each with its journal entry), the lines every run posted (one
-- per pool, kind, work, party, right and payee: what the run changed, and what earlier runs had posted
-- there), and claims to money in the reserve.
CREATE TABLE distribution_rules (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    document TEXT NOT NULL
);

CREATE TABLE distribution_runs (
    id INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    number INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    journal_entry INTEGER REFERENCES journal_entries (number),
    document TEXT NOT NULL,
    UNIQUE (period, number)
);

CREATE TABLE distribution_lines (
    run INTEGER NOT NULL REFERENCES distribution_runs (id),
    stage TEXT NOT NULL,
    licensee TEXT NOT NULL,
    source TEXT NOT NULL,
    territory TEXT NOT NULL,
    period TEXT NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('fee', 'fund', 'share', 'reserve')),
    work_code TEXT NOT NULL,
    unidentified TEXT NOT NULL,
    party_key TEXT NOT NULL,
    right_type TEXT NOT NULL,
    payee TEXT NOT NULL,
    reason TEXT NOT NULL,
    amount_micros INTEGER NOT NULL,
    previous_micros INTEGER NOT NULL
);
CREATE INDEX distribution_lines_run ON distribution_lines (run);
CREATE INDEX distribution_lines_period ON distribution_lines (period);
CREATE INDEX distribution_lines_party ON distribution_lines (party_key);

CREATE TABLE distribution_claims (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    document TEXT NOT NULL
);
