-- Licensing: licensees, their services and model versions, agreements with versioned terms, API tokens
-- (hashed), report revisions with the usage rating needs and the outputs distribution needs, the journal,
-- invoices and payments, signing keys (private halves sealed) and issued licences. Amounts are integer
-- micro-units; documents are JSON text, as in the registry tables, so both stores share their queries.

CREATE TABLE licensees (
    id TEXT PRIMARY KEY,
    document TEXT NOT NULL
);

-- Service and model version ids are the licensee's own: two licensees may both have an "app".
CREATE TABLE services (
    licensee TEXT NOT NULL REFERENCES licensees (id),
    id TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (licensee, id)
);

CREATE TABLE model_versions (
    licensee TEXT NOT NULL REFERENCES licensees (id),
    id TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (licensee, id)
);

-- One blanket agreement per licensee.
CREATE TABLE licence_agreements (
    id TEXT PRIMARY KEY,
    licensee TEXT NOT NULL UNIQUE REFERENCES licensees (id)
);

CREATE TABLE licence_agreement_versions (
    agreement TEXT NOT NULL REFERENCES licence_agreements (id),
    version BIGINT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (agreement, version)
);

CREATE TABLE api_tokens (
    hash TEXT PRIMARY KEY,
    licensee TEXT NOT NULL REFERENCES licensees (id),
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE reports (
    licensee TEXT NOT NULL REFERENCES licensees (id),
    report_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    period TEXT NOT NULL,
    is_current BIGINT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (licensee, report_id, revision)
);
CREATE INDEX reports_by_period ON reports (licensee, period, is_current);

CREATE TABLE report_usage (
    licensee TEXT NOT NULL,
    report_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    stage TEXT NOT NULL,
    service TEXT NOT NULL,
    territory TEXT NOT NULL,
    model_version TEXT NOT NULL,
    use_type TEXT NOT NULL,
    currency TEXT NOT NULL,
    revenue BIGINT NOT NULL,
    subscribers BIGINT NOT NULL,
    generations BIGINT NOT NULL,
    usages BIGINT NOT NULL,
    licensed BIGINT NOT NULL,
    FOREIGN KEY (licensee, report_id, revision) REFERENCES reports (licensee, report_id, revision)
);
CREATE INDEX report_usage_by_report ON report_usage (licensee, report_id, revision);

-- Staged (under a staging token) before their report revision is recorded; the revision adopts the rows
-- of its own token (staging becomes NULL). Read only through a recorded revision.
CREATE TABLE report_outputs (
    staging TEXT,
    licensee TEXT NOT NULL,
    report_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    output_id TEXT NOT NULL,
    service TEXT,
    model_version TEXT,
    created_on TEXT,
    isrc TEXT,
    usages BIGINT NOT NULL,
    currency TEXT NOT NULL,
    revenue BIGINT NOT NULL,
    attribution TEXT
);
CREATE INDEX report_outputs_by_report ON report_outputs (licensee, report_id, revision);
CREATE INDEX report_outputs_by_staging ON report_outputs (staging);

CREATE TABLE journal_entries (
    number BIGINT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    posted_at TEXT NOT NULL,
    description TEXT NOT NULL,
    postings TEXT NOT NULL
);

CREATE TABLE invoices (
    number TEXT PRIMARY KEY,
    series TEXT NOT NULL,
    seq BIGINT NOT NULL,
    licensee TEXT NOT NULL REFERENCES licensees (id),
    period TEXT NOT NULL,
    status TEXT NOT NULL,
    journal_entry BIGINT NOT NULL REFERENCES journal_entries (number),
    document TEXT NOT NULL,
    UNIQUE (series, seq)
);
CREATE INDEX invoices_by_licensee ON invoices (licensee, period);

CREATE TABLE payments (
    key TEXT PRIMARY KEY,
    invoice TEXT NOT NULL REFERENCES invoices (number),
    journal_entry BIGINT NOT NULL REFERENCES journal_entries (number),
    document TEXT NOT NULL
);

CREATE TABLE signing_keys (
    key_id TEXT PRIMARY KEY,
    retired BIGINT NOT NULL,
    document TEXT NOT NULL
);

CREATE TABLE licences (
    id TEXT PRIMARY KEY,
    licensee TEXT NOT NULL REFERENCES licensees (id),
    document TEXT NOT NULL
);
CREATE INDEX licences_by_licensee ON licences (licensee);

-- The per-work lookup finds a recording's work by ISRC.
CREATE INDEX recordings_isrc ON recordings (isrc);
