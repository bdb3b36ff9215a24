//! Layouts of the staged tables and the quarantine, and how they are written.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use ecstat_lake::{DataDir, LakeError};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::clip;
use crate::normalise::reason;
use crate::reader::MAX_SHOWN_CHARS;
use crate::udf::{LOCAL_TIME, MONEY};

/// Parquet settings for every file ecstat writes: zstd, row groups that bound memory.
pub fn parquet_props() -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(256 * 1024))
        .set_created_by("ecstat".into());
    // Nearly every value of these differs: a dictionary would be built and thrown away.
    for column in [
        "source_row",
        "order_id",
        "sub_order_id",
        "order_time",
        "pay_time",
    ] {
        builder = builder.set_column_dictionary_enabled(column.into(), false);
    }
    builder.build()
}

/// Staged `orders`: one row per order line as the platform exported it, parsed.
pub fn orders_schema() -> SchemaRef {
    let text = |n: &str| Field::new(n, DataType::Utf8, true);
    let money = |n: &str| Field::new(n, MONEY, true);
    Arc::new(Schema::new(vec![
        text("source"),
        text("platform"),
        text("file_sha256"),
        Field::new("source_row", DataType::Int64, true),
        text("order_id"),
        text("sub_order_id"),
        text("shop_id"),
        text("shop_name"),
        text("item_title"),
        text("platform_category"),
        Field::new("quantity", DataType::Int64, true),
        money("unit_price_yuan"),
        money("goods_amount_yuan"),
        money("postage_yuan"),
        money("refund_yuan"),
        text("status"),
        text("status_raw"),
        text("after_sale_status"),
        Field::new("order_time", LOCAL_TIME, true),
        Field::new("pay_time", LOCAL_TIME, true),
        text("ship_from"),
        text("order_month"),
    ]))
}

/// The column of staged `orders` that its files do not hold: the SHA-256 of the input
/// file, the same for every row of a file. It is known only once the file has been read to
/// its end (it is hashed as it is parsed), so the warehouse adds it from the input record
/// that lists the file. Files staged before it was left out hold it; it is ignored there.
pub const ORDERS_FILE_HASH: &str = "file_sha256";

/// The layout of a staged `orders` file: [`orders_schema`] without [`ORDERS_FILE_HASH`].
pub fn orders_file_schema() -> SchemaRef {
    without_file_hash(&orders_schema())
}

/// `schema` without [`ORDERS_FILE_HASH`]: what the files of a table with that layout hold.
pub fn without_file_hash(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .filter(|f| f.name() != ORDERS_FILE_HASH)
            .cloned()
            .collect::<Vec<_>>(),
    ))
}

/// Select and cast `batch`'s columns to `schema` (by name).
pub fn project(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let column = batch
                .column_by_name(f.name())
                .ok_or_else(|| ArrowError::SchemaError(format!("missing column {}", f.name())))?;
            if column.data_type() == f.data_type() {
                Ok(column.clone())
            } else {
                cast(column, f.data_type())
            }
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns)
}

/// Quarantine: one row per rejected input row, with where it came from and why.
pub fn quarantine_schema() -> SchemaRef {
    let text = |n: &str, nullable| Field::new(n, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("source", false),
        text("file", false),
        text("file_sha256", false),
        Field::new("row", DataType::Int64, false),
        text("column", true),
        text("raw_value", true),
        text("rule", false),
        text("reason", false),
        text("detail", true),
        text("severity", false),
    ]))
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

/// One problem found in an input row: quarantined (`severity` row) or a warning (`warn`,
/// the row is loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub row: i64,
    pub column: Option<String>,
    pub value: Option<String>,
    pub rule: String,
    /// Row-specific explanation: closest division names, the expected check character.
    pub detail: Option<String>,
    pub severity: &'static str,
}

/// Collects the problems of one file (few by nature; kept in memory).
#[derive(Debug, Default)]
pub struct QuarantineBuilder {
    rows: Vec<Problem>,
}

impl QuarantineBuilder {
    pub fn push(
        &mut self,
        row: i64,
        column: Option<String>,
        raw_value: Option<String>,
        rule: &str,
    ) {
        self.push_problem(Problem {
            row,
            column,
            value: raw_value,
            rule: rule.to_string(),
            detail: None,
            severity: "row",
        });
    }

    /// Values and details are clipped to [`MAX_SHOWN_CHARS`]: the quarantine shows what
    /// was wrong, and a hostile file can make one value megabytes long.
    pub fn push_problem(&mut self, mut problem: Problem) {
        for text in [&mut problem.value, &mut problem.detail]
            .into_iter()
            .flatten()
        {
            if text.len() > MAX_SHOWN_CHARS {
                *text = clip(text, MAX_SHOWN_CHARS);
            }
        }
        self.rows.push(problem);
    }

    /// Quarantined rows (warnings not counted).
    pub fn len(&self) -> usize {
        self.rows.iter().filter(|p| p.severity != "warn").count()
    }

    pub fn warnings(&self) -> usize {
        self.rows.len() - self.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every problem, sorted by row.
    pub fn into_problems(mut self) -> Vec<Problem> {
        self.rows
            .sort_by(|a, b| (a.row, &a.rule).cmp(&(b.row, &b.rule)));
        self.rows
    }
}

/// Write a file's problems (as [`QuarantineBuilder::into_problems`] sorts them) to
/// `relative`.
pub fn write_quarantine(
    problems: &[Problem],
    data_dir: &DataDir,
    relative: &str,
    source: &str,
    file: &str,
    sha256: &str,
) -> Result<String, WriteError> {
    let n = problems.len();
    let mut row = Int64Builder::with_capacity(n);
    let (mut col, mut raw, mut rule, mut why, mut detail, mut severity) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    for p in problems {
        row.append_value(p.row);
        col.append_option(p.column.as_deref());
        raw.append_option(p.value.as_deref());
        rule.append_value(&p.rule);
        why.append_value(reason(&p.rule));
        detail.append_option(p.detail.as_deref());
        severity.append_value(p.severity);
    }
    let repeat = |v: &str| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, n * v.len());
        (0..n).for_each(|_| b.append_value(v));
        Arc::new(b.finish())
    };
    let batch = RecordBatch::try_new(
        quarantine_schema(),
        vec![
            repeat(source),
            repeat(file),
            repeat(sha256),
            Arc::new(row.finish()),
            Arc::new(col.finish()),
            Arc::new(raw.finish()),
            Arc::new(rule.finish()),
            Arc::new(why.finish()),
            Arc::new(detail.finish()),
            Arc::new(severity.finish()),
        ],
    )?;
    let mut pending = data_dir.create(relative)?;
    let file_writer = pending.take_writer();
    let Some(file_writer) = file_writer else {
        return Err(WriteError::Lake(LakeError::Io {
            path: relative.into(),
            source: std::io::Error::other("writer taken"),
        }));
    };
    let mut writer = ArrowWriter::try_new(file_writer, batch.schema(), Some(parquet_props()))?;
    writer.write(&batch)?;
    let out = writer.into_inner()?;
    Ok(pending.commit(Some(out))?)
}
