//! Text that a spreadsheet will not run as a formula (OWASP "CSV injection"): a cell that
//! starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so Excel
//! and WPS show it as text instead of evaluating `=HYPERLINK(…)` from a shop name. Numbers
//! are not text and are left alone; only string cells change.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::error::ArrowError;

/// The characters that make a spreadsheet treat a cell as a formula (or, for tab and CR,
/// hide one behind them).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `s` with a `'` in front when a spreadsheet would read it as a formula.
pub fn neutralize(s: &str) -> Cow<'_, str> {
    if s.starts_with(FORMULA_START) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// `batch` with [`neutralize`] applied to every string column (Utf8, LargeUtf8, Utf8View
/// and dictionaries of them); other columns and the schema are kept as they are.
pub fn neutralize_batch(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .map(neutralize_column)
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(batch.schema(), columns)
}

fn neutralize_column(column: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let is_text =
        |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let text = match column.data_type() {
        t if is_text(t) => true,
        DataType::Dictionary(_, values) => is_text(values),
        _ => false,
    };
    if !text {
        return Ok(column.clone());
    }
    let utf8 = cast(column, &DataType::Utf8)?;
    let strings = utf8.as_string::<i32>();
    if !strings
        .iter()
        .flatten()
        .any(|s| s.starts_with(FORMULA_START))
    {
        return Ok(column.clone());
    }
    let safe: StringArray = strings.iter().map(|s| s.map(neutralize)).collect();
    cast(&(Arc::new(safe) as ArrayRef), column.data_type())
}

#[cfg(test)]
mod tests {
    use arrow::array::{Decimal128Array, DictionaryArray, StringViewArray};
    use arrow::datatypes::Int32Type;

    use super::*;

    #[test]
    fn formula_starts_get_a_quote() {
        for (input, expected) in [
            (
                "=HYPERLINK(\"http://x\",\"点击\")",
                "'=HYPERLINK(\"http://x\",\"点击\")",
            ),
            ("-1+1", "'-1+1"),
            ("+86", "'+86"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\r=1", "'\r=1"),
            ("城厢镇", "城厢镇"),
            ("2019-03", "2019-03"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralize(input), expected, "{input:?}");
        }
    }

    #[test]
    fn every_string_column_is_neutralized_and_numbers_are_not() {
        let dict: DictionaryArray<Int32Type> = vec!["@x", "ok"].into_iter().collect();
        let batch = RecordBatch::try_from_iter(vec![
            (
                "member_name",
                Arc::new(StringArray::from(vec![Some("=1+1"), None])) as ArrayRef,
            ),
            (
                "note",
                Arc::new(StringViewArray::from(vec!["-x", "y"])) as ArrayRef,
            ),
            ("platform", Arc::new(dict) as ArrayRef),
            (
                "value",
                Arc::new(
                    Decimal128Array::from(vec![-10_000, 5])
                        .with_precision_and_scale(22, 4)
                        .expect("decimal"),
                ) as ArrayRef,
            ),
        ])
        .expect("batch");
        let safe = neutralize_batch(&batch).expect("neutralize");
        assert_eq!(safe.schema(), batch.schema());
        let member = safe.column(0).as_string::<i32>();
        assert_eq!(member.value(0), "'=1+1");
        assert!(member.is_null(1));
        assert_eq!(safe.column(1).as_string_view().value(0), "'-x");
        let platform = cast(safe.column(2), &DataType::Utf8).expect("cast");
        assert_eq!(platform.as_string::<i32>().value(0), "'@x");
        assert_eq!(platform.as_string::<i32>().value(1), "ok");
        // A negative number is a number: untouched.
        assert_eq!(safe.column(3), batch.column(3));
    }
}
