//! Matching items: candidates blocked from the indexes, each weighed by its evidence (log-odds in tenths
//! of a bit, in the manner of Fellegi and Sunter but with fixed, documented weights), and a decision.
//!
//! The weights (see [`weight`]) were set so that one strong identifier, or a title and an artist that
//! both agree, decide a match; that a common title counts for less than a rare one; and that a disagreeing
//! title outweighs an ISRC that a typo may have turned into another recording's. A version marker that
//! differs (live, remix, acoustic, ...) rules a recording out: it can then only say which *work* the item is.

use rayon::prelude::*;

use crate::normalise::{
    Markers, ParsedTitle, isrc_is_valid, isrc_text, iswc_text, marker_names, name_key, parse_artists, parse_title,
    sorted_words,
};
use crate::repertoire::{
    Rec, Repertoire, TitleKey, deletion_variants, hash, isrc_key, isrc_string, pack_isrc, title_hashes, unpack_isrc,
    word_count,
};
use crate::similarity::{
    allowed_edits, edits_within, letters, letters_within, signature, signatures_close, word_overlap_per_mille,
};
use crate::{AudioLookup, Candidate, Item, Matched, Method, Outcome};

/// The decision thresholds, in tenths of a bit of log-odds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// A candidate at least this strong is a match (25: a match probability of 85%) ...
    pub accept: i32,
    /// ... unless another is within this margin of it (20: four times less likely).
    pub margin: i32,
    /// Below `accept` but at least this strong, a candidate is shown to a person as ambiguous.
    pub review: i32,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds { accept: 25, margin: 20, review: -20 }
    }
}

/// Lists longer than this are too common to block on alone (a title shared by thousands of recordings).
const TITLE_BLOCK_MAX: usize = 400;
/// With an artist to go by, a title is blocked on only when this few recordings share it.
const TITLE_BLOCK_WITH_ARTIST_MAX: usize = 32;
/// An artist's recordings beyond this are not all compared (a catalogue artist such as "Various Artists").
const ARTIST_BLOCK_MAX: usize = 20_000;
/// At most this many artists are taken as one typo away from an item's artist.
const FUZZY_ARTISTS_MAX: usize = 16;
/// A narrow candidate this strong (a match probability of 98.5%) ends the search: looking wider (by title,
/// at similar artists) could only find weaker ones.
const CERTAIN: i32 = 60;
/// Ambiguous items list at most this many candidates.
const CANDIDATES_SHOWN: usize = 5;

/// Matches items against one repertoire.
#[derive(Clone, Copy)]
pub struct Matcher<'r> {
    repertoire: &'r Repertoire,
    audio: Option<&'r dyn AudioLookup>,
    thresholds: Thresholds,
}

