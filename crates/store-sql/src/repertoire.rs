//! The repertoire's port (`RepertoireStore`): works and their registrations, interests, titles and
//! history, parties, consent, mandates, CWR submissions and the import's chunked commit.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use domain::{ConsentChoice, Iswc, Mandate, Origin, PartyKey};
use engine::store::*;

use crate::sql::{Builder, Document, Row, Tx, Value, query};
use crate::{SqlStore, document, fold, last_per_key, party_key, registration_key};

const SELECT_REFERENCE: &str = "SELECT r.work_code, r.submitter, r.work_number, r.content_hash, r.status, \
     r.is_primary, w.iswc, r.controlled_pr, r.controlled_mr \
     FROM registrations r JOIN works w ON w.code = r.work_code";

pub(crate) const SELECT_CONSENT: &str = "SELECT party_key, work_code, stage, consent, effective_from, recorded_by, \
     recorded_at, note FROM consent_choices";

fn reference_from(row: &Row) -> StoreResult<RegistrationRef> {
    Ok(RegistrationRef {
        primary: row.get::<i64>("is_primary")? != 0,
        work_code: row.get("work_code")?,
        submitter: row.get("submitter")?,
        submitter_work_number: row.get("work_number")?,
        content_hash: row.get("content_hash")?,
        status: crate::parse_status(&row.get::<String>("status")?)?,
        iswc: crate::parse_iswc(row.get("iswc")?)?,
        controlled_performing: crate::share(row.get("controlled_pr")?)?,
        controlled_mechanical: crate::share(row.get("controlled_mr")?)?,
    })
}

fn summary_from(row: &Row) -> StoreResult<WorkSummary> {
    Ok(WorkSummary {
        code: row.get("code")?,
        title: row.get("title")?,
        iswc: crate::parse_iswc(row.get("iswc")?)?,
        origin: crate::parse_origin(&row.get::<String>("origin")?)?,
        revision: row.count("revision")? as u32,
    })
}

pub(crate) fn consent_from(row: &Row) -> StoreResult<ConsentChoice> {
    let stage: String = row.get("stage")?;
    let consent: String = row.get("consent")?;
    let from: String = row.get("effective_from")?;
    Ok(ConsentChoice {
        party: PartyKey::new(row.get::<String>("party_key")?),
        work_code: row.get("work_code")?,
        stage: domain::Stage::parse(&stage).ok_or_else(|| StoreError::Corrupt(format!("stage {stage:?}")))?,
        consent: domain::Consent::parse(&consent).ok_or_else(|| StoreError::Corrupt(format!("consent {consent:?}")))?,
        effective_from: crate::parse_date(&from)?,
        recorded_by: row.get("recorded_by")?,
        recorded_at: row.get("recorded_at")?,
        note: row.get("note")?,
    })
}

fn revision_from(row: &Row) -> StoreResult<Revision> {
    Ok(Revision {
        work_code: row.get("work_code")?,
        revision: row.count("revision")? as u32,
        change: row.get("change")?,
        submitter: row.get("submitter")?,
        submitter_work_number: row.get("work_number")?,
        summary: row.get("summary")?,
        changed_at: row.get("changed_at")?,
        changed_by: row.get("changed_by")?,
        document: None,
    })
}

/// Upserts rows with multi-row INSERTs small enough for the parameter limit; `tail` says what a conflict
/// does.
async fn upsert_rows<T>(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    tail: &str,
    rows: Vec<T>,
    row: impl Fn(T) -> Vec<Value>,
) -> StoreResult<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Builder::new(format!("INSERT INTO {table} ({}) ", columns.join(", ")));
        sql.push_values(rows.by_ref().take((crate::MAX_PARAMETERS / columns.len()).max(1)), &row);
        sql.push(" ");
        sql.push(tail);
        sql.build().execute(&mut *tx).await?;
    }
    Ok(())
}

