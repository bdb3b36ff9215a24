//! `ecstat sources`: the source specs, and the SQL that normalises a source's files.

use std::path::PathBuf;

use arrow::array::RecordBatch;
use clap::Args;

use crate::output::print;
use crate::{Failure, OutputFormat, exit};

#[derive(Debug, Args)]
pub struct SourcesArgs {
    /// Folder of source specs.
    #[arg(long, default_value = "pipelines/sources")]
    specs: PathBuf,
    /// Print the normalisation SQL of this source (as run when a file has every column).
    #[arg(long, value_name = "NAME")]
    sql: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub fn sources(args: SourcesArgs) -> Result<u8, Failure> {
    let specs = ecstat_core::spec::load_dir(&args.specs)?;
    if let Some(name) = &args.sql {
        let Some(spec) = specs.iter().find(|s| &s.name == name) else {
            let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
            return Err(Failure::new(
                exit::USAGE,
                anyhow::anyhow!("no source `{name}`; sources are: {}", names.join(", ")),
            ));
        };
        let columns: Vec<String> = spec.columns.keys().cloned().collect();
        println!(
            "{}",
            ecstat_ingest::normalise::orders_sql(spec, &columns, "<file sha256>")
        );
        return Ok(exit::OK);
    }
    let column = |f: &dyn Fn(&ecstat_core::spec::SourceSpec) -> String| -> arrow::array::ArrayRef {
        std::sync::Arc::new(
            specs
                .iter()
                .map(|s| Some(f(s)))
                .collect::<arrow::array::StringArray>(),
        )
    };
    let batch = RecordBatch::try_from_iter(vec![
        ("source", column(&|s| s.name.clone())),
        ("platform", column(&|s| s.platform.clone())),
        (
            "format",
            column(&|s| format!("{:?}", s.format).to_lowercase()),
        ),
        ("files", column(&|s| s.files.join(" "))),
        ("description", column(&|s| s.description.clone())),
    ])?;
    print(&[batch], args.format)?;
    Ok(exit::OK)
}
