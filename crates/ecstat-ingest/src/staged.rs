//! How the staged tables and the quarantine are written (their layouts are the engine's,
//! `ecstat_engine::layouts`, re-exported here for ingest's own use).

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use ecstat_lake::{DataDir, LakeError};
use parquet::arrow::ArrowWriter;

use crate::error::clip;
use crate::normalise::reason;
use crate::reader::MAX_SHOWN_CHARS;
pub use ecstat_engine::layouts::{
    ORDERS_FILE_HASH, orders_file_schema, orders_schema, parquet_props, quarantine_schema,
    without_file_hash,
};

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
