-- Training disclosures (a document per disclosure: files, declared totals, statistics, the AI Act summary,
-- Croissant datasets), the files licensees uploaded through the API (so that a licensee names only its
-- own), their match sets (one row per item, and the works each item matched, so that a
-- rightsholder's view joins on work codes), people's decisions on items (by licensee and item identity, so
-- they survive re-matching), and the transparency assessments.

CREATE TABLE disclosures (
    id TEXT PRIMARY KEY,
    licensee TEXT NOT NULL,
    model_version TEXT NOT NULL,
    revision BIGINT NOT NULL,
    current BIGINT NOT NULL,
    received_at TEXT NOT NULL,
    content_key TEXT NOT NULL,
    document TEXT NOT NULL
);
-- Two disclosures received at once cannot take the same revision: the second sees the first.
CREATE UNIQUE INDEX disclosures_revision ON disclosures (licensee, model_version, revision);

CREATE TABLE disclosure_uploads (
    licensee TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploaded_at TEXT NOT NULL,
    PRIMARY KEY (licensee, sha256)
);

-- A match set counts once finished ('complete'); one left running for a day (an interrupted run) is
-- dropped by the next run. Sets are numbered per disclosure.
CREATE TABLE match_sets (
    id BIGINT PRIMARY KEY,
    disclosure TEXT NOT NULL,
    number BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'complete')),
    created_at TEXT NOT NULL,
    repertoire_stamp TEXT NOT NULL,
    counts TEXT NOT NULL
);
CREATE UNIQUE INDEX match_sets_disclosure ON match_sets (disclosure, number);

CREATE TABLE matches (
    match_set BIGINT NOT NULL,
    item BIGINT NOT NULL,
    file BIGINT NOT NULL,
    line BIGINT NOT NULL,
    item_key TEXT NOT NULL,
    item_id TEXT,
    described TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('matched', 'ambiguous', 'unmatched')),
    recording TEXT,
    works TEXT NOT NULL,
    method TEXT,
    score BIGINT NOT NULL,
    explanation TEXT NOT NULL,
    candidates TEXT NOT NULL,
    decided BIGINT NOT NULL,
    PRIMARY KEY (match_set, item)
);
CREATE INDEX matches_status ON matches (match_set, status, item);

CREATE TABLE match_works (
    match_set BIGINT NOT NULL,
    item BIGINT NOT NULL,
    work_code TEXT NOT NULL,
    PRIMARY KEY (match_set, item, work_code)
);
CREATE INDEX match_works_work ON match_works (work_code);

CREATE TABLE match_decisions (
    licensee TEXT NOT NULL,
    item_key TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (licensee, item_key)
);

CREATE TABLE assessments (
    disclosure TEXT NOT NULL,
    number BIGINT NOT NULL,
    assessed_at TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('full', 'partial', 'none')),
    document TEXT NOT NULL,
    PRIMARY KEY (disclosure, number)
);
