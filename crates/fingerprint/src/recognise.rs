//! Recognition over Chromaprint fingerprints: an inverted index of fingerprint items (each 32-bit item
//! indexed by both 16-bit halves, so an item with errors in one half still votes), votes per (recording,
//! time offset), and verification of the best alignments by their bit error rate. It answers "is this
//! file a repertoire recording?" (a match covering most of the recording) and "does this audio contain a
//! fragment of one, and where?" (offsets in both files and the matched duration).
//!
//! Chromaprint does not survive pitch or speed changes of a few percent; a shift-robust second fingerprint
//! is still to come (see the notes).

use std::collections::HashMap;

use crate::item_seconds;

/// A recording's fingerprint to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub key: String,
    pub fingerprint: Vec<u32>,
}

/// A candidate match, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub key: String,
    /// 0 (chance) to 1 (identical): 1 − 2 × the bit error rate over the aligned items.
    pub confidence: f64,
    pub bit_error_rate: f64,
    /// Where the match starts in the query and in the recording, in seconds.
    pub query_offset_seconds: f64,
    pub reference_offset_seconds: f64,
    pub matched_seconds: f64,
    /// Whether the match covers most (90%) of the recording: the file is the recording.
    pub whole: bool,
    pub explanation: String,
}

/// The index over every reference.
#[derive(Debug, Default)]
pub struct Index {
    references: Vec<Reference>,
    /// Half-item (tagged high or low) → (reference, position).
    postings: HashMap<u32, Vec<(u32, u32)>>,
}

/// Items whose 16-bit half occurs this often are too common to vote (silence, steady tones).
const MAX_POSTINGS: usize = 2_000;

fn halves(item: u32) -> [u32; 2] {
    [item >> 16, (item & 0xFFFF) | 0x1_0000]
}

impl Index {
    pub fn build(references: Vec<Reference>) -> Index {
        let mut postings: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
        for (r, reference) in references.iter().enumerate() {
            for (p, item) in reference.fingerprint.iter().enumerate() {
                for half in halves(*item) {
                    postings.entry(half).or_default().push((r as u32, p as u32));
                }
            }
        }
        Index { references, postings }
    }

    pub fn len(&self) -> usize {
        self.references.len()
    }

    pub fn is_empty(&self) -> bool {
        self.references.is_empty()
    }

    /// The best `top` candidates for a query fingerprint, at or above `min_confidence`.
    pub fn identify(&self, query: &[u32], top: usize, min_confidence: f64) -> Vec<Candidate> {
        let mut votes: HashMap<(u32, i64), u32> = HashMap::new();
        for (q, item) in query.iter().enumerate() {
            for half in halves(*item) {
                let Some(list) = self.postings.get(&half).filter(|l| l.len() <= MAX_POSTINGS) else { continue };
                for (r, p) in list {
                    *votes.entry((*r, i64::from(*p) - q as i64)).or_default() += 1;
                }
            }
        }
        let mut ranked: Vec<((u32, i64), u32)> = votes.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut best: HashMap<u32, Candidate> = HashMap::new();
        for ((r, offset), _) in ranked.into_iter().take(50) {
            let Some(candidate) = self.verify(r, offset, query) else { continue };
            if candidate.confidence < min_confidence {
                continue;
            }
            let keep = best.get(&r).is_none_or(|b| candidate.confidence > b.confidence);
            if keep {
                best.insert(r, candidate);
            }
        }
        let mut out: Vec<Candidate> = best.into_values().collect();
        out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.key.cmp(&b.key)));
        out.truncate(top);
        out
    }

    /// Aligns the query with a reference at an offset and measures the agreement.
    fn verify(&self, r: u32, offset: i64, query: &[u32]) -> Option<Candidate> {
        let reference = self.references.get(r as usize)?;
        let (q_start, r_start) = if offset >= 0 { (0usize, offset as usize) } else { ((-offset) as usize, 0usize) };
        let length = query.len().saturating_sub(q_start).min(reference.fingerprint.len().saturating_sub(r_start));
        if length < 8 {
            return None;
        }
        let differing: u32 = query[q_start..q_start + length]
            .iter()
            .zip(&reference.fingerprint[r_start..r_start + length])
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        let ber = f64::from(differing) / (length as f64 * 32.0);
        let confidence = (1.0 - 2.0 * ber).clamp(0.0, 1.0);
        let seconds = item_seconds();
        let whole = length as f64 >= 0.9 * reference.fingerprint.len() as f64;
        Some(Candidate {
            key: reference.key.clone(),
            confidence,
            bit_error_rate: ber,
            query_offset_seconds: q_start as f64 * seconds,
            reference_offset_seconds: r_start as f64 * seconds,
            matched_seconds: length as f64 * seconds,
            whole,
            explanation: format!(
                "{} of {} fingerprint items aligned ({:.1} s from {:.1} s of the recording), {:.1}% of bits differ{}",
                length,
                reference.fingerprint.len(),
                length as f64 * seconds,
                r_start as f64 * seconds,
                ber * 100.0,
                if whole { ": the whole recording" } else { ": a fragment" }
            ),
        })
    }
}
