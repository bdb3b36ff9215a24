//! Ingestion: each inbox file is read as its source spec says, normalised by one DataFusion
//! query, and split into staged Parquet (partitioned by order month) and quarantine rows.
//! Every data row read ends in exactly one of the two.

pub mod engine;
pub mod error;
pub mod normalise;
pub mod reader;
pub mod staged;
pub mod udf;

use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch, StringArray};
use arrow::compute::{filter_record_batch, kernels::cmp::eq};
use arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use ecstat_core::spec::SourceSpec;
use ecstat_lake::{DataDir, InputRecord};
use futures::StreamExt;
use parquet::arrow::ArrowWriter;
use tokio::sync::mpsc;

pub use error::{IngestError, Result};
use staged::{QuarantineBuilder, parquet_props};

/// One file to ingest.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: std::path::PathBuf,
    /// `/`-separated path relative to the inbox (lossy UTF-8).
    pub relative: String,
    pub sha256: String,
    pub bytes: u64,
}

/// Ingest one file into the data directory. A file-level problem (missing columns,
/// undecodable, empty, unreadable xlsx) comes back as an [`InputRecord`] with `error`
/// set and no rows, so the caller records it and goes on with the other files.
pub async fn ingest_file(
    data_dir: &DataDir,
    spec: Arc<SourceSpec>,
    input: &InputFile,
    run_id: &str,
    on_rows: &(dyn Fn(u64) + Sync),
) -> Result<InputRecord> {
    let mut record = InputRecord {
        source: spec.name.clone(),
        path: input.relative.clone(),
        sha256: input.sha256.clone(),
        spec_fingerprint: spec.fingerprint(),
        bytes: input.bytes,
        encoding: String::new(),
        rows_read: 0,
        rows_staged: 0,
        rows_quarantined: 0,
        rows_skipped: 0,
        error: None,
        staged_files: BTreeMap::new(),
        quarantine_files: Vec::new(),
        run_id: run_id.to_string(),
    };
    match ingest_rows(data_dir, spec, input, &mut record, on_rows).await {
        Ok(()) => Ok(record),
        Err(e @ (IngestError::Lake { .. } | IngestError::Parquet { .. })) => Err(e),
        Err(e) => {
            record.error = Some(e.to_string());
            record.staged_files.clear();
            record.rows_read = 0;
            record.rows_staged = 0;
            record.rows_quarantined = 0;
            record.rows_skipped = 0;
            Ok(record)
        }
    }
}

