//! What every area of Tantiem shares: who acts and what each may do ([`access`]), progress on long work
//! ([`progress`]), and the store boundary: what a store can answer when it fails ([`StoreError`], with
//! [`StoreError::Conflict`] for a lost race), the content-addressed [`BlobStore`] for archived files, and
//! [`Entropy`] for the few random bytes the use cases need (tokens, keys).
//!
//! Each area (repertoire, books, licensing, disclosures) declares its own store port as a trait, building
//! on the ports of the areas below it; a use case that reads, decides and writes is one port method, which
//! the backend runs as one database transaction holding what it decides on (a unit of work).
//!
//! Architecture invariant: no area, no SQL and no file format here. The two adapters that need no
//! database live here too, because every edge needs them: the filesystem blob store ([`FsBlobStore`]) and
//! the operating system's entropy ([`OsEntropy`]). Nothing else in the areas reads the clock, the
//! environment or randomness.

pub mod access;
mod blobs;
mod entropy;
pub mod progress;

pub use access::{Actor, ActorKind, Denied, Rule, Scope, UseCase};
pub use blobs::{Blob, BlobStore, FsBlobStore, staging_file};
pub use entropy::{Entropy, EntropyError, FixedEntropy, OsEntropy, random_bytes};

/// A store error: the database said no, lost a race, or holds what Tantiem did not write.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    #[error("the store holds unreadable data ({0}): was it written by another program?")]
    Corrupt(String),
    #[error("the store is not initialised: run `tantiem init` first")]
    NotInitialised,
    /// Another request changed what this one decided on, or wrote the same thing first: nothing of this
    /// one was kept. The text says what collided, in words the person who sent it can act on.
    #[error("{0}")]
    Conflict(String),
}

impl StoreError {
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An id read back from the store, checked as it crosses into a use case that takes it typed: one the
/// store holds in an unusable form is corrupt data, not a person's typing error.
pub fn stored_id<T>(text: &str) -> StoreResult<T>
where
    T: std::str::FromStr<Err = domain::ids::IdError>,
{
    text.parse().map_err(|e: domain::ids::IdError| StoreError::Corrupt(e.to_string()))
}

/// Lower-case hexadecimal of bytes (digests, ids, tokens).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The bytes of lower- or upper-case hexadecimal, if that is what `text` is.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 1, 0xab, 0xff]), "0001abff");
        assert_eq!(unhex("0001ABff"), Some(vec![0, 1, 0xab, 0xff]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
