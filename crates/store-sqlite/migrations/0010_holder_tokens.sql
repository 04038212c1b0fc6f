-- API tokens of rightsholders and sister societies (a licensee's are in api_tokens): stored only as the
-- SHA-256 of the token. A member's token names the parties it may act for (party keys, space-separated);
-- a sister society's names its CISAC code.
CREATE TABLE holder_tokens (
    hash TEXT PRIMARY KEY,
    holder_kind TEXT NOT NULL CHECK (holder_kind IN ('member', 'society')),
    holder_name TEXT NOT NULL,
    scope TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
