//! The store both databases share: every port of the areas (`RepertoireStore`, `RecordingStore`,
//! `LicensingStore`, `BooksStore`, `DisclosureStore`) implemented once, in plain functions, for
//! [`SqlStore`], over the small layer in [`sql`] that runs each query on SQLite or PostgreSQL. Both schemas
//! use the same table and column names; PostgreSQL keeps moments as `timestamptz` and documents as
//! `jsonb`, SQLite as text, and [`sql::Value`] binds each in its database's type. The backend crates open
//! the pool, run their migrations and say how the registry is locked.
//!
//! Architecture invariant: nothing here opens a connection or runs a migration; this crate only knows how
//! to turn the areas' store calls into SQL and rows back into domain values.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Iswc, Origin, Party, PartyKind, RightType, Role, Work};
use engine::store::{RegistrationStatus, RegistrationWrite, RegistryLock, StoreError, StoreResult, StoredRecording};
use money::Share;

pub use sql::{Pool, Value};

/// How a backend locks the registry for one import at a time (a PostgreSQL advisory lock, a file lock beside
/// the SQLite file, a mutex in memory).
#[async_trait]
pub trait RegistryLocker: Send + Sync + std::fmt::Debug {
    async fn lock(&self) -> StoreResult<RegistryLock>;
}

/// A Tantiem store on either database.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool,
    registry: std::sync::Arc<dyn RegistryLocker>,
    statistics: std::sync::Arc<Statistics>,
}

/// When PostgreSQL's planner statistics are refreshed after bulk imports. Right after a large import the
/// autovacuum daemon has not analysed the new rows yet, and a plan made for a few hundred rows (a nested
/// loop over a sequential scan) takes seconds per page over thousands: the repertoire as a distribution run
/// reads it went from 10 s to a tenth of that with fresh statistics. Refreshed each time this process has
/// doubled what it wrote (at least 1,000 rows), so a million-work import analyses a handful of times.
#[derive(Debug, Default)]
struct Statistics {
    written: std::sync::atomic::AtomicU64,
    analysed_at: std::sync::atomic::AtomicU64,
}

impl SqlStore {
    /// A store over a migrated pool, locking the registry as `registry` says.
    pub fn new(pool: Pool, registry: std::sync::Arc<dyn RegistryLocker>) -> SqlStore {
        SqlStore { pool, registry, statistics: Default::default() }
    }

    /// Counts `rows` written in bulk to the repertoire's tables and refreshes PostgreSQL's statistics of
    /// them when due (SQLite plans without them).
    async fn wrote_in_bulk(&self, rows: usize) {
        use std::sync::atomic::Ordering::SeqCst;
        if !matches!(self.pool, Pool::Postgres(_)) {
            return;
        }
        let written = self.statistics.written.fetch_add(rows as u64, SeqCst) + rows as u64;
        let at = self.statistics.analysed_at.load(SeqCst);
        if written.saturating_sub(at) < at.max(1_000)
            || self.statistics.analysed_at.compare_exchange(at, written, SeqCst, SeqCst).is_err()
        {
            return;
        }
        // The import is committed: statistics not refreshed make later reads slower, never wrong.
        if let Err(e) = sql::query(
            "ANALYZE works, registrations, work_revisions, work_titles, work_interests, parties, party_affiliations, \
             recordings",
        )
        .execute(&self.pool)
        .await
        {
            tracing::warn!(error = %e, "the planner statistics of the repertoire were not refreshed");
        }
    }
}

/// Rows per multi-row INSERT: keeps every statement under SQLite's 32,766 bound parameters.
pub const MAX_PARAMETERS: usize = 4_000;

/// A database error as the engine sees it: a unique violation means another request stored the same thing
/// first (a conflict the sender can act on); anything else is the database's own trouble.
pub fn database_error(e: sqlx::Error) -> StoreError {
    // PostgreSQL's deadlock (40P01) and serialisation failure (40001) are races lost, not outages.
    if let sqlx::Error::Database(d) = &e
        && (d.is_unique_violation() || matches!(d.code().as_deref(), Some("40P01" | "40001")))
    {
        return StoreError::Conflict(
            "another request stored the same record at the same moment and nothing of this one was kept: \
             look at what is stored now, then send this again if it is still needed"
                .into(),
        );
    }
    StoreError::Database(e.to_string())
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("timestamp {text:?}")))
}

/// A day stored as `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<chrono::NaiveDate, StoreError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date {text:?}")))
}

pub fn parse_iswc(text: Option<String>) -> Result<Option<Iswc>, StoreError> {
    text.map(|t| Iswc::parse(&t).map_err(|_| StoreError::Corrupt(format!("ISWC {t:?}")))).transpose()
}

pub fn parse_origin(text: &str) -> Result<Origin, StoreError> {
    Origin::parse(text).ok_or_else(|| StoreError::Corrupt(format!("origin {text:?}")))
}

pub fn parse_status(text: &str) -> Result<RegistrationStatus, StoreError> {
    RegistrationStatus::parse(text).ok_or_else(|| StoreError::Corrupt(format!("registration status {text:?}")))
}

