//! Recognition over Chromaprint fingerprints: an inverted index of fingerprint items (each 32-bit item
//! indexed by both 16-bit halves, so an item with errors in one half still votes), votes per (recording,
//! time offset), and verification of the best alignments by their bit error rate. It answers "is this
//! file a repertoire recording?" (a match covering most of the recording) and "does this audio contain a
//! fragment of one, and where?" (offsets in both files and the matched duration).
//!
//! Chromaprint alone does not survive pitch or speed changes of a few percent: queries are also
//! fingerprinted at playback rates 0.97–1.03 ([`crate::query_fingerprints`]), and each query segment may slide
//! a little, which absorbs the tempo drift left after undoing a pitch change. The spectral peaks
//! ([`crate::landmarks`]) survive such changes by design; the two are used together.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use crate::postings::{self, Postings};
use crate::{Match, Method, item_seconds, rated, strongest};

/// A recording's fingerprint to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub key: String,
    pub fingerprint: Vec<u32>,
}

/// The index over every reference.
#[derive(Debug, Default)]
pub struct Index {
    references: Vec<Reference>,
    /// Half-item (tagged high or low: 2¹⁷ keys) → `reference << 32 | position`.
    postings: Postings,
}

/// Keys of the posting table: a 16-bit half and the bit that tags it high or low.
const KEYS: usize = 1 << 17;

/// Items whose 16-bit half occurs this often are too common to vote (silence, steady tones).
const MAX_POSTINGS: usize = 2_000;
/// Query items per independently aligned segment.
const SEGMENT: usize = 16;
/// How far (in items) a segment may slide from the voted offset.
const DRIFT: i64 = 2;
/// An item agrees when at most this many of its 32 bits differ.
const ITEM_BITS: u32 = 8;
/// The least number of aligned items a confidence is taken over.
const EVIDENCE: usize = 40;
/// Segments in the window the confidence is measured over (5 × 16 items, about ten seconds).
const WINDOW: usize = 5;

fn halves(item: u32) -> [u32; 2] {
    [item >> 16, (item & 0xFFFF) | 0x1_0000]
}

impl Index {
    pub fn build(references: Vec<Reference>) -> Index {
        let postings = Postings::build(KEYS, |emit| {
            for (r, reference) in references.iter().enumerate() {
                for (p, item) in reference.fingerprint.iter().enumerate() {
                    for half in halves(*item) {
                        emit(half, (r as u64) << 32 | p as u64);
                    }
                }
            }
        });
        Index { references, postings }
    }

