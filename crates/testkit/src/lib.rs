//! A deterministic, seeded generator of realistic repertoires: several writers and publishers per work,
//! sub-publishing in the Nordic countries, Nordic names with diacritics, recordings with ISRCs, and skewed
//! title and name distributions with collisions. It writes what it generates as CWR 2.1, so tests, the demo
//! and the benchmarks feed Tantiem the same bytes a publisher would send. It also generates seeded melodies
//! for the audio tests (`audio`), and a universe of recordings with damaged training manifests drawn from it
//! for the matching tests and benchmarks (`catalogue`).
//!
//! Architecture invariant: the same seed gives the same repertoire and the same bytes, on every machine and
//! every version of the dependencies (the random source is our own SplitMix64, not a library's).

pub mod audio;
pub mod catalogue;
mod cwr;
mod names;
mod rng;

pub use cwr::{Cwr21Writer, write_cwr21};
pub use rng::SplitMix64;

use domain::{IpiNameNumber, Isrc, Iswc};

/// A generated party of a work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedWriter {
    pub ip_number: String,
    pub last_name: String,
    pub first_name: String,
    pub ipi: IpiNameNumber,
    pub society: u16,
    /// Performing right ownership in CWR hundredths of a percent.
    pub pr_share: u32,
    pub designation: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedPublisher {
    pub ip_number: String,
    pub name: String,
    pub ipi: IpiNameNumber,
    pub society: u16,
    /// Original publisher's PR/MR/SR ownership in hundredths of a percent.
    pub pr_share: u32,
    pub mr_share: u32,
    /// A sub-publisher that collects for this publisher in the Nordic countries.
    pub sub_publisher: Option<(String, String, IpiNameNumber, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRecording {
    pub isrc: Isrc,
    pub title: String,
    pub artist: String,
    pub duration_seconds: u32,
    pub label: String,
    pub release_date: (i32, u32, u32),
}

/// One generated work, with everything a CWR NWR carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedWork {
    pub submitter_work_number: String,
    pub title: String,
    pub alternate_title: Option<String>,
    pub iswc: Option<Iswc>,
    pub duration_seconds: u32,
    pub writers: Vec<GeneratedWriter>,
    pub publishers: Vec<GeneratedPublisher>,
    pub recordings: Vec<GeneratedRecording>,
}

/// The repertoire generator.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: SplitMix64,
    next_work: u64,
}

