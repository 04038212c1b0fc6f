//! A seeded universe of recordings for matching tests and benchmarks, and training manifests drawn from it
//! with the damage real manifests do.
//!
//! The universe is built artist by artist: Nordic and other names (with their diacritics), bands, duos and
//! stage names; each artist with a skewed number of songs, some with other versions (live, remix,
//! acoustic, instrumental, radio edit, demo) that are separate recordings of the same song; ISRCs numbered
//! per label and year (so a typo in one often names a neighbour); a few very common titles ("Intro",
//! "Home", "Love Song"). Its recordings are shuffled and split into the society's *repertoire* and the
//! recordings it does not hold, so an artist's songs can fall on both sides.
//!
//! A manifest takes a stated share of its items from the repertoire and the rest from outside it, and
//! damages them at stated rates ([`Damage`]): missing and mistyped ISRCs, changed titles (case, a typo,
//! a "Remastered" suffix, a "feat." credit), changed artists (case, "The", transliteration, a typo, a
//! "feat." credit, order), durations off by seconds or missing. Each item keeps its truth.

use crate::SplitMix64;

/// One recording of the universe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueRecording {
    /// `R` and eight digits, in order of generation.
    pub id: String,
    pub isrc: Option<String>,
    /// The title as the label writes it, its version included ("Northern Lights (Live)").
    pub title: String,
    pub version: Option<&'static str>,
    pub artist: String,
    pub duration_s: u32,
    /// The song (work) it records: versions of one song share it.
    pub song: u64,
}

/// The repertoire and the recordings outside it.
#[derive(Debug, Clone)]
pub struct Universe {
    pub repertoire: Vec<CatalogueRecording>,
    pub outside: Vec<CatalogueRecording>,
}

/// How a manifest is damaged, in percent of its items (each damage drawn independently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damage {
    /// Items taken from the repertoire; the rest come from outside it.
    pub from_repertoire: u64,
    pub isrc_missing: u64,
    pub isrc_mistyped: u64,
    pub title_changed: u64,
    pub artist_changed: u64,
    /// Durations are moved by up to this many seconds either way.
    pub duration_jitter_s: u32,
    pub duration_missing: u64,
}

impl Damage {
    /// The rates of the matching issue: 70% from the repertoire; ISRC missing on 30% and mistyped on 5%;
    /// title changed on 50%; artist changed on 20%; durations within ±3 s, missing on 5%.
    pub const ISSUE: Damage = Damage {
        from_repertoire: 70,
        isrc_missing: 30,
        isrc_mistyped: 5,
        title_changed: 50,
        artist_changed: 20,
        duration_jitter_s: 3,
        duration_missing: 5,
    };
}

/// One manifest item with its truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestItem {
    pub row_id: String,
    pub isrc: Option<String>,
    pub title: String,
    pub artist: String,
    pub duration_s: Option<u32>,
    /// The recording of the universe it was drawn from, inside the repertoire or not.
    pub drawn_from: String,
    /// The repertoire recording it is, or `None` for an item from outside the repertoire.
    pub truth: Option<String>,
    /// The song it records (whether or not the repertoire holds the recording).
    pub song: u64,
}

