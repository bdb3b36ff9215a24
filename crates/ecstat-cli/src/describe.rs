//! What the tables of a snapshot are: `ecstat tables` (every table, its kind, rows and what
//! it holds) and `ecstat describe TABLE` (grain, columns with types, descriptions and tests).
//! The text comes from the same files the pipeline runs: model docs, source specs,
//! reference.toml — so it cannot drift from what is built.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, UInt64Array};
use clap::Args;
use ecstat_warehouse::Warehouse;

use ecstat_pipeline::snapshot::At;
use ecstat_pipeline::table_docs::table_docs;

use crate::output::print;
use crate::{Failure, OutputFormat, exit};

#[derive(Debug, Args)]
pub struct TablesArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub async fn tables(at: At<'_>, args: TablesArgs) -> Result<u8, Failure> {
    let (wh, _) = crate::read::open(at).await?;
    print(&[tables_batch(&wh, at.pipelines).await?], args.format)?;
    Ok(exit::OK)
}

/// Every table of `wh`: kind, rows, grain, description.
pub async fn tables_batch(wh: &Warehouse, pipelines: &Path) -> anyhow::Result<RecordBatch> {
    let docs = table_docs(pipelines, wh.context());
    let counts = wh.table_counts().await?;
    let text = |f: &dyn Fn(&str) -> String| -> ArrayRef {
        Arc::new(
            counts
                .iter()
                .map(|(n, _)| Some(f(n)))
                .collect::<StringArray>(),
        )
    };
    let doc = |n: &str| docs.get(n).cloned().unwrap_or_default();
    Ok(RecordBatch::try_from_iter(vec![
        ("table", text(&|n| n.to_string())),
        ("kind", text(&|n| doc(n).kind)),
        (
            "rows",
            Arc::new(
                counts
                    .iter()
                    .map(|(_, r)| Some(*r))
                    .collect::<UInt64Array>(),
            ) as ArrayRef,
        ),
        ("grain", text(&|n| doc(n).grain)),
        ("description", text(&|n| doc(n).description)),
    ])?)
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The table (see `ecstat tables`).
    table: String,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub async fn describe(at: At<'_>, args: DescribeArgs) -> Result<u8, Failure> {
    let (wh, _) = crate::read::open(at).await?;
    let (heading, batch) = describe_table(&wh, &args.table, at.pipelines).await?;
    if args.format == OutputFormat::Table {
        println!("{heading}");
    }
    print(&[batch], args.format)?;
    Ok(exit::OK)
}

/// What `table` is (heading lines: kind, rows, description, grain, where defined) and its
/// columns with types, descriptions (units) and tests.
pub async fn describe_table(
    wh: &Warehouse,
    table: &str,
    pipelines: &Path,
) -> Result<(String, RecordBatch), Failure> {
    let names = wh.table_names();
    if !names.iter().any(|n| n == table) {
        return Err(Failure::new(
            exit::USAGE,
            anyhow::anyhow!("no table `{table}`; tables are: {}", names.join(", ")),
        ));
    }
    let rows = wh.row_count(table).await?;
    let doc = table_docs(pipelines, wh.context())
        .remove(table)
        .unwrap_or_default();
    let schema = wh
        .context()
        .table_provider(table)
        .await
        .map_err(|e| Failure::new(exit::INTERNAL, e))?
        .schema();
    let heading = format!(
        "{table} ({}, {rows} rows)\n  {}\n  grain: {}\n  defined in: {}",
        doc.kind, doc.description, doc.grain, doc.defined_in
    );
    let fields = schema.fields();
    let col = |f: &dyn Fn(&str, &str) -> String| -> ArrayRef {
        Arc::new(
            fields
                .iter()
                .map(|field| Some(f(field.name(), &field.data_type().to_string())))
                .collect::<StringArray>(),
        )
    };
    let get = |name: &str| doc.columns.get(name).cloned().unwrap_or_default();
    let batch = RecordBatch::try_from_iter(vec![
        ("column", col(&|n, _| n.to_string())),
        ("type", col(&|_, t| t.to_string())),
        ("description", col(&|n, _| get(n).0)),
        ("tests", col(&|n, _| get(n).1)),
    ])?;
    Ok((heading, batch))
}
