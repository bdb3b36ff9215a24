//! `build --select MODEL[+]`: rebuild a model and every model downstream of it from the
//! current snapshot's staged data — after a model's SQL changed, without reading the inbox
//! again — then test, compute the figures, publish and export as a run does.

use std::collections::BTreeSet;

use ecstat_core::programme::Programme;
use ecstat_engine::Engine;
use ecstat_lake::{DataDir, Manifest, RunCommand, RunOutcome, RunSummary};
use ecstat_warehouse::Warehouse;

use super::assemble::{Assembly, assemble};
use super::{Published, Reported, Timings, finish, new_summary, test_lines};
use crate::definitions::{self, Definitions};
use crate::progress::{Progress, Silent};
use crate::project::Project;
use crate::{PipelineError, Result, exit};

/// What to rebuild. `BuildOptions::new(project, "dim_enterprise")` rebuilds that model and
/// everything downstream of it, and writes the exports.
#[derive(Clone)]
pub struct BuildOptions<'a> {
    project: &'a Project,
    engine: Engine,
    select: String,
    export: bool,
    progress: &'a dyn Progress,
}

impl<'a> BuildOptions<'a> {
    /// `select` names a model, with or without a trailing `+`: everything downstream is
    /// rebuilt with it either way, so a snapshot never mixes models built from different
    /// versions of one another.
    pub fn new(project: &'a Project, select: impl Into<String>) -> Self {
        Self {
            project,
            engine: Engine::default(),
            select: select.into(),
            export: true,
            progress: &Silent,
        }
    }

    /// The engine to build on (its memory limit); by default one with the default limit.
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// Write the exports of the published snapshot (the default).
    pub fn export(mut self, export: bool) -> Self {
        self.export = export;
        self
    }

    pub fn progress(mut self, progress: &'a dyn Progress) -> Self {
        self.progress = progress;
        self
    }
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub run_id: String,
    /// The snapshot whose staged data was rebuilt.
    pub from_version: u64,
    /// The models rebuilt, in build order.
    pub selected: Vec<String>,
    pub published: Published,
    pub timings: Timings,
    /// A run record that could not be written.
    pub warnings: Vec<String>,
}

impl Reported for BuildReport {
    fn exit_code(&self) -> u8 {
        BuildReport::exit_code(self)
    }

    fn warnings(&mut self) -> &mut Vec<String> {
        &mut self.warnings
    }
}

impl BuildReport {
    /// 0 when published; 1 when model tests withheld the snapshot.
    pub fn exit_code(&self) -> u8 {
        if self.published.published() {
            exit::OK
        } else {
            exit::CHECKS_FAILED
        }
    }
}

pub async fn build(options: BuildOptions<'_>) -> Result<BuildReport> {
    let project = options.project;
    // Checked when the project file was read.
    let programme = project.programme()?.clone();
    let definitions = Definitions::load(&project.pipelines)?;
    let lake = DataDir::open_existing(&project.data_dir)?;
    let mut summary = new_summary(RunCommand::Build);
    let result = build_locked(&lake, &definitions, &programme, &options, &mut summary).await;
    finish(&lake, &mut summary, result)
}