const GIVEN: &[&str] = &[
    "Anna",
    "Erik",
    "Lars",
    "Karin",
    "Björn",
    "Søren",
    "Åsa",
    "Mikko",
    "Sigríður",
    "Jón",
    "Ingrid",
    "Ole",
    "Liv",
    "Jukka",
    "Helga",
    "Päivi",
    "Astrid",
    "Niels",
    "Frøya",
    "Guðrún",
    "Magnus",
    "Emma",
    "Aksel",
    "Tuula",
    "Einar",
    "Johan",
    "Maja",
    "Oskar",
    "Elin",
    "Hanna",
    "Jonas",
    "Sofie",
    "Mathias",
    "Ida",
    "Kasper",
    "Freja",
    "Emil",
    "Nora",
    "Henrik",
    "Silje",
    "Tove",
    "Jørgen",
    "Märta",
    "Göran",
    "Ulla",
    "Kjell",
    "Birgitta",
    "Håkon",
    "Tiina",
    "Sampo",
    "Aino",
    "Eero",
    "Ronja",
    "Sindre",
    "Thea",
    "Vilde",
    "Ebba",
    "Linnea",
    "Aleksi",
    "Eveliina",
    "Þóra",
    "Ragnar",
    "Brynjar",
    "Katla",
    "Dagný",
    "Arnar",
    "Daniel",
    "Sarah",
    "Michael",
    "Laura",
    "David",
    "Julia",
    "Thomas",
    "Lucy",
    "James",
    "Marie",
    "Peter",
    "Elena",
    "Marco",
    "Zoë",
    "André",
    "Chloé",
    "José",
    "Renée",
    "Noah",
    "Mia",
    "Leon",
];
const SURNAME_HEADS: &[&str] = &[
    "Berg", "Lind", "Sjö", "Ek", "Holm", "Dahl", "Sand", "Ny", "Ström", "Hag", "Fjell", "Vik", "Lund", "Ås", "Bäck",
    "Ahl", "Åker", "Nord", "Söder", "Öster", "Björk", "Eng", "Gran", "Hed", "Kvarn", "Löv", "Mo", "Norr", "Rosen",
    "Sten", "Wall", "Øster", "Bjør", "Hau", "Kjær", "Møl",
];
const SURNAME_TAILS: &[&str] = &[
    "berg", "gren", "lund", "ström", "qvist", "man", "dal", "sson", "sen", "stad", "vik", "holm", "by", "ness", "heim",
    "gård", "nen", "la", "bäck", "ling",
];
const WORDS: &[&str] = &[
    "love",
    "night",
    "summer",
    "winter",
    "light",
    "heart",
    "song",
    "river",
    "northern",
    "dream",
    "fire",
    "snow",
    "midnight",
    "sun",
    "storm",
    "ocean",
    "forest",
    "golden",
    "silent",
    "wild",
    "blue",
    "hollow",
    "echo",
    "sky",
    "star",
    "road",
    "city",
    "hope",
    "time",
    "rain",
    "home",
    "girl",
    "boy",
    "dance",
    "heaven",
    "shadow",
    "silver",
    "morning",
    "evening",
    "lonely",
    "broken",
    "young",
    "forever",
    "tonight",
    "together",
    "away",
    "alone",
    "memory",
    "stranger",
    "paradise",
    "rose",
    "wolf",
    "raven",
    "mountain",
    "valley",
    "island",
    "harbour",
    "lighthouse",
    "wave",
    "tide",
    "frost",
    "ember",
    "ashes",
    "smoke",
    "glass",
    "stone",
    "iron",
    "velvet",
    "honey",
    "sugar",
    "wine",
    "whisky",
    "train",
    "highway",
    "motel",
    "radio",
    "neon",
    "diamond",
    "crown",
    "king",
    "queen",
    "angel",
    "devil",
    "ghost",
    "spirit",
    "soul",
    "mind",
    "eyes",
    "hands",
    "lips",
    "kiss",
    "fever",
    "thunder",
    "lightning",
    "hurricane",
    "north",
    "south",
    "east",
    "west",
    "spring",
    "autumn",
    "april",
    "june",
    "october",
    "december",
    "monday",
    "sunday",
    "yesterday",
    "tomorrow",
    "always",
    "never",
    "maybe",
    "everything",
    "nothing",
    "somebody",
    "nobody",
    "people",
    "world",
    "universe",
    "moon",
    "planet",
    "galaxy",
    "comet",
    "satellite",
    "signal",
    "secret",
    "promise",
    "lie",
    "truth",
    "story",
    "letter",
    "photograph",
    "mirror",
    "window",
    "door",
    "garden",
    "kitchen",
    "bedroom",
    "street",
    "avenue",
    "bridge",
    "tower",
    "castle",
    "kingdom",
    "empire",
    "revolution",
    "freedom",
    "danger",
    "desire",
    "sorrow",
    "joy",
    "laughter",
    "tears",
    "blood",
    "bones",
    "skin",
    "breath",
    "whisper",
    "scream",
    "silence",
    "noise",
    "rhythm",
    "melody",
    "harmony",
    "chorus",
    "ballad",
    "lullaby",
    "serenade",
    "anthem",
    "hymn",
    "prayer",
    "sinner",
    "saint",
    "prophet",
    "rebel",
    "runaway",
    "wanderer",
    "dreamer",
    "lover",
    "fighter",
    "hunter",
    "sailor",
    "soldier",
    "stranger",
    "drifter",
    "gambler",
    "dancer",
    "singer",
    "painter",
    "poet",
    "thief",
    "fool",
    "hero",
    "villain",
    "aurora",
    "fjord",
    "tundra",
    "birch",
    "pine",
    "elk",
    "reindeer",
    "sauna",
    "midsummer",
    "lantern",
    "candle",
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "sa", "vo", "ti", "nel", "ra", "el", "an", "ja", "ko", "lu", "ma", "ni", "ol", "pe", "ri",
    "su", "ta", "ve", "yl", "zo", "bri", "dra", "fle", "gro", "kla", "pra", "sto", "tre", "vin", "mar", "len",
];
const ADJECTIVES: &[&str] = &[
    "Wild", "Silent", "Golden", "Northern", "Broken", "Electric", "Velvet", "Crimson", "Hollow", "Neon", "Frozen",
    "Burning", "Lonely", "Midnight", "Silver", "Royal", "Savage", "Gentle", "Restless", "Distant", "Black", "White",
];
const NOUNS: &[&str] = &[
    "Storm",
    "Wolf",
    "Raven",
    "River",
    "Echo",
    "Lantern",
    "Crown",
    "Ghost",
    "Sailor",
    "Comet",
    "Signal",
    "Mirror",
    "Tide",
    "Ember",
    "Harbour",
    "Fjord",
    "Saint",
    "Rebel",
    "Drifter",
    "Pine",
    "Satellite",
    "Thunder",
];
/// Titles many artists give a song.
pub const COMMON_TITLES: &[&str] =
    &["Intro", "Home", "Love Song", "Outro", "Interlude", "Hallelujah", "Untitled", "Forever", "Stay", "Tonight"];
