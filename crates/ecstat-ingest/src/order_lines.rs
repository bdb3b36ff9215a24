//! The order lines of an export after the normalising query: staged by order month, the
//! rows the SQL rejected quarantined, and every staged line entered in the file's
//! [`LineLedger`], which finds the lines repeated within the file and the file's totals for
//! the reconciliation once the whole file is read.

use std::path::Path;

use arrow::array::{Array, AsArray};
use datafusion::error::DataFusionError;
use futures::StreamExt;

use crate::line_ledger::LineLedger;
use crate::staged::Problem;
use crate::{
    IngestError, NormalisedStream, Output, Result, source_rows, staged, text_column, udf, value_at,
};

/// Order lines: quarantine what the SQL rejected, stage the rest, and (with
/// `check_repeats`) list the later copies of a line written twice in the file.
///
/// A repeated line is staged with its first copy (stg_orders keeps one copy of each line:
/// within a file the first, by row) and listed as a warning, `duplicate_order_line`, so the
/// file's report shows it; it is not counted in the file's totals (the reconciliation).
/// Returns how many lines were staged under the file's unknown shop and the file's totals.
/// `spill_dir` holds the ledger's files past its buffer.
pub(crate) async fn order_rows(
    mut stream: NormalisedStream,
    output: &mut Output<'_>,
    on_rows: &(dyn Fn(u64) + Sync),
    path: &Path,
    check_repeats: bool,
    unknown_shop: &str,
    spill_dir: &Path,
) -> Result<(u64, Option<ecstat_lake::Reconciliation>)> {
    let mut unknown_shop_lines = 0u64;
    let mut latest: Option<i64> = None;
    let engine_err = |source| IngestError::engine(path, source);
    let staged_schema = staged::orders_file_schema();
    let mut ledger = LineLedger::new(spill_dir);
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(engine_err)?;
        on_rows(batch.num_rows() as u64);
        let text = |name: &str| text_column(&batch, name).map_err(engine_err);
        let (rule, order_id, sub_order_id, title, shop_id, status) = (
            text("_reject_rule")?,
            text("order_id")?,
            text("sub_order_id")?,
            text("item_title")?,
            text("shop_id")?,
            text("status")?,
        );
        let money = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| {
                    c.as_primitive_opt::<arrow::datatypes::Decimal128Type>()
                        .cloned()
                })
                .ok_or_else(|| {
                    engine_err(DataFusionError::Internal(format!(
                        "normalised batch lacks {name}"
                    )))
                })
        };
        let (goods, refund) = (money("goods_amount_yuan")?, money("refund_yuan")?);
        let order_time = batch
            .column_by_name("order_time")
            .and_then(|c| {
                c.as_primitive_opt::<arrow::datatypes::TimestampMicrosecondType>()
                    .cloned()
            })
            .ok_or_else(|| {
                engine_err(DataFusionError::Internal(
                    "normalised batch lacks order_time".into(),
                ))
            })?;
        let rows = source_rows(&batch).map_err(engine_err)?;
        // The rows staged, as runs of consecutive rows: written as slices of the batch, not
        // copied out of it (about one line in a thousand is held back).
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for i in 0..batch.num_rows() {
            if rule.is_valid(i) {
                output.quarantine.push(
                    rows.value(i),
                    value_at(&batch, "_reject_column", i),
                    value_at(&batch, "_reject_value", i),
                    rule.value(i),
                );
                continue;
            }
            let line = if sub_order_id.is_valid(i) {
                sub_order_id.value(i)
            } else if title.is_valid(i) {
                title.value(i)
            } else {
                ""
            };
            // Every spec requires the order time, so a line without one was quarantined
            // above; were it not, such lines would be looked for among themselves.
            let day = if order_time.is_valid(i) {
                order_time.value(i).div_euclid(udf::MICROS_PER_DAY)
            } else {
                i64::MIN
            };
            if shop_id.is_valid(i) && shop_id.value(i) == unknown_shop {
                unknown_shop_lines += 1;
            }
            let status = status.is_valid(i).then(|| status.value(i));
            let net = if matches!(status, Some("completed" | "refunded")) {
                (goods.value(i) - refund.value(i)).max(0)
            } else {
                0
            };
            ledger.line(
                u64::try_from(rows.value(i)).unwrap_or(0),
                day,
                order_id.value(i),
                line,
                status == Some("completed"),
                i64::try_from(net).unwrap_or(i64::MAX),
            )?;
            if order_time.is_valid(i) {
                let t = order_time.value(i);
                latest = Some(latest.map_or(t, |l: i64| l.max(t)));
            }
            match runs.last_mut() {
                Some((start, len)) if *start + *len == i => *len += 1,
                _ => runs.push((i, 1)),
            }
        }
        for (start, len) in runs {
            output.write(
                &batch.slice(start, len),
                "order_month",
                "month",
                &staged_schema,
            )?;
        }
    }
    let found = ledger.finish(check_repeats)?;
    for &(row, first) in &found.repeats {
        output.quarantine.push_problem(Problem {
            row: i64::try_from(row).unwrap_or(i64::MAX),
            column: Some("order_id".into()),
            value: Some(format!("同第{first}行 / same line as row {first}")),
            rule: "duplicate_order_line".into(),
            detail: None,
            severity: "warn",
        });
    }
    Ok((
        unknown_shop_lines,
        Some(ecstat_lake::Reconciliation {
            lines: found.lines,
            orders: found.orders,
            completed_orders: found.completed_orders,
            sales_fen: i64::try_from(found.sales_fen).unwrap_or(i64::MAX),
            latest_order_time: latest,
        }),
    ))
}
