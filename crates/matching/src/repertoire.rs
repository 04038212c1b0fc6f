//! The repertoire as the matcher reads it: every recording and work normalised once, in compact rows (text
//! in one arena, lists flattened), with sorted indexes that block candidates by ISRC, by artist (exactly,
//! and within a typo through deletion neighbourhoods of the artists' names), by title and by ISWC.
//!
//! It is built in batches ([`RepertoireBuilder::add_recordings`]), each normalised in parallel, so a
//! repertoire of millions of recordings can be streamed in from a file or a store without holding its
//! source rows: only the normalised ones (which `build` regroups by artist, holding the arena twice for a
//! moment).

use std::collections::HashMap;

use rayon::prelude::*;

use crate::normalise::{self, Markers, isrc_is_valid, isrc_text, iswc_text, name_key, parse_artists, parse_title};
use crate::similarity::{letters, signature};
use crate::{RecordingEntry, WorkEntry};

/// A stretch of the text arena.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    pub fn len(self) -> usize {
        self.len as usize
    }
}

/// A normalised title: its core words (in the arena) and what the comparisons need of it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TitleKey {
    pub core: Span,
    pub hash: u64,
    /// The hash of the core's words sorted, and of its letters without spaces: word order and spacing
    /// ("Love Song" / "Lovesong") are not differences.
    pub sorted_hash: u64,
    pub compact_hash: u64,
    /// The hash of the title without its artist's name in front ("RIOPY: I Love You" is "I Love You"), or
    /// 0 when it does not start with it.
    pub stripped_hash: u64,
    pub signature: u64,
    pub letters: u64,
    pub words: u8,
    pub markers: Markers,
}

/// One recording, normalised.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rec {
    pub key: Span,
    pub shown_title: Span,
    pub shown_artist: Span,
    pub title: TitleKey,
    /// The ISRC packed base 36 (0: none).
    pub isrc: u64,
    /// How many recordings of the repertoire have this title.
    pub title_count: u32,
    /// Seconds, `u32::MAX` when unknown.
    pub duration: u32,
    /// Main artists then featured artists, in `artist_ids`.
    pub artists_start: u32,
    pub artists_main: u16,
    pub artists_featured: u16,
    pub works_start: u32,
    pub works_len: u16,
}

/// What comparing an artist's name needs: hashes of its key and of the key's words sorted, and how many
/// words it has.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArtistKey {
    pub hash: u64,
    pub sorted_hash: u64,
    pub words: u8,
}

/// The number of words of a folded text (at most 255).
pub(crate) fn word_count(text: &str) -> u8 {
    if text.is_empty() { 0 } else { (text.bytes().filter(|b| *b == b' ').count() + 1).min(255) as u8 }
}

/// One work, normalised.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkRec {
    pub code: Span,
    pub shown_title: Span,
    pub writers_start: u32,
    pub writers_len: u16,
}

/// A (hash, row) index: the pairs sorted by hash, and a directory of where each value of the hash's top
/// bits starts, so a lookup is two memory reads rather than a binary search's twenty.
#[derive(Debug, Default)]
pub(crate) struct HashIndex {
    pairs: Vec<(u64, u32)>,
    /// `starts[p]` is the first pair whose hash's top `bits` bits are `p`; one more entry ends the last.
    starts: Vec<u32>,
    bits: u32,
}

