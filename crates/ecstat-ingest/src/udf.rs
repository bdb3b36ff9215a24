//! Scalar functions that turn raw text cells into typed values inside the ingest SQL.
//! Each returns NULL where the text cannot be read, so the generated SQL can tell "empty"
//! (`ecstat_text(x) IS NULL`) from "unreadable" (text present, parsed value NULL).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Decimal128Builder, Int64Builder, StringArray,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;
use ecstat_core::amount::{AmountUnit, Rounding, parse_fen};
use ecstat_core::datetime::DateTimeFormats;
use ecstat_core::text::{clean_cell, is_lossy_id};

pub use ecstat_engine::layouts::{DECIMAL, LOCAL_TIME, MONEY};

/// Microseconds of a day: times are stored as microseconds since 1970-01-01.
pub(crate) const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Register the ingest functions on a session.
pub fn register(ctx: &SessionContext) {
    for kind in [
        Kind::Text,
        Kind::Present,
        Kind::Amount,
        Kind::Int,
        Kind::DateTime,
        Kind::LossyId,
    ] {
        ctx.register_udf(ScalarUDF::from(RawParse::new(kind)));
    }
    ctx.register_udf(ScalarUDF::from(MonthOf::new()));
    for remainder in [false, true] {
        ctx.register_udf(ScalarUDF::from(Share::new(remainder)));
    }
}

