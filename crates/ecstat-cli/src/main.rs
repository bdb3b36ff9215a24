//! `ecstat`: the command line of the statistics warehouse.

mod build;
mod describe;
mod docs;
mod history;
mod init;
mod output;
mod progress;
mod quarantine;
mod read;
mod run;
mod shell;
mod shell_text;
mod sources;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ecstat_pipeline::project::{Overrides, Project};
use ecstat_pipeline::{PipelineError, snapshot::At};

/// jemalloc, not glibc's malloc. A run allocates and frees many short-lived Arrow buffers
/// on several threads; glibc keeps much of what it frees in per-thread arenas, so each
/// month's build adds to the memory ingest left behind. Measured on a 50M-row build:
/// 0.41 GB peak against 0.54 GB (BENCHMARKS.md, run 6; mimalloc was worse than either).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// ecstat — statistics warehouse of Anxi County's rural e-commerce programme
/// (安溪县电子商务进农村综合示范 统计体系).
///
/// Ingests platform order exports from the inbox, builds the warehouse with SQL models,
/// computes the programme's indicators against their targets and exports them.
///
/// Exit codes: 0 ok; 1 checks failed (an input file was rejected whole, or a model test
/// failed and the run's snapshot was withheld); 2 usage or configuration error; 3 input or
/// storage error; 4 internal error; 5 another run holds the data directory's lock.
#[derive(Debug, Parser)]
#[command(name = "ecstat", version, max_term_width = 100)]
struct Cli {
    /// The project file (ecstat.toml: folders and programme). By default the first
    /// ecstat.toml in the current folder or a parent, else beside or above --pipelines.
    #[arg(long, global = true, env = "ECSTAT_PROJECT", value_name = "FILE")]
    project: Option<PathBuf>,

    /// Data directory (staged/, warehouse/, quarantine/, exports/, _manifests/); by
    /// default the project file's `data_dir` (`warehouse` beside it).
    #[arg(long, global = true, env = "ECSTAT_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Folder of incoming files, each matched to a source spec by its path; by default the
    /// project file's `inbox`.
    #[arg(long, global = true, env = "ECSTAT_INBOX", value_name = "DIR")]
    inbox: Option<PathBuf>,

    /// Folder of reference tables (division codes, category map, shop register); by default
    /// the project file's `reference`.
    #[arg(long, global = true, env = "ECSTAT_REFERENCE", value_name = "DIR")]
    reference: Option<PathBuf>,

    /// Folder of the pipeline: sources/*.toml, models/*.sql + *.toml, indicators.toml,
    /// reference.toml; by default the project file's `pipelines`.
    #[arg(long, global = true, env = "ECSTAT_PIPELINES", value_name = "DIR")]
    pipelines: Option<PathBuf>,

    /// Read an earlier snapshot: its version (3) or a UTC time (2019-12-31,
    /// 2019-12-31T08:00:00Z) — the snapshot that was current then. `ecstat snapshots`
    /// lists them. For indicators, export, query, tables, describe and quarantine.
    #[arg(long, global = true, value_name = "VERSION|TIME")]
    as_of: Option<String>,

    /// Memory DataFusion may use before it spills to disk, or fails a query cleanly:
    /// 4G, 512M, or a share of the machine's memory such as 50%.
    #[arg(long, global = true, env = "ECSTAT_MEMORY_LIMIT", default_value = "50%", value_parser = parse_memory)]
    memory_limit: usize,

