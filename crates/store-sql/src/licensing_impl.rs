//! [`impl_licensing_store!`](crate::impl_licensing_store): the whole `engine::licensing::LicensingStore`
//! implementation, written once for both databases.

/// Implements `engine::licensing::LicensingStore` for `$store` (a struct with `pool: sqlx::Pool<$db>`).
/// Entities are JSON documents keyed by their ids; usage and output rows are columns, because rating and
/// distribution sum them; numbering (journal entries, invoices) happens inside the writing transaction so
/// it stays gapless.
#[macro_export]
macro_rules! impl_licensing_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::engine::licensing::store::*;
            use $crate::engine::store::{StoreError, StoreResult};
            use $crate::sqlx::{self, QueryBuilder, Row};
            use $crate::{database_error as db, domain, json, to_json};
            use $crate::chrono::{DateTime, Utc};

            type Tx = sqlx::Transaction<'static, $db>;

            fn documents<T: $crate::serde::de::DeserializeOwned>(rows: &[<$db as sqlx::Database>::Row], what: &str) -> StoreResult<Vec<T>> {
                rows.iter().map(|r| json(&r.try_get::<String, _>(0).map_err(db)?, what)).collect()
            }

            fn currency(text: &str) -> StoreResult<$crate::money::Currency> {
                text.parse().map_err(|_| StoreError::Corrupt(format!("currency {text:?}")))
            }

            fn count(value: i64) -> u64 {
                value.max(0) as u64
            }

            /// Entries read back without their postings yet.
            fn entry_head(row: &<$db as sqlx::Database>::Row) -> StoreResult<$crate::ledger::JournalEntry> {
                Ok($crate::ledger::JournalEntry {
                    number: row.try_get::<i64, _>("number").map_err(db)? as u64,
                    idempotency_key: row.try_get("idempotency_key").map_err(db)?,
                    posted_at: $crate::parse_timestamp(&row.try_get::<String, _>("posted_at").map_err(db)?)?,
                    description: row.try_get("description").map_err(db)?,
                    source: row.try_get("source").map_err(db)?,
                    postings: Vec::new(),
                })
            }

            const ENTRY_COLUMNS: &str = "number, idempotency_key, posted_at, description, source";

            /// Fills in the postings of `entries` (consecutive or single, in number order) from one range query.
            async fn with_postings(pool: &sqlx::Pool<$db>, mut entries: Vec<$crate::ledger::JournalEntry>) -> StoreResult<Vec<$crate::ledger::JournalEntry>> {
                let (Some(first), Some(last)) = (entries.first().map(|e| e.number), entries.last().map(|e| e.number)) else { return Ok(entries) };
                let rows = sqlx::query(
                    "SELECT p.entry, a.kind, a.holder, a.stage, a.period, a.currency, p.amount_micros \
                     FROM journal_postings p JOIN ledger_accounts a ON a.id = p.account \
                     WHERE p.entry >= $1 AND p.entry <= $2 ORDER BY p.entry, p.line",
                )
                .bind(first as i64)
                .bind(last as i64)
                .fetch_all(pool)
                .await
                .map_err(db)?;
                let index: std::collections::HashMap<u64, usize> = entries.iter().enumerate().map(|(i, e)| (e.number, i)).collect();
                for row in &rows {
                    let number = row.try_get::<i64, _>("entry").map_err(db)? as u64;
                    let Some(&i) = index.get(&number) else { continue };
                    let text = |column: &str| row.try_get::<String, _>(column).map_err(db);
                    let (kind, holder, stage, period) = (text("kind")?, text("holder")?, text("stage")?, text("period")?);
                    let account = $crate::ledger::Account::from_key(&kind, &holder, &stage, &period)
                        .ok_or_else(|| StoreError::Corrupt(format!("ledger account {kind}/{holder}/{stage}/{period}")))?;
                    let amount = $crate::money::Amount::from_micros(row.try_get("amount_micros").map_err(db)?, currency(&text("currency")?)?);
                    entries[i].postings.push($crate::ledger::Posting { account, amount });
                }
                Ok(entries)
            }

            /// Takes the journal's numbering (the counter row, and with it the database's write lock or row
            /// lock, before anything is numbered: concurrent postings queue instead of colliding) and returns
            /// the last number given.
            async fn lock_journal(tx: &mut Tx) -> StoreResult<u64> {
                let row = sqlx::query("INSERT INTO counters (name, value) VALUES ('journal', 0) ON CONFLICT (name) DO UPDATE SET value = counters.value RETURNING value")
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db)?;
                Ok(row.try_get::<i64, _>("value").map_err(db)? as u64)
            }

            /// The id of an account in a currency, created on first use.
            async fn account_id(tx: &mut Tx, cache: &mut std::collections::HashMap<($crate::ledger::Account, $crate::money::Currency), i64>, account: &$crate::ledger::Account, currency: $crate::money::Currency) -> StoreResult<i64> {
                if let Some(id) = cache.get(&(account.clone(), currency)) {
                    return Ok(*id);
                }
                let key = account.key();
                let find = || {
                    sqlx::query("SELECT id FROM ledger_accounts WHERE kind = $1 AND holder = $2 AND stage = $3 AND period = $4 AND currency = $5")
                        .bind(key.kind).bind(key.holder.clone()).bind(key.stage).bind(key.period.clone()).bind(currency.code())
                };
                let mut row = find().fetch_optional(&mut **tx).await.map_err(db)?;
                if row.is_none() {
                    sqlx::query("INSERT INTO ledger_accounts (kind, holder, stage, period, currency) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, holder, stage, period, currency) DO NOTHING")
                        .bind(key.kind).bind(key.holder.clone()).bind(key.stage).bind(key.period.clone()).bind(currency.code())
                        .execute(&mut **tx).await.map_err(db)?;
                    row = find().fetch_optional(&mut **tx).await.map_err(db)?;
                }
                let id = row.ok_or_else(|| StoreError::Corrupt(format!("ledger account {account} was not created")))?.try_get::<i64, _>("id").map_err(db)?;
                cache.insert((account.clone(), currency), id);
                Ok(id)
            }

            /// Entries per bulk write while posting a batch.
            const POSTING_CHUNK: usize = 20_000;

            /// Numbers and writes entries inside `tx`, in the order given, each checked to balance first, a
            /// chunk at a time. Returns the first and last numbers given.
            async fn write_entries(tx: &mut Tx, entries: impl Iterator<Item = $crate::ledger::JournalEntry> + Send) -> StoreResult<Option<(u64, u64)>> {
                use $crate::Cell;
                let before = lock_journal(tx).await?;
                let mut last = before;
                let mut accounts = std::collections::HashMap::new();
                let (mut heads, mut lines) = (Vec::new(), Vec::new());
                for entry in entries {
                    $crate::ledger::check_balanced(&entry.postings).map_err(|e| StoreError::Corrupt(format!("refused journal entry: {e}")))?;
                    last += 1;
                    heads.push(vec![
                        Cell::Int(last as i64),
                        entry.idempotency_key.map_or(Cell::Null, Cell::Text),
                        Cell::Text($crate::timestamp(entry.posted_at)),
                        Cell::Text(entry.description),
                        Cell::Text(entry.source),
                    ]);
                    for (line, p) in entry.postings.iter().enumerate() {
                        let id = account_id(tx, &mut accounts, &p.account, p.amount.currency()).await?;
                        lines.push(vec![Cell::Int(last as i64), Cell::Int(line as i64 + 1), Cell::Int(id), Cell::Int(p.amount.micros())]);
                    }
                    if heads.len() >= POSTING_CHUNK {
                        flush_entries(tx, &mut heads, &mut lines).await?;
                    }
                }
                flush_entries(tx, &mut heads, &mut lines).await?;
                if last == before {
                    return Ok(None);
                }
                sqlx::query("UPDATE counters SET value = $1 WHERE name = 'journal'").bind(last as i64).execute(&mut **tx).await.map_err(db)?;
                Ok(Some((before + 1, last)))
            }

            async fn flush_entries(tx: &mut Tx, heads: &mut Vec<Vec<$crate::Cell>>, lines: &mut Vec<Vec<$crate::Cell>>) -> StoreResult<()> {
                use $crate::Backend;
                <$db as Backend>::insert_rows(&mut **tx, "journal_entries", &["number", "idempotency_key", "posted_at", "description", "source"], heads).await?;
                <$db as Backend>::insert_rows(&mut **tx, "journal_postings", &["entry", "line", "account", "amount_micros"], lines).await?;
                heads.clear();
                lines.clear();
                Ok(())
            }

            /// Writes one entry inside `tx` and returns its number.
            async fn append_entry(tx: &mut Tx, entry: $crate::ledger::JournalEntry) -> StoreResult<u64> {
                let numbers = write_entries(tx, std::iter::once(entry)).await?;
                numbers.map(|(n, _)| n).ok_or_else(|| StoreError::Corrupt("an entry was not numbered".into()))
            }

            impl $store {
                #[tracing::instrument(level = "debug", skip_all, name = "store.put_document")]
                async fn put_document(&self, table: &'static str, id: &str, licensee: Option<&str>, document: String) -> StoreResult<()> {
                    let sql = match licensee {
                        None => format!("INSERT INTO {table} (id, document) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET document = excluded.document"),
                        Some(_) => format!("INSERT INTO {table} (id, document, licensee) VALUES ($1, $2, $3) ON CONFLICT (licensee, id) DO UPDATE SET document = excluded.document"),
                    };
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(document);
                    if let Some(l) = licensee {
                        q = q.bind(l);
                    }
                    q.execute(&self.pool).await.map_err(db)?;
                    Ok(())
                }

                async fn licensee_documents<T: $crate::serde::de::DeserializeOwned>(&self, table: &'static str, licensee: &str) -> StoreResult<Vec<T>> {
                    let sql = format!("SELECT document FROM {table} WHERE licensee = $1 ORDER BY id");
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(licensee).fetch_all(&self.pool).await.map_err(db)?;
                    documents(&rows, table)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.agreement_versions")]
                async fn agreement_versions(&self, id: &str, licensee: &str) -> StoreResult<StoredAgreement> {
                    let rows = sqlx::query("SELECT document FROM licence_agreement_versions WHERE agreement = $1 ORDER BY version")
                        .bind(id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(StoredAgreement { id: id.to_owned(), licensee: licensee.to_owned(), versions: documents(&rows, "agreement version")? })
                }
            }

            #[$crate::async_trait::async_trait]
            impl $crate::engine::licensing::LicensingStore for $store {
                #[tracing::instrument(level = "debug", skip_all, name = "store.put_licensee")]
                async fn put_licensee(&self, licensee: &domain::licensing::Licensee) -> StoreResult<()> {
                    self.put_document("licensees", &licensee.id, None, to_json(licensee)).await
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.licensee")]
                async fn licensee(&self, id: &str) -> StoreResult<Option<domain::licensing::Licensee>> {
                    let row = sqlx::query("SELECT document FROM licensees WHERE id = $1").bind(id).fetch_optional(&self.pool).await.map_err(db)?;
                    row.map(|r| json(&r.try_get::<String, _>(0).map_err(db)?, "licensee")).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.licensees")]
                async fn licensees(&self) -> StoreResult<Vec<domain::licensing::Licensee>> {
                    let rows = sqlx::query("SELECT document FROM licensees ORDER BY id").fetch_all(&self.pool).await.map_err(db)?;
                    documents(&rows, "licensee")
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.put_service")]
                async fn put_service(&self, service: &domain::licensing::Service) -> StoreResult<()> {
                    self.put_document("services", &service.id, Some(&service.licensee), to_json(service)).await
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.services")]
                async fn services(&self, licensee: &str) -> StoreResult<Vec<domain::licensing::Service>> {
                    self.licensee_documents("services", licensee).await
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.put_model_version")]
                async fn put_model_version(&self, model: &domain::licensing::ModelVersion) -> StoreResult<()> {
                    self.put_document("model_versions", &model.id, Some(&model.licensee), to_json(model)).await
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.model_versions")]
                async fn model_versions(&self, licensee: &str) -> StoreResult<Vec<domain::licensing::ModelVersion>> {
                    self.licensee_documents("model_versions", licensee).await
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_agreement_version")]
                async fn add_agreement_version(&self, id: &str, licensee: &str, record: &AgreementRecord) -> StoreResult<()> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    sqlx::query("INSERT INTO licence_agreements (id, licensee) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                        .bind(id)
                        .bind(licensee)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    sqlx::query("INSERT INTO licence_agreement_versions (agreement, version, document) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(i64::from(record.coverage.version))
                        .bind(to_json(record))
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.agreement_of")]
                async fn agreement_of(&self, licensee: &str) -> StoreResult<Option<StoredAgreement>> {
                    let row = sqlx::query("SELECT id FROM licence_agreements WHERE licensee = $1").bind(licensee).fetch_optional(&self.pool).await.map_err(db)?;
                    let Some(row) = row else { return Ok(None) };
                    let id: String = row.try_get(0).map_err(db)?;
                    Ok(Some(self.agreement_versions(&id, licensee).await?))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.agreement")]
                async fn agreement(&self, id: &str) -> StoreResult<Option<StoredAgreement>> {
                    let row = sqlx::query("SELECT licensee FROM licence_agreements WHERE id = $1").bind(id).fetch_optional(&self.pool).await.map_err(db)?;
                    let Some(row) = row else { return Ok(None) };
                    let licensee: String = row.try_get(0).map_err(db)?;
                    Ok(Some(self.agreement_versions(id, &licensee).await?))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.agreements")]
                async fn agreements(&self) -> StoreResult<Vec<StoredAgreement>> {
                    let rows = sqlx::query("SELECT id, licensee FROM licence_agreements ORDER BY id").fetch_all(&self.pool).await.map_err(db)?;
                    let mut out = Vec::with_capacity(rows.len());
                    for r in rows {
                        let (id, licensee): (String, String) = (r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?);
                        out.push(self.agreement_versions(&id, &licensee).await?);
                    }
                    Ok(out)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_token")]
                async fn add_token(&self, hash: &str, licensee: &str, label: &str, at: DateTime<Utc>) -> StoreResult<()> {
                    sqlx::query("INSERT INTO api_tokens (hash, licensee, label, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(hash)
                        .bind(licensee)
                        .bind(label)
                        .bind($crate::timestamp(at))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.token_licensee")]
                async fn token_licensee(&self, hash: &str) -> StoreResult<Option<String>> {
                    let row = sqlx::query("SELECT licensee FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL").bind(hash).fetch_optional(&self.pool).await.map_err(db)?;
                    row.map(|r| r.try_get::<String, _>(0).map_err(db)).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.tokens")]
                async fn tokens(&self, licensee: &str) -> StoreResult<Vec<TokenRecord>> {
                    let rows = sqlx::query("SELECT hash, label, created_at, revoked_at FROM api_tokens WHERE licensee = $1 ORDER BY created_at, hash").bind(licensee).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter()
                        .map(|r| {
                            let hash: String = r.try_get(0).map_err(db)?;
                            let revoked: Option<String> = r.try_get(3).map_err(db)?;
                            Ok(TokenRecord {
                                hash_prefix: hash.chars().take(12).collect(),
                                label: r.try_get(1).map_err(db)?,
                                created_at: $crate::parse_timestamp(&r.try_get::<String, _>(2).map_err(db)?)?,
                                revoked_at: revoked.map(|t| $crate::parse_timestamp(&t)).transpose()?,
                            })
                        })
                        .collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.revoke_tokens")]
                async fn revoke_tokens(&self, licensee: &str, hash_prefix: &str, at: DateTime<Utc>) -> StoreResult<u64> {
                    // The prefix is hexadecimal (checked by the engine), so it holds no LIKE wildcard.
                    let result = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE licensee = $2 AND revoked_at IS NULL AND hash LIKE $3")
                        .bind($crate::timestamp(at))
                        .bind(licensee)
                        .bind(format!("{hash_prefix}%"))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(result.rows_affected())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.report_revisions")]
                async fn report_revisions(&self, licensee: &str, report_id: &str) -> StoreResult<Vec<ReportRecord>> {
                    let rows = sqlx::query("SELECT document, is_current FROM reports WHERE licensee = $1 AND report_id = $2 ORDER BY revision")
                        .bind(licensee)
                        .bind(report_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter().map(report_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.stage_outputs")]
                async fn stage_outputs(&self, staging: &str, licensee: &str, report_id: &str, revision: u32, rows: Vec<OutputRow>) -> StoreResult<()> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    use $crate::Cell;
                    let text = |t: &str| Cell::Text(t.to_owned());
                    let optional = |t: Option<String>| t.map_or(Cell::Null, Cell::Text);
                    let rows: Vec<Vec<Cell>> = rows
                        .into_iter()
                        .map(|o| {
                            vec![
                                text(staging),
                                text(licensee),
                                text(report_id),
                                Cell::Int(i64::from(revision)),
                                Cell::Text(o.output_id),
                                optional(o.service),
                                optional(o.model_version),
                                optional(o.created_on.map(|d| d.to_string())),
                                optional(o.isrc),
                                Cell::Int(i64::try_from(o.usages).unwrap_or(i64::MAX)),
                                text(o.revenue.currency().code()),
                                Cell::Int(o.revenue.micros()),
                                optional(o.attribution.as_ref().map(to_json)),
                            ]
                        })
                        .collect();
                    let columns = &["staging", "licensee", "report_id", "revision", "output_id", "service", "model_version", "created_on", "isrc", "usages", "currency", "revenue", "attribution"];
                    <$db as $crate::Backend>::insert_rows(&mut *tx, "report_outputs", columns, &rows).await?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_report")]
                async fn add_report(&self, write: ReportWrite) -> StoreResult<()> {
                    let r = &write.record;
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    sqlx::query("UPDATE reports SET is_current = 0 WHERE licensee = $1 AND report_id = $2")
                        .bind(&r.licensee)
                        .bind(&r.report_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    sqlx::query("INSERT INTO reports (licensee, report_id, revision, period, is_current, document) VALUES ($1, $2, $3, $4, 1, $5)")
                        .bind(&r.licensee)
                        .bind(&r.report_id)
                        .bind(i64::from(r.revision))
                        .bind(r.period.to_string())
                        .bind(to_json(r))
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    // The revision adopts the outputs staged under its token; rows other attempts staged for
                    // the same revision (interrupted, or a concurrent submission that lost) are dropped.
                    sqlx::query("DELETE FROM report_outputs WHERE licensee = $1 AND report_id = $2 AND revision = $3 AND staging IS NOT NULL AND staging <> $4")
                        .bind(&r.licensee)
                        .bind(&r.report_id)
                        .bind(i64::from(r.revision))
                        .bind(&write.staging)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    sqlx::query("UPDATE report_outputs SET staging = NULL WHERE staging = $1")
                        .bind(&write.staging)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    use $crate::Cell;
                    let count = |n: u64| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX));
                    let rows: Vec<Vec<Cell>> = write
                        .usage
                        .into_iter()
                        .map(|u| {
                            vec![
                                Cell::Text(r.licensee.clone()),
                                Cell::Text(r.report_id.clone()),
                                Cell::Int(i64::from(r.revision)),
                                Cell::Text(u.stage.as_str().to_owned()),
                                Cell::Text(u.service),
                                Cell::Text(u.territory),
                                Cell::Text(u.model_version),
                                Cell::Text(u.use_type),
                                Cell::Text(u.revenue.currency().code().to_owned()),
                                Cell::Int(u.revenue.micros()),
                                count(u.subscribers),
                                count(u.generations),
                                count(u.usages),
                                Cell::Int(i64::from(u.licensed)),
                            ]
                        })
                        .collect();
                    let columns = &["licensee", "report_id", "revision", "stage", "service", "territory", "model_version", "use_type", "currency", "revenue", "subscribers", "generations", "usages", "licensed"];
                    <$db as $crate::Backend>::insert_rows(&mut *tx, "report_usage", columns, &rows).await?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.reports")]
                async fn reports(&self, licensee: &str) -> StoreResult<Vec<ReportRecord>> {
                    let rows = sqlx::query("SELECT document, is_current FROM reports WHERE licensee = $1 ORDER BY period, report_id, revision")
                        .bind(licensee)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter().map(report_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.usage")]
                async fn usage(&self, licensee: &str, period: domain::Period) -> StoreResult<Vec<UsageRow>> {
                    let rows = sqlx::query("SELECT u.stage, u.service, u.territory, u.model_version, u.use_type, u.currency, u.revenue, u.subscribers, u.generations, u.usages, u.licensed FROM report_usage u JOIN reports r ON r.licensee = u.licensee AND r.report_id = u.report_id AND r.revision = u.revision WHERE r.licensee = $1 AND r.period = $2 AND r.is_current = 1 ORDER BY u.stage, u.service, u.territory, u.model_version, u.use_type, u.report_id")
                        .bind(licensee)
                        .bind(period.to_string())
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter()
                        .map(|row| {
                            let stage: String = row.try_get(0).map_err(db)?;
                            Ok(UsageRow {
                                stage: domain::Stage::parse(&stage).ok_or_else(|| StoreError::Corrupt(format!("stage {stage:?}")))?,
                                service: row.try_get(1).map_err(db)?,
                                territory: row.try_get(2).map_err(db)?,
                                model_version: row.try_get(3).map_err(db)?,
                                use_type: row.try_get(4).map_err(db)?,
                                revenue: $crate::money::Amount::from_micros(row.try_get(6).map_err(db)?, currency(&row.try_get::<String, _>(5).map_err(db)?)?),
                                subscribers: count(row.try_get(7).map_err(db)?),
                                generations: count(row.try_get(8).map_err(db)?),
                                usages: count(row.try_get(9).map_err(db)?),
                                licensed: row.try_get::<i64, _>(10).map_err(db)? != 0,
                            })
                        })
                        .collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.outputs")]
                async fn outputs(&self, licensee: &str, report_id: &str) -> StoreResult<Vec<OutputRow>> {
                    let rows = sqlx::query("SELECT o.output_id, o.service, o.model_version, o.created_on, o.isrc, o.usages, o.currency, o.revenue, o.attribution FROM report_outputs o JOIN reports r ON r.licensee = o.licensee AND r.report_id = o.report_id AND r.revision = o.revision WHERE r.licensee = $1 AND r.report_id = $2 AND r.is_current = 1 AND o.staging IS NULL ORDER BY o.output_id")
                        .bind(licensee)
                        .bind(report_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter().map(output_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.known_outputs")]
                async fn known_outputs(&self, licensee: &str, ids: &[String]) -> StoreResult<Vec<OutputRow>> {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new("SELECT o.output_id, o.service, o.model_version, o.created_on, o.isrc, o.usages, o.currency, o.revenue, o.attribution FROM report_outputs o JOIN reports r ON r.licensee = o.licensee AND r.report_id = o.report_id AND r.revision = o.revision WHERE r.is_current = 1 AND o.staging IS NULL AND o.service IS NOT NULL AND o.licensee = ");
                    qb.push_bind(licensee.to_owned());
                    qb.push(" AND (o.output_id IN (");
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(id.clone());
                    }
                    qb.push(") OR o.isrc IN (");
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(id.clone());
                    }
                    qb.push(")) ORDER BY o.output_id");
                    let rows = qb.build().persistent(false).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(output_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.issue_invoices")]
                async fn issue_invoices(&self, batch: Vec<PendingInvoice>) -> StoreResult<Vec<Invoice>> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    lock_for_issue(&mut tx, &batch).await?;
                    let mut issued = Vec::with_capacity(batch.len());
                    for pending in batch {
                        issued.push(issue_one(&mut tx, pending).await?);
                    }
                    tx.commit().await.map_err(db)?;
                    Ok(issued)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.invoice")]
                async fn invoice(&self, number: &str) -> StoreResult<Option<Invoice>> {
                    let row = sqlx::query("SELECT document FROM invoices WHERE number = $1").bind(number).fetch_optional(&self.pool).await.map_err(db)?;
                    row.map(|r| json(&r.try_get::<String, _>(0).map_err(db)?, "invoice")).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.invoices")]
                async fn invoices(&self, licensee: Option<&str>) -> StoreResult<Vec<Invoice>> {
                    let rows = match licensee {
                        Some(l) => sqlx::query("SELECT document FROM invoices WHERE licensee = $1 ORDER BY series, seq").bind(l).fetch_all(&self.pool).await,
                        None => sqlx::query("SELECT document FROM invoices ORDER BY series, seq").fetch_all(&self.pool).await,
                    }
                    .map_err(db)?;
                    documents(&rows, "invoice")
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.change_invoice")]
                async fn change_invoice(&self, number: &str, decide: InvoiceDecision) -> StoreResult<Result<ChangedInvoice, $crate::engine::licensing::invoicing::InvoiceError>> {
                    use $crate::Backend;
                    let mut tx = <$db as Backend>::begin_write(&self.pool).await?;
                    let sql = format!("SELECT document FROM invoices WHERE number = $1{}", <$db as Backend>::LOCK_ROWS);
                    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(number).fetch_optional(&mut *tx).await.map_err(db)?;
                    let Some(row) = row else {
                        return Ok(Err($crate::engine::licensing::invoicing::InvoiceError::UnknownInvoice(number.to_owned())));
                    };
                    let mut invoice: Invoice = json(&row.try_get::<String, _>("document").map_err(db)?, "invoice")?;
                    let rows = sqlx::query("SELECT document FROM payments WHERE invoice = $1 ORDER BY journal_entry").bind(number).fetch_all(&mut *tx).await.map_err(db)?;
                    let paid: Vec<Payment> = documents(&rows, "payment")?;
                    let (status, payment) = match decide(&invoice, &paid) {
                        Err(refused) => return Ok(Err(refused)),
                        Ok(InvoiceChange::Nothing) => return Ok(Ok(ChangedInvoice { invoice, payment: None })),
                        Ok(InvoiceChange::Status(status)) => (status, None),
                        Ok(InvoiceChange::Payment { mut payment, entry, status }) => {
                            payment.journal_entry = append_entry(&mut tx, *entry).await?;
                            sqlx::query("INSERT INTO payments (key, invoice, journal_entry, document) VALUES ($1, $2, $3, $4)")
                                .bind(&payment.key)
                                .bind(&payment.invoice)
                                .bind(payment.journal_entry as i64)
                                .bind(to_json(&payment))
                                .execute(&mut *tx)
                                .await
                                .map_err(db)?;
                            (status, Some(*payment))
                        }
                    };
                    invoice.status = status;
                    write_status(&mut tx, &invoice).await?;
                    tx.commit().await.map_err(db)?;
                    Ok(Ok(ChangedInvoice { invoice, payment }))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.payments")]
                async fn payments(&self, invoice: &str) -> StoreResult<Vec<Payment>> {
                    let rows = sqlx::query("SELECT document FROM payments WHERE invoice = $1 ORDER BY journal_entry").bind(invoice).fetch_all(&self.pool).await.map_err(db)?;
                    documents(&rows, "payment")
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.post_entry")]
                async fn post_entry(&self, entry: $crate::ledger::JournalEntry) -> StoreResult<u64> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    let number = append_entry(&mut tx, entry).await?;
                    tx.commit().await.map_err(db)?;
                    Ok(number)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.training_transparency")]
                async fn training_transparency(&self, licensee: &str, model: &str) -> StoreResult<Option<$crate::engine::licensing::store::TrainingTransparency>> {
                    let assessed = $crate::engine::disclosure::DisclosureStore::current_assessment(self, licensee, model).await?;
                    Ok(assessed.map(|a| $crate::engine::licensing::store::TrainingTransparency {
                        disclosure: a.disclosure,
                        verdict: a.verdict,
                        licensed_works_matched: a.licensed_works_matched,
                    }))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.licensed_repertoire_size")]
                async fn licensed_repertoire_size(&self, _stage: domain::Stage) -> StoreResult<u64> {
                    let row = sqlx::query("SELECT COUNT(*) FROM works WHERE origin <> 'fully-ai'").fetch_one(&self.pool).await.map_err(db)?;
                    Ok(count(row.try_get(0).map_err(db)?))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.works_with_reservations")]
                async fn works_with_reservations(&self, stage: domain::Stage, limit: u32) -> StoreResult<Vec<String>> {
                    let rows = sqlx::query("SELECT code FROM (SELECT work_code AS code FROM consent_choices WHERE stage = $1 AND consent = 'reserved' AND work_code IS NOT NULL UNION SELECT i.work_code AS code FROM work_interests i JOIN consent_choices c ON c.party_key = i.party_key WHERE c.stage = $1 AND c.consent = 'reserved' AND c.work_code IS NULL) AS reserved ORDER BY code LIMIT $2")
                        .bind(stage.as_str())
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter().map(|r| r.try_get::<String, _>(0).map_err(db)).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.works_by_isrc")]
                async fn works_by_isrc(&self, isrc: &str) -> StoreResult<Vec<String>> {
                    let rows = sqlx::query("SELECT DISTINCT work_code FROM recordings WHERE isrc = $1 ORDER BY work_code").bind(isrc).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(|r| r.try_get::<String, _>(0).map_err(db)).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.signing_keys")]
                async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
                    let rows = sqlx::query("SELECT document FROM signing_keys ORDER BY key_id").fetch_all(&self.pool).await.map_err(db)?;
                    documents(&rows, "signing key")
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.rotate_key")]
                async fn rotate_key(&self, key: &StoredKey) -> StoreResult<()> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    let rows = sqlx::query("SELECT document FROM signing_keys WHERE retired = 0").fetch_all(&mut *tx).await.map_err(db)?;
                    for mut old in documents::<StoredKey>(&rows, "signing key")? {
                        old.retired_at = Some(key.created_at);
                        sqlx::query("UPDATE signing_keys SET retired = 1, document = $1 WHERE key_id = $2")
                            .bind(to_json(&old))
                            .bind(&old.key_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                    }
                    sqlx::query("INSERT INTO signing_keys (key_id, retired, document) VALUES ($1, 0, $2)")
                        .bind(&key.key_id)
                        .bind(to_json(key))
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.put_licence")]
                async fn put_licence(&self, licence: &StoredLicence) -> StoreResult<()> {
                    sqlx::query("INSERT INTO licences (id, licensee, document) VALUES ($1, $2, $3)")
                        .bind(&licence.id)
                        .bind(&licence.licensee)
                        .bind(to_json(licence))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.licence")]
                async fn licence(&self, id: &str) -> StoreResult<Option<StoredLicence>> {
                    let row = sqlx::query("SELECT document FROM licences WHERE id = $1").bind(id).fetch_optional(&self.pool).await.map_err(db)?;
                    row.map(|r| json(&r.try_get::<String, _>(0).map_err(db)?, "licence")).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.licences")]
                async fn licences(&self, licensee: &str) -> StoreResult<Vec<StoredLicence>> {
                    let rows = sqlx::query("SELECT document FROM licences WHERE licensee = $1 ORDER BY id").bind(licensee).fetch_all(&self.pool).await.map_err(db)?;
                    documents(&rows, "licence")
                }
            }

            #[$crate::async_trait::async_trait]
            impl $crate::engine::books::BooksStore for $store {
                #[tracing::instrument(level = "debug", skip_all, name = "store.journal_entries")]
                async fn journal_entries(&self, after: u64, limit: u32) -> StoreResult<Vec<$crate::ledger::JournalEntry>> {
                    let sql = format!("SELECT {ENTRY_COLUMNS} FROM journal_entries WHERE number > $1 ORDER BY number LIMIT $2");
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after as i64).bind(i64::from(limit)).fetch_all(&self.pool).await.map_err(db)?;
                    with_postings(&self.pool, rows.iter().map(entry_head).collect::<StoreResult<_>>()?).await
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.journal_length")]
                async fn journal_length(&self) -> StoreResult<u64> {
                    let row = sqlx::query("SELECT CAST(COALESCE(MAX(number), 0) AS BIGINT) AS last FROM journal_entries").fetch_one(&self.pool).await.map_err(db)?;
                    Ok(count(row.try_get("last").map_err(db)?))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.balance_through")]
                async fn balance_through(&self, account: &$crate::ledger::Account, currency: $crate::money::Currency, through: u64) -> StoreResult<$crate::money::Amount> {
                    let key = account.key();
                    let row = sqlx::query(
                        "SELECT CAST(COALESCE(SUM(p.amount_micros), 0) AS BIGINT) AS balance FROM journal_postings p \
                         WHERE p.account = (SELECT id FROM ledger_accounts WHERE kind = $1 AND holder = $2 AND stage = $3 AND period = $4 AND currency = $5) \
                         AND p.entry <= $6",
                    )
                    .bind(key.kind).bind(key.holder).bind(key.stage).bind(key.period).bind(currency.code()).bind(through.min(i64::MAX as u64) as i64)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?;
                    Ok($crate::money::Amount::from_micros(row.try_get("balance").map_err(db)?, currency))
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.trial_balance")]
                async fn trial_balance(&self, through: u64) -> StoreResult<Vec<($crate::ledger::Account, $crate::money::Amount)>> {
                    let rows = sqlx::query(
                        "SELECT a.kind, a.holder, a.stage, a.period, a.currency, s.balance FROM ledger_accounts a \
                         JOIN (SELECT account, CAST(SUM(amount_micros) AS BIGINT) AS balance FROM journal_postings WHERE entry <= $1 GROUP BY account) s \
                         ON s.account = a.id WHERE s.balance <> 0",
                    )
                    .bind(through.min(i64::MAX as u64) as i64)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    let mut out = rows
                        .iter()
                        .map(|row| {
                            let text = |column: &str| row.try_get::<String, _>(column).map_err(db);
                            let (kind, holder, stage, period) = (text("kind")?, text("holder")?, text("stage")?, text("period")?);
                            let account = $crate::ledger::Account::from_key(&kind, &holder, &stage, &period)
                                .ok_or_else(|| StoreError::Corrupt(format!("ledger account {kind}/{holder}/{stage}/{period}")))?;
                            Ok((account, $crate::money::Amount::from_micros(row.try_get("balance").map_err(db)?, currency(&text("currency")?)?)))
                        })
                        .collect::<StoreResult<Vec<_>>>()?;
                    out.sort_by(|a, b| (&a.0, a.1.currency()).cmp(&(&b.0, b.1.currency())));
                    Ok(out)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.post_entries")]
                async fn post_entries(&self, entries: Box<dyn Iterator<Item = $crate::ledger::JournalEntry> + Send>) -> StoreResult<Option<(u64, u64)>> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    let numbers = write_entries(&mut tx, entries).await?;
                    tx.commit().await.map_err(db)?;
                    Ok(numbers)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.checkpoint_numbers")]
                async fn checkpoint_numbers(&self) -> StoreResult<Vec<u64>> {
                    let rows = sqlx::query("SELECT through FROM ledger_checkpoints ORDER BY through").fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(|r| Ok(count(r.try_get("through").map_err(db)?))).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.checkpoint")]
                async fn latest_checkpoint(&self) -> StoreResult<Option<$crate::ledger::Checkpoint>> {
                    let row = sqlx::query("SELECT through FROM ledger_checkpoints ORDER BY through DESC LIMIT 1").fetch_optional(&self.pool).await.map_err(db)?;
                    match row {
                        Some(r) => self.checkpoint(count(r.try_get("through").map_err(db)?)).await,
                        None => Ok(None),
                    }
                }

                async fn checkpoint(&self, through: u64) -> StoreResult<Option<$crate::ledger::Checkpoint>> {
                    let row = sqlx::query("SELECT through, digest, taken_at, balances FROM ledger_checkpoints WHERE through = $1").bind(through as i64).fetch_optional(&self.pool).await.map_err(db)?;
                    row.map(|r| {
                        Ok($crate::ledger::Checkpoint {
                            through: count(r.try_get("through").map_err(db)?),
                            digest: r.try_get("digest").map_err(db)?,
                            taken_at: $crate::parse_timestamp(&r.try_get::<String, _>("taken_at").map_err(db)?)?,
                            balances: json(&r.try_get::<String, _>("balances").map_err(db)?, "checkpoint balances")?,
                        })
                    })
                    .transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.put_checkpoint")]
                async fn put_checkpoint(&self, checkpoint: &$crate::ledger::Checkpoint) -> StoreResult<()> {
                    sqlx::query("INSERT INTO ledger_checkpoints (through, digest, taken_at, balances) VALUES ($1, $2, $3, $4) ON CONFLICT (through) DO NOTHING")
                        .bind(checkpoint.through as i64)
                        .bind(&checkpoint.digest)
                        .bind($crate::timestamp(checkpoint.taken_at))
                        .bind(to_json(&checkpoint.balances))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.journal_entry_by_key")]
                async fn journal_entry_by_key(&self, key: &str) -> StoreResult<Option<$crate::ledger::JournalEntry>> {
                    let sql = format!("SELECT {ENTRY_COLUMNS} FROM journal_entries WHERE idempotency_key = $1");
                    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key).fetch_optional(&self.pool).await.map_err(db)?;
                    let heads = row.as_ref().map(entry_head).transpose()?.into_iter().collect();
                    Ok(with_postings(&self.pool, heads).await?.pop())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.journal_entry")]
                async fn journal_entry(&self, number: u64) -> StoreResult<Option<$crate::ledger::JournalEntry>> {
                    let sql = format!("SELECT {ENTRY_COLUMNS} FROM journal_entries WHERE number = $1");
                    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(number as i64).fetch_optional(&self.pool).await.map_err(db)?;
                    let heads = row.as_ref().map(entry_head).transpose()?.into_iter().collect();
                    Ok(with_postings(&self.pool, heads).await?.pop())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.journal_numbered")]
                async fn journal_numbered(&self) -> StoreResult<u64> {
                    let row = sqlx::query("SELECT value FROM counters WHERE name = 'journal'").fetch_optional(&self.pool).await.map_err(db)?;
                    Ok(row.map(|r| r.try_get::<i64, _>(0).map_err(db)).transpose()?.unwrap_or(0) as u64)
                }
            }

            fn output_from(row: &<$db as sqlx::Database>::Row) -> StoreResult<OutputRow> {
                let created: Option<String> = row.try_get(3).map_err(db)?;
                let attribution: Option<String> = row.try_get(8).map_err(db)?;
                Ok(OutputRow {
                    output_id: row.try_get(0).map_err(db)?,
                    service: row.try_get(1).map_err(db)?,
                    model_version: row.try_get(2).map_err(db)?,
                    created_on: created.map(|d| d.parse().map_err(|_| StoreError::Corrupt(format!("date {d:?}")))).transpose()?,
                    isrc: row.try_get(4).map_err(db)?,
                    usages: count(row.try_get(5).map_err(db)?),
                    revenue: $crate::money::Amount::from_micros(row.try_get(7).map_err(db)?, currency(&row.try_get::<String, _>(6).map_err(db)?)?),
                    attribution: attribution.map(|a| json(&a, "attribution")).transpose()?,
                })
            }

            /// Numbers, posts and stores one invoice inside `tx`.
            /// Takes what issuing `batch` decides on, in the one order every writer uses (invoice rows, then
            /// series counters in name order, then the journal), so no two writers wait on each other in a
            /// circle; and refuses, as a conflict, a correction whose invoice was paid or changed since the run
            /// read it (the run then decides again from what is stored).
            async fn lock_for_issue(tx: &mut Tx, batch: &[PendingInvoice]) -> StoreResult<()> {
                use $crate::Backend;
                let paid_before = batch.iter().find_map(|p| p.invoice.paid_before);
                for corrected in batch.iter().filter_map(|p| p.invoice.corrects.as_deref()) {
                    let sql = format!("SELECT document FROM invoices WHERE number = $1{}", <$db as Backend>::LOCK_ROWS);
                    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(corrected).fetch_optional(&mut **tx).await.map_err(db)?;
                    let Some(row) = row else { return Err(StoreError::Corrupt(format!("no invoice {corrected}"))) };
                    let old: Invoice = json(&row.try_get::<String, _>("document").map_err(db)?, "invoice")?;
                    let rows = sqlx::query("SELECT document FROM payments WHERE invoice = $1").bind(corrected).fetch_all(&mut **tx).await.map_err(db)?;
                    let payments: Vec<Payment> = documents(&rows, "payment")?;
                    let paid = payments.iter().try_fold(old.paid_before.unwrap_or($crate::money::Amount::zero(old.currency)), |sum, p| sum.checked_add(p.amount));
                    let changed = old.status == InvoiceStatus::Credited || paid_before.is_some_and(|p| paid.ok() != Some(p));
                    if changed {
                        return Err(StoreError::Conflict(format!("invoice {corrected} was paid or changed while it was being corrected: run the invoices again")));
                    }
                }
                let mut series: Vec<&str> = batch.iter().map(|p| p.series.as_str()).collect();
                series.sort_unstable();
                series.dedup();
                for name in series {
                    sqlx::query("INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO UPDATE SET value = counters.value")
                        .bind(format!("invoice:{name}"))
                        .execute(&mut **tx)
                        .await
                        .map_err(db)?;
                }
                Ok(())
            }

            async fn issue_one(tx: &mut Tx, pending: PendingInvoice) -> StoreResult<Invoice> {
                let PendingInvoice { mut invoice, series, entry } = pending;
                // The counter row is updated inside the transaction, so concurrent runs queue on it and a
                // rolled-back run leaves no gap.
                let row = sqlx::query("INSERT INTO counters (name, value) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value")
                    .bind(format!("invoice:{series}"))
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db)?;
                let seq: i64 = row.try_get(0).map_err(db)?;
                invoice.number = format!("{series}-{seq:06}");
                invoice.journal_entry = append_entry(tx, entry).await?;
                sqlx::query("INSERT INTO invoices (number, series, seq, licensee, period, status, journal_entry, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&invoice.number)
                    .bind(&series)
                    .bind(seq)
                    .bind(&invoice.licensee)
                    .bind(invoice.period.to_string())
                    .bind(invoice.status.as_str())
                    .bind(invoice.journal_entry as i64)
                    .bind(to_json(&invoice))
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                if let Some(corrected) = &invoice.corrects {
                    set_status(tx, corrected, InvoiceStatus::Credited).await?;
                }
                Ok(invoice)
            }

            fn report_from(row: &<$db as sqlx::Database>::Row) -> StoreResult<ReportRecord> {
                let mut record: ReportRecord = json(&row.try_get::<String, _>(0).map_err(db)?, "report")?;
                record.current = row.try_get::<i64, _>(1).map_err(db)? != 0;
                Ok(record)
            }

            async fn set_status(tx: &mut Tx, number: &str, status: InvoiceStatus) -> StoreResult<()> {
                let row = sqlx::query("SELECT document FROM invoices WHERE number = $1").bind(number).fetch_optional(&mut **tx).await.map_err(db)?;
                let Some(row) = row else { return Err(StoreError::Corrupt(format!("no invoice {number}"))) };
                let mut invoice: Invoice = json(&row.try_get::<String, _>(0).map_err(db)?, "invoice")?;
                invoice.status = status;
                write_status(tx, &invoice).await
            }

            async fn write_status(tx: &mut Tx, invoice: &Invoice) -> StoreResult<()> {
                sqlx::query("UPDATE invoices SET status = $1, document = $2 WHERE number = $3")
                    .bind(invoice.status.as_str())
                    .bind(to_json(invoice))
                    .bind(&invoice.number)
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                Ok(())
            }
        };
    };
}
