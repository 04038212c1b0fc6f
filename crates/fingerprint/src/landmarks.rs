//! The second fingerprint, robust to pitch and speed changes by design: spectral peaks ("landmarks") in
//! the 300–3,400 Hz telephone band, hashed in triplets by what a change of a few percent in pitch or speed
//! leaves alone.
//!
//! A pitch change moves every peak by the same number of semitones, and a speed change does that and
//! stretches time by one factor. So a triplet of peaks (an anchor and two later partners) is hashed by the
//! ratio of its two time gaps, the partners' distances from the anchor in semitones, a coarse log of its
//! span and a coarse band of the anchor's pitch (looked up in the neighbouring band too when the anchor sits
//! near a band's edge). None of these moves with a few percent of pitch or speed; the band also survives
//! band-limiting to the telephone band, and the strongest peaks survive heavy noise.
//!
//! Matching collects, per recording, the hits `(query frame, recording frame, pitch difference)` and looks
//! for the speed `s` and offset `c` with the most hits on `t_recording = s · t_query + c`, then keeps those
//! that agree on the pitch difference. The explanation says the speed and pitch change it found.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use realfft::RealFftPlanner;

use crate::postings::{self, Postings};
use crate::{Audio, AudioError, Match, Method, rated, strongest};

/// Frames per second of the peak spectrogram: a hop of 256 samples at 11,025 Hz, whatever the input rate.
pub const FRAMES_PER_SECOND: f64 = 11_025.0 / 256.0;
const FLOOR_HZ: f64 = 300.0;
const CEILING_HZ: f64 = 3_400.0;
/// A peak's pitch is kept in tenths of a semitone above [`FLOOR_HZ`] (the band spans 420 of them).
const STEPS_PER_SEMITONE: f64 = 10.0;
/// A peak is the greatest value within this many bins (±32 Hz) and frames (about ±140 ms).
const NEIGHBOUR_BINS: usize = 3;
const NEIGHBOUR_FRAMES: usize = 6;
/// A peak is kept when fewer than this many stronger peaks lie within half a second of it.
const PEAKS_PER_SECOND: usize = 10;
/// Quieter than about −70 dBFS is silence, not a peak.
const SILENCE: f32 = 1.8;
/// An anchor pairs with the first [`FAN`] peaks after it within [`MAX_SPAN`] frames and two octaves.
const FAN: usize = 4;
const MAX_SPAN: u32 = 63;
const MAX_SEMITONES: i32 = 24;
/// Pitch bands of the anchor, in semitones.
const BAND_SEMITONES: i32 = 3;
/// How near (in steps) a query's anchor must be to its band's edge for the neighbouring band to be looked up
/// too. Only the band needs this: measured on the benchmark, the same tolerance on the time ratio, the span
/// and the semitones let in more chance hits from unregistered music than it recovered true ones.
const BAND_MARGIN: i32 = 6;
/// Bits of a triplet hash.
const HASH_BITS: u32 = 22;
/// Hashes this common (silence, steady tones) do not vote.
const MAX_POSTINGS: usize = 5_000;
/// The recordings with the most hits that are aligned.
const CANDIDATES: usize = 20;
/// The least number of query moments (frames with a peak) a confidence is taken over.
const EVIDENCE: usize = 50;

/// A peak packed as `frame << 10 | pitch` (pitch in tenths of a semitone above 300 Hz).
pub type Peak = u32;

fn frame_of(p: Peak) -> u32 {
    p >> 10
}

fn pitch_of(p: Peak) -> i32 {
    (p & 0x3FF) as i32
}

/// The spectral peaks of decoded audio, in time order: the second fingerprint, stored beside Chromaprint's.
pub fn peaks(audio: &Audio) -> Result<Vec<Peak>, AudioError> {
    if audio.channels == 0 || !(8_000..=384_000).contains(&audio.sample_rate) {
        return Err(AudioError::Unsupported(format!(
            "{} Hz × {} channels: spectral peaks need 8,000 to 384,000 Hz and one channel or more; convert the file first",
            audio.sample_rate, audio.channels
        )));
    }
    let spectrogram = Spectrogram::of(audio);
    Ok(spectrogram.peaks())
}

/// Log power per frame over the band's bins.
struct Spectrogram {
    values: Vec<f32>,
    bins: usize,
    frames: usize,
    first_bin: usize,
    bin_hz: f64,
}

