//! Ingestion: each inbox file is read as its source spec says, normalised by one DataFusion
//! query, and split into staged Parquet (partitioned by order month) and quarantine rows.
//! Every data row read ends in exactly one of the two.
//!
//! Here: what ingestion needs (`IngestEnv`), one file's ingestion (`ingest_file`) and the
//! rows of a records source. Beside it: the input file and its stamp (`input`), the format
//! readers (`reader`, `json`, `xlsx_package`), the normalising SQL (`normalise`, `records`,
//! `cells`, `udf`), order lines (`order_lines`) with the file's ledger of them, which
//! finds repeated lines and the totals whatever the order of the rows (`line_ledger`),
//! partitioned Parquet writing (`partitioned`) and the staged and
//! quarantine writers (`staged`).

pub mod cells;
pub mod error;
#[cfg(any(test, feature = "fuzz"))]
pub mod fuzz;
mod input;
pub mod json;
mod line_ledger;
pub mod normalise;
mod order_lines;
mod partitioned;
pub mod reader;
pub mod records;
pub mod staged;
pub mod udf;
pub mod xlsx_package;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch, StringArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use ecstat_core::spec::{RecordSpec, SourceSpec};
use ecstat_lake::{DataDir, InputRecord};
use futures::StreamExt;
use sha2::Digest;
use tokio::sync::mpsc;

pub use cells::RecordEnv;
pub use error::{IngestError, Result};
pub use input::InputFile;
pub(crate) use input::sha256_of;
use input::{now_ns, settled_stamp};
use order_lines::order_rows;
use partitioned::{Partitioning, Partitions, write_partitioned};
pub use records::Lookups;
pub use staged::Problem;
use staged::QuarantineBuilder;

/// What ingestion needs besides the file and its spec.
#[derive(Debug, Clone)]
pub struct IngestEnv {
    pub records: RecordEnv,
    /// Reference values for `relationship` checks.
    pub lookups: Arc<Lookups>,
    /// The engine each file's normalising query runs on (its memory pool).
    pub engine: ecstat_engine::Engine,
}

/// Register ingest's functions on a session — the parsing functions of the normalising
/// SQL and those the warehouse models use too (`ecstat_datetime`, `ecstat_share_floor`,
/// `ecstat_share_rem`, `ecstat_month`).
pub fn register_functions(ctx: &datafusion::prelude::SessionContext) {
    udf::register(ctx);
}

/// A session of `engine` with ingest's functions registered.
pub fn session(engine: &ecstat_engine::Engine) -> datafusion::prelude::SessionContext {
    let ctx = engine.session();
    register_functions(&ctx);
    ctx
}

impl IngestEnv {
    /// What, besides its spec, decides how a file of `spec` is read: the division reference,
    /// the reference values its relationship checks use, and the ID salt when it hashes ID
    /// numbers. A file read under another value is read again, so a new salt never leaves
    /// two hashes of one person in a snapshot, and a corrected reference re-checks old rows.
    /// Empty for order exports, which use none of them.
    pub fn fingerprint_for(&self, spec: &SourceSpec) -> String {
        let SourceSpec::Records(records) = spec else {
            return String::new();
        };
        // SHA-256, not a std hasher: the value must not change with the Rust version.
        let mut hasher = sha2::Sha256::new();
        let resolves_divisions = records.columns.iter().any(|c| {
            matches!(
                c.value_type,
                ecstat_core::spec::ValueType::Township | ecstat_core::spec::ValueType::Village
            )
        });
        if resolves_divisions {
            hasher.update(b"divisions:");
            hasher.update(self.records.divisions_digest.as_bytes());
        }
        if !spec.layout().personal.is_empty() {
            hasher.update(b"salt:");
            hasher.update(self.records.salt.as_slice());
        }
        for column in &records.columns {
            for (kind, _) in column.checks() {
                if let ecstat_core::spec::CheckKind::Relationship { table, column } = kind {
                    let key = format!("{table}.{column}");
                    hasher.update(key.as_bytes());
                    for value in self.lookups.get(&key).into_iter().flatten() {
                        hasher.update(value.as_bytes());
                        hasher.update(b"\x1f");
                    }
                }
            }
        }
        hex::encode(&hasher.finalize()[..8])
    }
}

/// Where ingested rows go.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Staged Parquet and quarantine files in a data directory (committed per file).
    Lake(&'a DataDir),
    /// Nowhere: check only (`ecstat validate`).
    CheckOnly,
}

