-- The second, shift-robust fingerprint beside Chromaprint's: spectral peaks (each packed as
-- frame << 10 | pitch, a JSON array). Recordings registered before it have none until registered again.
ALTER TABLE fingerprints ADD COLUMN peaks TEXT NOT NULL DEFAULT '[]';
-- Grows with every registration, so an index file built from the fingerprints can tell it is stale.
ALTER TABLE fingerprints ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
