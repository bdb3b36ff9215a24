//! `ecstat run`: the nightly job. Ingest every inbox file (each once, by content hash),
//! build the warehouse models, test them, compute the indicators, publish one snapshot,
//! write the exports, and say what happened.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use ecstat_core::spec::{FileFormat, SourceSpec};
use ecstat_export::{ExportMeta, Format};
use ecstat_indicators::Catalogue;
use ecstat_ingest::{InputFile, Target};
use ecstat_lake::{DataDir, InputRecord, Manifest, RunInput, RunSummary};
use ecstat_warehouse::Warehouse;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::{Failure, exit};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Folder of incoming files; each is matched to a source spec by its path.
    #[arg(long, default_value = "sample_data/inbox")]
    inbox: PathBuf,
    /// Folder of reference tables (division codes, category map, shop register).
    #[arg(long, default_value = "sample_data/reference")]
    reference: PathBuf,
    /// Folder of the pipeline: sources/*.toml, models/*.sql, indicators.toml, reference.toml.
    #[arg(long, default_value = "pipelines")]
    pipelines: PathBuf,
    /// Do not write the exports (xlsx, csv, parquet, json) of the indicator table.
    #[arg(long)]
    no_export: bool,
    /// Hash every inbox file again. By default a file whose path, size, modification and
    /// change times and inode are those recorded when it was last hashed is taken to be
    /// unchanged and not read (as git and rsync do); use this after restoring an inbox from
    /// a backup tool that sets times, or when in doubt.
    #[arg(long)]
    rehash: bool,
}

enum ByHeader {
    /// The spec that reads the file, and how it was chosen.
    One(Arc<SourceSpec>, String),
    /// Why none was.
    None(String),
}

