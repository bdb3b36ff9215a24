//! `ecstat sources`: the source specs, and the SQL that normalises a source's files.

use arrow::array::RecordBatch;
use clap::Args;
use ecstat_core::spec::SourceSpec;
use ecstat_pipeline::project::Project;

use crate::output::print;
use crate::{Failure, OutputFormat, exit};

#[derive(Debug, Args)]
pub struct SourcesArgs {
    /// Print the normalisation SQL of this source (as run when a file has every column).
    #[arg(long, value_name = "NAME")]
    sql: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

/// The reference folder gives the values of relationship checks in `--sql`.
pub fn sources(
    project: &Project,
    engine: &ecstat_engine::Engine,
    args: SourcesArgs,
) -> Result<u8, Failure> {
    let specs = ecstat_pipeline::definitions::load_specs(&project.pipelines)?;
    if let Some(name) = &args.sql {
        let Some(spec) = specs.iter().find(|s| s.name() == name) else {
            let names: Vec<&str> = specs.iter().map(|s| s.name()).collect();
            return Err(Failure::new(
                exit::USAGE,
                anyhow::anyhow!("no source `{name}`; sources are: {}", names.join(", ")),
            ));
        };
        let sql = match spec.as_ref() {
            SourceSpec::Orders(s) => {
                let columns: Vec<String> = s
                    .columns
                    .keys()
                    .chain(s.inputs.keys())
                    .chain(s.file_fields.keys())
                    .cloned()
                    .collect();
                let shop = ecstat_ingest::normalise::UnknownShop::of_file("FILE");
                ecstat_ingest::normalise::orders_sql(s, &columns, &shop)
            }
            SourceSpec::Records(s) => {
                let references = ecstat_pipeline::definitions::load_references(&project.pipelines)?;
                let env = ecstat_pipeline::definitions::ingest_env(
                    std::slice::from_ref(spec),
                    &references,
                    &project.reference,
                    Vec::new(),
                    engine,
                )?;
                let columns: Vec<String> = s.columns.iter().map(|c| c.name.clone()).collect();
                ecstat_ingest::records::records_sql(s, &columns, "<file sha256>", &env.lookups)
                    .map_err(|e| Failure::new(exit::USAGE, anyhow::anyhow!(e)))?
            }
        };
        println!("{sql}");
        return Ok(exit::OK);
    }
    let column = |f: &dyn Fn(&SourceSpec) -> String| -> arrow::array::ArrayRef {
        std::sync::Arc::new(
            specs
                .iter()
                .map(|s| Some(f(s)))
                .collect::<arrow::array::StringArray>(),
        )
    };
    let batch = RecordBatch::try_from_iter(vec![
        ("source", column(&|s| s.name().to_string())),
        ("table", column(&|s| s.table().to_string())),
        ("submitter", column(&|s| s.submitter().to_string())),
        (
            "format",
            column(&|s| {
                s.formats()
                    .iter()
                    .map(|f| format!("{f:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        ("files", column(&|s| s.files().join(" "))),
        ("description", column(&|s| s.description().to_string())),
    ])?;
    print(&[batch], args.format)?;
    Ok(exit::OK)
}
