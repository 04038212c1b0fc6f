//! What real metadata does to titles and names, undone: case, diacritics and Nordic transliteration
//! (ø/oe, å/aa, ä/ae), punctuation, "feat." credits in a title or an artist, "Remastered 2011" suffixes,
//! "The", and artist order. A title also gives up its *version markers* (live, remix, acoustic, ...):
//! they are not noise but evidence that a recording is another one of the same work.
//!
//! Everything here is a pure function of its input, so both sides of a comparison go through the same
//! steps and meet in the middle: "Søren", "Soeren" and "SOREN" all fold to `soren`.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Kinds of recording a title's decorations can name. A match needs the same set on both sides: a live
/// recording is never the studio one.
pub type Markers = u8;
pub const LIVE: Markers = 1;
pub const REMIX: Markers = 1 << 1;
pub const ACOUSTIC: Markers = 1 << 2;
pub const INSTRUMENTAL: Markers = 1 << 3;
pub const DEMO: Markers = 1 << 4;
pub const EDIT: Markers = 1 << 5;
pub const EXTENDED: Markers = 1 << 6;
pub const COVER: Markers = 1 << 7;

/// The names of the markers set in `markers`, for explanations.
pub fn marker_names(markers: Markers) -> Vec<&'static str> {
    const NAMES: [&str; 8] = ["live", "remix", "acoustic", "instrumental", "demo", "edit", "extended", "cover"];
    (0..8).filter(|bit| markers & (1 << bit) != 0).map(|bit| NAMES[bit]).collect()
}

/// Appends `c` folded: lower case, diacritics removed, letters without a decomposition transliterated
/// (ø → o, æ → ae, ß → ss, ð → d, þ → th, ł → l). Anything that is not a letter or digit becomes a space,
/// except apostrophes, which vanish ("don't" is one word).
fn push_folded(c: char, out: &mut String) {
    if c.is_ascii() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            '\'' | '`' => {}
            _ => out.push(' '),
        }
        return;
    }
    let special = match c {
        'ø' | 'Ø' => "o",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ß' | 'ẞ' => "ss",
        'ð' | 'Ð' | 'đ' | 'Đ' => "d",
        'þ' | 'Þ' => "th",
        'ł' | 'Ł' => "l",
        'ı' => "i",
        '’' | '‘' | 'ʼ' => "",
        _ => {
            for d in std::iter::once(c).nfkd().filter(|d| !is_combining_mark(*d)) {
                if d.is_ascii() {
                    push_folded(d, out);
                } else if d.is_alphanumeric() {
                    out.extend(d.to_lowercase());
                } else {
                    out.push(' ');
                }
            }
            return;
        }
    };
    out.push_str(special);
}

/// Folds a text to its matching form: folded letters and digits in words separated by single spaces, with
/// the Nordic and German digraphs reduced (aa, ae → a; oe → o; ue → u) so that a transliterated name
/// meets its original.
pub fn fold(text: &str) -> String {
    reduce_digraphs(&fold_plain(text))
}

/// Folds a text as [`fold`] does but keeps the digraphs: the form typos are counted on, since a typo can
/// make or break a digraph ("Love" typed "Lvoe").
pub fn fold_plain(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        push_folded(c, &mut folded);
    }
    folded.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Reduces the digraphs transliteration writes for å, ä, ö, ü (aa, ae, oe, ue) to one letter.
pub fn reduce_digraphs(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len());
    let bytes = folded.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match (b, bytes.get(i + 1)) {
            (b'a', Some(b'a' | b'e')) | (b'o', Some(b'e')) | (b'u', Some(b'e')) => {
                out.push(char::from(b));
                i += 2;
            }
            _ => {
                // Copy a multi-byte UTF-8 sequence whole.
                let width = utf8_width(b);
                out.push_str(&folded[i..i + width]);
                i += width;
            }
        }
    }
    out
}

