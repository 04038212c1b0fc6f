//! What every line-oriented reader shares: lines read with a bound on their length and counted, and the
//! outcome of a read (its diagnostics, with a cap on how many are kept, and the count of errors).

use std::io::BufRead;

use crate::{Diagnostic, Level};

/// Readers stop collecting diagnostics after this many (the count goes on).
pub const MAX_DIAGNOSTICS: usize = 200;
/// The longest line a file may have; longer lines are an error, not an allocation.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The outcome of reading a file: what was wrong, if anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOutcome {
    pub lines: u64,
    pub diagnostics: Vec<Diagnostic>,
    /// Errors found, including those beyond [`MAX_DIAGNOSTICS`].
    pub errors: u64,
    /// Warnings found, including those not kept.
    pub warnings: u64,
}

impl ReadOutcome {
    pub(crate) fn error(&mut self, line: u64, record: &str, field: Option<&'static str>, message: impl Into<String>) {
        self.errors += 1;
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(Diagnostic::new(line, record, field, Level::File, message));
        }
    }

    /// Warnings take at most half of the diagnostics kept, so the errors that reject a file are never crowded
    /// out of the list.
    pub(crate) fn warning(&mut self, line: u64, record: &str, field: Option<&'static str>, message: impl Into<String>) {
        self.warnings += 1;
        if self.warnings <= (MAX_DIAGNOSTICS / 2) as u64 && self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(Diagnostic::new(line, record, field, Level::Warning, message));
        }
    }

    pub fn is_ok(&self) -> bool {
        self.errors == 0
    }
}

/// Reads lines with a bound on their length, counting them; `None` at the end. An over-long or non-UTF-8
/// line is reported and skipped.
pub(crate) struct Lines<R> {
    input: R,
    pub(crate) number: u64,
    buffer: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    /// Consumes input up to and including the next line end, a buffer at a time; false at the end of input
    /// or on a read error.
    fn skip_line(&mut self) -> bool {
        loop {
            let (found, length) = match self.input.fill_buf() {
                Ok([]) | Err(_) => return false,
                Ok(buffer) => match buffer.iter().position(|b| *b == b'\n') {
                    Some(at) => (true, at + 1),
                    None => (false, buffer.len()),
                },
            };
            self.input.consume(length);
            if found {
                return true;
            }
        }
    }

    pub(crate) fn new(input: R) -> Self {
        Lines { input, number: 0, buffer: Vec::new() }
    }

    pub(crate) fn next_line(&mut self, outcome: &mut ReadOutcome) -> Option<String> {
        loop {
            self.buffer.clear();
            let read =
                std::io::Read::take(&mut self.input, MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut self.buffer);
            match read {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    outcome.error(self.number + 1, "", None, format!("the file could not be read: {e}"));
                    return None;
                }
            }
            self.number += 1;
            if self.buffer.len() > MAX_LINE_BYTES && !self.buffer.ends_with(b"\n") {
                outcome.error(self.number, "", None, format!("line longer than {MAX_LINE_BYTES} bytes: split it"));
                // Skip the rest of the over-long line without holding it: a file may have no line end at all.
                if !self.skip_line() {
                    return None;
                }
                continue;
            }
            while matches!(self.buffer.last(), Some(b'\n' | b'\r')) {
                self.buffer.pop();
            }
            match std::str::from_utf8(&self.buffer) {
                Ok(text) => return Some(text.trim_start_matches('\u{feff}').to_owned()),
                Err(e) => {
                    outcome.error(
                        self.number,
                        "",
                        None,
                        format!("not UTF-8 at byte {}: save the file as UTF-8", e.valid_up_to()),
                    );
                }
            }
        }
    }
}
