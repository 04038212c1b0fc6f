-- PostgreSQL's own types for what the earlier schemas kept as text, as SQLite does: every moment becomes
-- `timestamptz` (the text was RFC 3339 with microseconds, which PostgreSQL reads exactly) and every JSON
-- document `jsonb` (documents open with their format version, {"v":1,...}; `jsonb` keeps it as a key). A
-- catalogue revision written with an empty document (a recording that could not be serialised) keeps a JSON
-- null. Match sets record the repertoire's stamp as it read then; the stamp now prints moments as
-- PostgreSQL does, so every disclosure is re-matched once after this migration.

-- A text default cannot be cast with its column: dropped here, set again as jsonb at the end.
ALTER TABLE fingerprints ALTER COLUMN peaks DROP DEFAULT;

ALTER TABLE works
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;

ALTER TABLE registrations
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;

ALTER TABLE work_revisions
    ALTER COLUMN changed_at TYPE timestamptz USING changed_at::timestamptz,
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE parties
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;

ALTER TABLE recordings
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz,
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE consent_choices
    ALTER COLUMN recorded_at TYPE timestamptz USING recorded_at::timestamptz;

ALTER TABLE submissions
    ALTER COLUMN received_at TYPE timestamptz USING received_at::timestamptz;

ALTER TABLE agreements
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz,
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE api_tokens
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN revoked_at TYPE timestamptz USING revoked_at::timestamptz;

ALTER TABLE journal_entries
    ALTER COLUMN posted_at TYPE timestamptz USING posted_at::timestamptz;

ALTER TABLE catalogue_revisions
    ALTER COLUMN changed_at TYPE timestamptz USING changed_at::timestamptz,
    ALTER COLUMN document TYPE jsonb USING COALESCE(NULLIF(document, ''), 'null')::jsonb;

ALTER TABLE disclosures
    ALTER COLUMN received_at TYPE timestamptz USING received_at::timestamptz,
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE disclosure_uploads
    ALTER COLUMN uploaded_at TYPE timestamptz USING uploaded_at::timestamptz;

ALTER TABLE match_sets
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN counts TYPE jsonb USING counts::jsonb;

ALTER TABLE assessments
    ALTER COLUMN assessed_at TYPE timestamptz USING assessed_at::timestamptz,
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE ledger_checkpoints
    ALTER COLUMN taken_at TYPE timestamptz USING taken_at::timestamptz,
    ALTER COLUMN balances TYPE jsonb USING balances::jsonb;

ALTER TABLE iswc_conflicts
    ALTER COLUMN found_at TYPE timestamptz USING found_at::timestamptz;

ALTER TABLE society
    ALTER COLUMN rules TYPE jsonb USING rules::jsonb;

ALTER TABLE mandates
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE licensees
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE services
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE model_versions
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE licence_agreement_versions
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE reports
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE report_outputs
    ALTER COLUMN attribution TYPE jsonb USING attribution::jsonb;

ALTER TABLE invoices
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE payments
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE signing_keys
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE licences
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE sound_recordings
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE releases
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE ern_messages
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE fingerprints
    ALTER COLUMN items TYPE jsonb USING items::jsonb,
    ALTER COLUMN peaks TYPE jsonb USING peaks::jsonb;

ALTER TABLE matches
    ALTER COLUMN works TYPE jsonb USING works::jsonb,
    ALTER COLUMN candidates TYPE jsonb USING candidates::jsonb;

ALTER TABLE match_decisions
    ALTER COLUMN document TYPE jsonb USING document::jsonb;

ALTER TABLE fingerprints ALTER COLUMN peaks SET DEFAULT '[]'::jsonb;
