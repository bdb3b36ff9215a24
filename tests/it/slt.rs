//! SQL behaviour of the models and indicators, as sqllogictest files (`tests/slt/*.slt`):
//! a query, `----`, the expected rows, worked out by hand from the tiny fixture
//! (`tests/it/tiny.rs` documents every line). They run against the snapshot `ecstat run`
//! published for that fixture, through the same read-only query path analysts use.

use std::path::Path;

use arrow::util::display::{ArrayFormatter, FormatOptions};
use ecstat_lake::DataDir;
use ecstat_warehouse::Warehouse;
use sqllogictest::{DBOutput, DefaultColumnType};

use crate::{repo, tiny};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SltError(String);

struct Snapshot {
    runtime: tokio::runtime::Runtime,
    warehouse: Warehouse,
}

impl sqllogictest::DB for Snapshot {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let err = |e: &dyn std::fmt::Display| SltError(e.to_string());
        let batches = self.runtime.block_on(async {
            let df = self.warehouse.query(sql).await.map_err(|e| err(&e))?;
            df.collect().await.map_err(|e| err(&e))
        })?;
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        let mut width = 0;
        for batch in &batches {
            width = batch.num_columns();
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| err(&e))?;
            for row in 0..batch.num_rows() {
                rows.push(
                    formatters
                        .iter()
                        .map(|f| f.value(row).to_string())
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; width],
            rows,
        })
    }
}

#[test]
fn model_and_indicator_sql_on_the_tiny_fixture() {
    let tmp = tempfile::tempdir().expect("tempdir");
    tiny::fixture(tmp.path());
    assert!(
        tiny::run(tmp.path()).status.success(),
        "ecstat run on the tiny fixture"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let data = tmp.path().join("wh");
    let warehouse = runtime.block_on(async {
        let lake = DataDir::open_existing(&data).expect("data dir");
        let manifest = lake.current().expect("snapshot");
        Warehouse::for_snapshot(
            ecstat_ingest::session(&ecstat_engine::Engine::default()),
            &lake,
            &manifest,
            &[],
        )
        .await
        .expect("warehouse")
    });
    let mut snapshot = Some(Snapshot { runtime, warehouse });
    let mut files: Vec<_> = std::fs::read_dir(repo().join("tests/slt"))
        .expect("tests/slt")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut runner = sqllogictest::Runner::new(move || {
        let db = snapshot
            .take()
            .ok_or_else(|| SltError("one connection only".into()));
        async move { db }
    });
    // ECSTAT_SLT_COMPLETE=1 writes what the queries return into the files as their expected
    // rows (sqllogictest's completion), for a new query; check them by hand before committing.
    let complete = std::env::var_os("ECSTAT_SLT_COMPLETE").is_some();
    let mut failed = Vec::new();
    for file in &files {
        if complete {
            futures::executor::block_on(runner.update_test_file(
                file,
                " ",
                sqllogictest::default_validator,
                sqllogictest::default_normalizer,
                sqllogictest::default_column_validator,
            ))
            .unwrap_or_else(|e| panic!("completing {}: {e}", display(file)));
        } else if let Err(e) = runner.run_file(file) {
            failed.push(format!("{}: {}", display(file), e.display(false)));
        }
    }
    // Every failing file, not only the first.
    assert!(
        failed.is_empty(),
        "{} of {} files failed:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n\n")
    );
}

fn display(p: &Path) -> String {
    p.strip_prefix(repo()).unwrap_or(p).display().to_string()
}