impl std::fmt::Debug for Matcher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Matcher({} recordings, audio: {})", self.repertoire.recordings.len(), self.audio.is_some())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TitleLevel {
    Exact,
    /// Within `allowed_edits` typos.
    Close(usize),
    /// One typo more than allowed: too near to call different, too far to call the same ("Boy" / "Byo");
    /// `short` when it is the one typo of a word of at most five letters.
    Near {
        short: bool,
    },
    /// Most words shared (long titles).
    Partial,
    Different,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArtistLevel {
    Exact,
    Close,
    /// One of several artists agrees.
    Partial,
    /// One typo more than allowed in a short name ("Kaja" / "Kja").
    Near,
    Different,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IsrcLevel {
    Exact,
    /// One substitution or swap of neighbours away: a typo.
    Near,
    Different,
    Missing,
}

/// What one candidate's comparison with the item found.
#[derive(Debug, Clone, Copy)]
struct Evidence {
    row: u32,
    title: TitleLevel,
    /// How common the candidate's title is (tenths of a bit taken off an exact title).
    title_commonness: i32,
    artist: ArtistLevel,
    /// |item − candidate| in seconds, when both are known.
    duration_gap: Option<u32>,
    isrc: IsrcLevel,
    /// Whether the item's (valid) ISWC names one of the candidate's works (`None`: the item has no valid
    /// ISWC, or the candidate records no known work).
    iswc: Option<bool>,
    /// The fingerprint's confidence in thousandths, when the audio was found in this recording.
    audio: Option<u16>,
    /// The version markers differ: another recording of the same work.
    version_conflict: bool,
    weight: i32,
}

/// The log-odds a candidate's evidence adds up to, in tenths of a bit.
fn weight(e: &Evidence) -> i32 {
    const PRIOR: i32 = -120;
    let title = match e.title {
        TitleLevel::Exact => 80 - e.title_commonness,
        TitleLevel::Close(_) => 55,
        // With the artist and the duration agreeing, one typo in a short title is still a match.
        TitleLevel::Near { short: true } => 25,
        TitleLevel::Near { short: false } => 10,
        TitleLevel::Partial => 10,
        TitleLevel::Different => -80,
        TitleLevel::Missing => 0,
    };
    let artist = match e.artist {
        ArtistLevel::Exact => 90,
        ArtistLevel::Close => 70,
        ArtistLevel::Partial => 60,
        ArtistLevel::Near => 40,
        ArtistLevel::Different => -90,
        ArtistLevel::Missing => 0,
    };
    let duration = match e.duration_gap {
        None => 0,
        Some(0..=3) => 30,
        Some(4..=10) => 10,
        Some(11..=30) => -30,
        Some(_) => -60,
    };
    // An ISRC is the strongest identifier, but a typo can make it another recording's: when the titles
    // disagree it counts for less, so that the titles' disagreement wins.
    let isrc = match (e.isrc, e.title) {
        (IsrcLevel::Exact, TitleLevel::Different) => 100,
        (IsrcLevel::Exact, _) => 160,
        (IsrcLevel::Near, _) => 60,
        (IsrcLevel::Different, _) => -40,
        (IsrcLevel::Missing, _) => 0,
    };
    let iswc = match e.iswc {
        Some(true) => 60,
        Some(false) => -10,
        None => 0,
    };
    // The audio is the recording itself: a fingerprint found in it outweighs every piece of metadata
    // disagreeing (training manifests often carry file names for titles).
    let audio = e.audio.map_or(0, |c| 200 + i32::from(c) / 4);
    PRIOR + title + artist + duration + isrc + iswc + audio
}

/// A match probability in thousandths from log-odds in tenths of a bit.
fn score(weight: i32) -> u16 {
    let p = 1.0 / (1.0 + 2f64.powf(-f64::from(weight) / 10.0));
    (p * 1000.0).round() as u16
}

/// An artist name of the item: its key and the hash of its words sorted.
#[derive(Clone)]
struct Name {
    key: String,
    hash: u64,
    sorted_hash: u64,
    words: u8,
}

impl Name {
    fn of(key: String) -> Name {
        Name {
            hash: hash(key.as_bytes()),
            sorted_hash: hash(sorted_words(&key).as_bytes()),
            words: word_count(&key),
            key,
        }
    }
}

/// The item, normalised once for all its candidates.
struct Query {
    title: Option<(ParsedTitle, TitleKeyOwned)>,
    main: Vec<Name>,
    /// Main and featured artists together.
    all: Vec<Name>,
    isrc: Option<String>,
    isrc_packed: u64,
    iswc_works: Vec<u32>,
    iswc_text: Option<String>,
    duration: Option<u32>,
    writers: Vec<String>,
    audio: Vec<(u32, u16)>,
}

struct TitleKeyOwned {
    hash: u64,
    sorted_hash: u64,
    compact_hash: u64,
    signature: u64,
    letters: u64,
    words: u8,
}

impl TitleKeyOwned {
    /// The same title once normalised: the same words, in any order, spaced any way, or the recording's
    /// title with its artist's name in front.
    fn same_as(&self, t: &TitleKey) -> bool {
        self.hash == t.hash
            || self.sorted_hash == t.sorted_hash
            || self.compact_hash == t.compact_hash
            || self.hash == t.stripped_hash
    }
}

impl<'r> Matcher<'r> {
    pub fn new(repertoire: &'r Repertoire, thresholds: Thresholds) -> Matcher<'r> {
        Matcher { repertoire, audio: None, thresholds }
    }

    /// Uses audio fingerprints too: items that carry one are looked up with `audio`.
    pub fn with_audio(mut self, audio: &'r dyn AudioLookup) -> Matcher<'r> {
        self.audio = Some(audio);
        self
    }

    /// Matches a batch in parallel; the outcomes are in the items' order.
    pub fn match_all(&self, items: &[Item]) -> Vec<Outcome> {
        items.par_iter().map(|i| self.match_item(i)).collect()
    }

    /// [`Matcher::match_all`], each outcome with the item's identity (what people's decisions are kept by),
    /// made from the same parse.
    pub fn match_all_identified(&self, items: &[Item]) -> Vec<(Outcome, String)> {
        items
            .par_iter()
            .map(|i| {
                let q = self.query(i);
                (self.decide(&q), Self::identity(&q))
            })
            .collect()
    }

    fn identity(q: &Query) -> String {
        let (core, markers) = q.title.as_ref().map_or(("", Markers::default()), |(t, _)| (t.core.as_str(), t.markers));
        let mut main: Vec<&str> = q.main.iter().map(|n| n.key.as_str()).collect();
        crate::identity(
            core,
            markers,
            &mut main,
            q.isrc.as_deref().unwrap_or(""),
            q.iswc_text.as_deref().unwrap_or(""),
            q.duration,
        )
    }

    fn query(&self, item: &Item) -> Query {
        let r = self.repertoire;
        let title = item.title.as_deref().filter(|t| !t.trim().is_empty()).map(|t| {
            let parsed = parse_title(t, item.version.as_deref());
            let (hash, sorted_hash, compact_hash) = title_hashes(&parsed.core);
            let key = TitleKeyOwned {
                hash,
                sorted_hash,
                compact_hash,
                signature: signature(&parsed.core),
                letters: letters(&parsed.core),
                words: word_count(&parsed.core),
            };
            (parsed, key)
        });
        let artists = parse_artists(&item.artists);
        let mut featured = artists.featured;
        if let Some((t, _)) = &title {
            featured.extend(t.featured.iter().map(|f| name_key(f)));
        }
        let main: Vec<Name> = artists.main.into_iter().map(Name::of).collect();
        let all = main.iter().cloned().chain(featured.into_iter().map(Name::of)).collect();
        let isrc = item.isrc.as_deref().map(isrc_text).filter(|i| !i.is_empty());
        let iswc_text = item.iswc.as_deref().and_then(iswc_text);
        let iswc_works =
            iswc_text.as_deref().map(|i| r.work_by_iswc.get(hash(i.as_bytes())).collect()).unwrap_or_default();
        let audio = match (self.audio, &item.fingerprint) {
            (Some(audio), Some(print)) if !print.is_empty() => audio
                .identify(print)
                .into_iter()
                .filter_map(|(key, confidence)| r.recording_index(&key).map(|row| (row, confidence)))
                .collect(),
            _ => Vec::new(),
        };
        Query {
            isrc_packed: isrc.as_deref().map_or(0, pack_isrc),
            isrc,
            title,
            main,
            all,
            iswc_works,
            iswc_text,
            duration: item.duration_s,
            writers: item.writers.iter().map(|w| name_key(w)).filter(|k| !k.is_empty()).collect(),
            audio,
        }
    }

    /// The artists of the repertoire with exactly one of the item's artist names.
    fn exact_artists(&self, q: &Query) -> Vec<u32> {
        let r = self.repertoire;
        let mut out: Vec<u32> = Vec::new();
        for name in &q.main {
            out.extend(r.artist_by_name.get(name.hash).filter(|a| r.artist_name(*a) == name.key));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The artists of the repertoire one typo from one of the item's artist names (not the same).
    fn similar_artists(&self, q: &Query) -> Vec<u32> {
        let r = self.repertoire;
        let mut out = Vec::new();
        for name in &q.main {
            let limit = allowed_edits(name.key.len());
            if limit == 0 {
                continue;
            }
            let mut found: Vec<u32> =
                deletion_variants(&name.key).into_iter().flat_map(|v| r.artist_variants.get(v)).collect();
            found.sort_unstable();
            found.dedup();
            found.retain(|a| {
                let theirs = r.artist_name(*a);
                theirs != name.key && edits_within(&name.key, theirs, limit).is_some()
            });
            found.truncate(FUZZY_ARTISTS_MAX);
            out.extend(found);
        }
        out
    }

    /// The recordings of these artists whose titles could fit the item's (see [`Matcher::title_could_fit`]):
    /// an artist with hundreds of recordings is swept, not weighed recording by recording.
    fn by_artists(&self, q: &Query, artists: &[u32], rows: &mut Vec<u32>) {
        // With no title, ISRC or ISWC an artist's recording could not reach a match (artist and duration
        // alone stay below `accept`): nothing to sweep for.
        if q.title.is_none() && q.isrc.is_none() && q.iswc_text.is_none() {
            return;
        }
        let r = self.repertoire;
        for a in artists {
            let theirs = r.artist_recordings(*a).iter().take(ARTIST_BLOCK_MAX);
            rows.extend(theirs.filter(|row| self.title_could_fit(q, &r.recordings[**row as usize].title)));
        }
    }

    /// Whether a title could come out close to the item's, by the cheap tests alone: equal keys, or
    /// letter sets near enough for the typos allowed. (A long title sharing most words but not its letters
    /// is let go: on its own that could not make a match.)
    fn title_could_fit(&self, q: &Query, t: &TitleKey) -> bool {
        let Some((parsed, key)) = &q.title else { return true };
        if t.core.is_empty() || key.same_as(t) {
            return true;
        }
        let longer = parsed.core.len().max(t.core.len());
        letters_within(key.letters, t.letters, allowed_edits(longer) + 1)
            && (longer < 8 || signatures_close(key.signature, t.signature))
    }

    /// The recordings that share the item's title, unless too many do. By title alone only when there is
    /// no artist to go by, or few recordings share it: with an artist, the title's other recordings are by
    /// other artists and could not win anyway.
    fn by_title(&self, q: &Query, rows: &mut Vec<u32>) {
        let r = self.repertoire;
        let limit = if q.main.is_empty() { TITLE_BLOCK_MAX } else { TITLE_BLOCK_WITH_ARTIST_MAX };
        if let Some((_, key)) = &q.title
            && r.by_title.count(key.hash) <= limit
        {
            rows.extend(r.by_title.get(key.hash));
        }
    }

    /// Every candidate weighed: first *narrowly* (by ISRC, audio and the item's artists, or artists a typo
    /// away when none has its name exactly); then, unless that found a certain match, *widely* (by title,
    /// and by artists a typo from one that exists exactly: another artist of almost the same name may be
    /// the one meant).
    fn weigh_candidates(&self, q: &Query) -> Vec<Evidence> {
        let r = self.repertoire;
        let mut rows: Vec<u32> = Vec::new();
        if q.isrc_packed != 0 {
            rows.extend(
                r.by_isrc.get(isrc_key(q.isrc_packed)).filter(|row| r.recordings[*row as usize].isrc == q.isrc_packed),
            );
        }
        rows.extend(q.audio.iter().map(|(row, _)| *row));
        let exact = self.exact_artists(q);
        let similar_first = exact.is_empty();
        if similar_first {
            self.by_artists(q, &self.similar_artists(q), &mut rows);
        } else {
            self.by_artists(q, &exact, &mut rows);
        }
        rows.sort_unstable();
        rows.dedup();
        let mut scored: Vec<Evidence> = rows.iter().map(|row| self.evidence(q, *row)).collect();
        if scored.iter().any(|e| e.weight >= CERTAIN && !e.version_conflict) {
            return scored;
        }
        let mut wider = Vec::new();
        if !similar_first {
            self.by_artists(q, &self.similar_artists(q), &mut wider);
        }
        self.by_title(q, &mut wider);
        wider.sort_unstable();
        wider.dedup();
        scored
            .extend(wider.into_iter().filter(|row| rows.binary_search(row).is_err()).map(|row| self.evidence(q, row)));
        scored
    }

    fn compare_title(&self, q: &Query, t: &TitleKey) -> TitleLevel {
        let Some((parsed, key)) = &q.title else { return TitleLevel::Missing };
        if t.core.is_empty() {
            return TitleLevel::Missing;
        }
        if key.same_as(t) {
            return TitleLevel::Exact;
        }
        // The text itself is read from the arena only when the cheap tests leave a doubt.
        let longer = parsed.core.len().max(t.core.len());
        let limit = allowed_edits(longer);
        let typo_possible = letters_within(key.letters, t.letters, limit + 1)
            && (longer < 8 || signatures_close(key.signature, t.signature));
        let long = key.words >= 3 && t.words >= 3;
        if !typo_possible && !long {
            return TitleLevel::Different;
        }
        let theirs = self.repertoire.str(t.core);
        if typo_possible && let Some(d) = edits_within(&parsed.core, theirs, limit + 1) {
            return if d <= limit { TitleLevel::Close(d) } else { TitleLevel::Near { short: limit == 0 } };
        }
        if long && word_overlap_per_mille(&parsed.core, theirs) >= 667 {
            return TitleLevel::Partial;
        }
        TitleLevel::Different
    }

    fn compare_artists(&self, q: &Query, rec: &Rec) -> ArtistLevel {
        let r = self.repertoire;
        let (main, all) = (r.main_artists(rec), r.all_artists(rec));
        if q.main.is_empty() || main.is_empty() {
            return ArtistLevel::Missing;
        }
        let same = |a: &Name, b: u32| {
            let theirs = &r.artist_keys[b as usize];
            a.hash == theirs.hash || a.sorted_hash == theirs.sorted_hash
        };
        let close = |a: &Name, b: u32| {
            let theirs = r.artist_name(b);
            let limit = allowed_edits(a.key.len().max(theirs.len()));
            limit > 0 && edits_within(&a.key, theirs, limit).is_some()
        };
        let covered = |ours: &[Name], theirs: &[u32], test: &dyn Fn(&Name, u32) -> bool| {
            ours.iter().all(|a| theirs.iter().any(|b| test(a, *b)))
                && theirs.iter().all(|b| ours.iter().any(|a| test(a, *b)))
        };
        // A featured artist moved between the title and the credit is still the same credit.
        if covered(&q.main, main, &same) || covered(&q.all, all, &same) {
            return ArtistLevel::Exact;
        }
        if covered(&q.main, main, &|a, b| same(a, b) || close(a, b)) {
            return ArtistLevel::Close;
        }
        // One name with a word more or less ("Tnhe Storms" / "Storms", "Anna Berg" / "Anna Berg Trio").
        let one_word_apart = |a: &Name, b: u32| {
            if a.words.abs_diff(r.artist_keys[b as usize].words) != 1 {
                return false;
            }
            let (x, y) = (a.key.as_str(), r.artist_name(b));
            let (short, long) = if x.len() < y.len() { (x, y) } else { (y, x) };
            short.split(' ').all(|w| long.split(' ').any(|v| v == w))
        };
        if q.main.iter().any(|a| all.iter().any(|b| same(a, *b) || close(a, *b) || one_word_apart(a, *b))) {
            return ArtistLevel::Partial;
        }
        let near = |a: &Name, b: u32| {
            let theirs = r.artist_name(b);
            edits_within(&a.key, theirs, allowed_edits(a.key.len().max(theirs.len())) + 1).is_some()
        };
        if q.main.len() == 1 && main.len() == 1 && near(&q.main[0], main[0]) {
            return ArtistLevel::Near;
        }
        ArtistLevel::Different
    }

    fn compare_isrc(q: &Query, rec: &Rec) -> IsrcLevel {
        let Some(ours) = &q.isrc else { return IsrcLevel::Missing };
        if rec.isrc == 0 {
            return IsrcLevel::Missing;
        }
        if q.isrc_packed == rec.isrc {
            return IsrcLevel::Exact;
        }
        let theirs = unpack_isrc(rec.isrc);
        let (a, b) = (ours.as_bytes(), &theirs[..]);
        if a.len() == b.len() {
            // One character off, or two neighbours swapped: found without collecting the differences.
            let mut differing = (0..a.len()).filter(|i| a[*i] != b[*i]);
            let near = match (differing.next(), differing.next(), differing.next()) {
                (Some(_), None, _) => true,
                (Some(i), Some(j), None) => j == i + 1 && a[i] == b[j] && a[j] == b[i],
                _ => false,
            };
            if near {
                return IsrcLevel::Near;
            }
        }
        IsrcLevel::Different
    }

    fn evidence(&self, q: &Query, row: u32) -> Evidence {
        let r = self.repertoire;
        let rec = &r.recordings[row as usize];
        let title = self.compare_title(q, &rec.title);
        let artist = self.compare_artists(q, rec);
        // A common title says little on its own; with the artist agreeing, what matters is whether the
        // artist has other recordings so titled, and those are candidates too.
        // An artist only close to the item's may be another artist of almost the same name: with a very
        // common title that is not enough ("Interlude" by "Neon Ember" is not by "The Neon Embers").
        let title_commonness = match (title, artist) {
            (TitleLevel::Exact, ArtistLevel::Exact) => 0,
            (TitleLevel::Exact, _) => (rec.title_count.max(1).ilog2() as i32 * 6).min(40),
            _ => 0,
        };
        let works = r.work_rows(rec);
        let iswc = match (q.iswc_text.is_some(), works.is_empty()) {
            (true, false) => Some(works.iter().any(|w| q.iswc_works.contains(w))),
            _ => None,
        };
        let markers = q.title.as_ref().map_or(0, |(t, _)| t.markers);
        let mut e = Evidence {
            row,
            title,
            title_commonness,
            artist,
            duration_gap: match (q.duration, rec.duration) {
                (Some(a), b) if b != u32::MAX => Some(a.abs_diff(b)),
                _ => None,
            },
            isrc: Self::compare_isrc(q, rec),
            iswc,
            audio: q.audio.iter().find(|(r, _)| *r == row).map(|(_, c)| *c),
            // The audio is the recording itself: no title note can overrule it.
            version_conflict: q.title.is_some() && markers != rec.title.markers,
            weight: 0,
        };
        if e.audio.is_some() {
            e.version_conflict = false;
        }
        if e.version_conflict {
            // Another version of a work has another length: the durations say nothing.
            e.duration_gap = None;
        }
        e.weight = weight(&e);
        e
    }

    /// Matches one item.
    pub fn match_item(&self, item: &Item) -> Outcome {
        self.decide(&self.query(item))
    }

    fn decide(&self, q: &Query) -> Outcome {
        if q.title.is_none() && q.main.is_empty() && q.isrc.is_none() && q.iswc_text.is_none() && q.audio.is_empty() {
            return Outcome::Unmatched {
                explanation: "nothing to match on: the item has no title, artist, ISRC, ISWC or known fingerprint"
                    .into(),
            };
        }
        let t = self.thresholds;
        let mut scored = self.weigh_candidates(q);
        scored.sort_unstable_by(|a, b| b.weight.cmp(&a.weight).then(a.row.cmp(&b.row)));
        let (conflicting, fitting): (Vec<Evidence>, Vec<Evidence>) =
            scored.into_iter().partition(|e| e.version_conflict);
        if let Some(best) = fitting.first().filter(|b| b.weight >= t.accept) {
            let rivals: Vec<&Evidence> = fitting.iter().skip(1).filter(|e| e.weight > best.weight - t.margin).collect();
            if rivals.is_empty() {
                return Outcome::Matched(self.recording_match(q, best));
            }
            if let Some(shared) = self.shared_works(best, &rivals) {
                return Outcome::Matched(Matched {
                    recording: None,
                    method: Method::Metadata,
                    score: score(best.weight),
                    explanation: format!(
                        "{} recordings fit equally well ({}); all of them record {}",
                        rivals.len() + 1,
                        std::iter::once(best)
                            .chain(rivals.iter().copied())
                            .take(CANDIDATES_SHOWN)
                            .map(|e| self.describe(q, e))
                            .collect::<Vec<_>>()
                            .join(" | ")
                            + if rivals.len() + 1 > CANDIDATES_SHOWN { " | …" } else { "" },
                        shared.join(", ")
                    ),
                    works: shared,
                });
            }
            return self.ambiguous(q, &fitting, best.weight - t.margin, "several recordings fit equally well");
        }
        if let Some(version) = conflicting.iter().find(|e| e.weight >= t.accept && self.has_works(e)) {
            return Outcome::Matched(self.version_match(q, version));
        }
        if let Some(m) = self.work_by_iswc(q).or_else(|| self.work_by_writers(q)) {
            return Outcome::Matched(m);
        }
        if fitting.first().is_some_and(|b| b.weight >= t.review) {
            return self.ambiguous(q, &fitting, t.review, "the best candidate is not certain enough");
        }
        Outcome::Unmatched { explanation: self.unmatched_reason(q, fitting.first().or(conflicting.first())) }
    }

    fn has_works(&self, e: &Evidence) -> bool {
        self.repertoire.recordings[e.row as usize].works_len > 0
    }

    fn recording_match(&self, q: &Query, e: &Evidence) -> Matched {
        let method = if e.audio.is_some() {
            Method::Fingerprint
        } else if e.isrc == IsrcLevel::Exact {
            Method::Isrc
        } else {
            Method::Metadata
        };
        Matched {
            recording: Some(self.repertoire.recording_key(e.row).to_owned()),
            works: self.repertoire.recording_works(e.row),
            method,
            score: score(e.weight),
            explanation: self.describe(q, e),
        }
    }

    /// The works every one of these recordings records, if they share any.
    fn shared_works(&self, best: &Evidence, rivals: &[&Evidence]) -> Option<Vec<String>> {
        let r = self.repertoire;
        let mut shared: Vec<u32> = r.work_rows(&r.recordings[best.row as usize]).to_vec();
        for e in rivals {
            let theirs = r.work_rows(&r.recordings[e.row as usize]);
            shared.retain(|w| theirs.contains(w));
        }
        shared.sort_unstable();
        shared.dedup();
        (!shared.is_empty()).then(|| shared.iter().map(|w| r.work_code(*w).to_owned()).collect())
    }

    fn version_match(&self, q: &Query, e: &Evidence) -> Matched {
        let r = self.repertoire;
        let rec = &r.recordings[e.row as usize];
        let ours = q.title.as_ref().map_or(0, |(t, _)| t.markers);
        let kind = |m| if m == 0 { "studio".to_owned() } else { marker_names(m).join(" ") };
        Matched {
            recording: None,
            works: r.recording_works(e.row),
            method: Method::Metadata,
            score: score(e.weight),
            explanation: format!(
                "a {} recording of the work of {}, which is {}: the same work, another recording",
                kind(ours),
                self.describe(q, e),
                kind(rec.title.markers)
            ),
        }
    }

    fn work_by_iswc(&self, q: &Query) -> Option<Matched> {
        let iswc = q.iswc_text.as_ref()?;
        let first = *q.iswc_works.first()?;
        let r = self.repertoire;
        Some(Matched {
            recording: None,
            works: q.iswc_works.iter().map(|w| r.work_code(*w).to_owned()).collect(),
            method: Method::Iswc,
            score: 990,
            explanation: format!(
                "ISWC {iswc} is the work {} '{}'; no recording of the repertoire fits the item",
                r.work_code(first),
                r.str(r.works[first as usize].shown_title)
            ),
        })
    }

    /// A work whose title agrees and whose writers include one of the item's: a recording the repertoire
    /// does not have (a cover, say) of a work it does.
    fn work_by_writers(&self, q: &Query) -> Option<Matched> {
        let (title, key) = q.title.as_ref()?;
        if q.writers.is_empty() {
            return None;
        }
        let r = self.repertoire;
        let agrees = |registered: &str| {
            q.writers.iter().any(|ours| {
                ours == registered || sorted_words(ours) == sorted_words(registered) || {
                    // A registered family name among the item's words ("HANSEN" / "Søren Hansen").
                    let words: Vec<&str> = ours.split(' ').collect();
                    !registered.contains(' ') && words.contains(&registered)
                }
            })
        };
        let mut works: Vec<u32> =
            r.work_by_title.get(key.hash).filter(|w| r.writers(&r.works[*w as usize]).any(agrees)).collect();
        works.sort_unstable();
        works.dedup();
        let first = *works.first()?;
        Some(Matched {
            recording: None,
            works: works.iter().map(|w| r.work_code(*w).to_owned()).collect(),
            method: Method::Metadata,
            score: 900,
            explanation: format!(
                "title '{}' and a writer agree with the work {} '{}'; no recording of the repertoire fits the item",
                title.core,
                r.work_code(first),
                r.str(r.works[first as usize].shown_title)
            ),
        })
    }

    fn ambiguous(&self, q: &Query, fitting: &[Evidence], floor: i32, why: &str) -> Outcome {
        let candidates: Vec<Candidate> = fitting
            .iter()
            .filter(|e| e.weight >= floor)
            .take(CANDIDATES_SHOWN)
            .map(|e| Candidate {
                recording: self.repertoire.recording_key(e.row).to_owned(),
                works: self.repertoire.recording_works(e.row),
                score: score(e.weight),
                explanation: self.describe(q, e),
            })
            .collect();
        Outcome::Ambiguous { explanation: format!("{why}: a person should decide"), candidates }
    }

    fn unmatched_reason(&self, q: &Query, closest: Option<&Evidence>) -> String {
        if let Some(e) = closest {
            return format!("no recording fits well enough; the closest is {}", self.describe(q, e));
        }
        match &q.title {
            Some((t, key)) if q.main.is_empty() && self.repertoire.by_title.count(key.hash) > TITLE_BLOCK_MAX => {
                format!(
                    "the title '{}' is shared by {} recordings and the item names no artist to tell them apart",
                    t.core,
                    self.repertoire.by_title.count(key.hash)
                )
            }
            _ => "no recording of the repertoire shares its ISRC, its artist or its title".into(),
        }
    }

    /// What the evidence for one candidate was, in words.
    fn describe(&self, q: &Query, e: &Evidence) -> String {
        let r = self.repertoire;
        let rec = &r.recordings[e.row as usize];
        let mut parts: Vec<String> = Vec::new();
        if let Some(c) = e.audio {
            parts.push(format!("the audio fingerprint is found in it ({}.{}%)", c / 10, c % 10));
        }
        match e.isrc {
            IsrcLevel::Exact => parts.push("ISRC agrees".into()),
            IsrcLevel::Near => parts.push(format!(
                "ISRC {} is one typo from {}",
                q.isrc.as_deref().unwrap_or(""),
                isrc_string(rec.isrc)
            )),
            IsrcLevel::Different => {
                let ours = q.isrc.as_deref().unwrap_or("");
                let note = if isrc_is_valid(ours) { "" } else { ", not a well-formed ISRC" };
                parts.push(format!("ISRC differs ({ours}{note})"))
            }
            IsrcLevel::Missing => {}
        }
        let removed = q.title.as_ref().map_or(String::new(), |(t, _)| {
            if t.removed.is_empty() {
                String::new()
            } else {
                format!(" once the {} is set aside", t.removed.join(" and "))
            }
        });
        parts.push(match e.title {
            TitleLevel::Exact
                if e.title_commonness >= 20 || (e.title_commonness > 0 && e.artist == ArtistLevel::Missing) =>
            {
                format!("title agrees{removed} (a common title: {} recordings)", rec.title_count)
            }
            TitleLevel::Exact => format!("title agrees{removed}"),
            TitleLevel::Close(d) => format!("title agrees but for {d} typo{}", if d == 1 { "" } else { "s" }),
            TitleLevel::Near { .. } => "title is one typo from it".into(),
            TitleLevel::Partial => "title shares most of its words".into(),
            TitleLevel::Different => "title differs".into(),
            TitleLevel::Missing => "no title to compare".into(),
        });
        parts.push(
            match e.artist {
                ArtistLevel::Exact => "artist agrees",
                ArtistLevel::Close => "artist agrees but for a typo",
                ArtistLevel::Partial => "one of the artists agrees",
                ArtistLevel::Near => "artist is one typo from it",
                ArtistLevel::Different => "artist differs",
                ArtistLevel::Missing => "no artist to compare",
            }
            .into(),
        );
        if let (Some(gap), Some(ours)) = (e.duration_gap, q.duration) {
            let off = if gap == 0 { String::new() } else { format!(", {gap} s apart") };
            parts.push(format!("duration {ours} s against {} s{off}", rec.duration));
        }
        match e.iswc {
            Some(true) => parts.push("ISWC agrees".into()),
            Some(false) => parts.push("ISWC names another work".into()),
            None => {}
        }
        format!(
            "'{}' by {} ({}): {}",
            r.str(rec.shown_title),
            r.str(rec.shown_artist),
            r.str(rec.key),
            parts.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RecordingEntry, RepertoireBuilder, WorkEntry};

    fn recording(
        key: &str,
        isrc: Option<&str>,
        title: &str,
        artist: &str,
        duration: u32,
        work: &str,
    ) -> RecordingEntry {
        RecordingEntry {
            key: key.into(),
            isrc: isrc.map(str::to_owned),
            title: title.into(),
            version: None,
            artists: vec![artist.into()],
            duration_s: Some(duration),
            works: vec![work.into()],
        }
    }

    fn repertoire() -> Repertoire {
        let mut b = RepertoireBuilder::new();
        b.add_works(&[
            WorkEntry {
                code: "W1".into(),
                titles: vec!["MIDNIGHT SERENADE".into()],
                iswc: Some("T-034.524.680-1".into()),
                writers: vec!["HANSEN SØREN".into()],
            },
            WorkEntry { code: "W2".into(), titles: vec!["INTRO".into()], iswc: None, writers: vec![] },
            WorkEntry { code: "W3".into(), titles: vec!["INTRO".into()], iswc: None, writers: vec![] },
        ]);
        b.add_recordings(&[
            recording("SE1AB2500001", Some("SE1AB2500001"), "Midnight Serenade", "Søren Hansen", 214, "W1"),
            recording("SE1AB2500002", Some("SE1AB2500002"), "Midnight Serenade (Live)", "Søren Hansen", 251, "W1"),
            recording("SE1AB2500003", Some("SE1AB2500003"), "Intro", "Anna Berg", 62, "W2"),
            recording("SE1AB2500004", Some("SE1AB2500004"), "Intro", "The Wild Storms", 95, "W3"),
        ]);
        b.build()
    }

    fn item(isrc: Option<&str>, title: &str, artist: &str, duration: Option<u32>) -> Item {
        Item {
            isrc: isrc.map(str::to_owned),
            title: Some(title.into()),
            artists: if artist.is_empty() { vec![] } else { vec![artist.into()] },
            duration_s: duration,
            ..Item::default()
        }
    }

    #[test]
    fn real_metadata_damage_is_undone() {
        let r = repertoire();
        let m = Matcher::new(&r, Thresholds::default());
        for i in [
            item(Some("SE1AB2500001"), "Midnight Serenade", "Søren Hansen", Some(214)),
            item(None, "MIDNIGHT SERENADE - Remastered 2011", "Soeren Hansen", Some(216)),
            item(None, "Midnight Serenade (feat. Anna Berg)", "Hansen, Søren", None),
            item(None, "Midnihgt Serenade", "Søren Hansen", Some(212)),
            item(Some("SE1AB2500010"), "midnight serenade", "Soren Hansen", Some(214)),
        ] {
            assert_eq!(m.match_item(&i).recording(), Some("SE1AB2500001"), "{i:?}: {:?}", m.match_item(&i));
        }
    }

    #[test]
    fn a_mistyped_isrc_that_names_another_recording_loses_to_the_metadata() {
        let r = repertoire();
        let m = Matcher::new(&r, Thresholds::default());
        // SE1AB2500003 is the Intro; the title and artist say Midnight Serenade by Søren Hansen.
        let outcome = m.match_item(&item(Some("SE1AB2500003"), "Midnight Serenade", "Søren Hansen", Some(214)));
        assert_eq!(outcome.recording(), Some("SE1AB2500001"), "{outcome:?}");
    }

    #[test]
    fn live_versions_and_common_titles_stay_apart() {
        let r = repertoire();
        let m = Matcher::new(&r, Thresholds::default());
        let live = m.match_item(&item(None, "Midnight Serenade (Live)", "Søren Hansen", Some(250)));
        assert_eq!(live.recording(), Some("SE1AB2500002"));
        // A version the repertoire does not have: the work, never the studio recording.
        let remix = m.match_item(&item(None, "Midnight Serenade - Club Remix", "Søren Hansen", None));
        assert_eq!(remix.recording(), None, "{remix:?}");
        let acoustic = m.match_item(&item(None, "Midnight Serenade (Acoustic)", "Søren Hansen", Some(200)));
        match acoustic {
            Outcome::Matched(Matched { recording: None, works, .. }) => assert_eq!(works, vec!["W1"]),
            other => panic!("expected the work alone: {other:?}"),
        }
        // "Intro" by someone else is nobody's Intro here.
        assert_eq!(m.match_item(&item(None, "Intro", "Ole Nielsen", Some(62))).recording(), None);
        assert_eq!(m.match_item(&item(None, "Intro", "Anna Berg", Some(63))).recording(), Some("SE1AB2500003"));
        assert!(matches!(
            m.match_item(&item(None, "Intro", "", Some(70))),
            Outcome::Ambiguous { .. } | Outcome::Unmatched { .. }
        ));
    }

    #[test]
    fn works_alone_by_iswc_and_by_writers() {
        let r = repertoire();
        let m = Matcher::new(&r, Thresholds::default());
        let by_iswc = Item { iswc: Some("T0345246801".into()), title: Some("Serenata".into()), ..Item::default() };
        match m.match_item(&by_iswc) {
            Outcome::Matched(found) => assert_eq!((found.method, found.works), (Method::Iswc, vec!["W1".to_owned()])),
            other => panic!("{other:?}"),
        }
        let cover = Item {
            title: Some("Midnight Serenade".into()),
            artists: vec!["Some Cover Band".into()],
            writers: vec!["Søren Hansen".into()],
            ..Item::default()
        };
        match m.match_item(&cover) {
            Outcome::Matched(found) => assert_eq!((found.recording, found.works), (None, vec!["W1".to_owned()])),
            other => panic!("{other:?}"),
        }
    }
}
