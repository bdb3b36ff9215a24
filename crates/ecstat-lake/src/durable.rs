//! Durable writes: temp file, fsync, publish under a name that must not exist yet, fsync
//! the directory. DataFusion 55's local object store never fsyncs, so ecstat does.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{LakeError, Result, io_err};

/// fsync a directory so that names created in it survive a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// Bytes read at a time when hashing.
const HASH_CHUNK: usize = 1 << 20;

/// SHA-256 of a file's content, hex encoded. Reading (the kernel's copy out of the page
/// cache) and hashing each take about as long, so the file is read on this thread and
/// hashed on another ([`HashingReader`]).
pub fn sha256_file(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(io_err(path))?;
    let (mut reader, hash) = HashingReader::new(file);
    let mut chunk = vec![0u8; HASH_CHUNK];
    while reader.read(&mut chunk).map_err(io_err(path))? > 0 {}
    drop(reader);
    hash.finish()
        .ok_or_else(|| io_err(path)(std::io::Error::other("hashing thread panicked")))
}

/// A reader that hashes (SHA-256) what is read through it, on another thread: a file is
/// read once to be both parsed and hashed. The hash is known once everything was read.
pub struct HashingReader<R> {
    inner: R,
    full: std::sync::mpsc::SyncSender<Vec<u8>>,
    empty: std::sync::mpsc::Receiver<Vec<u8>>,
    ended: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// The hash of what a [`HashingReader`] read; see [`ReadHash::finish`].
pub struct ReadHash {
    hashing: std::thread::JoinHandle<[u8; 32]>,
    ended: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> (Self, ReadHash) {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(3);
        let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let hashing = std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            for chunk in full_rx {
                hasher.update(&chunk);
                // The reader may be gone; then the chunk is simply dropped.
                let _ = empty_tx.send(chunk);
            }
            hasher.finalize().into()
        });
        let ended = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        (
            Self {
                inner,
                full: full_tx,
                empty: empty_rx,
                ended: ended.clone(),
            },
            ReadHash { hashing, ended },
        )
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended.store(true, std::sync::atomic::Ordering::Release);
        } else if n > 0 {
            let mut chunk = self.empty.try_recv().unwrap_or_default();
            chunk.clear();
            chunk.extend_from_slice(&buf[..n]);
            self.full
                .send(chunk)
                .map_err(|_| std::io::Error::other("hashing thread stopped"))?;
        }
        Ok(n)
    }
}

impl ReadHash {
    /// The hex SHA-256 of everything read, when it was read to its end; None when reading
    /// stopped before. Call it after the [`HashingReader`] was dropped: it waits for that.
    pub fn finish(self) -> Option<String> {
        let digest = self.hashing.join().ok()?;
        self.ended
            .load(std::sync::atomic::Ordering::Acquire)
            .then(|| hex::encode(digest))
    }
}

/// A file being written under a temp name beside its final name.
#[derive(Debug)]
pub struct PendingFile {
    root: PathBuf,
    tmp: PathBuf,
    target: PathBuf,
    relative: String,
    writer: Option<BufWriter<File>>,
}

