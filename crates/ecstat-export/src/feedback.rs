//! The feedback workbook of a checked submission (数据报送问题反馈, in Chinese): 概要 — the
//! file, its source and submitter, the counts and the verdict — and 问题清单, one row per
//! problem with the sheet, row, column, value, problem, explanation, how to fix and what
//! was done with the row. The bureau sends it back to the department.

use std::path::Path;

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};

use crate::{ExportError, Result};

/// What the workbook reports: a checked file, as plain text.
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    /// The file's name as the department knows it (no folders of this machine).
    pub file_name: String,
    /// `name — description` of the source spec.
    pub source: String,
    pub submitter: String,
    pub sha256: String,
    pub checked_at: String,
    pub rows_read: u64,
    pub rows_loadable: u64,
    pub rows_to_correct: u64,
    pub rows_warned: u64,
    pub rows_skipped: u64,
    pub notes: Vec<String>,
    /// Why the whole file was rejected, when it was.
    pub rejected: Option<String>,
    /// The sheet the rows are on (empty for a CSV).
    pub sheet: String,
    pub problems: Vec<FeedbackRow>,
}

/// One problem of the file.
#[derive(Debug, Clone, Default)]
pub struct FeedbackRow {
    /// 1-based row of the file.
    pub row: u64,
    /// The column's header as the file has it.
    pub column: String,
    pub value: String,
    pub problem: String,
    pub detail: String,
    pub fix: String,
    /// A warning: the row was loaded.
    pub warning: bool,
}

impl Feedback {
    /// 通过 / 部分行需更正 / 整个文件被退回.
    pub fn verdict(&self) -> &'static str {
        match &self.rejected {
            Some(_) => "整个文件被退回，请按下方原因更正后重新报送",
            None if self.rows_to_correct > 0 => {
                "部分行需更正：请按“问题清单”更正后重新报送整个文件"
            }
            None if self.rows_warned > 0 => "通过（有提示，请核实）",
            None => "通过",
        }
    }
}

/// Write `feedback` to `path`: next to the final name, then moved into place, so a reader
/// never sees half a file.
pub fn write_feedback(path: &Path, feedback: &Feedback) -> Result<()> {
    let failed = |e: rust_xlsxwriter::XlsxError| ExportError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut workbook = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let error = Format::new()
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xFCE4D6))
        .set_text_wrap();

    let summary = workbook.add_worksheet().set_name("概要").map_err(failed)?;
    summary
        .write_with_format(0, 0, "数据报送问题反馈 / Data submission feedback", &title)
        .map_err(failed)?;
    let f = feedback;
    let rows: Vec<(&str, String)> = vec![
        ("文件 / file", f.file_name.clone()),
        ("数据源 / source", f.source.clone()),
        ("报送单位 / submitter", f.submitter.clone()),
        ("文件校验码 (SHA-256)", f.sha256.clone()),
        ("检查时间 / checked at", f.checked_at.clone()),
        ("读取数据行 / rows read", f.rows_read.to_string()),
        ("可入库行 / rows loadable", f.rows_loadable.to_string()),
        ("需更正行 / rows to correct", f.rows_to_correct.to_string()),
        ("提示 / warnings", f.rows_warned.to_string()),
        (
            "跳过的空行与表尾行 / blank and footer rows",
            f.rows_skipped.to_string(),
        ),
        ("结论 / verdict", f.verdict().to_string()),
        ("说明 / notes", f.notes.join("；")),
        (
            "退回原因 / why rejected",
            f.rejected.clone().unwrap_or_default(),
        ),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        summary
            .write_with_format(row, 0, *k, &head)
            .map_err(failed)?;
        summary
            .write_with_format(row, 1, v, &cell)
            .map_err(failed)?;
    }
    summary.set_column_width(0, 34).map_err(failed)?;
    summary.set_column_width(1, 90).map_err(failed)?;

    let list = workbook
        .add_worksheet()
        .set_name("问题清单")
        .map_err(failed)?;
    let headers = [
        ("工作表", 14.0),
        ("行号", 8.0),
        ("列", 24.0),
        ("填报值", 24.0),
        ("问题", 36.0),
        ("说明", 40.0),
        ("修改建议", 40.0),
        ("处理", 16.0),
    ];
    for (c, (h, width)) in headers.iter().enumerate() {
        list.write_with_format(0, c as u16, *h, &head)
            .map_err(failed)?;
        list.set_column_width(c as u16, *width).map_err(failed)?;
    }
    list.set_freeze_panes(1, 0).map_err(failed)?;
    for (i, p) in f.problems.iter().enumerate() {
        let row = i as u32 + 1;
        let format = if p.warning { &cell } else { &error };
        let action = if p.warning {
            "仅提示，已入库"
        } else {
            "该行未入库"
        };
        let texts = [&f.sheet, &p.column, &p.value, &p.problem, &p.detail, &p.fix];
        list.write_with_format(row, 0, texts[0], format)
            .map_err(failed)?;
        list.write_with_format(row, 1, p.row as f64, format)
            .map_err(failed)?;
        for (c, text) in texts.iter().enumerate().skip(1) {
            list.write_with_format(row, c as u16 + 1, *text, format)
                .map_err(failed)?;
        }
        list.write_with_format(row, 7, action, format)
            .map_err(failed)?;
    }
    if f.problems.is_empty() {
        list.write(1, 0, "无 / none").map_err(failed)?;
    }
    let tmp = path.with_extension("xlsx.tmp");
    workbook.save(&tmp).map_err(failed)?;
    std::fs::rename(&tmp, path).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, open_workbook_auto};

    #[test]
    fn the_workbook_lists_each_problem_under_its_header() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("月报_问题反馈.xlsx");
        let feedback = Feedback {
            file_name: "月报.xlsx".into(),
            rows_read: 3,
            rows_loadable: 2,
            rows_to_correct: 1,
            sheet: "Sheet1".into(),
            problems: vec![FeedbackRow {
                row: 4,
                column: "村名".into(),
                value: "某村".into(),
                problem: "区划代码不存在".into(),
                ..FeedbackRow::default()
            }],
            ..Feedback::default()
        };
        write_feedback(&path, &feedback).expect("written");
        let mut book = open_workbook_auto(&path).expect("opens");
        let summary = book.worksheet_range("概要").expect("概要");
        let verdict = summary
            .rows()
            .find(|r| r[0].to_string().starts_with("结论"))
            .expect("a verdict row");
        assert!(verdict[1].to_string().starts_with("部分行需更正"));
        let list = book.worksheet_range("问题清单").expect("问题清单");
        let row: Vec<String> = list
            .rows()
            .nth(1)
            .expect("one problem")
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(row[..5], ["Sheet1", "4", "村名", "某村", "区划代码不存在"]);
        assert_eq!(row[7], "该行未入库");
        assert!(!dir.path().join("月报_问题反馈.xlsx.tmp").exists());
    }
}