pub fn share(units: i64) -> Result<Share, StoreError> {
    u32::try_from(units).ok().and_then(Share::from_scaled).ok_or_else(|| StoreError::Corrupt(format!("share {units}")))
}

/// The version of the stored-document format this Tantiem writes. Every document (a JSON object in a
/// `document` or other JSON column) opens with it, `{"v":1,…}`; one without it was written before documents
/// were versioned and has version 1's shape. When a document type changes shape, this number goes up and
/// [`upgrade`] learns to bring the older shape forward, so that stores written by every earlier version keep
/// reading (the migration fixtures in `story-tests` hold documents as earlier versions wrote them).
pub const DOCUMENT_VERSION: u32 = 1;

/// Reads a stored JSON value; a document is brought forward from the version it was written in, and one a
/// newer Tantiem wrote is refused rather than half understood.
pub fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    let (version, body) = document_version(text);
    if version > DOCUMENT_VERSION {
        return Err(StoreError::Corrupt(format!(
            "{what}: written by a newer Tantiem (document version {version}; this one reads up to {DOCUMENT_VERSION}): upgrade Tantiem"
        )));
    }
    let body = upgrade(what, version, body)?;
    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A document's version and its body without the version (0 for one written before versioning). The
/// version opens the document as Tantiem writes it (`{"v":1,…}`) and as PostgreSQL's `jsonb` gives it back
/// (`{"v": 1, …}`: keys ordered shortest first, so a one-letter key leads).
fn document_version(text: &str) -> (u32, std::borrow::Cow<'_, str>) {
    if let Some(rest) = text.strip_prefix("{\"v\":") {
        let rest = rest.trim_start_matches(' ');
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Ok(version) = rest[..digits].parse::<u32>() {
            match rest.as_bytes().get(digits) {
                Some(b',') => return (version, std::borrow::Cow::Owned(format!("{{{}", &rest[digits + 1..]))),
                Some(b'}') => return (version, std::borrow::Cow::Borrowed("{}")),
                _ => {}
            }
        }
    }
    // jsonb puts a one-letter key before "v" when it sorts first: the slow way, for that rare document.
    if text.starts_with('{')
        && text.contains("\"v\"")
        && let Ok(mut map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
        && let Some(version) = map.remove("v").and_then(|v| v.as_u64())
        && let Ok(body) = serde_json::to_string(&map)
    {
        return (u32::try_from(version).unwrap_or(u32::MAX), std::borrow::Cow::Owned(body));
    }
    (0, std::borrow::Cow::Borrowed(text))
}

/// Brings a document of an earlier version to today's shape. Versions 0 (unversioned) and 1 share one shape,
/// so there is nothing to do yet; a change of shape adds its step here, keyed by what the document is.
fn upgrade<'a>(
    _what: &str,
    _version: u32,
    body: std::borrow::Cow<'a, str>,
) -> Result<std::borrow::Cow<'a, str>, StoreError> {
    Ok(body)
}

/// The performing artists of a work document, read without building the rest of the work.
pub fn work_performers(document: &str) -> Result<Vec<String>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Performers {
        #[serde(default)]
        performers: Vec<String>,
    }
    Ok(json::<Performers>(document, "work document")?.performers)
}

/// Writes a value as stored JSON; a document (an object) opens with the format version it is written in.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    let text = serde_json::to_string(value).expect("domain values always serialise");
    match text.strip_prefix('{') {
        Some("}") => format!("{{\"v\":{DOCUMENT_VERSION}}}"),
        Some(rest) => format!("{{\"v\":{DOCUMENT_VERSION},{rest}"),
        None => text,
    }
}

/// A value as a stored document (see [`to_json`]), bound in the database's document type.
pub fn document<T: serde::Serialize>(value: &T) -> Value {
    Value::Json(to_json(value))
}

/// A recording a CWR REC record names, from a row of `recordings` (`work_code`, `document`).
pub(crate) fn cwr_recording_from(row: &sql::Row) -> StoreResult<StoredRecording> {
    Ok(StoredRecording { work_code: row.get("work_code")?, recording: row.json("document", "recording")? })
}

/// Folds a text for search: upper case, Nordic and other Latin diacritics removed, spaces collapsed, so
/// "Sørensen", "SORENSEN" and "sorensen" find each other.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_uppercase) {
        let replacement = match c {
            'Å' | 'Ä' | 'Á' | 'À' | 'Â' | 'Ã' => "A",
            'Æ' => "AE",
            'Ø' | 'Ö' | 'Ó' | 'Ò' | 'Ô' | 'Õ' => "O",
            'É' | 'È' | 'Ê' | 'Ë' => "E",
            'Í' | 'Ì' | 'Î' | 'Ï' => "I",
            'Ú' | 'Ù' | 'Û' | 'Ü' => "U",
            'Ý' | 'Ÿ' => "Y",
            'Ñ' => "N",
            'Ç' => "C",
            'Ð' => "D",
            'Þ' => "TH",
            'ß' => "SS",
            _ => {
                out.push(if c.is_whitespace() { ' ' } else { c });
                continue;
            }
        };
        out.push_str(replacement);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The rows of one registration's interests: (party key, side, role, controlled, PR, MR, SR).