impl PendingFile {
    pub(crate) fn create(root: &Path, relative: &str) -> Result<Self> {
        let target = root.join(relative);
        let dir = target.parent().unwrap_or(root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        Ok(Self {
            root: root.to_path_buf(),
            tmp,
            target,
            relative: relative.to_string(),
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// Data-directory-relative final name.
    pub fn relative(&self) -> &str {
        &self.relative
    }

    /// Publish under another name in the same folder: for a name that depends on what was
    /// written (a staged file is named after the content hash of its input, known once
    /// the input was read to its end).
    pub fn rename(&mut self, file_name: &str) {
        self.target.set_file_name(file_name);
        let folder = self
            .relative
            .rsplit_once('/')
            .map_or("", |(folder, _)| folder);
        self.relative = if folder.is_empty() {
            file_name.to_string()
        } else {
            format!("{folder}/{file_name}")
        };
    }

    /// The writer; hand it to a Parquet or CSV writer and take it back with [`Self::commit`].
    pub fn take_writer(&mut self) -> Option<BufWriter<File>> {
        self.writer.take()
    }

    /// Flush, fsync and publish under the final name; fails if the name exists.
    pub fn commit(self, writer: Option<BufWriter<File>>) -> Result<String> {
        self.commit_inner(writer, None)
    }

    /// Write all of `bytes` and publish; fails with [`LakeError::Conflict`] if the name
    /// exists (manifests: the version was taken by another run).
    pub(crate) fn write_all_exclusive(mut self, bytes: &[u8], version: u64) -> Result<String> {
        let mut w = self.take_writer();
        if let Some(w) = w.as_mut() {
            w.write_all(bytes).map_err(io_err(&self.tmp))?;
        }
        self.commit_inner(w, Some(version))
    }

    fn commit_inner(
        mut self,
        writer: Option<BufWriter<File>>,
        exclusive: Option<u64>,
    ) -> Result<String> {
        let writer = writer.or(self.writer.take());
        if let Some(w) = writer {
            let file = w.into_inner().map_err(|e| LakeError::Io {
                path: self.tmp.clone(),
                source: e.into_error(),
            })?;
            file.sync_all().map_err(io_err(&self.tmp))?;
        }
        // Create-if-absent: data files carry the run id in their names, so an existing
        // name is never replaced (an older snapshot may reference it).
        match std::fs::hard_link(&self.tmp, &self.target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(match exclusive {
                    Some(version) => LakeError::Conflict { version },
                    None => LakeError::Io {
                        path: self.target.clone(),
                        source: e,
                    },
                });
            }
            Err(e) => {
                return Err(LakeError::Io {
                    path: self.target.clone(),
                    source: e,
                });
            }
        }
        std::fs::remove_file(&self.tmp).map_err(io_err(&self.tmp))?;
        // The new name, and any folders created for it, must survive a crash.
        let mut dir = self.target.parent();
        while let Some(d) = dir {
            sync_dir(d)?;
            if d == self.root {
                break;
            }
            dir = d.parent();
        }
        Ok(std::mem::take(&mut self.relative))
    }

    /// Write all of `bytes` and commit.
    pub fn write_all(mut self, bytes: &[u8]) -> Result<String> {
        let mut w = self.take_writer();
        if let Some(w) = w.as_mut() {
            w.write_all(bytes).map_err(io_err(&self.tmp))?;
        }
        self.commit(w)
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        // Abandoned (error path): the temp file is not referenced by anything.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashing_reader_gives_the_file_hash_only_when_read_to_its_end() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &bytes).expect("write");

        let (mut reader, hash) = HashingReader::new(File::open(&path).expect("open"));
        let mut read = Vec::new();
        reader.read_to_end(&mut read).expect("read");
        drop(reader);
        assert_eq!(read, bytes);
        // A second computation: the digest of the bytes in one piece.
        let whole = hex::encode(Sha256::digest(&bytes));
        assert_eq!(hash.finish(), Some(whole.clone()));
        assert_eq!(sha256_file(&path).expect("hash"), whole);

        let (mut reader, hash) = HashingReader::new(File::open(&path).expect("open"));
        let mut part = vec![0u8; 1000];
        reader.read_exact(&mut part).expect("read");
        drop(reader);
        assert_eq!(hash.finish(), None);
    }

    #[test]
    fn a_pending_file_renamed_is_published_under_the_new_name_in_its_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut pending =
            PendingFile::create(dir.path(), "staged/t/month=2019-01/a.parquet").expect("create");
        pending.rename("b.parquet");
        let writer = pending.take_writer();
        let name = pending.commit(writer).expect("commit");
        assert_eq!(name, "staged/t/month=2019-01/b.parquet");
        assert!(dir.path().join(&name).is_file());
        assert!(!dir.path().join("staged/t/month=2019-01/a.parquet").exists());
        let left: Vec<_> = std::fs::read_dir(dir.path().join("staged/t/month=2019-01"))
            .expect("list")
            .collect();
        assert_eq!(left.len(), 1, "no temp file left");
    }
}
