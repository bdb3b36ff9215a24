//! `ecstat run`: the nightly job (the operation is `ecstat_pipeline::operations::run`);
//! here, its options and the summary it prints.

use std::collections::BTreeMap;
use std::io::Write;

use clap::Args;
use ecstat_lake::RunOutcome;
use ecstat_pipeline::operations::run::{RunOptions, RunReport};
use ecstat_pipeline::operations::{Published, TargetLine};
use ecstat_pipeline::project::Project;

use crate::Failure;

#[derive(Debug, Args)]
pub struct RunArgs {
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

pub async fn run(
    project: &Project,
    engine: &ecstat_engine::Engine,
    args: RunArgs,
) -> Result<u8, Failure> {
    let bars = crate::progress::Bars::new();
    let report = ecstat_pipeline::operations::run::run(
        RunOptions::new(project)
            .engine(engine.clone())
            .export(!args.no_export)
            .rehash(args.rehash)
            .progress(&bars),
    )
    .await?;
    for line in &report.warnings {
        eprintln!("ecstat: {line}");
    }
    // A reader that closed the pipe (`ecstat run | head`) does not change what the run did.
    if let Err(e) = print(&report)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(report.exit_code())
}

fn print(report: &RunReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if let Some((current, exported)) = &report.unchanged {
        writeln!(
            out,
            "nothing changed since snapshot {} (run {}): same {} input files, same pipeline; no new snapshot ({:.2}s)",
            current.version,
            current.run_id,
            report.inputs.len(),
            report.timings.elapsed()
        )?;
        for path in exported {
            writeln!(out, "  exported {}", path.display())?;
        }
        for input in report.inputs.iter().filter(|i| i.error.is_some()) {
            writeln!(
                out,
                "  still rejected: {} ({}): {}",
                input.path,
                input.source,
                input.error.as_deref().unwrap_or("")
            )?;
        }
        return out.flush();
    }
    let Some(published) = &report.published else {
        return out.flush();
    };
    let m = &published.manifest;
    if published.outcome == RunOutcome::Published {
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
    print_files(&mut out, report)?;
    print_quarantine(&mut out, published)?;
    writeln!(out, "\ntables built:")?;
    for (name, rows) in &published.built {
        writeln!(out, "  {name:<28} {rows:>9} rows")?;
    }
    crate::build::print_tests(&mut out, published.tests_run, &published.test_failures)?;
    writeln!(out, "\nindicators with targets (county, by year):")?;
    for line in &published.targets {
        writeln!(out, "  {}", target_line(line))?;
    }
    if !published.exported.is_empty() {
        writeln!(out, "\nexports:")?;
        for p in &published.exported {
            writeln!(out, "  {}", p.display())?;
        }
    }
    let stages: Vec<String> = report
        .timings
        .stages
        .iter()
        .map(|(stage, spent)| format!("{stage} {spent:.2}s"))
        .collect();
    writeln!(
        out,
        "\ntime: {} (total {:.2}s)",
        stages.join(", "),
        report.timings.elapsed()
    )?;
    out.flush()
}

/// The files of the run: rows read, staged, quarantined, skipped and warned of each, what
/// replaced what, rejections, notes and reconciliations, and the totals.
fn print_files(out: &mut impl Write, report: &RunReport) -> std::io::Result<()> {
    writeln!(
        out,
        "\nfiles: {} ({} unchanged since the last snapshot, not re-read)",
        report.inputs.len(),
        report.reused
    )?;
    writeln!(
        out,
        "  {:<20} {:>8} {:>8} {:>11} {:>7} {:>8}  file",
        "source", "read", "staged", "quarantined", "skipped", "warnings"
    )?;
    let inputs = &report.inputs;
    let replaced = ecstat_lake::superseded(inputs);
    let mut totals = [0u64; 5];
    for (index, i) in inputs.iter().enumerate() {
        let by: BTreeMap<&str, Vec<&str>> = replaced.iter().filter(|(n, _, _)| *n == index).fold(
            BTreeMap::new(),
            |mut acc, (_, part, winner)| {
                acc.entry(winner.as_str()).or_default().push(part.as_str());
                acc
            },
        );
        let replaced_note: String = by
            .iter()
            .map(|(winner, parts)| format!("\n      replaced by {winner} for {}", parts.join(", ")))
            .collect();
        let rejected = i
            .error
            .as_ref()
            .map(|e| {
                let kept = inputs
                    .iter()
                    .any(|o| o.error.is_none() && o.source == i.source && o.path == i.path);
                let kept = if kept {
                    "\n      (the version accepted before is kept, listed next)"
                } else {
                    ""
                };
                format!("\n      REJECTED: {e}{kept}")
            })
            .unwrap_or_default();
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
            rejected,
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
    for u in &report.unmatched {
        writeln!(out, "  no source spec matches {u}; not read")?;
    }
    Ok(())
}

fn print_quarantine(out: &mut impl Write, published: &Published) -> std::io::Result<()> {
    if published.quarantined_by_rule.is_empty() {
        return Ok(());
    }
    let rules: Vec<String> = published
        .quarantined_by_rule
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(
        out,
        "  quarantined by rule: {} (see table `quarantine`)",
        rules.join(", ")
    )
}

/// `2019 农村网络零售额 比上年增长: 21.5% (target >= 20%) 达标 — note`.
fn target_line(line: &TargetLine) -> String {
    let unit = &line.unit;
    let target = match line.comparison.as_str() {
        "between" => format!(
            "{}–{}{unit}",
            trim_zeros(&line.target),
            trim_zeros(&line.target_upper)
        ),
        cmp => format!("{cmp} {}{unit}", trim_zeros(&line.target)),
    };
    let value = match line.value.as_str() {
        "" => "—".to_string(),
        v => format!("{}{unit}", trim_zeros(v)),
    };
    let note = match line.note.as_str() {
        "" => String::new(),
        n => format!(" — {n}"),
    };
    format!(
        "{} {} {}: {value} (target {target}) {}{note}",
        line.period, line.indicator_name_zh, line.measure_name_zh, line.status
    )
}

/// Fen as yuan with two decimals (`-12.05`).
fn fen_to_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
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
