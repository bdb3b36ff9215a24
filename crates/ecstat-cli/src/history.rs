//! The data directory's history: `ecstat snapshots` (what each published version holds
//! and what changed), `ecstat runs` (what each run did, from `_runs/`), and `ecstat vacuum`
//! (remove what no retained snapshot needs).

use std::path::Path;

use arrow::array::{ArrayRef, RecordBatch, StringArray, UInt64Array};
use clap::Args;
use ecstat_lake::{DataDir, InputStatus, Manifest, Retain, RunCommand};
use std::sync::Arc;

use crate::output::print;
use crate::{Failure, OutputFormat, exit};

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

/// What changed from `before` to `after`: input files added, replaced or dropped.
fn changes(before: Option<&Manifest>, after: &Manifest) -> String {
    let Some(before) = before else {
        return format!("first snapshot: {} input files", after.inputs.len());
    };
    let key = |m: &Manifest| -> std::collections::BTreeMap<(String, String), String> {
        m.inputs
            .iter()
            .filter(|i| i.error.is_none())
            .map(|i| ((i.source.clone(), i.path.clone()), i.sha256.clone()))
            .collect()
    };
    let (old, new) = (key(before), key(after));
    let added = new.keys().filter(|k| !old.contains_key(*k)).count();
    let dropped = old.keys().filter(|k| !new.contains_key(*k)).count();
    let changed = new
        .iter()
        .filter(|(k, sha)| old.get(*k).is_some_and(|o| o != *sha))
        .count();
    if added + dropped + changed == 0 {
        "same inputs; rebuilt (pipeline changed or `ecstat build`)".into()
    } else {
        format!("{added} files new, {changed} changed, {dropped} gone")
    }
}

