//! The store boundary every area of Tantiem shares: what a store can answer when it fails
//! ([`StoreError`], with [`StoreError::Conflict`] for a lost race), units of work (a [`Session`] is one
//! database transaction, opened by [`Sessions`]), the content-addressed [`BlobStore`] for archived files,
//! and [`Entropy`] for the few random bytes the use cases need (tokens, keys).
//!
//! Each area (repertoire, licensing, disclosures, books) declares its own narrow store port as a trait
//! whose methods take `&mut self`: a port is implemented by a session, so that everything one use case
//! reads, decides and writes happens inside one transaction. A use case names the ports it needs as
//! bounds (`T: ?Sized + LicensingStore + BooksStore`) and the caller hands it one session that has them.
//!
//! Architecture invariant: no area, no SQL and no file format here. The two adapters that need no
//! database live here too, because every edge needs them: the filesystem blob store ([`FsBlobStore`]) and
//! the operating system's entropy ([`OsEntropy`]). Nothing else in the areas reads the clock, the
//! environment or randomness.

mod blobs;
mod entropy;

use async_trait::async_trait;

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

/// A unit of work: one database transaction. What it wrote is kept only when it is committed; dropped
/// without a commit (an error, a panic, a killed task) it rolls back.
#[async_trait]
pub trait Session: Send {
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// Opens units of work of type `T` (a session that implements some area ports).
#[async_trait]
pub trait Sessions<T: ?Sized + Session>: Send + Sync {
    /// A session that will write: it takes the store's write lock at once on SQLite (so that a decision
    /// read inside it cannot be overtaken), and locks the rows it decides on in PostgreSQL.
    async fn write(&self) -> StoreResult<Box<T>>;
    /// A session that only reads, from one consistent snapshot.
    async fn read(&self) -> StoreResult<Box<T>>;
    /// Which backend this is ("sqlite", "postgres"), for messages.
    fn backend(&self) -> &'static str;
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