impl HashIndex {
    fn from(mut pairs: Vec<(u64, u32)>) -> HashIndex {
        pairs.par_sort_unstable();
        pairs.dedup();
        // About one pair per directory entry.
        let bits = (pairs.len().max(2).next_power_of_two().trailing_zeros()).clamp(1, 30);
        let mut starts = vec![0u32; (1 << bits) + 1];
        for (h, _) in &pairs {
            starts[(h >> (64 - bits)) as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        HashIndex { pairs, starts, bits }
    }

    fn slot(&self, hash: u64) -> &[(u64, u32)] {
        if self.pairs.is_empty() {
            return &[];
        }
        let prefix = (hash >> (64 - self.bits)) as usize;
        &self.pairs[self.starts[prefix] as usize..self.starts[prefix + 1] as usize]
    }

    /// The pairs under `hash`: a slot is sorted, so a hash shared by thousands of rows (a common title) is
    /// found by bisection rather than a scan of all of them.
    fn run(&self, hash: u64) -> &[(u64, u32)] {
        let slot = self.slot(hash);
        let start = slot.partition_point(|(h, _)| *h < hash);
        let end = start + slot[start..].partition_point(|(h, _)| *h == hash);
        &slot[start..end]
    }

    /// The rows under `hash`.
    pub fn get(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        self.run(hash).iter().map(|(_, row)| *row)
    }

    /// How many rows are under `hash`.
    pub fn count(&self, hash: u64) -> usize {
        self.run(hash).len()
    }

    /// Every (hash, row) pair in hash order.
    pub fn pairs(&self) -> &[(u64, u32)] {
        &self.pairs
    }

    fn bytes(&self) -> usize {
        self.pairs.capacity() * 16 + self.starts.capacity() * 4
    }
}

/// The repertoire, normalised and indexed. Build it with [`RepertoireBuilder`].
#[derive(Debug)]
pub struct Repertoire {
    pub(crate) text: String,
    pub(crate) recordings: Vec<Rec>,
    pub(crate) works: Vec<WorkRec>,
    /// Flattened per-recording lists.
    pub(crate) artist_ids: Vec<u32>,
    pub(crate) work_ids: Vec<u32>,
    /// Flattened per-work writer name keys (spans).
    pub(crate) writer_names: Vec<Span>,
    /// Artist id → its name key, and what comparisons need of it.
    pub(crate) artists: Vec<Span>,
    pub(crate) artist_keys: Vec<ArtistKey>,
    /// Artist id → its recordings (compressed rows: `artist_offsets[a]..artist_offsets[a + 1]`).
    pub(crate) artist_offsets: Vec<u32>,
    pub(crate) artist_recordings: Vec<u32>,
    pub(crate) artist_by_name: HashIndex,
    /// Deletion neighbourhood of each artist name (without spaces): a name one typo away shares a key.
    pub(crate) artist_variants: HashIndex,
    pub(crate) by_title: HashIndex,
    pub(crate) by_isrc: HashIndex,
    pub(crate) by_key: HashIndex,
    pub(crate) work_by_title: HashIndex,
    pub(crate) work_by_iswc: HashIndex,
}

/// What the repertoire holds, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepertoireSize {
    pub recordings: usize,
    pub works: usize,
    pub artists: usize,
    pub bytes: usize,
}

impl Repertoire {
    pub(crate) fn str(&self, span: Span) -> &str {
        &self.text[span.start as usize..(span.start + span.len) as usize]
    }

    pub fn size(&self) -> RepertoireSize {
        let indexes = [
            &self.artist_by_name,
            &self.artist_variants,
            &self.by_title,
            &self.by_isrc,
            &self.by_key,
            &self.work_by_title,
            &self.work_by_iswc,
        ];
        let bytes = self.text.capacity()
            + self.recordings.capacity() * std::mem::size_of::<Rec>()
            + self.works.capacity() * std::mem::size_of::<WorkRec>()
            + (self.artist_ids.capacity()
                + self.work_ids.capacity()
                + self.artist_offsets.capacity()
                + self.artist_recordings.capacity())
                * 4
            + (self.writer_names.capacity() + self.artists.capacity()) * 8
            + self.artist_keys.capacity() * std::mem::size_of::<ArtistKey>()
            + indexes.iter().map(|i| i.bytes()).sum::<usize>();
        RepertoireSize {
            recordings: self.recordings.len(),
            works: self.works.len(),
            artists: self.artists.len(),
            bytes,
        }
    }

    pub(crate) fn main_artists(&self, rec: &Rec) -> &[u32] {
        let start = rec.artists_start as usize;
        &self.artist_ids[start..start + rec.artists_main as usize]
    }

    pub(crate) fn all_artists(&self, rec: &Rec) -> &[u32] {
        let start = rec.artists_start as usize;
        &self.artist_ids[start..start + rec.artists_main as usize + rec.artists_featured as usize]
    }

    pub(crate) fn work_rows(&self, rec: &Rec) -> &[u32] {
        let start = rec.works_start as usize;
        &self.work_ids[start..start + rec.works_len as usize]
    }

    pub(crate) fn artist_name(&self, artist: u32) -> &str {
        self.str(self.artists[artist as usize])
    }

    pub(crate) fn artist_recordings(&self, artist: u32) -> &[u32] {
        let a = artist as usize;
        &self.artist_recordings[self.artist_offsets[a] as usize..self.artist_offsets[a + 1] as usize]
    }

