//! Models built one month at a time (`partition_by` in the model doc).
//!
//! Order lines pile up year after year, and the models over them (deduplication across
//! files, the monthly fact) would otherwise sort and join every line of every year on each
//! run. A partitioned model is built once per month instead: while month M is built, every
//! *monthly* table it reads — the staged orders (stored in `month=M` folders) and other
//! partitioned models — shows only month M, and `ingest_files` only the files that staged
//! rows of M; every other table (dimensions, reference tables) shows in full. Memory is
//! then bounded by a month, not by the history.
//!
//! Each month is built under a key: the SHA-256 of ecstat's version, the model's SQL and
//! tests, the month, the files of the month of each monthly table it reads (their names
//! carry the content hash and the run), the rows `ingest_files` shows for the month, and the
//! content of each other table it reads. A month whose key equals the one recorded in the snapshot before is not built
//! again: its file is reused, and its recorded test findings are reported again. A run with
//! one new month of orders so builds only that month (and whatever a changed dimension
//! touches), and nothing depends on the month's contents being the same except the inputs.
//!
//! The model's output must keep to the month: a row whose partition column holds another
//! month fails the build.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use datafusion::datasource::MemTable;
use ecstat_lake::{InputRecord, PartitionRecord};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::models::Model;
use crate::{Result, TestOutcome, Warehouse, WarehouseError};

/// The table of input files, which a partitioned model sees restricted to the month.
const INGEST_FILES: &str = "ingest_files";

/// Parquet bytes of a partitioned table up to which the session holds it in memory.
pub(crate) const HELD_IN_MEMORY_BYTES: u64 = 16 << 20;

impl Warehouse {
    /// Remember `table`'s files by month when all of them sit in `month=` folders.
    pub(crate) fn note_monthly(&mut self, table: &str, files: &[String]) {
        let mut by_month: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in files {
            match ecstat_lake::month_of(file) {
                Some(month) => by_month
                    .entry(month.to_string())
                    .or_default()
                    .push(file.clone()),
                None => return,
            }
        }
        self.monthly.insert(table.to_string(), by_month);
    }

