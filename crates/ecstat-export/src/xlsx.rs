//! The xlsx workbook for officials.

use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Decimal128Type, Int32Type, Int64Type, UInt64Type};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::{ExportError, ExportMeta, Result, header_zh};

const SUMMARY_COLUMNS: &[&str] = &[
    "indicator_code",
    "indicator_name_zh",
    "measure_name_zh",
    "period",
    "value",
    "unit",
    "base_period",
    "base_value",
    "target",
    "attainment_pct",
    "status",
    "note",
    "data_as_of",
];

const DETAIL_COLUMNS: &[&str] = &[
    "indicator_code",
    "indicator_name_zh",
    "measure_name_zh",
    "period_type",
    "period",
    "dimension",
    "member",
    "member_name",
    "value",
    "unit",
    "base_period",
    "base_value",
    "status",
    "note",
];

fn text<'a>(batch: &'a RecordBatch, column: &str, row: usize) -> Option<&'a str> {
    let array = batch.column_by_name(column)?;
    if array.is_null(row) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => Some(array.as_string::<i32>().value(row)),
        _ => None,
    }
}

fn number(array: &dyn Array, row: usize) -> Option<f64> {
    if array.is_null(row) {
        return None;
    }
    match array.data_type() {
        DataType::Decimal128(_, scale) => {
            let v = array.as_primitive::<Decimal128Type>().value(row);
            Some(v as f64 / 10f64.powi(i32::from(*scale)))
        }
        DataType::Int64 => Some(array.as_primitive::<Int64Type>().value(row) as f64),
        DataType::Int32 => Some(f64::from(array.as_primitive::<Int32Type>().value(row))),
        DataType::UInt64 => Some(array.as_primitive::<UInt64Type>().value(row) as f64),
        _ => None,
    }
}

struct Styles {
    header: Format,
    code: Format,
    money: Format,
    pct: Format,
    count: Format,
    met: Format,
    missed: Format,
    plain: Format,
}

impl Styles {
    fn new() -> Self {
        let header = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0x1F4E78))
            .set_font_color(Color::White)
            .set_align(FormatAlign::Center)
            .set_border(FormatBorder::Thin);
        let code = Format::new()
            .set_italic()
            .set_font_color(Color::RGB(0x595959))
            .set_align(FormatAlign::Center);
        Self {
            header,
            code,
            money: Format::new().set_num_format("#,##0.00"),
            pct: Format::new().set_num_format("0.00"),
            count: Format::new().set_num_format("0"),
            met: Format::new()
                .set_background_color(Color::RGB(0xC6EFCE))
                .set_font_color(Color::RGB(0x006100)),
            missed: Format::new()
                .set_background_color(Color::RGB(0xFFC7CE))
                .set_font_color(Color::RGB(0x9C0006)),
            plain: Format::new(),
        }
    }
}

fn xl(path: &Path) -> impl Fn(XlsxError) -> ExportError + '_ {
    move |e| ExportError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Write one sheet of the rows `keep` selects, with `columns`.
fn sheet(
    ws: &mut Worksheet,
    batches: &[RecordBatch],
    columns: &[&str],
    keep: &dyn Fn(&RecordBatch, usize) -> bool,
    styles: &Styles,
    path: &Path,
) -> Result<u32> {
    let e = xl(path);
    let mut widths: Vec<usize> = columns
        .iter()
        .map(|c| display_width(header_zh(c)).max(c.len()) + 2)
        .collect();
    for (j, column) in columns.iter().enumerate() {
        let j = j as u16;
        ws.write_string_with_format(0, j, header_zh(column), &styles.header)
            .map_err(&e)?;
        ws.write_string_with_format(1, j, *column, &styles.code)
            .map_err(&e)?;
    }
    let mut row = 2u32;
    for batch in batches {
        for i in 0..batch.num_rows() {
            if !keep(batch, i) {
                continue;
            }
            let percent = text(batch, "unit", i) == Some("%");
            for (j, column) in columns.iter().enumerate() {
                let Some(array) = batch.column_by_name(column) else {
                    continue;
                };
                let col = j as u16;
                if let Some(v) = number(array.as_ref(), i) {
                    // `unit` is the unit of `value` (% on growth rows); the base value is
                    // always an amount of the base period.
                    let style = match *column {
                        "months_covered" | "snapshot_version" => &styles.count,
                        "attainment_pct" => &styles.pct,
                        "base_value" => &styles.money,
                        _ if percent => &styles.pct,
                        _ => &styles.money,
                    };
                    ws.write_number_with_format(row, col, v, style)
                        .map_err(&e)?;
                    widths[j] = widths[j].max(16);
                } else if let Some(s) = text(batch, column, i) {
                    let style = match (*column, s) {
                        ("status", "达标") => &styles.met,
                        ("status", "未达标") => &styles.missed,
                        _ => &styles.plain,
                    };
                    ws.write_string_with_format(row, col, s, style)
                        .map_err(&e)?;
                    widths[j] = widths[j].max(display_width(s) + 2);
                }
            }
            row += 1;
        }
    }
    for (j, w) in widths.iter().enumerate() {
        ws.set_column_width(j as u16, (*w).min(60) as f64)
            .map_err(&e)?;
    }
    ws.set_freeze_panes(2, 0).map_err(&e)?;
    // Officials print these: landscape, all columns on one page width, headers repeated.
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 1).map_err(&e)?;
    if row > 2 {
        ws.autofilter(1, 0, row - 1, (columns.len() - 1) as u16)
            .map_err(&e)?;
    }
    Ok(row - 2)
}

