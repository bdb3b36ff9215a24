//! One file to ingest: its path as the inbox names it, its content hash (or none yet, for
//! a file hashed while it is read), and the stamp that tells a later run it is unchanged.

use std::path::Path;

use ecstat_lake::{FileStamp, InputRecord};

use crate::{IngestError, Result};

/// One file to ingest.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: std::path::PathBuf,
    /// `/`-separated path relative to the inbox (lossy UTF-8).
    pub relative: String,
    /// Empty for a file hashed while it is read ([`InputFile::unhashed`]).
    pub sha256: String,
    pub bytes: u64,
    /// Its stamp when hashed, if settled (see [`FileStamp`]).
    pub stamp: Option<FileStamp>,
    /// Whether `sha256` was computed now, not taken from an earlier run's record.
    pub hashed: bool,
}

impl InputFile {
    /// Size and content hash of `path`; the message says why when the file cannot be read.
    pub fn open(path: &Path, relative: String) -> std::result::Result<Self, String> {
        Self::open_trusting(path, relative, &[])
    }

    /// Like [`InputFile::open`], but a file whose path and stamp (size, modification and
    /// change times, inode) equal those of one of `earlier` is taken to hold the bytes it
    /// had then: its hash is not computed again. A nightly run over a years-long inbox
    /// then reads only what is new. Carried records stand for files no longer at their
    /// path and are not trusted.
    pub fn open_trusting(
        path: &Path,
        relative: String,
        earlier: &[InputRecord],
    ) -> std::result::Result<Self, String> {
        let meta = stat(path)?;
        let stamp = FileStamp::of(&meta);
        let known = stamp.and_then(|stamp| {
            earlier.iter().find(|i| {
                i.path == relative && !i.carried && !i.sha256.is_empty() && i.stamp == Some(stamp)
            })
        });
        if let Some(known) = known {
            return Ok(Self {
                path: path.to_path_buf(),
                relative,
                sha256: known.sha256.clone(),
                bytes: meta.len(),
                stamp,
                hashed: false,
            });
        }
        let started = now_ns();
        let sha256 = ecstat_lake::sha256_file(path).map_err(|e| e.to_string())?;
        let stamp = settled_stamp(path, stamp, started);
        Ok(Self {
            path: path.to_path_buf(),
            relative,
            sha256,
            bytes: meta.len(),
            stamp,
            hashed: true,
        })
    }

    /// A file whose hash is taken while it is ingested, from the bytes parsed, instead of
    /// in a reading of its own: for a file that cannot be one read before (no earlier file
    /// has its size). [`ingest_file`] fills in the record's `sha256`.
    pub fn unhashed(path: &Path, relative: String) -> std::result::Result<Self, String> {
        let meta = stat(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            relative,
            sha256: String::new(),
            bytes: meta.len(),
            stamp: FileStamp::of(&meta),
            hashed: true,
        })
    }
}

/// `path`'s metadata; the message names the file.
pub(crate) fn stat(path: &Path) -> std::result::Result<std::fs::Metadata, String> {
    std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Nanoseconds since the Unix epoch, as [`FileStamp`] counts them.
pub(crate) fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// The stamp `path` had before it was hashed from `started` on, if it has it still and it
/// was settled then. A file written while hashed, or so recently that a further write could
/// keep the stamp, gets none: it is hashed again next time.
pub(crate) fn settled_stamp(
    path: &Path,
    stamp: Option<FileStamp>,
    started: i128,
) -> Option<FileStamp> {
    let after = std::fs::metadata(path).ok().and_then(|m| FileStamp::of(&m));
    stamp.filter(|s| Some(*s) == after && s.settled_before(started))
}

/// The SHA-256 of `path`, read on its own.
pub(crate) fn sha256_of(path: &Path) -> Result<String> {
    ecstat_lake::sha256_file(path).map_err(|e| IngestError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })
}