/// One line's share of an order amount, pro rata to its weight: `|amount| × weight ÷
/// total` in whole fen, as its quotient (`ecstat_share_floor`, signed as the amount) and
/// remainder (`ecstat_share_rem`). The largest-remainder method gives the fen left over
/// by the quotients to the lines of the largest remainders (the ingest SQL ranks them), so
/// the shares always add up to the order's amount. Computed in 128 bits: no overflow for
/// any amount of Decimal(18,2) and weight of 64 bits.
pub fn share(amount_fen: i64, weight: i64, total: i64) -> Option<(i64, i64)> {
    if total <= 0 || weight < 0 || weight > total {
        return None;
    }
    let product = i128::from(amount_fen).unsigned_abs() * weight.unsigned_abs() as u128;
    let total = total.unsigned_abs() as u128;
    let quotient = i64::try_from(product / total).ok()?;
    let remainder = i64::try_from(product % total).ok()?;
    Some((quotient * amount_fen.signum(), remainder))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Share {
    remainder: bool,
    signature: Signature,
}

impl Share {
    fn new(remainder: bool) -> Self {
        Self {
            remainder,
            signature: Signature::exact(
                vec![DataType::Int64, DataType::Int64, DataType::Int64],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for Share {
    fn name(&self) -> &str {
        if self.remainder {
            "ecstat_share_rem"
        } else {
            "ecstat_share_floor"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let ints = |i: usize| arrays[i].as_primitive::<arrow::datatypes::Int64Type>();
        let (amount, weight, total) = (ints(0), ints(1), ints(2));
        let mut b = Int64Builder::with_capacity(rows);
        for i in 0..rows {
            let value = if amount.is_valid(i) && weight.is_valid(i) && total.is_valid(i) {
                share(amount.value(i), weight.value(i), total.value(i))
                    .map(|(q, r)| if self.remainder { r } else { q })
            } else {
                None
            };
            b.append_option(value);
        }
        Ok(ColumnarValue::Array(Arc::new(b.finish())))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Text,
    /// Whether the cell holds text: `ecstat_text(x) IS NOT NULL` without building the text.
    Present,
    Amount,
    Int,
    DateTime,
    /// Whether an id cell is what a spreadsheet left of it (`text::is_lossy_id`).
    LossyId,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct RawParse {
    kind: Kind,
    signature: Signature,
}

impl RawParse {
    fn new(kind: Kind) -> Self {
        let signature = match kind {
            Kind::Text | Kind::Present | Kind::Int | Kind::LossyId => {
                Signature::any(1, Volatility::Immutable)
            }
            // ecstat_amount(cell, unit [, rounding])
            Kind::Amount => Signature::one_of(
                vec![TypeSignature::Any(2), TypeSignature::Any(3)],
                Volatility::Immutable,
            ),
            Kind::DateTime => Signature::any(2, Volatility::Immutable),
        };
        Self { kind, signature }
    }
}

fn utf8(value: &ColumnarValue, rows: usize) -> Result<StringArray> {
    let array = value.to_array(rows)?;
    let array = cast(&array, &DataType::Utf8)?;
    match array.as_any().downcast_ref::<StringArray>() {
        Some(a) => Ok(a.clone()),
        None => exec_err!("expected text, got {}", array.data_type()),
    }
}

fn literal(value: &ColumnarValue, what: &str) -> Result<String> {
    match value {
        ColumnarValue::Scalar(ScalarValue::Utf8(Some(s)))
        | ColumnarValue::Scalar(ScalarValue::Utf8View(Some(s)))
        | ColumnarValue::Scalar(ScalarValue::LargeUtf8(Some(s))) => Ok(s.clone()),
        other => exec_err!("{what} must be a text literal, got {other:?}"),
    }
}

impl ScalarUDFImpl for RawParse {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Text => "ecstat_text",
            Kind::Present => "ecstat_present",
            Kind::Amount => "ecstat_amount",
            Kind::Int => "ecstat_int",
            Kind::DateTime => "ecstat_datetime",
            Kind::LossyId => "ecstat_lossy_id",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Text => DataType::Utf8,
            Kind::Present => DataType::Boolean,
            Kind::Amount => MONEY,
            Kind::Int => DataType::Int64,
            Kind::DateTime => LOCAL_TIME,
            Kind::LossyId => DataType::Boolean,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = utf8(&args.args[0], rows)?;
        let cells = input.iter().map(|v| v.and_then(clean_cell));
        let out: ArrayRef = match self.kind {
            // Most columns have nothing to clean: then the input is the output, not a copy.
            Kind::Text
                if input.iter().all(|v| {
                    v.is_none_or(|s| clean_cell(s).is_some_and(|c| c.len() == s.len()))
                }) =>
            {
                Arc::new(input.clone())
            }
            Kind::Text => {
                let mut b = StringBuilder::with_capacity(rows, input.value_data().len());
                cells.for_each(|c| b.append_option(c));
                Arc::new(b.finish())
            }
            Kind::Present => Arc::new(BooleanArray::from_iter(cells.map(|c| Some(c.is_some())))),
            Kind::LossyId => Arc::new(BooleanArray::from_iter(
                cells.map(|c| Some(c.is_some_and(is_lossy_id))),
            )),
            Kind::Int => {
                let mut b = Int64Builder::with_capacity(rows);
                cells.for_each(|c| b.append_option(c.and_then(parse_int)));
                Arc::new(b.finish())
            }
            Kind::Amount => {
                let name = literal(&args.args[1], "amount unit")?;
                let Some(unit) = [AmountUnit::Yuan, AmountUnit::WanYuan, AmountUnit::YiYuan]
                    .into_iter()
                    .find(|u| u.as_str() == name)
                else {
                    return exec_err!("unknown amount unit {name}");
                };
                let rounding = match args.args.get(2) {
                    Some(arg) => {
                        let name = literal(arg, "amount rounding")?;
                        let Some(rounding) = Rounding::named(&name) else {
                            return exec_err!("unknown amount rounding {name}");
                        };
                        rounding
                    }
                    None => Rounding::Exact,
                };
                let mut b = Decimal128Builder::with_capacity(rows);
                cells.for_each(|c| {
                    b.append_option(c.and_then(|s| parse_fen(s, unit, rounding).ok()))
                });
                Arc::new(b.finish().with_data_type(MONEY))
            }
            Kind::DateTime => {
                let formats = literal(&args.args[1], "datetime formats")?;
                let formats: Vec<&str> = formats.split('|').collect();
                let formats = DateTimeFormats::new(&formats);
                let mut b = TimestampMicrosecondBuilder::with_capacity(rows);
                cells.for_each(|c| {
                    b.append_option(
                        c.and_then(|s| formats.parse(s))
                            .map(|dt| dt.and_utc().timestamp_micros()),
                    )
                });
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// `ecstat_month_of(t)`: the `YYYY-MM` of a local time, as `to_char(t, '%Y-%m')` gives it,
/// without parsing a format per row. Order exports are in time order, so the month of the
/// row before is usually the month of this one.
#[derive(Debug, PartialEq, Eq, Hash)]
struct MonthOf {
    signature: Signature,
}

impl MonthOf {
    fn new() -> Self {
        Self {
            signature: Signature::exact(vec![LOCAL_TIME], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for MonthOf {
    fn name(&self) -> &str {
        "ecstat_month_of"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use chrono::Datelike;
        let rows = args.number_rows;
        let input = args.args[0].to_array(rows)?;
        let Some(times) = input.as_primitive_opt::<arrow::datatypes::TimestampMicrosecondType>()
        else {
            return exec_err!(
                "ecstat_month_of expects a timestamp, got {}",
                input.data_type()
            );
        };
        let mut b = StringBuilder::with_capacity(rows, rows * 7);
        // Days since the epoch [first, last] of the month last formatted, and its text.
        let mut cached: Option<(i64, i64, String)> = None;
        for t in times.iter() {
            let Some(t) = t else {
                b.append_null();
                continue;
            };
            let day = t.div_euclid(MICROS_PER_DAY);
            if let Some((first, last, text)) = &cached
                && (*first..=*last).contains(&day)
            {
                b.append_value(text);
                continue;
            }
            let Some(date) = chrono::DateTime::from_timestamp_micros(t).map(|d| d.date_naive())
            else {
                b.append_null();
                continue;
            };
            let first = date.with_day(1).unwrap_or(date);
            let next = first
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(first);
            let epoch_day = |d: chrono::NaiveDate| i64::from(d.num_days_from_ce() - 719_163);
            let text = first.format("%Y-%m").to_string();
            b.append_value(&text);
            cached = Some((epoch_day(first), epoch_day(next) - 1, text));
        }
        Ok(ColumnarValue::Array(Arc::new(b.finish())))
    }
}

/// What a records cell function returns for one row.
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    /// Scaled integer of the function's decimal type.
    Decimal(i128),
    /// Days since 1970-01-01.
    Date(i32),
    Bool(bool),
}

type CellFn = dyn Fn(&[Option<&str>]) -> Cell + Send + Sync;

/// A row-by-row function over text arguments, for the records sources: department files
/// are small, and each rule lives in `ecstat-core` where it is tested on its own.
pub struct TextFn {
    name: &'static str,
    out: DataType,
    f: Arc<CellFn>,
    signature: Signature,
}

impl TextFn {
    pub fn new(
        name: &'static str,
        arity: usize,
        out: DataType,
        f: impl Fn(&[Option<&str>]) -> Cell + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            out,
            f: Arc::new(f),
            signature: Signature::any(arity, Volatility::Immutable),
        }
    }
}

impl std::fmt::Debug for TextFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextFn").field("name", &self.name).finish()
    }
}

impl PartialEq for TextFn {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.f, &other.f)
    }
}

impl Eq for TextFn {}

impl std::hash::Hash for TextFn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for TextFn {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.out.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let inputs = args
            .args
            .iter()
            .map(|a| utf8(a, rows))
            .collect::<Result<Vec<_>>>()?;
        let mut cells = Vec::with_capacity(rows);
        let mut row_args: Vec<Option<&str>> = Vec::with_capacity(inputs.len());
        for i in 0..rows {
            row_args.clear();
            row_args.extend(inputs.iter().map(|a| a.is_valid(i).then(|| a.value(i))));
            cells.push((self.f)(&row_args));
        }
        let out: ArrayRef = match &self.out {
            DataType::Utf8 => Arc::new(
                cells
                    .into_iter()
                    .map(|c| match c {
                        Cell::Text(s) => Some(s),
                        _ => None,
                    })
                    .collect::<StringArray>(),
            ),
            DataType::Int64 => Arc::new(
                cells
                    .into_iter()
                    .map(|c| match c {
                        Cell::Int(v) => Some(v),
                        _ => None,
                    })
                    .collect::<arrow::array::Int64Array>(),
            ),
            DataType::Decimal128(p, s) => Arc::new(
                cells
                    .into_iter()
                    .map(|c| match c {
                        Cell::Decimal(v) => Some(v),
                        _ => None,
                    })
                    .collect::<arrow::array::Decimal128Array>()
                    .with_precision_and_scale(*p, *s)?,
            ),
            DataType::Date32 => Arc::new(
                cells
                    .into_iter()
                    .map(|c| match c {
                        Cell::Date(v) => Some(v),
                        _ => None,
                    })
                    .collect::<arrow::array::Date32Array>(),
            ),
            DataType::Boolean => Arc::new(
                cells
                    .into_iter()
                    .map(|c| match c {
                        Cell::Bool(v) => Some(v),
                        _ => None,
                    })
                    .collect::<arrow::array::BooleanArray>(),
            ),
            other => return exec_err!("{}: unsupported return type {other}", self.name),
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// Integers as exports write them: `3`, `3.0` (xlsx numbers), full-width digits not accepted.
fn parse_int(s: &str) -> Option<i64> {
    let s = s.strip_suffix(".0").unwrap_or(s);
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Decimal128Array, Int64Array, TimestampMicrosecondArray};
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn functions_parse_in_sql() -> Result<()> {
        let ctx = SessionContext::new();
        register(&ctx);
        let batches = ctx
            .sql(
                "SELECT ecstat_text(' =\"0012\" ') AS t, ecstat_amount('1,234.50元', 'yuan') AS a,
                        ecstat_amount('1.5', 'wan_yuan') AS w, ecstat_amount('abc', 'yuan') AS bad,
                        ecstat_int('3.0') AS q,
                        ecstat_datetime('2019年03月05日 12:03:04', '%Y年%m月%d日 %H:%M:%S') AS d",
            )
            .await?
            .collect()
            .await?;
        let b = &batches[0];
        let text = b
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("utf8");
        assert_eq!(text.value(0), "0012");
        let a = b
            .column(1)
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .expect("dec");
        assert_eq!(a.value(0), 123_450);
        let w = b
            .column(2)
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .expect("dec");
        assert_eq!(w.value(0), 1_500_000);
        assert!(b.column(3).is_null(0));
        let q = b
            .column(4)
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("int");
        assert_eq!(q.value(0), 3);
        let d = b
            .column(5)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .expect("ts");
        assert_eq!(d.value(0), 1_551_787_384_000_000);
        Ok(())
    }

    #[tokio::test]
    async fn month_of_agrees_with_to_char_and_present_with_text() -> Result<()> {
        let ctx = SessionContext::new();
        register(&ctx);
        // Every hour across 1969-12 to 2021-03 (month and year ends, leap days, before the
        // epoch), in time order and shuffled by the modulus, then a null.
        let batches = ctx
            .sql(
                "WITH t AS (
                   SELECT to_timestamp_micros(
                     (-2678400 + ((value * 7919) % 449000) * 3600) * 1000000 + value % 3600000000
                   ) AS t
                   FROM generate_series(0, 448999)
                   UNION ALL SELECT to_timestamp_micros(value * 3599000000) FROM generate_series(0, 449000)
                   UNION ALL SELECT arrow_cast(NULL, 'Timestamp(Microsecond, None)')
                 )
                 SELECT count(*) AS n,
                        count(*) FILTER (WHERE ecstat_month_of(t) IS DISTINCT FROM to_char(t, '%Y-%m')) AS differ,
                        count(DISTINCT ecstat_month_of(t)) AS months
                 FROM t",
            )
            .await?
            .collect()
            .await?;
        let b = &batches[0];
        let int = |i: usize| {
            b.column(i)
                .as_primitive::<arrow::datatypes::Int64Type>()
                .value(0)
        };
        assert_eq!(int(0), 898_002);
        assert_eq!(int(1), 0, "ecstat_month_of differs from to_char");
        assert!(int(2) > 600, "{} months", int(2));

        let batches = ctx
            .sql(
                "SELECT count(*) FILTER (WHERE ecstat_present(x) IS DISTINCT FROM (ecstat_text(x) IS NOT NULL))
                 FROM (VALUES (' '), ('\u{3000}'), ('=\"\"'), (''), ('a'), (' =\" 1\" '), (CAST(NULL AS VARCHAR))) AS v(x)",
            )
            .await?
            .collect()
            .await?;
        assert_eq!(
            batches[0]
                .column(0)
                .as_primitive::<arrow::datatypes::Int64Type>()
                .value(0),
            0
        );
        Ok(())
    }
}
