//! Exports of the indicator table (`ind_results`), one file per [`Format`]:
//!
//! - **xlsx** for officials: Chinese headers with the English codes, number formats, frozen
//!   header, coloured status; sheets 目标达成, 年度, 月度及累计, one per topic (the
//!   deployment's [`Presentation`]) and 说明 last.
//! - **csv** in UTF-8 with BOM (Excel on Chinese Windows needs it), every column as is.
//! - **parquet** (zstd) and **json** (an array of objects, NULLs explicit), every column.
//! - **sdmx**: SDMX-CSV 2.0 for statistical systems (layout in [`sdmx`]).
//! - **html**: a self-contained Chinese report, charts as inline SVG, viewable offline.
//!
//! Beside them, the feedback workbook of a checked submission ([`feedback`]).
//!
//! Columns are looked up by name and a missing one is skipped, so older tables without
//! `contributors` or `disclosure` export too. A cell withheld under statistical disclosure
//! control (`disclosure` set) has no value; xlsx and HTML show 保密 in its place, the other
//! formats leave it empty/NULL and keep the `disclosure` column — never a 0. Text cells of
//! CSV, SDMX-CSV and xlsx cannot start a spreadsheet formula ([`csv_safe`]). Figures reach
//! text from their exact decimal, never through `f64`.

pub mod csv_safe;
mod decimal;
pub mod feedback;
mod html;
pub mod presentation;
pub mod result;
mod rows;
pub mod sdmx;
mod svg;
mod xlsx;

#[cfg(test)]
mod fixture;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use arrow::array::RecordBatch;

pub use decimal::Decimal;
pub use html::write_html;
pub use presentation::Presentation;
pub use sdmx::write_sdmx;
pub use xlsx::write_xlsx;

/// What xlsx and HTML show in place of a withheld figure.
pub const SUPPRESSED_ZH: &str = "保密";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("unknown export format `{0}`; use {names}", names = Format::names())]
    UnknownFormat(String),
}

pub type Result<T, E = ExportError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
    Parquet,
    Json,
    /// SDMX-CSV 2.0, `indicators.sdmx.csv`.
    Sdmx,
    /// The self-contained report, `indicators.html`.
    Html,
}

impl Format {
    /// What `--format all` writes.
    pub const ALL: [Format; 6] = [
        Format::Xlsx,
        Format::Csv,
        Format::Parquet,
        Format::Json,
        Format::Sdmx,
        Format::Html,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Json => "json",
            Format::Sdmx => "sdmx",
            Format::Html => "html",
        }
    }

    /// The file is `indicators.<extension>`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Sdmx => "sdmx.csv",
            other => other.name(),
        }
    }

    /// `xlsx, csv, parquet, json, sdmx or html`, for messages.
    pub fn names() -> String {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.concat(),
        }
    }
}

impl FromStr for Format {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ExportError::UnknownFormat(s.to_string()))
    }
}

/// What the notes sheet and the report say about the figures.
#[derive(Debug, Clone, Default)]
pub struct ExportMeta {
    pub snapshot_version: u64,
    pub run_id: String,
    pub created_at: String,
    pub data_as_of: Option<String>,
    /// (code, 中文名, English name, unit, definition, departments)
    pub definitions: Vec<[String; 6]>,
    /// (source, file, sha256, rows staged)
    pub inputs: Vec<[String; 4]>,
    /// The evidence behind each indicator: (indicator code, department, file, sha256,
    /// rows staged), from the snapshot's `ind_lineage`.
    pub lineage: Vec<[String; 5]>,
    /// Title, caliber, topic sheets and charts (`pipelines/report.toml`); the title's
    /// `{county_name}` already replaced.
    pub presentation: Presentation,
}

/// Chinese header of each indicator-table column.
pub const HEADERS_ZH: &[(&str, &str)] = &[
    ("indicator_code", "指标代码"),
    ("indicator_name_zh", "指标名称"),
    ("indicator_name_en", "英文名称"),
    ("measure", "度量代码"),
    ("measure_name_zh", "度量"),
    ("unit", "单位"),
    ("period_type", "期别类型"),
    ("period", "期别"),
    ("dimension", "分组维度"),
    ("member", "分组代码"),
    ("member_name", "分组名称"),
    ("value", "数值"),
    ("contributors", "贡献企业数"),
    ("disclosure", "保密原因"),
    ("base_period", "基期"),
    ("base_value", "基期数值"),
    ("target", "目标值"),
    ("comparison", "比较"),
    ("target_upper", "目标上限"),
    ("attainment_pct", "完成度(%)"),
    ("status", "状态"),
    ("note", "备注"),
    ("months_covered", "覆盖月数"),
    ("snapshot_version", "快照版本"),
    ("data_as_of", "数据截至"),
];

