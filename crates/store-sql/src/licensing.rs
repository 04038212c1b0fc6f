//! The licensing port (`LicensingStore`): licensees, services, model versions, agreements and their
//! versions, API tokens, reports with their usage and output rows, invoices and payments (each posted to
//! the journal in the same transaction), signing keys and licences. Entities are JSON documents keyed by
//! their ids; usage and output rows are columns, because rating and distribution sum them; numbering
//! (journal entries, invoices) happens inside the writing transaction so it stays gapless.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use engine::licensing::invoicing::InvoiceError;
use engine::licensing::store::*;
use engine::store::{StoreError, StoreResult};
use money::Amount;

use crate::books::{append_entry, currency};
use crate::sql::{Builder, Document, Row, Tx, Value, query};
use crate::{SqlStore, document};

pub(crate) const OUTPUT_COLUMNS: &str = "o.output_id, o.service, o.model_version, o.created_on, o.isrc, o.usages, \
     o.currency, o.revenue, o.attribution, o.territories";

/// The documents in the `document` column of `rows`.
fn documents<T: serde::de::DeserializeOwned>(rows: &[Row], what: &str) -> StoreResult<Vec<T>> {
    rows.iter().map(|r| r.json("document", what)).collect()
}

pub(crate) fn output_from(row: &Row) -> StoreResult<OutputRow> {
    let created: Option<String> = row.get("created_on")?;
    Ok(OutputRow {
        output_id: row.get("output_id")?,
        service: row.get("service")?,
        model_version: row.get("model_version")?,
        created_on: created.map(|d| crate::parse_date(&d)).transpose()?,
        isrc: row.get("isrc")?,
        usages: row.count("usages")?,
        revenue: Amount::from_micros(row.get("revenue")?, currency(&row.get::<String>("currency")?)?),
        attribution: row.json_opt("attribution", "attribution")?,
        territories: row.json_opt("territories", "output territories")?.unwrap_or_default(),
    })
}

fn usage_from(row: &Row) -> StoreResult<UsageRow> {
    let stage: String = row.get("stage")?;
    Ok(UsageRow {
        stage: domain::Stage::parse(&stage).ok_or_else(|| StoreError::Corrupt(format!("stage {stage:?}")))?,
        service: row.get("service")?,
        territory: row.get("territory")?,
        model_version: row.get("model_version")?,
        use_type: row.get("use_type")?,
        revenue: Amount::from_micros(row.get("revenue")?, currency(&row.get::<String>("currency")?)?),
        subscribers: row.count("subscribers")?,
        generations: row.count("generations")?,
        usages: row.count("usages")?,
        licensed: row.get::<i64>("licensed")? != 0,
    })
}

fn report_from(row: &Row) -> StoreResult<ReportRecord> {
    let mut record: ReportRecord = row.json("document", "report")?;
    record.current = row.get::<i64>("is_current")? != 0;
    Ok(record)
}

