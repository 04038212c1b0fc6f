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