fn utf8_width(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// A title taken apart: its core words, the version markers its decorations named, featured artists it
/// credited, and what was removed (for the explanation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedTitle {
    /// Folded words, single spaces, digraphs kept (see [`fold_plain`]); "&" read as "and".
    pub core: String,
    pub markers: Markers,
    /// Folded names credited with "feat." in the title.
    pub featured: Vec<String>,
    /// What was taken off: "feat. credit", "remaster note", "version note", "edition note".
    pub removed: Vec<&'static str>,
}

/// What a decoration (a bracketed part or a part after " - ") of a title says.
enum Decoration {
    Featuring(String),
    Remaster,
    Markers(Markers),
    /// Says nothing about which recording it is ("Album Version", "Explicit", a bare year).
    Neutral,
    /// Part of the title itself ("(I Can't Get No) Satisfaction").
    Title,
}

fn classify(text: &str) -> Decoration {
    let folded = fold(text);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let Some(first) = words.first() else { return Decoration::Neutral };
    if matches!(*first, "feat" | "ft" | "featuring" | "with" | "med") && words.len() > 1 {
        return Decoration::Featuring(words[1..].join(" "));
    }
    if words.iter().any(|w| w.starts_with("remaster")) {
        return Decoration::Remaster;
    }
    let mut markers = 0;
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied();
        markers |= match (*w, next) {
            ("live" | "concert" | "unplugged", _) => LIVE,
            ("original", Some("mix" | "version")) => 0,
            ("remix" | "rmx" | "dub" | "remixed" | "rework", _) => REMIX,
            ("mix", _) if i > 0 && !matches!(words[i - 1], "original" | "album") => REMIX,
            ("acoustic" | "akustisk" | "akustinen", _) => ACOUSTIC,
            ("instrumental" | "karaoke", _) => INSTRUMENTAL,
            ("demo", _) => DEMO,
            ("edit", _) => EDIT,
            ("extended", _) => EXTENDED,
            ("cover", _) => COVER,
            _ => 0,
        };
    }
    if markers != 0 {
        return Decoration::Markers(markers);
    }
    let neutral = matches!(
        folded.as_str(),
        "album version"
            | "single version"
            | "original version"
            | "original mix"
            | "explicit"
            | "clean"
            | "bonus track"
            | "mono"
            | "stereo"
            | "single"
            | "version"
    ) || (words.len() == 1 && first.len() == 4 && first.bytes().all(|b| b.is_ascii_digit()));
    if neutral { Decoration::Neutral } else { Decoration::Title }
}

/// A title's text in order, each piece marked as bracketed or not.
fn bracket_segments(title: &str) -> Vec<(&str, bool)> {
    let mut segments = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in title.char_indices() {
        match c {
            '(' | '[' | '{' => {
                if depth == 0 {
                    segments.push((&title[start..i], false));
                    start = i + c.len_utf8();
                }
                depth += 1;
            }
            ')' | ']' | '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    segments.push((&title[start..i], true));
                    start = i + c.len_utf8();
                }
            }
            _ => {}
        }
    }
    // An unclosed bracket's text is read as a decoration too.
    segments.push((&title[start..], depth > 0));
    segments.retain(|(text, _)| !text.trim().is_empty());
    segments
}

/// Where an unbracketed "feat." credit starts in a lower-cased text (at the space before it), and how long
/// the marker is, if anywhere: one pass over the spaces.
fn featuring_at(lower: &str) -> Option<(usize, usize)> {
    const MARKERS: [&str; 5] = [" feat. ", " feat ", " ft. ", " ft ", " featuring "];
    lower.match_indices(' ').find_map(|(at, _)| {
        let rest = &lower[at..];
        MARKERS.iter().find(|m| rest.starts_with(**m)).map(|m| (at, m.len()))
    })
}

