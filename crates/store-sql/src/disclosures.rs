//! The disclosures' port (`DisclosureStore`): disclosures, uploads, match sets and their rows, people's
//! decisions, assessments, and the pages of the repertoire the matcher is built from. Disclosures,
//! decisions and assessments are JSON documents; match rows are columns (one row per item, and one per item
//! and work in `match_works`), because views count and join them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use engine::disclosure::*;
use engine::store::{StoreError, StoreResult};
use matching::Method;

use crate::sql::{Builder, Document, Row, Tx, Value, query};
use crate::{SqlStore, document};

const MATCH_COLUMNS: &str = "item, file, line, item_key, item_id, described, status, recording, works, method, score, explanation, candidates, decided";

/// The columns a match row is written to, its match set first.
const MATCH_TABLE_COLUMNS: [&str; 15] = [
    "match_set",
    "item",
    "file",
    "line",
    "item_key",
    "item_id",
    "described",
    "status",
    "recording",
    "works",
    "method",
    "score",
    "explanation",
    "candidates",
    "decided",
];

fn disclosure_from(row: &Row) -> StoreResult<Disclosure> {
    let mut d: Disclosure = row.json("document", "disclosure")?;
    d.current = row.get::<i64>("current")? != 0;
    Ok(d)
}

fn method(text: &str) -> StoreResult<Method> {
    Method::parse(text).ok_or_else(|| StoreError::Corrupt(format!("match method {text:?}")))
}

fn match_from(row: &Row) -> StoreResult<MatchRow> {
    let status: String = row.get("status")?;
    Ok(MatchRow {
        item: row.count("item")?,
        file: row.count("file")? as u32,
        line: row.count("line")?,
        item_key: row.get("item_key")?,
        item_id: row.get("item_id")?,
        described: row.get("described")?,
        status: MatchStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("match status {status:?}")))?,
        recording: row.get("recording")?,
        works: row.json("works", "matched works")?,
        method: row.get::<Option<String>>("method")?.map(|m| method(&m)).transpose()?,
        score: row.get::<i64>("score")?.clamp(0, 1000) as u16,
        explanation: row.get("explanation")?,
        candidates: row.json("candidates", "candidates")?,
        decided: row.get::<i64>("decided")? != 0,
    })
}

fn match_values(match_set: u64, r: &MatchRow) -> Vec<Value> {
    vec![
        Value::Int(match_set as i64),
        Value::Int(r.item as i64),
        Value::Int(i64::from(r.file)),
        Value::Int(r.line as i64),
        (&r.item_key).into(),
        (&r.item_id).into(),
        (&r.described).into(),
        r.status.as_str().into(),
        (&r.recording).into(),
        document(&r.works),
        r.method.map(|m| m.as_str()).into(),
        Value::Int(i64::from(r.score)),
        (&r.explanation).into(),
        document(&r.candidates),
        Value::Int(i64::from(r.decided)),
    ]
}

/// Takes the disclosure's row lock for the transaction (a write, so on SQLite the database's): two runs
/// numbering a match set or an assessment of one disclosure at once take turns, and the second sees the
/// first's number.
async fn lock_disclosure(tx: &mut Tx, disclosure: &str) -> StoreResult<()> {
    query("UPDATE disclosures SET current = current WHERE id = $1").bind(disclosure).execute(tx).await?;
    Ok(())
}

