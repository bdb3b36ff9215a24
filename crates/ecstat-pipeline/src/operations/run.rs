//! The nightly run: take in every inbox file (each once, by content hash and spec), load
//! the reference tables and the programme, build and test the models, compute the figures,
//! publish one snapshot and write its exports — or, when nothing changed since the current
//! snapshot, keep it.

use std::path::PathBuf;

use ecstat_engine::Engine;
use ecstat_lake::{DataDir, InputRecord, Manifest, RunCommand, RunOutcome, RunSummary};
use ecstat_warehouse::Warehouse;

use super::assemble::{Assembly, assemble};
use super::{Published, Reported, Timings, checks_code, finish, new_summary, test_lines};
use crate::definitions::{self, Definitions};
use crate::intake::{self, IntakeContext};
use crate::progress::{Progress, Silent};
use crate::project::Project;
use crate::{PipelineError, Result, exports, failpoint, snapshot};

/// What to run. `RunOptions::new(project)` runs as the nightly job does: exports written,
/// recorded file stamps trusted.
#[derive(Clone)]
pub struct RunOptions<'a> {
    project: &'a Project,
    engine: Engine,
    export: bool,
    rehash: bool,
    progress: &'a dyn Progress,
}

impl<'a> RunOptions<'a> {
    pub fn new(project: &'a Project) -> Self {
        Self {
            project,
            engine: Engine::default(),
            export: true,
            rehash: false,
            progress: &Silent,
        }
    }

    /// The engine to run on (its memory limit); by default one with the default limit.
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// Write the exports of the published snapshot (the default).
    pub fn export(mut self, export: bool) -> Self {
        self.export = export;
        self
    }

    /// Hash every inbox file again instead of trusting a recorded stamp.
    pub fn rehash(mut self, rehash: bool) -> Self {
        self.rehash = rehash;
        self
    }

    pub fn progress(mut self, progress: &'a dyn Progress) -> Self {
        self.progress = progress;
        self
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: String,
    /// Published, Withheld (model tests failed), or Unchanged (nothing new since the
    /// current snapshot, which stays).
    pub outcome: RunOutcome,
    /// The snapshot the run stood on before.
    pub previous_version: Option<u64>,
    /// Every input of the snapshot: read, reused, rejected or carried.
    pub inputs: Vec<InputRecord>,
    /// How many inputs were reused from the previous snapshot without being read.
    pub reused: usize,
    /// Inbox files no spec reads, with why.
    pub unmatched: Vec<String>,
    /// The build and its publication; `None` when nothing changed.
    pub published: Option<Published>,
    /// When nothing changed: the current snapshot, and the exports written again (when a
    /// run stopped while exporting had left an earlier snapshot's).
    pub unchanged: Option<(Manifest, Vec<PathBuf>)>,
    pub timings: Timings,
    /// Lines for the operator: entries skipped in the inbox, specs chosen by header, a
    /// run record that could not be written.
    pub warnings: Vec<String>,
}

impl Reported for RunReport {
    fn exit_code(&self) -> u8 {
        RunReport::exit_code(self)
    }

