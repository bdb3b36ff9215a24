//! What each run did, as `_runs/<run id>.json`: written at the end of every run (also a
//! failed or refused one), never changed afterwards. `ecstat runs` lists them.

use serde::{Deserialize, Serialize};

use crate::{DataDir, LakeError, Result, io_err};

/// A machine-readable account of one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunSummary {
    pub run_id: String,
    /// `run` or `build`.
    pub command: String,
    /// UTC, RFC 3339.
    pub started_at: String,
    pub finished_at: String,
    /// published | unchanged | withheld | failed | refused
    pub outcome: String,
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
    /// read | reused (same bytes, spec and reference as before) | rejected | carried
    pub status: String,
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
