//! Generated audio for the fingerprint tests: seeded melodies, so no audio is stored in the repository and
//! every run hears the same samples.

use crate::SplitMix64;

/// The rate melodies are generated at (Chromaprint's own).
pub const MELODY_RATE: u32 = 11_025;

/// A melody at [`MELODY_RATE`], mono: a new note every quarter second (two octaves up from 220 Hz, with two
/// harmonics), drawn from `seed`; played `speed` times faster (pitch and tempo together, as a player running
/// fast does), with white noise at `noise` of full scale. Never repeats, so an excerpt has one place.
pub fn melody(seed: u64, seconds: f64, speed: f64, noise: f64) -> Vec<i16> {
    let rate = f64::from(MELODY_RATE);
    let mut rng = SplitMix64::new(seed);
    let notes: Vec<f64> =
        (0..=(seconds * 4.0) as usize).map(|_| 220.0 * 2f64.powf((rng.next_u64() % 24) as f64 / 12.0)).collect();
    (0..(seconds * rate / speed) as usize)
        .map(|i| {
            let at = i as f64 / rate;
            let frequency = notes[((at * speed * 4.0) as usize).min(notes.len() - 1)] * speed;
            let tone: f64 =
                (1..4).map(|h| (2.0 * std::f64::consts::PI * frequency * f64::from(h) * at).sin() / f64::from(h)).sum();
            let hiss = ((rng.next_u64() % 2_001) as f64 - 1_000.0) / 1_000.0 * noise;
            ((tone * 0.4 + hiss) * 16_000.0).clamp(-32_768.0, 32_767.0) as i16
        })
        .collect()
}
