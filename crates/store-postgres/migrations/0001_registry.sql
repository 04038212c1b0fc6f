-- The repertoire registry: the society, works and their registrations, history, parties, recordings,
-- consent, submissions. Money-free; timestamps are RFC 3339 text and documents JSON text, as in the
-- postgres store's sibling, so both run the same queries (crates/store-sql).

CREATE TABLE society (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    code BIGINT NOT NULL,
    name TEXT NOT NULL,
    rules TEXT NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE works (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    iswc TEXT,
    origin TEXT NOT NULL,
    revision BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX works_iswc ON works (iswc);

-- One row per submitter's registration of a work; a work has one primary registration it is shown from.
-- Its document lives once, in work_revisions.
CREATE TABLE registrations (
    submitter TEXT NOT NULL,
    work_number TEXT NOT NULL,
    work_code TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'conflict')),
    is_primary BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    controlled_pr BIGINT NOT NULL,
    controlled_mr BIGINT NOT NULL,
    -- The work revision whose document is this registration's current state.
    revision BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (submitter, work_number)
);
CREATE INDEX registrations_work ON registrations (work_code);
CREATE INDEX registrations_number ON registrations (work_number);

CREATE TABLE work_revisions (
    work_code TEXT NOT NULL,
    revision BIGINT NOT NULL,
    change TEXT NOT NULL,
    submitter TEXT NOT NULL,
    work_number TEXT NOT NULL,
    summary TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    document TEXT,
    PRIMARY KEY (work_code, revision)
);

CREATE TABLE work_titles (
    work_code TEXT NOT NULL,
    title TEXT NOT NULL,
    folded TEXT NOT NULL
);
CREATE INDEX work_titles_code ON work_titles (work_code);

CREATE TABLE work_interests (
    work_code TEXT NOT NULL,
    submitter TEXT NOT NULL,
    work_number TEXT NOT NULL,
    party_key TEXT NOT NULL,
    side TEXT NOT NULL,
    role TEXT NOT NULL,
    controlled BIGINT NOT NULL,
    pr_share BIGINT NOT NULL,
    mr_share BIGINT NOT NULL,
    sr_share BIGINT NOT NULL
);
CREATE INDEX work_interests_party ON work_interests (party_key);
CREATE INDEX work_interests_registration ON work_interests (submitter, work_number);

CREATE TABLE parties (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    ipi_name TEXT,
    ipi_base TEXT,
    isni TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX parties_ipi ON parties (ipi_name);

CREATE TABLE party_affiliations (
    party_key TEXT NOT NULL,
    right_type TEXT NOT NULL,
    society BIGINT NOT NULL,
    PRIMARY KEY (party_key, right_type, society)
);

CREATE TABLE recordings (
    id TEXT PRIMARY KEY,
    isrc TEXT,
    work_code TEXT NOT NULL,
    title TEXT NOT NULL,
    artist TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX recordings_work ON recordings (work_code);

CREATE TABLE consent_choices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    party_key TEXT NOT NULL,
    work_code TEXT,
    stage TEXT NOT NULL CHECK (stage IN ('training', 'service', 'output')),
    consent TEXT NOT NULL CHECK (consent IN ('included', 'reserved')),
    effective_from TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX consent_choices_party ON consent_choices (party_key);

CREATE TABLE submissions (
    sha256 TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    version TEXT NOT NULL,
    submitter TEXT NOT NULL,
    received_at TEXT NOT NULL,
    ack_file_name TEXT,
    summary TEXT NOT NULL
);

CREATE TABLE agreements (
    submitter TEXT NOT NULL,
    number TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (submitter, number)
);

-- Which society represents which of a party's rights, where, for which AI stages (a domain::Mandate as JSON).
CREATE TABLE mandates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    party_key TEXT NOT NULL,
    society BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX mandates_party ON mandates (party_key);