impl ParsedTitle {
    /// Takes in what a decoration says; returns whether it is part of the title after all.
    fn take(&mut self, decoration: Decoration) -> bool {
        match decoration {
            Decoration::Featuring(name) => {
                self.featured.push(name);
                self.removed.push("feat. credit");
            }
            Decoration::Remaster => self.removed.push("remaster note"),
            Decoration::Markers(m) => {
                self.markers |= m;
                self.removed.push("version note");
            }
            Decoration::Neutral => self.removed.push("edition note"),
            Decoration::Title => return true,
        }
        false
    }
}

/// Takes a title apart (see [`ParsedTitle`]). `version` is a separate version field (an ERN subtitle, a
/// manifest's `version` column): its markers count as the title's own.
pub fn parse_title(title: &str, version: Option<&str>) -> ParsedTitle {
    let mut parsed = ParsedTitle::default();
    // Bracketed parts first, in place: one that is part of the title stays where it stands.
    let mut inline = String::with_capacity(title.len());
    for (text, bracketed) in bracket_segments(title) {
        if !bracketed || parsed.take(classify(text)) {
            inline.push(' ');
            inline.push_str(text);
            inline.push(' ');
        }
    }
    // Then parts after " - ": the first is the title, the others decorations unless they read as title.
    let mut kept: Vec<String> = Vec::new();
    for (i, piece) in inline.split(" - ").flat_map(|p| p.split(" – ")).flat_map(|p| p.split(" — ")).enumerate() {
        if i == 0 {
            // ASCII lower case keeps every byte where it was, so the offset found is one in `piece`.
            let lower = piece.to_ascii_lowercase();
            match featuring_at(&lower) {
                Some((at, len)) => {
                    parsed.featured.push(fold(&piece[at + len..]));
                    parsed.removed.push("feat. credit");
                    kept.push(piece[..at].to_owned());
                }
                _ => kept.push(piece.to_owned()),
            }
        } else if parsed.take(classify(piece)) {
            kept.push(piece.to_owned());
        }
    }
    if let Some(v) = version {
        // A version field that names no known kind of version adds nothing (taking `Title` keeps nothing).
        parsed.take(classify(v));
    }
    parsed.core = fold_plain(&kept.join(" ").replace('&', " and "));
    if parsed.core.is_empty() {
        // A title that is all decoration ("(Intro)") keeps its words.
        parsed.core = fold_plain(&title.replace('&', " and "));
    }
    parsed
}

/// Artists taken apart: the main ones and the featured ones, each a folded name key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedArtists {
    pub main: Vec<String>,
    pub featured: Vec<String>,
}

/// A name's key: its folded words without a leading "the" (or a word one typo from it, "teh", "tne"), in
/// the order written, so "The Storms" meets "Storms". Names written family first with a comma are turned
/// round by [`parse_artists`]; other orders are compared word-sorted.
pub fn name_key(name: &str) -> String {
    let folded = fold(name);
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    if words.len() > 1 && (words[0] == "the" || crate::similarity::edits_within(words[0], "the", 1).is_some()) {
        words.remove(0);
    }
    words.join(" ")
}

/// A name key with its words sorted: equal for "Ole Andersen" and "Andersen Ole".
pub fn sorted_words(key: &str) -> String {
    let mut words: Vec<&str> = key.split(' ').collect();
    words.sort_unstable();
    words.join(" ")
}

/// Words that join artists sharing a credit ("A & B", "A x B", "A og B").
const JOINING_WORDS: [&str; 12] = ["&", "and", "x", "/", "+", "vs.", "vs", "with", "og", "och", "ja", "und"];