/// Versions with their share (of songs that have one) and their duration change range in seconds.
const VERSIONS: &[(&str, u64, i32, i32)] = &[
    ("Live", 40, 10, 60),
    ("Remix", 20, 30, 120),
    ("Acoustic", 15, -20, 20),
    ("Instrumental", 10, -5, 5),
    ("Radio Edit", 10, -60, -20),
    ("Demo", 5, -30, 30),
];
const COUNTRIES: &[&str] = &["SE", "NO", "DK", "FI", "IS", "GB", "US", "DE"];
const ALPHANUMERIC: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LETTERS: &[u8; 26] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn pick<'a>(rng: &mut SplitMix64, list: &[&'a str]) -> &'a str {
    list[rng.below(list.len() as u64) as usize]
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
}

fn coined_word(rng: &mut SplitMix64) -> String {
    (0..2 + rng.below(2)).map(|_| pick(rng, SYLLABLES)).collect()
}

fn person(rng: &mut SplitMix64) -> String {
    let family = if rng.chance(75) {
        format!("{}{}", pick(rng, SURNAME_HEADS), pick(rng, SURNAME_TAILS))
    } else {
        capitalise(&coined_word(rng))
    };
    format!("{} {family}", pick(rng, GIVEN))
}

fn artist_name(rng: &mut SplitMix64) -> String {
    match rng.below(100) {
        0..=44 => person(rng),
        45..=59 => format!("The {} {}s", pick(rng, ADJECTIVES), pick(rng, NOUNS)),
        60..=74 => format!("{} {}", pick(rng, ADJECTIVES), pick(rng, NOUNS)),
        75..=84 => format!("{} & {}", person(rng), person(rng)),
        _ => capitalise(&coined_word(rng)),
    }
}

/// A title word: mostly from the lyric vocabulary (skewed, so some words recur often), sometimes coined.
fn title_word(rng: &mut SplitMix64) -> String {
    if rng.chance(15) { coined_word(rng) } else { WORDS[rng.skewed(WORDS.len() as u64) as usize].to_owned() }
}

fn title(rng: &mut SplitMix64) -> String {
    if rng.chance(3) {
        return pick(rng, COMMON_TITLES).to_owned();
    }
    let words = match rng.below(100) {
        0..=24 => 1,
        25..=64 => 2,
        65..=89 => 3,
        _ => 4,
    };
    (0..words).map(|_| capitalise(&title_word(rng))).collect::<Vec<_>>().join(" ")
}

/// Issues ISRCs per label and year: serials count up, so neighbours differ in their last digits.
struct Isrcs {
    serials: std::collections::HashMap<(u64, u32), u32>,
}

impl Isrcs {
    fn next(&mut self, label: u64, year: u32) -> String {
        let serial = self.serials.entry((label, year)).or_insert(0);
        *serial += 1;
        let country = COUNTRIES[(label % COUNTRIES.len() as u64) as usize];
        format!("{country}{}{:02}{:05}", crate::registrant_code(label), year % 100, *serial % 100_000)
    }
}

