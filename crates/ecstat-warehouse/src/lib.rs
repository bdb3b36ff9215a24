//! The warehouse: one snapshot of the data directory as DataFusion tables — the staged and
//! system tables of its inputs, reference tables, the programme — the SQL models that build
//! it, and read-only queries over it. Beside this file: the model files and their selection
//! (`models`), monthly partitions reused between runs (`partitions`), reference tables
//! (`reference`), ecstat's own tables (`system_tables`) and the model tests (`testing`).

pub mod error;
pub mod models;
mod partitions;
pub mod reference;
mod system_tables;
mod testing;

pub use system_tables::system_schemas;
use system_tables::{ingest_files_rows, ingest_files_table, submissions_table};
pub use testing::{FAILING_SAMPLE, TestOutcome};
use testing::{first_int, run_tests};

/// The table the programme (the project file's `[programme]`) is published as.
pub const PROGRAMME_TABLE: &str = "cfg_programme";

/// The layout of [`PROGRAMME_TABLE`]: one row.
pub fn programme_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("county_code", DataType::Utf8, false),
        Field::new("county_name", DataType::Utf8, false),
        Field::new("baseline_year", DataType::Int32, false),
        Field::new("first_year", DataType::Int32, false),
        Field::new("last_year", DataType::Int32, false),
    ]))
}

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::dataframe::DataFrame;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use ecstat_core::programme::Programme;
use ecstat_lake::{DataDir, InputRecord, Manifest};
use futures::StreamExt;
use parquet::arrow::ArrowWriter;

pub use error::{Result, WarehouseError};
pub use models::Model;
pub use reference::ReferenceTable;

/// Tables that describe the snapshot itself rather than the data.
pub const SYSTEM_TABLES: &[&str] = &["orders", "quarantine", "ingest_files", "submissions"];

/// A session over one snapshot (or over a snapshot being built).
pub struct Warehouse {
    ctx: SessionContext,
    data_dir: DataDir,
    /// Warehouse tables written or registered so far, with their files.
    tables: std::collections::BTreeMap<String, Vec<String>>,
    /// Staged tables of the records sources (department registers, reports, …).
    staged: Vec<String>,
    /// The snapshot's inputs (for `ingest_files` restricted to one month's files).
    inputs: Vec<InputRecord>,
    /// Tables stored one month per folder — staged orders, partitioned models — by month.
    monthly: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>>,
    /// Partitions of the partitioned models of this snapshot (for the manifest).
    partitions: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, ecstat_lake::PartitionRecord>,
    >,
    /// Partitions of the snapshot before, which a build reuses when their key is unchanged.
    previous_partitions: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, ecstat_lake::PartitionRecord>,
    >,
    /// Test outcomes of the partitioned models built (or reused) in this session.
    partition_outcomes: std::collections::BTreeMap<String, Vec<TestOutcome>>,
    /// Models built whole in this session, or reused (for the manifest).
    models: std::collections::BTreeMap<String, ecstat_lake::PartitionRecord>,
    /// Models built whole in the snapshot before, which a build reuses when their key is
    /// unchanged.
    previous_models: std::collections::BTreeMap<String, ecstat_lake::PartitionRecord>,
    /// Models reused whole from the snapshot before.
    reused_models: BTreeSet<String>,
    /// Fingerprints of the tables read by the models built so far ([`Warehouse::fingerprint`]).
    fingerprints: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl std::fmt::Debug for Warehouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warehouse")
            .field("root", &self.data_dir.root())
            .finish()
    }
}

