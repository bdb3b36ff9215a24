//! `ecstat build --select MODEL[+]`: rebuild one model and every model that depends on it
//! from the current snapshot's staged data, test them, recompute the
//! indicators, and publish the result as a new snapshot — after a model's SQL was changed,
//! without reading the inbox again.

use std::path::{Path, PathBuf};

use clap::Args;
use ecstat_lake::{DataDir, Manifest};
use ecstat_warehouse::Warehouse;

use crate::{Failure, exit};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The model to rebuild, with everything downstream of it (`MODEL` and `MODEL+` alike:
    /// a snapshot never mixes models built from different versions of one another).
    #[arg(long, value_name = "MODEL[+]")]
    select: String,
    /// Folder of the pipeline (models/*.sql, indicators.toml).
    #[arg(long, default_value = "pipelines")]
    pipelines: PathBuf,
}

pub async fn build(data_dir: &Path, args: BuildArgs) -> Result<u8, Failure> {
    let usage = |e: anyhow::Error| Failure::new(exit::USAGE, e);
    let catalogue = ecstat_indicators::Catalogue::load(&args.pipelines.join("indicators.toml"))
        .map_err(|e| usage(e.into()))?;
    let lake = DataDir::open_existing(data_dir)?;
    let mut summary = ecstat_lake::RunSummary {
        run_id: ecstat_lake::new_run_id(),
        command: "build".into(),
        started_at: crate::run::now(),
        ..Default::default()
    };
    let result = build_locked(&lake, &args, &catalogue, &mut summary).await;
    crate::run::record(&lake, &mut summary, &result);
    result
}

async fn build_locked(
    lake: &DataDir,
    args: &BuildArgs,
    catalogue: &ecstat_indicators::Catalogue,
    summary: &mut ecstat_lake::RunSummary,
) -> Result<u8, Failure> {
    let usage = |e: anyhow::Error| Failure::new(exit::USAGE, e);
    let run_id = summary.run_id.clone();
    let _lock = lake.lock(&run_id)?;
    let current = lake.current()?;
    summary.previous_version = Some(current.version);
    // The staged data must be what the current specs would read: after a spec changed,
    // its files must be read again, which only `ecstat run` does.
    let specs = crate::pipeline::load_specs(&args.pipelines)?;
    let changed: std::collections::BTreeSet<&str> = current
        .inputs
        .iter()
        // A record kept for a rejected file stays as it was read; it is not stale data.
        .filter(|i| i.error.is_none() && !i.carried)
        .filter(|i| {
            specs
                .iter()
                .find(|s| s.name() == i.source)
                .is_none_or(|s| s.fingerprint() != i.spec_fingerprint)
        })
        .map(|i| i.source.as_str())
        .collect();
    if !changed.is_empty() {
        return Err(usage(anyhow::anyhow!(
            "the source specs of {} changed since snapshot {} (or are gone): their files must \
             be read again — run `ecstat run`",
            changed.into_iter().collect::<Vec<_>>().join(", "),
            current.version
        )));
    }
    // Staged tables that no file fed are not in the snapshot; the specs give their layout.
    let layouts: Vec<_> = specs
        .iter()
        .filter_map(|s| crate::run::staged_layout(s))
        .collect();
    let mut wh = Warehouse::for_snapshot(lake, &current, &layouts).await?;
    let models = ecstat_warehouse::models::load(&args.pipelines.join("models"), wh.context())
        .map_err(|e| usage(e.into()))?;
    // Everything downstream is always rebuilt and tested with the model: a snapshot whose
    // models were built from different versions of one another is never published.
    let downstream = format!("{}+", args.select.trim_end_matches('+'));
    let selected =
        ecstat_warehouse::models::select(&models, &downstream).map_err(|e| usage(e.into()))?;

    let mut failures = Vec::new();
    let mut tests = 0;
    for model in &selected {
        let rows = wh.build_model(model, &run_id).await?;
        println!("built {:<32} {rows:>9} rows", model.name);
        summary.models_built.push((model.name.clone(), rows));
        for outcome in wh.test_model(model).await? {
            tests += 1;
            if outcome.failing_rows > 0 {
                failures.push(outcome);
            }
        }
    }
    let version = current.version + 1;
    let data_as_of = crate::run::max_month(&wh).await?;
    let rows = crate::run::compute_indicators(
        &mut wh,
        catalogue,
        &specs,
        version,
        data_as_of.as_deref(),
        &run_id,
    )
    .await?;
    println!("built {:<32} {rows:>9} rows", "ind_results");
    let sources = crate::lineage::sources_of(&wh, catalogue, &models)?;
    let links = crate::lineage::links(&sources, &current.inputs, &specs);
    let rows = crate::lineage::write(&mut wh, &links, &run_id).await?;
    println!("built {:<32} {rows:>9} rows", "ind_lineage");
    print_tests(&mut std::io::stdout().lock(), tests, &failures)?;
    summary.tests_run = tests as u64;
    for f in &failures {
        let line = format!("{}: {} ({} rows)", f.model, f.name, f.failing_rows);
        if f.warning {
            summary.warnings.push(line);
        } else {
            summary.tests_failed.push(line);
        }
    }
    if failures.iter().any(|f| !f.warning) {
        summary.outcome = "withheld".into();
        println!("NOT PUBLISHED: snapshot {} stays current", current.version);
        return Ok(exit::CHECKS_FAILED);
    }
    let manifest = Manifest {
        version,
        run_id: run_id.clone(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        data_as_of,
        inputs: current.inputs.clone(),
        tables: wh.tables().clone(),
        partitions: wh.partitions().clone(),
        models: wh.models().clone(),
        // Not the fingerprint of a whole run: the next `run` builds everything again.
        fingerprint: String::new(),
        confidential: crate::run::confidential_tables(&models, &specs),
    };
    lake.publish(&manifest)?;
    summary.outcome = "published".into();
    summary.published_version = Some(version);
    println!(
        "snapshot {version} (build {run_id}): {} rebuilt from snapshot {}'s data",
        selected
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        current.version
    );
    Ok(exit::OK)
}

/// "model tests: N run, F failed, W warnings", then each failure and warning with its rows.
pub fn print_tests(
    out: &mut impl std::io::Write,
    run: usize,
    failing: &[ecstat_warehouse::TestOutcome],
) -> std::io::Result<()> {
    let warnings = failing.iter().filter(|f| f.warning).count();
    writeln!(
        out,
        "\nmodel tests: {run} run, {} failed, {warnings} warnings",
        failing.len() - warnings
    )?;
    for f in failing {
        let label = if f.warning { "WARN" } else { "FAILED" };
        writeln!(
            out,
            "  {label} {}: {} ({} rows)",
            f.model, f.name, f.failing_rows
        )?;
        for line in f.sample.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}