/// Takes an artist credit apart: "A feat. B", "A & B", "B, A", "Andersen, Ole" (one name, family first).
pub fn parse_artists(credits: &[String]) -> ParsedArtists {
    let mut parsed = ParsedArtists::default();
    for credit in credits {
        // Padded so that a credit starting or ending with the marker is found too.
        let padded = format!(" {} ", credit.to_lowercase());
        let (main, featured) = match featuring_at(&padded) {
            Some((at, len)) => (padded[..at].to_owned(), Some(padded[at + len..].to_owned())),
            None => (padded, None),
        };
        let mut outside = String::new();
        for (text, bracketed) in bracket_segments(&main) {
            match (bracketed, classify(text)) {
                (true, Decoration::Featuring(name)) => parsed.featured.push(name_key(&name)),
                (true, _) => {}
                (false, _) => outside.push_str(text),
            }
        }
        split_names(&outside, &mut parsed.main);
        if let Some(f) = featured {
            split_names(&f, &mut parsed.featured);
        }
    }
    distinct(&mut parsed.main);
    distinct(&mut parsed.featured);
    parsed
}

/// The most artist names a credit list counts: "A & B & C …" past this is not a credit anyone writes, and
/// each name found costs a look at that artist's recordings.
pub const MAX_ARTIST_NAMES: usize = 16;

/// The names once each, in order, empty ones dropped, at most [`MAX_ARTIST_NAMES`].
fn distinct(names: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| !n.is_empty() && seen.insert(n.clone()));
    names.truncate(MAX_ARTIST_NAMES);
}

fn split_names(text: &str, out: &mut Vec<String>) {
    let text = text.trim();
    // "Andersen, Ole": one comma between two single words and nothing else is a name written family first.
    if let Some((family, given)) = text.split_once(", ")
        && !family.contains(' ')
        && !given.contains(' ')
        && !given.contains(',')
    {
        out.push(name_key(&format!("{given} {family}")));
        return;
    }
    // One pass over the words: a joining word, or a comma or semicolon after a word, ends a name.
    let mut name = String::new();
    let mut flush = |name: &mut String| {
        let key = name_key(name);
        if !key.is_empty() {
            out.push(key);
        }
        name.clear();
    };
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if JOINING_WORDS.contains(&word) {
            flush(&mut name);
            continue;
        }
        let bare = word.trim_end_matches([',', ';']);
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(bare);
        if bare.len() < word.len() {
            flush(&mut name);
        }
    }
    flush(&mut name);
}

/// An ISRC as written, reduced to its characters (upper case, hyphens and spaces removed), whether or not
/// it is well formed.
pub fn isrc_text(text: &str) -> String {
    domain::Isrc::reduced(text)
}

/// Whether an ISRC is well formed: `CC XXX YY NNNNN`.
pub fn isrc_is_valid(isrc: &str) -> bool {
    domain::Isrc::parse(isrc).is_ok()
}

