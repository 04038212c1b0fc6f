//! Both fingerprints together: a recording is registered with its Chromaprint and its spectral peaks, a
//! query is taken at the playback rates Chromaprint needs and as peaks, and each method's matches count
//! when they reach that method's threshold. Chromaprint is exact and fast on clean, coded and noisy copies;
//! the peaks carry band-limited audio and pitch or speed changes by design. The two indexes are saved
//! together in one file, stamped with what the caller says they were built from.

use std::io::{self, Read, Write};

use crate::postings::{self, damaged};
use crate::{Audio, AudioError, Match, landmarks, query_fingerprints, recognise, strongest};

/// What one recording is registered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prints {
    pub chromaprint: Vec<u32>,
    pub peaks: Vec<landmarks::Peak>,
}

impl Prints {
    /// Both fingerprints of a recording's decoded audio.
    pub fn of(audio: &Audio) -> Result<Prints, AudioError> {
        Ok(Prints { chromaprint: crate::chromaprint(audio)?, peaks: landmarks::peaks(audio)? })
    }
}

/// What a query is looked up with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Chromaprint at each of [`crate::QUERY_FACTORS`].
    pub chromaprints: Vec<Vec<u32>>,
    pub peaks: Vec<landmarks::Peak>,
}

impl Query {
    pub fn of(audio: &Audio) -> Result<Query, AudioError> {
        Ok(Query { chromaprints: query_fingerprints(audio)?, peaks: landmarks::peaks(audio)? })
    }
}

/// The confidence each method must reach. The defaults are the thresholds `bench audio` fixed on 104 excerpts
/// of unregistered music (0.934 and 0.208), rounded up; they let none of 104 others through
/// (crates/bench/README.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub chromaprint: f64,
    pub landmarks: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds { chromaprint: 0.94, landmarks: 0.21 }
    }
}

/// The two indexes over the registry.
#[derive(Debug, Default)]
pub struct Recogniser {
    chromaprint: recognise::Index,
    landmarks: landmarks::Index,
}

/// The first bytes of an index file. The number is the version of the layout, the peaks and the triplet hash
/// together: change any of them and bump it, so files written before are rebuilt, not misread. (Stored peaks
/// would then need registering again.)
const MAGIC: &[u8] = b"TANTIEM AUDIO INDEX 2\n";

impl Recogniser {
    /// Builds both indexes over the recordings' prints, each under its key.
    pub fn build(prints: Vec<(String, Prints)>) -> Recogniser {
        let mut chromaprints = Vec::with_capacity(prints.len());
        let mut peaks = Vec::with_capacity(prints.len());
        for (key, p) in prints {
            chromaprints.push(recognise::Reference { key: key.clone(), fingerprint: p.chromaprint });
            peaks.push(landmarks::Reference { key, peaks: p.peaks });
        }
        Recogniser { chromaprint: recognise::Index::build(chromaprints), landmarks: landmarks::Index::build(peaks) }
    }

    pub fn len(&self) -> usize {
        self.chromaprint.len()
    }

    /// The Chromaprint index alone (the benchmark measures each method on its own).
    pub fn chromaprint(&self) -> &recognise::Index {
        &self.chromaprint
    }

    /// The spectral-peak index alone.
    pub fn landmarks(&self) -> &landmarks::Index {
        &self.landmarks
    }

    pub fn is_empty(&self) -> bool {
        self.chromaprint.is_empty()
    }

    /// Both indexes' size in memory (the file on disk is a little smaller).
    pub fn size_bytes(&self) -> usize {
        self.chromaprint.size_bytes() + self.landmarks.size_bytes()
    }

    /// The best `top` recordings in the query, each by the method that found it more strongly.
    pub fn identify(&self, query: &Query, top: usize, thresholds: Thresholds) -> Vec<Match> {
        let mut found = self.chromaprint.identify_variants(&query.chromaprints, top, thresholds.chromaprint);
        found.extend(self.landmarks.identify(&query.peaks, top, thresholds.landmarks));
        strongest(found, top)
    }

    /// Writes both indexes, stamped with `stamp` (what they were built from), to be read back by
    /// [`Recogniser::read`].
    pub fn write(&self, w: &mut dyn Write, stamp: &str) -> io::Result<()> {
        w.write_all(MAGIC)?;
        postings::write_string(w, stamp)?;
        self.chromaprint.write(w)?;
        self.landmarks.write(w)
    }

    /// Reads an index file: `None` when it was built from something other than `stamp` (it is stale), an
    /// error when it is not an index file or is damaged.
    pub fn read(r: &mut dyn Read, stamp: &str) -> io::Result<Option<Recogniser>> {
        let mut magic = vec![0u8; MAGIC.len()];
        r.read_exact(&mut magic).map_err(|_| damaged("too short to be an index file"))?;
        if magic != MAGIC {
            return Err(damaged("it does not start as a Tantiem audio index of this version"));
        }
        if postings::read_string(r)? != stamp {
            return Ok(None);
        }
        let chromaprint = recognise::Index::read(r)?;
        let landmarks = landmarks::Index::read(r)?;
        if chromaprint.len() != landmarks.len() {
            return Err(damaged("its two indexes cover different recordings"));
        }
        Ok(Some(Recogniser { chromaprint, landmarks }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn melody(seed: u64, seconds: usize) -> Audio {
        Audio { sample_rate: 11_025, channels: 1, samples: testkit::audio::melody(seed, seconds as f64, 1.0, 0.0) }
    }

    #[test]
    fn an_index_file_round_trips_and_knows_when_it_is_stale() {
        let prints: Vec<(String, Prints)> =
            (0..3).map(|s| (format!("R{s}"), Prints::of(&melody(s, 30)).unwrap())).collect();
        let recogniser = Recogniser::build(prints);
        let mut file = Vec::new();
        recogniser.write(&mut file, "3 recordings, generation 7").unwrap();
        assert!(Recogniser::read(&mut file.as_slice(), "4 recordings, generation 8").unwrap().is_none());
        let back = Recogniser::read(&mut file.as_slice(), "3 recordings, generation 7").unwrap().unwrap();
        let query = Query::of(&melody(1, 30)).unwrap();
        let found = back.identify(&query, 2, Thresholds::default());
        assert_eq!(found, recogniser.identify(&query, 2, Thresholds::default()));
        assert_eq!(found.first().map(|m| (m.key.as_str(), m.whole)), Some(("R1", true)), "{found:?}");
        for cut in [0, 10, MAGIC.len() + 5, file.len() / 2, file.len() - 1] {
            assert!(Recogniser::read(&mut &file[..cut], "3 recordings, generation 7").is_err(), "cut at {cut}");
        }
        assert!(Recogniser::read(&mut &b"RIFF0000WAVEfmt "[..], "x").unwrap_err().to_string().contains("damaged"));
    }
}
