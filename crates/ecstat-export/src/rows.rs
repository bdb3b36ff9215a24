//! Cells of the indicator table looked up by column name. A column the table lacks (a
//! snapshot from before `disclosure` existed) reads as NULL instead of failing, so every
//! format tolerates older and newer tables alike.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Decimal128Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};

use crate::decimal::Decimal;

/// One row of one batch.
#[derive(Clone, Copy)]
pub(crate) struct Row<'a> {
    batch: &'a RecordBatch,
    index: usize,
}

/// Every row of `batches`, in order.
pub(crate) fn rows(batches: &[RecordBatch]) -> impl Iterator<Item = Row<'_>> {
    batches
        .iter()
        .flat_map(|batch| (0..batch.num_rows()).map(move |index| Row { batch, index }))
}

impl<'a> Row<'a> {
    fn cell(&self, column: &str) -> Option<&'a dyn Array> {
        let array = self.batch.column_by_name(column)?;
        (!array.is_null(self.index)).then_some(array.as_ref())
    }

    /// The text of a string column; `None` for NULL, a missing or a non-text column.
    pub(crate) fn text(&self, column: &str) -> Option<&'a str> {
        let array = self.cell(column)?;
        let i = self.index;
        match array.data_type() {
            DataType::Utf8 => Some(array.as_string::<i32>().value(i)),
            DataType::LargeUtf8 => Some(array.as_string::<i64>().value(i)),
            DataType::Utf8View => Some(array.as_string_view().value(i)),
            _ => None,
        }
    }

    /// A number column as an exact decimal (integers with scale 0).
    pub(crate) fn decimal(&self, column: &str) -> Option<Decimal> {
        let array = self.cell(column)?;
        let i = self.index;
        let units = match array.data_type() {
            DataType::Decimal128(_, scale) => {
                return Some(Decimal::new(
                    array.as_primitive::<Decimal128Type>().value(i),
                    *scale,
                ));
            }
            DataType::Int8 => i128::from(array.as_primitive::<Int8Type>().value(i)),
            DataType::Int16 => i128::from(array.as_primitive::<Int16Type>().value(i)),
            DataType::Int32 => i128::from(array.as_primitive::<Int32Type>().value(i)),
            DataType::Int64 => i128::from(array.as_primitive::<Int64Type>().value(i)),
            DataType::UInt8 => i128::from(array.as_primitive::<UInt8Type>().value(i)),
            DataType::UInt16 => i128::from(array.as_primitive::<UInt16Type>().value(i)),
            DataType::UInt32 => i128::from(array.as_primitive::<UInt32Type>().value(i)),
            DataType::UInt64 => i128::from(array.as_primitive::<UInt64Type>().value(i)),
            _ => return None,
        };
        Some(Decimal::new(units, 0))
    }

    /// Why the cell is withheld under statistical disclosure control (`n<3`, `p%`,
    /// `secondary`); `None` when it is published or the table predates the column.
    pub(crate) fn disclosure(&self) -> Option<&'a str> {
        self.text("disclosure")
    }

    pub(crate) fn is_suppressed(&self) -> bool {
        self.disclosure().is_some()
    }

    /// The row's text or `""`, for keys that are compared, never shown.
    pub(crate) fn key(&self, column: &str) -> &'a str {
        self.text(column).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Decimal128Array, Int64Array, StringArray};

    use super::*;

    #[test]
    fn missing_columns_read_as_null() {
        let batch = RecordBatch::try_from_iter(vec![
            (
                "member_name",
                Arc::new(StringArray::from(vec![Some("城厢镇"), None])) as ArrayRef,
            ),
            (
                "value",
                Arc::new(
                    Decimal128Array::from(vec![Some(12_500), None])
                        .with_precision_and_scale(22, 4)
                        .expect("decimal"),
                ) as ArrayRef,
            ),
            (
                "months_covered",
                Arc::new(Int64Array::from(vec![12, 3])) as ArrayRef,
            ),
        ])
        .expect("batch");
        let all: Vec<Row> = rows(std::slice::from_ref(&batch)).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].text("member_name"), Some("城厢镇"));
        assert_eq!(all[1].text("member_name"), None);
        assert_eq!(all[0].decimal("value"), Some(Decimal::new(12_500, 4)));
        assert_eq!(all[1].decimal("value"), None);
        assert_eq!(all[1].decimal("months_covered"), Some(Decimal::new(3, 0)));
        assert!(!all[0].is_suppressed());
        assert_eq!(all[0].text("no_such_column"), None);
        // A number column is not text.
        assert_eq!(all[0].text("value"), None);
    }
}
