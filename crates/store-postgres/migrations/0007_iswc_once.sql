-- An ISWC names one work. Imports decide under the registry lock; this index is the store's own guard.
-- Stores written before may hold an ISWC on several works (two imports at once could do it): the work that
-- had it first (the lowest code) keeps it, the others lose it from their row and are listed, with the ISWC,
-- in iswc_conflicts for staff to resolve (their documents and history still show what was submitted).

CREATE TABLE iswc_conflicts (
    work_code TEXT NOT NULL REFERENCES works (code),
    iswc TEXT NOT NULL,
    kept_by TEXT NOT NULL REFERENCES works (code),
    found_at TEXT NOT NULL,
    PRIMARY KEY (work_code, iswc)
);

INSERT INTO iswc_conflicts (work_code, iswc, kept_by, found_at)
SELECT w.code, w.iswc, (SELECT MIN(k.code) FROM works k WHERE k.iswc = w.iswc), w.updated_at
FROM works w
WHERE w.iswc IS NOT NULL AND w.code > (SELECT MIN(k.code) FROM works k WHERE k.iswc = w.iswc);

UPDATE works SET iswc = NULL WHERE code IN (SELECT work_code FROM iswc_conflicts);

DROP INDEX works_iswc;
CREATE UNIQUE INDEX works_iswc ON works (iswc);
