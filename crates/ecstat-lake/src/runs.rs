//! What each run did, as `_runs/<run id>.json`: written at the end of every run (also a
//! failed or refused one), never changed afterwards. `ecstat runs` lists them.

use serde::{Deserialize, Serialize};

use crate::{DataDir, LakeError, Result, io_err};

/// The operation a run was.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RunCommand {
    /// `ecstat run`: the inbox, the build, the indicators, the exports.
    #[default]
    Run,
    /// `ecstat build --select`: models rebuilt from a snapshot's staged data.
    Build,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RunOutcome {
    /// A new snapshot became current.
    Published,
    /// Nothing had changed since the current snapshot; none was made.
    Unchanged,
    /// Model tests failed; the snapshot was not published and the previous one stays.
    Withheld,
    /// The run stopped on an error (a summary not finished reads as this).
    #[default]
    Failed,
    /// Another run held the lock; nothing was done.
    Refused,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Unchanged => "unchanged",
            Self::Withheld => "withheld",
            Self::Failed => "failed",
            Self::Refused => "refused",
        }
    }
}

/// How a run took one input file.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InputStatus {
    /// Read and staged by this run.
    #[default]
    Read,
    /// Same bytes, spec and reference as an earlier run read: its staged files are kept.
    Reused,
    /// Refused whole (unreadable, a file-level check failed, or a copy of another file).
    Rejected,
    /// The version accepted before, kept because its resubmission was rejected.
    Carried,
}

impl InputStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Reused => "reused",
            Self::Rejected => "rejected",
            Self::Carried => "carried",
        }
    }
}

/// A machine-readable account of one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunSummary {
    pub run_id: String,
    pub command: RunCommand,
    /// UTC, RFC 3339.
    pub started_at: String,
    pub finished_at: String,
    pub outcome: RunOutcome,
    pub exit_code: u8,
    /// The error that ended the run, when it failed.
    pub error: Option<String>,
    /// The snapshot the run started from and the one it published.
    pub previous_version: Option<u64>,
    pub published_version: Option<u64>,
    pub inputs: Vec<RunInput>,
    pub models_built: Vec<(String, u64)>,
    pub tests_run: u64,
    pub tests_failed: Vec<String>,
    pub warnings: Vec<String>,
    /// Indicator codes whose figures differ from the previous snapshot's.
    pub indicators_changed: Vec<String>,
    /// (stage, seconds)
    pub timings: Vec<(String, f64)>,
}

/// One input file as the run saw it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunInput {
    pub source: String,
    pub path: String,
    pub sha256: String,
    pub status: InputStatus,
    pub rows_staged: u64,
    pub rows_quarantined: u64,
    pub error: Option<String>,
    /// Whether the run computed the file's hash (false: its stamp was unchanged since the
    /// hash an earlier run recorded, or the file could not be opened).
    #[serde(default)]
    pub hashed: bool,
}

impl DataDir {
    /// Record `summary` under `_runs/`.
    pub fn write_run(&self, summary: &RunSummary) -> Result<()> {
        let relative = format!("_runs/{}.json", summary.run_id);
        let json = serde_json::to_vec_pretty(summary).map_err(|e| LakeError::CorruptManifest {
            path: self.path(&relative),
            message: e.to_string(),
        })?;
        self.create(&relative)?.write_all(&json)?;
        Ok(())
    }

    /// Every recorded run, oldest first. A summary that cannot be read is skipped with its
    /// error (a run killed while writing leaves none).
    pub fn runs(&self) -> Result<Vec<std::result::Result<RunSummary, LakeError>>> {
        let dir = self.path("_runs");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        paths.sort();
        Ok(paths
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
                serde_json::from_str(&text).map_err(|e| LakeError::CorruptManifest {
                    path: path.clone(),
                    message: e.to_string(),
                })
            })
            .collect())
    }
}
