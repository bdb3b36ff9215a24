//! A query's result written to a file by its extension, as the SQL shell's `\\o FILE` does:
//! `.csv` (UTF-8 with BOM, for Excel on Chinese Windows), `.xlsx` (numbers as numbers,
//! frozen header) or `.parquet`. Text cells cannot start a spreadsheet formula.

use std::io::Write;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;

use crate::{ExportError, Result};

/// Write `batches` to `path` in the format its extension names.
pub fn write_result(batches: &[RecordBatch], path: &Path) -> Result<()> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let failed = |message: String| ExportError::Write {
        path: path.to_path_buf(),
        message,
    };
    let result = match extension.as_str() {
        "csv" => write_csv(batches, path),
        "xlsx" => write_xlsx(batches, path),
        "parquet" => write_parquet(batches, path),
        _ => {
            return Err(failed(
                "results are written as .csv, .xlsx or .parquet".into(),
            ));
        }
    };
    result.map_err(|e| failed(e.to_string()))
}

type Written = std::result::Result<(), Box<dyn std::error::Error>>;

fn write_csv(batches: &[RecordBatch], path: &Path) -> Written {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    // Excel on Chinese Windows needs the BOM to read UTF-8.
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(&mut out);
    for batch in batches {
        writer.write(&crate::csv_safe::neutralize_batch(batch)?)?;
    }
    drop(writer);
    out.flush()?;
    Ok(())
}

fn write_parquet(batches: &[RecordBatch], path: &Path) -> Written {
    let Some(first) = batches.first() else {
        return Err("the last result has no rows to write".into());
    };
    let file = std::fs::File::create(path)?;
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, first.schema(), None)?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.close()?;
    Ok(())
}

fn write_xlsx(batches: &[RecordBatch], path: &Path) -> Written {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let bold = Format::new().set_bold();
    let Some(first) = batches.first() else {
        return Err("the last result has no rows to write".into());
    };
    for (j, field) in first.schema().fields().iter().enumerate() {
        ws.write_string_with_format(0, j as u16, field.name(), &bold)?;
    }
    let mut row = 1u32;
    for batch in batches {
        for i in 0..batch.num_rows() {
            for (j, column) in batch.columns().iter().enumerate() {
                let col = j as u16;
                if column.is_null(i) {
                    continue;
                }
                match number(column.as_ref(), i) {
                    Some(v) => ws.write_number(row, col, v)?,
                    None => {
                        let text = arrow::util::display::array_value_to_string(column, i)?;
                        ws.write_string(row, col, &*crate::csv_safe::neutralize(&text))?
                    }
                };
            }
            row += 1;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    wb.save(path)?;
    Ok(())
}

/// A numeric cell as a spreadsheet number.
fn number(array: &dyn Array, i: usize) -> Option<f64> {
    use arrow::datatypes::{
        Decimal128Type, Float32Type, Float64Type, Int32Type, Int64Type, UInt64Type,
    };
    Some(match array.data_type() {
        DataType::Int64 => array.as_primitive::<Int64Type>().value(i) as f64,
        DataType::Int32 => f64::from(array.as_primitive::<Int32Type>().value(i)),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(i) as f64,
        DataType::Float64 => array.as_primitive::<Float64Type>().value(i),
        DataType::Float32 => f64::from(array.as_primitive::<Float32Type>().value(i)),
        DataType::Decimal128(_, scale) => {
            array.as_primitive::<Decimal128Type>().value(i) as f64 / 10f64.powi(i32::from(*scale))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};

    #[test]
    fn each_extension_gets_its_format_and_formulas_are_neutralised() {
        let batch = RecordBatch::try_from_iter(vec![
            ("n", Arc::new(Int64Array::from(vec![1, 2])) as _),
            (
                "t",
                Arc::new(StringArray::from(vec!["=1+1", "湖头镇"])) as _,
            ),
        ])
        .expect("batch");
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("r.csv");
        write_result(std::slice::from_ref(&batch), &csv).expect("csv");
        let text = std::fs::read(&csv).expect("read");
        assert!(text.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8_lossy(&text[3..]).into_owned();
        assert!(text.starts_with("n,t\n1,"), "{text}");
        assert!(
            !text.contains("\n1,=1+1"),
            "a formula is neutralised: {text}"
        );
        assert!(text.contains("湖头镇"));
        for ext in ["xlsx", "parquet"] {
            let path = dir.path().join(format!("r.{ext}"));
            write_result(std::slice::from_ref(&batch), &path).expect(ext);
            assert!(std::fs::metadata(&path).expect(ext).len() > 0);
        }
        let error = write_result(&[batch], &dir.path().join("r.txt")).expect_err("txt");
        assert!(
            error.to_string().contains(".csv, .xlsx or .parquet"),
            "{error}"
        );
    }
}
