//! Sound recordings as the society knows them, merged from every source that describes them (DDEX ERN
//! messages from labels and distributors, CWR REC records from publishers, the society's own staff), each
//! field keeping where it came from; and the releases they appear on. One recording per ISRC; a recording
//! a message gives no ISRC is keyed by its proprietary id.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::Origin;
use crate::identifiers::Isrc;

/// A value and where it came from (`ERN W83814161 from Warner Music Group, 2017-04-25`, `operator alice`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: &str) -> Self {
        Sourced { value, source: source.to_owned() }
    }
}

/// Someone who took part in a recording, or (indirect) in the work recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingContributor {
    pub name: String,
    pub roles: Vec<String>,
    pub indirect: bool,
}

/// A sound recording with each field's source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoundRecording {
    /// The ISRC, or `namespace:id` for a recording delivered without one.
    pub key: String,
    pub isrc: Option<Isrc>,
    pub title: Option<Sourced<String>>,
    pub subtitle: Option<Sourced<String>>,
    pub display_artists: Option<Sourced<Vec<String>>>,
    pub contributors: Option<Sourced<Vec<RecordingContributor>>>,
    pub duration_seconds: Option<Sourced<u32>>,
    pub label: Option<Sourced<String>>,
    pub p_line: Option<Sourced<String>>,
    /// Human, AI-assisted, fully AI-generated or unknown: settable by operators.
    pub origin: Sourced<Origin>,
    /// Keys of the releases it appears on.
    pub releases: Vec<String>,
    /// Withdrawn by a purge of the only release it was on.
    pub withdrawn: bool,
    /// The creation time of the last message that updated it (older updates are ignored).
    pub updated_by_message: Option<DateTime<FixedOffset>>,
}

impl SoundRecording {
    pub fn new(key: &str, isrc: Option<Isrc>) -> SoundRecording {
        SoundRecording {
            key: key.to_owned(),
            isrc,
            title: None,
            subtitle: None,
            display_artists: None,
            contributors: None,
            duration_seconds: None,
            label: None,
            p_line: None,
            origin: Sourced::new(Origin::Unknown, "default"),
            releases: Vec::new(),
            withdrawn: false,
            updated_by_message: None,
        }
    }
}

/// A release (album, single, DJ mix) and its recordings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// ICPN, else GRid, else `namespace:id`.
    pub key: String,
    pub icpn: Option<String>,
    pub grid: Option<String>,
    pub title: String,
    pub label: Option<String>,
    /// Keys of its recordings, in order.
    pub tracks: Vec<String>,
    pub withdrawn: bool,
    pub source: String,
    pub updated_by_message: DateTime<FixedOffset>,
}