async fn build_locked(
    lake: &DataDir,
    definitions: &Definitions,
    programme: &Programme,
    options: &BuildOptions<'_>,
    summary: &mut RunSummary,
) -> Result<BuildReport> {
    let project = options.project;
    let run_id = summary.run_id.clone();
    let _lock = lake.lock(&run_id)?;
    let current = lake.current()?;
    summary.previous_version = Some(current.version);
    let mut timings = Timings::start();
    refuse_stale_specs(&current, definitions)?;
    // Staged tables that no file fed are not in the snapshot; the specs give their layout.
    let layouts = definitions::staged_layouts(&definitions.specs);
    let ctx = ecstat_ingest::session(&options.engine);
    let mut wh = Warehouse::for_snapshot(ctx, lake, &current, &layouts).await?;
    let mut built = Vec::new();
    match snapshot_programme(&wh).await? {
        Some(published) if &published != programme => {
            return Err(PipelineError::config(format!(
                "the programme of the project file ({} {}, baseline {}, years {}–{}) is not \
                 snapshot {}'s ({} {}, baseline {}, years {}–{}): every model may depend on it — \
                 run `ecstat run`",
                programme.county_code,
                programme.county_name,
                programme.baseline_year,
                programme.first_year(),
                programme.last_year(),
                current.version,
                published.county_code,
                published.county_name,
                published.baseline_year,
                published.first_year(),
                published.last_year(),
            )));
        }
        Some(_) => {}
        // A snapshot from before the programme was a table: it is written now.
        None => {
            let rows = wh.write_programme(programme, &run_id).await?;
            built.push((ecstat_warehouse::PROGRAMME_TABLE.to_string(), rows));
        }
    }
    let models = ecstat_warehouse::models::load(&project.pipelines.join("models"), wh.context())?;
    let downstream = format!("{}+", options.select.trim_end_matches('+'));
    let selected: Vec<_> = ecstat_warehouse::models::select(&models, &downstream)?
        .into_iter()
        .cloned()
        .collect();
    let published = assemble(
        &mut wh,
        Assembly {
            lake,
            definitions,
            programme,
            models: &models,
            selected: &selected,
            previous: Some(&current),
            inputs: &current.inputs,
            // Not the fingerprint of a whole run: the next `run` builds everything again.
            fingerprint: String::new(),
            run_id: &run_id,
            export: options.export,
            progress: options.progress,
        },
        built,
        &mut timings,
    )
    .await?;
    summary.outcome = published.outcome;
    if published.outcome == RunOutcome::Published {
        summary.published_version = Some(published.manifest.version);
    }
    summary.models_built = published.built.clone();
    summary.tests_run = published.tests_run as u64;
    summary.indicators_changed = published.indicators_changed.clone();
    test_lines(&published.test_failures, summary);
    summary.timings = timings.stages.clone();
    Ok(BuildReport {
        run_id,
        from_version: current.version,
        selected: selected.iter().map(|m| m.name.clone()).collect(),
        published,
        timings,
        warnings: Vec::new(),
    })
}

/// The staged data must be what the current specs would read: after a spec changed, its
/// files must be read again, which only `run` does.
fn refuse_stale_specs(current: &Manifest, definitions: &Definitions) -> Result<()> {
    let changed: BTreeSet<&str> = current
        .inputs
        .iter()
        // A record kept for a rejected file stays as it was read; it is not stale data.
        .filter(|i| i.error.is_none() && !i.carried)
        .filter(|i| {
            definitions
                .specs
                .iter()
                .find(|s| s.name() == i.source)
                .is_none_or(|s| s.fingerprint() != i.spec_fingerprint)
        })
        .map(|i| i.source.as_str())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    Err(PipelineError::config(format!(
        "the source specs of {} changed since snapshot {} (or are gone): their files must be \
         read again — run `ecstat run`",
        changed.into_iter().collect::<Vec<_>>().join(", "),
        current.version
    )))
}

/// The programme snapshot `wh` was published with, when it has the table.
async fn snapshot_programme(wh: &Warehouse) -> Result<Option<Programme>> {
    if !wh.tables().contains_key(ecstat_warehouse::PROGRAMME_TABLE) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT county_code, county_name, CAST(baseline_year AS VARCHAR) AS b, \
         CAST(first_year AS VARCHAR) AS f, CAST(last_year AS VARCHAR) AS l FROM {}",
        ecstat_warehouse::PROGRAMME_TABLE
    );
    let batches = wh.context().sql(&sql).await?.collect().await?;
    let rows = crate::cells::rows(&batches, ["county_code", "county_name", "b", "f", "l"]);
    let year = |s: &str| s.parse::<i32>().unwrap_or_default();
    Ok(rows.first().map(|[code, name, b, f, l]| Programme {
        county_code: code.clone(),
        county_name: name.clone(),
        baseline_year: year(b),
        programme_years: [year(f), year(l)],
    }))
}