async fn ingest_rows(
    data_dir: &DataDir,
    spec: Arc<SourceSpec>,
    input: &InputFile,
    record: &mut InputRecord,
    on_rows: &(dyn Fn(u64) + Sync),
) -> Result<()> {
    let path = &input.path;
    let engine_err = |source| IngestError::engine(path, source);
    let reader = reader::spawn(path.clone(), spec.clone());
    let header = match reader.header.await {
        Ok(h) => h,
        // The reader dropped the header sender: it failed, and says why when joined.
        Err(_) => {
            return Err(match join(reader.done, path)? {
                Err(e) => e,
                Ok(_) => IngestError::NoHeader {
                    path: path.clone(),
                    row: spec.header_row,
                },
            });
        }
    };
    record.encoding = header.encoding.to_string();
    let present: Vec<String> = header.columns.iter().map(|(c, _)| c.clone()).collect();
    let sql = normalise::orders_sql(&spec, &present, &input.sha256);

    let ctx = engine::session();
    let partition = Arc::new(ChannelPartition {
        schema: header.schema.clone(),
        rx: Mutex::new(Some(reader.batches)),
    });
    let table =
        StreamingTable::try_new(header.schema.clone(), vec![partition]).map_err(engine_err)?;
    ctx.register_table("raw", Arc::new(table))
        .map_err(engine_err)?;
    let mut stream = ctx
        .sql(&sql)
        .await
        .map_err(engine_err)?
        .execute_stream()
        .await
        .map_err(engine_err)?;

    let staged_schema = staged::orders_schema();
    let mut months = MonthWriters::new();
    let mut quarantine = QuarantineBuilder::default();
    // Identities of the staged order lines: order id plus sub-order id, or the item title
    // where the export has no sub-order id (the same rule as stg_orders). Two independently
    // seeded 64-bit hashes make a 128-bit key: 10M lines in ~320 MB, and a false duplicate
    // among them about as likely as never.
    let (h1, h2) = (std::hash::RandomState::new(), std::hash::RandomState::new());
    let mut seen: HashSet<u128> = HashSet::new();
    let short = format!("{}-{}", &input.sha256[..16], record.run_id);

    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(engine_err)?;
        on_rows(batch.num_rows() as u64);
        let text = |name: &str| text_column(&batch, name).map_err(engine_err);
        let (rule, order_id, sub_order_id, title) = (
            text("_reject_rule")?,
            text("order_id")?,
            text("sub_order_id")?,
            text("item_title")?,
        );
        let rows = batch
            .column_by_name("source_row")
            .and_then(|c| c.as_primitive_opt::<arrow::datatypes::Int64Type>().cloned())
            .ok_or_else(|| {
                engine_err(DataFusionError::Internal(
                    "normalised batch lacks source_row".into(),
                ))
            })?;
        let mut keep = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            if rule.is_valid(i) {
                quarantine.push(
                    rows.value(i),
                    value_at(&batch, "_reject_column", i),
                    value_at(&batch, "_reject_value", i),
                    rule.value(i),
                );
                keep.push(false);
                continue;
            }
            let line = if sub_order_id.is_valid(i) {
                sub_order_id.value(i)
            } else if title.is_valid(i) {
                title.value(i)
            } else {
                ""
            };
            let identity = (order_id.value(i), line);
            let key = (u128::from(h1.hash_one(identity)) << 64) | u128::from(h2.hash_one(identity));
            if seen.insert(key) {
                keep.push(true);
            } else {
                quarantine.push(
                    rows.value(i),
                    Some("order_id".into()),
                    Some(format!("{} / {line}", order_id.value(i))),
                    "duplicate_order_line",
                );
                keep.push(false);
            }
        }
        let staged = filter_record_batch(&batch, &BooleanArray::from(keep))
            .map_err(|e| engine_err(DataFusionError::from(e)))?;
        let staged = staged::project(&staged, &staged_schema)
            .map_err(|e| engine_err(DataFusionError::from(e)))?;
        record.rows_staged += staged.num_rows() as u64;
        write_by_month(data_dir, &spec.name, &short, &staged, &mut months, path)?;
    }
    let stats = join(reader.done, path)??;
    for reject in &stats.rejects {
        quarantine.push(
            i64::try_from(reject.row).unwrap_or(i64::MAX),
            None,
            Some(reject.raw_value.clone()),
            reject.rule,
        );
    }
    record.rows_read = stats.data_rows;
    record.rows_skipped = stats.skipped_rows;
    record.rows_quarantined = quarantine.len() as u64;
    // Every row read is staged or quarantined, exactly once; checked before anything of
    // this file is committed.
    if record.rows_read != record.rows_staged + record.rows_quarantined {
        return Err(IngestError::Accounting {
            path: path.clone(),
            read: record.rows_read,
            staged: record.rows_staged,
            quarantined: record.rows_quarantined,
        });
    }

    let table = spec.table.name();
    for (pending, writer) in months.into_values() {
        let out = writer.into_inner().map_err(|source| IngestError::Parquet {
            path: path.clone(),
            source,
        })?;
        let name = pending
            .commit(Some(out))
            .map_err(|source| IngestError::lake(path, source))?;
        record
            .staged_files
            .entry(table.to_string())
            .or_default()
            .push(name);
    }
    if !quarantine.is_empty() {
        let relative = format!("quarantine/{}/{short}.parquet", spec.name);
        let name = quarantine
            .write(
                data_dir,
                &relative,
                &spec.name,
                &input.relative,
                &input.sha256,
            )
            .map_err(|e| match e {
                staged::WriteError::Lake(source) => IngestError::lake(path, source),
                staged::WriteError::Parquet(source) => IngestError::Parquet {
                    path: path.clone(),
                    source,
                },
                staged::WriteError::Arrow(e) => IngestError::Parquet {
                    path: path.clone(),
                    source: e.into(),
                },
            })?;
        record.quarantine_files.push(name);
    }
    Ok(())
}

