//! Vocabularies for names and titles: Nordic given and family names (with their diacritics), publishers,
//! artists, labels and title words, picked with skew so that some recur often.

use crate::SplitMix64;

const GIVEN: &[&str] = &[
    "ANNA",
    "ERIK",
    "LARS",
    "KARIN",
    "BJÖRN",
    "SØREN",
    "ÅSA",
    "MIKKO",
    "SIGRÍÐUR",
    "JÓN",
    "INGRID",
    "OLE",
    "LIV",
    "JUKKA",
    "HELGA",
    "PÄIVI",
    "ASTRID",
    "NIELS",
    "FRØYA",
    "GUÐRÚN",
    "MAGNUS",
    "EMMA",
    "AKSEL",
    "TUULA",
    "EINAR",
];
const FAMILY: &[&str] = &[
    "JOHANSSON",
    "ANDERSEN",
    "NIELSEN",
    "HANSEN",
    "VIRTANEN",
    "LINDQVIST",
    "SØRENSEN",
    "ÅBERG",
    "KORHONEN",
    "JÓNSDÓTTIR",
    "BERG",
    "HÄKKINEN",
    "STRØM",
    "GUÐMUNDSSON",
    "LÖFGREN",
    "MÄKINEN",
    "DAHL",
    "ØSTERGAARD",
    "SIGURÐSSON",
    "EKLUND",
    "HAUGEN",
    "NYSTRÖM",
    "LAINE",
    "BRUUN",
    "ÞORSTEINSSON",
];
const WORDS: &[&str] = &[
    "LOVE", "HOME", "NIGHT", "SUMMER", "WINTER", "LIGHT", "HEART", "SONG", "RIVER", "NORTHERN", "DREAM", "FIRE",
    "SNOW", "MIDNIGHT", "SUN", "STORM", "OCEAN", "FOREST", "GOLDEN", "SILENT", "WILD", "BLUE", "HOLLOW", "ECHO", "SKY",
    "STAR", "ROAD", "CITY", "HOPE", "TIME",
];
const COMMON_TITLES: &[&str] = &["INTRO", "HOME", "LOVE SONG", "OUTRO", "INTERLUDE"];

fn pick<'a>(list: &[&'a str], index: u64) -> &'a str {
    list[(index % list.len() as u64) as usize]
}

/// A person's (given, family) name from a party index: the same index is always the same person.
pub fn person(index: u64) -> (String, String) {
    (pick(GIVEN, index).to_owned(), pick(FAMILY, index / GIVEN.len() as u64 + index % 7).to_owned())
}

pub fn publisher(index: u64) -> String {
    let kind = ["MUSIC", "PUBLISHING", "SONGS", "FÖRLAG", "MUSIKK"][(index % 5) as usize];
    format!("{} {kind}", pick(FAMILY, index * 7 + 3))
}

pub fn artist(index: u64) -> String {
    if index.is_multiple_of(3) {
        let (given, family) = person(index);
        format!("{given} {family}")
    } else {
        format!("THE {} {}S", pick(WORDS, index), pick(WORDS, index / 7 + 1))
    }
}

pub fn label(index: u64) -> String {
    format!("{} RECORDS", pick(WORDS, index * 3 + 1))
}

/// A title: sometimes one of the very common ones, usually two or three skewed words.
pub fn title(rng: &mut SplitMix64) -> String {
    if rng.chance(4) {
        return pick(COMMON_TITLES, rng.below(COMMON_TITLES.len() as u64)).to_owned();
    }
    let words = 1 + rng.below(3);
    (0..words).map(|_| pick(WORDS, rng.skewed(WORDS.len() as u64))).collect::<Vec<_>>().join(" ")
}
