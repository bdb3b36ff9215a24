//! xlsx: the sheet's cells as Excel shows them (decimals to 15 significant digits), merged
//! header cells spread, two-row headers combined.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};
use ecstat_core::spec::Layout;

use super::{HEADER_SEARCH_ROWS, MAX_COLUMNS, MAX_SHOWN_CHARS, Sink, io};
use crate::error::clip;
use crate::{IngestError, Result};

pub(super) fn read_xlsx(path: &Path, spec: &Layout, sink: &mut Sink<'_>) -> Result<()> {
    let xlsx_err = |e: calamine::XlsxError| IngestError::Xlsx {
        path: path.to_path_buf(),
        message: clip(&e.to_string(), MAX_SHOWN_CHARS),
    };
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if meta.len() == 0 {
        return Err(IngestError::Empty {
            path: path.to_path_buf(),
        });
    }
    crate::xlsx_package::check(path)?;
    let file = File::open(path).map_err(io(path))?;
    let mut workbook: Xlsx<_> = Xlsx::new(BufReader::new(file)).map_err(xlsx_err)?;
    let sheets = workbook.sheet_names();
    let sheet = match &spec.sheet {
        Some(name) => sheets.iter().find(|s| *s == name).cloned().ok_or_else(|| {
            IngestError::SheetNotFound {
                path: path.to_path_buf(),
                sheet: name.clone(),
                found: clip(&sheets.join(", "), MAX_SHOWN_CHARS),
            }
        })?,
        None => sheets.first().cloned().ok_or_else(|| IngestError::Empty {
            path: path.to_path_buf(),
        })?,
    };
    sink.encoding = "xlsx";
    sink.check_width = false;
    if spec.header_rows > 1 {
        // Merged header cells hold their text in the top-left cell only; the regions are
        // listed after the cells, so they are read first (a second pass over the XML).
        let last = HEADER_SEARCH_ROWS.max(spec.header_row) as u32;
        sink.merges = workbook
            .merge_cells_by_sheet_name(&sheet)
            .map_err(xlsx_err)?
            .into_iter()
            .filter(|d| d.start.0 < last)
            .map(|d| (d.start, d.end))
            .collect();
    }
    // The cell reader streams the sheet XML; unlike `worksheet_range` it does not allocate
    // the declared dimensions, which a hostile or broken file can set to XFD1048576.
    let mut cells_reader = workbook.worksheet_cells_reader(&sheet).map_err(xlsx_err)?;
    let mut current_row: Option<u32> = None;
    let mut cells: Vec<String> = Vec::new();
    let emit =
        |row: u32, cells: Vec<String>, sink: &mut Sink<'_>| sink.row(row as usize + 1, cells);
    while let Some(cell) = cells_reader.next_cell().map_err(xlsx_err)? {
        let (row, column) = cell.get_position();
        if column as usize >= MAX_COLUMNS {
            continue;
        }
        if current_row != Some(row) {
            if let Some(done) = current_row.take()
                && !emit(done, std::mem::take(&mut cells), sink)?
            {
                return Ok(());
            }
            current_row = Some(row);
        }
        let column = column as usize;
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = cell_text(cell.get_value());
    }
    if let Some(done) = current_row {
        emit(done, cells, sink)?;
    }
    Ok(())
}

/// A fractional number cell as Excel shows it: 15 significant digits, trailing zeros
/// dropped. A computed cell holds binary noise (29.9 × 3 is 89.69999999999999); Excel's
/// 15 digits are 89.7, which is what the sheet's author saw and meant.
pub(super) fn excel_decimal(f: f64) -> String {
    if !f.is_finite() || f == 0.0 {
        return format!("{f}");
    }
    let magnitude = f.abs().log10().floor() as i32;
    let decimals = usize::try_from((14 - magnitude).max(0)).unwrap_or(0);
    let text = format!("{f:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Whole numbers up to 2^53 are exact in a float; beyond, digits are lost.
pub(super) const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

pub(super) fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => {
            if f.fract() == 0.0 && f.abs() < MAX_EXACT_FLOAT {
                format!("{}", *f as i64)
            } else if f.fract() == 0.0 {
                // A whole number beyond 2^53 held as a float has lost digits (a 19-digit
                // order id typed into Excel): written as Excel shows it, `4.71235E+18`, so
                // that an id column sees it is not the id.
                format!("{f:E}").replacen('E', "E+", 1)
            } else {
                excel_decimal(*f)
            }
        }
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e}"),
        DataRef::Empty => String::new(),
    }
}