/// The outcome of one file.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub record: InputRecord,
    /// Every quarantined row and warning, by row.
    pub problems: Vec<Problem>,
    /// (column, header as the file writes it) for the columns found.
    pub headers: Vec<(String, String)>,
}

/// Ingest one file. A file-level problem (missing columns, undecodable, empty, unreadable
/// xlsx, a failed file-level check) comes back as an [`InputRecord`] with `error` set and
/// no rows, so the caller records it and goes on with the other files.
pub async fn ingest_file(
    target: Target<'_>,
    spec: Arc<SourceSpec>,
    env: &IngestEnv,
    input: &InputFile,
    run_id: &str,
    on_rows: &(dyn Fn(u64) + Sync),
) -> Result<Ingested> {
    let started = now_ns();
    let hashed_now = input.sha256.is_empty();
    // Records carry the hash in their normalising SQL: taken before.
    let hashed_first;
    let mut unreadable = None;
    let input = match spec.as_ref() {
        SourceSpec::Records(_) if input.sha256.is_empty() => match sha256_of(&input.path) {
            Ok(sha256) => {
                hashed_first = InputFile {
                    sha256,
                    ..input.clone()
                };
                &hashed_first
            }
            Err(e) => {
                unreadable = Some(e.to_string());
                input
            }
        },
        _ => input,
    };
    let mut record = InputRecord {
        source: spec.name().to_string(),
        path: input.relative.clone(),
        sha256: input.sha256.clone(),
        spec_fingerprint: spec.fingerprint(),
        env_fingerprint: env.fingerprint_for(&spec),
        bytes: input.bytes,
        encoding: String::new(),
        rows_read: 0,
        rows_staged: 0,
        rows_quarantined: 0,
        rows_skipped: 0,
        rows_warned: 0,
        notes: Vec::new(),
        error: None,
        staged_files: BTreeMap::new(),
        quarantine_files: Vec::new(),
        run_id: run_id.to_string(),
        received: run_id.to_string(),
        replaces: spec.replaces(),
        carried: false,
        stamp: input.stamp,
        reconciliation: None,
    };
    if let Some(error) = unreadable {
        record.error = Some(error);
        return Ok(Ingested {
            record,
            problems: Vec::new(),
            headers: Vec::new(),
        });
    }
    let ingested = ingest_rows(target, spec, env, input, &mut record, on_rows).await;
    if hashed_now {
        record.stamp = settled_stamp(&input.path, input.stamp, started);
        // A file rejected before it was read to its end is hashed on its own.
        if record.sha256.is_empty() {
            record.sha256 = sha256_of(&input.path).unwrap_or_default();
        }
    }
    match ingested {
        Ok((problems, headers)) => Ok(Ingested {
            record,
            problems,
            headers,
        }),
        Err(e @ (IngestError::Lake { .. } | IngestError::Parquet { .. })) => Err(e),
        // The file is rejected whole: nothing of it counts.
        Err(e) => {
            record.error = Some(e.to_string());
            record.staged_files.clear();
            record.quarantine_files.clear();
            record.rows_read = 0;
            record.rows_staged = 0;
            record.rows_quarantined = 0;
            record.rows_skipped = 0;
            record.rows_warned = 0;
            Ok(Ingested {
                record,
                problems: Vec::new(),
                headers: Vec::new(),
            })
        }
    }
}

/// What the per-kind row loops share: the quarantine and the partitioned writers.
struct Output<'a> {
    target: Target<'a>,
    path: &'a Path,
    source: String,
    table: String,
    file_id: String,
    partitions: Partitions,
    quarantine: QuarantineBuilder,
    staged_rows: u64,
}

impl Output<'_> {
    /// Write rows of `batch` (already filtered to the staged ones) by the value of
    /// `partition_column`, projected to `schema`.
    fn write(
        &mut self,
        batch: &RecordBatch,
        partition_column: &str,
        label: &str,
        schema: &SchemaRef,
    ) -> Result<()> {
        self.staged_rows += batch.num_rows() as u64;
        let Target::Lake(data_dir) = self.target else {
            return Ok(());
        };
        write_partitioned(
            data_dir,
            &Partitioning {
                table: &self.table,
                source: &self.source,
                file_id: &self.file_id,
                column: partition_column,
                label,
                schema,
            },
            batch,
            &mut self.partitions,
            self.path,
        )
    }
}

