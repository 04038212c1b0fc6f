//! [`impl_store!`](crate::impl_store): the whole `engine::Store` implementation, written once.

/// Implements `engine::store::Store` for `$store`, a struct with a field `pool: sqlx::Pool<$db>`.
/// Queries use only SQL that SQLite and PostgreSQL both accept; multi-row inserts go through
/// `QueryBuilder`, which writes each database's own placeholders.
#[macro_export]
macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:literal) => {
        const _: () = {
            use $crate::engine::store::*;
            use $crate::sqlx::{self, QueryBuilder, Row};
            use $crate::{database_error as db, domain, engine, fold, json, parse_timestamp, timestamp, to_json};
            use std::collections::{HashMap, HashSet};

            const SELECT_REFERENCE: &str = "SELECT r.work_code, r.submitter, r.work_number, r.content_hash, r.status, r.is_primary, w.iswc, r.controlled_pr, r.controlled_mr FROM registrations r JOIN works w ON w.code = r.work_code";

            fn reference_from(row: &<$db as sqlx::Database>::Row) -> StoreResult<RegistrationRef> {
                $crate::registration_ref(
                    row.try_get(0).map_err(db)?,
                    row.try_get(1).map_err(db)?,
                    row.try_get(2).map_err(db)?,
                    row.try_get(3).map_err(db)?,
                    row.try_get(4).map_err(db)?,
                    row.try_get(5).map_err(db)?,
                    row.try_get(6).map_err(db)?,
                    row.try_get(7).map_err(db)?,
                    row.try_get(8).map_err(db)?,
                )
            }

            fn summary_from(row: &<$db as sqlx::Database>::Row) -> StoreResult<WorkSummary> {
                Ok(WorkSummary {
                    code: row.try_get(0).map_err(db)?,
                    title: row.try_get(1).map_err(db)?,
                    iswc: $crate::parse_iswc(row.try_get(2).map_err(db)?)?,
                    origin: $crate::parse_origin(&row.try_get::<String, _>(3).map_err(db)?)?,
                    revision: row.try_get::<i64, _>(4).map_err(db)? as u32,
                })
            }

            fn consent_from(row: &<$db as sqlx::Database>::Row) -> StoreResult<domain::ConsentChoice> {
                let stage: String = row.try_get(2).map_err(db)?;
                let consent: String = row.try_get(3).map_err(db)?;
                let from: String = row.try_get(4).map_err(db)?;
                Ok(domain::ConsentChoice {
                    party: domain::PartyKey::new(row.try_get::<String, _>(0).map_err(db)?),
                    work_code: row.try_get(1).map_err(db)?,
                    stage: domain::Stage::parse(&stage).ok_or_else(|| StoreError::Corrupt(format!("stage {stage:?}")))?,
                    consent: domain::Consent::parse(&consent).ok_or_else(|| StoreError::Corrupt(format!("consent {consent:?}")))?,
                    effective_from: $crate::chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date {from:?}")))?,
                    recorded_by: row.try_get(5).map_err(db)?,
                    recorded_at: parse_timestamp(&row.try_get::<String, _>(6).map_err(db)?)?,
                    note: row.try_get(7).map_err(db)?,
                })
            }

            /// Executes a multi-row INSERT over `rows` in statements small enough for the parameter limit.
            async fn insert_rows<'a, T: 'a>(
                tx: &mut sqlx::Transaction<'static, $db>,
                head: &str,
                columns: usize,
                tail: &str,
                rows: Vec<T>,
                bind: impl Fn(&mut sqlx::query_builder::Separated<'_, $db, &'static str>, T),
            ) -> StoreResult<()> {
                let per_statement = ($crate::MAX_PARAMETERS / columns).max(1);
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(head);
                    qb.push(" ");
                    qb.push_values(rows.by_ref().take(per_statement), |mut b, row| bind(&mut b, row));
                    qb.push(" ");
                    qb.push(tail);
                    // Not kept in the statement cache: each multi-row statement is big and its shape varies.
                    qb.build().persistent(false).execute(&mut **tx).await.map_err(db)?;
                }
                Ok(())
            }

            /// Writes rows that only add (no conflict to resolve) in bulk: COPY on PostgreSQL.
            async fn copy_rows(
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &'static str,
                columns: &'static [&'static str],
                rows: Vec<Vec<$crate::Cell>>,
            ) -> StoreResult<()> {
                <$db as $crate::Backend>::insert_rows(&mut **tx, table, columns, &rows).await
            }

            impl $store {
                #[tracing::instrument(level = "debug", skip_all, name = "store.resolve_work_code")]
                async fn resolve_work_code(&self, code_or_iswc: &str) -> StoreResult<Option<String>> {
                    let text = code_or_iswc.trim();
                    let row = match domain::Iswc::parse(text) {
                        Ok(iswc) => sqlx::query("SELECT code FROM works WHERE iswc = $1").bind(iswc.bare()).fetch_optional(&self.pool).await,
                        Err(_) => sqlx::query("SELECT code FROM works WHERE code = $1").bind(text.to_ascii_uppercase()).fetch_optional(&self.pool).await,
                    }
                    .map_err(db)?;
                    row.map(|r| r.try_get::<String, _>(0).map_err(db)).transpose()
                }

                async fn next_revisions(
                    tx: &mut sqlx::Transaction<'static, $db>,
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
                                let row = sqlx::query("SELECT revision FROM works WHERE code = $1").bind(&r.work_code).fetch_optional(&mut **tx).await.map_err(db)?;
                                row.map(|row| row.try_get::<i64, _>(0).map_err(db)).transpose()?.unwrap_or(0) as u32
                            }
                        };
                        numbers.push(current + 1);
                        last.insert(r.work_code.clone(), current + 1);
                    }
                    Ok((numbers, last))
                }
            }

            #[$crate::async_trait::async_trait]
            impl engine::store::RepertoireStore for $store {
                fn backend(&self) -> &'static str {
                    $backend
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.lock_registry")]
                async fn lock_registry(&self) -> StoreResult<engine::store::RegistryLock> {
                    self.registry_lock().await
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.society")]
                async fn society(&self) -> StoreResult<Option<SocietyConfig>> {
                    let row = sqlx::query("SELECT code, name, rules FROM society WHERE id = 1").fetch_optional(&self.pool).await.map_err(db)?;
                    let Some(row) = row else { return Ok(None) };
                    let code: i64 = row.try_get(0).map_err(db)?;
                    Ok(Some(SocietyConfig {
                        code: domain::SocietyCode::from_number(code as u16),
                        name: row.try_get(1).map_err(db)?,
                        rules: json(&row.try_get::<String, _>(2).map_err(db)?, "society rules")?,
                    }))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.set_society")]
                async fn set_society(&self, config: &SocietyConfig) -> StoreResult<()> {
                    sqlx::query("INSERT INTO society (id, code, name, rules) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name, rules = excluded.rules")
                        .bind(i64::from(config.code.number()))
                        .bind(&config.name)
                        .bind(to_json(&config.rules))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.lookup_registrations")]
                async fn lookup_registrations(&self, keys: &[(String, String)], iswcs: &[domain::Iswc]) -> StoreResult<Vec<RegistrationRef>> {
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
                    // One IN over a UNION of two indexed look-ups: an OR of two IN clauses would make the
                    // planner scan every registration for every chunk.
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(SELECT_REFERENCE);
                    qb.push(" WHERE r.work_code IN (");
                    let mut first = true;
                    for (submitter, numbers) in &by_submitter {
                        if !first {
                            qb.push(" UNION ");
                        }
                        first = false;
                        qb.push("SELECT work_code FROM registrations WHERE submitter = ").push_bind(submitter.to_string()).push(" AND work_number IN (");
                        let mut list = qb.separated(", ");
                        for n in numbers {
                            list.push_bind(n.to_string());
                        }
                        qb.push(")");
                    }
                    if !iswcs.is_empty() {
                        if !first {
                            qb.push(" UNION ");
                        }
                        qb.push("SELECT code FROM works WHERE iswc IN (");
                        let mut list = qb.separated(", ");
                        for iswc in iswcs {
                            list.push_bind(iswc.bare());
                        }
                        qb.push(")");
                    }
                    qb.push(")");
                    let rows = qb.build().fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(reference_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.registrations_by_number")]
                async fn registrations_by_number(&self, number: &str) -> StoreResult<Vec<RegistrationRef>> {
                    let sql = format!("{SELECT_REFERENCE} WHERE r.work_number = $1 ORDER BY r.work_code");
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(number).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(reference_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.allocate")]
                async fn allocate(&self, counter: &str, count: u64) -> StoreResult<u64> {
                    if count == 0 {
                        let row = sqlx::query("SELECT value FROM counters WHERE name = $1").bind(counter).fetch_optional(&self.pool).await.map_err(db)?;
                        let current = row.map(|r| r.try_get::<i64, _>(0).map_err(db)).transpose()?.unwrap_or(0);
                        return Ok(current as u64 + 1);
                    }
                    let row = sqlx::query("INSERT INTO counters (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value RETURNING value")
                        .bind(counter)
                        .bind(count as i64)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db)?;
                    let last: i64 = row.try_get(0).map_err(db)?;
                    Ok(last as u64 - count + 1)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.commit_import")]
                async fn commit_import(&self, batch: &ImportBatch) -> StoreResult<()> {
                    let at = timestamp(batch.at);
                    let registrations = $crate::last_per_key(&batch.registrations, $crate::registration_key);
                    let new_codes: HashSet<&str> = batch.new_works.iter().map(|w| w.0.as_str()).collect();
                    // The work is shown from its primary registration: the last primary write of the batch.
                    let primaries: HashMap<&str, &RegistrationWrite> =
                        registrations.iter().filter(|r| r.reference.primary).map(|r| (r.reference.work_code.as_str(), *r)).collect();

                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    let (numbers, last_revision) = Self::next_revisions(&mut tx, &batch.revisions, &new_codes).await?;

                    use $crate::Cell;
                    let text = |t: &str| Cell::Text(t.to_owned());
                    let works = batch.new_works.iter().map(|(code, title, iswc, origin)| {
                        let shown = primaries.get(code.as_str());
                        let title = shown.map_or(title.clone(), |p| p.work.title.clone());
                        let iswc = shown.and_then(|p| p.work.iswc).or(*iswc);
                        vec![
                            text(code),
                            Cell::Text(title),
                            iswc.map_or(Cell::Null, |i| Cell::Text(i.bare())),
                            text(origin.as_str()),
                            Cell::Int(i64::from(last_revision.get(code).copied().unwrap_or(0))),
                            text(&at),
                            text(&at),
                        ]
                    });
                    let columns = &["code", "title", "iswc", "origin", "revision", "created_at", "updated_at"];
                    copy_rows(&mut tx, "works", columns, works.collect()).await?;

                    for (code, number) in &last_revision {
                        if !new_codes.contains(code.as_str()) {
                            sqlx::query("UPDATE works SET revision = $1, updated_at = $2 WHERE code = $3").bind(i64::from(*number)).bind(&at).bind(code).execute(&mut *tx).await.map_err(db)?;
                        }
                    }
                    for (code, primary) in &primaries {
                        if !new_codes.contains(code) {
                            sqlx::query("UPDATE works SET title = $1, iswc = COALESCE($2, iswc), updated_at = $3 WHERE code = $4")
                                .bind(&primary.work.title)
                                .bind(primary.work.iswc.map(|i| i.bare()))
                                .bind(&at)
                                .bind(*code)
                                .execute(&mut *tx)
                                .await
                                .map_err(db)?;
                            sqlx::query("DELETE FROM work_titles WHERE work_code = $1").bind(*code).execute(&mut *tx).await.map_err(db)?;
                        }
                    }
                    for r in &registrations {
                        if !new_codes.contains(r.reference.work_code.as_str()) {
                            sqlx::query("DELETE FROM work_interests WHERE submitter = $1 AND work_number = $2")
                                .bind(&r.reference.submitter)
                                .bind(&r.reference.submitter_work_number)
                                .execute(&mut *tx)
                                .await
                                .map_err(db)?;
                        }
                    }

                    insert_rows(
                        &mut tx,
                        "INSERT INTO registrations (submitter, work_number, work_code, status, is_primary, content_hash, controlled_pr, controlled_mr, revision, updated_at)",
                        10,
                        "ON CONFLICT (submitter, work_number) DO UPDATE SET work_code = excluded.work_code, status = excluded.status, is_primary = excluded.is_primary, content_hash = excluded.content_hash, controlled_pr = excluded.controlled_pr, controlled_mr = excluded.controlled_mr, revision = excluded.revision, updated_at = excluded.updated_at",
                        registrations.clone(),
                        |b, r| {
                            let reference = &r.reference;
                            b.push_bind(reference.submitter.clone())
                                .push_bind(reference.submitter_work_number.clone())
                                .push_bind(reference.work_code.clone())
                                .push_bind(reference.status.as_str())
                                .push_bind(i64::from(reference.primary))
                                .push_bind(reference.content_hash.clone())
                                .push_bind(i64::from(reference.controlled_performing.scaled()))
                                .push_bind(i64::from(reference.controlled_mechanical.scaled()))
                                .push_bind(i64::from(numbers[r.revision_index]))
                                .push_bind(at.clone());
                        },
                    )
                    .await?;

                    let mut titles: Vec<(String, String)> = Vec::new();
                    for (code, p) in &primaries {
                        titles.extend(p.work.titles().map(|t| (code.to_string(), t.to_owned())));
                    }
                    let titles = titles.into_iter().map(|(code, title)| {
                        let folded = fold(&title);
                        vec![Cell::Text(code), Cell::Text(title), Cell::Text(folded)]
                    });
                    copy_rows(&mut tx, "work_titles", &["work_code", "title", "folded"], titles.collect()).await?;

                    let mut interests = Vec::new();
                    for r in &registrations {
                        interests.extend($crate::interest_rows(&r.work).into_iter().map(|row| (*r, row)));
                    }
                    let interests = interests.into_iter().map(|(r, (party, side, role, controlled, pr, mr, sr))| {
                        vec![
                            text(&r.reference.work_code),
                            text(&r.reference.submitter),
                            text(&r.reference.submitter_work_number),
                            Cell::Text(party),
                            Cell::Text(side.into()),
                            Cell::Text(role.into()),
                            Cell::Int(controlled),
                            Cell::Int(pr),
                            Cell::Int(mr),
                            Cell::Int(sr),
                        ]
                    });
                    let columns = &["work_code", "submitter", "work_number", "party_key", "side", "role", "controlled", "pr_share", "mr_share", "sr_share"];
                    copy_rows(&mut tx, "work_interests", columns, interests.collect()).await?;

                    let parties = $crate::last_per_key(&batch.parties, $crate::party_key);
                    insert_rows(
                        &mut tx,
                        "INSERT INTO parties (key, kind, name, first_name, ipi_name, ipi_base, isni, updated_at)",
                        8,
                        // Popular parties recur in every chunk: rewrite a row only when something changed.
                        "ON CONFLICT (key) DO UPDATE SET name = excluded.name, first_name = excluded.first_name, ipi_base = COALESCE(excluded.ipi_base, parties.ipi_base), updated_at = excluded.updated_at WHERE parties.name <> excluded.name OR parties.first_name <> excluded.first_name OR (excluded.ipi_base IS NOT NULL AND (parties.ipi_base IS NULL OR parties.ipi_base <> excluded.ipi_base))",
                        parties.clone(),
                        |b, p| {
                            b.push_bind(p.key.as_str().to_owned())
                                .push_bind(p.kind.as_str())
                                .push_bind(p.name.clone())
                                .push_bind(p.first_name.clone())
                                .push_bind(p.ipi_name.map(|i| i.to_string()))
                                .push_bind(p.ipi_base.map(|i| i.to_string()))
                                .push_bind(p.isni.map(|i| i.to_string()))
                                .push_bind(at.clone());
                        },
                    )
                    .await?;
                    let mut affiliations = Vec::new();
                    for p in &parties {
                        affiliations.extend(p.affiliations.iter().map(|a| (p.key.as_str().to_owned(), a.right.abbreviation(), i64::from(a.society.number()))));
                    }
                    insert_rows(&mut tx, "INSERT INTO party_affiliations (party_key, right_type, society)", 3, "ON CONFLICT DO NOTHING", affiliations, |b, (key, right, society)| {
                        b.push_bind(key).push_bind(right).push_bind(society);
                    })
                    .await?;

                    let mut recordings: Vec<(String, String, &domain::RecordingInfo)> = Vec::new();
                    for r in registrations.iter().filter(|r| r.reference.primary) {
                        for (n, rec) in r.work.recordings.iter().enumerate() {
                            let id = rec.isrc.map_or_else(|| format!("{}#{}", r.reference.work_code, n + 1), |i| i.to_string());
                            recordings.push((id, r.reference.work_code.clone(), rec));
                        }
                    }
                    let recordings = $crate::last_per_key(&recordings, |r| r.0.clone());
                    insert_rows(
                        &mut tx,
                        "INSERT INTO recordings (id, isrc, work_code, title, artist, document, updated_at)",
                        7,
                        "ON CONFLICT (id) DO UPDATE SET work_code = excluded.work_code, title = excluded.title, artist = excluded.artist, document = excluded.document, updated_at = excluded.updated_at",
                        recordings,
                        |b, (id, code, rec)| {
                            b.push_bind(id.clone())
                                .push_bind(rec.isrc.map(|i| i.to_string()))
                                .push_bind(code.clone())
                                .push_bind(rec.title.clone())
                                .push_bind(rec.artist.clone())
                                .push_bind(to_json(*rec))
                                .push_bind(at.clone());
                        },
                    )
                    .await?;

                    for (code, iswc) in &batch.iswc_updates {
                        sqlx::query("UPDATE works SET iswc = $1, updated_at = $2 WHERE code = $3 AND iswc IS NULL").bind(iswc.bare()).bind(&at).bind(code).execute(&mut *tx).await.map_err(db)?;
                    }

                    let revisions = batch.revisions.iter().zip(numbers.iter().copied()).map(|(r, number)| {
                        vec![
                            text(&r.work_code),
                            Cell::Int(i64::from(number)),
                            text(&r.change),
                            text(&r.submitter),
                            text(&r.submitter_work_number),
                            text(&r.summary),
                            Cell::Text(timestamp(r.changed_at)),
                            text(&r.changed_by),
                            r.document.as_deref().map_or(Cell::Null, text),
                        ]
                    });
                    let columns = &["work_code", "revision", "change", "submitter", "work_number", "summary", "changed_at", "changed_by", "document"];
                    copy_rows(&mut tx, "work_revisions", columns, revisions.collect()).await?;

                    let agreements = $crate::last_per_key(&batch.agreements, |a| (a.submitter.clone(), a.number.clone()));
                    insert_rows(
                        &mut tx,
                        "INSERT INTO agreements (submitter, number, document, updated_at)",
                        4,
                        "ON CONFLICT (submitter, number) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
                        agreements,
                        |b, a| {
                            b.push_bind(a.submitter.clone()).push_bind(a.number.clone()).push_bind(a.document.clone()).push_bind(at.clone());
                        },
                    )
                    .await?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.submission_by_hash")]
                async fn submission_by_hash(&self, sha256: &str) -> StoreResult<Option<SubmissionRecord>> {
                    let row = sqlx::query("SELECT sha256, file_name, version, submitter, received_at, ack_file_name, summary FROM submissions WHERE sha256 = $1")
                        .bind(sha256)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    let Some(row) = row else { return Ok(None) };
                    Ok(Some(SubmissionRecord {
                        sha256: row.try_get(0).map_err(db)?,
                        file_name: row.try_get(1).map_err(db)?,
                        version: row.try_get(2).map_err(db)?,
                        submitter: row.try_get(3).map_err(db)?,
                        received_at: parse_timestamp(&row.try_get::<String, _>(4).map_err(db)?)?,
                        ack_file_name: row.try_get(5).map_err(db)?,
                        summary: row.try_get(6).map_err(db)?,
                    }))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_submission")]
                async fn add_submission(&self, s: &SubmissionRecord) -> StoreResult<()> {
                    sqlx::query("INSERT INTO submissions (sha256, file_name, version, submitter, received_at, ack_file_name, summary) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING")
                        .bind(&s.sha256)
                        .bind(&s.file_name)
                        .bind(&s.version)
                        .bind(&s.submitter)
                        .bind(timestamp(s.received_at))
                        .bind(&s.ack_file_name)
                        .bind(&s.summary)
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.search_works")]
                async fn search_works(&self, text: &str, limit: u32) -> StoreResult<Vec<WorkSummary>> {
                    // LIKE metacharacters in the search text are escaped, with the same ESCAPE on both databases.
                    let escaped = fold(text).replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                    let pattern = format!("%{escaped}%");
                    let iswc = domain::Iswc::parse(text).ok().map(|i| i.bare());
                    let rows = sqlx::query(
                        "SELECT code, title, iswc, origin, revision FROM works WHERE code IN (SELECT work_code FROM work_titles WHERE folded LIKE $1 ESCAPE '\\') OR code = $2 OR iswc = $3 ORDER BY title, code LIMIT $4",
                    )
                    .bind(pattern)
                    .bind(text.trim().to_ascii_uppercase())
                    .bind(iswc)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    rows.iter().map(summary_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.work")]
                async fn work(&self, code_or_iswc: &str) -> StoreResult<Option<WorkDetail>> {
                    let Some(code) = self.resolve_work_code(code_or_iswc).await? else { return Ok(None) };
                    let row = sqlx::query("SELECT code, title, iswc, origin, revision FROM works WHERE code = $1").bind(&code).fetch_one(&self.pool).await.map_err(db)?;
                    let summary = summary_from(&row)?;
                    let rows = sqlx::query("SELECT r.submitter, r.work_number, r.status, r.is_primary, v.document, r.updated_at FROM registrations r JOIN work_revisions v ON v.work_code = r.work_code AND v.revision = r.revision WHERE r.work_code = $1 ORDER BY r.is_primary DESC, r.submitter, r.work_number")
                        .bind(&code)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    let mut registrations = Vec::with_capacity(rows.len());
                    for row in &rows {
                        let mut work: domain::Work = json(&row.try_get::<String, _>(4).map_err(db)?, "work document")?;
                        work.origin = summary.origin;
                        registrations.push(StoredRegistration {
                            submitter: row.try_get(0).map_err(db)?,
                            submitter_work_number: row.try_get(1).map_err(db)?,
                            status: $crate::parse_status(&row.try_get::<String, _>(2).map_err(db)?)?,
                            primary: row.try_get::<i64, _>(3).map_err(db)? != 0,
                            revision: summary.revision,
                            work,
                            updated_at: parse_timestamp(&row.try_get::<String, _>(5).map_err(db)?)?,
                        });
                    }
                    let rows = sqlx::query("SELECT work_code, revision, change, submitter, work_number, summary, changed_at, changed_by FROM work_revisions WHERE work_code = $1 ORDER BY revision")
                        .bind(&code)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    let mut history = Vec::with_capacity(rows.len());
                    for row in &rows {
                        history.push(Revision {
                            work_code: row.try_get(0).map_err(db)?,
                            revision: row.try_get::<i64, _>(1).map_err(db)? as u32,
                            change: row.try_get(2).map_err(db)?,
                            submitter: row.try_get(3).map_err(db)?,
                            submitter_work_number: row.try_get(4).map_err(db)?,
                            summary: row.try_get(5).map_err(db)?,
                            changed_at: parse_timestamp(&row.try_get::<String, _>(6).map_err(db)?)?,
                            changed_by: row.try_get(7).map_err(db)?,
                            document: None,
                        });
                    }
                    Ok(Some(WorkDetail { summary, registrations, history }))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.work_recordings")]
                async fn work_recordings(&self, work_code: &str) -> StoreResult<Vec<StoredRecording>> {
                    let rows = sqlx::query("SELECT work_code, document FROM recordings WHERE work_code = $1 ORDER BY id").bind(work_code).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter()
                        .map(|row| {
                            Ok(StoredRecording {
                                work_code: row.try_get(0).map_err(db)?,
                                recording: json(&row.try_get::<String, _>(1).map_err(db)?, "recording")?,
                            })
                        })
                        .collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.party")]
                async fn party(&self, key_or_ipi: &str) -> StoreResult<Option<PartyDetail>> {
                    let text = key_or_ipi.trim();
                    let key = match domain::IpiNameNumber::parse(text) {
                        Ok(ipi) if !text.contains(':') => domain::PartyKey::from_ipi(ipi).as_str().to_owned(),
                        _ => text.to_owned(),
                    };
                    let row = sqlx::query("SELECT key, kind, name, first_name, ipi_name, ipi_base, isni FROM parties WHERE key = $1").bind(&key).fetch_optional(&self.pool).await.map_err(db)?;
                    let Some(row) = row else { return Ok(None) };
                    let affiliation_rows = sqlx::query("SELECT right_type, society FROM party_affiliations WHERE party_key = $1 ORDER BY right_type, society").bind(&key).fetch_all(&self.pool).await.map_err(db)?;
                    let mut affiliations = Vec::new();
                    for a in &affiliation_rows {
                        let right: String = a.try_get(0).map_err(db)?;
                        let society: i64 = a.try_get(1).map_err(db)?;
                        if let Some(right) = $crate::right_type(&right) {
                            affiliations.push(domain::Affiliation { right, society: domain::SocietyCode::from_number(society as u16) });
                        }
                    }
                    let corrupt = |what: &str, v: String| StoreError::Corrupt(format!("{what} {v:?}"));
                    let ipi_name: Option<String> = row.try_get(4).map_err(db)?;
                    let ipi_base: Option<String> = row.try_get(5).map_err(db)?;
                    let isni: Option<String> = row.try_get(6).map_err(db)?;
                    let party = domain::Party {
                        key: domain::PartyKey::new(row.try_get::<String, _>(0).map_err(db)?),
                        kind: $crate::party_kind(&row.try_get::<String, _>(1).map_err(db)?),
                        name: row.try_get(2).map_err(db)?,
                        first_name: row.try_get(3).map_err(db)?,
                        ipi_name: ipi_name.map(|v| domain::IpiNameNumber::parse(&v).map_err(|_| corrupt("IPI", v))).transpose()?,
                        ipi_base: ipi_base.map(|v| domain::IpiBaseNumber::parse(&v).map_err(|_| corrupt("IPI base", v))).transpose()?,
                        isni: isni.map(|v| domain::Isni::parse(&v).map_err(|_| corrupt("ISNI", v))).transpose()?,
                        affiliations,
                    };
                    let rows = sqlx::query(
                        "SELECT i.work_code, w.title, i.side, i.role, i.controlled, i.pr_share, i.mr_share, i.sr_share FROM work_interests i JOIN works w ON w.code = i.work_code WHERE i.party_key = $1 ORDER BY i.work_code, i.submitter",
                    )
                    .bind(&key)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    let mut interests = Vec::with_capacity(rows.len());
                    for r in &rows {
                        interests.push(PartyInterest {
                            work_code: r.try_get(0).map_err(db)?,
                            title: r.try_get(1).map_err(db)?,
                            role: $crate::role(&r.try_get::<String, _>(2).map_err(db)?, r.try_get(3).map_err(db)?),
                            controlled: r.try_get::<i64, _>(4).map_err(db)? != 0,
                            performing: $crate::share(r.try_get(5).map_err(db)?)?,
                            mechanical: $crate::share(r.try_get(6).map_err(db)?)?,
                            synchronisation: $crate::share(r.try_get(7).map_err(db)?)?,
                        });
                    }
                    let consent = self.consent_for(std::slice::from_ref(&party.key)).await?;
                    let rows = sqlx::query("SELECT document FROM mandates WHERE party_key = $1 ORDER BY id").bind(&key).fetch_all(&self.pool).await.map_err(db)?;
                    let mandates = rows.iter().map(|r| json(&r.try_get::<String, _>(0).map_err(db)?, "mandate")).collect::<StoreResult<Vec<domain::Mandate>>>()?;
                    Ok(Some(PartyDetail { party, interests, consent, mandates }))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_consent")]
                async fn add_consent(&self, c: &domain::ConsentChoice) -> StoreResult<()> {
                    sqlx::query("INSERT INTO consent_choices (party_key, work_code, stage, consent, effective_from, recorded_by, recorded_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                        .bind(c.party.as_str())
                        .bind(&c.work_code)
                        .bind(c.stage.as_str())
                        .bind(c.consent.as_str())
                        .bind(c.effective_from.format("%Y-%m-%d").to_string())
                        .bind(&c.recorded_by)
                        .bind(timestamp(c.recorded_at))
                        .bind(&c.note)
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_mandate")]
                async fn add_mandate(&self, m: &domain::Mandate) -> StoreResult<()> {
                    sqlx::query("INSERT INTO mandates (party_key, society, document) VALUES ($1, $2, $3)")
                        .bind(m.party.as_str())
                        .bind(i64::from(m.society.number()))
                        .bind(to_json(m))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.consent_for")]
                async fn consent_for(&self, parties: &[domain::PartyKey]) -> StoreResult<Vec<domain::ConsentChoice>> {
                    if parties.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new("SELECT party_key, work_code, stage, consent, effective_from, recorded_by, recorded_at, note FROM consent_choices WHERE party_key IN (");
                    let mut list = qb.separated(", ");
                    for p in parties {
                        list.push_bind(p.as_str().to_owned());
                    }
                    qb.push(") ORDER BY recorded_at, id");
                    let rows = qb.build().fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(consent_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.set_origin")]
                async fn set_origin(&self, work_code: &str, origin: domain::Origin, revision: &Revision) -> StoreResult<bool> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    let row = sqlx::query("UPDATE works SET origin = $1, revision = revision + 1, updated_at = $2 WHERE code = $3 RETURNING revision")
                        .bind(origin.as_str())
                        .bind(timestamp(revision.changed_at))
                        .bind(work_code)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                    let Some(row) = row else { return Ok(false) };
                    let number: i64 = row.try_get(0).map_err(db)?;
                    sqlx::query("INSERT INTO work_revisions (work_code, revision, change, submitter, work_number, summary, changed_at, changed_by, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                        .bind(work_code)
                        .bind(number)
                        .bind(&revision.change)
                        .bind(&revision.submitter)
                        .bind(&revision.submitter_work_number)
                        .bind(&revision.summary)
                        .bind(timestamp(revision.changed_at))
                        .bind(&revision.changed_by)
                        .bind(&revision.document)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)?;
                    Ok(true)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.counts")]
                async fn counts(&self) -> StoreResult<RegistryCounts> {
                    let count = |sql: &'static str| async move {
                        let row = sqlx::query(sql).fetch_one(&self.pool).await.map_err(db)?;
                        row.try_get::<i64, _>(0).map(|n| n as u64).map_err(db)
                    };
                    Ok(RegistryCounts {
                        works: count("SELECT COUNT(*) FROM works").await?,
                        registrations: count("SELECT COUNT(*) FROM registrations").await?,
                        conflicts: count("SELECT COUNT(*) FROM registrations WHERE status = 'conflict'").await?,
                        parties: count("SELECT COUNT(*) FROM parties").await?,
                        recordings: count("SELECT COUNT(*) FROM recordings").await?,
                        submissions: count("SELECT COUNT(*) FROM submissions").await?,
                    })
                }
            }
        };
    };
}
