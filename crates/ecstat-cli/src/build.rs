//! `ecstat build --select MODEL[+]` (the operation is
//! `ecstat_pipeline::operations::build`): its options and what it prints.

use std::io::Write;

use clap::Args;
use ecstat_pipeline::operations::build::BuildOptions;
use ecstat_pipeline::project::Project;

use crate::Failure;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The model to rebuild, with everything downstream of it (`MODEL` and `MODEL+` alike:
    /// a snapshot never mixes models built from different versions of one another).
    #[arg(long, value_name = "MODEL[+]")]
    select: String,
    /// Do not write the exports of the new snapshot.
    #[arg(long)]
    no_export: bool,
}

pub async fn build(
    project: &Project,
    engine: &ecstat_engine::Engine,
    args: BuildArgs,
) -> Result<u8, Failure> {
    let bars = crate::progress::Bars::new();
    let report = ecstat_pipeline::operations::build::build(
        BuildOptions::new(project, args.select)
            .engine(engine.clone())
            .export(!args.no_export)
            .progress(&bars),
    )
    .await?;
    for line in &report.warnings {
        eprintln!("ecstat: {line}");
    }
    let published = &report.published;
    let mut out = std::io::stdout().lock();
    for (name, rows) in &published.built {
        writeln!(out, "built {name:<32} {rows:>9} rows")?;
    }
    print_tests(&mut out, published.tests_run, &published.test_failures)?;
    if !published.published() {
        writeln!(
            out,
            "NOT PUBLISHED: snapshot {} stays current",
            report.from_version
        )?;
        return Ok(report.exit_code());
    }
    writeln!(
        out,
        "snapshot {} (build {}): {} rebuilt from snapshot {}'s data",
        published.manifest.version,
        report.run_id,
        report.selected.join(", "),
        report.from_version
    )?;
    for path in &published.exported {
        writeln!(out, "  exported {}", path.display())?;
    }
    Ok(report.exit_code())
}

/// "model tests: N run, F failed, W warnings", then each failure and warning with its rows.
pub fn print_tests(
    out: &mut impl Write,
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