impl Warehouse {
    /// The staged and system tables of `inputs` (a snapshot being built), on `ctx` — a
    /// session of the engine, with the functions the models call registered (ingest's:
    /// `ecstat_ingest::session`). `layouts` gives the layout of staged tables besides
    /// `orders`, so a table exists even when no file has fed it; tables not listed are read
    /// with the layout of their files.
    pub async fn for_inputs(
        ctx: SessionContext,
        data_dir: &DataDir,
        inputs: &[InputRecord],
        layouts: &[(String, SchemaRef)],
    ) -> Result<Self> {
        let mut wh = Self {
            ctx,
            data_dir: data_dir.clone(),
            tables: Default::default(),
            staged: Vec::new(),
            inputs: inputs.to_vec(),
            monthly: Default::default(),
            partitions: Default::default(),
            previous_partitions: Default::default(),
            partition_outcomes: Default::default(),
            models: Default::default(),
            previous_models: Default::default(),
            reused_models: Default::default(),
            fingerprints: Default::default(),
        };
        let staged = ecstat_lake::staged_files(inputs, "orders");
        wh.note_monthly("orders", &staged);
        wh.register_parquet(
            "orders",
            &staged,
            Some(ecstat_engine::layouts::orders_schema()),
        )
        .await?;
        let mut tables: std::collections::BTreeSet<&str> = inputs
            .iter()
            .flat_map(|i| i.staged_files.keys().map(String::as_str))
            .collect();
        tables.extend(layouts.iter().map(|(t, _)| t.as_str()));
        tables.remove("orders");
        for table in tables {
            wh.staged.push(table.to_string());
            let files = ecstat_lake::staged_files(inputs, table);
            let schema = layouts
                .iter()
                .find(|(t, _)| t == table)
                .map(|(_, s)| s.clone());
            if files.is_empty() && schema.is_none() {
                continue;
            }
            wh.note_monthly(table, &files);
            wh.register_parquet(table, &files, schema).await?;
        }
        wh.ctx
            .register_table("submissions", Arc::new(submissions_table(inputs)?))?;
        let quarantine = ecstat_lake::quarantine_files(inputs);
        wh.register_parquet(
            "quarantine",
            &quarantine,
            Some(ecstat_engine::layouts::quarantine_schema()),
        )
        .await?;
        wh.ctx
            .register_table("ingest_files", Arc::new(ingest_files_table(inputs)?))?;
        Ok(wh)
    }

    /// A read-only session over a published snapshot. `layouts` as for
    /// [`Warehouse::for_inputs`]: staged tables no file has fed exist only when given.
    pub async fn for_snapshot(
        ctx: SessionContext,
        data_dir: &DataDir,
        manifest: &Manifest,
        layouts: &[(String, SchemaRef)],
    ) -> Result<Self> {
        let mut wh = Self::for_inputs(ctx, data_dir, &manifest.inputs, layouts).await?;
        for (table, files) in &manifest.tables {
            wh.register_parquet(table, files, None).await?;
            wh.tables.insert(table.clone(), files.clone());
        }
        for (model, months) in &manifest.partitions {
            wh.monthly.insert(
                model.clone(),
                months
                    .iter()
                    .map(|(m, p)| (m.clone(), vec![p.file.clone()]))
                    .collect(),
            );
        }
        wh.partitions = manifest.partitions.clone();
        wh.previous_partitions = manifest.partitions.clone();
        // A model `build` does not build again keeps its record.
        wh.models = manifest.models.clone();
        Ok(wh)
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Warehouse tables built or registered, with their files (for the manifest).
    pub fn tables(&self) -> &std::collections::BTreeMap<String, Vec<String>> {
        &self.tables
    }

    /// Partitions of the partitioned models (for the manifest).
    pub fn partitions(
        &self,
    ) -> &std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, ecstat_lake::PartitionRecord>,
    > {
        &self.partitions
    }

    /// Models built whole (for the manifest).
    pub fn models(&self) -> &std::collections::BTreeMap<String, ecstat_lake::PartitionRecord> {
        &self.models
    }

    /// Let builds reuse the partitions and models of `manifest` (the snapshot before) whose
    /// key is unchanged.
    pub fn reuse_partitions_of(&mut self, manifest: &Manifest) {
        self.previous_partitions = manifest.partitions.clone();
        self.previous_models = manifest.models.clone();
    }

    async fn register_parquet(
        &self,
        name: &str,
        files: &[String],
        schema: Option<SchemaRef>,
    ) -> Result<()> {
        if files.is_empty() {
            let schema = schema.unwrap_or_else(|| Arc::new(Schema::empty()));
            let table = MemTable::try_new(schema, vec![vec![]])?;
            self.ctx.deregister_table(name)?;
            self.ctx.register_table(name, Arc::new(table))?;
            return Ok(());
        }
        let table: Arc<dyn datafusion::catalog::TableProvider> = if name == "orders" {
            self.staged_orders(files, schema).await?
        } else {
            Arc::new(self.listing(files, schema).await?)
        };
        self.ctx.deregister_table(name)?;
        self.ctx.register_table(name, table)?;
        Ok(())
    }

    /// `files` as one table, with `schema` or the layout read from the files.
    async fn listing(&self, files: &[String], schema: Option<SchemaRef>) -> Result<ListingTable> {
        let urls = files
            .iter()
            .map(|f| ListingTableUrl::parse(self.data_dir.path(f).to_string_lossy()))
            .collect::<datafusion::error::Result<Vec<_>>>()?;
        // The session's Parquet options (plain Utf8, not string views), not the format's defaults.
        let format =
            ParquetFormat::default().with_options(self.ctx.state().table_options().parquet.clone());
        let options = ListingOptions::new(Arc::new(format)).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options);
        let config = match schema {
            Some(schema) => config.with_schema(schema),
            None => config.infer_schema(&self.ctx.state()).await?,
        };
        Ok(ListingTable::try_new(config)?)
    }

