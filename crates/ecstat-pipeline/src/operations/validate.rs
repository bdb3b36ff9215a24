//! `validate`: check files against their source specs without loading anything, and write
//! for each a feedback workbook (in Chinese) the bureau can send back to the department —
//! the same checks and messages as the nightly run's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ecstat_core::spec::{FileFormat, SourceSpec, wildcard_match};
use ecstat_engine::Engine;
use ecstat_export::feedback::{Feedback, FeedbackRow, write_feedback};
use ecstat_ingest::{Ingested, InputFile, Target, normalise};
use ecstat_lake::InputRecord;

use crate::definitions;
use crate::project::Project;
use crate::{PipelineError, Result, exit};

/// What to check: `files`, each against the specs its name matches (or `source`), with
/// the feedback workbooks written into `out`.
#[derive(Debug, Clone)]
pub struct ValidateOptions<'a> {
    project: &'a Project,
    engine: Engine,
    files: Vec<PathBuf>,
    out: PathBuf,
    source: Option<String>,
}

impl<'a> ValidateOptions<'a> {
    pub fn new(project: &'a Project, files: Vec<PathBuf>, out: impl Into<PathBuf>) -> Self {
        Self {
            project,
            engine: Engine::default(),
            files,
            out: out.into(),
            source: None,
        }
    }

    /// The engine the checks run on (its memory limit).
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// Check every file against this source spec instead of choosing by file name.
    pub fn source(mut self, source: Option<String>) -> Self {
        self.source = source;
        self
    }
}

/// What the check of one file found.
#[derive(Debug, Clone)]
pub enum Checked {
    /// No spec's file pattern matches the file's name.
    NoSpec,
    /// The file could not be opened.
    Unreadable(String),
    /// Checked against a spec; its feedback workbook is at `report`.
    Checked {
        source: String,
        record: Box<InputRecord>,
        report: PathBuf,
    },
}

/// Every file's checks, in the order given (a file feeding several sources once per source).
#[derive(Debug, Clone, Default)]
pub struct ValidateReport {
    pub files: Vec<(PathBuf, Checked)>,
}

impl ValidateReport {
    /// Whether every file was checked and has no problem, not even a warning.
    pub fn clean(&self) -> bool {
        self.files.iter().all(|(_, c)| match c {
            Checked::Checked { record, .. } => {
                record.error.is_none() && record.rows_quarantined == 0 && record.rows_warned == 0
            }
            _ => false,
        })
    }

    pub fn exit_code(&self) -> u8 {
        if self.clean() {
            exit::OK
        } else {
            exit::CHECKS_FAILED
        }
    }
}

pub async fn validate(options: ValidateOptions<'_>) -> Result<ValidateReport> {
    let project = options.project;
    // The sources and the reference tables only: checking needs no models or catalogue.
    let specs = &definitions::load_specs(&project.pipelines)?;
    let references = definitions::load_references(&project.pipelines)?;
    if let Some(source) = &options.source
        && !specs.iter().any(|s| s.name() == source)
    {
        let names: Vec<&str> = specs.iter().map(|s| s.name()).collect();
        return Err(PipelineError::config(format!(
            "no source `{source}`; sources are: {}",
            names.join(", ")
        )));
    }
    // Nothing is stored; ID numbers are still hashed, with a throwaway random salt (an
    // unsalted hash of an ID number could be reversed by trying every number).
    let mut salt = vec![0u8; 32];
    {
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut salt))
            .map_err(PipelineError::io("/dev/urandom"))?;
    }
    let env = definitions::ingest_env(
        specs,
        &references,
        &project.reference,
        salt,
        &options.engine,
    )?;
    std::fs::create_dir_all(&options.out).map_err(PipelineError::io(&options.out))?;

    let mut report = ValidateReport::default();
    for file in &options.files {
        let matched = specs_for(specs, file, options.source.as_deref());
        if matched.is_empty() {
            report.files.push((file.clone(), Checked::NoSpec));
            continue;
        }
        let input = match InputFile::open(file, file.to_string_lossy().into_owned()) {
            Ok(input) => input,
            Err(e) => {
                report.files.push((file.clone(), Checked::Unreadable(e)));
                continue;
            }
        };
        for spec in &matched {
            let checked = ecstat_ingest::ingest_file(
                Target::CheckOnly,
                (*spec).clone(),
                &env,
                &input,
                "validate",
                &|_| {},
            )
            .await?;
            let path = report_path(&options.out, file, spec.name(), matched.len());
            write_feedback(&path, &feedback(file, spec, &checked))?;
            report.files.push((
                file.clone(),
                Checked::Checked {
                    source: spec.name().to_string(),
                    record: Box::new(checked.record),
                    report: path,
                },
            ));
        }
    }
    Ok(report)
}

/// Specs a file is checked against: `source`, else those whose file patterns match the
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

/// The feedback workbook's content for `file` checked against `spec`.
fn feedback(file: &Path, spec: &SourceSpec, checked: &Ingested) -> Feedback {
    let r = &checked.record;
    let layout = spec.layout_for(file);
    let sheet = layout.sheet.unwrap_or_else(|| match layout.format {
        FileFormat::Xlsx => "第一个工作表".into(),
        _ => String::new(),
    });
    Feedback {
        file_name: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        source: format!("{} — {}", spec.name(), spec.description()),
        submitter: spec.submitter().to_string(),
        sha256: r.sha256.clone(),
        checked_at: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        rows_read: r.rows_read,
        rows_loadable: r.rows_staged,
        rows_to_correct: r.rows_quarantined,
        rows_warned: r.rows_warned,
        rows_skipped: r.rows_skipped,
        notes: r.notes.clone(),
        // The department knows its file by name; the path on this machine means nothing.
        rejected: r.error.as_deref().map(|e| {
            e.strip_prefix(&format!("{}: ", file.display()))
                .unwrap_or(e)
                .to_string()
        }),
        sheet,
        problems: checked
            .problems
            .iter()
            .map(|p| FeedbackRow {
                row: p.row as u64,
                column: p
                    .column
                    .as_deref()
                    .map(|c| {
                        checked
                            .headers
                            .iter()
                            .find(|(name, _)| name == c)
                            .map(|(_, h)| h.clone())
                            .filter(|h| !h.is_empty())
                            .unwrap_or_else(|| c.to_string())
                    })
                    .unwrap_or_default(),
                value: p.value.clone().unwrap_or_default(),
                problem: normalise::reason(&p.rule).to_string(),
                detail: p.detail.clone().unwrap_or_default(),
                fix: normalise::fix(&p.rule).to_string(),
                warning: p.severity == "warn",
            })
            .collect(),
    }
}
