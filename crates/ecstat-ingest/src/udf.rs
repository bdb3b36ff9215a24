//! Scalar functions that turn raw text cells into typed values inside the ingest SQL.
//! Each returns NULL where the text cannot be read, so the generated SQL can tell "empty"
//! (`ecstat_text(x) IS NULL`) from "unreadable" (text present, parsed value NULL).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Decimal128Builder, Int64Builder, StringArray, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use ecstat_core::amount::{AmountUnit, parse_fen};
use ecstat_core::datetime::DateTimeFormats;
use ecstat_core::text::clean_cell;

/// Money type of every staged and warehouse amount.
pub const MONEY: DataType = DataType::Decimal128(18, 2);
/// Naive Asia/Shanghai wall-clock time.
pub const LOCAL_TIME: DataType = DataType::Timestamp(TimeUnit::Microsecond, None);
/// Non-money numbers of department records (areas, shares).
pub const DECIMAL: DataType = DataType::Decimal128(18, 4);

/// Register the ingest functions on a session.
pub fn register(ctx: &SessionContext) {
    for kind in [Kind::Text, Kind::Amount, Kind::Int, Kind::DateTime] {
        ctx.register_udf(ScalarUDF::from(RawParse::new(kind)));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Text,
    Amount,
    Int,
    DateTime,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct RawParse {
    kind: Kind,
    signature: Signature,
}

impl RawParse {
    fn new(kind: Kind) -> Self {
        let arity = if kind == Kind::Text || kind == Kind::Int {
            1
        } else {
            2
        };
        Self {
            kind,
            signature: Signature::any(arity, Volatility::Immutable),
        }
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
            Kind::Amount => "ecstat_amount",
            Kind::Int => "ecstat_int",
            Kind::DateTime => "ecstat_datetime",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Text => DataType::Utf8,
            Kind::Amount => MONEY,
            Kind::Int => DataType::Int64,
            Kind::DateTime => LOCAL_TIME,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = utf8(&args.args[0], rows)?;
        let cells = input.iter().map(|v| v.and_then(clean_cell));
        let out: ArrayRef = match self.kind {
            Kind::Text => {
                let mut b = StringBuilder::with_capacity(rows, input.value_data().len());
                cells.for_each(|c| b.append_option(c));
                Arc::new(b.finish())
            }
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
                let mut b = Decimal128Builder::with_capacity(rows);
                cells.for_each(|c| b.append_option(c.and_then(|s| parse_fen(s, unit).ok())));
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
}
