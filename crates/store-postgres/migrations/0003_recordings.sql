-- Recordings from DDEX ERN (and operators), one per ISRC (or proprietary id), each field with its source in
-- the document; releases; their revisions; recording-work links from every source; ERN files taken in.
-- CWR REC recordings stay in `recordings` and are merged when shown.

CREATE TABLE sound_recordings (
    key TEXT PRIMARY KEY,
    isrc TEXT,
    search TEXT NOT NULL,
    withdrawn BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX sound_recordings_isrc ON sound_recordings (isrc);

CREATE TABLE releases (
    key TEXT PRIMARY KEY,
    withdrawn BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    document TEXT NOT NULL
);

CREATE TABLE catalogue_revisions (
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    revision BIGINT NOT NULL,
    changed_at TEXT NOT NULL,
    source TEXT NOT NULL,
    summary TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (entity, key, revision)
);

CREATE TABLE recording_links (
    recording_key TEXT NOT NULL,
    work_code TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (recording_key, work_code)
);
CREATE INDEX recording_links_work ON recording_links (work_code);

CREATE TABLE ern_messages (
    sha256 TEXT PRIMARY KEY,
    document TEXT NOT NULL
);

-- A recording's Chromaprint fingerprint (raw items as a JSON array), registered from its audio.
CREATE TABLE fingerprints (
    recording_key TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    items TEXT NOT NULL
);

-- Which recordings each release carries: the authority on membership (a purge withdraws a recording only
-- when no standing release carries it).
CREATE TABLE release_tracks (
    release_key TEXT NOT NULL,
    recording_key TEXT NOT NULL,
    PRIMARY KEY (release_key, recording_key)
);
CREATE INDEX release_tracks_recording ON release_tracks (recording_key);