/// Generates `repertoire + outside` recordings and splits them at random.
pub fn universe(seed: u64, repertoire: usize, outside: usize) -> Universe {
    let mut rng = SplitMix64::new(seed);
    let total = repertoire + outside;
    let mut all = Vec::with_capacity(total + 64);
    let mut isrcs = Isrcs { serials: Default::default() };
    let mut song = 0u64;
    while all.len() < total {
        let artist = artist_name(&mut rng);
        let label = rng.below(600);
        let songs = 1 + rng.skewed(60);
        let mut titles: Vec<String> = Vec::new();
        for _ in 0..songs {
            let mut t = title(&mut rng);
            // An artist seldom gives two songs one title (common titles aside).
            while titles.contains(&t) && !COMMON_TITLES.contains(&t.as_str()) {
                t = title(&mut rng);
            }
            titles.push(t.clone());
            song += 1;
            let year = 1970 + rng.below(56) as u32;
            let duration = 120 + rng.below(300) as u32;
            let mut push = |rng: &mut SplitMix64, title: String, version: Option<&'static str>, duration: u32| {
                let isrc = (!rng.chance(8)).then(|| isrcs.next(label, year));
                all.push(CatalogueRecording {
                    id: format!("R{:08}", all.len() + 1),
                    isrc,
                    title,
                    version,
                    artist: artist.clone(),
                    duration_s: duration,
                    song,
                });
            };
            push(&mut rng, t.clone(), None, duration);
            if rng.chance(15) {
                let mut roll = rng.below(100);
                let &(version, _, low, high) = VERSIONS
                    .iter()
                    .find(|(_, share, _, _)| {
                        let hit = roll < *share;
                        roll = roll.saturating_sub(*share);
                        hit
                    })
                    .unwrap_or(&VERSIONS[0]);
                let change = low + rng.below((high - low + 1) as u64) as i32;
                let shown = if rng.chance(50) { format!("{t} ({version})") } else { format!("{t} - {version}") };
                push(&mut rng, shown, Some(version), (duration as i32 + change).max(30) as u32);
            }
        }
    }
    all.truncate(total);
    // Fisher–Yates with our own generator, so the split is the same on every machine.
    for i in (1..all.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        all.swap(i, j);
    }
    let outside = all.split_off(repertoire);
    Universe { repertoire: all, outside }
}

/// One typo in a word's letters: a substitution, a deletion, an insertion or a swap of neighbours.
fn typo(rng: &mut SplitMix64, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let letters: Vec<usize> = (0..chars.len()).filter(|i| chars[*i].is_alphabetic()).collect();
    if letters.len() < 2 {
        return text.to_owned();
    }
    let at = letters[rng.below(letters.len() as u64) as usize];
    let letter = char::from(LETTERS[rng.below(26) as usize]).to_ascii_lowercase();
    let next = if at + 1 < chars.len() { at + 1 } else { at - 1 };
    match rng.below(4) {
        0 => {
            let same = chars[at].to_ascii_lowercase() == letter;
            chars[at] = if same { char::from((letter as u8 - b'a' + 1) % 26 + b'a') } else { letter };
        }
        // A swap of two equal letters would change nothing: drop one instead.
        1 | 3 if chars[at] == chars[next] => {
            chars.remove(at);
        }
        1 => {
            chars.remove(at);
        }
        2 => chars.insert(at, letter),
        _ => chars.swap(at, next),
    }
    chars.into_iter().collect()
}

/// The base title and its version suffix, as the universe wrote them.
fn split_version(recording: &CatalogueRecording) -> (&str, &str) {
    match recording.version {
        Some(_) => {
            let at =
                recording.title.find(" (").or_else(|| recording.title.find(" - ")).unwrap_or(recording.title.len());
            recording.title.split_at(at)
        }
        None => (&recording.title, ""),
    }
}

fn damaged_title(rng: &mut SplitMix64, recording: &CatalogueRecording) -> String {
    let (base, version) = split_version(recording);
    match rng.below(4) {
        0 => match rng.below(3) {
            0 => recording.title.to_uppercase(),
            1 => recording.title.to_lowercase(),
            _ => format!("{}{version}", base.to_lowercase()),
        },
        1 => format!("{}{version}", typo(rng, base)),
        2 => {
            let year = 1990 + rng.below(35);
            match rng.below(3) {
                0 => format!("{} - Remastered {year}", recording.title),
                1 => format!("{} ({year} Remaster)", recording.title),
                _ => format!("{} [Remastered]", recording.title),
            }
        }
        _ => format!("{base} (feat. {}){version}", person(rng)),
    }
}