    /// Staged orders: the files of each input file, with the input's hash as
    /// `file_sha256` (the files do not hold it; see `ecstat_engine::layouts::ORDERS_FILE_HASH`).
    async fn staged_orders(
        &self,
        files: &[String],
        schema: Option<SchemaRef>,
    ) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
        use datafusion::prelude::{col, lit};
        use ecstat_engine::layouts::ORDERS_FILE_HASH;
        let schema = schema.unwrap_or_else(ecstat_engine::layouts::orders_schema);
        let file_schema = ecstat_engine::layouts::without_file_hash(&schema);
        let hash_of: std::collections::HashMap<&str, &str> = self
            .inputs
            .iter()
            .flat_map(|i| {
                i.staged_files
                    .get("orders")
                    .into_iter()
                    .flatten()
                    .map(|f| (f.as_str(), i.sha256.as_str()))
            })
            .collect();
        let mut by_hash: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        for file in files {
            let Some(sha256) = hash_of.get(file.as_str()) else {
                return Err(WarehouseError::Config {
                    path: self.data_dir.path(file),
                    message: "a staged orders file no input record lists".into(),
                });
            };
            by_hash.entry(sha256).or_default().push(file.clone());
        }
        let mut all: Option<DataFrame> = None;
        for (sha256, files) in by_hash {
            let table = self.listing(&files, Some(file_schema.clone())).await?;
            let columns = schema.fields().iter().map(|f| {
                if f.name() == ORDERS_FILE_HASH {
                    lit(sha256).alias(ORDERS_FILE_HASH)
                } else {
                    col(datafusion::common::Column::from_name(f.name()))
                }
            });
            let df = self.ctx.read_table(Arc::new(table))?.select(columns)?;
            all = Some(match all {
                Some(all) => all.union(df)?,
                None => df,
            });
        }
        match all {
            Some(df) => Ok(df.into_view()),
            None => Ok(Arc::new(MemTable::try_new(schema, vec![vec![]])?)),
        }
    }

    /// Write the programme as the one-row table `cfg_programme` of this snapshot
    /// (county_code, county_name, baseline_year, first_year, last_year): models and their
    /// tests read the county from it, never from a literal in their SQL.
    pub async fn write_programme(&mut self, programme: &Programme, run_id: &str) -> Result<u64> {
        let schema = programme_schema();
        let year = |y: i32| Arc::new(Int32Array::from(vec![y])) as ArrayRef;
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![programme.county_code.as_str()])),
                Arc::new(StringArray::from(vec![programme.county_name.as_str()])),
                year(programme.baseline_year),
                year(programme.first_year()),
                year(programme.last_year()),
            ],
        )?;
        let df = self.ctx.read_batch(batch)?;
        self.write_table(PROGRAMME_TABLE, df, run_id).await
    }

    /// Load a reference CSV into the warehouse as a table of this snapshot.
    pub async fn load_reference(
        &mut self,
        table: &ReferenceTable,
        dir: &std::path::Path,
        run_id: &str,
    ) -> Result<u64> {
        let path = table.path(dir);
        if !path.is_file() {
            return Err(WarehouseError::Config {
                path,
                message: format!("reference table `{}` has no file", table.name),
            });
        }
        let options = ListingOptions::new(Arc::new(CsvFormat::default().with_has_header(true)))
            .with_file_extension(".csv");
        let url = ListingTableUrl::parse(path.to_string_lossy())?;
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(table.schema());
        let source = format!("__src_{}", table.name);
        self.ctx
            .register_table(&source, Arc::new(ListingTable::try_new(config)?))?;
        let df = self.ctx.table(&source).await?;
        let rows = self.write_table(&table.name, df, run_id).await?;
        self.ctx.deregister_table(&source)?;
        Ok(rows)
    }

    /// Run one model and register its output. Returns the rows written.
    pub async fn build_model(&mut self, model: &Model, run_id: &str) -> Result<u64> {
        if let Some(column) = &model.doc.partition_by {
            return self.build_partitioned(model, column, run_id).await;
        }
        let wrap = |source| WarehouseError::Model {
            model: model.name.clone(),
            path: model.path.clone(),
            source,
        };
        let key = self.model_key(model).await?;
        if let Some(record) = self
            .previous_models
            .get(&model.name)
            .filter(|r| r.key == key && self.data_dir.path(&r.file).is_file())
            .cloned()
        {
            tracing::info!(model = %model.name, "model reused: its SQL and inputs are unchanged");
            self.register_parquet(&model.name, std::slice::from_ref(&record.file), None)
                .await?;
            self.tables
                .insert(model.name.clone(), vec![record.file.clone()]);
            self.reused_models.insert(model.name.clone());
            let rows = record.rows;
            self.models.insert(model.name.clone(), record);
            return Ok(rows);
        }
        let df = self.ctx.sql(&model.sql).await.map_err(wrap)?;
        // Planning errors surface when the plan is optimised and run: name the model there too.
        let rows = match self.write_table(&model.name, df, run_id).await {
            Err(WarehouseError::Engine(source)) => Err(wrap(source)),
            other => other,
        }?;
        let file = self.tables[&model.name][0].clone();
        self.models.insert(
            model.name.clone(),
            ecstat_lake::PartitionRecord {
                key,
                file,
                rows,
                // Filled in when the model is tested.
                tests_key: String::new(),
                findings: Vec::new(),
            },
        );
        Ok(rows)
    }

    /// The key a model built whole is built under: SHA-256 of ecstat's version, the
    /// model's SQL, and the fingerprint of every table it reads.
    async fn model_key(&self, model: &Model) -> Result<String> {
        self.key_of(b"ecstat model v1", &model.sql, &model.reads)
            .await
    }

    /// The key of a model's tests: SHA-256 of ecstat's version, the tests, and the
    /// fingerprint of every other table they read (known once every model is built).
    async fn tests_key(&self, model: &Model) -> Result<String> {
        let mut text = String::new();
        let mut reads = BTreeSet::new();
        for test in models::test_queries(model) {
            text.push_str(&format!(
                "{}\0{}\0{}\0",
                test.name, test.failing_sql, test.warning
            ));
            reads.extend(models::table_references(&self.ctx, &test.failing_sql)?);
        }
        reads.remove(&model.name);
        self.key_of(b"ecstat tests v1", &text, &reads).await
    }

    async fn key_of(&self, kind: &[u8], text: &str, reads: &BTreeSet<String>) -> Result<String> {
        use sha2::{Digest, Sha256};
        let mut key = Sha256::new();
        key.update(kind);
        key.update(format!("\0{}\0", env!("CARGO_PKG_VERSION")).as_bytes());
        key.update(text.as_bytes());
        for table in reads {
            // A table function (generate_series) is named like a table: its arguments are
            // in the text.
            if !self.ctx.table_exist(table.as_str())? {
                continue;
            }
            let fingerprint = self.fingerprint(table).await?;
            key.update(format!("\0{table}\0{fingerprint}").as_bytes());
        }
        Ok(hex::encode(key.finalize()))
    }

    /// What a model's key takes of a table it reads. A table held in files of more than
    /// [`HELD_IN_MEMORY_BYTES`] (the order lines) is known by its files' names: a file is
    /// never rewritten, and a new name means a new build. Any other table is known by its
    /// content ([`Warehouse::content_fingerprint`]): the reference tables are written again
    /// by every run, with the same rows. Kept for the session; tables are built once.
    async fn fingerprint(&self, table: &str) -> Result<String> {
        let cached = self
            .fingerprints
            .lock()
            .ok()
            .and_then(|f| f.get(table).cloned());
        if let Some(fingerprint) = cached {
            return Ok(fingerprint);
        }
        let mut files: Vec<&String> = match self.monthly.get(table) {
            Some(months) => months.values().flatten().collect(),
            None => self.tables.get(table).into_iter().flatten().collect(),
        };
        files.sort();
        let bytes: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(self.data_dir.path(f)).ok())
            .map(|m| m.len())
            .sum();
        let fingerprint = if bytes > partitions::HELD_IN_MEMORY_BYTES {
            use sha2::{Digest, Sha256};
            let mut names = Sha256::new();
            for file in files {
                names.update(format!("{file}\0").as_bytes());
            }
            format!("files:{}", hex::encode(names.finalize()))
        } else {
            self.content_fingerprint(table).await?
        };
        if let Ok(mut f) = self.fingerprints.lock() {
            f.insert(table.to_string(), fingerprint.clone());
        }
        Ok(fingerprint)
    }

    /// Stream `df` into `warehouse/NAME/RUN.parquet`, register it and remember it.
    pub async fn write_table(&mut self, name: &str, df: DataFrame, run_id: &str) -> Result<u64> {
        let relative = format!("warehouse/{name}/{run_id}.parquet");
        let (file, rows) = self.write_parquet(&relative, df, |_| Ok(())).await?;
        self.register_parquet(name, std::slice::from_ref(&file), None)
            .await?;
        self.tables.insert(name.to_string(), vec![file]);
        Ok(rows)
    }

    /// Stream `df` into the data-directory file `relative`, passing each batch to `check`
    /// before it is written (an error leaves no file). Returns the file's name and rows.
    async fn write_parquet(
        &self,
        relative: &str,
        df: DataFrame,
        mut check: impl FnMut(&RecordBatch) -> Result<()>,
    ) -> Result<(String, u64)> {
        let parquet = |source| WarehouseError::Parquet {
            table: relative.to_string(),
            source,
        };
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let mut stream = df.execute_stream().await?;
        let mut pending = self.data_dir.create(relative)?;
        let Some(file) = pending.take_writer() else {
            return Err(WarehouseError::Config {
                path: relative.into(),
                message: "writer already taken".into(),
            });
        };
        let mut writer =
            ArrowWriter::try_new(file, schema, Some(ecstat_engine::layouts::parquet_props()))
                .map_err(parquet)?;
        let mut rows = 0u64;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            check(&batch)?;
            rows += batch.num_rows() as u64;
            writer.write(&batch).map_err(parquet)?;
        }
        let out = writer.into_inner().map_err(parquet)?;
        let file = pending.commit(Some(out))?;
        Ok((file, rows))
    }

    /// Plan a read-only query: DDL, DML and settings changes are refused.
    pub async fn query(&self, sql: &str) -> Result<DataFrame> {
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let plan = self.ctx.state().create_logical_plan(sql).await?;
        options
            .verify_plan(&plan)
            .map_err(|e| WarehouseError::NotReadOnly(e.to_string()))?;
        Ok(self.ctx.execute_logical_plan(plan).await?)
    }

    /// Every queryable table with its row count, sorted by name.
    /// Every table of the session: built or registered, system and staged, sorted.
    pub fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tables.keys().cloned().collect();
        names.extend(SYSTEM_TABLES.iter().map(|s| s.to_string()));
        names.extend(self.staged.iter().cloned());
        names.sort();
        names
    }

    /// Rows of one table.
    pub async fn row_count(&self, name: &str) -> Result<u64> {
        let batches = self
            .ctx
            .sql(&format!("SELECT count(*) FROM \"{name}\""))
            .await?
            .collect()
            .await?;
        Ok(first_int(&batches, 0).unwrap_or(0).max(0) as u64)
    }

    pub async fn table_counts(&self) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        for name in self.table_names() {
            let n = self.row_count(&name).await?;
            out.push((name, n));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{ColumnDoc, ColumnTest, ModelDoc, TableTest};
    use arrow::array::AsArray;
    use arrow::array::Int64Array;

    /// Model tests must be able to fail: a table with a duplicate, a null and a bad value.
    #[tokio::test]
    async fn model_tests_count_the_rows_that_break_them() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(|source| WarehouseError::Io {
            path: "tmp".into(),
            source,
        })?;
        let lake = DataDir::open(tmp.path())?;
        let mut wh =
            Warehouse::for_inputs(ecstat_engine::Engine::default().session(), &lake, &[], &[])
                .await?;
        wh.ctx
            .sql("CREATE TABLE t AS VALUES ('a', 1), ('a', 2), (NULL, 3), ('b', -4)")
            .await?
            .collect()
            .await?;
        let columns = [
            (
                "column1".to_string(),
                ColumnDoc {
                    description: "key".into(),
                    tests: vec![
                        ColumnTest::NotNull,
                        ColumnTest::Unique,
                        ColumnTest::AcceptedValues(vec!["a".into()]),
                    ],
                },
            ),
            (
                "column2".to_string(),
                ColumnDoc {
                    description: "amount".into(),
                    tests: vec![ColumnTest::Relationships("orders.source_row".into())],
                },
            ),
        ];
        let model = Model {
            name: "t".into(),
            sql: String::new(),
            path: "t.sql".into(),
            depends_on: Default::default(),
            reads: Default::default(),
            doc: ModelDoc {
                partition_by: None,
                description: "test".into(),
                grain: "one row per test".into(),
                columns: columns.into_iter().collect(),
                tests: vec![
                    TableTest::Expression("column2 > 0".into()),
                    TableTest::UniqueCombination(vec!["column1".into(), "column2".into()]),
                ],
                warnings: vec![TableTest::Expression("column2 < 3".into())],
                calendar: false,
                confidential: false,
            },
        };
        let outcomes = wh.test_model(&model).await?;
        let failing: Vec<(String, u64, bool)> = outcomes
            .into_iter()
            .map(|o| (o.name, o.failing_rows, o.warning))
            .collect();
        assert_eq!(
            failing,
            vec![
                ("not_null(column1)".to_string(), 1, false),
                ("unique(column1)".to_string(), 1, false),
                ("accepted_values(column1)".to_string(), 1, false),
                (
                    "relationships(column2 -> orders.source_row)".to_string(),
                    4,
                    false
                ),
                ("expression(column2 > 0)".to_string(), 1, false),
                ("unique_combination(column1, column2)".to_string(), 0, false),
                // (a, 2), (NULL, 3), (b, -4): only 3 breaks `column2 < 3`; a warning.
                ("expression(column2 < 3)".to_string(), 1, true),
            ]
        );
        Ok(())
    }

    /// Staged order files hold no `file_sha256` (it is known only once the file was read);
    /// `orders` shows each file's input hash from the record listing it. Files staged by
    /// earlier versions hold the column, and read the same.
    #[tokio::test]
    async fn staged_orders_show_the_hash_of_the_input_that_staged_them() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(|source| WarehouseError::Io {
            path: "tmp".into(),
            source,
        })?;
        let lake = DataDir::open(tmp.path())?;
        let write = |relative: &str, schema: SchemaRef, rows: &[i64], sha256: &str| {
            let columns: Vec<ArrayRef> = schema
                .fields()
                .iter()
                .map(|f| -> ArrayRef {
                    match f.name().as_str() {
                        "source_row" => Arc::new(Int64Array::from(rows.to_vec())),
                        "file_sha256" => Arc::new(StringArray::from(vec![sha256; rows.len()])),
                        "order_month" => Arc::new(StringArray::from(vec!["2019-03"; rows.len()])),
                        _ => arrow::array::new_null_array(f.data_type(), rows.len()),
                    }
                })
                .collect();
            let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
            let mut pending = lake.create(relative).expect("create");
            let mut writer =
                ArrowWriter::try_new(pending.take_writer().expect("writer"), schema, None)
                    .expect("writer");
            writer.write(&batch).expect("write");
            pending
                .commit(Some(writer.into_inner().expect("close")))
                .expect("commit")
        };
        let (old_sha, new_sha) = ("a".repeat(64), "b".repeat(64));
        let old = write(
            "staged/orders/month=2019-03/t-aaaa-r1.parquet",
            ecstat_engine::layouts::orders_schema(),
            &[2, 3],
            &old_sha,
        );
        let new = write(
            "staged/orders/month=2019-03/t-bbbb-r2.parquet",
            ecstat_engine::layouts::orders_file_schema(),
            &[2, 3, 4],
            "",
        );
        let input = |file: &str, sha256: &str, run: &str| {
            let mut record = InputRecord::rejected("t", file, sha256, String::new(), run);
            record.error = None;
            record
                .staged_files
                .insert("orders".into(), vec![file.to_string()]);
            record
        };
        let inputs = [input(&old, &old_sha, "r1"), input(&new, &new_sha, "r2")];
        let wh = Warehouse::for_inputs(
            ecstat_engine::Engine::default().session(),
            &lake,
            &inputs,
            &[],
        )
        .await?;
        let batches = wh
            .ctx
            .sql(
                "SELECT file_sha256, count(*) AS n, sum(source_row) AS s FROM orders \
                 GROUP BY file_sha256 ORDER BY file_sha256",
            )
            .await?
            .collect()
            .await?;
        let b = &batches[0];
        let hashes: Vec<&str> = b.column(0).as_string::<i32>().iter().flatten().collect();
        let counts: Vec<i64> = b
            .column(1)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .values()
            .to_vec();
        let sums: Vec<i64> = b
            .column(2)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .values()
            .to_vec();
        assert_eq!(hashes, vec![old_sha.as_str(), new_sha.as_str()]);
        assert_eq!(counts, vec![2, 3]);
        assert_eq!(sums, vec![5, 9]);
        Ok(())
    }

    #[tokio::test]
    async fn queries_are_read_only() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(|source| WarehouseError::Io {
            path: "tmp".into(),
            source,
        })?;
        let lake = DataDir::open(tmp.path())?;
        let wh = Warehouse::for_inputs(ecstat_engine::Engine::default().session(), &lake, &[], &[])
            .await?;
        for sql in [
            "CREATE TABLE x AS SELECT 1",
            "DROP TABLE orders",
            "SET datafusion.execution.batch_size = 1",
        ] {
            assert!(wh.query(sql).await.is_err(), "{sql} must be refused");
        }
        assert!(wh.query("SELECT count(*) FROM orders").await.is_ok());
        Ok(())
    }
}