pub fn header_zh(column: &str) -> &str {
    HEADERS_ZH
        .iter()
        .find(|(c, _)| *c == column)
        .map(|(_, z)| *z)
        .unwrap_or(column)
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn write_err(path: &Path) -> impl FnOnce(String) -> ExportError + '_ {
    move |message| ExportError::Write {
        path: path.to_path_buf(),
        message,
    }
}

/// Write `batches` (the indicator table) to `dir/indicators.EXT`; returns the path.
/// The file appears under its name only once complete (temp file + rename).
pub fn export(
    batches: &[RecordBatch],
    meta: &ExportMeta,
    format: Format,
    dir: &Path,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(format!("indicators.{}", format.extension()));
    let tmp = dir.join(format!(
        ".indicators.{}.{}.tmp",
        format.extension(),
        std::process::id()
    ));
    let result = match format {
        Format::Xlsx => write_xlsx(batches, meta, &tmp),
        Format::Csv => write_csv(batches, &tmp),
        Format::Parquet => write_parquet(batches, &tmp),
        Format::Json => write_json(batches, &tmp),
        Format::Sdmx => write_sdmx(batches, &tmp),
        Format::Html => write_html(batches, meta, &tmp),
    };
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(&tmp))?;
    // Exports are derived files, replaced on every run: a rename is what we want here.
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(path)
}

/// Every column as is, except that text cannot start a formula ([`csv_safe`]).
fn write_csv(batches: &[RecordBatch], path: &Path) -> Result<()> {
    let mut out = BufWriter::new(File::create(path).map_err(io(path))?);
    out.write_all(b"\xEF\xBB\xBF").map_err(io(path))?;
    let mut writer = arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(&mut out);
    for batch in batches {
        let safe = csv_safe::neutralize_batch(batch).map_err(|e| write_err(path)(e.to_string()))?;
        writer
            .write(&safe)
            .map_err(|e| write_err(path)(e.to_string()))?;
    }
    drop(writer);
    out.flush().map_err(io(path))
}

fn write_parquet(batches: &[RecordBatch], path: &Path) -> Result<()> {
    let Some(first) = batches.first() else {
        return Err(write_err(path)("no rows to export".into()));
    };
    let file = File::create(path).map_err(io(path))?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, first.schema(), Some(props))
        .map_err(|e| write_err(path)(e.to_string()))?;
    for batch in batches {
        writer
            .write(batch)
            .map_err(|e| write_err(path)(e.to_string()))?;
    }
    writer.close().map_err(|e| write_err(path)(e.to_string()))?;
    Ok(())
}