    /// Log detail on stderr: error, warn, info, debug.
    #[arg(long, global = true, env = "ECSTAT_LOG", default_value = "warn")]
    log: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The nightly job: ingest the inbox, build the warehouse, compute indicators, export.
    ///
    /// Every inbox file is matched to a source spec by its path and read once (by content
    /// hash and spec); rows that fail a check go to the `quarantine` table with the rule and
    /// the raw value. The models are then built and tested; only a build whose tests pass is
    /// published as the new snapshot, and its indicator table is exported to DATA_DIR/exports.
    Run(run::RunArgs),
    /// Print the indicator table (county totals per year by default).
    Indicators(read::IndicatorArgs),
    /// Write the indicator table as xlsx, csv (UTF-8 BOM), parquet or json.
    Export(read::ExportArgs),
    /// Run a read-only SQL query over the current snapshot.
    Query(read::QueryArgs),
    /// An interactive read-only SQL shell on the current snapshot (or --as-of): history,
    /// completion, multi-line statements, \d, \timing, \o FILE. Piped, it runs the
    /// statements it is given.
    Sql(shell::SqlArgs),
    /// List the tables of the current snapshot: kind, rows, grain and what each holds.
    Tables(describe::TablesArgs),
    /// Describe one table: what it holds, its grain, and its columns with types,
    /// descriptions (units) and tests — from the model docs and source specs.
    Describe(describe::DescribeArgs),
    /// Rebuild a model and everything downstream of it (`--select MODEL+`) from the current
    /// snapshot's staged data, test, recompute the indicators and publish a new snapshot;
    /// the inbox is not read (after a source spec changed, use `run`).
    Build(build::BuildArgs),
    /// List the source specs, or show the SQL that normalises one source's files.
    Sources(sources::SourcesArgs),
    /// Check files against their source specs without loading anything, and write an xlsx
    /// feedback report per file (sheet, row, column, value, problem, how to fix; in Chinese)
    /// to send back to the submitting department. Exit code 1 when any file has problems.
    Validate(validate::ValidateArgs),
    /// List what the current snapshot holds back in quarantine: counts per file and rule,
    /// or the rows themselves (--rows). Warnings (severity warn) were loaded.
    Quarantine(quarantine::QuarantineArgs),
    /// List the published snapshots: version, time, run, data as of, and what changed.
    Snapshots(history::SnapshotsArgs),
    /// List the recorded runs (DATA_DIR/_runs/*.json): outcome, exit code, files read,
    /// reused and rejected, rows, model tests; `--show RUN_ID` prints one in full.
    Runs(history::RunsArgs),
    /// Remove old snapshots and every file no kept snapshot references (takes the run
    /// lock): `--keep N` or `--older-than DAYS`; the current snapshot always stays.
    Vacuum(history::VacuumArgs),
    /// Write the reference pages docs/reference/tables.md (every table: grain, sources,
    /// columns with types, units, descriptions) and indicators.md (every indicator:
    /// definition and caliber, target, sources, disclosure) from the pipeline folder —
    /// the specs the run uses; no data directory needed. `--check` compares instead.
    Docs(docs::DocsArgs),
    /// Start a deployment in DIR: write a commented project file (ecstat.toml) with its
    /// programme, and the empty inbox/ and reference/ folders it names.
    Init(init::InitArgs),
}

/// Exit codes (documented in `--help` and the README).
pub use ecstat_pipeline::exit;

/// An error with the exit code it deserves.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn new(code: u8, error: impl Into<anyhow::Error>) -> Self {
        Self {
            code,
            error: error.into(),
        }
    }
}

/// Classify an error from the library crates by its kind.
pub fn classify(error: anyhow::Error) -> Failure {
    use ecstat_pipeline::error::{ErrorKind, engine_kind};
    let kind = if let Some(e) = error.downcast_ref::<PipelineError>() {
        e.kind()
    } else if let Some(e) = error.downcast_ref::<ecstat_lake::LakeError>() {
        PipelineError::kind_of_lake(e)
    } else if let Some(e) = error.downcast_ref::<ecstat_warehouse::WarehouseError>() {
        PipelineError::kind_of_warehouse(e)
    } else if let Some(e) = error.downcast_ref::<datafusion::error::DataFusionError>() {
        engine_kind(e)
    } else if error.downcast_ref::<ecstat_core::CoreError>().is_some()
        || error
            .downcast_ref::<ecstat_indicators::IndicatorError>()
            .is_some()
    {
        ErrorKind::Usage
    } else if error.downcast_ref::<std::io::Error>().is_some()
        || error.downcast_ref::<ecstat_ingest::IngestError>().is_some()
        || error.downcast_ref::<ecstat_export::ExportError>().is_some()
    {
        ErrorKind::Input
    } else {
        ErrorKind::Internal
    };
    Failure {
        code: kind.exit_code(),
        error,
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        classify(e.into())
    }
}

