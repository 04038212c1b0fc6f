//! The blob store: files exactly as received (reports, disclosure files), named by the SHA-256 of their
//! bytes, written once and never changed. The store keeps what rating and matching need; the blob store
//! keeps the proof. [`FsBlobStore`] keeps them in a folder; an S3-compatible object store is the obvious
//! next implementation of the same five calls.

use std::fmt::Debug;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A file taken into the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub sha256: String,
    pub size: u64,
    /// The bytes were not in the store before this put: only such a blob may be discarded.
    pub fresh: bool,
}

/// Content-addressed storage of received files. Calls block: run them on a blocking thread.
pub trait BlobStore: Send + Sync + Debug {
    /// Streams `input` in, at most `limit` bytes, hashing as it goes. The same bytes again are kept once.
    /// Errors leave nothing behind; input over the limit is an error of kind
    /// [`io::ErrorKind::FileTooLarge`].
    fn put(&self, input: &mut dyn Read, limit: u64) -> io::Result<Blob>;
    /// The bytes kept under a digest (an error of kind [`io::ErrorKind::NotFound`] if none are).
    fn open(&self, sha256: &str) -> io::Result<Box<dyn Read + Send>>;
    /// A local, seekable file of the bytes (Parquet is read by seeking): the filesystem store opens its
    /// own file; a remote store would download a temporary copy.
    fn open_file(&self, sha256: &str) -> io::Result<fs::File>;
    /// The size of the bytes kept under a digest, or `None` if there are none.
    fn size(&self, sha256: &str) -> io::Result<Option<u64>>;
    /// Removes bytes this request put in and that turned out not to be kept (a rejected submission);
    /// bytes that were there before stay.
    fn discard(&self, blob: &Blob) -> io::Result<()>;
    /// Where the bytes are kept, for messages to the society's staff (never to a licensee).
    fn location(&self) -> String;

    /// The first `bytes` bytes (fewer if the file is shorter): what a file's kind is told from.
    fn head(&self, sha256: &str, bytes: usize) -> io::Result<Vec<u8>> {
        let mut head = Vec::with_capacity(bytes);
        self.open(sha256)?.take(bytes as u64).read_to_end(&mut head)?;
        Ok(head)
    }

    /// Whether bytes are kept under a digest.
    fn exists(&self, sha256: &str) -> io::Result<bool> {
        Ok(self.size(sha256)?.is_some())
    }
}

/// A content-addressed folder: `<root>/ab/abcdef…` for a file whose SHA-256 starts with `ab`. Files are
/// written to a staging name and renamed into place, so a killed writer leaves no partial file under a
/// digest; staging files it leaves are removed by [`FsBlobStore::clean_staging`].
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

/// Staging files start with this; nothing else in the folder does.
const STAGING_PREFIX: &str = ".incoming-";

impl FsBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> FsBlobStore {
        FsBlobStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the bytes with this digest are (or would be) kept; an error if it is not a digest.
    pub fn path_of(&self, sha256: &str) -> io::Result<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{sha256:?} is not a SHA-256 digest")));
        }
        let sha256 = sha256.to_ascii_lowercase();
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    /// Removes staging files older than `older_than` (left by a writer that was killed); returns how many.
    pub fn clean_staging(&self, older_than: std::time::Duration) -> io::Result<u64> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for entry in entries {
            let entry = entry?;
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= older_than);
            if entry.file_name().to_string_lossy().starts_with(STAGING_PREFIX) && stale {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn put_staged(&self, input: &mut dyn Read, limit: u64, staging: &mut fs::File, staged: &Path) -> io::Result<Blob> {
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let n = match input.read(&mut buffer) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > limit {
                return Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!("the file is larger than the limit of {limit} bytes"),
                ));
            }
            hasher.update(&buffer[..n]);
            staging.write_all(&buffer[..n])?;
        }
        staging.sync_all()?;
        let sha256 = crate::hex(&hasher.finalize());
        let path = self.path_of(&sha256)?;
        let fresh = !path.exists();
        if fresh {
            fs::create_dir_all(path.parent().unwrap_or(&self.root))?;
            fs::rename(staged, &path)?;
            let mut permissions = fs::metadata(&path)?.permissions();
            permissions.set_readonly(true);
            fs::set_permissions(&path, permissions)?;
        } else {
            fs::remove_file(staged)?;
        }
        Ok(Blob { sha256, size, fresh })
    }
}