impl Spectrogram {
    fn of(audio: &Audio) -> Spectrogram {
        let channels = usize::from(audio.channels);
        let length = audio.samples.len() / channels;
        let rate = f64::from(audio.sample_rate);
        // 93 ms a frame at any rate (1,024 samples at 11,025 Hz), so bins are 10.77 Hz wide whatever the input.
        let size = (rate * 1024.0 / 11_025.0).round() as usize;
        let hop = rate / FRAMES_PER_SECOND;
        let bin_hz = rate / size as f64;
        let first_bin = (FLOOR_HZ / bin_hz).ceil() as usize;
        let last_bin = ((CEILING_HZ / bin_hz).floor() as usize).min(size / 2);
        let bins = last_bin.saturating_sub(first_bin) + 1;
        if length < size {
            return Spectrogram { values: Vec::new(), bins, frames: 0, first_bin, bin_hz };
        }
        let frames = ((length - size) as f64 / hop) as usize + 1;
        // Mixed down to mono frame by frame, not copied whole: long audio would double its memory.
        let mono = |i: usize| {
            audio.samples[i * channels..(i + 1) * channels].iter().map(|s| f32::from(*s)).sum::<f32>() / channels as f32
        };
        let window: Vec<f32> = (0..size)
            .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / size as f64).cos()) as f32)
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        let (mut input, mut output) = (fft.make_input_vec(), fft.make_output_vec());
        let scale = 1.0 / size as f32;
        let mut values = Vec::with_capacity(frames * bins);
        for f in 0..frames {
            let start = (f as f64 * hop).round() as usize;
            for (i, x) in input.iter_mut().enumerate() {
                *x = if start + i < length { mono(start + i) * window[i] } else { 0.0 };
            }
            // The sizes are the planner's own, so processing cannot fail.
            let _ = fft.process(&mut input, &mut output);
            values.extend(output[first_bin..first_bin + bins].iter().map(|c| ((c * scale).norm_sqr() + 1e-9).ln()));
        }
        Spectrogram { values, bins, frames, first_bin, bin_hz }
    }

    fn at(&self, frame: usize, bin: usize) -> f32 {
        self.values[frame * self.bins + bin]
    }

    /// Local maxima over a neighbourhood, thinned to the strongest few per second, as packed peaks.
    fn peaks(&self) -> Vec<Peak> {
        let (frames, bins) = (self.frames, self.bins);
        // The neighbourhood maximum, separably: over bins, then over frames.
        let mut over_bins = vec![f32::MIN; frames * bins];
        for f in 0..frames {
            for b in 0..bins {
                let (lo, hi) = (b.saturating_sub(NEIGHBOUR_BINS), (b + NEIGHBOUR_BINS).min(bins - 1));
                over_bins[f * bins + b] = (lo..=hi).map(|x| self.at(f, x)).fold(f32::MIN, f32::max);
            }
        }
        let mut found: Vec<(u32, f32, Peak)> = Vec::new();
        for f in 0..frames {
            let (lo, hi) = (f.saturating_sub(NEIGHBOUR_FRAMES), (f + NEIGHBOUR_FRAMES).min(frames - 1));
            for b in 1..bins.saturating_sub(1) {
                let value = self.at(f, b);
                // Strictly above what comes before and at least what comes after: a held note peaks once.
                let earlier = (lo..f).any(|g| over_bins[g * bins + b] >= value);
                if value < SILENCE || earlier || (f..=hi).any(|g| over_bins[g * bins + b] > value) {
                    continue;
                }
                if let Some(pitch) = self.pitch(f, b) {
                    found.push((f as u32, value, (f as u32) << 10 | pitch));
                }
            }
        }
        thin(&found)
    }

    /// The peak's pitch in steps above [`FLOOR_HZ`], from its bin refined by a parabola through its
    /// neighbours' log power.
    fn pitch(&self, frame: usize, bin: usize) -> Option<u32> {
        let (l, c, r) = (self.at(frame, bin - 1), self.at(frame, bin), self.at(frame, bin + 1));
        let denominator = l - 2.0 * c + r;
        let delta = if denominator.abs() > f32::EPSILON { (0.5 * (l - r) / denominator).clamp(-0.5, 0.5) } else { 0.0 };
        let hz = (self.first_bin + bin) as f64 * self.bin_hz + f64::from(delta) * self.bin_hz;
        let steps = (12.0 * (hz / FLOOR_HZ).log2() * STEPS_PER_SEMITONE).round();
        (0.0..1024.0).contains(&steps).then_some(steps as u32)
    }
}