pub fn snapshots(data_dir: &Path, args: SnapshotsArgs) -> Result<u8, Failure> {
    let lake = DataDir::open_existing(data_dir)?;
    let all = lake.snapshots()?;
    let mut rows: Vec<[String; 6]> = Vec::new();
    let mut sizes = Vec::new();
    for (i, m) in all.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| &all[j]);
        rows.push([
            m.created_at.clone(),
            m.run_id.clone(),
            m.data_as_of.clone().unwrap_or_default(),
            m.inputs
                .iter()
                .filter(|i| i.error.is_some())
                .count()
                .to_string(),
            changes(before, m),
            if i + 1 == all.len() {
                "current".into()
            } else {
                String::new()
            },
        ]);
        sizes.push((m.version, m.inputs.len() as u64));
    }
    let text = |f: usize| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r[f].as_str()),
        ))
    };
    let batch = RecordBatch::try_from_iter(vec![
        (
            "version",
            Arc::new(UInt64Array::from_iter_values(sizes.iter().map(|(v, _)| *v))) as ArrayRef,
        ),
        ("created_at", text(0)),
        ("run_id", text(1)),
        ("data_as_of", text(2)),
        (
            "inputs",
            Arc::new(UInt64Array::from_iter_values(sizes.iter().map(|(_, n)| *n))) as ArrayRef,
        ),
        ("rejected", text(3)),
        ("changed", text(4)),
        ("", text(5)),
    ])?;
    print(&[batch], args.format)?;
    Ok(exit::OK)
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Only the last N runs.
    #[arg(long, default_value_t = 20)]
    last: usize,
    /// Print one run's whole summary (JSON) by its run id (or a unique prefix).
    #[arg(long, value_name = "RUN_ID")]
    show: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub fn runs(data_dir: &Path, args: RunsArgs) -> Result<u8, Failure> {
    let lake = DataDir::open_existing(data_dir)?;
    let all = lake.runs()?;
    if let Some(wanted) = &args.show {
        let found: Vec<_> = all
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter(|r| r.run_id.starts_with(wanted.as_str()))
            .collect();
        return match found.as_slice() {
            [one] => {
                println!("{}", serde_json::to_string_pretty(one)?);
                Ok(exit::OK)
            }
            [] => Err(Failure::new(
                exit::USAGE,
                anyhow::anyhow!("no run `{wanted}` in {}/_runs", data_dir.display()),
            )),
            _ => Err(Failure::new(
                exit::USAGE,
                anyhow::anyhow!(
                    "`{wanted}` matches {} runs; give more of the run id",
                    found.len()
                ),
            )),
        };
    }
    let start = all.len().saturating_sub(args.last);
    let mut rows: Vec<[String; 9]> = Vec::new();
    for run in &all[start..] {
        match run {
            Ok(r) => {
                let count =
                    |status: InputStatus| r.inputs.iter().filter(|i| i.status == status).count();
                let staged: u64 = r
                    .inputs
                    .iter()
                    .filter(|i| i.status == InputStatus::Read)
                    .map(|i| i.rows_staged)
                    .sum();
                let quarantined: u64 = r
                    .inputs
                    .iter()
                    .filter(|i| i.status == InputStatus::Read)
                    .map(|i| i.rows_quarantined)
                    .sum();
                let seconds: f64 = r.timings.iter().map(|(_, s)| s).sum();
                rows.push([
                    r.run_id.clone(),
                    match r.command {
                        RunCommand::Run => "run".to_string(),
                        RunCommand::Build => "build".to_string(),
                    },
                    r.outcome.as_str().to_string(),
                    r.exit_code.to_string(),
                    r.published_version
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    format!(
                        "{} read, {} reused, {} rejected",
                        count(InputStatus::Read),
                        count(InputStatus::Reused),
                        count(InputStatus::Rejected)
                    ),
                    format!("{staged} / {quarantined}"),
                    format!("{} run, {} failed", r.tests_run, r.tests_failed.len()),
                    match &r.error {
                        Some(e) => e.clone(),
                        None => format!(
                            "{seconds:.2}s; {} indicators changed",
                            r.indicators_changed.len()
                        ),
                    },
                ]);
            }
            Err(e) => rows.push([
                String::new(),
                String::new(),
                "unreadable".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                e.to_string(),
            ]),
        }
    }
    let text = |f: usize| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r[f].as_str()),
        ))
    };
    let batch = RecordBatch::try_from_iter(vec![
        ("run_id", text(0)),
        ("command", text(1)),
        ("outcome", text(2)),
        ("exit", text(3)),
        ("published", text(4)),
        ("files", text(5)),
        ("rows staged / quarantined (read)", text(6)),
        ("model tests", text(7)),
        ("note", text(8)),
    ])?;
    print(&[batch], args.format)?;
    Ok(exit::OK)
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("retain").required(true).args(["keep", "older_than"])))]
pub struct VacuumArgs {
    /// Keep the newest N snapshots (the current one is always kept).
    #[arg(long, value_name = "N")]
    keep: Option<usize>,
    /// Remove snapshots published more than DAYS days ago (the current one stays).
    #[arg(long, value_name = "DAYS")]
    older_than: Option<u32>,
    /// Only say what would be removed.
    #[arg(long)]
    dry_run: bool,
}

pub fn vacuum(data_dir: &Path, args: VacuumArgs) -> Result<u8, Failure> {
    let lake = DataDir::open_existing(data_dir)?;
    let retain = match (args.keep, args.older_than) {
        (Some(n), _) => Retain::Newest(n),
        (None, Some(days)) => {
            Retain::Since(chrono::Utc::now() - chrono::Duration::days(i64::from(days)))
        }
        (None, None) => unreachable!("clap requires --keep or --older-than"),
    };
    // No run may write while files are judged unreferenced.
    let lock = lake.lock(&format!("vacuum-{}", ecstat_lake::new_run_id()))?;
    let report = lake.vacuum(&lock, retain, args.dry_run)?;
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    println!(
        "kept snapshots {:?}; {verb} snapshots {:?} and {} files ({:.1} MB)",
        report.kept_versions,
        report.removed_versions,
        report.removed_files.len(),
        report.freed_bytes as f64 / 1e6
    );
    Ok(exit::OK)
}