    pub(crate) async fn build_partitioned(
        &mut self,
        model: &Model,
        column: &str,
        run_id: &str,
    ) -> Result<u64> {
        let config = |message: String| WarehouseError::Config {
            path: model.path.with_extension("toml"),
            message,
        };
        let wrap = |source| WarehouseError::Model {
            model: model.name.clone(),
            path: model.path.clone(),
            source,
        };
        let monthly: Vec<String> = model
            .reads
            .iter()
            .filter(|t| self.monthly.contains_key(*t))
            .cloned()
            .collect();
        if monthly.is_empty() {
            return Err(config(format!(
                "model `{}` has partition_by = \"{column}\" but reads no monthly table (the \
                 staged orders or another partitioned model)",
                model.name
            )));
        }
        let reads_ingest_files = model.reads.contains(INGEST_FILES);
        let months: BTreeSet<String> = monthly
            .iter()
            .flat_map(|t| self.monthly[t].keys().cloned())
            .collect();

        // What every month shares: the SQL and the content of the tables read whole.
        let mut shared = Sha256::new();
        shared.update(b"ecstat partition v1\0");
        // ecstat's version: an upgrade may change what the same SQL computes.
        shared.update(env!("CARGO_PKG_VERSION").as_bytes());
        shared.update(model.sql.as_bytes());
        shared.update(column.as_bytes());
        // The tests too: a test added to the model doc must run on every month.
        for test in crate::models::test_queries(model) {
            shared.update(format!("\0{}\0{}", test.name, test.failing_sql).as_bytes());
        }
        for table in &model.reads {
            if monthly.contains(table) || (reads_ingest_files && table == INGEST_FILES) {
                continue;
            }
            let fingerprint = self.content_fingerprint(table).await?;
            shared.update(format!("\0{table}\0{fingerprint}").as_bytes());
        }

        // The monthly tables' layouts, for a month one of them does not have.
        let mut schemas = BTreeMap::new();
        for table in &monthly {
            let provider = self.ctx.table_provider(table.as_str()).await?;
            schemas.insert(table.clone(), provider.schema());
        }
        let previous = self
            .previous_partitions
            .get(&model.name)
            .cloned()
            .unwrap_or_default();
        let mut records: BTreeMap<String, PartitionRecord> = BTreeMap::new();
        let mut outcomes = Vec::new();
        let mut total = 0u64;
        let (mut built, mut reused) = (0usize, 0usize);
        for month in &months {
            let files: Vec<(&String, Vec<String>)> = monthly
                .iter()
                .map(|t| (t, self.monthly[t].get(month).cloned().unwrap_or_default()))
                .collect();
            let contributing: BTreeSet<&str> = files
                .iter()
                .flat_map(|(_, f)| f.iter().map(String::as_str))
                .collect();
            let ingest_rows: Vec<(usize, &InputRecord)> = if reads_ingest_files {
                self.inputs
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| {
                        i.staged_files
                            .values()
                            .flatten()
                            .any(|f| contributing.contains(f.as_str()))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let mut key = shared.clone();
            key.update(format!("\0month\0{month}").as_bytes());
            for (table, table_files) in &files {
                key.update(format!("\0{table}").as_bytes());
                for f in table_files {
                    key.update(format!("\0{f}").as_bytes());
                }
            }
            for (seq, input) in &ingest_rows {
                // Every column ingest_files shows; not the stamp, which only says how the
                // file last looked on disk (a file touched since is not new data).
                let shown = InputRecord {
                    stamp: None,
                    ..(*input).clone()
                };
                let row = serde_json::to_string(&(seq, shown)).unwrap_or_default();
                key.update(format!("\0{INGEST_FILES}\0{row}").as_bytes());
            }
            let key = hex::encode(key.finalize());

            if let Some(record) = previous
                .get(month)
                .filter(|r| r.key == key && self.data_dir.path(&r.file).is_file())
            {
                outcomes.extend(record.findings.iter().map(|f| {
                    TestOutcome::recorded(&model.name, format!("{} [{month}]", f.test), f)
                }));
                total += record.rows;
                records.insert(month.clone(), record.clone());
                reused += 1;
                continue;
            }

            // The month's view of what the model reads.
            for (table, table_files) in &files {
                self.register_parquet(table, table_files, Some(schemas[*table].clone()))
                    .await?;
            }
            if reads_ingest_files {
                self.ctx.deregister_table(INGEST_FILES)?;
                self.ctx.register_table(
                    INGEST_FILES,
                    Arc::new(crate::ingest_files_rows(&ingest_rows)?),
                )?;
            }
            let relative = format!("warehouse/{}/month={month}/{run_id}.parquet", model.name);
            let step = std::time::Instant::now();
            let df = self.ctx.sql(&model.sql).await.map_err(wrap)?;
            let rows = match self.write_month(&relative, df, column, month).await {
                Err(WarehouseError::Engine(source)) => return Err(wrap(source)),
                Err(WarehouseError::Config { message, .. }) => {
                    return Err(config(format!("model `{}`: {message}", model.name)));
                }
                other => other?,
            };
            let written = step.elapsed();
            // The month's tests, on the month alone.
            self.register_parquet(&model.name, std::slice::from_ref(&relative), None)
                .await?;
            let month_outcomes = crate::run_tests(&self.ctx, model).await?;
            tracing::debug!(
                model = %model.name,
                %month,
                rows,
                built_ms = written.as_millis(),
                tested_ms = (step.elapsed() - written).as_millis(),
                "month built"
            );
            let findings = TestOutcome::findings(&month_outcomes);
            outcomes.extend(month_outcomes.into_iter().map(|mut o| {
                o.name = format!("{} [{month}]", o.name);
                o
            }));
            total += rows;
            records.insert(
                month.clone(),
                PartitionRecord {
                    key,
                    tests_key: String::new(),
                    file: relative,
                    rows,
                    findings,
                },
            );
            built += 1;
        }
        tracing::info!(model = %model.name, built, reused, "partitioned model");

        // Back to every month.
        for table in &monthly {
            let all: Vec<String> = self.monthly[table].values().flatten().cloned().collect();
            self.register_parquet(table, &all, Some(schemas[table].clone()))
                .await?;
        }
        if reads_ingest_files {
            self.ctx.deregister_table(INGEST_FILES)?;
            self.ctx.register_table(
                INGEST_FILES,
                Arc::new(crate::ingest_files_table(&self.inputs)?),
            )?;
        }
        let files: Vec<String> = records.values().map(|r| r.file.clone()).collect();
        if files.is_empty() {
            // No month at all: the model's layout from its plan, with no rows.
            let df = self.ctx.sql(&model.sql).await.map_err(wrap)?;
            let schema = Arc::new(df.schema().as_arrow().clone());
            self.ctx.deregister_table(&model.name)?;
            self.ctx.register_table(
                &model.name,
                Arc::new(MemTable::try_new(schema, vec![vec![]])?),
            )?;
        } else {
            self.register_parquet(&model.name, &files, None).await?;
            self.hold_if_small(&model.name, &files).await?;
        }
        self.monthly.insert(
            model.name.clone(),
            records
                .iter()
                .map(|(m, r)| (m.clone(), vec![r.file.clone()]))
                .collect(),
        );
        self.tables.insert(model.name.clone(), files);
        self.partitions.insert(model.name.clone(), records);
        self.partition_outcomes.insert(model.name.clone(), outcomes);
        Ok(total)
    }

    /// A small partitioned table (an aggregate such as the monthly fact) is read once into
    /// memory for the models and indicators after it: each of their many queries would
    /// otherwise open every month's file again.
    async fn hold_if_small(&mut self, name: &str, files: &[String]) -> Result<()> {
        let bytes: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(self.data_dir.path(f)).ok())
            .map(|m| m.len())
            .sum();
        if bytes > HELD_IN_MEMORY_BYTES {
            return Ok(());
        }
        let df = self.ctx.table(name).await?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        self.ctx.deregister_table(name)?;
        self.ctx
            .register_table(name, Arc::new(MemTable::try_new(schema, vec![batches])?))?;
        Ok(())
    }

    /// Stream `df` into `relative`, checking that every row's `column` is `month`.
    async fn write_month(
        &self,
        relative: &str,
        df: datafusion::dataframe::DataFrame,
        column: &str,
        month: &str,
    ) -> Result<u64> {
        let outside = |message: String| WarehouseError::Config {
            path: relative.into(),
            message,
        };
        let index = df.schema().as_arrow().index_of(column).map_err(|_| {
            outside(format!(
                "partition_by = \"{column}\", but the model has no column `{column}`"
            ))
        })?;
        let keeps_to_month = |batch: &arrow::array::RecordBatch| -> Result<()> {
            let values = arrow::compute::cast(batch.column(index), &DataType::Utf8)?;
            let values = values.as_string::<i32>();
            match (0..values.len()).find(|&i| values.is_null(i) || values.value(i) != month) {
                None => Ok(()),
                Some(i) => Err(outside(format!(
                    "built for month {month}, it wrote a row whose `{column}` is {}: a \
                     partitioned model must keep each row in the month it was built from",
                    if values.is_null(i) {
                        "NULL"
                    } else {
                        values.value(i)
                    }
                ))),
            }
        };
        let (_, rows) = self.write_parquet(relative, df, keeps_to_month).await?;
        Ok(rows)
    }

    /// SHA-256 of a table's rows, independent of their order: each row is hashed from its
    /// values as text (with their lengths, NULL marked), the row hashes sorted and hashed.
    /// Meant for the dimension and reference tables a partitioned model reads whole: it
    /// holds 32 bytes per row.
    pub(crate) async fn content_fingerprint(&self, table: &str) -> Result<String> {
        use arrow::util::display::{ArrayFormatter, FormatOptions};
        let mut stream = self.ctx.table(table).await?.execute_stream().await?;
        let options = FormatOptions::default();
        let mut rows: Vec<[u8; 32]> = Vec::new();
        let mut text = String::new();
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            for r in 0..batch.num_rows() {
                let mut row = Sha256::new();
                for (c, f) in formatters.iter().enumerate() {
                    if batch.column(c).is_null(r) {
                        row.update(b"-|");
                    } else {
                        text.clear();
                        use std::fmt::Write;
                        let _ = write!(text, "{}", f.value(r));
                        row.update(format!("{}:", text.len()).as_bytes());
                        row.update(text.as_bytes());
                        row.update(b"|");
                    }
                }
                rows.push(row.finalize().into());
            }
        }
        rows.sort_unstable();
        let mut digest = Sha256::new();
        digest.update(format!("{} rows\0", rows.len()).as_bytes());
        for row in &rows {
            digest.update(row);
        }
        Ok(hex::encode(digest.finalize()))
    }
}