async fn insert_matches(tx: &mut Tx, match_set: u64, rows: &[MatchRow]) -> StoreResult<()> {
    let values: Vec<Vec<Value>> = rows.iter().map(|r| match_values(match_set, r)).collect();
    tx.insert_rows("matches", &MATCH_TABLE_COLUMNS, &values).await?;
    let works: Vec<(u64, &String)> = rows.iter().flat_map(|r| r.works.iter().map(move |w| (r.item, w))).collect();
    for chunk in works.chunks(crate::MAX_PARAMETERS / 3) {
        let mut sql = Builder::new("INSERT INTO match_works (match_set, item, work_code) ");
        sql.push_values(chunk, |(item, work)| {
            vec![Value::Int(match_set as i64), Value::Int(*item as i64), (*work).into()]
        });
        sql.push(" ON CONFLICT DO NOTHING");
        sql.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Counts a match set's rows and stores the counts on it.
async fn count_set(tx: &mut Tx, match_set: u64) -> StoreResult<MatchCounts> {
    let rows = query(
        "SELECT status, CAST(CASE WHEN recording IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_recording, \
         COALESCE(method, '') AS method, decided, COUNT(*) AS n FROM matches WHERE match_set = $1 \
         GROUP BY 1, 2, 3, 4",
    )
    .bind(match_set as i64)
    .fetch_all(&mut *tx)
    .await?;
    let mut c = MatchCounts::default();
    let mut methods: BTreeMap<Method, u64> = BTreeMap::new();
    for row in &rows {
        let status: String = row.get("status")?;
        let n = row.count("n")?;
        c.items += n;
        match MatchStatus::parse(&status) {
            Some(MatchStatus::Matched) => {
                c.matched += n;
                if row.get::<i64>("has_recording")? != 0 { c.recordings += n } else { c.works_only += n }
            }
            Some(MatchStatus::Ambiguous) => c.ambiguous += n,
            Some(MatchStatus::Unmatched) => c.unmatched += n,
            None => return Err(StoreError::Corrupt(format!("match status {status:?}"))),
        }
        if let Some(m) = Method::parse(&row.get::<String>("method")?) {
            *methods.entry(m).or_default() += n;
        }
        if row.get::<i64>("decided")? != 0 {
            c.decided += n;
        }
    }
    c.by_method = methods.into_iter().collect();
    let row = query("SELECT COUNT(DISTINCT work_code) AS n FROM match_works WHERE match_set = $1")
        .bind(match_set as i64)
        .fetch_one(&mut *tx)
        .await?;
    c.works = row.count("n")?;
    query("UPDATE match_sets SET counts = $1 WHERE id = $2")
        .bind(document(&c))
        .bind(match_set as i64)
        .execute(tx)
        .await?;
    Ok(c)
}

/// The rows `sql` (ending in `IN (`) selects for each parameter-limited chunk of `keys`, `tail` closing it.
async fn rows_in(store: &SqlStore, sql: &str, keys: &[String], tail: &str) -> StoreResult<Vec<Row>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(crate::MAX_PARAMETERS) {
        let mut built = Builder::new(sql);
        built.push_list(chunk.iter()).push(tail);
        out.extend(built.build().fetch_all(&store.pool).await?);
    }
    Ok(out)
}

/// A CWR REC record's recording; one from CWR 2.1 has no title and bears its work's (as `recordings show`
/// says).
fn cwr_info(row: &Row, document: &str, work_title: &str) -> StoreResult<domain::RecordingInfo> {
    let mut info: domain::RecordingInfo = row.json(document, "CWR recording")?;
    if info.title.is_empty() {
        info.title = row.get::<Option<String>>(work_title)?.unwrap_or_default();
    }
    Ok(info)
}

/// The sound recordings of one page of the matcher's repertoire, each with the works it is linked to and
/// the CWR recordings under its ISRC.
type SoundRecordingPage = Vec<(domain::SoundRecording, Vec<(String, Option<domain::RecordingInfo>)>)>;

#[async_trait]
impl DisclosureStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all, name = "store.add_disclosure")]
    async fn add_disclosure(&self, d: &Disclosure) -> StoreResult<()> {
        let mut tx = self.pool.begin_write().await?;
        query("UPDATE disclosures SET current = 0 WHERE licensee = $1 AND model_version = $2")
            .bind(&d.licensee)
            .bind(&d.model_version)
            .execute(&mut tx)
            .await?;
        query(
            "INSERT INTO disclosures (id, licensee, model_version, revision, current, received_at, content_key, \
             document) VALUES ($1, $2, $3, $4, 1, $5, $6, $7)",
        )
        .bind(&d.id)
        .bind(&d.licensee)
        .bind(&d.model_version)
        .bind(i64::from(d.revision))
        .bind(d.received_at)
        .bind(&d.content_key)
        .bind(document(d))
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.disclosure")]
    async fn disclosure(&self, id: &str) -> StoreResult<Option<Disclosure>> {
        let row = query("SELECT document, current FROM disclosures WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(disclosure_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.disclosures")]
    async fn disclosures(&self, licensee: Option<&str>) -> StoreResult<Vec<Disclosure>> {
        let rows = match licensee {
            Some(l) => query("SELECT document, current FROM disclosures WHERE licensee = $1 ORDER BY id").bind(l),
            None => query("SELECT document, current FROM disclosures ORDER BY id"),
        }
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(disclosure_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_upload")]
    async fn add_upload(&self, licensee: &str, sha256: &str, size: u64, at: DateTime<Utc>) -> StoreResult<()> {
        query(
            "INSERT INTO disclosure_uploads (licensee, sha256, size, uploaded_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (licensee, sha256) DO NOTHING",
        )
        .bind(licensee)
        .bind(sha256)
        .bind(size as i64)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.uploaded")]
    async fn uploaded(&self, licensee: &str, sha256: &str) -> StoreResult<bool> {
        let row = query("SELECT 1 AS found FROM disclosure_uploads WHERE licensee = $1 AND sha256 = $2")
            .bind(licensee)
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.begin_match_set")]
    async fn begin_match_set(&self, disclosure: &str, at: DateTime<Utc>, stamp: &str) -> StoreResult<(u64, u32)> {
        let mut tx = self.pool.begin_write().await?;
        lock_disclosure(&mut tx, disclosure).await?;
        // A set still running a day after it began was interrupted; one running now may be another run's,
        // which finishes as a set of its own.
        let abandoned = at - chrono::Duration::days(1);
        for table in ["matches", "match_works"] {
            query(format!(
                "DELETE FROM {table} WHERE match_set IN (SELECT id FROM match_sets WHERE disclosure = $1 \
                 AND status = 'running' AND created_at < $2)"
            ))
            .bind(disclosure)
            .bind(abandoned)
            .execute(&mut tx)
            .await?;
        }
        query("DELETE FROM match_sets WHERE disclosure = $1 AND status = 'running' AND created_at < $2")
            .bind(disclosure)
            .bind(abandoned)
            .execute(&mut tx)
            .await?;
        let last: Option<i64> = query("SELECT MAX(number) AS last FROM match_sets WHERE disclosure = $1")
            .bind(disclosure)
            .fetch_one(&mut tx)
            .await?
            .get("last")?;
        let number = last.unwrap_or(0) + 1;
        let row = query(
            "INSERT INTO counters (name, value) VALUES ('match_sets', 1) ON CONFLICT (name) \
             DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .fetch_one(&mut tx)
        .await?;
        let id: i64 = row.get("value")?;
        query(
            "INSERT INTO match_sets (id, disclosure, number, status, created_at, repertoire_stamp, counts) \
             VALUES ($1, $2, $3, 'running', $4, $5, $6)",
        )
        .bind(id)
        .bind(disclosure)
        .bind(number)
        .bind(at)
        .bind(stamp)
        .bind(Document("{}".into()))
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok((id as u64, number as u32))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.drop_match_set")]
    async fn drop_match_set(&self, match_set: u64) -> StoreResult<()> {
        let mut tx = self.pool.begin_write().await?;
        for table in ["matches", "match_works"] {
            query(format!(
                "DELETE FROM {table} WHERE match_set = $1 \
                 AND EXISTS (SELECT 1 FROM match_sets WHERE id = $1 AND status = 'running')"
            ))
            .bind(match_set as i64)
            .execute(&mut tx)
            .await?;
        }
        query("DELETE FROM match_sets WHERE id = $1 AND status = 'running'")
            .bind(match_set as i64)
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_matches")]
    async fn add_matches(&self, match_set: u64, rows: &[MatchRow]) -> StoreResult<()> {
        let mut tx = self.pool.begin_write().await?;
        insert_matches(&mut tx, match_set, rows).await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.finish_match_set")]
    async fn finish_match_set(&self, match_set: u64) -> StoreResult<MatchCounts> {
        let mut tx = self.pool.begin_write().await?;
        let counts = count_set(&mut tx, match_set).await?;
        let finished = query("UPDATE match_sets SET status = 'complete' WHERE id = $1 AND status = 'running'")
            .bind(match_set as i64)
            .execute(&mut tx)
            .await?;
        if finished != 1 {
            return Err(StoreError::Database(format!(
                "match set {match_set} was dropped while it ran (it was taken for an interrupted run): match the \
                 disclosure again"
            )));
        }
        tx.commit().await?;
        Ok(counts)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.match_sets")]
    async fn match_sets(&self, disclosure: &str) -> StoreResult<Vec<MatchSet>> {
        let rows = query(
            "SELECT id, number, created_at, repertoire_stamp, counts FROM match_sets \
             WHERE disclosure = $1 AND status = 'complete' ORDER BY number",
        )
        .bind(disclosure)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MatchSet {
                    id: r.count("id")?,
                    disclosure: disclosure.to_owned(),
                    number: r.count("number")? as u32,
                    created_at: r.get("created_at")?,
                    repertoire_stamp: r.get("repertoire_stamp")?,
                    counts: r.json("counts", "match counts")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.matches")]
    async fn matches(
        &self,
        match_set: u64,
        status: Option<MatchStatus>,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<MatchRow>> {
        let q = match status {
            Some(s) => query(format!(
                "SELECT {MATCH_COLUMNS} FROM matches WHERE match_set = $1 AND status = $2 AND item > $3 \
                 ORDER BY item LIMIT $4"
            ))
            .bind(match_set as i64)
            .bind(s.as_str()),
            None => query(format!(
                "SELECT {MATCH_COLUMNS} FROM matches WHERE match_set = $1 AND item > $2 ORDER BY item LIMIT $3"
            ))
            .bind(match_set as i64),
        };
        let rows = q.bind(after as i64).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(match_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.match_row")]
    async fn match_row(&self, match_set: u64, item: u64) -> StoreResult<Option<MatchRow>> {
        let row = query(format!("SELECT {MATCH_COLUMNS} FROM matches WHERE match_set = $1 AND item = $2"))
            .bind(match_set as i64)
            .bind(item as i64)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(match_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.replace_match")]
    async fn replace_match(&self, match_set: u64, row: &MatchRow) -> StoreResult<MatchCounts> {
        let mut tx = self.pool.begin_write().await?;
        for table in ["matches", "match_works"] {
            query(format!("DELETE FROM {table} WHERE match_set = $1 AND item = $2"))
                .bind(match_set as i64)
                .bind(row.item as i64)
                .execute(&mut tx)
                .await?;
        }
        insert_matches(&mut tx, match_set, std::slice::from_ref(row)).await?;
        let counts = count_set(&mut tx, match_set).await?;
        tx.commit().await?;
        Ok(counts)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.matched_works")]
    async fn matched_works(&self, match_set: u64) -> StoreResult<Vec<(String, u64)>> {
        let rows = query(
            "SELECT work_code, COUNT(*) AS n FROM match_works WHERE match_set = $1 GROUP BY work_code ORDER BY work_code",
        )
        .bind(match_set as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.get("work_code")?, r.count("n")?))).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.put_decision")]
    async fn put_decision(&self, d: &Decision) -> StoreResult<()> {
        query(
            "INSERT INTO match_decisions (licensee, item_key, document) VALUES ($1, $2, $3) \
             ON CONFLICT (licensee, item_key) DO UPDATE SET document = excluded.document",
        )
        .bind(&d.licensee)
        .bind(&d.item_key)
        .bind(document(d))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.decisions")]
    async fn decisions(&self, licensee: &str) -> StoreResult<Vec<Decision>> {
        let rows = query("SELECT document FROM match_decisions WHERE licensee = $1")
            .bind(licensee)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| r.json("document", "decision")).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_assessment")]
    async fn add_assessment(&self, a: &Assessment) -> StoreResult<()> {
        let mut tx = self.pool.begin_write().await?;
        lock_disclosure(&mut tx, &a.disclosure).await?;
        let row = query("SELECT COALESCE(MAX(number), 0) AS last FROM assessments WHERE disclosure = $1")
            .bind(&a.disclosure)
            .fetch_one(&mut tx)
            .await?;
        let number: i64 = row.get("last")?;
        query(
            "INSERT INTO assessments (disclosure, number, assessed_at, verdict, document) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&a.disclosure)
        .bind(number + 1)
        .bind(a.assessed_at)
        .bind(a.verdict.as_str())
        .bind(document(a))
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.assessments")]
    async fn assessments(&self, disclosure: &str) -> StoreResult<Vec<Assessment>> {
        let rows = query("SELECT document FROM assessments WHERE disclosure = $1 ORDER BY number")
            .bind(disclosure)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| r.json("document", "assessment")).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.party_matches")]
    async fn party_matches(&self, party_key: &str) -> StoreResult<Vec<PartyMatch>> {
        let rows = query(
            "SELECT d.licensee, d.model_version, d.id, mw.work_code, m.method, COUNT(*) AS n \
             FROM match_works mw \
             JOIN matches m ON m.match_set = mw.match_set AND m.item = mw.item \
             JOIN match_sets s ON s.id = mw.match_set AND s.status = 'complete' \
             JOIN disclosures d ON d.id = s.disclosure AND d.current = 1 \
             WHERE mw.work_code IN (SELECT work_code FROM work_interests WHERE party_key = $1) \
               AND s.number = (SELECT MAX(s2.number) FROM match_sets s2 WHERE s2.disclosure = s.disclosure \
               AND s2.status = 'complete') \
             GROUP BY d.licensee, d.model_version, d.id, mw.work_code, m.method \
             ORDER BY d.licensee, d.model_version, mw.work_code, m.method",
        )
        .bind(party_key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let method: Option<String> = r.get("method")?;
                Ok(PartyMatch {
                    licensee: r.get("licensee")?,
                    model_version: r.get("model_version")?,
                    disclosure: r.get("id")?,
                    work_code: r.get("work_code")?,
                    method: self::method(method.as_deref().unwrap_or_default())?,
                    items: r.count("n")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.matching_works")]
    async fn matching_works(&self, after: &str, limit: u32) -> StoreResult<Vec<matching::WorkEntry>> {
        let rows = query("SELECT code, title, iswc FROM works WHERE code > $1 ORDER BY code LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let mut works: Vec<matching::WorkEntry> = Vec::with_capacity(rows.len());
        for r in &rows {
            works.push(matching::WorkEntry {
                code: r.get("code")?,
                titles: vec![r.get("title")?],
                iswc: r.get("iswc")?,
                writers: Vec::new(),
            });
        }
        let Some(last) = works.last().map(|w| w.code.clone()) else { return Ok(works) };
        let index: BTreeMap<String, usize> = works.iter().enumerate().map(|(i, w)| (w.code.clone(), i)).collect();
        // The page's titles and writers by the range of its codes (index range scans, not lists of thousands of
        // codes); writers through the registrations, whose key indexes the interests.
        let titles = query("SELECT work_code, title FROM work_titles WHERE work_code > $1 AND work_code <= $2")
            .bind(after)
            .bind(&last)
            .fetch_all(&self.pool)
            .await?;
        for row in titles {
            let title: String = row.get("title")?;
            if let Some(w) = index.get(&row.get::<String>("work_code")?).map(|i| &mut works[*i])
                && !w.titles.contains(&title)
            {
                w.titles.push(title);
            }
        }
        let writers = query(
            "SELECT DISTINCT g.work_code, p.first_name, p.name FROM registrations g \
             JOIN work_interests wi ON wi.submitter = g.submitter AND wi.work_number = g.work_number \
             JOIN parties p ON p.key = wi.party_key \
             WHERE g.work_code > $1 AND g.work_code <= $2 AND wi.side = 'writer' \
             ORDER BY g.work_code, p.name, p.first_name",
        )
        .bind(after)
        .bind(&last)
        .fetch_all(&self.pool)
        .await?;
        for row in writers {
            if let Some(w) = index.get(&row.get::<String>("work_code")?).map(|i| &mut works[*i]) {
                let (first, family): (String, String) = (row.get("first_name")?, row.get("name")?);
                w.writers.push(format!("{first} {family}").trim().to_owned());
            }
        }
        Ok(works)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.matching_sound_recordings")]
    async fn matching_sound_recordings(&self, after: &str, limit: u32) -> StoreResult<SoundRecordingPage> {
        let rows =
            query("SELECT key, document FROM sound_recordings WHERE key > $1 AND withdrawn = 0 ORDER BY key LIMIT $2")
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        let mut out: SoundRecordingPage = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((r.json("document", "recording")?, Vec::new()));
        }
        let keys: Vec<String> = out.iter().map(|(r, _)| r.key.clone()).collect();
        let index: BTreeMap<String, usize> = keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect();
        let links = "SELECT recording_key, work_code FROM recording_links WHERE recording_key IN (";
        for row in rows_in(self, links, &keys, ") ORDER BY recording_key, work_code").await? {
            if let Some(i) = index.get(&row.get::<String>("recording_key")?) {
                out[*i].1.push((row.get("work_code")?, None));
            }
        }
        let cwr = "SELECT r.id, r.work_code, r.document, w.title FROM recordings r \
                   LEFT JOIN works w ON w.code = r.work_code WHERE r.id IN (";
        for row in rows_in(self, cwr, &keys, ") ORDER BY r.id").await? {
            if let Some(i) = index.get(&row.get::<String>("id")?) {
                out[*i].1.push((row.get("work_code")?, Some(cwr_info(&row, "document", "title")?)));
            }
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.matching_cwr_recordings")]
    async fn matching_cwr_recordings(
        &self,
        after: &str,
        limit: u32,
    ) -> StoreResult<Vec<(String, String, domain::RecordingInfo, Vec<String>)>> {
        let rows = query(
            "SELECT r.id, r.work_code, r.document, w.title, v.document AS work_document FROM recordings r \
             LEFT JOIN works w ON w.code = r.work_code \
             LEFT JOIN registrations g ON g.work_code = r.work_code AND g.is_primary = 1 \
             LEFT JOIN work_revisions v ON v.work_code = g.work_code AND v.revision = g.revision \
             WHERE r.id > $1 AND NOT EXISTS (SELECT 1 FROM sound_recordings s WHERE s.key = r.id AND s.withdrawn = 0) \
             ORDER BY r.id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(String, String, domain::RecordingInfo, Vec<String>)> = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.get("id")?;
            if out.last().is_some_and(|(last, _, _, _)| *last == id) {
                continue;
            }
            let performers = match r.get::<Option<Document>>("work_document")? {
                Some(document) => crate::work_performers(&document.0)?,
                None => Vec::new(),
            };
            out.push((id, r.get("work_code")?, cwr_info(r, "document", "title")?, performers));
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.repertoire_stamp")]
    async fn repertoire_stamp(&self) -> StoreResult<String> {
        let mut parts = Vec::new();
        for (name, sql) in [
            ("works", "SELECT COUNT(*) AS n, COALESCE(CAST(MAX(updated_at) AS TEXT), '') AS latest FROM works"),
            (
                "ern",
                "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(revision + withdrawn), 0) AS TEXT) AS latest FROM sound_recordings",
            ),
            ("cwr", "SELECT COUNT(*) AS n, COALESCE(CAST(MAX(updated_at) AS TEXT), '') AS latest FROM recordings"),
            // Writers are matched by their parties' names.
            ("parties", "SELECT COUNT(*) AS n, COALESCE(CAST(MAX(updated_at) AS TEXT), '') AS latest FROM parties"),
            ("links", "SELECT COUNT(*) AS n, '' AS latest FROM recording_links"),
            ("prints", "SELECT COUNT(*) AS n, '' AS latest FROM fingerprints"),
        ] {
            let row = query(sql).fetch_one(&self.pool).await?;
            let (n, latest): (i64, String) = (row.get("n")?, row.get("latest")?);
            parts.push(format!("{name} {n} {latest}").trim_end().to_owned());
        }
        Ok(parts.join("; "))
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.works_for_assessment")]
    async fn works_for_assessment(
        &self,
        codes: &[String],
    ) -> StoreResult<Vec<(String, String, domain::Origin, Option<domain::Work>)>> {
        let sql = "SELECT w.code, w.title, w.origin, v.document FROM works w \
                   LEFT JOIN registrations r ON r.work_code = w.code AND r.is_primary = 1 \
                   LEFT JOIN work_revisions v ON v.work_code = r.work_code AND v.revision = r.revision \
                   WHERE w.code IN (";
        let mut out: Vec<(String, String, domain::Origin, Option<domain::Work>)> = Vec::with_capacity(codes.len());
        for row in rows_in(self, sql, codes, ") ORDER BY w.code").await? {
            let code: String = row.get("code")?;
            if out.last().is_some_and(|(c, _, _, _)| *c == code) {
                continue;
            }
            out.push((
                code,
                row.get("title")?,
                crate::parse_origin(&row.get::<String>("origin")?)?,
                row.json_opt("document", "work document")?,
            ));
        }
        Ok(out)
    }
}
