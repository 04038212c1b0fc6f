//! The report archive: every report file exactly as received, named by the SHA-256 of its bytes, written
//! once and never changed. The store keeps what rating and distribution need; the archive keeps the proof.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A content-addressed folder: `<root>/ab/abcdef…` for a file whose SHA-256 starts with `ab`.
#[derive(Debug, Clone)]
pub struct Archive {
    root: PathBuf,
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
        Archive { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// Streams `input` into the archive, at most `limit` bytes, hashing as it goes. An existing file with
    /// the same hash is kept as it is (the bytes are the same). Errors leave no partial file behind; input
    /// over the limit is an error of kind [`io::ErrorKind::FileTooLarge`].
    pub fn put(&self, input: impl Read, limit: u64) -> io::Result<Archived> {
        fs::create_dir_all(&self.root)?;
        let staging = ports::staging_file(&self.root)?;
        let staged = staging.1.clone();
        let result = self.put_staged(input, limit, staging);
        if result.is_err() {
            let _ = fs::remove_file(&staged);
        }
        result
    }

    fn put_staged(&self, mut input: impl Read, limit: u64, mut staging: (fs::File, PathBuf)) -> io::Result<Archived> {
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let n = input.read(&mut buffer)?;
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
            staging.0.write_all(&buffer[..n])?;
        }
        staging.0.sync_all()?;
        let sha256 = crate::hex(&hasher.finalize());
        let path = self.path_of(&sha256);
        let fresh = !path.exists();
        if !fresh {
            fs::remove_file(&staging.1)?;
        } else {
            fs::create_dir_all(path.parent().unwrap_or(&self.root))?;
            fs::rename(&staging.1, &path)?;
            let mut permissions = fs::metadata(&path)?.permissions();
            permissions.set_readonly(true);
            fs::set_permissions(&path, permissions)?;
        }
        Ok(Archived { sha256, size, path, fresh })
    }

    /// Removes a file this submission put in the archive and that turned out not to be kept (a rejected
    /// report); bytes that were there before stay.
    pub fn discard(&self, archived: &Archived) {
        if archived.fresh {
            let _ = fs::remove_file(&archived.path);
        }
    }

    pub fn open(&self, sha256: &str) -> io::Result<fs::File> {
        fs::File::open(self.path_of(sha256))
    }

    /// The first `bytes` bytes of a kept file (fewer if it is shorter): what its kind is told from.
    pub fn head(&self, sha256: &str, bytes: usize) -> io::Result<Vec<u8>> {
        let mut head = Vec::with_capacity(bytes);
        self.open(sha256)?.take(bytes as u64).read_to_end(&mut head)?;
        Ok(head)
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