impl SqlStore {
    async fn resolve_work_code(&self, code_or_iswc: &str) -> StoreResult<Option<String>> {
        let text = code_or_iswc.trim();
        let row = match Iswc::parse(text) {
            Ok(iswc) => query("SELECT code FROM works WHERE iswc = $1").bind(iswc.bare()),
            Err(_) => query("SELECT code FROM works WHERE code = $1").bind(text.to_ascii_uppercase()),
        }
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.get("code")).transpose()
    }

    /// Numbers the batch's revisions on from each work's last one.
    async fn next_revisions(
        tx: &mut Tx,
        revisions: &[Revision],
        new_codes: &HashSet<&str>,
    ) -> StoreResult<(Vec<u32>, HashMap<String, u32>)> {
        let mut last: HashMap<String, u32> = HashMap::new();
        let mut numbers = Vec::with_capacity(revisions.len());
        for r in revisions {
            let current = match last.get(&r.work_code) {
                Some(&n) => n,
                None if new_codes.contains(r.work_code.as_str()) => 0,
                None => {
                    let row = query("SELECT revision FROM works WHERE code = $1")
                        .bind(&r.work_code)
                        .fetch_optional(&mut *tx)
                        .await?;
                    row.map(|row| row.count("revision")).transpose()?.unwrap_or(0) as u32
                }
            };
            numbers.push(current + 1);
            last.insert(r.work_code.clone(), current + 1);
        }
        Ok((numbers, last))
    }

    /// The import batch's new works, with the title and ISWC of the primary registration it writes.
    async fn write_new_works(
        tx: &mut Tx,
        batch: &ImportBatch,
        primaries: &HashMap<&str, &RegistrationWrite>,
        last_revision: &HashMap<String, u32>,
    ) -> StoreResult<()> {
        let works = batch.new_works.iter().map(|(code, title, iswc, origin)| {
            let shown = primaries.get(code.as_str());
            let title = shown.map_or(title.clone(), |p| p.work.title.clone());
            let iswc = shown.and_then(|p| p.work.iswc).or(*iswc);
            vec![
                code.into(),
                title.into(),
                iswc.map(|i| i.bare()).into(),
                origin.as_str().into(),
                Value::Int(i64::from(last_revision.get(code).copied().unwrap_or(0))),
                batch.at.into(),
                batch.at.into(),
            ]
        });
        let columns = ["code", "title", "iswc", "origin", "revision", "created_at", "updated_at"];
        tx.insert_rows("works", &columns, &works.collect::<Vec<_>>()).await
    }

    /// Brings works the batch revises up to date and clears what their registrations replace.
    async fn revise_known_works(
        tx: &mut Tx,
        batch: &ImportBatch,
        registrations: &[&RegistrationWrite],
        primaries: &HashMap<&str, &RegistrationWrite>,
        last_revision: &HashMap<String, u32>,
        new_codes: &HashSet<&str>,
    ) -> StoreResult<()> {
        for (code, number) in last_revision {
            if !new_codes.contains(code.as_str()) {
                query("UPDATE works SET revision = $1, updated_at = $2 WHERE code = $3")
                    .bind(i64::from(*number))
                    .bind(batch.at)
                    .bind(code)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for (code, primary) in primaries {
            if !new_codes.contains(code) {
                query("UPDATE works SET title = $1, iswc = COALESCE($2, iswc), updated_at = $3 WHERE code = $4")
                    .bind(&primary.work.title)
                    .bind(primary.work.iswc.map(|i| i.bare()))
                    .bind(batch.at)
                    .bind(*code)
                    .execute(&mut *tx)
                    .await?;
                query("DELETE FROM work_titles WHERE work_code = $1").bind(*code).execute(&mut *tx).await?;
            }
        }
        for r in registrations {
            if !new_codes.contains(r.reference.work_code.as_str()) {
                query("DELETE FROM work_interests WHERE submitter = $1 AND work_number = $2")
                    .bind(&r.reference.submitter)
                    .bind(&r.reference.submitter_work_number)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(())
    }

    async fn write_registrations(
        tx: &mut Tx,
        batch: &ImportBatch,
        registrations: &[&RegistrationWrite],
        numbers: &[u32],
    ) -> StoreResult<()> {
        upsert_rows(
            tx,
            "registrations",
            &[
                "submitter",
                "work_number",
                "work_code",
                "status",
                "is_primary",
                "content_hash",
                "controlled_pr",
                "controlled_mr",
                "revision",
                "updated_at",
            ],
            "ON CONFLICT (submitter, work_number) DO UPDATE SET work_code = excluded.work_code, \
             status = excluded.status, is_primary = excluded.is_primary, content_hash = excluded.content_hash, \
             controlled_pr = excluded.controlled_pr, controlled_mr = excluded.controlled_mr, \
             revision = excluded.revision, updated_at = excluded.updated_at",
            registrations.to_vec(),
            |r| {
                let reference = &r.reference;
                vec![
                    (&reference.submitter).into(),
                    (&reference.submitter_work_number).into(),
                    (&reference.work_code).into(),
                    reference.status.as_str().into(),
                    Value::Int(i64::from(reference.primary)),
                    (&reference.content_hash).into(),
                    Value::Int(i64::from(reference.controlled_performing.scaled())),
                    Value::Int(i64::from(reference.controlled_mechanical.scaled())),
                    Value::Int(i64::from(numbers[r.revision_index])),
                    batch.at.into(),
                ]
            },
        )
        .await
    }

    async fn write_titles_and_interests(
        tx: &mut Tx,
        registrations: &[&RegistrationWrite],
        primaries: &HashMap<&str, &RegistrationWrite>,
    ) -> StoreResult<()> {
        let mut titles: Vec<Vec<Value>> = Vec::new();
        for (code, p) in primaries {
            titles.extend(p.work.titles().map(|t| vec![(*code).into(), t.into(), fold(t).into()]));
        }
        tx.insert_rows("work_titles", &["work_code", "title", "folded"], &titles).await?;

        let mut interests = Vec::new();
        for r in registrations {
            for (party, side, role, controlled, pr, mr, sr) in crate::interest_rows(&r.work) {
                interests.push(vec![
                    (&r.reference.work_code).into(),
                    (&r.reference.submitter).into(),
                    (&r.reference.submitter_work_number).into(),
                    party.into(),
                    side.into(),
                    role.into(),
                    Value::Int(controlled),
                    Value::Int(pr),
                    Value::Int(mr),
                    Value::Int(sr),
                ]);
            }
        }
        let columns = [
            "work_code",
            "submitter",
            "work_number",
            "party_key",
            "side",
            "role",
            "controlled",
            "pr_share",
            "mr_share",
            "sr_share",
        ];
        tx.insert_rows("work_interests", &columns, &interests).await
    }

    async fn write_parties(tx: &mut Tx, batch: &ImportBatch) -> StoreResult<()> {
        let parties = last_per_key(&batch.parties, party_key);
        upsert_rows(
            tx,
            "parties",
            &["key", "kind", "name", "first_name", "ipi_name", "ipi_base", "isni", "updated_at"],
            // Popular parties recur in every chunk: rewrite a row only when something changed.
            "ON CONFLICT (key) DO UPDATE SET name = excluded.name, first_name = excluded.first_name, \
             ipi_base = COALESCE(excluded.ipi_base, parties.ipi_base), updated_at = excluded.updated_at \
             WHERE parties.name <> excluded.name OR parties.first_name <> excluded.first_name \
             OR (excluded.ipi_base IS NOT NULL AND (parties.ipi_base IS NULL OR parties.ipi_base <> excluded.ipi_base))",
            parties.clone(),
            |p| {
                vec![
                    p.key.as_str().into(),
                    p.kind.as_str().into(),
                    (&p.name).into(),
                    (&p.first_name).into(),
                    p.ipi_name.map(|i| i.to_string()).into(),
                    p.ipi_base.map(|i| i.to_string()).into(),
                    p.isni.map(|i| i.to_string()).into(),
                    batch.at.into(),
                ]
            },
        )
        .await?;
        let mut affiliations = Vec::new();
        for p in &parties {
            affiliations.extend(
                p.affiliations.iter().map(|a| (p.key.as_str(), a.right.abbreviation(), i64::from(a.society.number()))),
            );
        }
        upsert_rows(
            tx,
            "party_affiliations",
            &["party_key", "right_type", "society"],
            "ON CONFLICT DO NOTHING",
            affiliations,
            |(key, right, society)| vec![key.into(), right.into(), Value::Int(society)],
        )
        .await
    }

    /// The recordings CWR REC records name on the batch's primary registrations, one row per ISRC (or per
    /// work and position, without one).
    async fn write_cwr_recordings(
        tx: &mut Tx,
        batch: &ImportBatch,
        registrations: &[&RegistrationWrite],
    ) -> StoreResult<()> {
        let mut recordings: Vec<(String, String, &domain::RecordingInfo)> = Vec::new();
        for r in registrations.iter().filter(|r| r.reference.primary) {
            for (n, rec) in r.work.recordings.iter().enumerate() {
                let id = rec.isrc.map_or_else(|| format!("{}#{}", r.reference.work_code, n + 1), |i| i.to_string());
                recordings.push((id, r.reference.work_code.clone(), rec));
            }
        }
        upsert_rows(
            tx,
            "recordings",
            &["id", "isrc", "work_code", "title", "artist", "document", "updated_at"],
            "ON CONFLICT (id) DO UPDATE SET work_code = excluded.work_code, title = excluded.title, \
             artist = excluded.artist, document = excluded.document, updated_at = excluded.updated_at",
            last_per_key(&recordings, |r| r.0.clone()),
            |(id, code, rec)| {
                vec![
                    id.into(),
                    rec.isrc.map(|i| i.to_string()).into(),
                    code.into(),
                    (&rec.title).into(),
                    (&rec.artist).into(),
                    document(*rec),
                    batch.at.into(),
                ]
            },
        )
        .await
    }

    async fn write_history(tx: &mut Tx, batch: &ImportBatch, numbers: &[u32]) -> StoreResult<()> {
        for (code, iswc) in &batch.iswc_updates {
            query("UPDATE works SET iswc = $1, updated_at = $2 WHERE code = $3 AND iswc IS NULL")
                .bind(iswc.bare())
                .bind(batch.at)
                .bind(code)
                .execute(&mut *tx)
                .await?;
        }
        let revisions = batch.revisions.iter().zip(numbers.iter().copied()).map(|(r, number)| {
            vec![
                (&r.work_code).into(),
                Value::Int(i64::from(number)),
                (&r.change).into(),
                (&r.submitter).into(),
                (&r.submitter_work_number).into(),
                (&r.summary).into(),
                r.changed_at.into(),
                (&r.changed_by).into(),
                r.document.clone().map(Document).into(),
            ]
        });
        let columns = [
            "work_code",
            "revision",
            "change",
            "submitter",
            "work_number",
            "summary",
            "changed_at",
            "changed_by",
            "document",
        ];
        tx.insert_rows("work_revisions", &columns, &revisions.collect::<Vec<_>>()).await?;

        upsert_rows(
            tx,
            "agreements",
            &["submitter", "number", "document", "updated_at"],
            "ON CONFLICT (submitter, number) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
            last_per_key(&batch.agreements, |a| (a.submitter.clone(), a.number.clone())),
            |a| vec![(&a.submitter).into(), (&a.number).into(), Document(a.document.clone()).into(), batch.at.into()],
        )
        .await
    }
}

#[async_trait]
impl RepertoireStore for SqlStore {
    fn backend(&self) -> &'static str {
        self.pool.backend()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.lock_registry")]
    async fn lock_registry(&self) -> StoreResult<RegistryLock> {
        self.registry.lock().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.society")]
    async fn society(&self) -> StoreResult<Option<SocietyConfig>> {
        let row = query("SELECT code, name, rules FROM society WHERE id = 1").fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SocietyConfig {
            code: domain::SocietyCode::from_number(row.get::<i64>("code")? as u16),
            name: row.get("name")?,
            rules: row.json("rules", "society rules")?,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.set_society")]
    async fn set_society(&self, config: &SocietyConfig) -> StoreResult<()> {
        query(
            "INSERT INTO society (id, code, name, rules) VALUES (1, $1, $2, $3) ON CONFLICT (id) \
             DO UPDATE SET code = excluded.code, name = excluded.name, rules = excluded.rules",
        )
        .bind(i64::from(config.code.number()))
        .bind(&config.name)
        .bind(document(&config.rules))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.lookup_registrations")]
    async fn lookup_registrations(
        &self,
        keys: &[(String, String)],
        iswcs: &[Iswc],
    ) -> StoreResult<Vec<RegistrationRef>> {
        if keys.is_empty() && iswcs.is_empty() {
            return Ok(Vec::new());
        }
        let mut by_submitter: Vec<(&str, Vec<&str>)> = Vec::new();
        for (submitter, number) in keys {
            match by_submitter.iter_mut().find(|(s, _)| s == submitter) {
                Some(entry) => entry.1.push(number),
                None => by_submitter.push((submitter, vec![number])),
            }
        }
        // One IN over a UNION of indexed look-ups: an OR of two IN clauses would make the planner scan every
        // registration for every chunk.
        let mut sql = Builder::new(SELECT_REFERENCE);
        sql.push(" WHERE r.work_code IN (");
        let mut first = true;
        for (submitter, numbers) in &by_submitter {
            if !first {
                sql.push(" UNION ");
            }
            first = false;
            sql.push("SELECT work_code FROM registrations WHERE submitter = ").push_bind(*submitter);
            sql.push(" AND work_number IN (").push_list(numbers.iter().copied()).push(")");
        }
        if !iswcs.is_empty() {
            if !first {
                sql.push(" UNION ");
            }
            sql.push("SELECT code FROM works WHERE iswc IN (").push_list(iswcs.iter().map(|i| i.bare())).push(")");
        }
        sql.push(")");
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(reference_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.registrations_by_number")]
    async fn registrations_by_number(&self, number: &str) -> StoreResult<Vec<RegistrationRef>> {
        let rows = query(format!("{SELECT_REFERENCE} WHERE r.work_number = $1 ORDER BY r.work_code"))
            .bind(number)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(reference_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.allocate")]
    async fn allocate(&self, counter: &str, count: u64) -> StoreResult<u64> {
        if count == 0 {
            let row =
                query("SELECT value FROM counters WHERE name = $1").bind(counter).fetch_optional(&self.pool).await?;
            let current = row.map(|r| r.count("value")).transpose()?.unwrap_or(0);
            return Ok(current + 1);
        }
        let row = query(
            "INSERT INTO counters (name, value) VALUES ($1, $2) ON CONFLICT (name) \
             DO UPDATE SET value = counters.value + excluded.value RETURNING value",
        )
        .bind(counter)
        .bind(count as i64)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.count("value")? - count + 1)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.commit_import")]
    async fn commit_import(&self, batch: &ImportBatch) -> StoreResult<()> {
        let registrations = last_per_key(&batch.registrations, registration_key);
        let new_codes: HashSet<&str> = batch.new_works.iter().map(|w| w.0.as_str()).collect();
        // The work is shown from its primary registration: the last primary write of the batch.
        let primaries: HashMap<&str, &RegistrationWrite> = registrations
            .iter()
            .filter(|r| r.reference.primary)
            .map(|r| (r.reference.work_code.as_str(), *r))
            .collect();

        let mut tx = self.pool.begin_write().await?;
        let (numbers, last_revision) = Self::next_revisions(&mut tx, &batch.revisions, &new_codes).await?;
        Self::write_new_works(&mut tx, batch, &primaries, &last_revision).await?;
        Self::revise_known_works(&mut tx, batch, &registrations, &primaries, &last_revision, &new_codes).await?;
        Self::write_registrations(&mut tx, batch, &registrations, &numbers).await?;
        Self::write_titles_and_interests(&mut tx, &registrations, &primaries).await?;
        Self::write_parties(&mut tx, batch).await?;
        Self::write_cwr_recordings(&mut tx, batch, &registrations).await?;
        Self::write_history(&mut tx, batch, &numbers).await?;
        tx.commit().await?;
        self.wrote_in_bulk(registrations.len()).await;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.submission_by_hash")]
    async fn submission_by_hash(&self, sha256: &str) -> StoreResult<Option<SubmissionRecord>> {
        let row = query(
            "SELECT sha256, file_name, version, submitter, received_at, ack_file_name, summary \
             FROM submissions WHERE sha256 = $1",
        )
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SubmissionRecord {
            sha256: row.get("sha256")?,
            file_name: row.get("file_name")?,
            version: row.get("version")?,
            submitter: row.get("submitter")?,
            received_at: row.get("received_at")?,
            ack_file_name: row.get("ack_file_name")?,
            summary: row.get("summary")?,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_submission")]
    async fn add_submission(&self, s: &SubmissionRecord) -> StoreResult<()> {
        query(
            "INSERT INTO submissions (sha256, file_name, version, submitter, received_at, ack_file_name, summary) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&s.sha256)
        .bind(&s.file_name)
        .bind(&s.version)
        .bind(&s.submitter)
        .bind(s.received_at)
        .bind(&s.ack_file_name)
        .bind(&s.summary)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.search_works")]
    async fn search_works(&self, text: &str, limit: u32) -> StoreResult<Vec<WorkSummary>> {
        // LIKE metacharacters in the search text are escaped, with the same ESCAPE on both databases.
        let escaped = fold(text).replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let rows = query(
            "SELECT code, title, iswc, origin, revision FROM works \
             WHERE code IN (SELECT work_code FROM work_titles WHERE folded LIKE $1 ESCAPE '\\') \
             OR code = $2 OR iswc = $3 ORDER BY title, code LIMIT $4",
        )
        .bind(format!("%{escaped}%"))
        .bind(text.trim().to_ascii_uppercase())
        .bind(Iswc::parse(text).ok().map(|i| i.bare()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(summary_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.work")]
    async fn work(&self, code_or_iswc: &str) -> StoreResult<Option<WorkDetail>> {
        let Some(code) = self.resolve_work_code(code_or_iswc).await? else { return Ok(None) };
        let row = query("SELECT code, title, iswc, origin, revision FROM works WHERE code = $1")
            .bind(&code)
            .fetch_one(&self.pool)
            .await?;
        let summary = summary_from(&row)?;
        let rows = query(
            "SELECT r.submitter, r.work_number, r.status, r.is_primary, v.document, r.updated_at \
             FROM registrations r JOIN work_revisions v ON v.work_code = r.work_code AND v.revision = r.revision \
             WHERE r.work_code = $1 ORDER BY r.is_primary DESC, r.submitter, r.work_number",
        )
        .bind(&code)
        .fetch_all(&self.pool)
        .await?;
        let mut registrations = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut work: domain::Work = row.json("document", "work document")?;
            work.origin = summary.origin;
            registrations.push(StoredRegistration {
                submitter: row.get("submitter")?,
                submitter_work_number: row.get("work_number")?,
                status: crate::parse_status(&row.get::<String>("status")?)?,
                primary: row.get::<i64>("is_primary")? != 0,
                revision: summary.revision,
                work,
                updated_at: row.get("updated_at")?,
            });
        }
        let rows = query(
            "SELECT work_code, revision, change, submitter, work_number, summary, changed_at, changed_by \
             FROM work_revisions WHERE work_code = $1 ORDER BY revision",
        )
        .bind(&code)
        .fetch_all(&self.pool)
        .await?;
        let history = rows.iter().map(revision_from).collect::<StoreResult<_>>()?;
        Ok(Some(WorkDetail { summary, registrations, history }))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.work_recordings")]
    async fn work_recordings(&self, work_code: &str) -> StoreResult<Vec<StoredRecording>> {
        let rows = query("SELECT work_code, document FROM recordings WHERE work_code = $1 ORDER BY id")
            .bind(work_code)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(crate::cwr_recording_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.party")]
    async fn party(&self, key_or_ipi: &str) -> StoreResult<Option<PartyDetail>> {
        let text = key_or_ipi.trim();
        let key = match domain::IpiNameNumber::parse(text) {
            Ok(ipi) if !text.contains(':') => PartyKey::from_ipi(ipi).as_str().to_owned(),
            _ => text.to_owned(),
        };
        let row = query("SELECT key, kind, name, first_name, ipi_name, ipi_base, isni FROM parties WHERE key = $1")
            .bind(&key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let party = self.party_from(&row, &key).await?;
        let rows = query(
            "SELECT i.work_code, w.title, i.side, i.role, i.controlled, i.pr_share, i.mr_share, i.sr_share \
             FROM work_interests i JOIN works w ON w.code = i.work_code WHERE i.party_key = $1 \
             ORDER BY i.work_code, i.submitter",
        )
        .bind(&key)
        .fetch_all(&self.pool)
        .await?;
        let mut interests = Vec::with_capacity(rows.len());
        for r in &rows {
            interests.push(PartyInterest {
                work_code: r.get("work_code")?,
                title: r.get("title")?,
                role: crate::role(&r.get::<String>("side")?, r.get("role")?),
                controlled: r.get::<i64>("controlled")? != 0,
                performing: crate::share(r.get("pr_share")?)?,
                mechanical: crate::share(r.get("mr_share")?)?,
                synchronisation: crate::share(r.get("sr_share")?)?,
            });
        }
        let consent = self.consent_for(std::slice::from_ref(&party.key)).await?;
        let rows = query("SELECT document FROM mandates WHERE party_key = $1 ORDER BY id")
            .bind(&key)
            .fetch_all(&self.pool)
            .await?;
        let mandates = rows.iter().map(|r| r.json("document", "mandate")).collect::<StoreResult<Vec<Mandate>>>()?;
        Ok(Some(PartyDetail { party, interests, consent, mandates }))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_consent")]
    async fn add_consent(&self, c: &ConsentChoice) -> StoreResult<()> {
        query(
            "INSERT INTO consent_choices (party_key, work_code, stage, consent, effective_from, recorded_by, \
             recorded_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.party.as_str())
        .bind(&c.work_code)
        .bind(c.stage.as_str())
        .bind(c.consent.as_str())
        .bind(c.effective_from.format("%Y-%m-%d").to_string())
        .bind(&c.recorded_by)
        .bind(c.recorded_at)
        .bind(&c.note)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_mandate")]
    async fn add_mandate(&self, m: &Mandate) -> StoreResult<()> {
        query("INSERT INTO mandates (party_key, society, document) VALUES ($1, $2, $3)")
            .bind(m.party.as_str())
            .bind(i64::from(m.society.number()))
            .bind(document(m))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.consent_for")]
    async fn consent_for(&self, parties: &[PartyKey]) -> StoreResult<Vec<ConsentChoice>> {
        if parties.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Builder::new(SELECT_CONSENT);
        sql.push(" WHERE party_key IN (").push_list(parties.iter().map(PartyKey::as_str));
        sql.push(") ORDER BY recorded_at, id");
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(consent_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.set_origin")]
    async fn set_origin(&self, work_code: &str, origin: Origin, revision: &Revision) -> StoreResult<bool> {
        let mut tx = self.pool.begin_write().await?;
        let row = query(
            "UPDATE works SET origin = $1, revision = revision + 1, updated_at = $2 WHERE code = $3 RETURNING revision",
        )
        .bind(origin.as_str())
        .bind(revision.changed_at)
        .bind(work_code)
        .fetch_optional(&mut tx)
        .await?;
        let Some(row) = row else { return Ok(false) };
        query(
            "INSERT INTO work_revisions (work_code, revision, change, submitter, work_number, summary, changed_at, \
             changed_by, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(work_code)
        .bind(row.get::<i64>("revision")?)
        .bind(&revision.change)
        .bind(&revision.submitter)
        .bind(&revision.submitter_work_number)
        .bind(&revision.summary)
        .bind(revision.changed_at)
        .bind(&revision.changed_by)
        .bind(revision.document.clone().map(Document))
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.counts")]
    async fn counts(&self) -> StoreResult<RegistryCounts> {
        let count = |sql: &'static str| async move { query(sql).fetch_one(&self.pool).await?.count("n") };
        Ok(RegistryCounts {
            works: count("SELECT COUNT(*) AS n FROM works").await?,
            registrations: count("SELECT COUNT(*) AS n FROM registrations").await?,
            conflicts: count("SELECT COUNT(*) AS n FROM registrations WHERE status = 'conflict'").await?,
            parties: count("SELECT COUNT(*) AS n FROM parties").await?,
            recordings: count("SELECT COUNT(*) AS n FROM recordings").await?,
            submissions: count("SELECT COUNT(*) AS n FROM submissions").await?,
        })
    }
}

impl SqlStore {
    /// A party from its row and its affiliations.
    async fn party_from(&self, row: &Row, key: &str) -> StoreResult<domain::Party> {
        let rows = query(
            "SELECT right_type, society FROM party_affiliations WHERE party_key = $1 ORDER BY right_type, society",
        )
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        let mut affiliations = Vec::new();
        for a in &rows {
            if let Some(right) = crate::right_type(&a.get::<String>("right_type")?) {
                let society = domain::SocietyCode::from_number(a.get::<i64>("society")? as u16);
                affiliations.push(domain::Affiliation { right, society });
            }
        }
        let corrupt = |what: &str, v: String| StoreError::Corrupt(format!("{what} {v:?}"));
        let ipi_name: Option<String> = row.get("ipi_name")?;
        let ipi_base: Option<String> = row.get("ipi_base")?;
        let isni: Option<String> = row.get("isni")?;
        Ok(domain::Party {
            key: PartyKey::new(row.get::<String>("key")?),
            kind: crate::party_kind(&row.get::<String>("kind")?),
            name: row.get("name")?,
            first_name: row.get("first_name")?,
            ipi_name: ipi_name.map(|v| domain::IpiNameNumber::parse(&v).map_err(|_| corrupt("IPI", v))).transpose()?,
            ipi_base: ipi_base
                .map(|v| domain::IpiBaseNumber::parse(&v).map_err(|_| corrupt("IPI base", v)))
                .transpose()?,
            isni: isni.map(|v| domain::Isni::parse(&v).map_err(|_| corrupt("ISNI", v))).transpose()?,
            affiliations,
        })
    }
}
