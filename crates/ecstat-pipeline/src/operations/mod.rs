//! The operations: the nightly run ([`run`]) and the rebuild of selected models
//! ([`build`]). Both end in one sequence ([`assemble`]): build the models, test them side by
//! side, compute the figures, compare them with the previous snapshot, publish the snapshot
//! when its tests pass, and write its exports. Each writes the record of what it did under
//! `DATA_DIR/_runs/`, success or failure.

pub mod assemble;
pub mod build;
pub mod run;
pub mod validate;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ecstat_lake::{DataDir, InputRecord, Manifest, RunOutcome, RunSummary};
use ecstat_warehouse::TestOutcome;

use crate::{PipelineError, exit};

/// What a build-and-publish sequence did; the part of a report `run` and `build` share.
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// Published, or Withheld (a model test failed; the previous snapshot stays current).
    pub outcome: RunOutcome,
    /// The snapshot assembled: published, or what would have been.
    pub manifest: Manifest,
    /// Tables written, with their rows, in build order (references, models, figures).
    pub built: Vec<(String, u64)>,
    pub tests_run: usize,
    /// Tests that found rows: failures and warnings (`warning` set).
    pub test_failures: Vec<TestOutcome>,
    /// Indicators whose published rows differ from the previous snapshot's (`*`: could
    /// not compare).
    pub indicators_changed: Vec<String>,
    /// Export files written (none when not published, or exports were not asked for).
    pub exported: Vec<PathBuf>,
    /// Rows held back in quarantine by the rule that held them (severity `row`).
    pub quarantined_by_rule: BTreeMap<String, u64>,
    /// The county's figures that have targets, by year, for the summary.
    pub targets: Vec<TargetLine>,
}

impl Published {
    pub fn published(&self) -> bool {
        self.outcome == RunOutcome::Published
    }
}

/// One county figure with a target, as `ind_results` holds it (texts as stored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetLine {
    pub period: String,
    pub indicator_name_zh: String,
    pub measure_name_zh: String,
    pub unit: String,
    pub value: String,
    pub comparison: String,
    pub target: String,
    pub target_upper: String,
    pub status: String,
    pub note: String,
}

/// Seconds each stage took, in order.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    started: Option<std::time::Instant>,
    last: f64,
    pub stages: Vec<(String, f64)>,
}

impl Timings {
    pub fn start() -> Self {
        Self {
            started: Some(std::time::Instant::now()),
            ..Self::default()
        }
    }

    /// The stage `name` ended now.
    pub fn stage(&mut self, name: &str) {
        let at = self.elapsed();
        let spent = ((at - self.last) * 1000.0).round() / 1000.0;
        self.last = at;
        self.stages.push((name.to_string(), spent));
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.started.map_or(0.0, |s| s.elapsed().as_secs_f64())
    }
}

/// The exit status an operation's result deserves: 0 when every file was taken and the
/// snapshot (if any was due) published; 1 when a file was rejected or tests withheld it.
pub fn checks_code(inputs: &[InputRecord], published_or_unchanged: bool) -> u8 {
    let rejected = inputs.iter().any(|i| i.error.is_some());
    if published_or_unchanged && !rejected {
        exit::OK
    } else {
        exit::CHECKS_FAILED
    }
}

/// The record of a new operation of `command`, started now.
pub(crate) fn new_summary(command: ecstat_lake::RunCommand) -> RunSummary {
    RunSummary {
        run_id: ecstat_lake::new_run_id(),
        command,
        started_at: crate::snapshot::now(),
        ..Default::default()
    }
}

/// A report whose operation is recorded under `_runs/`.
pub(crate) trait Reported {
    fn exit_code(&self) -> u8;
    fn warnings(&mut self) -> &mut Vec<String>;
}

/// Record how the operation ended and pass its result on; a record that could not be
/// written is a warning of the report (of a failed operation, a log line).
pub(crate) fn finish<R: Reported>(
    lake: &DataDir,
    summary: &mut RunSummary,
    result: crate::Result<R>,
) -> crate::Result<R> {
    let recorded = record(lake, summary, result.as_ref().map(|r| r.exit_code()));
    match result {
        Ok(mut report) => {
            report.warnings().extend(recorded);
            Ok(report)
        }
        Err(e) => {
            if let Some(line) = recorded {
                tracing::warn!("{line}");
            }
            Err(e)
        }
    }
}

/// Finish `summary` with how the operation ended and write it under `_runs/`. A record
/// that cannot be written is returned as a warning line; it does not change the result.
fn record(
    lake: &DataDir,
    summary: &mut RunSummary,
    result: std::result::Result<u8, &PipelineError>,
) -> Option<String> {
    summary.finished_at = crate::snapshot::now();
    match result {
        Ok(code) => summary.exit_code = code,
        Err(error) => {
            summary.exit_code = error.kind().exit_code();
            summary.outcome = if error.kind() == crate::ErrorKind::Locked {
                RunOutcome::Refused
            } else {
                RunOutcome::Failed
            };
            summary.error = Some(crate::error::chain(error));
        }
    }
    lake.write_run(summary)
        .err()
        .map(|e| format!("could not record the run under _runs/: {e}"))
}

/// Test outcomes as the run record lists them: failures, and warnings.
pub(crate) fn test_lines(failures: &[TestOutcome], summary: &mut RunSummary) {
    for t in failures {
        let line = format!("{}: {} ({} rows)", t.model, t.name, t.failing_rows);
        if t.warning {
            summary.warnings.push(line);
        } else {
            summary.tests_failed.push(line);
        }
    }
}
