//! Training disclosures: what a licensee says a model version trained on. Tantiem's *training manifest*
//! (one line per training item, as CSV, JSON Lines or Parquet; `docs/disclosures.md`), its JSON form of the
//! AI Office's *public summary* template (sections 1.1–3.3), and MLCommons *Croissant* dataset metadata.
//!
//! The manifest readers stream: each item goes to a sink as it is read, so a manifest of tens of millions
//! of items needs memory for one line (for Parquet, one row group). Every problem is a [`Diagnostic`] with
//! its line (or row); a disclosure with any error is rejected whole by the engine.

pub mod chromaprint;
pub mod croissant;
mod manifest;
pub mod summary;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::{Isrc, Iswc};
use serde::{Deserialize, Serialize};

pub use manifest::{read_manifest, read_manifest_parquet};

use crate::Diagnostic;

/// The value of the `format` member that names a manifest's JSON Lines header (optional).
pub const MANIFEST_FORMAT: &str = "tantiem-training-manifest/1";

/// The encodings a manifest can arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ManifestFormat {
    Csv,
    JsonLines,
    Parquet,
}

/// What a disclosure file is, told from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisclosureFileKind {
    Manifest(ManifestFormat),
    /// A JSON document: an AI Act summary or Croissant metadata, told apart once read whole.
    Document,
}

impl DisclosureFileKind {
    /// Tells a file's kind from its first bytes (up to 64 KiB): Parquet by its magic number; a JSON
    /// object on a line of its own is a line of a JSON Lines manifest; JSON spread over lines is a document;
    /// anything else is read as CSV if its first line names a manifest column.
    pub fn detect(head: &[u8]) -> Option<DisclosureFileKind> {
        if head.starts_with(b"PAR1") {
            return Some(DisclosureFileKind::Manifest(ManifestFormat::Parquet));
        }
        let text = String::from_utf8_lossy(head);
        let text = text.trim_start_matches('\u{feff}').trim_start();
        let first = text.lines().next().unwrap_or("").trim();
        if first.starts_with('{') {
            return match serde_json::from_str::<serde_json::Value>(first) {
                Ok(serde_json::Value::Object(o)) if o.contains_key("@context") || is_summary(&o) => {
                    Some(DisclosureFileKind::Document)
                }
                Ok(serde_json::Value::Object(_)) => Some(DisclosureFileKind::Manifest(ManifestFormat::JsonLines)),
                // A first line longer than the head (an item with a long fingerprint, or a document on one
                // line) is told by what it names.
                _ if !text.contains('\n') => {
                    Some(if text.contains("\"@context\"") || text.contains(summary::FORMAT_NAME) {
                        DisclosureFileKind::Document
                    } else {
                        DisclosureFileKind::Manifest(ManifestFormat::JsonLines)
                    })
                }
                _ => Some(DisclosureFileKind::Document),
            };
        }
        let known = manifest::header_columns(first);
        (known > 0).then_some(DisclosureFileKind::Manifest(ManifestFormat::Csv))
    }
}

fn is_summary(object: &serde_json::Map<String, serde_json::Value>) -> bool {
    object.get("format").and_then(|f| f.as_str()) == Some(summary::FORMAT_NAME)
}

/// One training item, as the manifest gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestItem {
    /// The 1-based line (CSV, JSON Lines) or row (Parquet) it was read from.
    pub line: u64,
    /// The licensee's own id for the item, if it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// As written, reduced to its characters (upper case, no hyphens): kept even when not well formed,
    /// since a mistyped ISRC still helps to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isrc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iswc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artists: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<u32>,
    /// The dataset or web domain it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquired_on: Option<NaiveDate>,
    /// SHA-256 of the audio file, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_sha256: Option<String>,
    /// A raw Chromaprint fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chromaprint: Option<Vec<u32>>,
}

impl ManifestItem {
    pub fn has_valid_isrc(&self) -> bool {
        self.isrc.as_deref().is_some_and(|i| Isrc::parse(i).is_ok())
    }

    pub fn has_valid_iswc(&self) -> bool {
        self.iswc.as_deref().is_some_and(|i| Iswc::parse(i).is_ok())
    }

    /// Whether the item can be identified, in our repertoire or anyone's: a valid identifier, a
    /// fingerprint, or title, artist and duration together.
    pub fn is_identifiable(&self) -> bool {
        self.has_valid_isrc()
            || self.has_valid_iswc()
            || self.chromaprint.as_ref().is_some_and(|c| !c.is_empty())
            || (self.title.is_some() && !self.artists.is_empty() && self.duration_s.is_some())
    }
}

/// How many distinct sources a manifest's statistics name one by one; the rest are counted together (and
/// cannot be checked against what the summary declares).
pub const MAX_SOURCES_LISTED: usize = 100_000;

/// A source as written, reduced for counting and comparing: lower case, without a scheme, `www.` or a
/// trailing slash, so `https://www.Example.org/` and `example.org` are one source.
pub fn source_key(text: &str) -> String {
    let t = text.trim().to_lowercase();
    let t = t.strip_prefix("https://").or_else(|| t.strip_prefix("http://")).unwrap_or(&t);
    let t = t.strip_prefix("www.").unwrap_or(t);
    t.trim_end_matches('/').to_owned()
}

