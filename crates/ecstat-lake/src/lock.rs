//! The run lock: one writer per data directory. `_lock` is locked with the operating
//! system's advisory file lock, which dies with its process: a run that was killed leaves
//! no stale lock behind. The file also names the holder, for the message of the next run.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{LakeError, Result, io_err};

/// Who holds the lock.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LockHolder {
    pub pid: u32,
    pub host: String,
    pub started_at: String,
    pub run_id: String,
}

/// Held while a run writes; released when dropped or when the process ends.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

impl RunLock {
    pub(crate) fn acquire(root: &Path, run_id: &str) -> Result<Self> {
        let path: PathBuf = root.join("_lock");
        // Never truncate on open: the holder's details are read by whoever is refused.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = serde_json::from_str(&text).unwrap_or(LockHolder {
                    pid: 0,
                    host: "?".into(),
                    started_at: "?".into(),
                    run_id: "? (starting)".into(),
                });
                return Err(LakeError::Locked {
                    root: root.to_path_buf(),
                    holder,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(LakeError::Io { path, source: e }),
        }
        let me = LockHolder {
            pid: std::process::id(),
            host: hostname(),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            run_id: run_id.to_string(),
        };
        let body = serde_json::to_vec(&me).unwrap_or_default();
        file.set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(&body))
            .and_then(|_| file.sync_all())
            .map_err(io_err(&path))?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_and_names_the_holder() -> Result<()> {
        let dir = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let first = RunLock::acquire(dir.path(), "run-a")?;
        let err = RunLock::acquire(dir.path(), "run-b").unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&std::process::id().to_string()),
            "{message}"
        );
        assert!(message.contains("run-a"), "{message}");
        drop(first);
        RunLock::acquire(dir.path(), "run-c")?;
        Ok(())
    }

    #[test]
    fn a_lock_file_left_by_a_dead_run_does_not_block() -> Result<()> {
        let dir = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let dead = LockHolder {
            pid: u32::MAX - 1,
            host: hostname(),
            started_at: "2019-01-01T00:00:00Z".into(),
            run_id: "dead".into(),
        };
        std::fs::write(
            dir.path().join("_lock"),
            serde_json::to_vec(&dead).unwrap_or_default(),
        )
        .map_err(io_err(dir.path()))?;
        RunLock::acquire(dir.path(), "live")?;
        Ok(())
    }
}