/// A count as the databases' BIGINT holds it.
fn bigint(n: u64) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Takes what issuing `batch` decides on, in the one order every writer uses (invoice rows, then series
/// counters in name order, then the journal), so no two writers wait on each other in a circle; and
/// refuses, as a conflict, a correction whose invoice was paid or changed since the run read it (the run
/// then decides again from what is stored).
async fn lock_for_issue(tx: &mut Tx, lock_rows: &str, batch: &[PendingInvoice]) -> StoreResult<()> {
    // What the correcting invoice says was paid (the credit note beside it copies the old invoice's figure).
    let paid_before =
        batch.iter().filter(|p| p.invoice.kind != InvoiceKind::CreditNote).find_map(|p| p.invoice.paid_before);
    for corrected in batch.iter().filter_map(|p| p.invoice.corrects.as_deref()) {
        let row = query(format!("SELECT document FROM invoices WHERE number = $1{lock_rows}"))
            .bind(corrected)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Err(StoreError::Corrupt(format!("no invoice {corrected}"))) };
        let old: Invoice = row.json("document", "invoice")?;
        let rows =
            query("SELECT document FROM payments WHERE invoice = $1").bind(corrected).fetch_all(&mut *tx).await?;
        let payments: Vec<Payment> = documents(&rows, "payment")?;
        let paid = payments
            .iter()
            .try_fold(old.paid_before.unwrap_or(Amount::zero(old.currency)), |sum, p| sum.checked_add(p.amount));
        let changed = old.status == InvoiceStatus::Credited || paid_before.is_some_and(|p| paid.ok() != Some(p));
        if changed {
            return Err(StoreError::Conflict(format!(
                "invoice {corrected} was paid or changed while it was being corrected: run the invoices again"
            )));
        }
    }
    let mut series: Vec<&str> = batch.iter().map(|p| p.series.as_str()).collect();
    series.sort_unstable();
    series.dedup();
    for name in series {
        query(
            "INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO UPDATE SET value = counters.value",
        )
        .bind(format!("invoice:{name}"))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Numbers, posts and stores one invoice inside `tx`.
async fn issue_one(tx: &mut Tx, pending: PendingInvoice) -> StoreResult<Invoice> {
    let PendingInvoice { mut invoice, series, entry } = pending;
    // The counter row is updated inside the transaction, so concurrent runs queue on it and a rolled-back
    // run leaves no gap.
    let row = query(
        "INSERT INTO counters (name, value) VALUES ($1, 1) ON CONFLICT (name) \
         DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .bind(format!("invoice:{series}"))
    .fetch_one(&mut *tx)
    .await?;
    let seq: i64 = row.get("value")?;
    invoice.number = format!("{series}-{seq:06}");
    invoice.journal_entry = append_entry(tx, entry).await?;
    query(
        "INSERT INTO invoices (number, series, seq, licensee, period, status, journal_entry, document) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&invoice.number)
    .bind(&series)
    .bind(seq)
    .bind(&invoice.licensee)
    .bind(invoice.period.to_string())
    .bind(invoice.status.as_str())
    .bind(invoice.journal_entry as i64)
    .bind(document(&invoice))
    .execute(&mut *tx)
    .await?;
    if let Some(corrected) = &invoice.corrects {
        set_status(tx, corrected, InvoiceStatus::Credited).await?;
    }
    Ok(invoice)
}

async fn set_status(tx: &mut Tx, number: &str, status: InvoiceStatus) -> StoreResult<()> {
    let row = query("SELECT document FROM invoices WHERE number = $1").bind(number).fetch_optional(&mut *tx).await?;
    let Some(row) = row else { return Err(StoreError::Corrupt(format!("no invoice {number}"))) };
    let mut invoice: Invoice = row.json("document", "invoice")?;
    invoice.status = status;
    write_status(tx, &invoice).await
}

async fn write_status(tx: &mut Tx, invoice: &Invoice) -> StoreResult<()> {
    query("UPDATE invoices SET status = $1, document = $2 WHERE number = $3")
        .bind(invoice.status.as_str())
        .bind(document(invoice))
        .bind(&invoice.number)
        .execute(tx)
        .await?;
    Ok(())
}

impl SqlStore {
    async fn put_document(&self, table: &str, id: &str, licensee: Option<&str>, document: Value) -> StoreResult<()> {
        let q = match licensee {
            None => query(format!(
                "INSERT INTO {table} (id, document) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET document = excluded.document"
            )),
            Some(_) => query(format!(
                "INSERT INTO {table} (id, document, licensee) VALUES ($1, $2, $3) \
                 ON CONFLICT (licensee, id) DO UPDATE SET document = excluded.document"
            )),
        };
        let mut q = q.bind(id).bind(document);
        if let Some(l) = licensee {
            q = q.bind(l);
        }
        q.execute(&self.pool).await?;
        Ok(())
    }

    async fn licensee_documents<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        licensee: &str,
    ) -> StoreResult<Vec<T>> {
        let rows = query(format!("SELECT document FROM {table} WHERE licensee = $1 ORDER BY id"))
            .bind(licensee)
            .fetch_all(&self.pool)
            .await?;
        documents(&rows, table)
    }

    async fn agreement_versions(&self, id: &str, licensee: &str) -> StoreResult<StoredAgreement> {
        let rows = query("SELECT document FROM licence_agreement_versions WHERE agreement = $1 ORDER BY version")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(StoredAgreement {
            id: id.to_owned(),
            licensee: licensee.to_owned(),
            versions: documents(&rows, "agreement version")?,
        })
    }

    async fn one_document<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        key: &str,
        what: &str,
    ) -> StoreResult<Option<T>> {
        let row = query(sql).bind(key).fetch_optional(&self.pool).await?;
        row.map(|r| r.json("document", what)).transpose()
    }

    /// Output rows staged under `staging`, written in bulk inside one transaction.
    async fn write_outputs(
        &self,
        staging: &str,
        licensee: &str,
        report_id: &str,
        revision: u32,
        rows: Vec<OutputRow>,
    ) -> StoreResult<()> {
        let rows: Vec<Vec<Value>> = rows
            .into_iter()
            .map(|o| {
                vec![
                    staging.into(),
                    licensee.into(),
                    report_id.into(),
                    Value::Int(i64::from(revision)),
                    o.output_id.into(),
                    o.service.into(),
                    o.model_version.into(),
                    o.created_on.map(|d| d.to_string()).into(),
                    o.isrc.into(),
                    bigint(o.usages),
                    o.revenue.currency().code().into(),
                    Value::Int(o.revenue.micros()),
                    o.attribution.as_ref().map(|a| Document(crate::to_json(a))).into(),
                    (!o.territories.is_empty()).then(|| Document(crate::to_json(&o.territories))).into(),
                ]
            })
            .collect();
        let columns = [
            "staging",
            "licensee",
            "report_id",
            "revision",
            "output_id",
            "service",
            "model_version",
            "created_on",
            "isrc",
            "usages",
            "currency",
            "revenue",
            "attribution",
            "territories",
        ];
        let mut tx = self.pool.begin_write().await?;
        tx.insert_rows("report_outputs", &columns, &rows).await?;
        tx.commit().await
    }
}

/// The usage rows of a report revision, as written.
fn usage_rows(record: &ReportRecord, usage: Vec<UsageRow>) -> Vec<Vec<Value>> {
    usage
        .into_iter()
        .map(|u| {
            vec![
                (&record.licensee).into(),
                (&record.report_id).into(),
                Value::Int(i64::from(record.revision)),
                u.stage.as_str().into(),
                u.service.into(),
                u.territory.into(),
                u.model_version.into(),
                u.use_type.into(),
                u.revenue.currency().code().into(),
                Value::Int(u.revenue.micros()),
                bigint(u.subscribers),
                bigint(u.generations),
                bigint(u.usages),
                Value::Int(i64::from(u.licensed)),
            ]
        })
        .collect()
}

const USAGE_COLUMNS: [&str; 14] = [
    "licensee",
    "report_id",
    "revision",
    "stage",
    "service",
    "territory",
    "model_version",
    "use_type",
    "currency",
    "revenue",
    "subscribers",
    "generations",
    "usages",
    "licensed",
];

#[async_trait]
impl LicensingStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all, name = "store.put_licensee")]
    async fn put_licensee(&self, licensee: &domain::licensing::Licensee) -> StoreResult<()> {
        self.put_document("licensees", &licensee.id, None, document(licensee)).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.licensee")]
    async fn licensee(&self, id: &str) -> StoreResult<Option<domain::licensing::Licensee>> {
        self.one_document("SELECT document FROM licensees WHERE id = $1", id, "licensee").await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.licensees")]
    async fn licensees(&self) -> StoreResult<Vec<domain::licensing::Licensee>> {
        let rows = query("SELECT document FROM licensees ORDER BY id").fetch_all(&self.pool).await?;
        documents(&rows, "licensee")
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.put_service")]
    async fn put_service(&self, service: &domain::licensing::Service) -> StoreResult<()> {
        self.put_document("services", &service.id, Some(&service.licensee), document(service)).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.services")]
    async fn services(&self, licensee: &str) -> StoreResult<Vec<domain::licensing::Service>> {
        self.licensee_documents("services", licensee).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.put_model_version")]
    async fn put_model_version(&self, model: &domain::licensing::ModelVersion) -> StoreResult<()> {
        self.put_document("model_versions", &model.id, Some(&model.licensee), document(model)).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.model_versions")]
    async fn model_versions(&self, licensee: &str) -> StoreResult<Vec<domain::licensing::ModelVersion>> {
        self.licensee_documents("model_versions", licensee).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_agreement_version")]
    async fn add_agreement_version(&self, id: &str, licensee: &str, record: &AgreementRecord) -> StoreResult<()> {
        let mut tx = self.pool.begin_write().await?;
        query("INSERT INTO licence_agreements (id, licensee) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(licensee)
            .execute(&mut tx)
            .await?;
        query("INSERT INTO licence_agreement_versions (agreement, version, document) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(i64::from(record.coverage.version))
            .bind(document(record))
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.agreement_of")]
    async fn agreement_of(&self, licensee: &str) -> StoreResult<Option<StoredAgreement>> {
        let row = query("SELECT id FROM licence_agreements WHERE licensee = $1")
            .bind(licensee)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(self.agreement_versions(&row.get::<String>("id")?, licensee).await?))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.agreement")]
    async fn agreement(&self, id: &str) -> StoreResult<Option<StoredAgreement>> {
        let row =
            query("SELECT licensee FROM licence_agreements WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(self.agreement_versions(id, &row.get::<String>("licensee")?).await?))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.agreements")]
    async fn agreements(&self) -> StoreResult<Vec<StoredAgreement>> {
        let rows = query("SELECT id, licensee FROM licence_agreements ORDER BY id").fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.agreement_versions(&r.get::<String>("id")?, &r.get::<String>("licensee")?).await?);
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_token")]
    async fn add_token(&self, hash: &str, licensee: &str, label: &str, at: DateTime<Utc>) -> StoreResult<()> {
        query("INSERT INTO api_tokens (hash, licensee, label, created_at) VALUES ($1, $2, $3, $4)")
            .bind(hash)
            .bind(licensee)
            .bind(label)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.token_licensee")]
    async fn token_licensee(&self, hash: &str) -> StoreResult<Option<String>> {
        let row = query("SELECT licensee FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.get("licensee")).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.tokens")]
    async fn tokens(&self, licensee: &str) -> StoreResult<Vec<TokenRecord>> {
        let rows = query(
            "SELECT hash, label, created_at, revoked_at FROM api_tokens WHERE licensee = $1 ORDER BY created_at, hash",
        )
        .bind(licensee)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRecord {
                    hash_prefix: r.get::<String>("hash")?.chars().take(12).collect(),
                    label: r.get("label")?,
                    created_at: r.get("created_at")?,
                    revoked_at: r.get("revoked_at")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_holder_token")]
    async fn add_holder_token(
        &self,
        hash: &str,
        holder: &TokenHolder,
        label: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (kind, name, scope) = match holder {
            TokenHolder::Member { name, parties } => ("member", name.as_str(), parties.join(" ")),
            TokenHolder::Society { code, name } => ("society", name.as_str(), code.to_string()),
        };
        query(
            "INSERT INTO holder_tokens (hash, holder_kind, holder_name, scope, label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash)
        .bind(kind)
        .bind(name)
        .bind(scope)
        .bind(label)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.token_holder")]
    async fn token_holder(&self, hash: &str) -> StoreResult<Option<TokenHolder>> {
        let row =
            query("SELECT holder_kind, holder_name, scope FROM holder_tokens WHERE hash = $1 AND revoked_at IS NULL")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let (kind, name, scope): (String, String, String) =
            (row.get("holder_kind")?, row.get("holder_name")?, row.get("scope")?);
        match kind.as_str() {
            "member" => {
                Ok(Some(TokenHolder::Member { name, parties: scope.split_whitespace().map(str::to_owned).collect() }))
            }
            "society" => {
                let code = scope.parse().map_err(|_| StoreError::Corrupt(format!("a token's society {scope:?}")))?;
                Ok(Some(TokenHolder::Society { code, name }))
            }
            other => Err(StoreError::Corrupt(format!("a token holder of kind {other:?}"))),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.revoke_tokens")]
    async fn revoke_tokens(&self, licensee: &str, hash_prefix: &str, at: DateTime<Utc>) -> StoreResult<u64> {
        // The prefix is hexadecimal (checked by the engine), so it holds no LIKE wildcard.
        query("UPDATE api_tokens SET revoked_at = $1 WHERE licensee = $2 AND revoked_at IS NULL AND hash LIKE $3")
            .bind(at)
            .bind(licensee)
            .bind(format!("{hash_prefix}%"))
            .execute(&self.pool)
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.report_revisions")]
    async fn report_revisions(&self, licensee: &str, report_id: &str) -> StoreResult<Vec<ReportRecord>> {
        let rows =
            query("SELECT document, is_current FROM reports WHERE licensee = $1 AND report_id = $2 ORDER BY revision")
                .bind(licensee)
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(report_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.stage_outputs")]
    async fn stage_outputs(
        &self,
        staging: &str,
        licensee: &str,
        report_id: &str,
        revision: u32,
        rows: Vec<OutputRow>,
    ) -> StoreResult<()> {
        self.write_outputs(staging, licensee, report_id, revision, rows).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_report")]
    async fn add_report(&self, write: ReportWrite) -> StoreResult<()> {
        let r = &write.record;
        let mut tx = self.pool.begin_write().await?;
        query("UPDATE reports SET is_current = 0 WHERE licensee = $1 AND report_id = $2")
            .bind(&r.licensee)
            .bind(&r.report_id)
            .execute(&mut tx)
            .await?;
        query(
            "INSERT INTO reports (licensee, report_id, revision, period, is_current, document) \
             VALUES ($1, $2, $3, $4, 1, $5)",
        )
        .bind(&r.licensee)
        .bind(&r.report_id)
        .bind(i64::from(r.revision))
        .bind(r.period.to_string())
        .bind(document(r))
        .execute(&mut tx)
        .await?;
        // The revision adopts the outputs staged under its token; rows other attempts staged for the same
        // revision (interrupted, or a concurrent submission that lost) are dropped.
        query(
            "DELETE FROM report_outputs WHERE licensee = $1 AND report_id = $2 AND revision = $3 \
             AND staging IS NOT NULL AND staging <> $4",
        )
        .bind(&r.licensee)
        .bind(&r.report_id)
        .bind(i64::from(r.revision))
        .bind(&write.staging)
        .execute(&mut tx)
        .await?;
        query("UPDATE report_outputs SET staging = NULL WHERE staging = $1")
            .bind(&write.staging)
            .execute(&mut tx)
            .await?;
        let rows = usage_rows(r, write.usage);
        tx.insert_rows("report_usage", &USAGE_COLUMNS, &rows).await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.reports")]
    async fn reports(&self, licensee: &str) -> StoreResult<Vec<ReportRecord>> {
        let rows =
            query("SELECT document, is_current FROM reports WHERE licensee = $1 ORDER BY period, report_id, revision")
                .bind(licensee)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(report_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.usage")]
    async fn usage(&self, licensee: &str, period: domain::Period) -> StoreResult<Vec<UsageRow>> {
        let rows = query(
            "SELECT u.stage, u.service, u.territory, u.model_version, u.use_type, u.currency, u.revenue, \
             u.subscribers, u.generations, u.usages, u.licensed FROM report_usage u \
             JOIN reports r ON r.licensee = u.licensee AND r.report_id = u.report_id AND r.revision = u.revision \
             WHERE r.licensee = $1 AND r.period = $2 AND r.is_current = 1 \
             ORDER BY u.stage, u.service, u.territory, u.model_version, u.use_type, u.report_id",
        )
        .bind(licensee)
        .bind(period.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(usage_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.outputs")]
    async fn outputs(&self, licensee: &str, report_id: &str) -> StoreResult<Vec<OutputRow>> {
        let rows = query(format!(
            "SELECT {OUTPUT_COLUMNS} FROM report_outputs o \
             JOIN reports r ON r.licensee = o.licensee AND r.report_id = o.report_id AND r.revision = o.revision \
             WHERE r.licensee = $1 AND r.report_id = $2 AND r.is_current = 1 AND o.staging IS NULL \
             ORDER BY o.output_id"
        ))
        .bind(licensee)
        .bind(report_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(output_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.known_outputs")]
    async fn known_outputs(&self, licensee: &str, ids: &[String]) -> StoreResult<Vec<OutputRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Builder::new(format!(
            "SELECT {OUTPUT_COLUMNS} FROM report_outputs o \
             JOIN reports r ON r.licensee = o.licensee AND r.report_id = o.report_id AND r.revision = o.revision \
             WHERE r.is_current = 1 AND o.staging IS NULL AND o.service IS NOT NULL AND o.licensee = "
        ));
        sql.push_bind(licensee);
        sql.push(" AND (o.output_id IN (").push_list(ids.iter());
        sql.push(") OR o.isrc IN (").push_list(ids.iter());
        sql.push(")) ORDER BY o.output_id");
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(output_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.issue_invoices")]
    async fn issue_invoices(&self, batch: Vec<PendingInvoice>) -> StoreResult<Vec<Invoice>> {
        let mut tx = self.pool.begin_write().await?;
        lock_for_issue(&mut tx, self.pool.lock_rows(), &batch).await?;
        let mut issued = Vec::with_capacity(batch.len());
        for pending in batch {
            issued.push(issue_one(&mut tx, pending).await?);
        }
        tx.commit().await?;
        Ok(issued)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.invoice")]
    async fn invoice(&self, number: &str) -> StoreResult<Option<Invoice>> {
        self.one_document("SELECT document FROM invoices WHERE number = $1", number, "invoice").await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.invoices")]
    async fn invoices(&self, licensee: Option<&str>) -> StoreResult<Vec<Invoice>> {
        let rows = match licensee {
            Some(l) => query("SELECT document FROM invoices WHERE licensee = $1 ORDER BY series, seq").bind(l),
            None => query("SELECT document FROM invoices ORDER BY series, seq"),
        }
        .fetch_all(&self.pool)
        .await?;
        documents(&rows, "invoice")
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.change_invoice")]
    async fn change_invoice(
        &self,
        number: &str,
        decide: InvoiceDecision,
    ) -> StoreResult<Result<ChangedInvoice, InvoiceError>> {
        let mut tx = self.pool.begin_write().await?;
        let row = query(format!("SELECT document FROM invoices WHERE number = $1{}", self.pool.lock_rows()))
            .bind(number)
            .fetch_optional(&mut tx)
            .await?;
        let Some(row) = row else {
            return Ok(Err(InvoiceError::UnknownInvoice(number.to_owned())));
        };
        let mut invoice: Invoice = row.json("document", "invoice")?;
        let rows = query("SELECT document FROM payments WHERE invoice = $1 ORDER BY journal_entry")
            .bind(number)
            .fetch_all(&mut tx)
            .await?;
        let paid: Vec<Payment> = documents(&rows, "payment")?;
        let (status, payment) = match decide(&invoice, &paid) {
            Err(refused) => return Ok(Err(refused)),
            Ok(InvoiceChange::Nothing) => return Ok(Ok(ChangedInvoice { invoice, payment: None })),
            Ok(InvoiceChange::Status(status)) => (status, None),
            Ok(InvoiceChange::Payment { mut payment, entry, status }) => {
                payment.journal_entry = append_entry(&mut tx, *entry).await?;
                query("INSERT INTO payments (key, invoice, journal_entry, document) VALUES ($1, $2, $3, $4)")
                    .bind(&payment.key)
                    .bind(&payment.invoice)
                    .bind(payment.journal_entry as i64)
                    .bind(document(&payment))
                    .execute(&mut tx)
                    .await?;
                (status, Some(*payment))
            }
        };
        invoice.status = status;
        write_status(&mut tx, &invoice).await?;
        tx.commit().await?;
        Ok(Ok(ChangedInvoice { invoice, payment }))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.payments")]
    async fn payments(&self, invoice: &str) -> StoreResult<Vec<Payment>> {
        let rows = query("SELECT document FROM payments WHERE invoice = $1 ORDER BY journal_entry")
            .bind(invoice)
            .fetch_all(&self.pool)
            .await?;
        documents(&rows, "payment")
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.post_entry")]
    async fn post_entry(&self, entry: ledger::JournalEntry) -> StoreResult<u64> {
        let mut tx = self.pool.begin_write().await?;
        let number = append_entry(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(number)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.training_transparency")]
    async fn training_transparency(&self, licensee: &str, model: &str) -> StoreResult<Option<TrainingTransparency>> {
        let assessed = engine::disclosure::DisclosureStore::current_assessment(self, licensee, model).await?;
        Ok(assessed.map(|a| TrainingTransparency {
            disclosure: a.disclosure,
            verdict: a.verdict,
            licensed_works_matched: a.licensed_works_matched,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.licensed_repertoire_size")]
    async fn licensed_repertoire_size(&self, _stage: domain::Stage) -> StoreResult<u64> {
        query("SELECT COUNT(*) AS n FROM works WHERE origin <> 'fully-ai'").fetch_one(&self.pool).await?.count("n")
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.works_with_reservations")]
    async fn works_with_reservations(&self, stage: domain::Stage, limit: u32) -> StoreResult<Vec<String>> {
        let rows = query(
            "SELECT code FROM (SELECT work_code AS code FROM consent_choices WHERE stage = $1 \
             AND consent = 'reserved' AND work_code IS NOT NULL UNION SELECT i.work_code AS code \
             FROM work_interests i JOIN consent_choices c ON c.party_key = i.party_key \
             WHERE c.stage = $1 AND c.consent = 'reserved' AND c.work_code IS NULL) AS reserved \
             ORDER BY code LIMIT $2",
        )
        .bind(stage.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| r.get("code")).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.works_by_isrc")]
    async fn works_by_isrc(&self, isrc: &str) -> StoreResult<Vec<String>> {
        let rows = query("SELECT DISTINCT work_code FROM recordings WHERE isrc = $1 ORDER BY work_code")
            .bind(isrc)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| r.get("work_code")).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.signing_keys")]
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
        let rows = query("SELECT document FROM signing_keys ORDER BY key_id").fetch_all(&self.pool).await?;
        documents(&rows, "signing key")
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.rotate_key")]
    async fn rotate_key(&self, key: &StoredKey) -> StoreResult<()> {
        let mut tx = self.pool.begin_write().await?;
        let rows = query("SELECT document FROM signing_keys WHERE retired = 0").fetch_all(&mut tx).await?;
        for mut old in documents::<StoredKey>(&rows, "signing key")? {
            old.retired_at = Some(key.created_at);
            query("UPDATE signing_keys SET retired = 1, document = $1 WHERE key_id = $2")
                .bind(document(&old))
                .bind(&old.key_id)
                .execute(&mut tx)
                .await?;
        }
        query("INSERT INTO signing_keys (key_id, retired, document) VALUES ($1, 0, $2)")
            .bind(&key.key_id)
            .bind(document(key))
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.put_licence")]
    async fn put_licence(&self, licence: &StoredLicence) -> StoreResult<()> {
        query("INSERT INTO licences (id, licensee, document) VALUES ($1, $2, $3)")
            .bind(&licence.id)
            .bind(&licence.licensee)
            .bind(document(licence))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.licence")]
    async fn licence(&self, id: &str) -> StoreResult<Option<StoredLicence>> {
        self.one_document("SELECT document FROM licences WHERE id = $1", id, "licence").await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.licences")]
    async fn licences(&self, licensee: &str) -> StoreResult<Vec<StoredLicence>> {
        self.licensee_documents("licences", licensee).await
    }
}
