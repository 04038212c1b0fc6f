//! Diagnostics: what was wrong with an input, where, how bad, and what to do about it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much of the input a problem rejects, in CWR's own terms, plus warnings that reject nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    /// ER: the whole file is rejected.
    File,
    /// GR: a whole group is rejected.
    Group,
    /// TR: the transaction is rejected; nothing of it is stored.
    Transaction,
    /// RR: one detail record is ignored; the transaction goes on.
    Record,
    /// FR: one field is dropped (replaced by its default); the transaction is accepted with changes.
    Field,
    /// Nothing is rejected, but something deviates from the specification.
    Warning,
}

impl Level {
    /// The CWR code of the level (ER GR TR RR FR), `W` for a warning.
    pub fn code(self) -> &'static str {
        match self {
            Level::File => "ER",
            Level::Group => "GR",
            Level::Transaction => "TR",
            Level::Record => "RR",
            Level::Field => "FR",
            Level::Warning => "W",
        }
    }

    /// The message type CWR's MSG record uses for the level.
    pub fn msg_type(self) -> char {
        match self {
            Level::File => 'E',
            Level::Group => 'G',
            Level::Transaction => 'T',
            Level::Record => 'R',
            Level::Field | Level::Warning => 'F',
        }
    }
}

/// One problem found in an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// 1-based line number in the file (0 when the problem is about the file as a whole).
    pub line: u64,
    /// The record type the line holds (`SPU`, `HDR`), or empty when it could not be read.
    pub record: String,
    /// The field at fault, by its CWR name, when one field is.
    pub field: Option<&'static str>,
    pub level: Level,
    /// What was wrong and what to do, in words for the person who sent the file.
    pub message: String,
}

impl Diagnostic {
    pub fn new(line: u64, record: &str, field: Option<&'static str>, level: Level, message: impl Into<String>) -> Self {
        Diagnostic { line, record: record.to_owned(), field, level, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.level.code())?;
        if !self.record.is_empty() {
            write!(f, " {}", self.record)?;
        }
        if let Some(field) = self.field {
            write!(f, " {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}