fn write_json(batches: &[RecordBatch], path: &Path) -> Result<()> {
    let mut out = BufWriter::new(File::create(path).map_err(io(path))?);
    let mut writer = arrow::json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, arrow::json::writer::JsonArray>(&mut out);
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    writer
        .write_batches(&refs)
        .map_err(|e| write_err(path)(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| write_err(path)(e.to_string()))?;
    drop(writer);
    out.flush().map_err(io(path))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, Decimal128Array, StringArray};
    use calamine::{Data, Reader, Xlsx, open_workbook};

    use super::*;
    use crate::fixture::{self, Obs};

    fn batch() -> RecordBatch {
        let text = |v: &[Option<&str>]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
        let dec = |v: &[Option<i128>]| {
            Arc::new(
                Decimal128Array::from(v.to_vec())
                    .with_precision_and_scale(22, 4)
                    .expect("decimal"),
            ) as ArrayRef
        };
        RecordBatch::try_from_iter(vec![
            (
                "indicator_code",
                text(&[Some("rural_online_retail"), Some("rural_online_retail")]),
            ),
            (
                "indicator_name_zh",
                text(&[Some("农村网络零售额"), Some("农村网络零售额")]),
            ),
            (
                "measure_name_zh",
                text(&[Some("数值"), Some("较2017年增长率")]),
            ),
            ("period_type", text(&[Some("year"), Some("year")])),
            ("period", text(&[Some("2019"), Some("2019")])),
            ("unit", text(&[Some("元"), Some("%")])),
            ("value", dec(&[Some(5_400_000), Some(200_000)])),
            ("target", dec(&[None, Some(200_000)])),
            ("comparison", text(&[None, Some(">=")])),
            ("status", text(&[Some("无目标"), Some("达标")])),
        ])
        .expect("batch")
    }

    /// Township rows whose names a spreadsheet would run as formulas, and a negative value.
    fn hostile() -> RecordBatch {
        let names = [
            "=HYPERLINK(\"http://x.example\",\"点我\")",
            "-1+1",
            "@SUM(A1)",
            "\tx",
        ];
        let rows: Vec<Obs> = names
            .iter()
            .enumerate()
            .map(|(k, name)| Obs {
                member_name: name,
                value: Some(-10_000 * (k as i128 + 1)),
                ..Obs::township("parcels_sent", "2019", "350524100000", "", 0)
            })
            .collect();
        fixture::batch(&rows, true)
    }

    const HOSTILE_SAFE: [&str; 4] = [
        "'=HYPERLINK(\"http://x.example\",\"点我\")",
        "'-1+1",
        "'@SUM(A1)",
        "'\tx",
    ];

    #[test]
    fn xlsx_has_chinese_headers_codes_numbers_and_notes() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let meta = ExportMeta {
            snapshot_version: 7,
            data_as_of: Some("2019-12".into()),
            lineage: vec![[
                "rural_online_retail".into(),
                "taobao".into(),
                "platforms/淘宝订单导出_2019.csv".into(),
                "ab".repeat(32),
                "4160".into(),
            ]],
            ..fixture::meta()
        };
        let path = export(&[batch()], &meta, Format::Xlsx, tmp.path()).expect("export");
        let mut wb: Xlsx<_> = open_workbook(&path).expect("open");
        assert_eq!(
            wb.sheet_names(),
            vec![
                "目标达成",
                "年度",
                "月度及累计",
                "网络零售",
                "数据来源",
                "说明"
            ]
        );
        let sources = wb.worksheet_range("数据来源").expect("sheet");
        assert_eq!(
            sources.get_value((2, 2)),
            Some(&Data::String("platforms/淘宝订单导出_2019.csv".into()))
        );
        assert_eq!(sources.get_value((2, 4)), Some(&Data::Float(4160.0)));
        let summary = wb.worksheet_range("目标达成").expect("sheet");
        assert_eq!(
            summary.get_value((0, 1)),
            Some(&Data::String("指标名称".into()))
        );
        assert_eq!(
            summary.get_value((1, 1)),
            Some(&Data::String("indicator_name_zh".into()))
        );
        // Only the row with a target, its growth as a number.
        assert_eq!(summary.height(), 3);
        assert_eq!(summary.get_value((2, 4)), Some(&Data::Float(20.0)));
        assert_eq!(
            summary.get_value((2, 10)),
            Some(&Data::String("达标".into()))
        );
        let yearly = wb.worksheet_range("年度").expect("sheet");
        assert_eq!(yearly.height(), 4);
        let notes = wb.worksheet_range("说明").expect("sheet");
        assert_eq!(notes.get_value((0, 1)), Some(&Data::String("7".into())));
    }

    #[test]
    fn xlsx_topic_sheets_hold_each_topics_years_of_every_breakdown() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut rows = fixture::report_rows();
        rows.push(Obs::county("tea_export_volume", "2019", 10_000));
        // Withheld although the table left a figure in it: the figure must not show.
        rows.push(Obs {
            disclosure: Some("p%"),
            base_value: None,
            ..Obs::county("fund_budget", "2019", 5_000).vs_baseline("2017", 1)
        });
        let table = fixture::batch(&rows, true);
        let path = export(&[table], &fixture::meta(), Format::Xlsx, tmp.path()).expect("export");
        let mut wb: Xlsx<_> = open_workbook(&path).expect("open");
        // 经营主体, 培训 and 物流 have no rows here and no sheet; 其他 takes the code no
        // topic lists.
        assert_eq!(
            wb.sheet_names(),
            vec![
                "目标达成",
                "年度",
                "月度及累计",
                "网络零售",
                "服务网络",
                "资金",
                "其他",
                "说明"
            ]
        );

        let sheet = wb.worksheet_range("网络零售").expect("sheet");
        let cell = |r: u32, c: u32| sheet.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        let s = |v: &str| Data::String(v.into());
        for (c, column) in xlsx::DETAIL_COLUMNS.iter().enumerate() {
            assert_eq!(cell(0, c as u32), s(header_zh(column)), "{column}");
            assert_eq!(cell(1, c as u32), s(column), "{column}");
        }
        assert_eq!(cell(0, 8), s("数值"));
        assert_eq!(cell(0, 14), s("保密原因"));
        // The yearly rows of the two sales indicators, county and townships, in table
        // order: 4 growth rows, 2 county years, 4 township years.
        let expected = [
            (
                "rural_online_retail",
                "2018",
                "county",
                "安溪县",
                Data::Float(12.5),
            ),
            (
                "rural_online_retail",
                "2019",
                "county",
                "安溪县",
                Data::Float(27.5),
            ),
            (
                "agri_online_retail",
                "2018",
                "county",
                "安溪县",
                Data::Float(-5.0),
            ),
            (
                "agri_online_retail",
                "2019",
                "county",
                "安溪县",
                Data::Float(18.3333),
            ),
            (
                "rural_online_retail",
                "2019",
                "county",
                "安溪县",
                Data::Float(6_120_000.0),
            ),
            (
                "rural_online_retail",
                "2020",
                "county",
                "安溪县",
                Data::Float(1_500_000.0),
            ),
            (
                "rural_online_retail",
                "2019",
                "township",
                "凤城镇",
                Data::Float(3_100_000.0),
            ),
            (
                "rural_online_retail",
                "2019",
                "township",
                "城厢镇",
                Data::Float(1_900_000.0),
            ),
            (
                "rural_online_retail",
                "2019",
                "township",
                "西坪镇",
                s("保密"),
            ),
            (
                "rural_online_retail",
                "2020",
                "township",
                "凤城镇",
                Data::Float(700_000.0),
            ),
        ];
        assert_eq!(sheet.height(), 2 + expected.len());
        for (k, (code, period, dimension, name, value)) in expected.into_iter().enumerate() {
            let r = 2 + k as u32;
            assert_eq!(cell(r, 0), s(code), "row {r}");
            assert_eq!(cell(r, 3), s("year"), "row {r}");
            assert_eq!(cell(r, 4), s(period), "row {r}");
            assert_eq!(cell(r, 5), s(dimension), "row {r}");
            assert_eq!(cell(r, 7), s(name), "row {r}");
            assert_eq!(cell(r, 8), value, "row {r}");
        }
        // The withheld row says why; it has no base period, so no withheld base value.
        assert_eq!(cell(10, 14), s("n<3"));
        assert_eq!(cell(10, 11), Data::Empty);
        // A published row has no reason and an empty base value.
        assert_eq!(cell(8, 14), Data::Empty);
        assert_eq!(cell(8, 11), Data::Empty);

        let funds = wb.worksheet_range("资金").expect("sheet");
        assert_eq!(funds.height(), 2 + 1);
        assert_eq!(funds.get_value((2, 8)), Some(&s("保密")));
        assert_eq!(funds.get_value((2, 10)), Some(&s("2017")));
        assert_eq!(funds.get_value((2, 11)), Some(&s("保密")));

        let services = wb.worksheet_range("服务网络").expect("sheet");
        assert_eq!(services.height(), 2 + 3);
        let other = wb.worksheet_range("其他").expect("sheet");
        assert_eq!(other.get_value((2, 0)), Some(&s("tea_export_volume")));
    }

    #[test]
    fn xlsx_text_cannot_start_a_formula() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path =
            export(&[hostile()], &fixture::meta(), Format::Xlsx, tmp.path()).expect("export");
        let mut wb: Xlsx<_> = open_workbook(&path).expect("open");
        for name in ["年度", "物流"] {
            let sheet = wb.worksheet_range(name).expect("sheet");
            for (k, safe) in HOSTILE_SAFE.iter().enumerate() {
                let r = 2 + k as u32;
                assert_eq!(
                    sheet.get_value((r, 7)),
                    Some(&Data::String((*safe).into())),
                    "{name} row {r}"
                );
                // Negative numbers are numbers.
                assert_eq!(
                    sheet.get_value((r, 8)),
                    Some(&Data::Float(-(k as f64 + 1.0))),
                    "{name} row {r}"
                );
            }
        }
    }

    #[test]
    fn csv_has_a_bom_and_exact_decimals() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = export(&[batch()], &fixture::meta(), Format::Csv, tmp.path()).expect("export");
        let bytes = std::fs::read(path).expect("read");
        assert!(bytes.starts_with(b"\xEF\xBB\xBFindicator_code,"));
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.contains("540.0000"), "{text}");
    }

    /// The CSV's records as text, BOM removed.
    fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
        let bytes = std::fs::read(path).expect("read");
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut reader = csv::Reader::from_reader(body);
        let header = reader
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        let records = reader
            .records()
            .map(|r| r.expect("record").iter().map(String::from).collect())
            .collect();
        (header, records)
    }

    #[test]
    fn csv_text_cannot_start_a_formula() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = export(&[hostile()], &fixture::meta(), Format::Csv, tmp.path()).expect("export");
        let (header, records) = read_csv(&path);
        let name = header
            .iter()
            .position(|h| h == "member_name")
            .expect("column");
        let value = header.iter().position(|h| h == "value").expect("column");
        assert_eq!(records.len(), HOSTILE_SAFE.len());
        for (k, (record, safe)) in records.iter().zip(HOSTILE_SAFE).enumerate() {
            assert_eq!(record[name], safe);
            assert_eq!(record[value], format!("-{}.0000", k + 1));
        }
        // And none of the raw lines starts a field with a formula character.
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            !text.contains(",=") && !text.contains(",@") && !text.contains(",\t"),
            "{text}"
        );
    }

    #[test]
    fn withheld_cells_stay_empty_with_their_reason() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let table = fixture::batch(&fixture::report_rows(), true);
        let tables = std::slice::from_ref(&table);
        let meta = ExportMeta::default();

        let path = export(tables, &meta, Format::Csv, tmp.path()).expect("csv");
        let (header, records) = read_csv(&path);
        let col = |name: &str| header.iter().position(|h| h == name).expect(name);
        let withheld: Vec<&Vec<String>> = records
            .iter()
            .filter(|r| r[col("member_name")] == "西坪镇")
            .collect();
        assert_eq!(withheld.len(), 1);
        assert_eq!(withheld[0][col("value")], "");
        assert_eq!(withheld[0][col("disclosure")], "n<3");
        assert_eq!(withheld[0][col("contributors")], "2");

        let path = export(tables, &meta, Format::Json, tmp.path()).expect("json");
        let text = std::fs::read_to_string(path).expect("read");
        let object = text
            .split("},{")
            .find(|o| o.contains("西坪镇"))
            .expect("row");
        assert!(object.contains(r#""value":null"#), "{object}");
        assert!(object.contains(r#""disclosure":"n<3""#), "{object}");

        let path = export(tables, &meta, Format::Parquet, tmp.path()).expect("parquet");
        let file = File::open(path).expect("open");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1024)
            .expect("reader");
        let back: Vec<RecordBatch> = reader.collect::<Result<_, _>>().expect("read");
        let row = crate::rows::rows(&back)
            .find(|r| r.text("member_name") == Some("西坪镇"))
            .expect("row");
        assert_eq!(row.decimal("value"), None);
        assert_eq!(row.disclosure(), Some("n<3"));
        let values = back[0].column_by_name("value").expect("value");
        // The withheld row is the only one without a value: no 0 stands in for it.
        assert_eq!(values.null_count(), 1);
    }

    #[test]
    fn tables_from_before_disclosure_export_in_every_format() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let table = fixture::batch(&fixture::report_rows(), false);
        assert!(table.column_by_name("disclosure").is_none());
        for format in Format::ALL {
            let path = export(
                std::slice::from_ref(&table),
                &fixture::meta(),
                format,
                tmp.path(),
            )
            .expect("export");
            assert_eq!(
                path.file_name().and_then(|n| n.to_str()),
                Some(format!("indicators.{}", format.extension()).as_str())
            );
            assert!(
                std::fs::metadata(&path).expect("file").len() > 0,
                "{format:?}"
            );
        }
    }

    #[test]
    fn formats_parse_by_name_and_all_covers_them() {
        for (name, format) in [
            ("xlsx", Format::Xlsx),
            ("CSV", Format::Csv),
            ("parquet", Format::Parquet),
            ("json", Format::Json),
            ("sdmx", Format::Sdmx),
            ("HTML", Format::Html),
        ] {
            assert_eq!(name.parse::<Format>().ok(), Some(format), "{name}");
            assert!(Format::ALL.contains(&format));
        }
        assert_eq!(Format::Sdmx.extension(), "sdmx.csv");
        assert_eq!(Format::Html.extension(), "html");
    }

    #[test]
    fn unknown_format_is_a_usage_error() {
        let error = "pdf".parse::<Format>().expect_err("pdf");
        assert!(matches!(error, ExportError::UnknownFormat(_)));
        assert_eq!(
            error.to_string(),
            "unknown export format `pdf`; use xlsx, csv, parquet, json, sdmx or html"
        );
        assert_eq!("XLSX".parse::<Format>().ok(), Some(Format::Xlsx));
        // The file extension is not a format name.
        assert!("sdmx.csv".parse::<Format>().is_err());
    }
}