/// Keeps a peak when fewer than [`PEAKS_PER_SECOND`] stronger ones lie within half a second of it: the same
/// rule wherever a query starts, unlike fixed blocks.
fn thin(found: &[(u32, f32, Peak)]) -> Vec<Peak> {
    let half = (FRAMES_PER_SECOND / 2.0) as u32;
    let mut kept = Vec::new();
    let mut start = 0;
    for (i, (frame, value, peak)) in found.iter().enumerate() {
        while found[start].0 + half < *frame {
            start += 1;
        }
        let stronger = found[start..]
            .iter()
            .take_while(|(g, _, _)| *g <= frame + half)
            .enumerate()
            .filter(|(j, (_, v, _))| *v > *value || (*v == *value && start + j < i))
            .count();
        if stronger < PEAKS_PER_SECOND {
            kept.push(*peak);
        }
    }
    kept
}

/// A triplet's hash and its anchor.
#[derive(Debug, Clone, Copy)]
struct Triplet {
    hash: u32,
    anchor: Peak,
}

/// The triplets of a peak list. With `tolerant` (queries), an anchor near the edge of its pitch band also
/// gives the hash in the neighbouring band: a pitch change of a few percent moves it by up to a sixth of one.
fn triplets(peaks: &[Peak], tolerant: bool, mut each: impl FnMut(Triplet)) {
    let band_steps = BAND_SEMITONES * STEPS_PER_SEMITONE as i32;
    for (i, anchor) in peaks.iter().enumerate() {
        let (t0, p0) = (frame_of(*anchor), pitch_of(*anchor));
        let (band, within) = (p0 / band_steps, p0 % band_steps);
        let neighbour = match () {
            _ if tolerant && within < BAND_MARGIN => Some(band - 1),
            _ if tolerant && within > band_steps - BAND_MARGIN => Some(band + 1),
            _ => None,
        };
        // The first FAN later peaks within the span and two octaves, without allocating.
        let mut partners = [0 as Peak; FAN];
        let mut found = 0;
        for p in peaks[i + 1..].iter().take_while(|p| frame_of(**p) <= t0 + MAX_SPAN) {
            if frame_of(*p) > t0 && (pitch_of(*p) - p0).abs() <= MAX_SEMITONES * 10 {
                partners[found] = *p;
                found += 1;
                if found == FAN {
                    break;
                }
            }
        }
        let partners = &partners[..found];
        for (a, first) in partners.iter().enumerate() {
            for second in &partners[a + 1..] {
                let (ta, tb) = (frame_of(*first) - t0, frame_of(*second) - t0);
                if ta >= tb {
                    continue;
                }
                // 3 bits of time-gap ratio, 3 of log₂ span (1 to 5), 6 and 6 of semitones from the anchor (0 to 48).
                let semitones =
                    |p: Peak| (f64::from(pitch_of(p) - p0) / STEPS_PER_SEMITONE + 0.5).floor() as i32 + MAX_SEMITONES;
                let shape = (8 * ta / tb) << 15
                    | (31 - tb.leading_zeros()) << 12
                    | (semitones(*first) as u32) << 6
                    | semitones(*second) as u32;
                // And 4 bits of the anchor's band.
                for b in std::iter::once(band).chain(neighbour).filter(|b| (0..16).contains(b)) {
                    each(Triplet { hash: (b as u32) << 18 | shape, anchor: *anchor });
                }
            }
        }
    }
}

/// A recording's peaks to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub key: String,
    pub peaks: Vec<Peak>,
}

/// The triplet index: for each hash, the recordings and anchors that give it.
#[derive(Debug, Default)]
pub struct Index {
    keys: Vec<String>,
    /// Each recording's length in frames.
    frames: Vec<u32>,
    /// Triplet hash → `recording << 32 | anchor peak`.
    postings: Postings,
}

/// One query triplet's hit: (query frame, recording frame, pitch difference in steps).
type Hit = (i32, i32, i32);

impl Index {
    pub fn build(references: Vec<Reference>) -> Index {
        let postings = Postings::build(1 << HASH_BITS, |emit| {
            for (r, reference) in references.iter().enumerate() {
                triplets(&reference.peaks, false, |t| emit(t.hash, (r as u64) << 32 | u64::from(t.anchor)));
            }
        });
        Index {
            frames: references.iter().map(|r| r.peaks.last().map_or(0, |p| frame_of(*p) + 1)).collect(),
            keys: references.into_iter().map(|r| r.key).collect(),
            postings,
        }
    }

