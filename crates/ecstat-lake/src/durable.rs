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
/// hashed on another.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(io_err(path))?;
    // Chunks go to the hashing thread with the bytes read into them, and come back to be
    // filled again: three in all.
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(2);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    for _ in 0..3 {
        let _ = empty_tx.send(vec![0u8; HASH_CHUNK]);
    }
    std::thread::scope(|scope| {
        let hashing = scope.spawn(move || {
            let mut hasher = Sha256::new();
            for (chunk, n) in full_rx {
                hasher.update(&chunk[..n]);
                // The reader may have stopped; then the chunk is simply dropped.
                let _ = empty_tx.send(chunk);
            }
            hasher.finalize()
        });
        let read = (|| -> std::io::Result<()> {
            while let Ok(mut chunk) = empty_rx.recv() {
                let n = file.read(&mut chunk)?;
                if n == 0 || full_tx.send((chunk, n)).is_err() {
                    break;
                }
            }
            Ok(())
        })();
        drop(full_tx);
        let digest = hashing
            .join()
            .map_err(|_| io_err(path)(std::io::Error::other("hashing thread panicked")))?;
        read.map_err(io_err(path))?;
        Ok(hex::encode(digest))
    })
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