/// The error and its causes, each once: DataFusion's messages already repeat their source.
pub(crate) fn chain(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !message.contains(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    message
}

/// Bytes from `4G`, `512M`, `800K`, `1073741824` or `50%` (of the machine's memory).
fn parse_memory(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a memory size: give 4G, 512M or 50%");
    if let Some(pct) = t.strip_suffix('%') {
        let pct: f64 = pct.trim().parse().map_err(|_| bad())?;
        if !(1.0..=100.0).contains(&pct) {
            return Err(format!("`{text}`: a share between 1% and 100%"));
        }
        let machine = ecstat_engine::machine_memory().unwrap_or(8 << 30) as f64;
        return Ok((machine * pct / 100.0) as usize);
    }
    let upper = t.to_ascii_uppercase();
    let (number, unit) = match upper.trim_end_matches('B').char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&upper[..i], c),
        _ => (upper.trim_end_matches('B'), ' '),
    };
    let factor: f64 = match unit {
        ' ' => 1.0,
        'K' => 1024.0,
        'M' => 1024.0 * 1024.0,
        'G' => 1024.0 * 1024.0 * 1024.0,
        'T' => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let n: f64 = number.trim().parse().map_err(|_| bad())?;
    let bytes = n * factor;
    if bytes < 64.0 * 1024.0 * 1024.0 {
        return Err(format!("`{text}`: at least 64M"));
    }
    Ok(bytes as usize)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ecstat: cannot start the async runtime: {e}");
            return ExitCode::from(exit::INTERNAL);
        }
    };
    // `init` writes a new project: it must not read one, nor fail on a broken one above it.
    if let Command::Init(args) = cli.command {
        return exit_with(init::init(args, cli.pipelines.clone()));
    }
    let overrides = Overrides {
        project: cli.project.clone(),
        data_dir: cli.data_dir.clone(),
        inbox: cli.inbox.clone(),
        reference: cli.reference.clone(),
        pipelines: cli.pipelines.clone(),
    };
    let project = match std::env::current_dir()
        .map_err(|e| PipelineError::config(format!("the current folder: {e}")))
        .and_then(|cwd| Project::resolve(&cwd, &overrides))
    {
        Ok(project) => project,
        Err(e) => {
            eprintln!("ecstat: {}", ecstat_pipeline::error::chain(&e));
            return ExitCode::from(e.kind().exit_code());
        }
    };
    let engine = match ecstat_engine::Engine::builder()
        .memory_limit(cli.memory_limit)
        .build()
    {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("ecstat: cannot set up the query engine: {e}");
            return ExitCode::from(exit::INTERNAL);
        }
    };
    let at = At {
        data_dir: &project.data_dir,
        as_of: cli.as_of.as_deref(),
        pipelines: &project.pipelines,
        engine: &engine,
    };
    let reads_snapshots = matches!(
        cli.command,
        Command::Indicators(_)
            | Command::Export(_)
            | Command::Query(_)
            | Command::Sql(_)
            | Command::Tables(_)
            | Command::Describe(_)
            | Command::Quarantine(_)
    );
    if cli.as_of.is_some() && !reads_snapshots {
        eprintln!(
            "ecstat: --as-of reads an earlier snapshot; it goes with indicators, export, query, sql, tables, describe or quarantine"
        );
        return ExitCode::from(exit::USAGE);
    }
    let data_dir = project.data_dir.as_path();
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(&project, &engine, args).await,
            Command::Indicators(args) => read::indicators(at, args).await,
            Command::Export(args) => read::export(at, args).await,
            Command::Query(args) => read::query(at, args).await,
            Command::Sql(args) => shell::sql(at, args).await,
            Command::Tables(args) => describe::tables(at, args).await,
            Command::Describe(args) => describe::describe(at, args).await,
            Command::Build(args) => build::build(&project, &engine, args).await,
            Command::Sources(args) => sources::sources(&project, &engine, args),
            Command::Validate(args) => validate::validate(&project, &engine, args).await,
            Command::Quarantine(args) => quarantine::quarantine(at, args).await,
            Command::Snapshots(args) => history::snapshots(data_dir, args),
            Command::Runs(args) => history::runs(data_dir, args),
            Command::Vacuum(args) => history::vacuum(data_dir, args),
            Command::Docs(args) => docs::docs(&project, &engine, args).await,
            Command::Init(_) => unreachable!("init runs before the project is read"),
        }
    });
    // Do not wait for work a timed-out or failed query left running: it is abandoned.
    runtime.shutdown_background();
    exit_with(result)
}

/// The process's exit: a command's code, or its failure printed with its causes. A reader
/// that closed the pipe (`ecstat query … | head`) is not a failure.
fn exit_with(result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) if output::is_broken_pipe(&failure.error) => ExitCode::from(exit::OK),
        Err(failure) => {
            eprintln!("ecstat: {}", chain(&failure.error));
            ExitCode::from(failure.code)
        }
    }
}
