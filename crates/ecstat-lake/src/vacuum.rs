//! Removing what no retained snapshot needs: old manifests first (so a crash half-way
//! leaves only unreferenced files, never a snapshot with files missing), then the data
//! files no retained snapshot references, and temp files crashed runs left behind.

use std::collections::BTreeSet;
use std::path::Path;

use crate::{DataDir, Result, RunLock, io_err, manifest, sync_dir};

/// Which snapshots to keep. The current one is always kept.
#[derive(Debug, Clone, Copy)]
pub enum Retain {
    /// The newest N.
    Newest(usize),
    /// Those published at or after this time (UTC, RFC 3339 ordering).
    Since(chrono::DateTime<chrono::Utc>),
}

/// What a vacuum removed (or would remove, dry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VacuumReport {
    pub kept_versions: Vec<u64>,
    pub removed_versions: Vec<u64>,
    pub removed_files: Vec<String>,
    pub freed_bytes: u64,
}

/// Folders whose files belong to snapshots.
const DATA_FOLDERS: &[&str] = &["staged", "warehouse", "quarantine"];

impl DataDir {
    /// Remove snapshots `retain` does not keep and every data file no kept snapshot
    /// references. Needs the run lock (`_lock`): no run is writing meanwhile. With `dry`,
    /// only report.
    pub fn vacuum(&self, _lock: &RunLock, retain: Retain, dry: bool) -> Result<VacuumReport> {
        let versions = manifest::versions(self.root())?;
        let mut report = VacuumReport::default();
        let mut kept_files: BTreeSet<String> = BTreeSet::new();
        let mut doomed = Vec::new();
        let newest = versions.last().map(|(v, _)| *v);
        for (i, (version, path)) in versions.iter().enumerate() {
            let m = manifest::read(path)?;
            let keep = Some(*version) == newest
                || match retain {
                    Retain::Newest(n) => versions.len() - i <= n,
                    Retain::Since(t) => {
                        chrono::DateTime::parse_from_rfc3339(&m.created_at).is_ok_and(|c| c >= t)
                    }
                };
            if keep {
                kept_files.extend(m.files().into_iter().map(str::to_string));
                report.kept_versions.push(*version);
            } else {
                report.removed_versions.push(*version);
                doomed.push(path.clone());
            }
        }
        if !dry {
            for path in &doomed {
                std::fs::remove_file(path).map_err(io_err(path))?;
            }
            sync_dir(&self.path("_manifests"))?;
        }
        for folder in DATA_FOLDERS {
            let mut files = Vec::new();
            walk(&self.path(folder), &mut files)?;
            for path in files {
                let relative = path
                    .strip_prefix(self.root())
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                if kept_files.contains(&relative) {
                    continue;
                }
                report.freed_bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                if !dry {
                    std::fs::remove_file(&path).map_err(io_err(&path))?;
                }
                report.removed_files.push(relative);
            }
            if !dry {
                remove_empty_dirs(&self.path(folder))?;
            }
        }
        Ok(report)
    }
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io_err(&path))?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Remove the empty folders below `dir` (not `dir` itself); true when `dir` is empty.
fn remove_empty_dirs(dir: &Path) -> Result<bool> {
    let mut empty = true;
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        if entry.file_type().map_err(io_err(&path))?.is_dir() && remove_empty_dirs(&path)? {
            std::fs::remove_dir(&path).map_err(io_err(&path))?;
        } else {
            empty = false;
        }
    }
    Ok(empty)
}
