//! `ecstat validate`: check files against their source specs without loading anything, and
//! write for each an xlsx feedback report (in Chinese) the bureau can send back to the
//! department: every row to correct, with the sheet, row, column, value, problem and fix.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use ecstat_core::spec::{SourceSpec, wildcard_match};
use ecstat_ingest::{Ingested, InputFile, Target, normalise};
use ecstat_pipeline::project::Project;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};

use crate::{Failure, exit};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files to check (csv, xlsx, json), as the department sent them.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Folder to write the feedback reports into (one xlsx per file and source).
    #[arg(long)]
    out: PathBuf,
    /// Check against this source spec instead of choosing by file name.
    #[arg(long, value_name = "NAME")]
    source: Option<String>,
}

/// Specs a file is checked against: `--source`, else those whose file patterns match the
/// file's name (the last path segment of each pattern).
fn specs_for<'a>(
    specs: &'a [Arc<SourceSpec>],
    file: &Path,
    source: Option<&str>,
) -> Vec<&'a Arc<SourceSpec>> {
    if let Some(source) = source {
        return specs.iter().filter(|s| s.name() == source).collect();
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    specs
        .iter()
        .filter(|s| {
            s.files().iter().any(|pattern| {
                let last = pattern.rsplit('/').next().unwrap_or(pattern);
                wildcard_match(last, &name)
            })
        })
        .collect()
}

/// The project gives the pipeline folder and the reference folder (division codes and the
/// values of relationship checks).
pub async fn validate(project: &Project, args: ValidateArgs) -> Result<u8, Failure> {
    let usage = |e: anyhow::Error| Failure::new(exit::USAGE, e);
    let specs = ecstat_pipeline::definitions::load_specs(&project.pipelines)?;
    if let Some(source) = &args.source
        && !specs.iter().any(|s| s.name() == source)
    {
        let names: Vec<&str> = specs.iter().map(|s| s.name()).collect();
        return Err(usage(anyhow::anyhow!(
            "no source `{source}`; sources are: {}",
            names.join(", ")
        )));
    }
    let references = ecstat_pipeline::definitions::load_references(&project.pipelines)?;
    // Nothing is stored; ID numbers are still hashed, with a throwaway random salt (an
    // unsalted hash of an ID number could be reversed by trying every number).
    let mut salt = vec![0u8; 32];
    {
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut salt))
            .map_err(|e| Failure::new(exit::INTERNAL, anyhow::anyhow!("/dev/urandom: {e}")))?;
    }
    let env =
        ecstat_pipeline::definitions::ingest_env(&specs, &references, &project.reference, salt)?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Failure::new(exit::INPUT, anyhow::anyhow!("{}: {e}", args.out.display())))?;

    let mut all_clean = true;
    for file in &args.files {
        let matched = specs_for(&specs, file, args.source.as_deref());
        if matched.is_empty() {
            all_clean = false;
            println!(
                "{}: 未匹配到数据源规格 / no source spec matches this file name; pass --source NAME",
                file.display()
            );
            continue;
        }
        let input = match InputFile::open(file, file.to_string_lossy().into_owned()) {
            Ok(input) => input,
            Err(e) => {
                all_clean = false;
                println!("{e}");
                continue;
            }
        };
        for spec in matched {
            let checked = ecstat_ingest::ingest_file(
                Target::CheckOnly,
                spec.clone(),
                &env,
                &input,
                "validate",
                &|_| {},
            )
            .await
            .map_err(|e| Failure::new(exit::INPUT, e))?;
            let report = report_path(
                &args.out,
                file,
                spec.name(),
                matched_len(&specs, file, &args),
            );
            write_report(&report, file, spec, &checked)
                .map_err(|e| Failure::new(exit::INPUT, e))?;
            let r = &checked.record;
            let verdict = match &r.error {
                Some(e) => format!("整个文件被退回 / rejected: {e}"),
                None if r.rows_quarantined > 0 => format!(
                    "需更正 {} 行 / {} rows to correct",
                    r.rows_quarantined, r.rows_quarantined
                ),
                None => "通过 / passed".to_string(),
            };
            if r.error.is_some() || r.rows_quarantined > 0 || r.rows_warned > 0 {
                all_clean = false;
            }
            println!(
                "{} [{}]: read {}, loadable {}, to correct {}, warnings {} — {verdict}\n  report: {}",
                file.display(),
                spec.name(),
                r.rows_read,
                r.rows_staged,
                r.rows_quarantined,
                r.rows_warned,
                report.display()
            );
        }
    }
    Ok(if all_clean {
        exit::OK
    } else {
        exit::CHECKS_FAILED
    })
}