/// The artist written another way (a transliteration, a reordering, "The" toggled, ...).
fn damaged_artist(rng: &mut SplitMix64, artist: &str) -> String {
    match rng.below(6) {
        0 => {
            if rng.chance(50) {
                artist.to_uppercase()
            } else {
                artist.to_lowercase()
            }
        }
        1 => match artist.strip_prefix("The ") {
            Some(rest) => rest.to_owned(),
            None => format!("The {artist}"),
        },
        2 => {
            let spelled: String = artist
                .chars()
                .map(|c| match c {
                    'ø' => "oe".to_owned(),
                    'Ø' => "Oe".to_owned(),
                    'å' => "aa".to_owned(),
                    'Å' => "Aa".to_owned(),
                    'ä' | 'æ' => "ae".to_owned(),
                    'ö' => "oe".to_owned(),
                    'ü' => "ue".to_owned(),
                    'é' | 'è' => "e".to_owned(),
                    'ð' => "d".to_owned(),
                    'í' => "i".to_owned(),
                    'ú' => "u".to_owned(),
                    'ó' => "o".to_owned(),
                    other => other.to_string(),
                })
                .collect();
            if spelled == artist { artist.to_uppercase() } else { spelled }
        }
        3 => typo(rng, artist),
        4 => format!("{artist} feat. {}", person(rng)),
        _ => match artist.split_once(" & ") {
            Some((a, b)) => format!("{b} & {a}"),
            None => match artist.split_once(' ') {
                Some((given, family)) if !artist.starts_with("The ") && !family.contains(' ') => {
                    format!("{family}, {given}")
                }
                _ => artist.to_lowercase(),
            },
        },
    }
}

