//! Chromaprint fingerprints as text: the compressed, URL-safe base64 form `fpcalc` prints by default
//! (`AQAA…`), and the raw form `fpcalc -raw` prints (comma-separated 32-bit integers).
//!
//! The compressed form XORs each item with the one before, lists the positions of its set bits as gaps
//! (3 bits each; 7 means "7 or more", the rest in a 5-bit exception), ends each item with a 0, packs the
//! 3-bit and then the 5-bit values little-endian, and puts the algorithm and the item count in a 4-byte
//! header.

/// The most items a fingerprint may have: three hours of audio (Chromaprint gives about 8 items a second).
pub const MAX_ITEMS: usize = 90_000;

const BASE64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Reads a fingerprint written either way: raw integers (separated by commas, spaces or both, optionally in
/// brackets) or the compressed base64 form.
pub fn parse(text: &str) -> Result<Vec<u32>, String> {
    let t = text.trim().trim_start_matches("FINGERPRINT=");
    if t.is_empty() {
        return Err("the fingerprint is empty".into());
    }
    if t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b',' | b' ' | b'[' | b']' | b'-')) && t.contains([',', ' '])
    {
        return parse_raw(t);
    }
    decode(t)
}

fn parse_raw(text: &str) -> Result<Vec<u32>, String> {
    let items: Vec<&str> =
        text.trim_matches(|c| c == '[' || c == ']').split([',', ' ']).filter(|p| !p.is_empty()).collect();
    if items.len() > MAX_ITEMS {
        return Err(format!("the fingerprint has {} items, more than the {MAX_ITEMS} of three hours", items.len()));
    }
    items
        .iter()
        .map(|p| {
            // fpcalc -raw -signed prints the same bits as signed numbers.
            p.parse::<u32>()
                .or_else(|_| p.parse::<i32>().map(|n| n as u32))
                .map_err(|_| format!("{p:?} in the fingerprint is not a 32-bit number"))
        })
        .collect()
}

fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for (i, c) in text.bytes().enumerate() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return Err(format!("character {} of the fingerprint ({:?}) is not base64", i + 1, char::from(c))),
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Ok(out)
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(BASE64_URL[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Value `index` of a packed array of `width`-bit values starting at `bytes[0]`.
fn packed(bytes: &[u8], index: usize, width: usize) -> Option<u32> {
    let first = index * width;
    let mut value = 0u32;
    for bit in 0..width {
        let at = first + bit;
        let byte = *bytes.get(at / 8)?;
        value |= u32::from((byte >> (at % 8)) & 1) << bit;
    }
    Some(value)
}

/// Decodes the compressed base64 form.
pub fn decode(text: &str) -> Result<Vec<u32>, String> {
    let bytes = base64_decode(text.trim())?;
    if bytes.len() < 4 {
        return Err("the fingerprint is too short to be Chromaprint's compressed form".into());
    }
    // The first byte names the algorithm: 1 is TEST2, fpcalc's default and what the index holds.
    if bytes[0] != 1 {
        return Err(format!(
            "the fingerprint is of Chromaprint algorithm {}, not TEST2 (1): compute it with fpcalc's default algorithm",
            bytes[0]
        ));
    }
    let count = (usize::from(bytes[1]) << 16) | (usize::from(bytes[2]) << 8) | usize::from(bytes[3]);
    if count > MAX_ITEMS {
        return Err(format!("the fingerprint says it has {count} items, more than the {MAX_ITEMS} of three hours"));
    }
    let body = &bytes[4..];
    let damaged =
        || "the compressed fingerprint is cut short or damaged: send it again as fpcalc printed it".to_owned();
    // The 3-bit values, up to the count-th item's closing 0.
    let mut normal = Vec::new();
    let mut closed = 0;
    while closed < count {
        let v = packed(body, normal.len(), 3).ok_or_else(damaged)?;
        normal.push(v);
        closed += usize::from(v == 0);
    }
    let exceptional_start = (normal.len() * 3).div_ceil(8);
    let exceptional = body.get(exceptional_start..).ok_or_else(damaged)?;
    let mut exception = 0;
    let mut items = Vec::with_capacity(count);
    let mut item = 0u32;
    let mut bit = 0u32;
    for v in normal {
        if v == 0 {
            let previous = items.last().copied().unwrap_or(0);
            items.push(item ^ previous);
            item = 0;
            bit = 0;
            continue;
        }
        let mut gap = v;
        if v == 7 {
            gap += packed(exceptional, exception, 5).ok_or_else(damaged)?;
            exception += 1;
        }
        bit += gap;
        if bit > 32 {
            return Err(damaged());
        }
        item |= 1 << (bit - 1);
    }
    Ok(items)
}

/// Encodes a fingerprint in the compressed base64 form (algorithm 1, TEST2), as `fpcalc` prints it: at
/// most [`MAX_ITEMS`] items (three hours; the rest would be refused when read back).
pub fn encode(items: &[u32]) -> String {
    let items = &items[..items.len().min(MAX_ITEMS)];
    let mut normal: Vec<u8> = Vec::new();
    let mut exceptional: Vec<u8> = Vec::new();
    let mut previous = 0u32;
    for &current in items {
        let mut x = current ^ previous;
        previous = current;
        let mut last = 0u8;
        let mut position = 1u8;
        while x != 0 {
            if x & 1 == 1 {
                let gap = position - last;
                if gap >= 7 {
                    normal.push(7);
                    exceptional.push(gap - 7);
                } else {
                    normal.push(gap);
                }
                last = position;
            }
            x >>= 1;
            position += 1;
        }
        normal.push(0);
    }
    let mut bytes = vec![1u8, (items.len() >> 16) as u8, (items.len() >> 8) as u8, items.len() as u8];
    pack(&normal, 3, &mut bytes);
    pack(&exceptional, 5, &mut bytes);
    base64_encode(&bytes)
}

fn pack(values: &[u8], width: usize, out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + (values.len() * width).div_ceil(8), 0);
    for (i, v) in values.iter().enumerate() {
        for bit in 0..width {
            if v >> bit & 1 == 1 {
                let at = i * width + bit;
                out[start + at / 8] |= 1 << (at % 8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips() {
        let items = vec![0, u32::MAX, 0x8000_0001, 1_766_061_402, 725_874_010, 0x4000_0000];
        assert_eq!(decode(&encode(&items)).unwrap(), items);
        assert_eq!(decode(&encode(&[])).unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn raw_forms_are_read_and_damage_is_refused() {
        assert_eq!(parse("1, 2,3").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse("[-1, 2]").unwrap(), vec![u32::MAX, 2]);
        assert!(parse("AQ").is_err());
        assert!(parse("AQAA!x").is_err());
        let mut cut = encode(&[1_766_061_402, 725_874_010, 12, 99]);
        cut.truncate(cut.len() - 3);
        assert!(decode(&cut).is_err());
        // Algorithm 1, a count of 16,777,215 and data after it: only the count can refuse it.
        let absurd = base64_encode(&[1, 0xff, 0xff, 0xff, 0x49, 0x92, 0x24]);
        assert!(decode(&absurd).unwrap_err().contains("16777215 items"), "refused before any allocation");
        let other_algorithm = base64_encode(&[2, 0, 0, 1, 0x49]);
        assert!(decode(&other_algorithm).unwrap_err().contains("not TEST2"));
    }
}