impl BlobStore for FsBlobStore {
    fn put(&self, input: &mut dyn Read, limit: u64) -> io::Result<Blob> {
        fs::create_dir_all(&self.root)?;
        let (mut staging, staged) = staging_file(&self.root)?;
        let result = self.put_staged(input, limit, &mut staging, &staged);
        if result.is_err() {
            let _ = fs::remove_file(&staged);
        }
        result
    }

    fn open(&self, sha256: &str) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(self.open_file(sha256)?))
    }

    fn open_file(&self, sha256: &str) -> io::Result<fs::File> {
        fs::File::open(self.path_of(sha256)?)
    }

    fn size(&self, sha256: &str) -> io::Result<Option<u64>> {
        match fs::metadata(self.path_of(sha256)?) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn discard(&self, blob: &Blob) -> io::Result<()> {
        if !blob.fresh {
            return Ok(());
        }
        match fs::remove_file(self.path_of(&blob.sha256)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn location(&self) -> String {
        self.root.display().to_string()
    }
}

/// A uniquely named staging file in `dir` (`.incoming-PID-N`): the process id and a counter of the
/// process's own, created exclusively, so a name left by a dead process with the same id is skipped. Written
/// to, then renamed into place, it is how a file store never shows a half-written file.
pub fn staging_file(dir: &Path) -> io::Result<(fs::File, PathBuf)> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    for _ in 0..100u32 {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!("{STAGING_PREFIX}{}-{n}", std::process::id()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("could not create a staging file in {}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_in(dir: &Path) -> usize {
        fs::read_dir(dir).unwrap().filter(|e| e.as_ref().unwrap().file_type().unwrap().is_file()).count()
    }

    #[test]
    fn the_same_bytes_land_once_under_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobStore::new(dir.path());
        let a = blobs.put(&mut &b"report"[..], 100).unwrap();
        let b = blobs.put(&mut &b"report"[..], 100).unwrap();
        assert_eq!((a.fresh, b.fresh), (true, false));
        assert_eq!(Blob { fresh: true, ..b.clone() }, a);
        blobs.discard(&b).unwrap();
        assert!(blobs.exists(&a.sha256).unwrap(), "bytes that were there before stay");
        assert_eq!(a.sha256, "845e91831319e89c4d656bdb80c278ac09a7230d61e5dfd2e1b1fbb436ac8917");
        assert_eq!(blobs.size(&a.sha256).unwrap(), Some(6));
        assert_eq!(blobs.head(&a.sha256, 3).unwrap(), b"rep");
        let mut all = Vec::new();
        blobs.open(&a.sha256).unwrap().read_to_end(&mut all).unwrap();
        assert_eq!(all, b"report");
        let too_long = blobs.put(&mut &b"too long"[..], 3).unwrap_err();
        assert_eq!(too_long.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(files_in(dir.path()), 0, "no staging file is left behind");
        blobs.discard(&a).unwrap();
        assert!(!blobs.exists(&a.sha256).unwrap(), "fresh bytes that were not kept go");
    }

    #[test]
    fn a_digest_is_checked_before_it_names_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobStore::new(dir.path());
        assert_eq!(blobs.open("../../etc/passwd").err().map(|e| e.kind()), Some(io::ErrorKind::InvalidInput));
        assert_eq!(blobs.size(&"0".repeat(64)).unwrap(), None);
    }

    #[test]
    fn staging_files_of_killed_writers_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobStore::new(dir.path());
        fs::write(dir.path().join(format!("{STAGING_PREFIX}1-2-3")), b"partial").unwrap();
        fs::write(dir.path().join("unrelated"), b"kept").unwrap();
        assert_eq!(blobs.clean_staging(std::time::Duration::ZERO).unwrap(), 1);
        assert_eq!(files_in(dir.path()), 1);
    }
}