    /// Writes the index in its binary form (read back by [`Index::read`]).
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        postings::write_u64(w, self.keys.len() as u64)?;
        for key in &self.keys {
            postings::write_string(w, key)?;
        }
        postings::write_u32s(w, &self.frames)?;
        self.postings.write(w)
    }

    pub fn read(r: &mut dyn Read) -> io::Result<Index> {
        let count = postings::read_u64(r)?;
        let mut keys = Vec::new();
        for _ in 0..count {
            keys.push(postings::read_string(r)?);
        }
        let frames = postings::read_u32s(r)?;
        let postings = Postings::read(r)?;
        // Every posting must name a recording that exists, or a match would index out of bounds.
        let fits = (0..1u32 << HASH_BITS).flat_map(|h| postings.get(h)).all(|e| ((e >> 32) as usize) < keys.len());
        if frames.len() != keys.len() || !fits {
            return Err(postings::damaged("a landmark posting names a recording that is not there"));
        }
        Ok(Index { keys, frames, postings })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The index's size in memory, in bytes.
    pub fn size_bytes(&self) -> usize {
        self.postings.size_bytes() + self.keys.iter().map(|k| k.len() + 28).sum::<usize>()
    }

    /// The best `top` candidates for the query's peaks, at or above `min_confidence`.
    pub fn identify(&self, query: &[Peak], top: usize, min_confidence: f64) -> Vec<Match> {
        let mut hits: HashMap<u32, Vec<Hit>> = HashMap::new();
        // Moments with a peak: the confidence counts moments, so a burst of chance hits at one moment (a dense
        // chord gives many triplets) weighs as one.
        let mut moments: Vec<u32> = query.iter().map(|p| frame_of(*p)).collect();
        moments.dedup();
        triplets(query, true, |t| {
            let list = self.postings.get(t.hash);
            if list.len() > MAX_POSTINGS {
                return;
            }
            for posting in list {
                let (r, peak) = ((posting >> 32) as u32, *posting as u32);
                hits.entry(r).or_default().push((
                    frame_of(t.anchor) as i32,
                    frame_of(peak) as i32,
                    pitch_of(peak) - pitch_of(t.anchor),
                ));
            }
        });
        let mut ranked: Vec<(u32, Vec<Hit>)> = hits.into_iter().collect();
        ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let aligned = ranked.into_iter().take(CANDIDATES).filter_map(|(r, hits)| self.align(r, &hits, &moments));
        strongest(rated(aligned, min_confidence), top)
    }

    /// Finds the speed and offset that most hits agree on, then the pitch difference most of those share.
    fn align(&self, r: u32, hits: &[Hit], moments: &[u32]) -> Option<Match> {
        let (speed, offset) = fit_line(hits);
        let on_line: Vec<&Hit> =
            hits.iter().filter(|(q, t, _)| (f64::from(*t) - speed * f64::from(*q) - offset).abs() <= ON_LINE).collect();
        let shift = common_shift(&on_line);
        let agreeing: Vec<&&Hit> = on_line.iter().filter(|h| (h.2 - shift).abs() <= SHIFT_TOLERANCE).collect();
        let first = agreeing.iter().map(|h| h.0).min()?;
        let last = agreeing.iter().map(|h| h.0).max()?;
        let mut agreeing_moments: Vec<i32> = agreeing.iter().map(|h| h.0).collect();
        agreeing_moments.sort_unstable();
        agreeing_moments.dedup();
        let confidence = windowed_confidence(&agreeing_moments, moments);
        let matched = f64::from(last - first) / FRAMES_PER_SECOND;
        let q_at = f64::from(first) / FRAMES_PER_SECOND;
        let r_at = (speed * f64::from(first) + offset).max(0.0) / FRAMES_PER_SECOND;
        let whole = f64::from(last - first) * speed >= 0.9 * f64::from(self.frames[r as usize]);
        // The recording is `shift` steps above the query: the query is that much higher the other way.
        let semitones = -f64::from(shift) / STEPS_PER_SEMITONE;
        Some(Match {
            key: self.keys[r as usize].clone(),
            method: Method::Landmarks,
            confidence,
            strength: 0.0,
            query_offset_seconds: q_at,
            reference_offset_seconds: r_at,
            matched_seconds: matched,
            whole,
            explanation: format!(
                "spectral peaks: triplets at {} of the query's {} peak moments agree over {matched:.1} s, from {q_at:.1} s of the query and {r_at:.1} s of the recording; the query runs at {:.1}% of the recording's speed, {semitones:+.1} semitones{}",
                agreeing_moments.len(),
                moments.len(),
                100.0 * speed,
                if whole { ": the whole recording" } else { ": a fragment" }
            ),
        })
    }
}

