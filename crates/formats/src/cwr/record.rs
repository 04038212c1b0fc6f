//! One decoded CWR line and access to its fields by CWR's 1-based character positions.

/// How the bytes of a line were turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    Ascii,
    Utf8,
    Latin1,
}

/// A CWR record: one line of text, without its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: u64,
    text: String,
    /// Byte offset of each character, present only when the text is not pure ASCII (positions in CWR
    /// count characters, and a UTF-8 `Ø` takes two bytes).
    char_offsets: Option<Box<[u32]>>,
}

impl Record {
    /// Decodes one line. `utf8_declared`: the HDR named UTF-8 as the character set.
    pub fn decode(line: u64, bytes: &[u8], utf8_declared: bool) -> (Record, Decoded) {
        if bytes.is_ascii() {
            let text = String::from_utf8_lossy(bytes).into_owned();
            return (Record { line, text, char_offsets: None }, Decoded::Ascii);
        }
        let (text, decoded) = match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_owned(), Decoded::Utf8),
            // Not UTF-8: Latin-1 maps every byte to the code point of the same value.
            Err(_) => (bytes.iter().map(|&b| char::from(b)).collect(), Decoded::Latin1),
        };
        let _ = utf8_declared; // both paths are taken whatever the header says; the reader reports mismatches
        let offsets: Box<[u32]> = text.char_indices().map(|(i, _)| i as u32).collect();
        (Record { line, text, char_offsets: Some(offsets) }, decoded)
    }

    /// Builds a record from text the program wrote itself (tests, the ACK writer).
    pub fn from_text(line: u64, text: &str) -> Record {
        Record::decode(line, text.as_bytes(), true).0
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Length in characters.
    pub fn len(&self) -> usize {
        self.char_offsets.as_ref().map_or(self.text.len(), |o| o.len())
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The record type: the first three characters.
    pub fn record_type(&self) -> &str {
        self.raw(1, 3)
    }

    /// The field at 1-based character `start` of `length` characters, untrimmed; the part past the end of a
    /// short line reads as missing (real files trim trailing spaces), so it is shorter or empty.
    pub fn raw(&self, start: usize, length: usize) -> &str {
        let from = start.saturating_sub(1);
        let to = from + length;
        match &self.char_offsets {
            None => {
                let end = to.min(self.text.len());
                if from >= end { "" } else { &self.text[from..end] }
            }
            Some(offsets) => {
                if from >= offsets.len() {
                    return "";
                }
                let begin = offsets[from] as usize;
                let end = offsets.get(to).map_or(self.text.len(), |&o| o as usize);
                &self.text[begin..end]
            }
        }
    }

    /// The field, trimmed of padding spaces.
    pub fn field(&self, start: usize, length: usize) -> &str {
        self.raw(start, length).trim()
    }

    /// A numeric field: `None` when blank, `Err` when it holds something other than digits.
    pub fn number(&self, start: usize, length: usize) -> Result<Option<u64>, &str> {
        let f = self.field(start, length);
        if f.is_empty() {
            return Ok(None);
        }
        if f.len() > 18 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(f);
        }
        Ok(f.parse().ok())
    }

    /// The text padded with spaces or cut to exactly `length` characters, with new transaction and record
    /// sequence numbers written over positions 4–19 (how an ACK echoes an original record).
    pub fn renumbered(&self, transaction_sequence: u64, record_sequence: u64, length: usize) -> String {
        let body = self.raw(20, usize::MAX / 2);
        let mut out = format!("{}{:08}{:08}{}", self.record_type(), transaction_sequence, record_sequence, body);
        fit(&mut out, length);
        out
    }
}

/// Pads with spaces or truncates `text` to exactly `length` characters.
pub fn fit(text: &mut String, length: usize) {
    let chars = text.chars().count();
    if chars < length {
        text.extend(std::iter::repeat_n(' ', length - chars));
    } else if chars > length {
        let cut = text.char_indices().nth(length).map_or(text.len(), |(i, _)| i);
        text.truncate(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let (record, how) = Record::decode(1, "ALTSØRENSEN  X".as_bytes(), true);
        assert_eq!(how, Decoded::Utf8);
        assert_eq!(record.raw(4, 8), "SØRENSEN");
        assert_eq!(record.field(14, 1), "X");
        let (latin1, how) = Record::decode(1, b"ALTS\xd8RENSEN  X", false);
        assert_eq!(how, Decoded::Latin1);
        assert_eq!(latin1.raw(4, 8), "SØRENSEN");
    }

    #[test]
    fn short_lines_read_as_padded_and_numbers_are_checked() {
        let r = Record::from_text(3, "SPT0000000000000002P000001        05000");
        assert_eq!(r.field(35, 5), "05000");
        assert_eq!(r.field(50, 1), "");
        assert_eq!(r.number(35, 5), Ok(Some(5000)));
        assert_eq!(r.number(20, 9), Err("P000001"));
        assert_eq!(r.number(60, 3), Ok(None));
    }

    #[test]
    fn renumbering_keeps_the_body() {
        let r = Record::from_text(9, "ALT0000000500000003TITLE");
        assert_eq!(r.renumbered(1, 2, 30), "ALT0000000100000002TITLE      ");
    }
}
