//! The run lock: one writer per data directory. `_lock` is created with create-new; a lock
//! whose process is gone (same host, no such pid) is taken over.

use std::fs::OpenOptions;
use std::io::Write;
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

/// Held while a run writes; removed on drop.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn alive(pid: u32) -> bool {
    // Without /proc (not Linux) nothing can be told: assume alive, never steal.
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

impl RunLock {
    pub(crate) fn acquire(root: &Path, run_id: &str) -> Result<Self> {
        let path = root.join("_lock");
        let me = LockHolder {
            pid: std::process::id(),
            host: hostname(),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            run_id: run_id.to_string(),
        };
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let body = serde_json::to_vec(&me).unwrap_or_default();
                    file.write_all(&body)
                        .and_then(|_| file.sync_all())
                        .map_err(io_err(&path))?;
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    match serde_json::from_str::<LockHolder>(&text) {
                        Ok(holder) if holder.host == me.host && !alive(holder.pid) => {
                            tracing_stale(&holder);
                            std::fs::remove_file(&path).map_err(io_err(&path))?;
                        }
                        Ok(holder) => {
                            return Err(LakeError::Locked {
                                root: root.to_path_buf(),
                                holder,
                            });
                        }
                        // Written but not yet filled in by a process that is starting now.
                        Err(_) => {
                            return Err(LakeError::Locked {
                                root: root.to_path_buf(),
                                holder: LockHolder {
                                    pid: 0,
                                    host: "?".into(),
                                    started_at: "?".into(),
                                    run_id: "?".into(),
                                },
                            });
                        }
                    }
                }
                Err(e) => return Err(LakeError::Io { path, source: e }),
            }
        }
        Err(LakeError::Io {
            path,
            source: std::io::Error::other("lock could not be taken after removing a stale one"),
        })
    }
}

fn tracing_stale(holder: &LockHolder) {
    tracing::warn!(
        pid = holder.pid,
        run = %holder.run_id,
        "taking over a stale lock: its process is no longer running"
    );
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
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
    fn a_dead_holder_is_taken_over() -> Result<()> {
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
