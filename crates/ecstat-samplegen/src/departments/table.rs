//! Owns the neutral model of a department sheet (title rows, a one- or two-row header,
//! body rows each marked data / footer / blank and optionally planted with one error),
//! its rendering to xlsx and to CSV, and the scan that derives what a reader must count.
//!
//! The scan reads the cells exactly as written, with the spec's footer markers, the way
//! the ingest reader does: a row whose first non-empty (trimmed) cell starts with a marker
//! is a footer row; any non-blank row below one is data `after_footer`. It refuses a sheet
//! whose written cells disagree with how its rows were meant (a data row that happens to
//! start with `合计`, say), so the expected file can never drift from the bytes.

use std::fmt;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

use crate::textout::{CsvSink, LineEnding, TextEncoding};

/// Quarantine rules a planted row is meant to trip (names as the ingest reports them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    InvalidUscc,
    UnknownDivision,
    UnparseableDate,
    UnparseableMonth,
    UnparseableAmount,
    UnparseableInteger,
    UnparseableBoolean,
    NotAcceptedValue,
    OutOfRange,
    PatternMismatch,
    DuplicateValue,
    MissingValue,
    UnknownReference,
    InvalidIdNumber,
    FieldCount,
    AfterFooter,
}

impl Rule {
    pub fn label(self) -> &'static str {
        match self {
            Rule::InvalidUscc => "invalid_uscc",
            Rule::UnknownDivision => "unknown_division",
            Rule::UnparseableDate => "unparseable_date",
            Rule::UnparseableMonth => "unparseable_month",
            Rule::UnparseableAmount => "unparseable_amount",
            Rule::UnparseableInteger => "unparseable_integer",
            Rule::UnparseableBoolean => "unparseable_boolean",
            Rule::NotAcceptedValue => "not_accepted_value",
            Rule::OutOfRange => "out_of_range",
            Rule::PatternMismatch => "pattern_mismatch",
            Rule::DuplicateValue => "duplicate_value",
            Rule::MissingValue => "missing_value",
            Rule::UnknownReference => "unknown_reference",
            Rule::InvalidIdNumber => "invalid_id_number",
            Rule::FieldCount => "field_count",
            Rule::AfterFooter => "after_footer",
        }
    }

    /// Row-level rules name no column.
    pub fn is_row_level(self) -> bool {
        matches!(self, Rule::FieldCount | Rule::AfterFooter)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A planted problem: the rule and the spec column it concerns (none for row-level rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plant {
    pub rule: Rule,
    pub column: Option<&'static str>,
}

impl Plant {
    pub fn col(rule: Rule, column: &'static str) -> Self {
        Self {
            rule,
            column: Some(column),
        }
    }

    pub fn row(rule: Rule) -> Self {
        debug_assert!(rule.is_row_level());
        Self { rule, column: None }
    }
}

/// A planted problem located in a file: `row` is the 1-based sheet row (CSV: record number
/// with the header = 1; JSON: 1-based position in the records array).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub row: u64,
    pub rule: Rule,
    pub column: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFmt {
    General,
    Fixed2,
    Int,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFmt {
    /// `2019-03-05`
    Iso,
    /// `2019/3/5`
    Slash,
    /// `2019年3月5日`
    Cn,
}

/// One cell as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Num(f64, NumFmt),
    /// A real Excel date cell (CSV: ISO text).
    Date(NaiveDate, DateFmt),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn int(v: i64) -> Cell {
        Cell::Num(v as f64, NumFmt::Int)
    }

    /// Money or a measure held in hundredths, written with two decimals.
    pub fn cents(v: i64) -> Cell {
        Cell::Num(v as f64 / 100.0, NumFmt::Fixed2)
    }

    /// What a reader sees in the cell, as text (xlsx numbers as calamine renders them).
    pub fn as_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Num(v, _) => {
                if v.fract() == 0.0 && v.abs() < 1e15 {
                    format!("{}", *v as i64)
                } else {
                    format!("{v}")
                }
            }
            Cell::Date(d, _) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Data,
    /// 合计 / 制表 / 填报人 … lines below the data.
    Footer,
    /// Nothing but whitespace.
    Blank,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub kind: RowKind,
    pub plant: Option<Plant>,
    pub warn: Option<Plant>,
}

impl Row {
    pub fn data(cells: Vec<Cell>) -> Self {
        Self {
            cells,
            kind: RowKind::Data,
            plant: None,
            warn: None,
        }
    }

    pub fn footer(cells: Vec<Cell>) -> Self {
        Self {
            cells,
            kind: RowKind::Footer,
            plant: None,
            warn: None,
        }
    }

    pub fn blank(cells: Vec<Cell>) -> Self {
        Self {
            cells,
            kind: RowKind::Blank,
            plant: None,
            warn: None,
        }
    }

    pub fn planted(mut self, plant: Option<Plant>) -> Self {
        self.plant = plant;
        self
    }
}

/// A footer line: text at the given columns, nothing else.
pub fn footer_line(width: usize, parts: &[(usize, String)]) -> Row {
    let mut cells = vec![Cell::Empty; width];
    for (c, s) in parts {
        if *c >= cells.len() {
            cells.resize(c + 1, Cell::Empty);
        }
        cells[*c] = Cell::Text(s.clone());
    }
    Row::footer(cells)
}

/// One header column: spanning both header rows, or a group heading over sub-headings.
#[derive(Debug, Clone)]
pub enum Head {
    One(&'static str),
    Group(&'static str, Vec<&'static str>),
}

/// A title row: `(first column, last column, text)` pieces, merged when they span.
#[derive(Debug, Clone, Default)]
pub struct Title {
    pub pieces: Vec<(u16, u16, String)>,
}

impl Title {
    pub fn one(last_col: u16, text: impl Into<String>) -> Self {
        Self {
            pieces: vec![(0, last_col, text.into())],
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub titles: Vec<Title>,
    pub header: Vec<Head>,
    pub rows: Vec<Row>,
    pub widths: Vec<f64>,
}

impl Sheet {
    pub fn header_rows(&self) -> u32 {
        if self.header.iter().any(|h| matches!(h, Head::Group(..))) {
            2
        } else {
            1
        }
    }

    /// 1-based number of the (last) header row.
    pub fn header_row(&self) -> u32 {
        self.titles.len() as u32 + self.header_rows()
    }
}

/// What a correct reader must find in one sheet or CSV file.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub rows_read: u64,
    pub rows_skipped: u64,
    pub planted: Vec<Mark>,
    pub warnings: Vec<Mark>,
}

/// Derive the counts from the written cells; `first_row` is the row number of `rows[0]`,
/// `width` the header's field count when the format can have short or long rows (CSV).
pub fn scan(
    rows: &[Row],
    first_row: u64,
    markers: &[&str],
    width: Option<usize>,
) -> Result<Counts> {
    let mut counts = Counts::default();
    let mut footer_seen = false;
    for (i, row) in rows.iter().enumerate() {
        let n = first_row + i as u64;
        let texts: Vec<String> = row.cells.iter().map(Cell::as_text).collect();
        let first = texts.iter().map(|t| t.trim()).find(|t| !t.is_empty());
        let Some(first) = first else {
            if row.kind != RowKind::Blank {
                bail!("row {n} reads as blank but was written as {:?}", row.kind);
            }
            counts.rows_skipped += 1;
            continue;
        };
        if markers.iter().any(|m| first.starts_with(m)) {
            if row.kind != RowKind::Footer {
                bail!(
                    "row {n} starts with a footer marker ({first}) but is {:?}",
                    row.kind
                );
            }
            footer_seen = true;
            counts.rows_skipped += 1;
            continue;
        }
        if row.kind != RowKind::Data {
            bail!(
                "row {n} ({first}) reads as data but was written as {:?}",
                row.kind
            );
        }
        counts.rows_read += 1;
        let derived = if footer_seen {
            Some(Plant::row(Rule::AfterFooter))
        } else if width.is_some_and(|w| w != row.cells.len()) {
            Some(Plant::row(Rule::FieldCount))
        } else {
            None
        };
        match (derived, row.plant) {
            (Some(d), Some(p)) if d == p => {}
            (Some(d), p) => bail!(
                "row {n}: the reader will see {} but {p:?} was planted",
                d.rule
            ),
            (None, Some(p)) if p.rule.is_row_level() => {
                bail!("row {n}: {} planted but the reader will not see it", p.rule)
            }
            _ => {}
        }
        if let Some(p) = row.plant {
            counts.planted.push(Mark {
                row: n,
                rule: p.rule,
                column: p.column,
            });
        }
        if let Some(w) = row.warn {
            if row.plant.is_some() {
                bail!("row {n}: a warning row must otherwise load");
            }
            counts.warnings.push(Mark {
                row: n,
                rule: w.rule,
                column: w.column,
            });
        }
    }
    Ok(counts)
}

struct Styles {
    title: Format,
    subtitle: Format,
    head: Format,
    body: Format,
    fixed2: Format,
    int: Format,
    date_iso: Format,
    date_slash: Format,
    date_cn: Format,
    footer: Format,
}

impl Styles {
    fn new() -> Self {
        let border = |f: Format| f.set_border(FormatBorder::Thin);
        Self {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            subtitle: Format::new().set_font_size(10),
            head: border(
                Format::new()
                    .set_bold()
                    .set_text_wrap()
                    .set_align(FormatAlign::Center)
                    .set_align(FormatAlign::VerticalCenter)
                    .set_background_color(0x00DD_EBF7),
            ),
            body: border(Format::new()),
            fixed2: border(Format::new().set_num_format("0.00")),
            int: border(Format::new().set_num_format("0")),
            date_iso: border(Format::new().set_num_format("yyyy-mm-dd")),
            date_slash: border(Format::new().set_num_format("yyyy/m/d")),
            date_cn: border(Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"")),
            footer: Format::new(),
        }
    }
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime> {
    Ok(ExcelDateTime::from_ymd(
        d.year() as u16,
        d.month() as u8,
        d.day() as u8,
    )?)
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet, st: &Styles) -> Result<()> {
    ws.set_name(&sheet.name)?;
    for (i, w) in sheet.widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    let mut r: u32 = 0;
    for (ti, title) in sheet.titles.iter().enumerate() {
        let fmt = if ti == 0 { &st.title } else { &st.subtitle };
        if ti == 0 {
            ws.set_row_height(r, 28)?;
        }
        for (c0, c1, text) in &title.pieces {
            if c1 > c0 {
                ws.merge_range(r, *c0, r, *c1, text, fmt)?;
            } else {
                ws.write_string_with_format(r, *c0, text, fmt)?;
            }
        }
        r += 1;
    }
    let two = sheet.header_rows() == 2;
    let mut c: u16 = 0;
    for h in &sheet.header {
        match h {
            Head::One(text) => {
                if two {
                    ws.merge_range(r, c, r + 1, c, text, &st.head)?;
                } else {
                    ws.write_string_with_format(r, c, *text, &st.head)?;
                }
                c += 1;
            }
            Head::Group(group, subs) => {
                let last = c + subs.len() as u16 - 1;
                if last > c {
                    ws.merge_range(r, c, r, last, group, &st.head)?;
                } else {
                    ws.write_string_with_format(r, c, *group, &st.head)?;
                }
                for (k, s) in subs.iter().enumerate() {
                    ws.write_string_with_format(r + 1, c + k as u16, *s, &st.head)?;
                }
                c = last + 1;
            }
        }
    }
    r += sheet.header_rows();
    if two {
        ws.set_freeze_panes(r, 0)?;
    }
    for row in &sheet.rows {
        for (ci, cell) in row.cells.iter().enumerate() {
            let col = ci as u16;
            let boxed = row.kind == RowKind::Data;
            match cell {
                Cell::Empty => {
                    if boxed {
                        ws.write_blank(r, col, &st.body)?;
                    }
                }
                Cell::Text(s) => {
                    let f = if boxed { &st.body } else { &st.footer };
                    ws.write_string_with_format(r, col, s, f)?;
                }
                Cell::Num(v, nf) => {
                    let f = match nf {
                        NumFmt::General => &st.body,
                        NumFmt::Fixed2 => &st.fixed2,
                        NumFmt::Int => &st.int,
                    };
                    ws.write_number_with_format(r, col, *v, f)?;
                }
                Cell::Date(d, df) => {
                    let f = match df {
                        DateFmt::Iso => &st.date_iso,
                        DateFmt::Slash => &st.date_slash,
                        DateFmt::Cn => &st.date_cn,
                    };
                    ws.write_datetime_with_format(r, col, excel_date(*d)?, f)?;
                }
            }
        }
        r += 1;
    }
    Ok(())
}

/// Document properties; `created` is fixed so the bytes depend on the seed only.
#[derive(Debug, Clone)]
pub struct Props {
    pub author: String,
    pub created: NaiveDate,
}

/// Write the sheets into one workbook.
pub fn write_xlsx(path: &Path, props: &Props, sheets: &[Sheet]) -> Result<()> {
    let mut wb = Workbook::new();
    let created = excel_date(props.created)?.and_hms(9, 30, 0)?;
    wb.set_properties(
        &DocProperties::new()
            .set_author(&props.author)
            .set_creation_datetime(&created),
    );
    let st = Styles::new();
    for sheet in sheets {
        let ws = wb.add_worksheet();
        write_sheet(ws, sheet, &st)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    wb.save(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Write a CSV: the header record, then the rows' cells as text.
pub fn write_csv(
    path: &Path,
    encoding: TextEncoding,
    eol: LineEnding,
    header: &[&str],
    rows: &[Row],
) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut sink = CsvSink::new(BufWriter::new(file), encoding, eol);
    sink.record(header)?;
    for row in rows {
        for cell in &row.cells {
            sink.field(&cell.as_text());
        }
        sink.end_record()?;
    }
    sink.finish()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(first: &str) -> Row {
        Row::data(vec![Cell::text(first), Cell::int(3)])
    }

    #[test]
    fn scan_counts_like_the_reader() -> Result<()> {
        let rows = vec![
            data("1"),
            Row::blank(vec![Cell::text("\u{3000}")]),
            data("2").planted(Some(Plant::col(Rule::OutOfRange, "x"))),
            footer_line(2, &[(0, "合计".into())]),
            data("3").planted(Some(Plant::row(Rule::AfterFooter))),
            footer_line(2, &[(1, "制表：某某".into())]),
        ];
        let c = scan(&rows, 4, &["合计", "制表"], None)?;
        assert_eq!((c.rows_read, c.rows_skipped), (3, 3));
        assert_eq!(c.planted.len(), 2);
        assert_eq!(c.planted[0].row, 6);
        assert_eq!(c.planted[1].rule, Rule::AfterFooter);
        assert_eq!(c.planted[1].row, 8);
        Ok(())
    }

    #[test]
    fn scan_refuses_a_data_row_that_looks_like_a_footer() {
        let rows = vec![data("合计数")];
        assert!(scan(&rows, 2, &["合计"], None).is_err());
        let rows = vec![data("1"), footer_line(2, &[(0, "合计".into())]), data("2")];
        assert!(
            scan(&rows, 2, &["合计"], None).is_err(),
            "unplanted after_footer"
        );
    }

    #[test]
    fn field_count_is_derived_for_csv() -> Result<()> {
        let mut long = data("1");
        long.cells.push(Cell::text("多余"));
        let rows = vec![data("0"), long.planted(Some(Plant::row(Rule::FieldCount)))];
        let c = scan(&rows, 2, &[], Some(2))?;
        assert_eq!(c.planted[0].row, 3);
        Ok(())
    }
}