fn join(
    handle: std::thread::JoinHandle<Result<reader::ReaderStats>>,
    path: &Path,
) -> Result<Result<reader::ReaderStats>> {
    handle.join().map_err(|_| IngestError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other("reader thread panicked"),
    })
}

fn value_at(batch: &RecordBatch, column: &str, i: usize) -> Option<String> {
    let array = batch.column_by_name(column)?.as_string_opt::<i32>()?;
    array.is_valid(i).then(|| array.value(i).to_string())
}

/// A text column of a normalised batch (plain Utf8: the session never produces views).
fn text_column(
    batch: &RecordBatch,
    name: &str,
) -> std::result::Result<StringArray, DataFusionError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>().cloned())
        .ok_or_else(|| {
            DataFusionError::Internal(format!("normalised batch lacks text column {name}"))
        })
}

/// Bytes a month's Parquet writer may buffer before it writes out a row group.
const MONTH_WRITER_BUFFER: usize = 8 * 1024 * 1024;

type MonthWriters = BTreeMap<
    String,
    (
        ecstat_lake::PendingFile,
        ArrowWriter<std::io::BufWriter<std::fs::File>>,
    ),
>;

fn write_by_month(
    data_dir: &DataDir,
    source: &str,
    file_id: &str,
    batch: &RecordBatch,
    months: &mut MonthWriters,
    path: &Path,
) -> Result<()> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    let lake = |source| IngestError::lake(path, source);
    let pq = |source| IngestError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let month_col = batch
        .column_by_name("order_month")
        .and_then(|c| c.as_string_opt::<i32>().cloned())
        .ok_or_else(|| IngestError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("order_month missing"),
        })?;
    let distinct: std::collections::BTreeSet<&str> = month_col.iter().flatten().collect();
    for month in distinct {
        let mask = eq(&month_col, &StringArray::new_scalar(month)).map_err(|e| pq(e.into()))?;
        let part = filter_record_batch(batch, &mask).map_err(|e| pq(e.into()))?;
        if !months.contains_key(month) {
            let relative = format!("staged/orders/month={month}/{source}-{file_id}.parquet");
            let mut pending = data_dir.create(&relative).map_err(lake)?;
            let Some(file) = pending.take_writer() else {
                return Err(lake(ecstat_lake::LakeError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other("writer taken"),
                }));
            };
            let writer =
                ArrowWriter::try_new(file, batch.schema(), Some(parquet_props())).map_err(pq)?;
            months.insert(month.to_string(), (pending, writer));
        }
        if let Some((_, writer)) = months.get_mut(month) {
            writer.write(&part).map_err(pq)?;
            // One writer per month is open at once: cap what each buffers, so a file
            // spanning three years holds megabytes, not its whole content, in memory.
            if writer.memory_size() > MONTH_WRITER_BUFFER {
                writer.flush().map_err(pq)?;
            }
        }
    }
    Ok(())
}

/// Feeds the reader's batches into DataFusion as a one-partition streaming table.
#[derive(Debug)]
struct ChannelPartition {
    schema: SchemaRef,
    rx: Mutex<
        Option<
            mpsc::Receiver<std::result::Result<RecordBatch, datafusion::error::DataFusionError>>,
        >,
    >,
}

impl PartitionStream for ChannelPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<datafusion::execution::TaskContext>) -> SendableRecordBatchStream {
        let Some(rx) = self.rx.lock().ok().and_then(|mut guard| guard.take()) else {
            // The file's rows can be streamed once; a second scan would silently see none.
            let error =
                DataFusionError::Internal("the raw rows of a file were scanned twice".into());
            let stream = futures::stream::once(async move { Err(error) });
            return Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream));
        };
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            let next = rx.recv().await?;
            Some((next, rx))
        });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream))
    }
}

#[cfg(test)]
mod tests;