    pub(crate) fn writers(&self, work: &WorkRec) -> impl Iterator<Item = &str> {
        let start = work.writers_start as usize;
        self.writer_names[start..start + work.writers_len as usize].iter().map(|s| self.str(*s))
    }

    /// The recording with this key, if any.
    pub fn recording_index(&self, key: &str) -> Option<u32> {
        self.by_key.get(hash(key.as_bytes())).find(|r| self.str(self.recordings[*r as usize].key) == key)
    }

    pub fn recording_key(&self, row: u32) -> &str {
        self.str(self.recordings[row as usize].key)
    }

    pub fn work_code(&self, row: u32) -> &str {
        self.str(self.works[row as usize].code)
    }

    /// The codes of the works a recording records.
    pub fn recording_works(&self, row: u32) -> Vec<String> {
        let rec = &self.recordings[row as usize];
        self.work_rows(rec).iter().map(|w| self.work_code(*w).to_owned()).collect()
    }
}

/// A 64-bit FNV-1a hash with a final mix: stable across runs and machines (the indexes are sorted by it).
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    hash_seeded(bytes, 0)
}

/// [`hash`] from another starting point: a second, independent hash of the same bytes.
fn hash_seeded(bytes: &[u8], seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// The ISRC packed base 36 into a number (0 when it is not well formed).
pub(crate) fn pack_isrc(isrc: &str) -> u64 {
    if !isrc_is_valid(isrc) {
        return 0;
    }
    isrc.bytes().fold(0u64, |n, b| n * 36 + u64::from(if b.is_ascii_digit() { b - b'0' } else { b - b'A' + 10 })) + 1
}

/// The index key of a packed ISRC: hashed, since packed ISRCs crowd into the low numbers and the index's
/// directory goes by the top bits.
pub(crate) fn isrc_key(packed: u64) -> u64 {
    hash(&packed.to_le_bytes())
}

/// The ISRC characters of a packed one.
pub(crate) fn unpack_isrc(mut packed: u64) -> [u8; 12] {
    packed = packed.saturating_sub(1);
    let mut out = [0u8; 12];
    for slot in out.iter_mut().rev() {
        let d = (packed % 36) as u8;
        *slot = if d < 10 { b'0' + d } else { b'A' + d - 10 };
        packed /= 36;
    }
    out
}

/// The ISRC text of a packed one.
pub(crate) fn isrc_string(packed: u64) -> String {
    String::from_utf8_lossy(&unpack_isrc(packed)).into_owned()
}

/// The hashes of a title's key forms, from its core with the digraphs reduced (so "Sommarnaetter" is
/// "Sommarnätter").
pub(crate) fn title_hashes(core: &str) -> (u64, u64, u64) {
    let core = normalise::reduce_digraphs(core);
    let core = core.as_str();
    let mut words: Vec<&str> = core.split(' ').collect();
    words.sort_unstable();
    let compact: String = core.chars().filter(|c| *c != ' ').collect();
    (hash(core.as_bytes()), hash(words.join(" ").as_bytes()), hash(compact.as_bytes()))
}

/// The deletion neighbourhood of a name without spaces: itself and every string one character shorter
/// (names longer than 24 characters use their first 24).
pub(crate) fn deletion_variants(name: &str) -> Vec<u64> {
    let compact: Vec<u8> = name.bytes().filter(|b| *b != b' ').take(24).collect();
    let mut out = Vec::with_capacity(compact.len() + 1);
    out.push(hash(&compact));
    if compact.len() >= 4 {
        let mut buffer = Vec::with_capacity(compact.len());
        for skip in 0..compact.len() {
            buffer.clear();
            buffer.extend(compact.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, b)| *b));
            out.push(hash(&buffer));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A recording normalised, before it is given a place in the arena.
struct Normalised {
    key: String,
    shown_title: String,
    shown_artist: String,
    core: String,
    hashes: (u64, u64, u64),
    stripped_hash: u64,
    signature: u64,
    letters: u64,
    markers: Markers,
    isrc: u64,
    duration: u32,
    main: Vec<String>,
    featured: Vec<String>,
    works: Vec<String>,
}

fn normalise_recording(e: &RecordingEntry) -> Normalised {
    let title = parse_title(&e.title, e.version.as_deref());
    let artists = parse_artists(&e.artists);
    let mut featured = artists.featured;
    featured.extend(title.featured.iter().map(|f| name_key(f)));
    let reduced = normalise::reduce_digraphs(&title.core);
    // The rest is already reduced (reducing twice is not the same: "maaemo" would lose another letter), and
    // the artist is reduced the same way to be found in front of it.
    let stripped_hash = artists
        .main
        .iter()
        .find_map(|a| {
            let artist = normalise::reduce_digraphs(a);
            reduced
                .strip_prefix(artist.as_str())
                .and_then(|rest| rest.strip_prefix(' '))
                .map(|rest| hash(rest.as_bytes()))
        })
        .unwrap_or(0);
    Normalised {
        key: e.key.clone(),
        stripped_hash,
        shown_title: match &e.version {
            Some(v) if !v.is_empty() => format!("{} ({v})", e.title),
            _ => e.title.clone(),
        },
        shown_artist: e.artists.join(", "),
        hashes: title_hashes(&title.core),
        signature: signature(&title.core),
        letters: letters(&title.core),
        core: title.core,
        markers: title.markers,
        isrc: e.isrc.as_deref().map_or(0, |i| pack_isrc(&isrc_text(i))),
        duration: e.duration_s.unwrap_or(u32::MAX),
        main: artists.main,
        featured,
        works: e.works.clone(),
    }
}

/// Builds a [`Repertoire`]: works first (so recordings can name them), then recordings in batches.
#[derive(Debug, Default)]
pub struct RepertoireBuilder {
    text: String,
    recordings: Vec<Rec>,
    works: Vec<WorkRec>,
    artist_ids: Vec<u32>,
    work_ids: Vec<u32>,
    writer_names: Vec<Span>,
    artists: Vec<Span>,
    artist_lookup: HashMap<String, u32>,
    work_lookup: HashMap<String, u32>,
    work_titles: Vec<(u64, u32)>,
    work_iswcs: Vec<(u64, u32)>,
}

impl RepertoireBuilder {
    pub fn new() -> RepertoireBuilder {
        RepertoireBuilder::default()
    }

    /// Spans are 32-bit offsets into the arena: 4 GiB of normalised text, some 40 million recordings.
    fn put(&mut self, text: &str) -> Span {
        let start = u32::try_from(self.text.len()).expect("the repertoire's text fits in 4 GiB (spans are 32-bit)");
        self.text.push_str(text);
        Span { start, len: text.len() as u32 }
    }

    /// Adds works (title and alternates, ISWC, writers). A code added twice keeps its first entry.
    pub fn add_works(&mut self, works: &[WorkEntry]) {
        let normalised: Vec<(Vec<String>, Option<String>, Vec<String>)> = works
            .par_iter()
            .map(|w| {
                let titles = w.titles.iter().map(|t| parse_title(t, None).core).collect();
                let writers = w.writers.iter().map(|n| name_key(n)).filter(|k| !k.is_empty()).collect();
                (titles, w.iswc.as_deref().and_then(iswc_text), writers)
            })
            .collect();
        for (w, (titles, iswc, writers)) in works.iter().zip(normalised) {
            if self.work_lookup.contains_key(&w.code) {
                continue;
            }
            let row = self.works.len() as u32;
            let code = self.put(&w.code);
            let shown_title = self.put(w.titles.first().map_or("", String::as_str));
            let writers_start = self.writer_names.len() as u32;
            // At most 500 writers of a work are kept (the count is 16 bits; no work has more).
            for name in writers.iter().take(500) {
                let span = self.put(name);
                self.writer_names.push(span);
            }
            self.works.push(WorkRec { code, shown_title, writers_start, writers_len: writers.len().min(500) as u16 });
            for t in titles.iter().filter(|t| !t.is_empty()) {
                self.work_titles.push((hash(t.as_bytes()), row));
            }
            if let Some(iswc) = iswc {
                self.work_iswcs.push((hash(iswc.as_bytes()), row));
            }
            self.work_lookup.insert(w.code.clone(), row);
        }
    }

    fn work_row(&mut self, code: &str) -> u32 {
        if let Some(row) = self.work_lookup.get(code) {
            return *row;
        }
        self.add_works(&[WorkEntry { code: code.to_owned(), titles: Vec::new(), iswc: None, writers: Vec::new() }]);
        self.work_lookup[code]
    }

    fn artist(&mut self, key: &str) -> u32 {
        if let Some(id) = self.artist_lookup.get(key) {
            return *id;
        }
        let id = self.artists.len() as u32;
        let span = self.put(key);
        self.artists.push(span);
        self.artist_lookup.insert(key.to_owned(), id);
        id
    }

    /// Adds a batch of recordings, normalised in parallel.
    pub fn add_recordings(&mut self, batch: &[RecordingEntry]) {
        let normalised: Vec<Normalised> = batch.par_iter().map(normalise_recording).collect();
        for n in normalised {
            let key = self.put(&n.key);
            let shown_title = self.put(&n.shown_title);
            let shown_artist = self.put(&n.shown_artist);
            let core = self.put(&n.core);
            let artists_start = self.artist_ids.len() as u32;
            let main: Vec<u32> = n.main.iter().take(64).map(|a| self.artist(a)).collect();
            let featured: Vec<u32> = n.featured.iter().take(64).map(|a| self.artist(a)).collect();
            self.artist_ids.extend(&main);
            self.artist_ids.extend(&featured);
            let works_start = self.work_ids.len() as u32;
            let works: Vec<u32> = n.works.iter().take(64).map(|w| self.work_row(w)).collect();
            self.work_ids.extend(&works);
            self.recordings.push(Rec {
                key,
                shown_title,
                shown_artist,
                title: TitleKey {
                    core,
                    hash: n.hashes.0,
                    sorted_hash: n.hashes.1,
                    compact_hash: n.hashes.2,
                    stripped_hash: n.stripped_hash,
                    signature: n.signature,
                    letters: n.letters,
                    words: word_count(&n.core),
                    markers: n.markers,
                },
                isrc: n.isrc,
                title_count: 0,
                duration: n.duration,
                artists_start,
                artists_main: main.len() as u16,
                artists_featured: featured.len() as u16,
                works_start,
                works_len: works.len() as u16,
            });
        }
    }

    /// Puts each artist's recordings side by side, with their text and lists in the same order: an item's
    /// candidates are mostly one artist's recordings, read in one sweep rather than a cache miss each.
    fn regrouped(self) -> RepertoireBuilder {
        let old = &self.text;
        let mut text = String::with_capacity(old.len());
        let mut copy = |s: Span| {
            let start = text.len() as u32;
            text.push_str(&old[s.start as usize..(s.start + s.len) as usize]);
            Span { start, len: s.len }
        };
        let artists: Vec<Span> = self.artists.iter().map(|s| copy(*s)).collect();
        let writer_names: Vec<Span> = self.writer_names.iter().map(|s| copy(*s)).collect();
        let works: Vec<WorkRec> =
            self.works.iter().map(|w| WorkRec { code: copy(w.code), shown_title: copy(w.shown_title), ..*w }).collect();
        let first_artist =
            |r: &Rec| if r.artists_main > 0 { self.artist_ids[r.artists_start as usize] } else { u32::MAX };
        let mut order: Vec<u32> = (0..self.recordings.len() as u32).collect();
        order.sort_by_key(|&i| (first_artist(&self.recordings[i as usize]), i));
        let mut artist_ids = Vec::with_capacity(self.artist_ids.len());
        let mut work_ids = Vec::with_capacity(self.work_ids.len());
        let recordings = order
            .iter()
            .map(|&i| {
                let r = self.recordings[i as usize];
                let artists_start = artist_ids.len() as u32;
                let a = r.artists_start as usize;
                artist_ids
                    .extend_from_slice(&self.artist_ids[a..a + r.artists_main as usize + r.artists_featured as usize]);
                let works_start = work_ids.len() as u32;
                let w = r.works_start as usize;
                work_ids.extend_from_slice(&self.work_ids[w..w + r.works_len as usize]);
                Rec {
                    key: copy(r.key),
                    shown_title: copy(r.shown_title),
                    shown_artist: copy(r.shown_artist),
                    title: TitleKey { core: copy(r.title.core), ..r.title },
                    artists_start,
                    works_start,
                    ..r
                }
            })
            .collect();
        RepertoireBuilder { text, recordings, works, artist_ids, work_ids, writer_names, artists, ..self }
    }

    /// Sorts the indexes and hands the repertoire over.
    pub fn build(self) -> Repertoire {
        let RepertoireBuilder {
            text,
            mut recordings,
            works,
            artist_ids,
            work_ids,
            writer_names,
            artists,
            work_titles,
            work_iswcs,
            ..
        } = self.regrouped();
        let str_of = |s: Span| &text[s.start as usize..(s.start + s.len) as usize];
        // Artist → recordings, by counting then placing (main artists only: a featured credit is not who
        // the recording is by).
        let mut artist_offsets = vec![0u32; artists.len() + 1];
        for r in &recordings {
            let start = r.artists_start as usize;
            for a in &artist_ids[start..start + r.artists_main as usize] {
                artist_offsets[*a as usize + 1] += 1;
            }
        }
        for i in 1..artist_offsets.len() {
            artist_offsets[i] += artist_offsets[i - 1];
        }
        let mut fill = artist_offsets.clone();
        let mut artist_recordings = vec![0u32; *artist_offsets.last().unwrap_or(&0) as usize];
        for (row, r) in recordings.iter().enumerate() {
            let start = r.artists_start as usize;
            for a in &artist_ids[start..start + r.artists_main as usize] {
                artist_recordings[fill[*a as usize] as usize] = row as u32;
                fill[*a as usize] += 1;
            }
        }
        let artist_by_name =
            HashIndex::from(artists.iter().enumerate().map(|(i, s)| (hash(str_of(*s).as_bytes()), i as u32)).collect());
        let artist_variants = HashIndex::from(
            artists
                .par_iter()
                .enumerate()
                .flat_map_iter(|(i, s)| deletion_variants(str_of(*s)).into_iter().map(move |h| (h, i as u32)))
                .collect(),
        );
        // A recording is found by its title, and by its title without its artist's name in front.
        let by_title = HashIndex::from(
            recordings
                .iter()
                .enumerate()
                .filter(|(_, r)| r.title.core.len > 0)
                .flat_map(|(i, r)| {
                    let stripped = (r.title.stripped_hash != 0).then_some((r.title.stripped_hash, i as u32));
                    std::iter::once((r.title.hash, i as u32)).chain(stripped)
                })
                .collect(),
        );
        // Each recording knows how common its title is (the index is sorted by title hash).
        let pairs = by_title.pairs();
        let mut start = 0;
        while start < pairs.len() {
            let h = pairs[start].0;
            let end = start + pairs[start..].iter().take_while(|(x, _)| *x == h).count();
            for (_, row) in &pairs[start..end] {
                let rec = &mut recordings[*row as usize];
                if rec.title.hash == h {
                    rec.title_count = (end - start) as u32;
                }
            }
            start = end;
        }
        let artist_keys = artists
            .iter()
            .map(|s| {
                let key = str_of(*s);
                ArtistKey {
                    hash: hash(key.as_bytes()),
                    sorted_hash: hash(normalise::sorted_words(key).as_bytes()),
                    words: word_count(key),
                }
            })
            .collect();
        let by_isrc = HashIndex::from(
            recordings
                .iter()
                .enumerate()
                .filter(|(_, r)| r.isrc != 0)
                .map(|(i, r)| (isrc_key(r.isrc), i as u32))
                .collect(),
        );
        let by_key = HashIndex::from(
            recordings.iter().enumerate().map(|(i, r)| (hash(str_of(r.key).as_bytes()), i as u32)).collect(),
        );
        Repertoire {
            recordings,
            works,
            artist_ids,
            work_ids,
            writer_names,
            artists,
            artist_keys,
            artist_offsets,
            artist_recordings,
            artist_by_name,
            artist_variants,
            by_title,
            by_isrc,
            by_key,
            work_by_title: HashIndex::from(work_titles),
            work_by_iswc: HashIndex::from(work_iswcs),
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isrcs_pack_and_unpack() {
        for isrc in ["GBAYC1700598", "SE0AB2500001", "ZZZZZ9999999", "AA0000000000"] {
            assert_eq!(isrc_string(pack_isrc(isrc)), isrc);
        }
        assert_eq!(pack_isrc("GBAYC17OO598"), 0);
    }

    #[test]
    fn a_typo_shares_a_deletion_variant() {
        let a = deletion_variants("soren hansen");
        let b = deletion_variants("soren hanson");
        let c = deletion_variants("anna berg");
        assert!(a.iter().any(|h| b.binary_search(h).is_ok()));
        assert!(!a.iter().any(|h| c.binary_search(h).is_ok()));
    }
}
