-- The second, shift-robust fingerprint beside Chromaprint's: spectral peaks (each packed as
-- frame << 10 | pitch, a JSON array). Recordings registered before it have none until registered again.
ALTER TABLE fingerprints ADD COLUMN peaks TEXT NOT NULL DEFAULT '[]';
-- A digest of the two fingerprints: the digests of all recordings, in key order, stamp an index file built
-- from them, so a file built from other fingerprints (or another store) is known to be stale.
ALTER TABLE fingerprints ADD COLUMN digest TEXT NOT NULL DEFAULT '';
