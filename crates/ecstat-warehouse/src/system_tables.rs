//! The tables ecstat itself provides beside the staged sources: `ingest_files` (every
//! input file of a snapshot, the lineage of every figure) and `submissions` (which file is
//! current for each key of a source whose later files replace earlier ones).

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, StringBuilder, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use ecstat_lake::InputRecord;

use crate::Result;

/// The layouts of the tables every session has besides the staged sources (`orders`,
/// `quarantine`, `ingest_files`, `submissions`): what `ecstat docs` plans the models on
/// when it documents the warehouse without a data directory.
pub fn system_schemas() -> Result<Vec<(&'static str, SchemaRef)>> {
    use datafusion::catalog::TableProvider;
    Ok(vec![
        ("orders", ecstat_engine::layouts::orders_schema()),
        ("quarantine", ecstat_engine::layouts::quarantine_schema()),
        ("ingest_files", ingest_files_table(&[])?.schema()),
        ("submissions", submissions_table(&[])?.schema()),
    ])
}

/// `ingest_files`: one row per input file of the snapshot, the lineage of every figure.
pub(crate) fn ingest_files_table(inputs: &[InputRecord]) -> Result<MemTable> {
    let all: Vec<(usize, &InputRecord)> = inputs.iter().enumerate().collect();
    ingest_files_rows(&all)
}

/// `ingest_files` with the given rows, each with its `ingest_seq` (its index among the
/// snapshot's inputs).
pub(crate) fn ingest_files_rows(inputs: &[(usize, &InputRecord)]) -> Result<MemTable> {
    let text = |n: &str| Field::new(n, DataType::Utf8, true);
    let count = |n: &str| Field::new(n, DataType::UInt64, false);
    let schema = Arc::new(Schema::new(vec![
        Field::new("ingest_seq", DataType::Int64, false),
        text("source"),
        text("file"),
        text("file_sha256"),
        count("bytes"),
        text("encoding"),
        count("rows_read"),
        count("rows_staged"),
        count("rows_quarantined"),
        count("rows_skipped"),
        count("rows_warned"),
        text("notes"),
        text("error"),
        text("run_id"),
        text("received"),
        Field::new("lines", DataType::UInt64, true),
        Field::new("orders", DataType::UInt64, true),
        Field::new("completed_orders", DataType::UInt64, true),
        Field::new("sales_yuan", DataType::Decimal128(18, 2), true),
        Field::new(
            "latest_order_time",
            DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
            true,
        ),
    ]));
    let tally = |f: &dyn Fn(&ecstat_lake::Reconciliation) -> u64| -> ArrayRef {
        Arc::new(
            inputs
                .iter()
                .map(|(_, i)| i.reconciliation.as_ref().map(f))
                .collect::<UInt64Array>(),
        )
    };
    let strings = |f: &dyn Fn(&InputRecord) -> Option<String>| -> ArrayRef {
        Arc::new(inputs.iter().map(|(_, i)| f(i)).collect::<StringArray>())
    };
    let counts = |f: &dyn Fn(&InputRecord) -> u64| -> ArrayRef {
        Arc::new(inputs.iter().map(|(_, i)| f(i)).collect::<UInt64Array>())
    };
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(
                inputs
                    .iter()
                    .map(|(seq, _)| *seq as i64)
                    .collect::<Int64Array>(),
            ),
            strings(&|i| Some(i.source.clone())),
            strings(&|i| Some(i.path.clone())),
            strings(&|i| Some(i.sha256.clone())),
            counts(&|i| i.bytes),
            strings(&|i| Some(i.encoding.clone())),
            counts(&|i| i.rows_read),
            counts(&|i| i.rows_staged),
            counts(&|i| i.rows_quarantined),
            counts(&|i| i.rows_skipped),
            counts(&|i| i.rows_warned),
            strings(&|i| (!i.notes.is_empty()).then(|| i.notes.join("; "))),
            strings(&|i| i.error.clone()),
            strings(&|i| Some(i.run_id.clone())),
            strings(&|i| Some(i.received.clone())),
            tally(&|r| r.lines),
            tally(&|r| r.orders),
            tally(&|r| r.completed_orders),
            Arc::new(
                inputs
                    .iter()
                    .map(|(_, i)| i.reconciliation.map(|r| i128::from(r.sales_fen)))
                    .collect::<arrow::array::Decimal128Array>()
                    .with_precision_and_scale(18, 2)?,
            ),
            Arc::new(
                inputs
                    .iter()
                    .map(|(_, i)| i.reconciliation.and_then(|r| r.latest_order_time))
                    .collect::<arrow::array::TimestampMicrosecondArray>(),
            ),
        ],
    )?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}

/// `submissions`: for every partition of a replacing source (a township and month, a
/// quarter's months, a whole register), which file the snapshot reads and which earlier
/// files it replaced. The replaced rows stay readable in the snapshots before.
pub(crate) fn submissions_table(inputs: &[InputRecord]) -> Result<MemTable> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("partition", DataType::Utf8, false),
        Field::new("file", DataType::Utf8, false),
        Field::new("file_sha256", DataType::Utf8, false),
        Field::new("received", DataType::Utf8, false),
        Field::new("current", DataType::Boolean, false),
        Field::new("replaced_by", DataType::Utf8, true),
    ]));
    let superseded = ecstat_lake::superseded(inputs);
    let (mut source, mut partition, mut file, mut sha, mut received, mut current, mut by) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        arrow::array::BooleanBuilder::new(),
        StringBuilder::new(),
    );
    for (index, input) in inputs.iter().enumerate().filter(|(_, i)| i.replaces) {
        let mut partitions: Vec<&str> = input
            .staged_files
            .values()
            .flatten()
            .map(|f| ecstat_lake::partition_of(f))
            .collect();
        partitions.sort();
        partitions.dedup();
        for part in partitions {
            let winner = superseded
                .iter()
                .find(|(i, p, _)| *i == index && p == part)
                .map(|(_, _, w)| w.as_str());
            source.append_value(&input.source);
            partition.append_value(part);
            file.append_value(&input.path);
            sha.append_value(&input.sha256);
            received.append_value(&input.received);
            current.append_value(winner.is_none());
            by.append_option(winner);
        }
    }
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(source.finish()),
            Arc::new(partition.finish()),
            Arc::new(file.finish()),
            Arc::new(sha.finish()),
            Arc::new(received.finish()),
            Arc::new(current.finish()),
            Arc::new(by.finish()),
        ],
    )?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}
