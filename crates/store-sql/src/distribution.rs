//! The distribution's port (`DistributionStore`): the rules, runs recorded with their lines and journal
//! entry in one transaction (a run computed against an older state of its period is a conflict), lines
//! summed per line for the next run's difference, statements' and the reserve's reads, and claims.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{ConsentChoice, Period};
use engine::distribution::DistributionRules;
use engine::distribution::allocation::{Line, LineId, LineKind};
use engine::distribution::catalogue::Payee;
use engine::distribution::rules::PoolStage;
use engine::distribution::split::ReserveReason;
use engine::distribution::store::*;
use engine::licensing::store::OutputRow;
use engine::store::{StoreError, StoreResult};
use money::Amount;

use crate::books::{append_entry, currency};
use crate::sql::{Row, Value, query};
use crate::{SqlStore, document};

/// The columns that name a line (everything but its amounts), in the order they are written.
const LINE_ID_COLUMNS: &str = "stage, licensee, source, territory, period, currency, kind, work_code, unidentified, \
     party_key, right_type, payee, reason";

const LINE_COLUMNS: [&str; 16] = [
    "run",
    "stage",
    "licensee",
    "source",
    "territory",
    "period",
    "currency",
    "kind",
    "work_code",
    "unidentified",
    "party_key",
    "right_type",
    "payee",
    "reason",
    "amount_micros",
    "previous_micros",
];

fn payee_text(payee: Payee) -> String {
    match payee {
        Payee::Member => "member".into(),
        Payee::Society(code) => format!("society:{code:03}"),
        Payee::Unknown => "unknown".into(),
    }
}