/// An ISWC as `T` and ten digits, if it is well formed and its check digit holds.
pub fn iswc_text(text: &str) -> Option<String> {
    domain::Iswc::parse(text).ok().map(|i| i.bare())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_meets_transliteration() {
        for (a, b) in [
            ("Søren Østergaard", "Soeren Oestergaard"),
            ("Åsa Åberg", "Aasa Aaberg"),
            ("Päivi Mäkinen", "Paeivi Maekinen"),
            ("Björn Nyström", "BJOERN NYSTROEM"),
            ("Guðrún Þorsteinsson", "Gudrun Thorsteinsson"),
            ("Sigríður", "sigridur"),
            ("Don't Stop", "dont stop"),
            ("Crème Brûlée!", "creme brulee"),
        ] {
            assert_eq!(fold(a), fold(b), "{a} / {b}");
        }
        assert_eq!(fold("  Hello,   World! "), "hello world");
        assert_eq!(fold("Ænima"), "anima");
        assert_eq!(fold("Москва"), "москва");
    }

    #[test]
    fn titles_give_up_their_decorations() {
        let p = parse_title("Midnight Serenade - Remastered 2011", None);
        assert_eq!((p.core.as_str(), p.markers), ("midnight serenade", 0));
        let p = parse_title("Midnight Serenade (feat. Anna Berg) [2011 Remaster]", None);
        assert_eq!(p.core, "midnight serenade");
        assert_eq!(p.featured, vec!["anna berg"]);
        let p = parse_title("Midnight Serenade feat. Anna Berg", None);
        assert_eq!((p.core.as_str(), p.featured.len()), ("midnight serenade", 1));
        let p = parse_title("Midnight Serenade (Live at Roskilde 1998)", None);
        assert_eq!((p.core.as_str(), p.markers), ("midnight serenade", LIVE));
        let p = parse_title("Midnight Serenade - Radio Edit", None);
        assert_eq!(p.markers, EDIT);
        let p = parse_title("Midnight Serenade", Some("Acoustic Version"));
        assert_eq!((p.core.as_str(), p.markers), ("midnight serenade", ACOUSTIC));
        let p = parse_title("Midnight Serenade (Original Mix)", None);
        assert_eq!(p.markers, 0);
        let p = parse_title("Midnight Serenade (Club Mix)", None);
        assert_eq!(p.markers, REMIX);
        let p = parse_title("(I Can't Get No) Satisfaction", None);
        assert_eq!(p.core, "i cant get no satisfaction");
        let p = parse_title("Rock & Roll", None);
        assert_eq!(p.core, "rock and roll");
        let p = parse_title("(Intro)", None);
        assert_eq!(p.core, "intro");
        let p = parse_title("Live Forever", None);
        assert_eq!((p.core.as_str(), p.markers), ("live forever", 0));
    }

    #[test]
    fn artists_are_split_ordered_and_credited() {
        let a = parse_artists(&["The Wild Storms".into()]);
        assert_eq!(a.main, vec!["wild storms"]);
        assert_eq!(parse_artists(&["Teh Wild Storms".into()]).main, vec!["wild storms"]);
        assert_eq!(parse_artists(&["The".into()]).main, vec!["the"]);
        let a = parse_artists(&["Anna Berg & Ole Andersen".into()]);
        let b = parse_artists(&["Ole Andersen and Anna Berg".into()]);
        let mut x = a.main.clone();
        let mut y = b.main.clone();
        x.sort();
        y.sort();
        assert_eq!(x, y);
        let a = parse_artists(&["Andersen, Ole".into()]);
        assert_eq!(a.main, vec!["ole andersen"]);
        let a = parse_artists(&["Anna Berg feat. Søren Hansen".into()]);
        assert_eq!((a.main, a.featured), (vec!["anna berg".to_owned()], vec!["soren hansen".to_owned()]));
        let a = parse_artists(&["Anna Berg (feat. Søren Hansen)".into()]);
        assert_eq!(a.featured, vec!["soren hansen"]);
    }

    proptest::proptest! {
        #[test]
        fn no_text_makes_the_parsers_panic(title in "\\PC{0,40}", artist in "\\PC{0,40}") {
            let t = parse_title(&title, Some(&artist));
            let a = parse_artists(&[artist.clone(), title.clone()]);
            // Some characters decompose into many ("ﷺ" into eighteen): only the number of names is bounded.
            proptest::prop_assert!(a.main.len() <= MAX_ARTIST_NAMES && a.featured.len() <= MAX_ARTIST_NAMES);
            proptest::prop_assert!(!t.core.starts_with(' ') && !t.core.ends_with(' '));
        }
    }

    #[test]
    fn a_marker_after_letters_that_change_length_in_lower_case() {
        // U+212A (Kelvin, 3 bytes) lower-cases to "k" (1 byte); İ (2 bytes) to "i̇" (3 bytes).
        let p = parse_title("\u{212A} feat. \u{130}\u{130}", None);
        assert_eq!(p.featured.len(), 1);
    }

    #[test]
    fn identifiers_reduce_and_check() {
        assert_eq!(isrc_text("gb-ayc-17-00598"), "GBAYC1700598");
        assert!(isrc_is_valid("GBAYC1700598"));
        assert!(!isrc_is_valid("GBAYC17OO598"));
        assert_eq!(iswc_text("T-034.524.680-1").as_deref(), Some("T0345246801"));
        assert_eq!(iswc_text("T-034.524.680-2"), None);
    }
}
