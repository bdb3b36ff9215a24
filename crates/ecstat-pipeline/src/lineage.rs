//! Lineage of every indicator: the source submissions its figures are computed from
//! (table `ind_lineage`), found by following its SQL through the models to the staged
//! source tables, and the files of the snapshot that feed them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use ecstat_core::spec::SourceSpec;
use ecstat_indicators::Catalogue;
use ecstat_lake::InputRecord;
use ecstat_warehouse::Warehouse;
use ecstat_warehouse::models::{Model, table_references, upstream_sources};

use crate::{PipelineError, Result};

/// One submission behind one indicator.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub indicator_code: String,
    /// The staged table it reaches the indicator through.
    pub source_table: String,
    pub source: String,
    pub department: String,
    pub file: String,
    pub sha256: String,
    pub rows_staged: u64,
    pub received: String,
}

/// The source tables (staged or reference) each indicator reads, through the models.
pub fn sources_of(
    wh: &Warehouse,
    catalogue: &Catalogue,
    models: &[Model],
) -> Result<BTreeMap<String, BTreeSet<String>>> {
    catalogue
        .indicators
        .iter()
        .map(|ind| {
            let tables = table_references(wh.context(), &ind.sql).map_err(|e| {
                PipelineError::during(format!("indicator `{}`", ind.code))(e.into())
            })?;
            Ok((ind.code.clone(), upstream_sources(models, &tables)))
        })
        .collect()
}

/// The submissions of `inputs` whose staged rows the snapshot reads for each indicator.
pub fn links(
    sources: &BTreeMap<String, BTreeSet<String>>,
    inputs: &[InputRecord],
    specs: &[Arc<SourceSpec>],
) -> Vec<Link> {
    let department: BTreeMap<&str, &str> =
        specs.iter().map(|s| (s.name(), s.submitter())).collect();
    let mut read_by_table: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for (code, tables) in sources {
        for table in tables {
            let read = read_by_table.entry(table.as_str()).or_insert_with(|| {
                ecstat_lake::staged_files(inputs, table)
                    .into_iter()
                    .collect()
            });
            for input in inputs.iter().filter(|i| i.error.is_none()) {
                let feeds = input
                    .staged_files
                    .get(table.as_str())
                    .is_some_and(|files| files.iter().any(|f| read.contains(f)));
                if feeds {
                    out.push(Link {
                        indicator_code: code.clone(),
                        source_table: table.clone(),
                        source: input.source.clone(),
                        department: department
                            .get(input.source.as_str())
                            .copied()
                            .unwrap_or("")
                            .to_string(),
                        file: input.path.clone(),
                        sha256: input.sha256.clone(),
                        rows_staged: input.rows_staged,
                        received: input.received.clone(),
                    });
                }
            }
        }
    }
    out.sort();
    out
}

/// Write `links` as the snapshot's `ind_lineage` table.
pub async fn write(wh: &mut Warehouse, links: &[Link], run_id: &str) -> Result<u64> {
    let df = wh.context().read_batch(batch(links)?)?;
    Ok(wh.write_table("ind_lineage", df, run_id).await?)
}

/// `links` as rows of `ind_lineage` (no links: its layout, for `ecstat docs`).
pub fn batch(links: &[Link]) -> Result<RecordBatch> {
    let text = |f: fn(&Link) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(links.iter().map(f)))
    };
    Ok(RecordBatch::try_from_iter(vec![
        ("indicator_code", text(|l| &l.indicator_code)),
        ("source_table", text(|l| &l.source_table)),
        ("source", text(|l| &l.source)),
        ("department", text(|l| &l.department)),
        ("file", text(|l| &l.file)),
        ("sha256", text(|l| &l.sha256)),
        (
            "rows_staged",
            Arc::new(Int64Array::from_iter_values(
                links.iter().map(|l| l.rows_staged as i64),
            )) as ArrayRef,
        ),
        ("received", text(|l| &l.received)),
    ])?)
}

/// The snapshot's `ind_lineage` as the exports' evidence rows: (indicator code,
/// department, file, sha256, rows staged). Empty for a snapshot from before lineage.
pub async fn export_rows(wh: &Warehouse) -> Result<Vec<[String; 5]>> {
    if !wh.table_names().iter().any(|t| t == "ind_lineage") {
        return Ok(Vec::new());
    }
    let batches = wh
        .context()
        .sql(
            "SELECT indicator_code, department, file, sha256, CAST(rows_staged AS VARCHAR) AS rows_staged \
             FROM ind_lineage ORDER BY indicator_code, source_table, file",
        )
        .await?
        .collect()
        .await?;
    Ok(crate::cells::rows(
        &batches,
        [
            "indicator_code",
            "department",
            "file",
            "sha256",
            "rows_staged",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(path: &str, table: &str, file: &str, error: Option<&str>) -> InputRecord {
        let mut r = InputRecord::rejected("orders_src", path, "sha", String::new(), "r1");
        r.error = error.map(str::to_string);
        r.rows_staged = 7;
        r.staged_files
            .insert(table.to_string(), vec![file.to_string()]);
        r
    }

    #[test]
    fn an_indicator_links_the_accepted_files_of_the_tables_it_reads() {
        let sources =
            BTreeMap::from([("sales".to_string(), BTreeSet::from(["orders".to_string()]))]);
        let inputs = vec![
            input("a.csv", "orders", "staged/orders/a.parquet", None),
            input("b.csv", "training", "staged/training/b.parquet", None),
            input("c.csv", "orders", "staged/orders/c.parquet", Some("bad")),
        ];
        let got = links(&sources, &inputs, &[]);
        let files: Vec<&str> = got.iter().map(|l| l.file.as_str()).collect();
        assert_eq!(files, ["a.csv"]);
        assert_eq!(
            (got[0].rows_staged, got[0].source_table.as_str()),
            (7, "orders")
        );
        let batch = batch(&got).expect("batch");
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.num_columns(), 8);
    }
}