    /// Writes the index in its binary form (read back by [`Index::read`]).
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        postings::write_u64(w, self.references.len() as u64)?;
        for r in &self.references {
            postings::write_string(w, &r.key)?;
            postings::write_u32s(w, &r.fingerprint)?;
        }
        self.postings.write(w)
    }

    pub fn read(r: &mut dyn Read) -> io::Result<Index> {
        let count = postings::read_u64(r)?;
        let mut references = Vec::new();
        for _ in 0..count {
            let key = postings::read_string(r)?;
            references.push(Reference { key, fingerprint: postings::read_u32s(r)? });
        }
        let index = Index { references, postings: Postings::read(r)? };
        // Every posting must point at an item that exists, or a lookup would index out of bounds.
        let fits = (0..KEYS as u32).flat_map(|k| index.postings.get(k)).all(|e| {
            index.references.get((e >> 32) as usize).is_some_and(|r| ((*e as u32) as usize) < r.fingerprint.len())
        });
        if !fits {
            return Err(postings::damaged("a Chromaprint posting points past its recording"));
        }
        Ok(index)
    }

    pub fn len(&self) -> usize {
        self.references.len()
    }

    /// The index's size in memory, in bytes (postings, fingerprints and keys).
    pub fn size_bytes(&self) -> usize {
        let prints: usize = self.references.iter().map(|r| r.fingerprint.len() * 4 + r.key.len() + 48).sum();
        self.postings.size_bytes() + prints
    }

    pub fn is_empty(&self) -> bool {
        self.references.is_empty()
    }

    /// The best matches over several fingerprints of the same query (e.g. the query resampled to undo a
    /// speed or pitch change): each recording's best showing counts.
    pub fn identify_variants(&self, queries: &[Vec<u32>], top: usize, min_confidence: f64) -> Vec<Match> {
        strongest(queries.iter().flat_map(|q| self.identify(q, top, min_confidence)), top)
    }

    /// The best `top` matches for a query fingerprint, at or above `min_confidence`.
    pub fn identify(&self, query: &[u32], top: usize, min_confidence: f64) -> Vec<Match> {
        let mut votes: HashMap<(u32, i64), u32> = HashMap::new();
        for (q, item) in query.iter().enumerate() {
            for half in halves(*item) {
                let list = self.postings.get(half);
                if list.len() > MAX_POSTINGS {
                    continue;
                }
                for entry in list {
                    let (r, p) = ((entry >> 32) as u32, *entry as u32);
                    *votes.entry((r, i64::from(p) - q as i64)).or_default() += 1;
                }
            }
        }
        let mut ranked: Vec<((u32, i64), u32)> = votes.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let informative = self.informative(query);
        let verified =
            ranked.into_iter().take(50).filter_map(|((r, offset), _)| self.verify(r, offset, query, &informative));
        strongest(rated(verified, min_confidence), top)
    }

    /// Which query items can tell recordings apart: not a repeat of the item before (silence and held
    /// notes repeat), and not made only of halves too common to index.
    fn informative(&self, query: &[u32]) -> Vec<bool> {
        query
            .iter()
            .enumerate()
            .map(|(q, item)| {
                let repeat = q > 0 && query[q - 1] == *item;
                let common = halves(*item).iter().all(|h| {
                    let n = self.postings.get(*h).len();
                    n == 0 || n > MAX_POSTINGS
                });
                !repeat && !common
            })
            .collect()
    }

    /// Aligns the query with a reference around an offset and measures the agreement. The query is taken in
    /// segments of [`SEGMENT`] items, each free to slide up to [`DRIFT`] items from the offset, so a tempo a
    /// few percent off (a query resampled to undo a pitch change) still lines up piece by piece. An item
    /// agrees when at most [`ITEM_BITS`] of its 32 bits differ: chance agreement between different music is
    /// rare, while a recording under noise or lossy coding keeps most items.
    fn verify(&self, r: u32, offset: i64, query: &[u32], informative: &[bool]) -> Option<Match> {
        let reference = self.references.get(r as usize)?;
        let item = |q: usize, shift: i64| -> Option<u32> {
            let p = q as i64 + offset + shift;
            (p >= 0).then(|| reference.fingerprint.get(p as usize)).flatten().map(|x| (x ^ query[q]).count_ones())
        };
        // Each segment at its best shift: (first item, items aligned, items agreeing, differing bits).
        let mut segments: Vec<(usize, usize, usize, u64)> = Vec::new();
        for start in (0..query.len()).step_by(SEGMENT) {
            let end = (start + SEGMENT).min(query.len());
            let mut best: Option<(usize, usize, u64)> = None;
            for shift in -DRIFT..=DRIFT {
                let distances: Vec<u32> =
                    (start..end).filter(|q| informative[*q]).filter_map(|q| item(q, shift)).collect();
                if distances.is_empty() {
                    continue;
                }
                let agree = distances.iter().filter(|d| **d <= ITEM_BITS).count();
                let total: u64 = distances.iter().map(|d| u64::from(*d)).sum();
                if best.is_none_or(|b| agree > b.1) {
                    best = Some((distances.len(), agree, total));
                }
            }
            if let Some((n, a, t)) = best {
                segments.push((start, n, a, t));
            }
        }
        let aligned: usize = segments.iter().map(|s| s.1).sum();
        if aligned < 8 {
            return None;
        }
        // The confidence is the best WINDOW segments in a row (about ten seconds): a fragment inside longer
        // audio scores on its own span, not diluted by the rest. Few aligned items are weak evidence
        // whatever their agreement: the share is taken over at least EVIDENCE items.
        let width = WINDOW.min(segments.len());
        let (mut confidence, mut best_at) = (0.0f64, 0usize);
        for (at, window) in segments.windows(width).enumerate() {
            let n: usize = window.iter().map(|s| s.1).sum();
            let a: usize = window.iter().map(|s| s.2).sum();
            let score = a as f64 / n.max(EVIDENCE) as f64;
            if score > confidence {
                (confidence, best_at) = (score, at);
            }
        }
        // The matched span: the best window, grown while neighbouring segments agree on three items in four.
        let agrees = |s: &(usize, usize, usize, u64)| s.1 > 0 && s.2 * 4 >= s.1 * 3;
        let (mut lo, mut hi) = (best_at, best_at + width);
        while lo > 0 && agrees(&segments[lo - 1]) {
            lo -= 1;
        }
        while hi < segments.len() && agrees(&segments[hi]) {
            hi += 1;
        }
        let span = &segments[lo..hi];
        let bits: u64 = span.iter().map(|s| s.3).sum();
        let span_items: usize = span.iter().map(|s| s.1).sum();
        let ber = bits as f64 / (span_items.max(1) as f64 * 32.0);
        let seconds = item_seconds();
        let q_start = span.first().map_or(0, |s| s.0);
        let q_end = span.last().map_or(0, |s| (s.0 + SEGMENT).min(query.len()));
        let r_start = (q_start as i64 + offset).max(0) as usize;
        let matched = q_end.saturating_sub(q_start);
        let whole = matched as f64 >= 0.9 * reference.fingerprint.len() as f64;
        let agreeing: usize = span.iter().map(|s| s.2).sum();
        Some(Match {
            key: reference.key.clone(),
            method: Method::Chromaprint,
            confidence,
            strength: 0.0,
            query_offset_seconds: q_start as f64 * seconds,
            reference_offset_seconds: r_start as f64 * seconds,
            matched_seconds: matched as f64 * seconds,
            whole,
            explanation: format!(
                "Chromaprint: {agreeing} of {span_items} aligned fingerprint items agree over {:.1} s, from {:.1} s of the query and {:.1} s of the recording; {:.1}% of bits differ{}",
                matched as f64 * seconds,
                q_start as f64 * seconds,
                r_start as f64 * seconds,
                ber * 100.0,
                if whole { ": the whole recording" } else { ": a fragment" }
            ),
        })
    }
}
