//! Audio fingerprints, with no database knowledge: decoding (WAV, FLAC, MP3, Ogg Vorbis, through Symphonia),
//! and Chromaprint fingerprints (the `rusty-chromaprint` port, algorithm TEST2, the one `fpcalc` uses by
//! default), bit-identical to `fpcalc -raw -length 0` on the same 11025 Hz mono input. Chromaprint downmixes
//! to mono and resamples to 11025 Hz itself.
//!
//! Opus is not decoded: no pure-Rust Opus decoder is well kept yet (Symphonia has none; the young crates
//! that do it are a few months old), so an Opus file gets a clear error.
//!
//! Architecture invariant: pure computation over bytes and samples; no store, no clock.

mod decode;
pub mod landmarks;
mod postings;
pub mod recognise;
pub mod recogniser;

pub use decode::{Audio, AudioError, decode_file, decode_reader};
use rusty_chromaprint::{Configuration, Fingerprinter};
use serde::Serialize;

/// Which fingerprint found a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Chromaprint,
    Landmarks,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Chromaprint => "chromaprint",
            Method::Landmarks => "landmarks",
        }
    }
}

/// A recording found in a query, by either fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub key: String,
    pub method: Method,
    /// The method's own measure, 0 to 1: for Chromaprint the share of aligned items that agree, for the
    /// spectral peaks the share of the query's peak moments whose triplets agree in time and pitch.
    pub confidence: f64,
    /// The confidence over the threshold it was asked for: 1 or more; ranks matches of both methods.
    pub strength: f64,
    /// Where the match starts in the query and in the recording, in seconds.
    pub query_offset_seconds: f64,
    pub reference_offset_seconds: f64,
    pub matched_seconds: f64,
    /// Whether the match covers most (90%) of the recording: the file is the recording.
    pub whole: bool,
    pub explanation: String,
}

/// Rates matches against their method's threshold: drops those below it and sets the others' strength.
fn rated(found: impl IntoIterator<Item = Match>, threshold: f64) -> impl Iterator<Item = Match> {
    found
        .into_iter()
        .filter(move |m| m.confidence >= threshold)
        .map(move |m| Match { strength: m.confidence / threshold.max(f64::EPSILON), ..m })
}

/// Each recording's strongest match, strongest first, at most `top`.
fn strongest(found: impl IntoIterator<Item = Match>, top: usize) -> Vec<Match> {
    let mut out: Vec<Match> = found.into_iter().collect();
    out.sort_by(|a, b| b.strength.total_cmp(&a.strength).then(a.key.cmp(&b.key)));
    let mut seen = std::collections::HashSet::new();
    out.retain(|m| seen.insert(m.key.clone()));
    out.truncate(top);
    out
}

/// The sample rate Chromaprint works at.
pub const CHROMAPRINT_RATE: u32 = 11_025;

/// Seconds of audio one Chromaprint item covers (1365 samples at 11025 Hz).
pub fn item_seconds() -> f64 {
    f64::from(Configuration::preset_test2().item_duration_in_seconds())
}

/// Playback-rate factors a query is also fingerprinted at, so a recording sped up or pitched by a few
/// percent is still found: fingerprinting audio as if its rate were `rate / factor` undoes a speed change
/// exactly, and a pitch change up to a tempo drift the recogniser's segment alignment absorbs.
pub const QUERY_FACTORS: [f64; 7] = [0.97, 0.98, 0.99, 1.0, 1.01, 1.02, 1.03];

/// The query's fingerprints at each of [`QUERY_FACTORS`] (the first is the unchanged one).
pub fn query_fingerprints(audio: &Audio) -> Result<Vec<Vec<u32>>, AudioError> {
    let mut out = vec![chromaprint(audio)?];
    for factor in QUERY_FACTORS.iter().filter(|f| **f != 1.0) {
        // The same samples declared at another rate: Chromaprint resamples them (no copy of the audio).
        let rate = (f64::from(audio.sample_rate) / factor).round() as u32;
        out.push(fingerprint_samples(rate, audio.channels, &audio.samples)?);
    }
    Ok(out)
}

/// The raw Chromaprint fingerprint (algorithm TEST2) of decoded audio, as `fpcalc -raw` prints it.
pub fn chromaprint(audio: &Audio) -> Result<Vec<u32>, AudioError> {
    fingerprint_samples(audio.sample_rate, audio.channels, &audio.samples)
}

/// Chromaprint of interleaved samples at a rate.
fn fingerprint_samples(sample_rate: u32, channels: u16, samples: &[i16]) -> Result<Vec<u32>, AudioError> {
    if channels == 0 || sample_rate == 0 || !samples.len().is_multiple_of(usize::from(channels)) {
        return Err(AudioError::Damaged(format!(
            "{} samples cannot be {channels} interleaved channels at {sample_rate} Hz",
            samples.len()
        )));
    }
    // A fresh fingerprinter per file: one reused across files would keep the previous file's resampler.
    let mut printer = Fingerprinter::new(&Configuration::preset_test2());
    printer
        .start(sample_rate, u32::from(channels))
        .map_err(|e| AudioError::Unsupported(format!("Chromaprint cannot take this audio: {e:?}")))?;
    printer.consume(samples);
    printer.finish();
    Ok(printer.fingerprint().to_vec())
}
