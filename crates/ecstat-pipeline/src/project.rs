//! The project file, `ecstat.toml` (as dbt has `dbt_project.yml`): where a deployment's
//! data directory, inbox, reference tables and pipeline folder are, and the programme it
//! measures. Found in the current folder or a parent; flags and `ECSTAT_*` variables
//! override what it says.

use std::path::{Path, PathBuf};

use ecstat_core::programme::Programme;
use serde::Deserialize;

use crate::{PipelineError, Result};

/// The name of the project file.
pub const FILE_NAME: &str = "ecstat.toml";

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    #[serde(default)]
    paths: PathsFile,
    programme: Programme,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathsFile {
    data_dir: Option<PathBuf>,
    inbox: Option<PathBuf>,
    reference: Option<PathBuf>,
    pipelines: Option<PathBuf>,
}

/// What a command was told on its command line (or by `ECSTAT_*` variables): each given
/// path wins over the project file's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// A project file named outright (`--project`), instead of looking for one.
    pub project: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub inbox: Option<PathBuf>,
    pub reference: Option<PathBuf>,
    pub pipelines: Option<PathBuf>,
}

impl Overrides {
    /// Whether any path was given.
    pub fn any(&self) -> bool {
        self.project.is_some()
            || self.data_dir.is_some()
            || self.inbox.is_some()
            || self.reference.is_some()
            || self.pipelines.is_some()
    }
}

/// A deployment: its folders (relative paths of the project file are taken from the
/// file's folder, those of flags from the current folder) and its programme.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// The project file read, when there was one.
    pub file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub inbox: PathBuf,
    pub reference: PathBuf,
    pub pipelines: PathBuf,
    /// The programme; `None` only without a project file.
    pub programme: Option<Programme>,
}

/// The defaults a project file's omitted paths take, relative to its folder.
const DEFAULT_DATA_DIR: &str = "warehouse";
const DEFAULT_INBOX: &str = "inbox";
const DEFAULT_REFERENCE: &str = "reference";
const DEFAULT_PIPELINES: &str = "pipelines";

impl Project {
    /// The project `overrides` and the project file found from `cwd` describe. The file is
    /// `overrides.project`, else the first `ecstat.toml` in `cwd` or a parent, else (for a
    /// cron line that names its folders) the first beside or above `overrides.pipelines`.
    /// Without a file, the paths are the flags' and the built-in defaults (`warehouse`,
    /// `pipelines`; no inbox or reference), and there is no programme.
    pub fn resolve(cwd: &Path, overrides: &Overrides) -> Result<Self> {
        let found = match &overrides.project {
            Some(file) => Some(cwd.join(file)),
            None => find(cwd).or_else(|| {
                overrides
                    .pipelines
                    .as_ref()
                    .and_then(|p| find(&cwd.join(p)))
            }),
        };
        let flag = |p: &Option<PathBuf>| p.as_ref().map(|p| cwd.join(p));
        let Some(file) = found else {
            return Ok(Self {
                file: None,
                data_dir: flag(&overrides.data_dir).unwrap_or_else(|| cwd.join(DEFAULT_DATA_DIR)),
                inbox: flag(&overrides.inbox).unwrap_or_default(),
                reference: flag(&overrides.reference).unwrap_or_default(),
                pipelines: flag(&overrides.pipelines)
                    .unwrap_or_else(|| cwd.join(DEFAULT_PIPELINES)),
                programme: None,
            });
        };
        let parsed = read(&file)?;
        let base = file.parent().unwrap_or(Path::new(".")).to_path_buf();
        let from_file = |p: &Option<PathBuf>, default: &str| {
            base.join(p.clone().unwrap_or_else(|| PathBuf::from(default)))
        };
        let paths = &parsed.paths;
        Ok(Self {
            data_dir: flag(&overrides.data_dir)
                .unwrap_or_else(|| from_file(&paths.data_dir, DEFAULT_DATA_DIR)),
            inbox: flag(&overrides.inbox).unwrap_or_else(|| from_file(&paths.inbox, DEFAULT_INBOX)),
            reference: flag(&overrides.reference)
                .unwrap_or_else(|| from_file(&paths.reference, DEFAULT_REFERENCE)),
            pipelines: flag(&overrides.pipelines)
                .unwrap_or_else(|| from_file(&paths.pipelines, DEFAULT_PIPELINES)),
            programme: Some(parsed.programme),
            file: Some(file),
        })
    }

    /// The programme, or the error a command that needs one gives without a project file.
    pub fn programme(&self) -> Result<&Programme> {
        self.programme.as_ref().ok_or_else(|| {
            PipelineError::config(format!(
                "no project file ({FILE_NAME}) in this folder or a parent: it names the data \
                 directory, the inbox, the reference tables and the programme (county, baseline \
                 year, programme years). Start one with `ecstat init DIR`, or pass --project FILE"
            ))
        })
    }
}

/// The first `ecstat.toml` in `dir` or a parent.
pub fn find(dir: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(dir).ok()?;
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|f| f.is_file())
}

fn read(file: &Path) -> Result<ProjectFile> {
    let text = std::fs::read_to_string(file).map_err(PipelineError::io(file))?;
    let parsed: ProjectFile = toml::from_str(&text)
        .map_err(|e| PipelineError::config(format!("{}: {e}", file.display())))?;
    parsed
        .programme
        .check()
        .map_err(|e| PipelineError::config(format!("{}: {e}", file.display())))?;
    Ok(parsed)
}

/// What `ecstat init` writes into a new project's folder.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub programme: Programme,
    /// The pipeline folder the project uses (default: `pipelines` inside the project).
    pub pipelines: Option<PathBuf>,
}

