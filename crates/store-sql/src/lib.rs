//! The SQL that the SQLite and PostgreSQL stores share. Both schemas use the same table and column names
//! and the same portable types (TEXT, BIGINT; timestamps as RFC 3339 text, documents as JSON text), so
//! every query is written once here, in [`impl_store!`], and expanded in each backend crate against its
//! own pool type. Each backend owns its migrations and may replace a method where its database offers
//! something better.
//!
//! Architecture invariant: nothing here opens a connection or runs a migration; this crate only knows how
//! to turn the engine's store calls into SQL and rows back into domain values.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{Iswc, Origin, Party, PartyKind, RightType, Role, Work};
use engine::store::{RegistrationRef, RegistrationStatus, RegistrationWrite, StoreError};
use money::Share;

pub use backend::{Backend, Cell};

#[doc(hidden)]
pub use {async_trait, chrono, domain, engine, ledger, matching, money, serde, serde_json, sqlx};

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

/// A document's version and its body without the version (0 for one written before versioning).
fn document_version(text: &str) -> (u32, std::borrow::Cow<'_, str>) {
    if let Some(rest) = text.strip_prefix("{\"v\":") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Ok(version) = rest[..digits].parse::<u32>() {
            match rest.as_bytes().get(digits) {
                Some(b',') => return (version, std::borrow::Cow::Owned(format!("{{{}", &rest[digits + 1..]))),
                Some(b'}') => return (version, std::borrow::Cow::Borrowed("{}")),
                _ => {}
            }
        }
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

/// Builds a [`RegistrationRef`] from its columns.
#[allow(clippy::too_many_arguments)]
pub fn registration_ref(
    work_code: String,
    submitter: String,
    submitter_work_number: String,
    content_hash: String,
    status: String,
    primary: i64,
    iswc: Option<String>,
    controlled_pr: i64,
    controlled_mr: i64,
) -> Result<RegistrationRef, StoreError> {
    Ok(RegistrationRef {
        primary: primary != 0,
        work_code,
        submitter,
        submitter_work_number,
        content_hash,
        status: parse_status(&status)?,
        iswc: parse_iswc(iswc)?,
        controlled_performing: share(controlled_pr)?,
        controlled_mechanical: share(controlled_mr)?,
    })
}

mod backend;
mod disclosure_impl;
mod licensing_impl;
mod recordings_impl;
mod store_impl;

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
