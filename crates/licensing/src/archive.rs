//! The archive of received files (reports, disclosure files): every file exactly as received, named by the
//! SHA-256 of its bytes, written once and never changed, kept in a [`ports::FsBlobStore`]. The store keeps
//! what rating and matching need; the archive keeps the proof. The areas also read a kept file by path
//! (Parquet is read by seeking), which is why this is the filesystem's blob store and not any.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use ports::{Blob, BlobStore, FsBlobStore};

/// A content-addressed folder: `<root>/ab/abcdef…` for a file whose SHA-256 starts with `ab`.
#[derive(Debug, Clone)]
pub struct Archive {
    blobs: FsBlobStore,
}

/// A file taken into the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archived {
    pub sha256: String,
    pub size: u64,
    pub path: PathBuf,
    /// The bytes were not in the archive before this put.
    pub fresh: bool,
}

impl Archive {
    pub fn new(root: impl Into<PathBuf>) -> Archive {
        Archive { blobs: FsBlobStore::new(root) }
    }

    pub fn root(&self) -> &Path {
        self.blobs.root()
    }

    /// Where the bytes with this digest are (or would be) kept; an error if it is not a SHA-256 digest (so a
    /// name sent by a client never reaches the filesystem).
    pub fn path_of(&self, sha256: &str) -> io::Result<PathBuf> {
        self.blobs.path_of(sha256)
    }

    /// Streams `input` into the archive, at most `limit` bytes, hashing as it goes. An existing file with
    /// the same hash is kept as it is (the bytes are the same). Errors leave no partial file behind; input
    /// over the limit is an error of kind [`io::ErrorKind::FileTooLarge`].
    pub fn put(&self, mut input: impl Read, limit: u64) -> io::Result<Archived> {
        let Blob { sha256, size, fresh } = self.blobs.put(&mut input, limit)?;
        Ok(Archived { path: self.path_of(&sha256)?, sha256, size, fresh })
    }

    /// Removes a file this submission put in the archive and that turned out not to be kept (a rejected
    /// report); bytes that were there before stay.
    pub fn discard(&self, archived: &Archived) {
        let blob = Blob { sha256: archived.sha256.clone(), size: archived.size, fresh: archived.fresh };
        let _ = self.blobs.discard(&blob);
    }

    pub fn open(&self, sha256: &str) -> io::Result<fs::File> {
        self.blobs.open_file(sha256)
    }

    /// Removes staging files a killed writer left behind (older than `older_than`, so a writer at work now
    /// keeps its own); returns how many. Run when a process that writes to the archive starts.
    pub fn clean_staging(&self, older_than: std::time::Duration) -> io::Result<u64> {
        self.blobs.clean_staging(older_than)
    }

    /// The first `bytes` bytes of a kept file (fewer if it is shorter): what its kind is told from.
    pub fn head(&self, sha256: &str, bytes: usize) -> io::Result<Vec<u8>> {
        self.blobs.head(sha256, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_land_once_under_their_hash() {
        let dir = std::env::temp_dir().join(format!("tantiem-archive-test-{}", std::process::id()));
        let archive = Archive::new(&dir);
        let a = archive.put(&b"report"[..], 100).unwrap();
        let b = archive.put(&b"report"[..], 100).unwrap();
        assert_eq!((a.fresh, b.fresh), (true, false));
        assert_eq!(Archived { fresh: true, ..b.clone() }, a);
        archive.discard(&b);
        assert!(a.path.exists(), "bytes that were there before stay");
        assert_eq!(a.sha256, "845e91831319e89c4d656bdb80c278ac09a7230d61e5dfd2e1b1fbb436ac8917");
        assert!(a.path.ends_with("84/845e91831319e89c4d656bdb80c278ac09a7230d61e5dfd2e1b1fbb436ac8917"));
        assert_eq!(fs::read(&a.path).unwrap(), b"report");
        assert!(archive.put(&b"too long"[..], 3).is_err());
        assert_eq!(
            fs::read_dir(&dir).unwrap().filter(|e| e.as_ref().unwrap().file_type().unwrap().is_file()).count(),
            0
        );
        let mut permissions = fs::metadata(&a.path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        fs::set_permissions(&a.path, permissions).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