async fn ingest_rows(
    target: Target<'_>,
    spec: Arc<SourceSpec>,
    env: &IngestEnv,
    input: &InputFile,
    record: &mut InputRecord,
    on_rows: &(dyn Fn(u64) + Sync),
) -> Result<(Vec<Problem>, Vec<(String, String)>)> {
    let path = &input.path;
    let engine_err = |source| IngestError::engine(path, source);
    let layout = Arc::new(spec.layout_for(path));
    // The folder as the inbox names it (`platforms/店铺_…`), not as this run reached it.
    let folder = input
        .relative
        .rsplit_once('/')
        .map(|(folder, _)| folder.to_string())
        .unwrap_or_default();
    let reader = reader::spawn(
        path.clone(),
        folder,
        layout.clone(),
        input.sha256.is_empty(),
    );
    let header = match reader.header.await {
        Ok(h) => h,
        // The reader dropped the header sender: it failed, and says why when joined.
        Err(_) => {
            return Err(match join(reader.done, path)? {
                Err(e) => e,
                Ok(_) => IngestError::NoHeader {
                    path: path.clone(),
                    row: layout.header_row,
                },
            });
        }
    };
    record.encoding = header.encoding.to_string();
    let headers = header.headers.clone();
    let mut present: Vec<String> = header.columns.iter().map(|(c, _)| c.clone()).collect();
    present.extend(layout.file_fields.iter().map(|(c, _)| c.clone()));
    let sql = match spec.as_ref() {
        SourceSpec::Orders(s) => normalise::orders_sql(
            s,
            &present,
            &normalise::UnknownShop::of_file(&input.relative),
        ),
        SourceSpec::Records(s) => records::records_sql(s, &present, &input.sha256, &env.lookups)
            .map_err(|message| IngestError::Spec {
                path: path.clone(),
                message,
            })?,
    };

    let ctx = session(&env.engine);
    cells::register(&ctx, &env.records);
    let partition = Arc::new(ChannelPartition {
        schema: header.schema.clone(),
        rx: Mutex::new(Some(reader.batches)),
    });
    let table =
        StreamingTable::try_new(header.schema.clone(), vec![partition]).map_err(engine_err)?;
    ctx.register_table("raw", Arc::new(table))
        .map_err(engine_err)?;
    let stream = ctx
        .sql(&sql)
        .await
        .map_err(engine_err)?
        .execute_stream()
        .await
        .map_err(engine_err)?;

    let mut output = Output {
        target,
        path,
        source: spec.name().to_string(),
        table: spec.table().to_string(),
        // Named after the content hash once it is known (see below); till then after the
        // path, which no other file of the run has.
        file_id: file_id(
            &hex::encode(sha2::Sha256::digest(input.relative.as_bytes())),
            &record.run_id,
        ),
        partitions: Partitions::new(),
        quarantine: QuarantineBuilder::default(),
        staged_rows: 0,
    };
    let unknown_shop = normalise::UnknownShop::of_file(&input.relative);
    let rows = match spec.as_ref() {
        SourceSpec::Orders(s) => {
            // With order-level columns the SQL already held back repeated lines.
            let check_repeats = !s.has_order_level();
            order_rows(
                stream,
                &mut output,
                on_rows,
                path,
                check_repeats,
                &unknown_shop.id,
                env.engine.spill_dir(),
            )
            .await
        }
        SourceSpec::Records(s) => record_rows(s, stream, &mut output, on_rows, path, &headers)
            .await
            .map(|()| (0, None)),
    };
    // The reader's own verdict first: it may have stopped early for a reason of its own.
    let stats = join(reader.done, path)??;
    if let Some(sha256) = &stats.sha256 {
        record.sha256.clone_from(sha256);
    }
    let (unknown_shop_lines, reconciliation) = rows?;
    record.reconciliation = reconciliation;
    if unknown_shop_lines > 0 {
        record.notes.push(format!(
            "文件中及报送信息中均无店铺，{unknown_shop_lines}行计入“{}”（{}）/ neither the file nor its submission names the shop: {unknown_shop_lines} lines counted under the unknown shop {}",
            unknown_shop.name, unknown_shop.id, unknown_shop.id
        ));
    }
    for reject in &stats.rejects {
        output.quarantine.push(
            i64::try_from(reject.row).unwrap_or(i64::MAX),
            None,
            Some(reject.raw_value.clone()),
            reject.rule,
        );
    }
    record.rows_read = stats.data_rows;
    record.rows_skipped = stats.skipped_rows;
    if let Some(found) = stats.header_row.filter(|&r| r != layout.header_row) {
        record.notes.push(format!(
            "表头在第{found}行（规格为第{}行）/ header found at row {found}, not at row {} as the spec says",
            layout.header_row, layout.header_row
        ));
    }
    record.rows_staged = output.staged_rows;
    record.rows_quarantined = output.quarantine.len() as u64;
    record.rows_warned = output.quarantine.warnings() as u64;
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

    let problems = output.quarantine.into_problems();
    let Target::Lake(data_dir) = target else {
        return Ok((problems, headers));
    };
    let table = spec.table();
    let file_id = file_id(&record.sha256, &record.run_id);
    for (mut pending, writer) in output.partitions.into_values() {
        let file = writer.into_inner().map_err(|source| IngestError::Parquet {
            path: path.clone(),
            source,
        })?;
        pending.rename(&format!("{}-{file_id}.parquet", output.source));
        let name = pending
            .commit(Some(file))
            .map_err(|source| IngestError::lake(path, source))?;
        record
            .staged_files
            .entry(table.to_string())
            .or_default()
            .push(name);
    }
    if !problems.is_empty() {
        let relative = format!("quarantine/{}/{file_id}.parquet", spec.name());
        let name = staged::write_quarantine(
            &problems,
            data_dir,
            &relative,
            spec.name(),
            &input.relative,
            &record.sha256,
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
    Ok((problems, headers))
}

/// How many of `layout`'s columns the header of the file at `path` has, when it has the
/// required ones (the reader's own header search, stopped once the header is known).
pub async fn header_columns(path: &Path, layout: Arc<ecstat_core::spec::Layout>) -> Option<usize> {
    let reader = reader::spawn(path.to_path_buf(), reader::folder_of(path), layout, false);
    let header = reader.header.await.ok();
    // The reader stops at its next batch once nobody receives them.
    drop(reader.batches);
    let _ = reader.done.join();
    header.map(|h| h.columns.len())
}

/// What names a file's staged and quarantine files: its content hash, and the run.
fn file_id(sha256: &str, run_id: &str) -> String {
    format!("{}-{run_id}", &sha256[..16.min(sha256.len())])
}

type NormalisedStream = datafusion::execution::SendableRecordBatchStream;

/// Records: a file-level failure rejects the file; row-level failures and repeated values
/// of `unique` columns are quarantined; warnings are noted and the row is loaded.
async fn record_rows(
    spec: &RecordSpec,
    mut stream: NormalisedStream,
    output: &mut Output<'_>,
    on_rows: &(dyn Fn(u64) + Sync),
    path: &Path,
    headers: &[(String, String)],
) -> Result<()> {
    use ecstat_core::spec::{CheckKind, Severity};
    let engine_err = |source| IngestError::engine(path, source);
    let staged_schema = records::staged_schema(spec);
    // unique checks: (column, the columns that together identify a row, severity, keys seen)
    type UniqueCheck = (String, Vec<String>, Severity, HashSet<String>);
    let mut unique: Vec<UniqueCheck> = spec
        .columns
        .iter()
        .flat_map(|c| {
            c.checks().into_iter().filter_map(|(k, s)| match k {
                CheckKind::Unique(with) => {
                    let mut columns = vec![c.name.clone()];
                    columns.extend(with);
                    Some((c.name.clone(), columns, s, HashSet::new()))
                }
                _ => None,
            })
        })
        .collect();
    let problem = |batch: &RecordBatch, prefix: &str, i: usize, row: i64, severity| Problem {
        row,
        column: value_at(batch, &format!("{prefix}_column"), i),
        value: value_at(batch, &format!("{prefix}_value"), i),
        rule: value_at(batch, &format!("{prefix}_rule"), i).unwrap_or_default(),
        detail: value_at(batch, &format!("{prefix}_detail"), i),
        severity,
    };
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(engine_err)?;
        on_rows(batch.num_rows() as u64);
        let rule = text_column(&batch, "_reject_rule").map_err(engine_err)?;
        let severity = text_column(&batch, "_reject_severity").map_err(engine_err)?;
        let warn = text_column(&batch, "_warn_rule").map_err(engine_err)?;
        let rows = source_rows(&batch).map_err(engine_err)?;
        let text_of = |name: &String| {
            arrow::compute::cast(
                batch.column_by_name(name).ok_or_else(|| {
                    engine_err(DataFusionError::Internal(format!("no column {name}")))
                })?,
                &arrow::datatypes::DataType::Utf8,
            )
            .map_err(|e| engine_err(e.into()))
        };
        let unique_columns = unique
            .iter()
            .map(|(_, columns, _, _)| columns.iter().map(text_of).collect::<Result<Vec<_>>>())
            .collect::<Result<Vec<_>>>()?;
        let mut keep = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            let row = rows.value(i);
            if rule.is_valid(i) {
                let p = problem(&batch, "_reject", i, row, "row");
                if severity.value(i) == "file" {
                    return Err(IngestError::FileCheck {
                        path: path.to_path_buf(),
                        row,
                        column: shown_column(headers, p.column.as_deref()),
                        value: error::clip(&p.value.unwrap_or_default(), reader::MAX_SHOWN_CHARS),
                        reason: format!(
                            "{}{}",
                            normalise::reason(&p.rule),
                            p.detail.map(|d| format!("（{d}）")).unwrap_or_default()
                        ),
                    });
                }
                output.quarantine.push_problem(p);
                keep.push(false);
                continue;
            }
            let mut duplicate = None;
            let mut warnings: Vec<Problem> = Vec::new();
            for ((name, _, sev, seen), arrays) in unique.iter_mut().zip(&unique_columns) {
                // Empty values never collide: a row without the key is not a duplicate.
                if arrays.iter().any(|a| a.is_null(i)) {
                    continue;
                }
                let parts: Vec<&str> = arrays
                    .iter()
                    .map(|a| a.as_string::<i32>().value(i))
                    .collect();
                if seen.insert(parts.join("\u{1f}")) {
                    continue;
                }
                let value = parts.join(" / ");
                let p = Problem {
                    row,
                    column: Some(name.clone()),
                    value: Some(value.clone()),
                    rule: "duplicate_value".into(),
                    detail: None,
                    severity: "row",
                };
                match sev {
                    Severity::File => {
                        return Err(IngestError::FileCheck {
                            path: path.to_path_buf(),
                            row,
                            column: shown_column(headers, Some(name)),
                            value: error::clip(&value, reader::MAX_SHOWN_CHARS),
                            reason: normalise::reason("duplicate_value").to_string(),
                        });
                    }
                    Severity::Row => {
                        duplicate.get_or_insert(p);
                    }
                    Severity::Warn => warnings.push(Problem {
                        severity: "warn",
                        ..p
                    }),
                }
            }
            if let Some(p) = duplicate {
                // Quarantined: its warnings would say "loaded", which it is not.
                warnings.clear();
                output.quarantine.push_problem(p);
                keep.push(false);
                continue;
            }
            for p in warnings.drain(..) {
                output.quarantine.push_problem(p);
            }
            if warn.is_valid(i) {
                output
                    .quarantine
                    .push_problem(problem(&batch, "_warn", i, row, "warn"));
            }
            keep.push(true);
        }
        let staged = filter_record_batch(&batch, &BooleanArray::from(keep))
            .map_err(|e| engine_err(DataFusionError::from(e)))?;
        output.write(&staged, "_key", "key", &staged_schema)?;
    }
    Ok(())
}

/// A column as the submitter knows it: the file's header, with the staged name.
fn shown_column(headers: &[(String, String)], column: Option<&str>) -> String {
    let Some(column) = column else {
        return String::new();
    };
    match headers.iter().find(|(c, _)| c == column) {
        Some((_, header)) if !header.is_empty() => format!("{header} ({column})"),
        // Not a column of the table body: a value from the title rows or the file name.
        _ => format!("{column}（取自标题或文件名 / from the title or file name）"),
    }
}

fn source_rows(
    batch: &RecordBatch,
) -> std::result::Result<arrow::array::Int64Array, DataFusionError> {
    batch
        .column_by_name("source_row")
        .and_then(|c| c.as_primitive_opt::<arrow::datatypes::Int64Type>().cloned())
        .ok_or_else(|| DataFusionError::Internal("normalised batch lacks source_row".into()))
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
#[cfg(test)]
mod tests_bounds;
#[cfg(test)]
mod tests_hostile_cells;
#[cfg(test)]
mod tests_order_level;
#[cfg(test)]
mod tests_records;