fn matched_len(specs: &[Arc<SourceSpec>], file: &Path, args: &ValidateArgs) -> usize {
    specs_for(specs, file, args.source.as_deref()).len()
}

/// `OUT/<file stem>_问题反馈.xlsx`, with the source added when one file feeds several.
fn report_path(out: &Path, file: &Path, source: &str, sources: usize) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    if sources > 1 {
        out.join(format!("{stem}_{source}_问题反馈.xlsx"))
    } else {
        out.join(format!("{stem}_问题反馈.xlsx"))
    }
}

fn write_report(
    path: &Path,
    file: &Path,
    spec: &SourceSpec,
    checked: &Ingested,
) -> anyhow::Result<()> {
    let r = &checked.record;
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

    let summary = workbook.add_worksheet().set_name("概要")?;
    summary.write_with_format(0, 0, "数据报送问题反馈 / Data submission feedback", &title)?;
    let verdict = match &r.error {
        Some(_) => "整个文件被退回，请按下方原因更正后重新报送",
        None if r.rows_quarantined > 0 => "部分行需更正：请按“问题清单”更正后重新报送整个文件",
        None if r.rows_warned > 0 => "通过（有提示，请核实）",
        None => "通过",
    };
    let rows: Vec<(&str, String)> = vec![
        (
            "文件 / file",
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        (
            "数据源 / source",
            format!("{} — {}", spec.name(), spec.description()),
        ),
        ("报送单位 / submitter", spec.submitter().to_string()),
        ("文件校验码 (SHA-256)", r.sha256.clone()),
        (
            "检查时间 / checked at",
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        ),
        ("读取数据行 / rows read", r.rows_read.to_string()),
        ("可入库行 / rows loadable", r.rows_staged.to_string()),
        ("需更正行 / rows to correct", r.rows_quarantined.to_string()),
        ("提示 / warnings", r.rows_warned.to_string()),
        (
            "跳过的空行与表尾行 / blank and footer rows",
            r.rows_skipped.to_string(),
        ),
        ("结论 / verdict", verdict.to_string()),
        ("说明 / notes", r.notes.join("；")),
        (
            "退回原因 / why rejected",
            // The department knows its file by name; the path on this machine means nothing.
            r.error
                .as_deref()
                .map(|e| {
                    e.strip_prefix(&format!("{}: ", file.display()))
                        .unwrap_or(e)
                        .to_string()
                })
                .unwrap_or_default(),
        ),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        summary.write_with_format(row, 0, *k, &head)?;
        summary.write_with_format(row, 1, v, &cell)?;
    }
    summary.set_column_width(0, 34)?;
    summary.set_column_width(1, 90)?;

    let list = workbook.add_worksheet().set_name("问题清单")?;
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
        list.write_with_format(0, c as u16, *h, &head)?;
        list.set_column_width(c as u16, *width)?;
    }
    list.set_freeze_panes(1, 0)?;
    let layout = spec.layout_for(file);
    let sheet = layout.sheet.unwrap_or_else(|| match layout.format {
        ecstat_core::spec::FileFormat::Xlsx => "第一个工作表".into(),
        _ => String::new(),
    });
    for (i, p) in checked.problems.iter().enumerate() {
        let row = i as u32 + 1;
        let header = p.column.as_deref().map(|c| {
            checked
                .headers
                .iter()
                .find(|(name, _)| name == c)
                .map(|(_, h)| h.clone())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| c.to_string())
        });
        let format = if p.severity == "warn" { &cell } else { &error };
        list.write_with_format(row, 0, &sheet, format)?;
        list.write_with_format(row, 1, p.row as f64, format)?;
        list.write_with_format(row, 2, header.unwrap_or_default(), format)?;
        list.write_with_format(row, 3, p.value.clone().unwrap_or_default(), format)?;
        list.write_with_format(row, 4, normalise::reason(&p.rule), format)?;
        list.write_with_format(row, 5, p.detail.clone().unwrap_or_default(), format)?;
        list.write_with_format(row, 6, normalise::fix(&p.rule), format)?;
        let action = if p.severity == "warn" {
            "仅提示，已入库"
        } else {
            "该行未入库"
        };
        list.write_with_format(row, 7, action, format)?;
    }
    if checked.problems.is_empty() {
        list.write(1, 0, "无 / none")?;
    }
    // Written next to the final name and moved into place, so a reader never sees half a file.
    let tmp = path.with_extension("xlsx.tmp");
    workbook.save(&tmp)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
