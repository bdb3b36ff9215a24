//! `ecstat run`: the nightly job. Ingest every inbox file (each once, by content hash),
//! build the warehouse models, test them, compute the indicators, publish one snapshot,
//! write the exports, and say what happened.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use ecstat_core::spec::SourceSpec;
use ecstat_export::{ExportMeta, Format};
use ecstat_indicators::Catalogue;
use ecstat_ingest::{InputFile, Target};
use ecstat_lake::{DataDir, InputRecord, Manifest};
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
}

/// Every regular file under `inbox`, sorted, with its `/`-separated relative path.
pub fn scan_inbox(inbox: &Path) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    let mut stack = vec![inbox.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .with_context(|| format!("reading inbox folder {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("reading inbox folder {}", dir.display()))?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry
                .file_type()
                .with_context(|| format!("{}", path.display()))?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let relative = path
                    .strip_prefix(inbox)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((path, relative));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
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
    let run_id = ecstat_lake::new_run_id();
    let _lock = lake.lock(&run_id)?;
    let previous = lake.latest()?;
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
    let files = scan_inbox(&args.inbox)?;
    let mut unmatched = Vec::new();
    let mut work = Vec::new();
    for (path, relative) in files {
        // One file may feed several sources (a fund ledger's 预算 and 拨付明细 sheets).
        let specs: Vec<_> = pipeline
            .specs
            .iter()
            .filter(|s| s.matches(&relative))
            .collect();
        if specs.is_empty() {
            unmatched.push(relative.clone());
        }
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
    for (spec, path, relative) in work {
        bar.set_message(relative.clone());
        // An unreadable file is recorded as rejected; the night's run goes on. A file that
        // feeds several sources is read and hashed once.
        let read = opened
            .entry(path.clone())
            .or_insert_with(|| InputFile::open(&path, relative.clone()))
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
        let sha256 = input.sha256.clone();
        if let Some(first) = inputs
            .iter()
            .find(|i| i.sha256 == sha256 && i.source == spec.name())
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
                i.sha256 == sha256
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
                    .find(|i| i.sha256 == sha256 && i.source == spec.name())
            })
            .map(|i| i.received.clone())
            .filter(|r| !r.is_empty());
        if let Some(earlier) = earlier {
            let mut record = earlier.clone();
            record.path = relative;
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
            Target::Lake(&lake),
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
        if rejected
            && let Some(kept) = accepted_before(previous.as_ref(), &inputs, spec.name(), &relative)
        {
            inputs.push(kept);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    timings.push(("ingest", started.elapsed().as_secs_f64()));

    // 2. Build the warehouse.
    let staged: Vec<_> = pipeline
        .specs
        .iter()
        .filter_map(|s| staged_layout(s))
        .collect();
    let mut wh = Warehouse::for_inputs(&lake, &inputs, &staged).await?;
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
        let rows = wh.build_model(model, &run_id).await?;
        built.push((model.name.clone(), rows));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut test_failures = Vec::new();
    let mut tests_run = 0usize;
    for model in &models {
        let outcomes = wh
            .test_model(model)
            .await
            .with_context(|| format!("testing model `{}`", model.name))?;
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
    let rows = compute_indicators(
        &mut wh,
        &pipeline.catalogue,
        &pipeline.specs,
        version,
        data_as_of.as_deref(),
        &run_id,
    )
    .await?;
    built.push(("ind_results".into(), rows));
    let sources = crate::lineage::sources_of(&wh, &pipeline.catalogue, &models)?;
    let links = crate::lineage::links(&sources, &inputs, &pipeline.specs);
    let rows = crate::lineage::write(&mut wh, &links, &run_id).await?;
    built.push(("ind_lineage".into(), rows));

    timings.push(("indicators", started.elapsed().as_secs_f64()));

    // 4. Publish.
    let manifest = Manifest {
        version,
        run_id: run_id.clone(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        data_as_of: data_as_of.clone(),
        inputs: inputs.clone(),
        tables: wh.tables().clone(),
    };
    // A build whose model tests fail is not published: its figures could be wrong (a
    // duplicated shop doubles sales), and the previous snapshot stays the current one.
    let publish = !test_failures.iter().any(|t| !t.warning);
    if publish {
        lake.publish(&manifest)?;
    }

    // 5. Exports.
    let mut exported = Vec::new();
    if publish && !args.no_export {
        let batches =
            crate::read::indicator_batches(&wh, ecstat_indicators::PUBLISHED_COLUMNS, "").await?;
        let mut meta = export_meta(&manifest, &pipeline.catalogue);
        meta.lineage = crate::lineage::export_rows(&wh).await?;
        let dir = lake.path("exports");
        for format in Format::ALL {
            exported.push(ecstat_export::export(&batches, &meta, format, &dir)?);
        }
    }

    timings.push(("publish+export", started.elapsed().as_secs_f64()));

    // 6. Summary.
    let summary = Summary {
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
    if let Err(e) = summary.print(&wh).await
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
