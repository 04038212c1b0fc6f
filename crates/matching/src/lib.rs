//! Matching training-disclosure items to the repertoire. Each item a licensee says it trained on is matched
//! to a repertoire recording and its works, or to a work alone (a cover, a live version or a remix is the
//! same work but another recording), with the method that decided it (ISRC, ISWC, audio fingerprint or
//! metadata), a score and an explanation a person can check; or it is *ambiguous*, with its candidates for
//! a person to decide; or *unmatched*.
//!
//! Metadata matching survives what real metadata does (case, diacritics, Nordic transliteration, "feat."
//! credits, "Remastered" suffixes, typos, artist order, "The", mistyped or missing ISRCs, durations off by
//! seconds or missing) and keeps apart what must stay apart: songs that share a common title, and a live or
//! remixed recording and the studio one. Candidates are blocked by ISRC, artist (exact, and one typo away)
//! and title, so the work per item does not grow with the repertoire; batches are matched in parallel and
//! the outcome of each item depends on that item and the repertoire alone, so every run is deterministic.
//!
//! Architecture invariant: no database, no file format, no clock. The repertoire comes in as entries, audio
//! evidence through the [`AudioLookup`] trait (the engine answers it from its fingerprint index), and
//! outcomes go out as values; keeping them, and people's decisions, is the engine's business.

mod matcher;
mod normalise;
mod repertoire;
mod similarity;

use serde::{Deserialize, Serialize};

pub use matcher::{Matcher, Thresholds};
pub use repertoire::{Repertoire, RepertoireBuilder, RepertoireSize};

/// A recording of the repertoire as the matcher needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingEntry {
    /// The store's key of the recording (its ISRC, or `namespace:id`).
    pub key: String,
    pub isrc: Option<String>,
    pub title: String,
    /// A version title or subtitle kept apart from the title ("Live", "Radio Edit").
    pub version: Option<String>,
    /// The display artists, each as credited (one may itself be "A & B").
    pub artists: Vec<String>,
    pub duration_s: Option<u32>,
    /// Codes of the works the recording records.
    pub works: Vec<String>,
}

/// A work of the repertoire as the matcher needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkEntry {
    pub code: String,
    /// The title first, then alternate titles.
    pub titles: Vec<String>,
    pub iswc: Option<String>,
    /// Writers' names as registered.
    pub writers: Vec<String>,
}

/// One training item as a manifest describes it: whatever the licensee has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub isrc: Option<String>,
    pub iswc: Option<String>,
    pub title: Option<String>,
    pub version: Option<String>,
    pub artists: Vec<String>,
    pub writers: Vec<String>,
    pub duration_s: Option<u32>,
    /// A raw Chromaprint fingerprint (algorithm TEST2), when the licensee sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Vec<u32>>,
}

/// What an audio fingerprint says about an item: the engine answers it from its fingerprint index.
pub trait AudioLookup: Sync {
    /// Recordings (by key) the fingerprint was found in, with a confidence in thousandths.
    fn identify(&self, fingerprint: &[u32]) -> Vec<(String, u16)>;
}

/// What decided a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Isrc,
    Iswc,
    Fingerprint,
    Metadata,
    /// A person decided (kept by the engine across re-matching).
    Decision,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Isrc => "isrc",
            Method::Iswc => "iswc",
            Method::Fingerprint => "fingerprint",
            Method::Metadata => "metadata",
            Method::Decision => "decision",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        [Method::Isrc, Method::Iswc, Method::Fingerprint, Method::Metadata, Method::Decision]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

/// A match: to a recording (and its works), or to works alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matched {
    pub recording: Option<String>,
    pub works: Vec<String>,
    pub method: Method,
    /// How sure, in thousandths (a match probability from the evidence's weights).
    pub score: u16,
    pub explanation: String,
}

/// A recording an ambiguous item may be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub recording: String,
    pub works: Vec<String>,
    pub score: u16,
    pub explanation: String,
}

/// What matching one item came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    Matched(Matched),
    Ambiguous { candidates: Vec<Candidate>, explanation: String },
    Unmatched { explanation: String },
}

impl Outcome {
    /// The recording matched, if the item was matched to one.
    pub fn recording(&self) -> Option<&str> {
        match self {
            Outcome::Matched(m) => m.recording.as_deref(),
            _ => None,
        }
    }
}

/// A stable identity of an item's identifying content (folded title, version markers, main artists in any
/// order, ISRC, valid ISWC, duration): the same item in a later manifest has the same identity, so a
/// person's decision on it survives re-submission and re-matching. 128 bits as 32 hex digits. Made by
/// [`Matcher::match_all_identified`] from what matching parsed anyway.
fn identity(
    title: &str,
    markers: normalise::Markers,
    main: &mut [&str],
    isrc: &str,
    iswc: &str,
    duration: Option<u32>,
) -> String {
    main.sort_unstable();
    let text = format!(
        "{title}\u{1}{markers}\u{1}{}\u{1}{isrc}\u{1}{iswc}\u{1}{}",
        main.join("\u{2}"),
        duration.map_or(String::new(), |d| d.to_string()),
    );
    format!("{:016x}{:016x}", identity_hash(text.as_bytes(), 0), identity_hash(text.as_bytes(), 0x5bd1_e995))
}

/// FNV-1a 64 from a seeded basis: the identities are stored (people's decisions are kept by them), so this
/// is its own function, never tuned with the indexes' hash. (Changing the normalisation changes them too:
/// that calls for re-keying the stored decisions.)
fn identity_hash(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325 ^ seed, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}