/// The spec for a file whose path no spec's patterns match, chosen by its header: the
/// specs of its format (by extension) whose required headers the file has. Of several,
/// the one that finds the most of its mapped columns, when one does; a tie is reported.
async fn by_header(specs: &[Arc<SourceSpec>], path: &Path) -> ByHeader {
    let Some(format) = FileFormat::of_path(path) else {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        return ByHeader::None(format!("a .{extension} file is no format a spec reads"));
    };
    let mut found: Vec<(usize, &Arc<SourceSpec>)> = Vec::new();
    for spec in specs.iter().filter(|s| s.formats().contains(format)) {
        if let Some(columns) =
            ecstat_ingest::header_columns(path, Arc::new(spec.layout_for(path))).await
        {
            found.push((columns, spec));
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name().cmp(b.1.name())));
    let names = |found: &[(usize, &Arc<SourceSpec>)]| {
        found
            .iter()
            .map(|(n, s)| format!("{} ({n} columns)", s.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match found.as_slice() {
        [] => ByHeader::None("its header has the required columns of no spec".into()),
        [(_, spec)] => ByHeader::One(
            (*spec).clone(),
            format!("read with spec `{}`, chosen by its header", spec.name()),
        ),
        [(a, spec), (b, _), ..] if a > b => ByHeader::One(
            (*spec).clone(),
            format!(
                "read with spec `{}`, chosen by its header (the most columns of the candidates {})",
                spec.name(),
                names(&found)
            ),
        ),
        _ => ByHeader::None(format!(
            "its header fits several specs equally: {}",
            names(&found)
        )),
    }
}

/// What the inbox holds: every regular file, sorted, with its `/`-separated relative path,
/// and the entries not read (symbolic links, sockets, devices) with why.
pub struct Inbox {
    pub files: Vec<(PathBuf, String)>,
    pub skipped: Vec<String>,
}

/// Walks `inbox`. Symbolic links are not followed — a link could bring in any file the
/// batch user can read, or loop — but they are listed, so a department's file placed as a
/// link is not silently missing from the night's figures.
pub fn scan_inbox(inbox: &Path) -> anyhow::Result<Inbox> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut stack = vec![inbox.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .with_context(|| format!("reading inbox folder {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("reading inbox folder {}", dir.display()))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .with_context(|| format!("{}", path.display()))?;
            let relative = path
                .strip_prefix(inbox)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            // Hidden files and folders (editors' and file managers' own) are not read,
            // but said: a department's file saved as `.…` is not silently missing.
            if entry.file_name().to_string_lossy().starts_with('.') {
                skipped.push(format!(
                    "{relative}: hidden (its name starts with a dot), not read"
                ));
                continue;
            }
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                out.push((path, relative));
            } else if kind.is_symlink() {
                skipped.push(format!("{relative}: symbolic link, not followed"));
            } else {
                skipped.push(format!("{relative}: not a regular file"));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    skipped.sort();
    Ok(Inbox {
        files: out,
        skipped,
    })
}

fn progress(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if std::io::stdout().is_terminal() && std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:>10} [{bar:30}] {pos}/{len} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

pub async fn run(data_dir: &Path, args: RunArgs) -> Result<u8, Failure> {
    let pipeline = crate::pipeline::load(&args.pipelines)?;
    if !args.inbox.is_dir() {
        return Err(Failure::new(
            exit::USAGE,
            anyhow::anyhow!(
                "inbox {} is not a folder; pass --inbox DIR",
                args.inbox.display()
            ),
        ));
    }
    let lake = DataDir::open(data_dir)?;
    let mut summary = RunSummary {
        run_id: ecstat_lake::new_run_id(),
        command: "run".into(),
        started_at: now(),
        ..Default::default()
    };
    let result = run_locked(&lake, &pipeline, &args, &mut summary).await;
    record(&lake, &mut summary, &result);
    result
}

/// Fen as yuan with two decimals (`-12.05`).
fn fen_to_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// UTC now, RFC 3339 to the second.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Finish `summary` with how the run ended and write it under `_runs/`; a summary that
/// cannot be written is reported, and does not change the run's exit code.
pub fn record(lake: &DataDir, summary: &mut RunSummary, result: &Result<u8, Failure>) {
    summary.finished_at = now();
    match result {
        Ok(code) => summary.exit_code = *code,
        Err(failure) => {
            summary.exit_code = failure.code;
            summary.outcome = if failure.code == exit::LOCKED {
                "refused".into()
            } else {
                "failed".into()
            };
            summary.error = Some(crate::chain(&failure.error));
        }
    }
    if let Err(e) = lake.write_run(summary) {
        eprintln!("ecstat: could not record the run under _runs/: {e}");
    }
}

async fn run_locked(
    lake: &DataDir,
    pipeline: &crate::pipeline::Pipeline,
    args: &RunArgs,
    summary: &mut RunSummary,
) -> Result<u8, Failure> {
    let run_id = summary.run_id.clone();
    let _lock = lake.lock(&run_id)?;
    crate::failpoint::hit("after_lock");
    let previous = lake.latest()?;
    summary.previous_version = previous.as_ref().map(|m| m.version);
    let env = crate::pipeline::ingest_env(
        &pipeline.specs,
        &pipeline.references,
        &args.reference,
        lake.id_salt()?,
    )
    .map_err(|e| Failure::new(exit::USAGE, e))?;

    let mut timings: Vec<(&str, f64)> = Vec::new();
    let started = std::time::Instant::now();

    // 1. Ingest.
    let inbox = scan_inbox(&args.inbox)?;
    let mut unmatched = Vec::new();
    for line in &inbox.skipped {
        eprintln!("skipped {line}");
        summary.warnings.push(format!("inbox: skipped {line}"));
    }
    let files = inbox.files;
    let mut work = Vec::new();
    for (path, relative) in files {
        // One file may feed several sources (a fund ledger's 预算 and 拨付明细 sheets).
        let specs: Vec<_> = pipeline
            .specs
            .iter()
            .filter(|s| s.matches(&relative))
            .collect();
        let specs = if specs.is_empty() {
            // Named as no spec expects: the spec whose required headers the file has.
            match by_header(&pipeline.specs, &path).await {
                ByHeader::One(spec, note) => {
                    eprintln!("{relative}: {note}");
                    summary.warnings.push(format!("inbox: {relative}: {note}"));
                    vec![spec]
                }
                ByHeader::None(why) => {
                    summary.warnings.push(format!(
                        "inbox: {relative}: no source spec matches ({why}); not read"
                    ));
                    unmatched.push(format!("{relative} ({why})"));
                    Vec::new()
                }
            }
        } else {
            specs.into_iter().cloned().collect()
        };
        for spec in specs {
            work.push((spec.clone(), path.clone(), relative.clone()));
        }
    }
    let bar = progress(work.len() as u64);
    bar.set_prefix("ingest");
    let mut inputs: Vec<InputRecord> = Vec::new();
    let mut reused = 0usize;
    let mut opened: std::collections::HashMap<PathBuf, Result<InputFile, String>> =
        std::collections::HashMap::new();
    let hashed_before: &[InputRecord] = match &previous {
        Some(m) if !args.rehash => &m.inputs,
        _ => &[],
    };
    for (spec, path, relative) in work {
        bar.set_message(relative.clone());
        // An unreadable file is recorded as rejected; the night's run goes on. A file that
        // feeds several sources is read and hashed once.
        let read = opened
            .entry(path.clone())
            .or_insert_with(|| {
                // Content equal to that of an earlier file has its size: a file whose size
                // no earlier file has is new, and is hashed as it is read (it is read once).
                let known_size = |size: u64| {
                    previous
                        .iter()
                        .flat_map(|m| &m.inputs)
                        .chain(&inputs)
                        .any(|i| i.bytes == size)
                };
                match std::fs::metadata(&path) {
                    Ok(meta) if meta.is_file() && !known_size(meta.len()) => {
                        InputFile::unhashed(&path, relative.clone())
                    }
                    _ => InputFile::open_trusting(&path, relative.clone(), hashed_before),
                }
            })
            .clone();
        let input = match read {
            Ok(input) => input,
            Err(error) => {
                inputs.push(InputRecord::rejected(
                    spec.name(),
                    &relative,
                    "",
                    error,
                    &run_id,
                ));
                if let Some(kept) =
                    accepted_before(previous.as_ref(), &inputs, spec.name(), &relative)
                {
                    inputs.push(kept);
                }
                bar.inc(1);
                continue;
            }
        };
        // Empty for a file hashed as it is read: no earlier file has its content.
        let sha256 = input.sha256.clone();
        let known = !sha256.is_empty();
        if let Some(first) = inputs
            .iter()
            .find(|i| known && i.sha256 == sha256 && i.source == spec.name())
        {
            let error = format!("same content as {}; ignored", first.path);
            inputs.push(InputRecord::rejected(
                spec.name(),
                &relative,
                &sha256,
                error,
                &run_id,
            ));
            bar.inc(1);
            continue;
        }
        let (spec_fingerprint, env_fingerprint) = (spec.fingerprint(), env.fingerprint_for(&spec));
        let earlier = previous.as_ref().and_then(|m| {
            m.inputs.iter().find(|i| {
                known
                    && i.sha256 == sha256
                    && i.source == spec.name()
                    && i.spec_fingerprint == spec_fingerprint
                    && i.env_fingerprint == env_fingerprint
                    && i.error.is_none()
            })
        });
        // When these bytes first arrived: a file re-read under a changed spec keeps it, so
        // a later correction still wins over it.
        let received = previous
            .as_ref()
            .and_then(|m| {
                m.inputs
                    .iter()
                    .find(|i| known && i.sha256 == sha256 && i.source == spec.name())
            })
            .map(|i| i.received.clone())
            .filter(|r| !r.is_empty());
        if let Some(earlier) = earlier {
            let mut record = earlier.clone();
            record.path = relative;
            record.stamp = input.stamp;
            // The file is back as it was accepted: no longer standing in for a rejected one.
            record.carried = false;
            inputs.push(record);
            reused += 1;
            bar.inc(1);
            continue;
        }
        let rows_bar = bar.clone();
        let name = relative.clone();
        let mut record = ecstat_ingest::ingest_file(
            Target::Lake(lake),
            spec.clone(),
            &env,
            &input,
            &run_id,
            &move |n| {
                rows_bar.set_message(format!("{name} (+{n} rows)"));
            },
        )
        .await?
        .record;
        if let Some(received) = received {
            record.received = received;
        }
        let rejected = record.error.is_some();
        inputs.push(record);
        crate::failpoint::hit("ingest:after_file");
        if rejected
            && let Some(kept) = accepted_before(previous.as_ref(), &inputs, spec.name(), &relative)
        {
            inputs.push(kept);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    timings.push(("ingest", started.elapsed().as_secs_f64()));
    crate::failpoint::hit("ingest:done");
    let hashed: std::collections::HashSet<&str> = opened
        .values()
        .filter_map(|f| f.as_ref().ok().filter(|f| f.hashed))
        .map(|f| f.relative.as_str())
        .collect();
    summary.inputs = inputs
        .iter()
        .map(|i| run_input(i, &run_id, hashed.contains(i.path.as_str())))
        .collect();

    // Nothing new since the current snapshot — same inputs read the same way, same
    // pipeline — and nothing to build: the snapshot stays, and so do its exports.
    let fingerprint = snapshot_fingerprint(&inputs, pipeline, &args.pipelines, &args.reference)?;
    if let Some(current) = previous.as_ref().filter(|m| m.fingerprint == fingerprint) {
        summary.outcome = "unchanged".into();
        summary.timings = timings.iter().map(|(s, t)| (s.to_string(), *t)).collect();
        println!(
            "nothing changed since snapshot {} (run {}): same {} input files, same pipeline; no new snapshot ({:.2}s)",
            current.version,
            current.run_id,
            inputs.len(),
            started.elapsed().as_secs_f64()
        );
        // A run stopped while exporting left the exports of an earlier snapshot: redo them.
        if !args.no_export && exported_version(lake) != Some(current.version) {
            let wh = Warehouse::for_snapshot(lake, current, &[]).await?;
            for path in export_snapshot(lake, &wh, current, &pipeline.catalogue).await? {
                println!("  exported {}", path.display());
            }
        }
        let rejected: Vec<&InputRecord> = inputs.iter().filter(|i| i.error.is_some()).collect();
        for input in &rejected {
            println!(
                "  still rejected: {} ({}): {}",
                input.path,
                input.source,
                input.error.as_deref().unwrap_or("")
            );
        }
        return Ok(if rejected.is_empty() {
            exit::OK
        } else {
            exit::CHECKS_FAILED
        });
    }

    // 2. Build the warehouse.
    let staged: Vec<_> = pipeline
        .specs
        .iter()
        .filter_map(|s| staged_layout(s))
        .collect();
    let mut wh = Warehouse::for_inputs(lake, &inputs, &staged).await?;
    if let Some(previous) = &previous {
        // Months of partitioned models whose inputs are unchanged are not built again.
        wh.reuse_partitions_of(previous);
    }
    let mut built: Vec<(String, u64)> = Vec::new();
    for table in &pipeline.references {
        tracing::info!(table = %table.name, "loading reference table");
        let rows = wh
            .load_reference(table, &args.reference, &run_id)
            .await
            .with_context(|| {
                format!(
                    "loading reference table `{}` from {}",
                    table.name,
                    args.reference.display()
                )
            })?;
        built.push((table.name.clone(), rows));
    }
    let models = ecstat_warehouse::models::load(&args.pipelines.join("models"), wh.context())?;
    let bar = progress(models.len() as u64);
    bar.set_prefix("build");
    for model in &models {
        bar.set_message(model.name.clone());
        tracing::info!(model = %model.name, "building model");
        let step = std::time::Instant::now();
        let rows = wh.build_model(model, &run_id).await?;
        tracing::debug!(model = %model.name, rows, ms = step.elapsed().as_millis(), "model built");
        built.push((model.name.clone(), rows));
        crate::failpoint::hit("build:after_model");
        bar.inc(1);
    }
    bar.finish_and_clear();
    crate::failpoint::hit("build:done");
    let mut test_failures = Vec::new();
    let mut tests_run = 0usize;
    for (model, outcomes) in models.iter().zip(wh.test_models(&models).await) {
        let outcomes = outcomes.with_context(|| format!("testing model `{}`", model.name))?;
        for outcome in outcomes {
            tests_run += 1;
            if outcome.failing_rows > 0 {
                test_failures.push(outcome);
            }
        }
    }

    timings.push(("build+test", started.elapsed().as_secs_f64()));

    // 3. Indicators.
    let data_as_of = max_month(&wh).await?;
    let version = previous.as_ref().map_or(1, |m| m.version + 1);
    let step = std::time::Instant::now();
    let rows = compute_indicators(
        &mut wh,
        &pipeline.catalogue,
        &pipeline.specs,
        version,
        data_as_of.as_deref(),
        &run_id,
    )
    .await?;
    tracing::debug!(
        ms = step.elapsed().as_millis(),
        "ind_results computed and written"
    );
    built.push(("ind_results".into(), rows));
    let step = std::time::Instant::now();
    let sources = crate::lineage::sources_of(&wh, &pipeline.catalogue, &models)?;
    let links = crate::lineage::links(&sources, &inputs, &pipeline.specs);
    let rows = crate::lineage::write(&mut wh, &links, &run_id).await?;
    tracing::debug!(ms = step.elapsed().as_millis(), "ind_lineage written");
    built.push(("ind_lineage".into(), rows));

    timings.push(("indicators", started.elapsed().as_secs_f64()));
    crate::failpoint::hit("indicators:done");
    let step = std::time::Instant::now();
    summary.indicators_changed = match &previous {
        Some(p) => indicators_changed(&wh, lake, p).await,
        None => pipeline
            .catalogue
            .indicators
            .iter()
            .map(|i| i.code.clone())
            .collect(),
    };

    tracing::debug!(ms = step.elapsed().as_millis(), "changed indicators found");

    // 4. Publish.
    let manifest = Manifest {
        version,
        run_id: run_id.clone(),
        created_at: now(),
        data_as_of: data_as_of.clone(),
        inputs: inputs.clone(),
        tables: wh.tables().clone(),
        partitions: wh.partitions().clone(),
        models: wh.models().clone(),
        fingerprint,
        confidential: confidential_tables(&models, &pipeline.specs),
    };
    // A build whose model tests fail is not published: its figures could be wrong (a
    // duplicated shop doubles sales), and the previous snapshot stays the current one.
    let publish = !test_failures.iter().any(|t| !t.warning);
    if publish {
        crate::failpoint::hit("publish:before");
        let step = std::time::Instant::now();
        lake.publish(&manifest)?;
        tracing::debug!(ms = step.elapsed().as_millis(), "manifest published");
        crate::failpoint::hit("publish:after");
        summary.published_version = Some(version);
    }
    summary.outcome = if publish { "published" } else { "withheld" }.into();
    summary.models_built = built.clone();
    summary.tests_run = tests_run as u64;
    for t in &test_failures {
        let line = format!("{}: {} ({} rows)", t.model, t.name, t.failing_rows);
        if t.warning {
            summary.warnings.push(line);
        } else {
            summary.tests_failed.push(line);
        }
    }

    // 5. Exports.
    let mut exported = Vec::new();
    if publish && !args.no_export {
        exported = export_snapshot(lake, &wh, &manifest, &pipeline.catalogue).await?;
    }

    timings.push(("publish+export", started.elapsed().as_secs_f64()));
    summary.timings = stage_times(&timings);

    // 6. Summary.
    let report = Summary {
        inputs: &inputs,
        unmatched: &unmatched,
        reused,
        built: &built,
        tests_run,
        test_failures: &test_failures,
        exported: &exported,
        timings: &timings,
        manifest: &manifest,
        published: publish,
    };
    // A reader that closed the pipe (`ecstat run | head`) does not change what the run did.
    if let Err(e) = report.print(&wh).await
        && !crate::output::is_broken_pipe(&e)
    {
        return Err(e.into());
    }
    let rejected = inputs.iter().any(|i| i.error.is_some());
    Ok(if publish && !rejected {
        exit::OK
    } else {
        exit::CHECKS_FAILED
    })
}

/// Tables whose rows are single enterprises, shops or people: the models marked
/// `confidential`, every staged source table (raw submissions) and the quarantine (raw
/// rejected values).
pub fn confidential_tables(
    models: &[ecstat_warehouse::models::Model],
    specs: &[Arc<SourceSpec>],
) -> Vec<String> {
    let mut out: std::collections::BTreeSet<String> = models
        .iter()
        .filter(|m| m.doc.confidential)
        .map(|m| m.name.clone())
        .collect();
    out.extend(specs.iter().map(|s| s.table().to_string()));
    out.insert("quarantine".into());
    out.into_iter().collect()
}

/// (stage, seconds of that stage) from (stage, seconds since the start at its end).
fn stage_times(timings: &[(&str, f64)]) -> Vec<(String, f64)> {
    let mut previous = 0.0;
    timings
        .iter()
        .map(|(stage, at)| {
            let spent = at - previous;
            previous = *at;
            (stage.to_string(), (spent * 1000.0).round() / 1000.0)
        })
        .collect()
}

/// How the run saw `input`.
fn run_input(input: &InputRecord, run_id: &str, hashed: bool) -> RunInput {
    let status = if input.error.is_some() {
        "rejected"
    } else if input.carried {
        "carried"
    } else if input.run_id != run_id {
        "reused"
    } else {
        "read"
    };
    RunInput {
        source: input.source.clone(),
        path: input.path.clone(),
        sha256: input.sha256.clone(),
        status: status.into(),
        rows_staged: input.rows_staged,
        rows_quarantined: input.rows_quarantined,
        error: input.error.clone(),
        hashed,
    }
}

/// SHA-256 over what a snapshot is computed from: every input as read (content, spec,
/// reference values, the staged files it gave), the models, the catalogue, the reference
/// files, and this version of ecstat.
fn snapshot_fingerprint(
    inputs: &[InputRecord],
    pipeline: &crate::pipeline::Pipeline,
    pipelines_dir: &Path,
    reference_dir: &Path,
) -> anyhow::Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(concat!("ecstat ", env!("CARGO_PKG_VERSION"), "\n"));
    let mut sorted: Vec<&InputRecord> = inputs.iter().collect();
    sorted.sort_by(|a, b| (&a.source, &a.path).cmp(&(&b.source, &b.path)));
    for i in sorted {
        let line = serde_json::json!([
            i.source,
            i.path,
            i.sha256,
            i.spec_fingerprint,
            i.env_fingerprint,
            i.error,
            i.carried,
            i.staged_files,
            i.quarantine_files,
            i.received,
        ]);
        h.update(line.to_string());
        h.update("\n");
    }
    let mut files: Vec<PathBuf> = vec![
        pipelines_dir.join("indicators.toml"),
        pipelines_dir.join("reference.toml"),
    ];
    let models = pipelines_dir.join("models");
    let mut model_files: Vec<PathBuf> = std::fs::read_dir(&models)
        .with_context(|| format!("reading {}", models.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    model_files.sort();
    files.extend(model_files);
    files.extend(pipeline.references.iter().map(|r| r.path(reference_dir)));
    for file in files {
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        h.update(file.to_string_lossy().as_bytes());
        h.update(Sha256::digest(&bytes));
    }
    Ok(hex::encode(h.finalize()))
}

/// Codes of the indicators whose published rows (value and status) differ from those of
/// snapshot `previous`. A comparison that cannot be made (an older snapshot's layout)
/// counts every indicator as changed.
async fn indicators_changed(wh: &Warehouse, lake: &DataDir, previous: &Manifest) -> Vec<String> {
    let compare = async {
        let files: Vec<String> = previous
            .tables
            .get("ind_results")
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|f| lake.path(f).to_string_lossy().into_owned())
            .collect();
        anyhow::ensure!(!files.is_empty(), "no indicator table");
        let ctx = wh.context();
        ctx.register_parquet(
            "ecstat_previous_ind_results",
            &files[0],
            datafusion::prelude::ParquetReadOptions::default(),
        )
        .await?;
        let sql = "SELECT DISTINCT coalesce(n.indicator_code, p.indicator_code) AS code
             FROM ind_results n
             FULL OUTER JOIN ecstat_previous_ind_results p
               ON n.indicator_code = p.indicator_code AND n.measure = p.measure
              AND n.period_type = p.period_type AND n.period = p.period
              AND n.dimension = p.dimension AND n.member = p.member
             WHERE n.indicator_code IS NULL OR p.indicator_code IS NULL
                -- Parenthesised: `a IS DISTINCT FROM b OR c` would read as `a IS DISTINCT FROM (b OR c)`.
                OR (n.value IS DISTINCT FROM p.value) OR (n.status IS DISTINCT FROM p.status)
             ORDER BY code";
        let batches = ctx.sql(sql).await?.collect().await;
        ctx.deregister_table("ecstat_previous_ind_results")?;
        let mut out = Vec::new();
        for b in &batches? {
            for r in 0..b.num_rows() {
                out.push(crate::output::cell(b, "code", r));
            }
        }
        anyhow::Ok(out)
    };
    match compare.await {
        Ok(codes) => codes,
        Err(e) => {
            tracing::warn!("comparing with snapshot {}: {e}", previous.version);
            // "*": could not compare, so every indicator may have changed.
            vec!["*".to_string()]
        }
    }
}

/// Export the indicator table of `manifest` (read through `wh`) in every format to
/// `DATA_DIR/exports`, then mark the folder as holding that snapshot
/// (`exports/snapshot.json`, written last): a run stopped half-way leaves the mark of
/// the previous export, and the next run exports again.
pub async fn export_snapshot(
    lake: &DataDir,
    wh: &Warehouse,
    manifest: &Manifest,
    catalogue: &Catalogue,
) -> anyhow::Result<Vec<PathBuf>> {
    let batches =
        crate::read::indicator_batches(wh, ecstat_indicators::PUBLISHED_COLUMNS, "").await?;
    let mut meta = export_meta(manifest, catalogue);
    meta.lineage = crate::lineage::export_rows(wh).await?;
    let dir = lake.path("exports");
    // The formats are written side by side: each is its own file, and each waits for its
    // own fsync.
    let written: Vec<_> = std::thread::scope(|scope| {
        let writers: Vec<_> = Format::ALL
            .into_iter()
            .map(|format| {
                let (batches, meta, dir) = (&batches, &meta, &dir);
                scope.spawn(move || {
                    let step = std::time::Instant::now();
                    let path = ecstat_export::export(batches, meta, format, dir)?;
                    tracing::debug!(?format, ms = step.elapsed().as_millis(), "exported");
                    crate::failpoint::hit("export:during");
                    Ok::<_, ecstat_export::ExportError>(path)
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let exported = written.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mark =
        serde_json::json!({ "snapshot_version": manifest.version, "run_id": manifest.run_id });
    std::fs::write(dir.join(".snapshot.json.tmp"), mark.to_string())
        .and_then(|()| std::fs::rename(dir.join(".snapshot.json.tmp"), dir.join("snapshot.json")))
        .with_context(|| format!("marking {}", dir.display()))?;
    crate::failpoint::hit("export:done");
    Ok(exported)
}

/// The snapshot version `DATA_DIR/exports` holds, when complete.
pub fn exported_version(lake: &DataDir) -> Option<u64> {
    let text = std::fs::read_to_string(lake.path("exports/snapshot.json")).ok()?;
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()?
        .get("snapshot_version")?
        .as_u64()
}

/// When a file comes back rejected, the version of it (same source, same path) that the
/// previous snapshot accepted stays in — a broken resubmission must not erase the good
/// data; it is reported as rejected beside it, and the department is asked to resend.
fn accepted_before(
    previous: Option<&Manifest>,
    inputs: &[InputRecord],
    source: &str,
    path: &str,
) -> Option<InputRecord> {
    let mut kept = previous?
        .inputs
        .iter()
        .find(|i| i.source == source && i.path == path && i.error.is_none())
        .cloned()?;
    // The same bytes already in this run (a copy under another name) are not read twice.
    if inputs
        .iter()
        .any(|i| i.source == kept.source && i.sha256 == kept.sha256 && i.error.is_none())
    {
        return None;
    }
    kept.carried = true;
    Some(kept)
}

/// Compute `ind_results` for snapshot `version` from the models of `wh`; `specs` name the
/// department behind each source table, for an indicator whose source is missing.
pub async fn compute_indicators(
    wh: &mut Warehouse,
    catalogue: &Catalogue,
    specs: &[Arc<SourceSpec>],
    version: u64,
    data_as_of: Option<&str>,
    run_id: &str,
) -> anyhow::Result<u64> {
    let departments = specs
        .iter()
        .map(|s| (s.table().to_string(), s.submitter().to_string()))
        .collect();
    let inputs = ecstat_indicators::Inputs {
        version,
        data_as_of,
        departments: &departments,
    };
    let df = ecstat_indicators::compute(wh.context(), catalogue, &inputs)
        .await
        .context("computing indicators (pipelines/indicators.toml)")?;
    Ok(wh.write_table("ind_results", df, run_id).await?)
}

pub async fn max_month(wh: &Warehouse) -> anyhow::Result<Option<String>> {
    let batches = wh
        .context()
        .sql("SELECT max(order_month) AS m FROM stg_orders")
        .await?
        .collect()
        .await?;
    Ok(batches
        .first()
        .map(|b| crate::output::cell(b, "m", 0))
        .filter(|s| !s.is_empty()))
}

pub fn export_meta(manifest: &Manifest, catalogue: &Catalogue) -> ExportMeta {
    ExportMeta {
        snapshot_version: manifest.version,
        run_id: manifest.run_id.clone(),
        created_at: manifest.created_at.clone(),
        data_as_of: manifest.data_as_of.clone(),
        definitions: catalogue
            .indicators
            .iter()
            .map(|i| {
                [
                    i.code.clone(),
                    i.name_zh.clone(),
                    i.name_en.clone(),
                    i.unit.clone(),
                    i.definition.clone(),
                    i.departments.join("、"),
                ]
            })
            .collect(),
        inputs: manifest
            .inputs
            .iter()
            .map(|i| {
                [
                    i.source.clone(),
                    i.path.clone(),
                    i.sha256.clone(),
                    i.rows_staged.to_string(),
                ]
            })
            .collect(),
        lineage: Vec::new(),
    }
}

struct Summary<'a> {
    inputs: &'a [InputRecord],
    unmatched: &'a [String],
    reused: usize,
    built: &'a [(String, u64)],
    tests_run: usize,
    test_failures: &'a [ecstat_warehouse::TestOutcome],
    exported: &'a [PathBuf],
    manifest: &'a Manifest,
    /// (stage, seconds since the start at its end)
    timings: &'a [(&'a str, f64)],
    /// False when model tests failed and the snapshot was withheld.
    published: bool,
}

impl Summary<'_> {
    async fn print(&self, wh: &Warehouse) -> anyhow::Result<()> {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let m = self.manifest;
        if self.published {
            writeln!(
                out,
                "snapshot {} (run {}), data as of {}",
                m.version,
                m.run_id,
                m.data_as_of.as_deref().unwrap_or("—")
            )?;
        } else {
            writeln!(
                out,
                "NOT PUBLISHED (run {}): model tests failed, see below; the previous snapshot stays current",
                m.run_id
            )?;
        }
        writeln!(
            out,
            "\nfiles: {} ({} unchanged since the last snapshot, not re-read)",
            self.inputs.len(),
            self.reused
        )?;
        writeln!(
            out,
            "  {:<20} {:>8} {:>8} {:>11} {:>7} {:>8}  file",
            "source", "read", "staged", "quarantined", "skipped", "warnings"
        )?;
        let replaced = ecstat_lake::superseded(self.inputs);
        let mut totals = [0u64; 5];
        for (index, i) in self.inputs.iter().enumerate() {
            let by: BTreeMap<&str, Vec<&str>> = replaced
                .iter()
                .filter(|(n, _, _)| *n == index)
                .fold(BTreeMap::new(), |mut acc, (_, part, winner)| {
                    acc.entry(winner.as_str()).or_default().push(part.as_str());
                    acc
                });
            let replaced_note: String = by
                .iter()
                .map(|(winner, parts)| {
                    format!("\n      replaced by {winner} for {}", parts.join(", "))
                })
                .collect();
            writeln!(
                out,
                "  {:<20} {:>8} {:>8} {:>11} {:>7} {:>8}  {}{}{}",
                i.source,
                i.rows_read,
                i.rows_staged,
                i.rows_quarantined,
                i.rows_skipped,
                i.rows_warned,
                i.path,
                i.error
                    .as_ref()
                    .map(|e| {
                        let kept = self
                            .inputs
                            .iter()
                            .any(|o| o.error.is_none() && o.source == i.source && o.path == i.path);
                        let kept = if kept {
                            "\n      (the version accepted before is kept, listed next)"
                        } else {
                            ""
                        };
                        format!("\n      REJECTED: {e}{kept}")
                    })
                    .unwrap_or_default(),
                replaced_note
            )?;
            for note in &i.notes {
                writeln!(out, "      note: {note}")?;
            }
            if let Some(r) = &i.reconciliation {
                writeln!(
                    out,
                    "      对账 / reconciliation: {} lines, {} orders, {} completed, sales {} 元",
                    r.lines,
                    r.orders,
                    r.completed_orders,
                    fen_to_yuan(r.sales_fen)
                )?;
            }
            for (t, v) in totals.iter_mut().zip([
                i.rows_read,
                i.rows_staged,
                i.rows_quarantined,
                i.rows_skipped,
                i.rows_warned,
            ]) {
                *t += v;
            }
        }
        writeln!(
            out,
            "  {:<20} {:>8} {:>8} {:>11} {:>7} {:>8}",
            "total", totals[0], totals[1], totals[2], totals[3], totals[4]
        )?;
        for u in self.unmatched {
            writeln!(out, "  no source spec matches {u}; not read")?;
        }
        let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
        let q = wh
            .context()
            .sql(
                "SELECT rule, count(*) AS n FROM quarantine WHERE severity = 'row' \
                 GROUP BY rule ORDER BY rule",
            )
            .await?;
        for batch in q.collect().await? {
            for r in 0..batch.num_rows() {
                let n = crate::output::cell(&batch, "n", r).parse().unwrap_or(0);
                by_rule.insert(crate::output::cell(&batch, "rule", r), n);
            }
        }
        if !by_rule.is_empty() {
            let rules: Vec<String> = by_rule.iter().map(|(k, v)| format!("{k} {v}")).collect();
            writeln!(
                out,
                "  quarantined by rule: {} (see table `quarantine`)",
                rules.join(", ")
            )?;
        }
        writeln!(out, "\ntables built:")?;
        for (name, rows) in self.built {
            writeln!(out, "  {name:<28} {rows:>9} rows")?;
        }
        crate::build::print_tests(&mut out, self.tests_run, self.test_failures)?;
        writeln!(out, "\nindicators with targets (county, by year):")?;
        let batches =
            crate::read::indicator_batches(wh, "*", "WHERE comparison IS NOT NULL").await?;
        for b in &batches {
            for r in 0..b.num_rows() {
                let c = |name: &str| crate::output::cell(b, name, r);
                let unit = c("unit");
                let target = match c("comparison").as_str() {
                    "between" => format!(
                        "{}–{}{unit}",
                        trim_zeros(&c("target")),
                        trim_zeros(&c("target_upper"))
                    ),
                    cmp => format!("{cmp} {}{unit}", trim_zeros(&c("target"))),
                };
                let value = match c("value") {
                    v if v.is_empty() => "—".to_string(),
                    v => format!("{}{unit}", trim_zeros(&v)),
                };
                writeln!(
                    out,
                    "  {} {} {}: {value} (target {target}) {}{}",
                    c("period"),
                    c("indicator_name_zh"),
                    c("measure_name_zh"),
                    c("status"),
                    match c("note") {
                        n if n.is_empty() => String::new(),
                        n => format!(" — {n}"),
                    },
                )?;
            }
        }
        if !self.exported.is_empty() {
            writeln!(out, "\nexports:")?;
            for p in self.exported {
                writeln!(out, "  {}", p.display())?;
            }
        }
        let mut previous = 0.0;
        let stages: Vec<String> = self
            .timings
            .iter()
            .map(|(stage, at)| {
                let line = format!("{stage} {:.2}s", at - previous);
                previous = *at;
                line
            })
            .collect();
        writeln!(
            out,
            "\ntime: {} (total {:.2}s)",
            stages.join(", "),
            previous
        )?;
        out.flush()?;
        Ok(())
    }
}

/// `20.0000` → `20`, `16.1234` stays; for the summary lines only.
fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t.is_empty() {
            "0".into()
        } else {
            t.to_string()
        }
    } else if s.is_empty() {
        "—".into()
    } else {
        s.to_string()
    }
}

/// A records source's staged table and its layout (so an empty table still exists).
pub fn staged_layout(spec: &SourceSpec) -> Option<(String, arrow::datatypes::SchemaRef)> {
    match spec {
        SourceSpec::Records(s) => Some((s.table.clone(), ecstat_ingest::records::staged_schema(s))),
        SourceSpec::Orders(_) => None,
    }
}