/// Columns of Chinese text are about twice as wide as ASCII.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

pub fn write_xlsx(batches: &[RecordBatch], meta: &ExportMeta, path: &Path) -> Result<()> {
    let e = xl(path);
    let styles = Styles::new();
    let mut wb = Workbook::new();

    let ws = wb.add_worksheet().set_name("目标达成").map_err(&e)?;
    sheet(
        ws,
        batches,
        SUMMARY_COLUMNS,
        &|b, i| text(b, "comparison", i).is_some(),
        &styles,
        path,
    )?;
    let ws = wb.add_worksheet().set_name("年度").map_err(&e)?;
    sheet(
        ws,
        batches,
        DETAIL_COLUMNS,
        &|b, i| text(b, "period_type", i) == Some("year"),
        &styles,
        path,
    )?;
    let ws = wb.add_worksheet().set_name("月度及累计").map_err(&e)?;
    sheet(
        ws,
        batches,
        DETAIL_COLUMNS,
        &|b, i| text(b, "period_type", i) != Some("year"),
        &styles,
        path,
    )?;

    let ws = wb.add_worksheet().set_name("说明").map_err(&e)?;
    let bold = Format::new().set_bold();
    let mut r = 0u32;
    let line = |ws: &mut Worksheet, r: &mut u32, k: &str, v: &str| -> Result<()> {
        ws.write_string_with_format(*r, 0, k, &bold).map_err(&e)?;
        ws.write_string(*r, 1, v).map_err(&e)?;
        *r += 1;
        Ok(())
    };
    line(
        ws,
        &mut r,
        "快照版本 snapshot",
        &meta.snapshot_version.to_string(),
    )?;
    line(ws, &mut r, "运行编号 run id", &meta.run_id)?;
    line(ws, &mut r, "计算时间 computed at (UTC)", &meta.created_at)?;
    line(
        ws,
        &mut r,
        "数据截至 data as of",
        meta.data_as_of.as_deref().unwrap_or("—"),
    )?;
    line(
        ws,
        &mut r,
        "口径 caliber",
        "网络零售额 = 已完成订单买家实付商品金额 − 退款，不含运费；取消、关闭、未付款订单计零。金额单位：元。",
    )?;
    r += 1;
    for (j, h) in [
        "指标代码",
        "指标名称",
        "英文名称",
        "单位",
        "定义",
        "数据来源部门",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(r, j as u16, *h, &styles.header)
            .map_err(&e)?;
    }
    r += 1;
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for def in &meta.definitions {
        for (j, v) in def.iter().enumerate() {
            ws.write_string_with_format(r, j as u16, v, &wrap)
                .map_err(&e)?;
        }
        r += 1;
    }
    r += 1;
    for (j, h) in [
        "来源 source",
        "文件 file",
        "SHA-256",
        "入库行数 rows staged",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(r, j as u16, *h, &styles.header)
            .map_err(&e)?;
    }
    r += 1;
    for input in &meta.inputs {
        for (j, v) in input.iter().enumerate() {
            ws.write_string(r, j as u16, v).map_err(&e)?;
        }
        r += 1;
    }
    for (j, w) in [28.0, 36.0, 30.0, 12.0, 80.0, 24.0].iter().enumerate() {
        ws.set_column_width(j as u16, *w).map_err(&e)?;
    }
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    wb.save(path).map_err(&e)?;
    Ok(())
}