/// How far (in frames) a hit may lie from the fitted line and still agree.
const ON_LINE: f64 = 1.5;
/// How far (in steps) a hit's pitch difference may lie from the common one and still agree.
const SHIFT_TOLERANCE: i32 = 3;
/// The query span a confidence is measured over: about ten seconds of frames.
const WINDOW_FRAMES: u32 = 431;

/// The line `t_recording = speed · t_query + offset` most hits lie on: the best of a coarse grid of speeds
/// (0.96 to 1.04 by 0.25%), then of a fine one around it (±0.25% by 0.025%), so a long query at a speed between
/// two coarse steps still lines up from end to end. Each grid is tried nearest its centre first, so a tie
/// keeps the centre (an unchanged query reads 100%).
fn fit_line(hits: &[Hit]) -> (f64, f64) {
    let (_, coarse, _) = best_on_grid(hits, 1.0, 0.0025, 16);
    let (_, speed, offset) = best_on_grid(hits, coarse, 0.000_25, 10);
    (speed, offset)
}

/// Over the speeds `centre ± k · step` (k up to `steps`), the one whose offsets `t − speed · q` bunch most
/// within ±1 frame: (hits in the bunch, speed, offset).
fn best_on_grid(hits: &[Hit], centre: f64, step: f64, steps: i32) -> (usize, f64, f64) {
    let mut best: (usize, f64, f64) = (0, centre, 0.0);
    let mut offsets: Vec<i32> = Vec::with_capacity(hits.len());
    for k in (0..=steps).flat_map(|k| [k, -k]).skip(1) {
        let speed = centre + f64::from(k) * step;
        offsets.clear();
        offsets.extend(hits.iter().map(|(q, t, _)| (f64::from(*t) - speed * f64::from(*q)).round() as i32));
        offsets.sort_unstable();
        let mut lo = 0;
        for hi in 0..offsets.len() {
            while offsets[hi] - offsets[lo] > 2 {
                lo += 1;
            }
            if hi + 1 - lo > best.0 {
                best = (hi + 1 - lo, speed, f64::from(offsets[lo] + 1));
            }
        }
    }
    best
}

/// The pitch difference (recording minus query, in steps) shared by most hits: the middle of the
/// half-semitone window that holds the most.
fn common_shift(hits: &[&Hit]) -> i32 {
    let mut shifts: Vec<i32> = hits.iter().map(|h| h.2).collect();
    shifts.sort_unstable();
    let (mut most, mut shift, mut lo) = (0usize, 0i32, 0usize);
    for hi in 0..shifts.len() {
        while shifts[hi] - shifts[lo] > 5 {
            lo += 1;
        }
        if hi + 1 - lo > most {
            (most, shift) = (hi + 1 - lo, shifts[(lo + hi) / 2]);
        }
    }
    shift
}