    fn warnings(&mut self) -> &mut Vec<String> {
        &mut self.warnings
    }
}

impl RunReport {
    /// 0 when every file was taken and the snapshot published (or unchanged); 1 when a
    /// file was rejected or the snapshot withheld.
    pub fn exit_code(&self) -> u8 {
        let ok = matches!(self.outcome, RunOutcome::Published | RunOutcome::Unchanged);
        checks_code(&self.inputs, ok)
    }
}

/// The nightly run of `options.project`. The record of the run is written under
/// `DATA_DIR/_runs/` whatever the result.
pub async fn run(options: RunOptions<'_>) -> Result<RunReport> {
    let project = options.project;
    // Checked when the project file was read.
    let programme = project.programme()?.clone();
    let definitions = Definitions::load(&project.pipelines)?;
    if !project.inbox.is_dir() {
        return Err(PipelineError::config(format!(
            "inbox {} is not a folder; set [paths] inbox in {} or pass --inbox DIR",
            project.inbox.display(),
            project_file(project),
        )));
    }
    let lake = DataDir::open(&project.data_dir)?;
    let mut summary = new_summary(RunCommand::Run);
    let result = run_locked(&lake, &definitions, &programme, &options, &mut summary).await;
    finish(&lake, &mut summary, result)
}

fn project_file(project: &Project) -> String {
    project.file.as_ref().map_or_else(
        || crate::project::FILE_NAME.to_string(),
        |f| f.display().to_string(),
    )
}

async fn run_locked(
    lake: &DataDir,
    definitions: &Definitions,
    programme: &ecstat_core::programme::Programme,
    options: &RunOptions<'_>,
    summary: &mut RunSummary,
) -> Result<RunReport> {
    let project = options.project;
    let run_id = summary.run_id.clone();
    let _lock = lake.lock(&run_id)?;
    failpoint::hit("after_lock");
    let previous = lake.latest()?;
    summary.previous_version = previous.as_ref().map(|m| m.version);
    let env = definitions::ingest_env(
        &definitions.specs,
        &definitions.references,
        &project.reference,
        lake.id_salt()?,
        &options.engine,
    )?;
    let mut timings = Timings::start();

    // 1. Intake.
    let inbox = intake::scan_inbox(&project.inbox)?;
    let intake = intake::take_in(
        &inbox,
        &IntakeContext {
            lake,
            specs: &definitions.specs,
            env: &env,
            previous: previous.as_ref(),
            run_id: &run_id,
            rehash: options.rehash,
            progress: options.progress,
        },
    )
    .await?;
    timings.stage("ingest");
    failpoint::hit("ingest:done");
    summary.warnings.extend(intake.warnings.iter().cloned());
    summary.inputs = intake
        .inputs
        .iter()
        .map(|i| intake::run_input(i, &run_id, intake.hashed.contains(&i.path)))
        .collect();
    let mut report = RunReport {
        run_id: run_id.clone(),
        outcome: RunOutcome::Failed,
        previous_version: summary.previous_version,
        inputs: intake.inputs,
        reused: intake.reused,
        unmatched: intake.unmatched,
        published: None,
        unchanged: None,
        timings: Timings::default(),
        warnings: Vec::new(),
    };

    // Nothing new since the current snapshot — same inputs read the same way, same
    // pipeline and programme — and nothing to build: the snapshot stays, and so do its
    // exports.
    let fingerprint = snapshot::fingerprint(
        &report.inputs,
        definitions,
        programme,
        &project.pipelines,
        &project.reference,
    )?;
    if let Some(current) = previous.as_ref().filter(|m| m.fingerprint == fingerprint) {
        summary.outcome = RunOutcome::Unchanged;
        let mut exported = Vec::new();
        // A run stopped while exporting left the exports of an earlier snapshot: redo them.
        if options.export && exports::exported_version(lake) != Some(current.version) {
            let ctx = ecstat_ingest::session(&options.engine);
            let wh = Warehouse::for_snapshot(ctx, lake, current, &[]).await?;
            exported = exports::export_snapshot(
                lake,
                &wh,
                current,
                &definitions.catalogue,
                &definitions.presentation,
            )
            .await?;
        }
        timings.stage("publish+export");
        summary.timings = timings.stages.clone();
        report.outcome = RunOutcome::Unchanged;
        report.unchanged = Some((current.clone(), exported));
        report.timings = timings;
        return Ok(report);
    }

    // 2. The warehouse: staged data, reference tables, the programme, then the models.
    let staged = definitions::staged_layouts(&definitions.specs);
    let ctx = ecstat_ingest::session(&options.engine);
    let mut wh = Warehouse::for_inputs(ctx, lake, &report.inputs, &staged).await?;
    if let Some(previous) = &previous {
        // Months of partitioned models whose inputs are unchanged are not built again.
        wh.reuse_partitions_of(previous);
    }
    let mut built: Vec<(String, u64)> = Vec::new();
    for table in &definitions.references {
        tracing::info!(table = %table.name, "loading reference table");
        let rows = wh
            .load_reference(table, &project.reference, &run_id)
            .await
            .map_err(|e| {
                PipelineError::during(format!(
                    "loading reference table `{}` from {}",
                    table.name,
                    project.reference.display()
                ))(e.into())
            })?;
        built.push((table.name.clone(), rows));
    }
    let rows = wh.write_programme(programme, &run_id).await?;
    built.push((ecstat_warehouse::PROGRAMME_TABLE.into(), rows));
    let models = ecstat_warehouse::models::load(&project.pipelines.join("models"), wh.context())?;
    let published = assemble(
        &mut wh,
        Assembly {
            lake,
            definitions,
            programme,
            models: &models,
            selected: &models,
            previous: previous.as_ref(),
            inputs: &report.inputs,
            fingerprint,
            run_id: &run_id,
            export: options.export,
            progress: options.progress,
        },
        built,
        &mut timings,
    )
    .await?;
    summary.outcome = published.outcome;
    if published.published() {
        summary.published_version = Some(published.manifest.version);
    }
    summary.models_built = published.built.clone();
    summary.tests_run = published.tests_run as u64;
    summary.indicators_changed = published.indicators_changed.clone();
    test_lines(&published.test_failures, summary);
    summary.timings = timings.stages.clone();
    report.outcome = published.outcome;
    report.published = Some(published);
    report.timings = timings;
    Ok(report)
}
