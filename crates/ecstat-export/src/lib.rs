//! Exports of the indicator table: an xlsx workbook for officials (Chinese headers with the
//! English codes, number formats, frozen header, coloured status, a notes sheet), CSV in
//! UTF-8 with BOM (Excel on Chinese Windows needs it), Parquet and JSON.

mod xlsx;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use arrow::array::RecordBatch;

pub use xlsx::write_xlsx;

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
    #[error("unknown export format `{0}`; use xlsx, csv, parquet or json")]
    UnknownFormat(String),
}

pub type Result<T, E = ExportError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
    Parquet,
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Xlsx, Format::Csv, Format::Parquet, Format::Json];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Json => "json",
        }
    }
}

impl FromStr for Format {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self> {
        Format::ALL
            .into_iter()
            .find(|f| f.extension().eq_ignore_ascii_case(s))
            .ok_or_else(|| ExportError::UnknownFormat(s.to_string()))
    }
}

/// What the notes sheet says about the figures.
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
    ("base_period", "基期"),
    ("base_value", "基期数值"),
    ("target", "目标值"),
    ("comparison", "比较"),
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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_err(path: &Path) -> impl FnOnce(String) -> ExportError + '_ {
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

fn write_csv(batches: &[RecordBatch], path: &Path) -> Result<()> {
    let mut out = BufWriter::new(File::create(path).map_err(io(path))?);
    out.write_all(b"\xEF\xBB\xBF").map_err(io(path))?;
    let mut writer = arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(&mut out);
    for batch in batches {
        writer
            .write(batch)
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

    use arrow::array::{ArrayRef, Decimal128Array, StringArray};
    use calamine::{Data, Reader, Xlsx, open_workbook};

    use super::*;

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

    #[test]
    fn xlsx_has_chinese_headers_codes_numbers_and_notes() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let meta = ExportMeta {
            snapshot_version: 7,
            data_as_of: Some("2019-12".into()),
            ..Default::default()
        };
        let path = export(&[batch()], &meta, Format::Xlsx, tmp.path()).expect("export");
        let mut wb: Xlsx<_> = open_workbook(&path).expect("open");
        assert_eq!(
            wb.sheet_names(),
            vec!["目标达成", "年度", "月度及累计", "说明"]
        );
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
    fn csv_has_a_bom_and_exact_decimals() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path =
            export(&[batch()], &ExportMeta::default(), Format::Csv, tmp.path()).expect("export");
        let bytes = std::fs::read(path).expect("read");
        assert!(bytes.starts_with(b"\xEF\xBB\xBFindicator_code,"));
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.contains("540.0000"), "{text}");
    }

    #[test]
    fn unknown_format_is_a_usage_error() {
        assert!(matches!(
            "pdf".parse::<Format>(),
            Err(ExportError::UnknownFormat(_))
        ));
        assert_eq!("XLSX".parse::<Format>().ok(), Some(Format::Xlsx));
    }
}
