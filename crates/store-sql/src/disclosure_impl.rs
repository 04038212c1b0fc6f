//! [`impl_disclosure_store!`](crate::impl_disclosure_store): the `engine::disclosure::DisclosureStore`
//! implementation, written once for both databases.

/// Implements `engine::disclosure::DisclosureStore` for `$store` (a struct with `pool: sqlx::Pool<$db>`).
/// Disclosures, decisions and assessments are JSON documents; match rows are columns (one row per item, and
/// one per item and work in `match_works`), because views count and join them.
#[macro_export]
macro_rules! impl_disclosure_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use std::collections::BTreeMap;

            use $crate::chrono::{DateTime, Utc};
            use $crate::engine::disclosure::*;
            use $crate::engine::store::{StoreError, StoreResult};
            use $crate::sqlx::{self, QueryBuilder, Row};
            use $crate::{database_error as db, domain, json, parse_timestamp, timestamp, to_json};

            type Tx = sqlx::Transaction<'static, $db>;
            type DbRow = <$db as sqlx::Database>::Row;

            const MATCH_COLUMNS: &str = "item, file, line, item_key, item_id, described, status, recording, works, method, score, explanation, candidates, decided";
            /// The columns a match row is written to, its match set first.
            const MATCH_TABLE_COLUMNS: &[&str] = &["match_set", "item", "file", "line", "item_key", "item_id", "described", "status", "recording", "works", "method", "score", "explanation", "candidates", "decided"];

            fn disclosure_from(row: &DbRow) -> StoreResult<Disclosure> {
                let mut d: Disclosure = json(&row.try_get::<String, _>(0).map_err(db)?, "disclosure")?;
                d.current = row.try_get::<i64, _>(1).map_err(db)? != 0;
                Ok(d)
            }

            fn match_from(row: &DbRow) -> StoreResult<MatchRow> {
                let status: String = row.try_get(6).map_err(db)?;
                let method: Option<String> = row.try_get(9).map_err(db)?;
                Ok(MatchRow {
                    item: row.try_get::<i64, _>(0).map_err(db)? as u64,
                    file: row.try_get::<i64, _>(1).map_err(db)? as u32,
                    line: row.try_get::<i64, _>(2).map_err(db)? as u64,
                    item_key: row.try_get(3).map_err(db)?,
                    item_id: row.try_get(4).map_err(db)?,
                    described: row.try_get(5).map_err(db)?,
                    status: MatchStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("match status {status:?}")))?,
                    recording: row.try_get(7).map_err(db)?,
                    works: json(&row.try_get::<String, _>(8).map_err(db)?, "matched works")?,
                    method: method
                        .map(|m| $crate::matching::Method::parse(&m).ok_or_else(|| StoreError::Corrupt(format!("match method {m:?}"))))
                        .transpose()?,
                    score: row.try_get::<i64, _>(10).map_err(db)?.clamp(0, 1000) as u16,
                    explanation: row.try_get(11).map_err(db)?,
                    candidates: json(&row.try_get::<String, _>(12).map_err(db)?, "candidates")?,
                    decided: row.try_get::<i64, _>(13).map_err(db)? != 0,
                })
            }

            /// Takes the disclosure's row lock for the transaction (a write, so on SQLite the database's): two
            /// runs numbering a match set or an assessment of one disclosure at once take turns, and the
            /// second sees the first's number.
            async fn lock_disclosure(tx: &mut Tx, disclosure: &str) -> StoreResult<()> {
                sqlx::query("UPDATE disclosures SET current = current WHERE id = $1").bind(disclosure).execute(&mut **tx).await.map_err(db)?;
                Ok(())
            }

            async fn insert_matches(tx: &mut Tx, match_set: u64, rows: &[MatchRow]) -> StoreResult<()> {
                use $crate::Cell;
                let text = |t: &str| Cell::Text(t.to_owned());
                let cells: Vec<Vec<Cell>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::Int(match_set as i64),
                            Cell::Int(r.item as i64),
                            Cell::Int(i64::from(r.file)),
                            Cell::Int(r.line as i64),
                            text(&r.item_key),
                            r.item_id.as_deref().map_or(Cell::Null, text),
                            text(&r.described),
                            text(r.status.as_str()),
                            r.recording.as_deref().map_or(Cell::Null, text),
                            Cell::Text(to_json(&r.works)),
                            r.method.map_or(Cell::Null, |m| text(m.as_str())),
                            Cell::Int(i64::from(r.score)),
                            text(&r.explanation),
                            Cell::Text(to_json(&r.candidates)),
                            Cell::Int(i64::from(r.decided)),
                        ]
                    })
                    .collect();
                <$db as $crate::Backend>::insert_rows(&mut **tx, "matches", MATCH_TABLE_COLUMNS, &cells).await?;
                let works: Vec<(u64, &String)> = rows.iter().flat_map(|r| r.works.iter().map(move |w| (r.item, w))).collect();
                for chunk in works.chunks($crate::MAX_PARAMETERS / 3) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new("INSERT INTO match_works (match_set, item, work_code) ");
                    qb.push_values(chunk, |mut b, (item, work)| {
                        b.push_bind(match_set as i64).push_bind(*item as i64).push_bind((*work).clone());
                    });
                    qb.push(" ON CONFLICT DO NOTHING");
                    qb.build().persistent(false).execute(&mut **tx).await.map_err(db)?;
                }
                Ok(())
            }

            /// Counts a match set's rows and stores the counts on it.
            async fn count_set(tx: &mut Tx, match_set: u64) -> StoreResult<MatchCounts> {
                let rows = sqlx::query("SELECT status, CAST(CASE WHEN recording IS NULL THEN 0 ELSE 1 END AS BIGINT), COALESCE(method, ''), decided, COUNT(*) FROM matches WHERE match_set = $1 GROUP BY 1, 2, 3, 4")
                    .bind(match_set as i64)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db)?;
                let mut c = MatchCounts::default();
                let mut methods: BTreeMap<$crate::matching::Method, u64> = BTreeMap::new();
                for row in &rows {
                    let status: String = row.try_get(0).map_err(db)?;
                    let has_recording = row.try_get::<i64, _>(1).map_err(db)? != 0;
                    let method: String = row.try_get(2).map_err(db)?;
                    let decided = row.try_get::<i64, _>(3).map_err(db)? != 0;
                    let n = row.try_get::<i64, _>(4).map_err(db)? as u64;
                    c.items += n;
                    match MatchStatus::parse(&status) {
                        Some(MatchStatus::Matched) => {
                            c.matched += n;
                            if has_recording { c.recordings += n } else { c.works_only += n }
                        }
                        Some(MatchStatus::Ambiguous) => c.ambiguous += n,
                        Some(MatchStatus::Unmatched) => c.unmatched += n,
                        None => return Err(StoreError::Corrupt(format!("match status {status:?}"))),
                    }
                    if let Some(m) = $crate::matching::Method::parse(&method) {
                        *methods.entry(m).or_default() += n;
                    }
                    if decided {
                        c.decided += n;
                    }
                }
                c.by_method = methods.into_iter().collect();
                let row = sqlx::query("SELECT COUNT(DISTINCT work_code) FROM match_works WHERE match_set = $1")
                    .bind(match_set as i64)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db)?;
                c.works = row.try_get::<i64, _>(0).map_err(db)? as u64;
                sqlx::query("UPDATE match_sets SET counts = $1 WHERE id = $2").bind(to_json(&c)).bind(match_set as i64).execute(&mut **tx).await.map_err(db)?;
                Ok(c)
            }

            fn in_list(qb: &mut QueryBuilder<$db>, values: &[String]) {
                let mut list = qb.separated(", ");
                for v in values {
                    list.push_bind(v.clone());
                }
            }

            #[$crate::async_trait::async_trait]
            impl $crate::engine::disclosure::DisclosureStore for $store {
                #[tracing::instrument(level = "debug", skip_all, name = "store.add_disclosure")]
                async fn add_disclosure(&self, d: &Disclosure) -> StoreResult<()> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    sqlx::query("UPDATE disclosures SET current = 0 WHERE licensee = $1 AND model_version = $2")
                        .bind(&d.licensee)
                        .bind(&d.model_version)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    sqlx::query("INSERT INTO disclosures (id, licensee, model_version, revision, current, received_at, content_key, document) VALUES ($1, $2, $3, $4, 1, $5, $6, $7)")
                        .bind(&d.id)
                        .bind(&d.licensee)
                        .bind(&d.model_version)
                        .bind(i64::from(d.revision))
                        .bind(timestamp(d.received_at))
                        .bind(&d.content_key)
                        .bind(to_json(d))
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.disclosure")]
                async fn disclosure(&self, id: &str) -> StoreResult<Option<Disclosure>> {
                    let row = sqlx::query("SELECT document, current FROM disclosures WHERE id = $1").bind(id).fetch_optional(&self.pool).await.map_err(db)?;
                    row.as_ref().map(disclosure_from).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.disclosures")]
                async fn disclosures(&self, licensee: Option<&str>) -> StoreResult<Vec<Disclosure>> {
                    let rows = match licensee {
                        Some(l) => sqlx::query("SELECT document, current FROM disclosures WHERE licensee = $1 ORDER BY id").bind(l).fetch_all(&self.pool).await,
                        None => sqlx::query("SELECT document, current FROM disclosures ORDER BY id").fetch_all(&self.pool).await,
                    }
                    .map_err(db)?;
                    rows.iter().map(disclosure_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_upload")]
                async fn add_upload(&self, licensee: &str, sha256: &str, size: u64, at: DateTime<Utc>) -> StoreResult<()> {
                    sqlx::query("INSERT INTO disclosure_uploads (licensee, sha256, size, uploaded_at) VALUES ($1, $2, $3, $4) ON CONFLICT (licensee, sha256) DO NOTHING")
                        .bind(licensee)
                        .bind(sha256)
                        .bind(size as i64)
                        .bind(timestamp(at))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.uploaded")]
                async fn uploaded(&self, licensee: &str, sha256: &str) -> StoreResult<bool> {
                    let row = sqlx::query("SELECT 1 FROM disclosure_uploads WHERE licensee = $1 AND sha256 = $2")
                        .bind(licensee)
                        .bind(sha256)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(row.is_some())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.begin_match_set")]
                async fn begin_match_set(&self, disclosure: &str, at: DateTime<Utc>, stamp: &str) -> StoreResult<(u64, u32)> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    lock_disclosure(&mut tx, disclosure).await?;
                    // A set still running a day after it began was interrupted; one running now may be
                    // another run's, which finishes as a set of its own.
                    let abandoned = timestamp(at - $crate::chrono::Duration::days(1));
                    for table in ["matches", "match_works"] {
                        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE match_set IN (SELECT id FROM match_sets WHERE disclosure = $1 AND status = 'running' AND created_at < $2)")))
                            .bind(disclosure)
                            .bind(&abandoned)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                    }
                    sqlx::query("DELETE FROM match_sets WHERE disclosure = $1 AND status = 'running' AND created_at < $2")
                        .bind(disclosure)
                        .bind(&abandoned)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    let last: Option<i64> = sqlx::query("SELECT MAX(number) FROM match_sets WHERE disclosure = $1")
                        .bind(disclosure)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db)?
                        .try_get(0)
                        .map_err(db)?;
                    let number = last.unwrap_or(0) + 1;
                    let row = sqlx::query("INSERT INTO counters (name, value) VALUES ('match_sets', 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value")
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db)?;
                    let id: i64 = row.try_get(0).map_err(db)?;
                    sqlx::query("INSERT INTO match_sets (id, disclosure, number, status, created_at, repertoire_stamp, counts) VALUES ($1, $2, $3, 'running', $4, $5, '{}')")
                        .bind(id)
                        .bind(disclosure)
                        .bind(number)
                        .bind(timestamp(at))
                        .bind(stamp)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)?;
                    Ok((id as u64, number as u32))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.drop_match_set")]
                async fn drop_match_set(&self, match_set: u64) -> StoreResult<()> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    for table in ["matches", "match_works"] {
                        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE match_set = $1 AND EXISTS (SELECT 1 FROM match_sets WHERE id = $1 AND status = 'running')")))
                            .bind(match_set as i64)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                    }
                    sqlx::query("DELETE FROM match_sets WHERE id = $1 AND status = 'running'").bind(match_set as i64).execute(&mut *tx).await.map_err(db)?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_matches")]
                async fn add_matches(&self, match_set: u64, rows: &[MatchRow]) -> StoreResult<()> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    insert_matches(&mut tx, match_set, rows).await?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.finish_match_set")]
                async fn finish_match_set(&self, match_set: u64) -> StoreResult<MatchCounts> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    let counts = count_set(&mut tx, match_set).await?;
                    let finished = sqlx::query("UPDATE match_sets SET status = 'complete' WHERE id = $1 AND status = 'running'")
                        .bind(match_set as i64)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    if finished.rows_affected() != 1 {
                        return Err(StoreError::Database(format!(
                            "match set {match_set} was dropped while it ran (it was taken for an interrupted run): match the disclosure again"
                        )));
                    }
                    tx.commit().await.map_err(db)?;
                    Ok(counts)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.match_sets")]
                async fn match_sets(&self, disclosure: &str) -> StoreResult<Vec<MatchSet>> {
                    let rows = sqlx::query("SELECT id, number, created_at, repertoire_stamp, counts FROM match_sets WHERE disclosure = $1 AND status = 'complete' ORDER BY number")
                        .bind(disclosure)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter()
                        .map(|r| {
                            Ok(MatchSet {
                                id: r.try_get::<i64, _>(0).map_err(db)? as u64,
                                disclosure: disclosure.to_owned(),
                                number: r.try_get::<i64, _>(1).map_err(db)? as u32,
                                created_at: parse_timestamp(&r.try_get::<String, _>(2).map_err(db)?)?,
                                repertoire_stamp: r.try_get(3).map_err(db)?,
                                counts: json(&r.try_get::<String, _>(4).map_err(db)?, "match counts")?,
                            })
                        })
                        .collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.matches")]
                async fn matches(&self, match_set: u64, status: Option<MatchStatus>, after: u64, limit: u32) -> StoreResult<Vec<MatchRow>> {
                    let rows = match status {
                        Some(s) => sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {MATCH_COLUMNS} FROM matches WHERE match_set = $1 AND status = $2 AND item > $3 ORDER BY item LIMIT $4")))
                            .bind(match_set as i64)
                            .bind(s.as_str())
                            .bind(after as i64)
                            .bind(i64::from(limit))
                            .fetch_all(&self.pool)
                            .await,
                        None => sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {MATCH_COLUMNS} FROM matches WHERE match_set = $1 AND item > $2 ORDER BY item LIMIT $3")))
                            .bind(match_set as i64)
                            .bind(after as i64)
                            .bind(i64::from(limit))
                            .fetch_all(&self.pool)
                            .await,
                    }
                    .map_err(db)?;
                    rows.iter().map(match_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.match_row")]
                async fn match_row(&self, match_set: u64, item: u64) -> StoreResult<Option<MatchRow>> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {MATCH_COLUMNS} FROM matches WHERE match_set = $1 AND item = $2")))
                        .bind(match_set as i64)
                        .bind(item as i64)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    row.as_ref().map(match_from).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.replace_match")]
                async fn replace_match(&self, match_set: u64, row: &MatchRow) -> StoreResult<MatchCounts> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    for table in ["matches", "match_works"] {
                        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE match_set = $1 AND item = $2")))
                            .bind(match_set as i64)
                            .bind(row.item as i64)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                    }
                    insert_matches(&mut tx, match_set, std::slice::from_ref(row)).await?;
                    let counts = count_set(&mut tx, match_set).await?;
                    tx.commit().await.map_err(db)?;
                    Ok(counts)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.matched_works")]
                async fn matched_works(&self, match_set: u64) -> StoreResult<Vec<(String, u64)>> {
                    let rows = sqlx::query("SELECT work_code, COUNT(*) FROM match_works WHERE match_set = $1 GROUP BY work_code ORDER BY work_code")
                        .bind(match_set as i64)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter().map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get::<i64, _>(1).map_err(db)? as u64))).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.put_decision")]
                async fn put_decision(&self, d: &Decision) -> StoreResult<()> {
                    sqlx::query("INSERT INTO match_decisions (licensee, item_key, document) VALUES ($1, $2, $3) ON CONFLICT (licensee, item_key) DO UPDATE SET document = excluded.document")
                        .bind(&d.licensee)
                        .bind(&d.item_key)
                        .bind(to_json(d))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.decisions")]
                async fn decisions(&self, licensee: &str) -> StoreResult<Vec<Decision>> {
                    let rows = sqlx::query("SELECT document FROM match_decisions WHERE licensee = $1").bind(licensee).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(|r| json(&r.try_get::<String, _>(0).map_err(db)?, "decision")).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_assessment")]
                async fn add_assessment(&self, a: &Assessment) -> StoreResult<()> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    lock_disclosure(&mut tx, &a.disclosure).await?;
                    let row = sqlx::query("SELECT COALESCE(MAX(number), 0) FROM assessments WHERE disclosure = $1").bind(&a.disclosure).fetch_one(&mut *tx).await.map_err(db)?;
                    let number: i64 = row.try_get(0).map_err(db)?;
                    sqlx::query("INSERT INTO assessments (disclosure, number, assessed_at, verdict, document) VALUES ($1, $2, $3, $4, $5)")
                        .bind(&a.disclosure)
                        .bind(number + 1)
                        .bind(timestamp(a.assessed_at))
                        .bind(a.verdict.as_str())
                        .bind(to_json(a))
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.assessments")]
                async fn assessments(&self, disclosure: &str) -> StoreResult<Vec<Assessment>> {
                    let rows = sqlx::query("SELECT document FROM assessments WHERE disclosure = $1 ORDER BY number").bind(disclosure).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(|r| json(&r.try_get::<String, _>(0).map_err(db)?, "assessment")).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.party_matches")]
                async fn party_matches(&self, party_key: &str) -> StoreResult<Vec<PartyMatch>> {
                    let rows = sqlx::query(
                        "SELECT d.licensee, d.model_version, d.id, mw.work_code, m.method, COUNT(*) \
                         FROM match_works mw \
                         JOIN matches m ON m.match_set = mw.match_set AND m.item = mw.item \
                         JOIN match_sets s ON s.id = mw.match_set AND s.status = 'complete' \
                         JOIN disclosures d ON d.id = s.disclosure AND d.current = 1 \
                         WHERE mw.work_code IN (SELECT work_code FROM work_interests WHERE party_key = $1) \
                           AND s.number = (SELECT MAX(s2.number) FROM match_sets s2 WHERE s2.disclosure = s.disclosure AND s2.status = 'complete') \
                         GROUP BY d.licensee, d.model_version, d.id, mw.work_code, m.method \
                         ORDER BY d.licensee, d.model_version, mw.work_code, m.method",
                    )
                    .bind(party_key)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    rows.iter()
                        .map(|r| {
                            let method: Option<String> = r.try_get(4).map_err(db)?;
                            Ok(PartyMatch {
                                licensee: r.try_get(0).map_err(db)?,
                                model_version: r.try_get(1).map_err(db)?,
                                disclosure: r.try_get(2).map_err(db)?,
                                work_code: r.try_get(3).map_err(db)?,
                                method: method
                                    .as_deref()
                                    .and_then($crate::matching::Method::parse)
                                    .ok_or_else(|| StoreError::Corrupt(format!("match method {method:?}")))?,
                                items: r.try_get::<i64, _>(5).map_err(db)? as u64,
                            })
                        })
                        .collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.matching_works")]
                async fn matching_works(&self, after: &str, limit: u32) -> StoreResult<Vec<$crate::matching::WorkEntry>> {
                    let rows = sqlx::query("SELECT code, title, iswc FROM works WHERE code > $1 ORDER BY code LIMIT $2")
                        .bind(after)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    let mut works: Vec<$crate::matching::WorkEntry> = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let iswc: Option<String> = r.try_get(2).map_err(db)?;
                        works.push($crate::matching::WorkEntry {
                            code: r.try_get(0).map_err(db)?,
                            titles: vec![r.try_get(1).map_err(db)?],
                            iswc,
                            writers: Vec::new(),
                        });
                    }
                    let Some(last) = works.last().map(|w| w.code.clone()) else { return Ok(works) };
                    let index: BTreeMap<String, usize> = works.iter().enumerate().map(|(i, w)| (w.code.clone(), i)).collect();
                    // The page's titles and writers by the range of its codes (index range scans, not lists of
                    // thousands of codes); writers through the registrations, whose key indexes the interests.
                    let titles = sqlx::query("SELECT work_code, title FROM work_titles WHERE work_code > $1 AND work_code <= $2")
                        .bind(after)
                        .bind(&last)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    for row in titles {
                        let code: String = row.try_get(0).map_err(db)?;
                        let title: String = row.try_get(1).map_err(db)?;
                        if let Some(w) = index.get(&code).map(|i| &mut works[*i])
                            && !w.titles.contains(&title)
                        {
                            w.titles.push(title);
                        }
                    }
                    let writers = sqlx::query(
                        "SELECT DISTINCT g.work_code, p.first_name, p.name FROM registrations g \
                         JOIN work_interests wi ON wi.submitter = g.submitter AND wi.work_number = g.work_number \
                         JOIN parties p ON p.key = wi.party_key \
                         WHERE g.work_code > $1 AND g.work_code <= $2 AND wi.side = 'writer' \
                         ORDER BY g.work_code, p.name, p.first_name",
                    )
                    .bind(after)
                    .bind(&last)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    for row in writers {
                        let code: String = row.try_get(0).map_err(db)?;
                        let first: String = row.try_get(1).map_err(db)?;
                        let family: String = row.try_get(2).map_err(db)?;
                        if let Some(w) = index.get(&code).map(|i| &mut works[*i]) {
                            w.writers.push(format!("{first} {family}").trim().to_owned());
                        }
                    }
                    Ok(works)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.matching_sound_recordings")]
                async fn matching_sound_recordings(&self, after: &str, limit: u32) -> StoreResult<Vec<(domain::SoundRecording, Vec<(String, Option<domain::RecordingInfo>)>)>> {
                    let rows = sqlx::query("SELECT key, document FROM sound_recordings WHERE key > $1 AND withdrawn = 0 ORDER BY key LIMIT $2")
                        .bind(after)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    let mut out: Vec<(domain::SoundRecording, Vec<(String, Option<domain::RecordingInfo>)>)> = Vec::with_capacity(rows.len());
                    for r in &rows {
                        out.push((json(&r.try_get::<String, _>(1).map_err(db)?, "recording")?, Vec::new()));
                    }
                    let keys: Vec<String> = out.iter().map(|(r, _)| r.key.clone()).collect();
                    let index: BTreeMap<String, usize> = keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect();
                    for chunk in keys.chunks($crate::MAX_PARAMETERS) {
                        let mut qb: QueryBuilder<$db> = QueryBuilder::new("SELECT recording_key, work_code FROM recording_links WHERE recording_key IN (");
                        in_list(&mut qb, chunk);
                        qb.push(") ORDER BY recording_key, work_code");
                        for row in qb.build().persistent(false).fetch_all(&self.pool).await.map_err(db)? {
                            let key: String = row.try_get(0).map_err(db)?;
                            if let Some(i) = index.get(&key) {
                                out[*i].1.push((row.try_get(1).map_err(db)?, None));
                            }
                        }
                        let mut qb: QueryBuilder<$db> = QueryBuilder::new("SELECT r.id, r.work_code, r.document, w.title FROM recordings r LEFT JOIN works w ON w.code = r.work_code WHERE r.id IN (");
                        in_list(&mut qb, chunk);
                        qb.push(") ORDER BY r.id");
                        for row in qb.build().persistent(false).fetch_all(&self.pool).await.map_err(db)? {
                            let key: String = row.try_get(0).map_err(db)?;
                            if let Some(i) = index.get(&key) {
                                let mut info: domain::RecordingInfo = json(&row.try_get::<String, _>(2).map_err(db)?, "CWR recording")?;
                                if info.title.is_empty() {
                                    // A CWR 2.1 REC record has no title: the recording bears its work's (as
                                    // `recordings show` says).
                                    info.title = row.try_get::<Option<String>, _>(3).map_err(db)?.unwrap_or_default();
                                }
                                out[*i].1.push((row.try_get(1).map_err(db)?, Some(info)));
                            }
                        }
                    }
                    Ok(out)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.matching_cwr_recordings")]
                async fn matching_cwr_recordings(&self, after: &str, limit: u32) -> StoreResult<Vec<(String, String, domain::RecordingInfo, Vec<String>)>> {
                    let rows = sqlx::query(
                        "SELECT r.id, r.work_code, r.document, w.title, v.document FROM recordings r \
                         LEFT JOIN works w ON w.code = r.work_code \
                         LEFT JOIN registrations g ON g.work_code = r.work_code AND g.is_primary = 1 \
                         LEFT JOIN work_revisions v ON v.work_code = g.work_code AND v.revision = g.revision \
                         WHERE r.id > $1 AND NOT EXISTS (SELECT 1 FROM sound_recordings s WHERE s.key = r.id AND s.withdrawn = 0) \
                         ORDER BY r.id LIMIT $2",
                    )
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    let mut out: Vec<(String, String, domain::RecordingInfo, Vec<String>)> = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let id: String = r.try_get(0).map_err(db)?;
                        if out.last().is_some_and(|(last, _, _, _)| *last == id) {
                            continue;
                        }
                        let mut info: domain::RecordingInfo = json(&r.try_get::<String, _>(2).map_err(db)?, "CWR recording")?;
                        if info.title.is_empty() {
                            // A CWR 2.1 REC record has no title: the recording bears its work's.
                            info.title = r.try_get::<Option<String>, _>(3).map_err(db)?.unwrap_or_default();
                        }
                        let performers = match r.try_get::<Option<String>, _>(4).map_err(db)? {
                            Some(document) => $crate::work_performers(&document)?,
                            None => Vec::new(),
                        };
                        out.push((id, r.try_get(1).map_err(db)?, info, performers));
                    }
                    Ok(out)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.repertoire_stamp")]
                async fn repertoire_stamp(&self) -> StoreResult<String> {
                    let mut parts = Vec::new();
                    for (name, query) in [
                        ("works", "SELECT COUNT(*), COALESCE(MAX(updated_at), '') FROM works"),
                        ("ern", "SELECT COUNT(*), CAST(COALESCE(SUM(revision + withdrawn), 0) AS TEXT) FROM sound_recordings"),
                        ("cwr", "SELECT COUNT(*), COALESCE(MAX(updated_at), '') FROM recordings"),
                        // Writers are matched by their parties' names.
                        ("parties", "SELECT COUNT(*), COALESCE(MAX(updated_at), '') FROM parties"),
                        ("links", "SELECT COUNT(*), '' FROM recording_links"),
                        ("prints", "SELECT COUNT(*), '' FROM fingerprints"),
                    ] {
                        let row = sqlx::query(query).fetch_one(&self.pool).await.map_err(db)?;
                        let n: i64 = row.try_get(0).map_err(db)?;
                        let latest: String = row.try_get(1).map_err(db)?;
                        parts.push(format!("{name} {n} {latest}").trim_end().to_owned());
                    }
                    Ok(parts.join("; "))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.works_for_assessment")]
                async fn works_for_assessment(&self, codes: &[String]) -> StoreResult<Vec<(String, String, domain::Origin, Option<domain::Work>)>> {
                    let mut out: Vec<(String, String, domain::Origin, Option<domain::Work>)> = Vec::with_capacity(codes.len());
                    for chunk in codes.chunks($crate::MAX_PARAMETERS) {
                        let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                            "SELECT w.code, w.title, w.origin, v.document FROM works w \
                             LEFT JOIN registrations r ON r.work_code = w.code AND r.is_primary = 1 \
                             LEFT JOIN work_revisions v ON v.work_code = r.work_code AND v.revision = r.revision \
                             WHERE w.code IN (",
                        );
                        in_list(&mut qb, chunk);
                        qb.push(") ORDER BY w.code");
                        for row in qb.build().persistent(false).fetch_all(&self.pool).await.map_err(db)? {
                            let code: String = row.try_get(0).map_err(db)?;
                            if out.last().is_some_and(|(c, _, _, _)| *c == code) {
                                continue;
                            }
                            let document: Option<String> = row.try_get(3).map_err(db)?;
                            out.push((
                                code,
                                row.try_get(1).map_err(db)?,
                                $crate::parse_origin(&row.try_get::<String, _>(2).map_err(db)?)?,
                                document.map(|d| json(&d, "work document")).transpose()?,
                            ));
                        }
                    }
                    Ok(out)
                }
            }
        };
    };
}
