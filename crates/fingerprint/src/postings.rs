//! A posting table (key → packed entries) in compressed-row form, the layout both indexes use, and the
//! little-endian binary form it is saved in. Two flat arrays instead of a map of vectors: a third of the
//! memory, no pointer chasing, and they are written to and read from a file as they are.

use std::io::{self, Read, Write};

/// Entries grouped by key: `entries[starts[k]..starts[k + 1]]` are key `k`'s.
#[derive(Debug, Default)]
pub(crate) struct Postings {
    starts: Vec<u64>,
    entries: Vec<u64>,
}

impl Postings {
    /// Builds the table over keys `0..keys` from a generator that emits `(key, entry)` pairs through the
    /// callback it is given. The generator runs twice (count, then fill), so it must emit the same pairs.
    pub(crate) fn build(keys: usize, generate: impl Fn(&mut dyn FnMut(u32, u64))) -> Postings {
        let mut starts = vec![0u64; keys + 1];
        generate(&mut |key, _| starts[key as usize + 1] += 1);
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        let mut entries = vec![0u64; starts[keys] as usize];
        let mut next = starts.clone();
        generate(&mut |key, entry| {
            entries[next[key as usize] as usize] = entry;
            next[key as usize] += 1;
        });
        Postings { starts, entries }
    }

    /// Key `key`'s entries (none for a key out of range).
    pub(crate) fn get(&self, key: u32) -> &[u64] {
        let k = key as usize;
        match (self.starts.get(k), self.starts.get(k + 1)) {
            (Some(lo), Some(hi)) => &self.entries[*lo as usize..*hi as usize],
            _ => &[],
        }
    }

    pub(crate) fn size_bytes(&self) -> usize {
        (self.starts.len() + self.entries.len()) * 8
    }

    pub(crate) fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        write_u64s(w, &self.starts)?;
        write_u64s(w, &self.entries)
    }

    pub(crate) fn read(r: &mut dyn Read) -> io::Result<Postings> {
        let starts = read_u64s(r)?;
        let entries = read_u64s(r)?;
        let sorted = starts.windows(2).all(|w| w[0] <= w[1]);
        if starts.is_empty() || !sorted || starts[starts.len() - 1] != entries.len() as u64 {
            return Err(damaged("a posting table's offsets do not fit its entries"));
        }
        Ok(Postings { starts, entries })
    }
}

pub(crate) fn damaged(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("the index file is damaged: {what}"))
}

/// The most items one array in an index file may claim: a damaged length must not allocate the machine away.
const MAX_ITEMS: u64 = 1 << 34;

fn read_len(r: &mut dyn Read) -> io::Result<usize> {
    let n = read_u64(r)?;
    if n > MAX_ITEMS {
        return Err(damaged("an array longer than any index"));
    }
    Ok(n as usize)
}

pub(crate) fn write_u64(w: &mut dyn Write, v: u64) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

pub(crate) fn read_u64(r: &mut dyn Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Reads `n` little-endian words of `N` bytes in chunks, so a short file fails before allocating its claim.
fn read_words<const N: usize, T>(r: &mut dyn Read, n: usize, from: fn([u8; N]) -> T) -> io::Result<Vec<T>> {
    let mut out = Vec::new();
    let mut buffer = vec![0u8; N * 8_192];
    let mut left = n;
    while left > 0 {
        let take = left.min(8_192);
        r.read_exact(&mut buffer[..take * N])?;
        out.extend(buffer[..take * N].chunks_exact(N).map(|c| from(c.try_into().unwrap_or([0; N]))));
        left -= take;
    }
    Ok(out)
}

/// Writes a length and then each word's little-endian bytes, a chunk at a time.
fn write_words<const N: usize, T: Copy>(w: &mut dyn Write, values: &[T], to: fn(T) -> [u8; N]) -> io::Result<()> {
    write_u64(w, values.len() as u64)?;
    for chunk in values.chunks(8_192) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|v| to(*v)).collect();
        w.write_all(&bytes)?;
    }
    Ok(())
}

pub(crate) fn write_u64s(w: &mut dyn Write, values: &[u64]) -> io::Result<()> {
    write_words(w, values, u64::to_le_bytes)
}

pub(crate) fn read_u64s(r: &mut dyn Read) -> io::Result<Vec<u64>> {
    let n = read_len(r)?;
    read_words(r, n, u64::from_le_bytes)
}

pub(crate) fn write_u32s(w: &mut dyn Write, values: &[u32]) -> io::Result<()> {
    write_words(w, values, u32::to_le_bytes)
}

pub(crate) fn read_u32s(r: &mut dyn Read) -> io::Result<Vec<u32>> {
    let n = read_len(r)?;
    read_words(r, n, u32::from_le_bytes)
}

pub(crate) fn write_string(w: &mut dyn Write, s: &str) -> io::Result<()> {
    write_u64(w, s.len() as u64)?;
    w.write_all(s.as_bytes())
}

pub(crate) fn read_string(r: &mut dyn Read) -> io::Result<String> {
    let n = read_len(r)?;
    if n > 1 << 16 {
        return Err(damaged("a key longer than any recording key"));
    }
    let mut b = vec![0u8; n];
    r.read_exact(&mut b)?;
    String::from_utf8(b).map_err(|_| damaged("a key that is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_round_trips_and_a_damaged_one_is_refused() {
        let table = Postings::build(4, |emit| {
            for (k, e) in [(2u32, 20u64), (0, 1), (2, 21), (3, 30)] {
                emit(k, e);
            }
        });
        assert_eq!(
            (table.get(0), table.get(1), table.get(2), table.get(9)),
            (&[1u64][..], &[][..], &[20, 21][..], &[][..])
        );
        let mut bytes = Vec::new();
        table.write(&mut bytes).unwrap();
        let back = Postings::read(&mut bytes.as_slice()).unwrap();
        assert_eq!(back.get(2), &[20, 21]);
        bytes.truncate(bytes.len() - 3);
        assert!(Postings::read(&mut bytes.as_slice()).is_err());
        let mut huge = Vec::new();
        write_u64(&mut huge, u64::MAX).unwrap();
        assert!(read_u64s(&mut huge.as_slice()).unwrap_err().to_string().contains("damaged"));
    }
}