fn payee_from(text: &str) -> StoreResult<Payee> {
    match text {
        "member" => Ok(Payee::Member),
        "unknown" => Ok(Payee::Unknown),
        other => other
            .strip_prefix("society:")
            .and_then(|c| c.parse().ok())
            .map(Payee::Society)
            .ok_or_else(|| StoreError::Corrupt(format!("payee {other:?}"))),
    }
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

fn line_id_from(row: &Row) -> StoreResult<LineId> {
    let (stage, period, kind): (String, String, String) = (row.get("stage")?, row.get("period")?, row.get("kind")?);
    let reason: String = row.get("reason")?;
    Ok(LineId {
        pool: engine::distribution::pools::PoolKey {
            stage: PoolStage::parse(&stage).ok_or_else(|| corrupt("pool stage", &stage))?,
            licensee: row.get("licensee")?,
            source: row.get("source")?,
            territory: row.get("territory")?,
            period: period.parse().map_err(|_| corrupt("period", &period))?,
        },
        currency: currency(&row.get::<String>("currency")?)?,
        kind: LineKind::parse(&kind).ok_or_else(|| corrupt("line kind", &kind))?,
        work: row.get("work_code")?,
        unidentified: row.get("unidentified")?,
        party: row.get("party_key")?,
        right: row.get("right_type")?,
        payee: payee_from(&row.get::<String>("payee")?)?,
        reason: if reason.is_empty() {
            None
        } else {
            Some(ReserveReason::parse(&reason).ok_or_else(|| corrupt("reserve reason", &reason))?)
        },
    })
}

fn stored_line_from(row: &Row) -> StoreResult<StoredLine> {
    Ok(StoredLine {
        run: row.count("run")?,
        line: Line { id: line_id_from(row)?, amount_micros: row.get("amount_micros")? },
        previous_micros: row.get("previous_micros")?,
    })
}

fn summed_line_from(row: &Row) -> StoreResult<Line> {
    Ok(Line { id: line_id_from(row)?, amount_micros: row.get("amount_micros")? })
}

fn line_values(run: u64, line: &Line, previous: i64) -> Vec<Value> {
    let id = &line.id;
    vec![
        Value::Int(run as i64),
        id.pool.stage.as_str().into(),
        (&id.pool.licensee).into(),
        (&id.pool.source).into(),
        (&id.pool.territory).into(),
        id.pool.period.to_string().into(),
        id.currency.code().into(),
        id.kind.as_str().into(),
        (&id.work).into(),
        (&id.unidentified).into(),
        (&id.party).into(),
        (&id.right).into(),
        payee_text(id.payee).into(),
        id.reason.map_or("", |r| r.as_str()).into(),
        Value::Int(line.amount_micros),
        Value::Int(previous),
    ]
}

/// Lines are written in chunks of this many rows.
const LINE_CHUNK: usize = 20_000;

#[async_trait]
impl DistributionStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all, name = "store.distribution_rules")]
    async fn distribution_rules(&self) -> StoreResult<Option<DistributionRules>> {
        let row = query("SELECT document FROM distribution_rules WHERE id = 1").fetch_optional(&self.pool).await?;
        row.map(|r| r.json("document", "distribution rules")).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.set_distribution_rules")]
    async fn set_distribution_rules(&self, rules: &DistributionRules) -> StoreResult<()> {
        query(
            "INSERT INTO distribution_rules (id, document) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET document = excluded.document",
        )
        .bind(document(rules))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.distribution_works")]
    async fn distribution_works(&self, after: &str, limit: u32) -> StoreResult<Vec<DistributionWork>> {
        let rows = query(
            "SELECT w.code, w.origin, v.document, \
             CAST(CASE WHEN EXISTS (SELECT 1 FROM registrations c WHERE c.work_code = w.code AND c.status = 'conflict') \
             THEN 1 ELSE 0 END AS BIGINT) AS disputed \
             FROM works w \
             LEFT JOIN registrations r ON r.work_code = w.code AND r.is_primary = 1 \
             LEFT JOIN work_revisions v ON v.work_code = r.work_code AND v.revision = r.revision \
             WHERE w.code > $1 ORDER BY w.code LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<DistributionWork> = Vec::with_capacity(rows.len());
        for row in &rows {
            let code: String = row.get("code")?;
            if out.last().is_some_and(|w| w.code == code) {
                continue;
            }
            out.push(DistributionWork {
                code,
                origin: crate::parse_origin(&row.get::<String>("origin")?)?,
                disputed: row.get::<i64>("disputed")? != 0,
                work: row.json_opt("document", "work document")?,
            });
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.affiliations")]
    async fn affiliations(&self) -> StoreResult<Vec<(String, String, u16)>> {
        let rows = query(
            "SELECT party_key, right_type, society FROM party_affiliations ORDER BY party_key, right_type, society",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.get("party_key")?, r.get("right_type")?, r.get::<i64>("society")? as u16))).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.all_consent")]
    async fn all_consent(&self) -> StoreResult<Vec<ConsentChoice>> {
        let rows = query(format!("{} ORDER BY recorded_at, id", crate::repertoire::SELECT_CONSENT))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(crate::repertoire::consent_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.recording_works")]
    async fn recording_works(&self) -> StoreResult<Vec<(String, String)>> {
        let rows = query(
            "SELECT recording_key AS recording, work_code FROM recording_links \
             UNION SELECT s.isrc AS recording, l.work_code FROM sound_recordings s \
             JOIN recording_links l ON l.recording_key = s.key WHERE s.isrc IS NOT NULL \
             UNION SELECT isrc AS recording, work_code FROM recordings WHERE isrc IS NOT NULL \
             ORDER BY 1, 2",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.get("recording")?, r.get("work_code")?))).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.each_period_output")]
    async fn each_period_output(
        &self,
        licensee: &str,
        period: Period,
        each: &mut (dyn FnMut(OutputRow) + Send),
    ) -> StoreResult<()> {
        query(format!(
            "SELECT {} FROM report_outputs o \
             JOIN reports r ON r.licensee = o.licensee AND r.report_id = o.report_id AND r.revision = o.revision \
             WHERE r.licensee = $1 AND r.period = $2 AND r.is_current = 1 AND o.staging IS NULL \
             ORDER BY o.report_id, o.output_id",
            crate::licensing::OUTPUT_COLUMNS
        ))
        .bind(licensee)
        .bind(period.to_string())
        .for_each(&self.pool, |row| {
            each(crate::licensing::output_from(&row)?);
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.posted_lines")]
    async fn posted_lines(&self, period: Period) -> StoreResult<(Option<u64>, Vec<Line>)> {
        let latest = query("SELECT MAX(id) AS latest FROM distribution_runs WHERE period = $1")
            .bind(period.to_string())
            .fetch_one(&self.pool)
            .await?
            .get::<Option<i64>>("latest")?
            .map(|id| id as u64);
        let lines = query(format!(
            "SELECT {LINE_ID_COLUMNS}, CAST(SUM(amount_micros) AS BIGINT) AS amount_micros FROM distribution_lines \
             WHERE period = $1 GROUP BY {LINE_ID_COLUMNS} HAVING SUM(amount_micros) <> 0"
        ))
        .bind(period.to_string())
        .fetch_map(&self.pool, summed_line_from)
        .await?;
        Ok((latest, lines))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.record_run")]
    async fn record_run(&self, write: RunWrite<'_>) -> StoreResult<RunRecord> {
        let RunWrite { mut run, lines, entry, after } = write;
        let period = run.period.to_string();
        let mut tx = self.pool.begin_write().await?;
        // The period's counter row: runs of one period take turns from here to their commit.
        query(
            "INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO UPDATE SET value = counters.value",
        )
        .bind(format!("distribution:{period}"))
        .execute(&mut tx)
        .await?;
        let row = query("SELECT MAX(id) AS latest, COUNT(*) AS runs FROM distribution_runs WHERE period = $1")
            .bind(&period)
            .fetch_one(&mut tx)
            .await?;
        let latest = row.get::<Option<i64>>("latest")?.map(|id| id as u64);
        if latest != after {
            return Err(StoreError::Conflict(format!(
                "another distribution run of {period} was posted while this one was computed: run it again to post \
                 what is left"
            )));
        }
        run.number = row.count("runs")? as u32 + 1;
        let row = query(
            "INSERT INTO counters (name, value) VALUES ('distribution_runs', 1) ON CONFLICT (name) \
             DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .fetch_one(&mut tx)
        .await?;
        run.id = row.count("value")?;
        if let Some(mut entry) = entry {
            entry.idempotency_key = Some(format!("distribution {period} run {}", run.number));
            run.journal_entry = Some(append_entry(&mut tx, entry).await?);
        }
        run.lines = lines.len() as u64;
        query(
            "INSERT INTO distribution_runs (id, period, number, created_at, journal_entry, document) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(run.id as i64)
        .bind(&period)
        .bind(i64::from(run.number))
        .bind(run.created_at)
        .bind(run.journal_entry.map(|n| n as i64))
        .bind(document(&run))
        .execute(&mut tx)
        .await?;
        for chunk in lines.chunks(LINE_CHUNK) {
            let rows: Vec<Vec<Value>> =
                chunk.iter().map(|(line, previous)| line_values(run.id, line, *previous)).collect();
            tx.insert_rows("distribution_lines", &LINE_COLUMNS, &rows).await?;
        }
        tx.commit().await?;
        Ok(run)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.runs")]
    async fn runs(&self) -> StoreResult<Vec<RunRecord>> {
        let rows = query("SELECT document FROM distribution_runs ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.json("document", "distribution run")).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.run")]
    async fn run(&self, id: u64) -> StoreResult<Option<RunRecord>> {
        let row = query("SELECT document FROM distribution_runs WHERE id = $1")
            .bind(id as i64)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.json("document", "distribution run")).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.run_lines")]
    async fn run_lines(&self, run: u64) -> StoreResult<Vec<StoredLine>> {
        query(format!(
            "SELECT run, {LINE_ID_COLUMNS}, amount_micros, previous_micros FROM distribution_lines WHERE run = $1 \
             ORDER BY {LINE_ID_COLUMNS}"
        ))
        .bind(run as i64)
        .fetch_map(&self.pool, stored_line_from)
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.party_lines")]
    async fn party_lines(&self, party: &str) -> StoreResult<Vec<StoredLine>> {
        query(format!(
            "SELECT run, {LINE_ID_COLUMNS}, amount_micros, previous_micros FROM distribution_lines \
             WHERE party_key = $1 ORDER BY run, {LINE_ID_COLUMNS}"
        ))
        .bind(party)
        .fetch_map(&self.pool, stored_line_from)
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.reserve_lines")]
    async fn reserve_lines(&self) -> StoreResult<Vec<Line>> {
        query(format!(
            "SELECT {LINE_ID_COLUMNS}, CAST(SUM(amount_micros) AS BIGINT) AS amount_micros FROM distribution_lines \
             WHERE kind = 'reserve' OR payee = 'unknown' GROUP BY {LINE_ID_COLUMNS} HAVING SUM(amount_micros) <> 0"
        ))
        .fetch_map(&self.pool, summed_line_from)
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_claim")]
    async fn add_claim(&self, claim: &Claim) -> StoreResult<u64> {
        let mut tx = self.pool.begin_write().await?;
        let row = query(
            "INSERT INTO counters (name, value) VALUES ('distribution_claims', 1) ON CONFLICT (name) \
             DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .fetch_one(&mut tx)
        .await?;
        let id = row.count("value")?;
        let claim = Claim { id, ..claim.clone() };
        query("INSERT INTO distribution_claims (id, status, document) VALUES ($1, 'pending', $2)")
            .bind(id as i64)
            .bind(document(&claim))
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.claims")]
    async fn claims(&self) -> StoreResult<Vec<Claim>> {
        let rows = query("SELECT document FROM distribution_claims ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.json("document", "claim")).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.decide_claim")]
    async fn decide_claim(
        &self,
        id: u64,
        status: ClaimStatus,
        by: &str,
        at: DateTime<Utc>,
        note: &str,
    ) -> StoreResult<Option<(Claim, bool)>> {
        let mut tx = self.pool.begin_write().await?;
        let row = query(format!("SELECT document FROM distribution_claims WHERE id = $1{}", self.pool.lock_rows()))
            .bind(id as i64)
            .fetch_optional(&mut tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut claim: Claim = row.json("document", "claim")?;
        if claim.status != ClaimStatus::Pending {
            return Ok(Some((claim, false)));
        }
        claim.status = status;
        claim.decided_by = Some(by.to_owned());
        claim.decided_at = Some(at);
        claim.note = note.to_owned();
        let word = match status {
            ClaimStatus::Pending => "pending",
            ClaimStatus::Accepted => "accepted",
            ClaimStatus::Rejected => "rejected",
        };
        query("UPDATE distribution_claims SET status = $1, document = $2 WHERE id = $3")
            .bind(word)
            .bind(document(&claim))
            .bind(id as i64)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some((claim, true)))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.balances_of")]
    async fn balances_of(&self, kind: &str) -> StoreResult<Vec<(String, Amount)>> {
        let rows = query(
            "SELECT a.holder, a.currency, CAST(SUM(p.amount_micros) AS BIGINT) AS balance FROM ledger_accounts a \
             JOIN journal_postings p ON p.account = a.id WHERE a.kind = $1 GROUP BY a.holder, a.currency \
             HAVING SUM(p.amount_micros) <> 0 ORDER BY a.holder, a.currency",
        )
        .bind(kind)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((r.get("holder")?, Amount::from_micros(r.get("balance")?, currency(&r.get::<String>("currency")?)?)))
            })
            .collect()
    }
}
