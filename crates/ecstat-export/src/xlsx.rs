//! The xlsx workbook for officials.

use std::path::Path;

use arrow::array::RecordBatch;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::csv_safe::neutralize;
use crate::decimal::Decimal;
use crate::presentation::OTHER_TOPIC;
use crate::rows::{Row, rows};
use crate::{ExportError, ExportMeta, Result, SUPPRESSED_ZH, header_zh};

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

pub(crate) const DETAIL_COLUMNS: &[&str] = &[
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
    "disclosure",
];

/// A number cell as the spreadsheet stores it: xlsx numbers are doubles anyway.
fn number(row: &Row, column: &str) -> Option<f64> {
    row.decimal(column).map(Decimal::to_f64)
}

/// Whether `column` of `row` is a withheld figure (保密): the value of a withheld row
/// (whatever the table holds), and its base value when it has a base period but no figure.
fn withheld(row: &Row, column: &str) -> bool {
    row.is_suppressed()
        && match column {
            "value" => true,
            "base_value" => row.text("base_period").is_some() && row.decimal(column).is_none(),
            _ => false,
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
    suppressed: Format,
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
            suppressed: Format::new()
                .set_background_color(Color::RGB(0xD9D9D9))
                .set_font_color(Color::RGB(0x595959))
                .set_align(FormatAlign::Center),
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

/// Write one sheet of the rows `keep` selects, with `columns`; returns the number of rows.
fn sheet(
    ws: &mut Worksheet,
    batches: &[RecordBatch],
    columns: &[&str],
    keep: &dyn Fn(&Row) -> bool,
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
    let mut r = 2u32;
    for row in rows(batches).filter(|row| keep(row)) {
        let percent = row.text("unit") == Some("%");
        for (j, column) in columns.iter().enumerate() {
            let col = j as u16;
            if withheld(&row, column) {
                ws.write_string_with_format(r, col, SUPPRESSED_ZH, &styles.suppressed)
                    .map_err(&e)?;
            } else if let Some(v) = number(&row, column) {
                // `unit` is the unit of `value` (% on growth rows); the base value is
                // always an amount of the base period.
                let style = match *column {
                    "months_covered" | "snapshot_version" | "contributors" => &styles.count,
                    "attainment_pct" => &styles.pct,
                    "base_value" => &styles.money,
                    _ if percent => &styles.pct,
                    _ => &styles.money,
                };
                ws.write_number_with_format(r, col, v, style).map_err(&e)?;
                widths[j] = widths[j].max(16);
            } else if let Some(s) = row.text(column) {
                let style = match (*column, s) {
                    ("status", "达标") => &styles.met,
                    ("status", "未达标") => &styles.missed,
                    _ => &styles.plain,
                };
                let s = neutralize(s);
                ws.write_string_with_format(r, col, &*s, style)
                    .map_err(&e)?;
                widths[j] = widths[j].max(display_width(&s) + 2);
            }
        }
        r += 1;
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
    if r > 2 {
        ws.autofilter(1, 0, r - 1, (columns.len() - 1) as u16)
            .map_err(&e)?;
    }
    Ok(r - 2)
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
        &|row| row.text("comparison").is_some(),
        &styles,
        path,
    )?;
    let ws = wb.add_worksheet().set_name("年度").map_err(&e)?;
    sheet(
        ws,
        batches,
        DETAIL_COLUMNS,
        &|row| row.text("period_type") == Some("year"),
        &styles,
        path,
    )?;
    let ws = wb.add_worksheet().set_name("月度及累计").map_err(&e)?;
    sheet(
        ws,
        batches,
        DETAIL_COLUMNS,
        &|row| row.text("period_type") != Some("year"),
        &styles,
        path,
    )?;

    // One sheet per topic with its yearly rows of every breakdown; a topic without rows
    // gets no sheet, and 其他 only appears for codes no topic lists.
    let presentation = &meta.presentation;
    let topics = presentation
        .topics
        .iter()
        .map(|t| t.sheet.as_str())
        .chain([OTHER_TOPIC]);
    for topic in topics {
        let keep = |row: &Row| {
            row.text("period_type") == Some("year")
                && presentation.topic_of(row.key("indicator_code")) == topic
        };
        if !rows(batches).any(|row| keep(&row)) {
            continue;
        }
        let ws = wb.add_worksheet().set_name(topic).map_err(&e)?;
        sheet(ws, batches, DETAIL_COLUMNS, &keep, &styles, path)?;
    }

    // The evidence behind every figure: which submissions each indicator is computed from.
    if !meta.lineage.is_empty() {
        let ws = wb.add_worksheet().set_name("数据来源").map_err(&e)?;
        let headers = [
            ("指标代码", "indicator_code"),
            ("数据来源部门", "department"),
            ("文件", "file"),
            ("SHA-256", "sha256"),
            ("入库行数", "rows_staged"),
        ];
        for (j, (zh, code)) in headers.iter().enumerate() {
            ws.write_string_with_format(0, j as u16, *zh, &styles.header)
                .map_err(&e)?;
            ws.write_string_with_format(1, j as u16, *code, &styles.code)
                .map_err(&e)?;
        }
        for (i, link) in meta.lineage.iter().enumerate() {
            let r = i as u32 + 2;
            for (j, v) in link.iter().enumerate() {
                match (j, v.parse::<f64>()) {
                    (4, Ok(n)) => ws.write_number_with_format(r, j as u16, n, &styles.count),
                    _ => ws.write_string(r, j as u16, &*neutralize(v)),
                }
                .map_err(&e)?;
            }
        }
        for (j, w) in [30.0, 26.0, 60.0, 66.0, 12.0].iter().enumerate() {
            ws.set_column_width(j as u16, *w).map_err(&e)?;
        }
        ws.set_freeze_panes(2, 0).map_err(&e)?;
        ws.autofilter(1, 0, meta.lineage.len() as u32 + 1, 4)
            .map_err(&e)?;
    }

    let ws = wb.add_worksheet().set_name("说明").map_err(&e)?;
    let bold = Format::new().set_bold();
    let mut r = 0u32;
    let line = |ws: &mut Worksheet, r: &mut u32, k: &str, v: &str| -> Result<()> {
        ws.write_string_with_format(*r, 0, k, &bold).map_err(&e)?;
        ws.write_string(*r, 1, &*neutralize(v)).map_err(&e)?;
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
    line(ws, &mut r, "口径 caliber", &meta.presentation.caliber)?;
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
            ws.write_string_with_format(r, j as u16, &*neutralize(v), &wrap)
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
            ws.write_string(r, j as u16, &*neutralize(v)).map_err(&e)?;
        }
        r += 1;
    }
    for (j, w) in [28.0, 36.0, 30.0, 12.0, 80.0, 24.0].iter().enumerate() {
        ws.set_column_width(j as u16, *w).map_err(&e)?;
    }
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    // Deflate level 3 instead of 6: most of the save is compressing the sheets' XML, and
    // level 3 takes about 0.7 of the time for a file about 6% larger (rust_xlsxwriter's
    // performance notes).
    wb.set_zip_compression_level(3);
    wb.save(path).map_err(&e)?;
    Ok(())
}
