//! `ecstat validate` (the operation is `ecstat_pipeline::operations::validate`): its
//! options, and a line per file and source.

use std::path::PathBuf;

use clap::Args;
use ecstat_pipeline::operations::validate::{Checked, ValidateOptions};
use ecstat_pipeline::project::Project;

use crate::Failure;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files to check (csv, xlsx, json), as the department sent them.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Folder to write the feedback reports into (one xlsx per file and source).
    #[arg(long)]
    out: PathBuf,
    /// Check against this source spec instead of choosing by file name.
    #[arg(long, value_name = "NAME")]
    source: Option<String>,
}

/// The project gives the pipeline folder and the reference folder (division codes and the
/// values of relationship checks).
pub async fn validate(
    project: &Project,
    engine: &ecstat_engine::Engine,
    args: ValidateArgs,
) -> Result<u8, Failure> {
    let report = ecstat_pipeline::operations::validate::validate(
        ValidateOptions::new(project, args.files, args.out)
            .source(args.source)
            .engine(engine.clone()),
    )
    .await?;
    for (file, checked) in &report.files {
        match checked {
            Checked::NoSpec => println!(
                "{}: 未匹配到数据源规格 / no source spec matches this file name; pass --source NAME",
                file.display()
            ),
            Checked::Unreadable(e) => println!("{e}"),
            Checked::Checked {
                source,
                record: r,
                report,
            } => {
                let verdict = match &r.error {
                    Some(e) => format!("整个文件被退回 / rejected: {e}"),
                    None if r.rows_quarantined > 0 => format!(
                        "需更正 {} 行 / {} rows to correct",
                        r.rows_quarantined, r.rows_quarantined
                    ),
                    None => "通过 / passed".to_string(),
                };
                println!(
                    "{} [{source}]: read {}, loadable {}, to correct {}, warnings {} — {verdict}\n  report: {}",
                    file.display(),
                    r.rows_read,
                    r.rows_staged,
                    r.rows_quarantined,
                    r.rows_warned,
                    report.display()
                );
            }
        }
    }
    Ok(report.exit_code())
}