/// Write a commented `ecstat.toml` into `dir` (created when missing) and the inbox and
/// reference folders it names; an existing project file is never overwritten.
pub fn init(dir: &Path, options: &InitOptions) -> Result<PathBuf> {
    options.programme.check().map_err(PipelineError::config)?;
    std::fs::create_dir_all(dir).map_err(PipelineError::io(dir))?;
    let file = dir.join(FILE_NAME);
    let p = &options.programme;
    let pipelines = options
        .pipelines
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PIPELINES));
    let quote = |v: &str| toml::Value::String(v.to_string()).to_string();
    let text = format!(
        r#"# ecstat project file: where this deployment's data lives, and the programme it
# measures. `ecstat` finds it in the current folder or a parent. Paths are relative to
# this file's folder; a flag (--data-dir, --inbox, --reference, --pipelines) or an
# ECSTAT_* variable overrides each.

[paths]
# Snapshots, staged and warehouse Parquet, quarantine, exports, run records. Keep it on
# a disk that is backed up: it holds the figures reported upward.
data_dir = "{DEFAULT_DATA_DIR}"
# Files from departments and platforms, each matched to a source spec by its path.
inbox = "{DEFAULT_INBOX}"
# Reference tables: division codes (统计用区划代码), category map, shop register.
reference = "{DEFAULT_REFERENCE}"
# Source specs, SQL models, the indicator catalogue (copy the repository's pipelines/).
pipelines = {pipelines}

[programme]
# 12-digit division code and name of the county (电子商务进农村综合示范县).
county_code = {code}
county_name = {name}
# The year before the programme: growth targets vs the baseline compare against it.
baseline_year = {baseline}
# First and last year of the programme: targets over the programme (new entities,
# training person-times) are summed from the first year's January.
programme_years = [{first}, {last}]
"#,
        pipelines = quote(&pipelines.to_string_lossy()),
        code = quote(&p.county_code),
        name = quote(&p.county_name),
        baseline = p.baseline_year,
        first = p.first_year(),
        last = p.last_year(),
    );
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .and_then(|mut f| {
            use std::io::Write;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
    written.map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => PipelineError::config(format!(
            "{} exists; a project file is never overwritten (edit it, or remove it first)",
            file.display()
        )),
        _ => PipelineError::io(&file)(e),
    })?;
    for folder in [DEFAULT_INBOX, DEFAULT_REFERENCE] {
        let path = dir.join(folder);
        std::fs::create_dir_all(&path).map_err(PipelineError::io(&path))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anxi() -> Programme {
        Programme {
            county_code: "350524000000".into(),
            county_name: "安溪县".into(),
            baseline_year: 2017,
            programme_years: [2018, 2019],
        }
    }

    fn options() -> InitOptions {
        InitOptions {
            programme: anxi(),
            pipelines: None,
        }
    }

    #[test]
    fn init_writes_a_file_that_resolves_to_its_folders_and_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("anxi");
        let file = init(&root, &options()).expect("init");
        let project = Project::resolve(&root, &Overrides::default()).expect("resolve");
        assert_eq!(project.file.as_deref(), Some(file.as_path()));
        assert_eq!(project.data_dir, root.join("warehouse"));
        assert_eq!(project.inbox, root.join("inbox"));
        assert!(project.inbox.is_dir() && project.reference.is_dir());
        assert_eq!(project.pipelines, root.join("pipelines"));
        assert_eq!(project.programme, Some(anxi()));
        let again = init(&root, &options()).expect_err("exists");
        assert!(again.to_string().contains("never overwritten"), "{again}");
    }

    #[test]
    fn found_from_a_subfolder_and_flags_win_relative_to_the_current_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        init(dir.path(), &options()).expect("init");
        let sub = dir.path().join("inbox");
        let overrides = Overrides {
            inbox: Some("elsewhere".into()),
            ..Default::default()
        };
        let project = Project::resolve(&sub, &overrides).expect("resolve");
        assert_eq!(project.inbox, sub.join("elsewhere"));
        assert_eq!(project.data_dir, dir.path().join("warehouse"));
    }

    #[test]
    fn without_a_file_there_is_no_programme_and_the_error_says_how_to_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let project = Project::resolve(dir.path(), &Overrides::default()).expect("resolve");
        assert!(project.file.is_none());
        let err = project.programme().expect_err("no programme").to_string();
        assert!(err.contains("ecstat init DIR"), "{err}");
    }

    #[test]
    fn a_file_beside_the_pipelines_flag_is_found_for_a_cron_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let deploy = dir.path().join("opt/ecstat");
        init(&deploy, &options()).expect("init");
        let elsewhere = dir.path().join("srv");
        std::fs::create_dir_all(&elsewhere).expect("mkdir");
        let overrides = Overrides {
            pipelines: Some(deploy.join("pipelines")),
            ..Default::default()
        };
        let project = Project::resolve(&elsewhere, &overrides).expect("resolve");
        assert_eq!(project.file, Some(deploy.join(FILE_NAME)));
    }

    #[test]
    fn a_typo_or_a_bad_county_code_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(FILE_NAME);
        std::fs::write(
            &file,
            "[programme]\ncounty_code = \"350524\"\ncounty_name = \"x\"\nbaseline_year = 2017\nprogramme_years = [2018, 2019]\n",
        )
        .expect("write");
        let err = Project::resolve(dir.path(), &Overrides::default())
            .expect_err("bad code")
            .to_string();
        assert!(
            err.contains("ecstat.toml") && err.contains("350524"),
            "{err}"
        );
        std::fs::write(&file, "[paths]\ndata_dri = \"x\"\n").expect("write");
        let err = Project::resolve(dir.path(), &Overrides::default())
            .expect_err("typo")
            .to_string();
        assert!(err.contains("data_dri"), "{err}");
    }
}
