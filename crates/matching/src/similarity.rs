//! How alike two folded strings are: a bounded edit distance (optimal string alignment: substitutions,
//! insertions, deletions and swaps of neighbours, the typos people make) with a cheap bigram signature
//! that rules most pairs out before any distance is computed.

/// A 64-bit set of the string's character bigrams (spaces skipped): two strings one typo apart share
/// most of their bits, unrelated ones few.
pub fn signature(text: &str) -> u64 {
    let mut bits = 0u64;
    let mut previous = 0u8;
    for b in text.bytes().filter(|b| *b != b' ') {
        let h = (u32::from(previous).wrapping_mul(31) ^ u32::from(b)).wrapping_mul(0x9E37_79B1);
        bits |= 1 << (h >> 26);
        previous = b;
    }
    bits
}

/// Whether two signatures are alike enough for the strings to be within a few edits: at least half of the
/// larger set's bigrams are shared. Only for strings of eight characters or more: in a short word one swap
/// of neighbours changes most of its bigrams ("iron" / "iorn").
pub fn signatures_close(a: u64, b: u64) -> bool {
    let common = (a & b).count_ones();
    let larger = a.count_ones().max(b.count_ones());
    common * 2 >= larger
}

/// The set of a string's characters (spaces skipped), one bit each (modulo 64): one edit changes at most
/// two bits, whatever the length, where the bigrams of a short word change almost all ("iron" / "iorn").
pub fn letters(text: &str) -> u64 {
    text.bytes().filter(|b| *b != b' ').fold(0, |bits, b| bits | 1 << (b % 64))
}

/// Whether two strings' letter sets allow them to be within `edits` of each other.
pub fn letters_within(a: u64, b: u64, edits: usize) -> bool {
    (a ^ b).count_ones() as usize <= 2 * edits
}

/// The typos allowed between two strings of these lengths (spaces not counted): none up to 5 characters
/// (one letter turns "Home" into "Hope" and "Love" into "Lover"), one up to 9, two from 10.
pub fn allowed_edits(len: usize) -> usize {
    match len {
        0..=5 => 0,
        6..=9 => 1,
        _ => 2,
    }
}

/// The optimal-string-alignment distance between `a` and `b` (spaces skipped) if it is at most `limit`,
/// else `None`. Works on bytes: folded text is ASCII but for scripts that have no Latin folding, where a
/// character counts as its UTF-8 length (stricter, never looser). A text over 96 bytes without its spaces
/// is not compared (`None`): titles and names that long are told apart by their words.
pub fn edits_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    // Past the longest text compared, a larger limit changes nothing (and keeps the cells' u8 in range).
    let limit = limit.min(96);
    let mut left = [0u8; 96];
    let mut right = [0u8; 96];
    let a = compact(a, &mut left)?;
    let b = compact(b, &mut right)?;
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    if a == b {
        return Some(0);
    }
    // The shared prefix and suffix cost nothing: compare what lies between.
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    if a.is_empty() || b.is_empty() {
        let d = a.len().max(b.len());
        return (d <= limit).then_some(d);
    }
    // Three rows of the dynamic programme (two back, for swaps), in small cells, computed only within
    // `limit` of the diagonal: a cell farther out is more than `limit` edits whatever follows.
    let far = (limit + 1) as u8;
    let width = b.len() + 1;
    let mut rows = [[far; 97]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate().take(width.min(limit + 1)) {
        *cell = j as u8;
    }
    for i in 1..=a.len() {
        let (current, previous, before) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        let from = i.saturating_sub(limit).max(1);
        let to = (i + limit).min(width - 1);
        rows[current][..width].fill(far);
        if i <= limit {
            rows[current][0] = i as u8;
        }
        let mut row_min = far;
        for j in from..=to {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[previous][j] + 1).min(rows[current][j - 1] + 1).min(rows[previous][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[before][j - 2] + 1);
            }
            let d = d.min(far);
            rows[current][j] = d;
            row_min = row_min.min(d);
        }
        if row_min > limit as u8 {
            return None;
        }
    }
    let d = usize::from(rows[a.len() % 3][width - 1]);
    (d <= limit).then_some(d)
}

/// The bytes of `text` without spaces, in `buffer`; `None` when too long to compare this way.
fn compact<'b>(text: &str, buffer: &'b mut [u8; 96]) -> Option<&'b [u8]> {
    let mut n = 0;
    for b in text.bytes().filter(|b| *b != b' ') {
        *buffer.get_mut(n)? = b;
        n += 1;
    }
    Some(&buffer[..n])
}

/// Words of `a` also in `b`, over the words of the longer: 1 when they have the same words.
pub fn word_overlap_per_mille(a: &str, b: &str) -> u32 {
    // Distinct words: "love love love" does not share three words with "love song".
    fn distinct(t: &str) -> Vec<&str> {
        let mut words: Vec<&str> = t.split(' ').filter(|w| !w.is_empty()).collect();
        words.sort_unstable();
        words.dedup();
        words
    }
    let (a, b) = (distinct(a), distinct(b));
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 0;
    }
    let common = a.iter().filter(|w| b.binary_search(w).is_ok()).count();
    (common * 1000 / longer) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_words_are_shared_once() {
        assert_eq!(word_overlap_per_mille("love love love", "love song x"), 333);
        assert_eq!(word_overlap_per_mille("northern lights", "lights northern"), 1000);
        assert_eq!(word_overlap_per_mille("", ""), 0);
    }

    #[test]
    fn typos_are_counted_once_each() {
        assert_eq!(edits_within("midnight", "midnight", 1), Some(0));
        assert_eq!(edits_within("midnight", "midnihgt", 1), Some(1), "a swap of neighbours is one edit");
        assert_eq!(edits_within("midnight", "midnght", 1), Some(1));
        assert_eq!(edits_within("midnight", "midnightt", 1), Some(1));
        assert_eq!(edits_within("midnight", "midmight", 1), Some(1));
        assert_eq!(edits_within("midnight", "madmight", 1), None);
        assert_eq!(edits_within("love song", "lovesong", 0), Some(0), "spaces do not count");
        assert_eq!(edits_within("home", "hope", 0), None);
    }

    /// The plain dynamic programme, to check the banded one against.
    fn osa(a: &[u8], b: &[u8]) -> usize {
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }

    proptest::proptest! {
        #[test]
        fn the_banded_distance_agrees_with_the_plain_one(a in "[abc]{0,12}", b in "[abc]{0,12}", limit in 0usize..4) {
            let plain = osa(a.as_bytes(), b.as_bytes());
            proptest::prop_assert_eq!(edits_within(&a, &b, limit), (plain <= limit).then_some(plain));
        }
    }

    #[test]
    fn signatures_rule_out_unrelated_strings() {
        assert!(signatures_close(signature("northern lights"), signature("northren lights")));
        assert!(!signatures_close(signature("northern lights"), signature("summer rain")));
    }

    #[test]
    fn overlap_counts_shared_words() {
        assert_eq!(word_overlap_per_mille("a b c", "a b d"), 666);
        assert_eq!(word_overlap_per_mille("", "a"), 0);
    }
}