fn damaged_isrc(rng: &mut SplitMix64, isrc: &str) -> String {
    let mut bytes = isrc.as_bytes().to_vec();
    if rng.chance(50) {
        // Two neighbours swapped (where they differ).
        let at = rng.below(11) as usize;
        if bytes[at] != bytes[at + 1] {
            bytes.swap(at, at + 1);
            return String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    let at = rng.below(12) as usize;
    let was = bytes[at];
    loop {
        let replacement =
            if was.is_ascii_digit() { b'0' + rng.below(10) as u8 } else { ALPHANUMERIC[10 + rng.below(26) as usize] };
        if replacement != was {
            bytes[at] = replacement;
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A manifest of `items` drawn from the universe and damaged at `damage`'s rates.
pub fn manifest(seed: u64, universe: &Universe, items: usize, damage: &Damage) -> Vec<ManifestItem> {
    let mut rng = SplitMix64::new(seed ^ 0x6d61_6e69_6665_7374);
    (0..items)
        .map(|n| {
            let inside = universe.outside.is_empty() || rng.chance(damage.from_repertoire);
            let pool = if inside { &universe.repertoire } else { &universe.outside };
            let recording = &pool[rng.below(pool.len() as u64) as usize];
            let isrc = recording.isrc.as_ref().and_then(|isrc| {
                let roll = rng.below(100);
                if roll < damage.isrc_missing {
                    None
                } else if roll < damage.isrc_missing + damage.isrc_mistyped {
                    Some(damaged_isrc(&mut rng, isrc))
                } else {
                    Some(isrc.clone())
                }
            });
            let title = if rng.chance(damage.title_changed) {
                damaged_title(&mut rng, recording)
            } else {
                recording.title.clone()
            };
            let artist = if rng.chance(damage.artist_changed) {
                damaged_artist(&mut rng, &recording.artist)
            } else {
                recording.artist.clone()
            };
            let jitter = i64::from(damage.duration_jitter_s);
            let duration_s = (!rng.chance(damage.duration_missing)).then(|| {
                let change = rng.below(2 * jitter as u64 + 1) as i64 - jitter;
                (i64::from(recording.duration_s) + change).max(1) as u32
            });
            ManifestItem {
                row_id: format!("M{:08}", n + 1),
                isrc,
                title,
                artist,
                duration_s,
                drawn_from: recording.id.clone(),
                truth: inside.then(|| recording.id.clone()),
                song: recording.song,
            }
        })
        .collect()
}

/// A CSV cell, quoted when it must be.
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// Writes recordings as the matching peer reads a repertoire: `rec_id,isrc,title,artist,duration_s`.
pub fn write_repertoire_csv(out: &mut dyn std::io::Write, recordings: &[CatalogueRecording]) -> std::io::Result<()> {
    writeln!(out, "rec_id,isrc,title,artist,duration_s")?;
    for r in recordings {
        writeln!(
            out,
            "{},{},{},{},{}",
            r.id,
            r.isrc.as_deref().unwrap_or(""),
            cell(&r.title),
            cell(&r.artist),
            r.duration_s
        )?;
    }
    Ok(())
}

/// Writes a manifest as the matching peer reads one: `row_id,isrc,title,artist,duration_s,true_rec_id`.
pub fn write_manifest_csv(out: &mut dyn std::io::Write, items: &[ManifestItem]) -> std::io::Result<()> {
    writeln!(out, "row_id,isrc,title,artist,duration_s,true_rec_id")?;
    for i in items {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            i.row_id,
            i.isrc.as_deref().unwrap_or(""),
            cell(&i.title),
            cell(&i.artist),
            i.duration_s.map_or(String::new(), |d| d.to_string()),
            i.truth.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

/// Precision, recall and F1 of predictions against a manifest's truth, counted as the matching peer
/// counts them: a prediction is right when it names the item's repertoire recording; every other
/// prediction is a false positive; an item of the repertoire without the right prediction is a false
/// negative.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Quality {
    pub items: u64,
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
}

impl Quality {
    pub fn add(&mut self, truth: Option<&str>, predicted: Option<&str>) {
        self.items += 1;
        match (truth, predicted) {
            (Some(t), Some(p)) if t == p => self.true_positives += 1,
            (t, Some(_)) => {
                self.false_positives += 1;
                self.false_negatives += u64::from(t.is_some());
            }
            (Some(_), None) => self.false_negatives += 1,
            (None, None) => {}
        }
    }

    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Quality over all items, over those whose manifest line has an ISRC, and over those without one.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evaluation {
    pub all: Quality,
    pub with_isrc: Quality,
    pub without_isrc: Quality,
}

/// Scores predicted recording ids (one per item, `None` for no prediction).
pub fn evaluate<'a>(items: &[ManifestItem], predicted: impl IntoIterator<Item = Option<&'a str>>) -> Evaluation {
    let mut e = Evaluation::default();
    for (item, p) in items.iter().zip(predicted) {
        let truth = item.truth.as_deref();
        e.all.add(truth, p);
        if item.isrc.is_some() { e.with_isrc.add(truth, p) } else { e.without_isrc.add(truth, p) }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_universe_and_manifest() {
        let a = universe(3, 2_000, 500);
        let b = universe(3, 2_000, 500);
        assert_eq!(a.repertoire, b.repertoire);
        assert_eq!(manifest(9, &a, 300, &Damage::ISSUE), manifest(9, &b, 300, &Damage::ISSUE));
        assert_eq!((a.repertoire.len(), a.outside.len()), (2_000, 500));
    }

    #[test]
    fn the_damage_rates_hold() {
        let u = universe(5, 20_000, 10_000);
        let items = manifest(5, &u, 20_000, &Damage::ISSUE);
        let percent = |n: usize| n * 100 / items.len();
        let inside = items.iter().filter(|i| i.truth.is_some()).count();
        assert!((68..=72).contains(&percent(inside)), "{}", percent(inside));
        let with_isrc: Vec<&ManifestItem> = items.iter().filter(|i| i.isrc.is_some()).collect();
        // 92% of recordings have an ISRC and 70% of those keep it in the manifest.
        assert!((62..=67).contains(&percent(with_isrc.len())), "{}", percent(with_isrc.len()));
        let versions = u.repertoire.iter().filter(|r| r.version.is_some()).count();
        assert!(versions * 100 / u.repertoire.len() >= 8, "versions {versions}");
        let common = u.repertoire.iter().filter(|r| r.title == "Intro").count();
        assert!(common > 10, "common titles recur: {common}");
    }

    #[test]
    fn typos_change_one_thing() {
        let mut rng = SplitMix64::new(1);
        for _ in 0..100 {
            let t = typo(&mut rng, "Northern Lights");
            assert_ne!(t, "Northern Lights");
            assert!(t.len().abs_diff(15) <= 1);
            let i = damaged_isrc(&mut rng, "SE0AB2500123");
            assert_eq!(i.len(), 12);
            assert_ne!(i, "SE0AB2500123");
        }
    }
}