/// The best share of the query's moments that agree, over any [`WINDOW_FRAMES`] of the query (so a fragment
/// inside longer audio scores on its own span), taken over at least [`EVIDENCE`] moments.
fn windowed_confidence(agreeing: &[i32], moments: &[u32]) -> f64 {
    let count_from = |sorted: &[i64], from: i64| {
        sorted.partition_point(|m| *m < from + i64::from(WINDOW_FRAMES)) - sorted.partition_point(|m| *m < from)
    };
    let agreeing: Vec<i64> = agreeing.iter().map(|m| i64::from(*m)).collect();
    let moments: Vec<i64> = moments.iter().map(|m| i64::from(*m)).collect();
    moments
        .iter()
        .map(|start| count_from(&agreeing, *start) as f64 / count_from(&moments, *start).max(EVIDENCE) as f64)
        .fold(0.0, f64::max)
        .min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn melody(seed: u64, seconds: f64, speed: f64) -> Audio {
        Audio { sample_rate: 11_025, channels: 1, samples: testkit::audio::melody(seed, seconds, speed, 0.0) }
    }

    #[test]
    fn a_fragment_sped_up_by_three_percent_is_found_with_its_speed() {
        let references: Vec<Reference> = (0..4)
            .map(|seed| Reference { key: format!("R{seed}"), peaks: peaks(&melody(seed, 30.0, 1.0)).unwrap() })
            .collect();
        let index = Index::build(references);
        let query = peaks(&melody(2, 30.0, 1.03)).unwrap();
        let found = index.identify(&query, 3, 0.03);
        assert_eq!(found.first().map(|c| c.key.as_str()), Some("R2"), "{found:?}");
        let best = &found[0];
        // The speed it read, within one step of its 0.25% grid; 3% faster is 12 × log₂ 1.03 ≈ 0.51 semitones higher.
        let speed: f64 =
            best.explanation.split("runs at ").nth(1).and_then(|t| t.split('%').next()).unwrap().parse().unwrap();
        assert!((speed - 103.0).abs() <= 0.3, "{best:?}");
        assert!(best.explanation.contains("speed, +0.5 semitones"), "{best:?}");
        assert!(best.whole, "{best:?}");
    }

    #[test]
    fn a_long_recording_between_two_coarse_speed_steps_lines_up_end_to_end() {
        let long = Reference { key: "LONG".into(), peaks: peaks(&melody(5, 120.0, 1.0)).unwrap() };
        let index = Index::build(vec![long]);
        let found = index.identify(&peaks(&melody(5, 120.0, 1.013_75)).unwrap(), 1, 0.03);
        assert_eq!(found.first().map(|m| (m.key.as_str(), m.whole)), Some(("LONG", true)), "{found:?}");
        assert!((speed_read(&found[0]) - 101.375).abs() <= 0.1, "{:?}", found[0].explanation);
    }

    #[test]
    fn a_fragment_inside_longer_audio_scores_on_its_own_span() {
        let references: Vec<Reference> = (0..4)
            .map(|seed| Reference { key: format!("R{seed}"), peaks: peaks(&melody(seed, 30.0, 1.0)).unwrap() })
            .collect();
        let index = Index::build(references);
        // Ten seconds of R1 between 25 seconds of other music before and 50 after.
        let mut samples = melody(50, 25.0, 1.0).samples;
        samples.extend_from_slice(&melody(1, 30.0, 1.0).samples[10 * 11_025..20 * 11_025]);
        samples.extend(melody(51, 25.0, 1.0).samples);
        samples.extend(melody(52, 25.0, 1.0).samples);
        let long = Audio { sample_rate: 11_025, channels: 1, samples };
        let found = index.identify(&peaks(&long).unwrap(), 1, crate::recogniser::Thresholds::default().landmarks);
        assert_eq!(found.first().map(|m| m.key.as_str()), Some("R1"), "{found:?}");
        assert!((found[0].query_offset_seconds - 25.0).abs() < 1.0, "{found:?}");
        assert!((found[0].reference_offset_seconds - 10.0).abs() < 1.0, "{found:?}");
    }

    /// The speed the explanation gives, in percent.
    fn speed_read(m: &Match) -> f64 {
        m.explanation.split("runs at ").nth(1).and_then(|t| t.split('%').next()).unwrap().parse().unwrap()
    }

    #[test]
    fn silence_has_no_peaks_and_other_music_stays_under_the_threshold() {
        let silence = Audio { sample_rate: 44_100, channels: 2, samples: vec![0; 44_100 * 2 * 5] };
        assert!(peaks(&silence).unwrap().is_empty());
        let references: Vec<Reference> = (0..4)
            .map(|seed| Reference { key: format!("R{seed}"), peaks: peaks(&melody(seed, 30.0, 1.0)).unwrap() })
            .collect();
        let index = Index::build(references);
        let stranger = peaks(&melody(99, 10.0, 1.0)).unwrap();
        assert!(!stranger.is_empty());
        let found = index.identify(&stranger, 3, 0.0);
        assert!(found.iter().all(|m| m.confidence < crate::recogniser::Thresholds::default().landmarks), "{found:?}");
        // The same melody at 44,100 Hz (each sample held four times) is found: frames and bins are the same
        // length in time and Hz at any rate.
        let at_44k = Audio {
            sample_rate: 44_100,
            channels: 1,
            samples: melody(2, 30.0, 1.0).samples.iter().flat_map(|s| std::iter::repeat_n(*s, 4)).collect(),
        };
        let found = index.identify(&peaks(&at_44k).unwrap(), 1, crate::recogniser::Thresholds::default().landmarks);
        assert_eq!(found.first().map(|m| (m.key.as_str(), m.whole)), Some(("R2", true)), "{found:?}");
    }
}