/// What a manifest holds, counted as it is read: what the transparency assessment weighs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestStats {
    pub items: u64,
    pub identifiable: u64,
    pub with_valid_isrc: u64,
    pub with_valid_iswc: u64,
    pub with_fingerprint: u64,
    pub with_title_artist_duration: u64,
    pub with_duration: u64,
    pub with_source: u64,
    /// The sum of the items' durations, in seconds.
    pub duration_s_total: u64,
    /// Items per source (by [`source_key`], at most [`MAX_SOURCES_LISTED`] named), and items from sources
    /// beyond those.
    pub sources: BTreeMap<String, u64>,
    pub sources_unlisted: u64,
    pub acquired_first: Option<NaiveDate>,
    pub acquired_last: Option<NaiveDate>,
}

impl ManifestStats {
    pub fn add(&mut self, item: &ManifestItem) {
        self.items += 1;
        self.identifiable += u64::from(item.is_identifiable());
        self.with_valid_isrc += u64::from(item.has_valid_isrc());
        self.with_valid_iswc += u64::from(item.has_valid_iswc());
        self.with_fingerprint += u64::from(item.chromaprint.as_ref().is_some_and(|c| !c.is_empty()));
        self.with_title_artist_duration +=
            u64::from(item.title.is_some() && !item.artists.is_empty() && item.duration_s.is_some());
        if let Some(d) = item.duration_s {
            self.with_duration += 1;
            self.duration_s_total += u64::from(d);
        }
        if let Some(source) = &item.source {
            self.with_source += 1;
            self.count_source(&source_key(source), 1);
        }
        if let Some(day) = item.acquired_on {
            self.acquired_first = Some(self.acquired_first.map_or(day, |d| d.min(day)));
            self.acquired_last = Some(self.acquired_last.map_or(day, |d| d.max(day)));
        }
    }

    fn count_source(&mut self, source: &str, n: u64) {
        if let Some(mine) = self.sources.get_mut(source) {
            *mine += n;
        } else if self.sources.len() < MAX_SOURCES_LISTED {
            self.sources.insert(source.to_owned(), n);
        } else {
            self.sources_unlisted += n;
        }
    }

    /// Adds another manifest's counts (a disclosure may have several manifest files).
    pub fn merge(&mut self, other: &ManifestStats) {
        self.items += other.items;
        self.identifiable += other.identifiable;
        self.with_valid_isrc += other.with_valid_isrc;
        self.with_valid_iswc += other.with_valid_iswc;
        self.with_fingerprint += other.with_fingerprint;
        self.with_title_artist_duration += other.with_title_artist_duration;
        self.with_duration += other.with_duration;
        self.with_source += other.with_source;
        self.duration_s_total += other.duration_s_total;
        for (source, n) in &other.sources {
            self.count_source(source, *n);
        }
        self.sources_unlisted += other.sources_unlisted;
        for day in [other.acquired_first, other.acquired_last].into_iter().flatten() {
            self.acquired_first = Some(self.acquired_first.map_or(day, |d| d.min(day)));
            self.acquired_last = Some(self.acquired_last.map_or(day, |d| d.max(day)));
        }
    }
}

/// The errors that stop a document (a summary or Croissant file) from being read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DocumentError(pub Diagnostic);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_by_their_first_bytes() {
        use DisclosureFileKind::*;
        assert_eq!(DisclosureFileKind::detect(b"PAR1\x15\x04"), Some(Manifest(ManifestFormat::Parquet)));
        assert_eq!(DisclosureFileKind::detect(b"isrc,title,artists\n"), Some(Manifest(ManifestFormat::Csv)));
        assert_eq!(DisclosureFileKind::detect(b"\xef\xbb\xbfTitle;Artist\n"), Some(Manifest(ManifestFormat::Csv)));
        assert_eq!(
            DisclosureFileKind::detect(b"{\"isrc\": \"GBAYC1700598\", \"title\": \"x\"}\n{}"),
            Some(Manifest(ManifestFormat::JsonLines))
        );
        assert_eq!(DisclosureFileKind::detect(b"{\n  \"@context\": {}\n}"), Some(Document));
        assert_eq!(
            DisclosureFileKind::detect(b"{\"format\": \"tantiem-ai-act-summary/1\", \"provider\": {}}"),
            Some(Document)
        );
        // A first item longer than the head is cut off: still JSON Lines; a document on one line is not.
        assert_eq!(
            DisclosureFileKind::detect(b"{\"title\": \"x\", \"chromaprint\": \"AQAAT0mUaEkSRZEGAAAA"),
            Some(Manifest(ManifestFormat::JsonLines))
        );
        assert_eq!(DisclosureFileKind::detect(b"{\"@context\": {\"@vocab\": \"https://schema.org/"), Some(Document));
        assert_eq!(DisclosureFileKind::detect(b"<xml/>"), None);
    }
}