/// The Nordic societies and their CISAC codes: STIM, TONO, KODA, TEOSTO, STEF.
const NORDIC_SOCIETIES: [u16; 5] = [79, 90, 40, 89, 77];

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator { rng: SplitMix64::new(seed), next_work: 1 }
    }

    /// An IPI name number with valid check digits, from a party index (so the same party gets the same
    /// number whenever it appears).
    pub fn ipi_for(index: u64) -> IpiNameNumber {
        let base = 100_000_000 + index % 800_000_000;
        let digits: Vec<u32> = format!("{base:09}").chars().filter_map(|c| c.to_digit(10)).collect();
        let sum: u32 = digits.iter().enumerate().map(|(i, d)| (10 - i as u32) * d).sum();
        let r = sum % 101;
        let check = if r <= 1 { 0 } else { 101 - r };
        IpiNameNumber::parse(&format!("{base:09}{check:02}")).expect("computed check digits are valid")
    }

    /// An ISWC with a valid check digit from a work number.
    pub fn iswc_for(number: u64) -> Iswc {
        let body = format!("{:09}", number % 1_000_000_000);
        let sum: u32 =
            1 + body.chars().enumerate().map(|(i, c)| (i as u32 + 1) * c.to_digit(10).unwrap_or(0)).sum::<u32>();
        let check = (10 - sum % 10) % 10;
        Iswc::parse(&format!("T{body}{check}")).expect("computed check digit is valid")
    }

    /// The next work.
    pub fn work(&mut self) -> GeneratedWork {
        let number = self.next_work;
        self.next_work += 1;
        let title = names::title(&mut self.rng);
        let writer_count = 1 + self.rng.below(3) as usize + usize::from(self.rng.chance(10));
        let publisher_count = 1 + usize::from(self.rng.chance(35));
        // Writers share half of the performing right, publishers the other half (CWR's 50% cap).
        let writer_shares = split(5000, writer_count, &mut self.rng);
        let publisher_shares = split(5000, publisher_count, &mut self.rng);
        let mechanical_shares = split(10_000, publisher_count, &mut self.rng);
        let writers = (0..writer_count)
            .map(|i| {
                let party = self.rng.skewed(40_000);
                let (first_name, last_name) = names::person(party);
                GeneratedWriter {
                    ip_number: format!("W{party:08}"),
                    last_name,
                    first_name,
                    ipi: Self::ipi_for(party * 2 + 1),
                    society: NORDIC_SOCIETIES[(party % 5) as usize],
                    pr_share: writer_shares[i],
                    designation: ["CA", "C", "A", "CA", "AR"][(party % 5) as usize],
                }
            })
            .collect();
        let publishers = (0..publisher_count)
            .map(|i| {
                let party = self.rng.skewed(2_000);
                let sub_publisher = self.rng.chance(30).then(|| {
                    let sub = 3_000 + self.rng.below(200);
                    (
                        format!("P{sub:08}"),
                        names::publisher(sub),
                        Self::ipi_for(sub * 2),
                        NORDIC_SOCIETIES[(sub % 5) as usize],
                    )
                });
                GeneratedPublisher {
                    ip_number: format!("P{party:08}"),
                    name: names::publisher(party),
                    ipi: Self::ipi_for(party * 2),
                    society: NORDIC_SOCIETIES[(party % 5) as usize],
                    pr_share: publisher_shares[i],
                    mr_share: mechanical_shares[i],
                    sub_publisher,
                }
            })
            .collect();
        let recording_count = self.rng.below(3) as usize;
        let recordings = (0..recording_count)
            .map(|r| {
                let year = 1995 + self.rng.below(30) as i32;
                GeneratedRecording {
                    isrc: isrc_for(number * 3 + r as u64, year),
                    title: title.clone(),
                    artist: names::artist(self.rng.skewed(5_000)),
                    duration_seconds: 120 + self.rng.below(240) as u32,
                    label: names::label(self.rng.below(50)),
                    release_date: (year, 1 + self.rng.below(12) as u32, 1 + self.rng.below(28) as u32),
                }
            })
            .collect();
        GeneratedWork {
            submitter_work_number: format!("TK{number:010}"),
            alternate_title: self.rng.chance(15).then(|| {
                format!("{title} ({})", ["LIVE", "RADIO EDIT", "ACOUSTIC", "REMIX"][self.rng.below(4) as usize])
            }),
            iswc: self.rng.chance(70).then(|| Self::iswc_for(10_000_000 + number)),
            duration_seconds: 120 + self.rng.below(240) as u32,
            title,
            writers,
            publishers,
            recordings,
        }
    }

    /// `count` works.
    pub fn works(&mut self, count: usize) -> impl Iterator<Item = GeneratedWork> + '_ {
        (0..count).map(move |_| self.work())
    }
}

/// A unique ISRC per recording number: the registrant code counts up in base 36 every 100,000 recordings.
fn isrc_for(recording: u64, year: i32) -> Isrc {
    Isrc::parse(&format!("SE{}{:02}{:05}", registrant_code(recording / 100_000), year % 100, recording % 100_000))
        .expect("generated ISRC is well-formed")
}

/// An ISRC registrant code: `n` written as three base-36 digits (wrapping past 46,655).
pub(crate) fn registrant_code(n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    [n / 1296 % 36, n / 36 % 36, n % 36].iter().map(|&d| char::from(DIGITS[d as usize])).collect()
}

/// Splits `total` hundredths into `parts` positive parts that sum exactly to it.
fn split(total: u32, parts: usize, rng: &mut SplitMix64) -> Vec<u32> {
    if parts == 1 {
        return vec![total];
    }
    let weights: Vec<u32> = (0..parts).map(|_| 1 + rng.below(4) as u32).collect();
    let sum: u32 = weights.iter().sum();
    let mut out: Vec<u32> = weights.iter().map(|w| total * w / sum).collect();
    let given: u32 = out.iter().sum();
    out[0] += total - given;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_works() {
        let a: Vec<_> = Generator::new(7).works(50).collect();
        let b: Vec<_> = Generator::new(7).works(50).collect();
        let c: Vec<_> = Generator::new(8).works(50).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn shares_are_whole_and_titles_collide() {
        let works: Vec<_> = Generator::new(1).works(2_000).collect();
        for w in &works {
            let writers: u32 = w.writers.iter().map(|x| x.pr_share).sum();
            let publishers: u32 = w.publishers.iter().map(|x| x.pr_share).sum();
            assert_eq!(writers + publishers, 10_000, "{}", w.title);
            assert_eq!(w.publishers.iter().map(|p| p.mr_share).sum::<u32>(), 10_000);
        }
        let mut titles: Vec<&str> = works.iter().map(|w| w.title.as_str()).collect();
        titles.sort_unstable();
        titles.dedup();
        assert!(titles.len() < works.len(), "skewed titles must collide");
        assert!(works.iter().any(|w| w.writers.iter().any(|x| !x.last_name.is_ascii())), "Nordic diacritics expected");
    }
}
