//! Single values of query results as text, for reports and the exports' evidence rows.

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// Cell (`column`, `row`) of `batch` as text; empty for a null or a missing column.
pub fn cell(batch: &RecordBatch, column: &str, row: usize) -> String {
    let Some(array) = batch.column_by_name(column) else {
        return String::new();
    };
    let options = FormatOptions::default().with_null("");
    match ArrayFormatter::try_new(array.as_ref(), &options) {
        Ok(f) => f.value(row).to_string(),
        Err(_) => String::new(),
    }
}

/// Every row of `batches`, each as the text of `columns`.
pub fn rows<const N: usize>(batches: &[RecordBatch], columns: [&str; N]) -> Vec<[String; N]> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            out.push(columns.map(|c| cell(b, c, r)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};

    use super::*;

    #[test]
    fn cells_as_text_with_nulls_empty() {
        let batch = RecordBatch::try_from_iter(vec![
            ("a", Arc::new(StringArray::from(vec![Some("x"), None])) as _),
            ("n", Arc::new(Int64Array::from(vec![1, 2])) as _),
        ])
        .expect("batch");
        assert_eq!(
            rows(std::slice::from_ref(&batch), ["a", "n"]),
            [["x", "1"], ["", "2"]]
        );
        assert_eq!(cell(&batch, "missing", 0), "");
    }
}