pub fn interest_rows(work: &Work) -> Vec<(String, &'static str, String, i64, i64, i64, i64)> {
    work.interests
        .iter()
        .map(|i| {
            let side = if i.role.is_publisher() { "publisher" } else { "writer" };
            (
                i.party.as_str().to_owned(),
                side,
                i.role.code().to_owned(),
                i64::from(i.controlled),
                i64::from(i.ownership.performing.scaled()),
                i64::from(i.ownership.mechanical.scaled()),
                i64::from(i.ownership.synchronisation.scaled()),
            )
        })
        .collect()
}

pub fn role(side: &str, code: String) -> Role {
    if side == "publisher" { Role::Publisher(code) } else { Role::Writer(code) }
}

pub fn party_kind(text: &str) -> PartyKind {
    match text {
        "publisher" => PartyKind::Publisher,
        "performer" => PartyKind::Performer,
        "producer" => PartyKind::Producer,
        _ => PartyKind::Writer,
    }
}

pub fn right_type(text: &str) -> Option<RightType> {
    RightType::ALL.into_iter().find(|r| r.abbreviation() == text)
}

/// Keeps the last write per key, in first-seen order: a batch may register and then revise the same work,
/// and one statement must not touch a row twice.
pub fn last_per_key<T, K: std::hash::Hash + Eq + Clone>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut order: Vec<&T> = Vec::new();
    for item in items {
        let k = key(item);
        match index.get(&k) {
            Some(&i) => order[i] = item,
            None => {
                index.insert(k, order.len());
                order.push(item);
            }
        }
    }
    order
}

pub fn registration_key(r: &RegistrationWrite) -> (String, String) {
    (r.reference.submitter.clone(), r.reference.submitter_work_number.clone())
}

pub fn party_key(p: &Party) -> String {
    p.key.as_str().to_owned()
}

mod books;
mod disclosures;
mod distribution;
mod licensing;
mod recordings;
mod repertoire;
pub mod sql;

#[cfg(test)]
mod document_tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: String,
    }

    #[test]
    fn a_document_carries_its_version_and_reads_back_strictly() {
        let doc = Doc { name: "Songfox".into() };
        let text = to_json(&doc);
        assert_eq!(text, r#"{"v":1,"name":"Songfox"}"#);
        assert_eq!(json::<Doc>(&text, "doc").unwrap(), doc, "the version is not a field of the document");
        assert_eq!(to_json(&Vec::<u32>::new()), "[]", "only objects are documents");
        assert_eq!(to_json(&std::collections::BTreeMap::<String, u32>::new()), r#"{"v":1}"#);
        assert!(json::<std::collections::BTreeMap<String, u32>>(r#"{"v":1}"#, "map").unwrap().is_empty());
    }

    #[test]
    fn a_document_reads_back_as_postgresql_jsonb_writes_it() {
        assert_eq!(json::<Doc>(r#"{"v": 1, "name": "Songfox"}"#, "doc").unwrap(), Doc { name: "Songfox".into() });
        assert_eq!(json::<std::collections::BTreeMap<String, u32>>(r#"{"v": 1}"#, "map").unwrap().len(), 0);
        let first: std::collections::BTreeMap<String, u32> = json(r#"{"a": 7, "v": 1}"#, "map").unwrap();
        assert_eq!(first.into_iter().collect::<Vec<_>>(), vec![("a".to_owned(), 7)], "a key sorted before v");
        let newer = json::<Doc>(r#"{"a": 1, "v": 2}"#, "doc").unwrap_err().to_string();
        assert!(newer.contains("document version 2"), "{newer}");
    }

    #[test]
    fn a_document_from_before_versioning_reads_and_one_from_a_newer_tantiem_is_refused() {
        assert_eq!(json::<Doc>(r#"{"name":"Old"}"#, "doc").unwrap(), Doc { name: "Old".into() });
        let newer = json::<Doc>(r#"{"v":2,"name":"New"}"#, "licensee").unwrap_err().to_string();
        assert!(newer.contains("licensee: written by a newer Tantiem (document version 2"), "{newer}");
        assert!(json::<Doc>(r#"{"v":1,"name":"X","extra":1}"#, "doc").is_err(), "unknown fields stay refused");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_finds_nordic_names() {
        assert_eq!(fold("Sørensen  Ålander"), "SORENSEN ALANDER");
        assert_eq!(fold("Þórður Æsa"), "THORDUR AESA");
        assert_eq!(fold("straße"), "STRASSE");
    }

    #[test]
    fn last_write_per_key_wins_in_first_seen_order() {
        let items = [("a", 1), ("b", 2), ("a", 3)];
        let kept: Vec<_> = last_per_key(&items, |i| i.0).into_iter().copied().collect();
        assert_eq!(kept, vec![("a", 3), ("b", 2)]);
    }
}
