//! The project file: `ecstat run` refuses without one, `ecstat init` starts one, a cron
//! line that names its folders finds the project beside its pipeline folder, and the
//! programme lives only there (no county code in a model).

use std::path::Path;
use std::process::{Command, Output};

use crate::{copy_dir, ecstat_in, query, repo};

/// `ecstat --pipelines PIPELINES init county` in `cwd` for 安溪县 with the county code `code`,
/// baseline 2017, programme years 2018–2019.
fn init_county(cwd: &Path, pipelines: &str, code: &str) -> Output {
    ecstat_in(
        cwd,
        &[
            "--pipelines",
            pipelines,
            "init",
            "county",
            "--county-code",
            code,
            "--county-name",
            "安溪县",
            "--baseline-year",
            "2017",
            "--programme-years",
            "2018-2019",
        ],
    )
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn run_in_an_empty_folder_refuses_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = ecstat_in(tmp.path(), &["run"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ecstat init DIR"),
        "says how to start: {stderr}"
    );
    assert!(stderr.contains("ecstat.toml"), "names the file: {stderr}");
    assert!(entries(tmp.path()).is_empty(), "nothing written");
}

#[test]
fn init_writes_a_project_that_runs_and_never_overwrites_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("county");
    let pipelines = repo().join("pipelines");
    let pipelines = pipelines.to_str().expect("utf-8 path");
    let init = |code: &str| init_county(tmp.path(), pipelines, code);
    // A township's code is no county's: refused before anything is written.
    let out = init("350524102000");
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.exists(), "nothing written for a bad programme");

    assert!(init("350524000000").status.success());
    let file = dir.join("ecstat.toml");
    let written = std::fs::read_to_string(&file).expect("project file");
    assert!(
        written.contains("county_code = \"350524000000\""),
        "{written}"
    );
    assert!(
        written.contains("programme_years = [2018, 2019]"),
        "{written}"
    );
    assert!(
        written.lines().filter(|l| l.starts_with('#')).count() > 5,
        "commented"
    );
    // Never over an existing file.
    let again = init("350524000000");
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).expect("file"), written);

    // The folders it names, filled, run from inside the project (a subfolder finds it).
    copy_dir(
        &repo().join("sample_data/reference"),
        &dir.join("reference"),
    );
    copy_dir(&repo().join("sample_data/inbox"), &dir.join("inbox"));
    std::fs::create_dir_all(dir.join("inbox/platforms")).expect("mkdir");
    let out = ecstat_in(&dir.join("inbox/platforms"), &["run", "--no-export"]);
    assert!(out.status.success(), "the new project runs");
    let data = dir.join("warehouse");
    assert!(
        data.join("_manifests").is_dir(),
        "data_dir beside the project file"
    );
    let county = query(
        &data,
        "SELECT DISTINCT member FROM ind_results WHERE dimension = 'county'",
    );
    assert_eq!(county.len(), 1);
    assert_eq!(county[0]["member"], "350524000000");
    let programme = query(&data, "SELECT * FROM cfg_programme");
    assert_eq!(programme.len(), 1);
    assert_eq!(programme[0]["county_name"], "安溪县");
    assert_eq!(programme[0]["baseline_year"], 2017);

    // A changed programme: `build` refuses (every model may depend on it), `run` rebuilds
    // with it — growth is then measured against the new baseline year.
    let changed = written.replace("baseline_year = 2017", "baseline_year = 2016");
    assert_ne!(changed, written);
    std::fs::write(&file, changed).expect("edit the project file");
    let out = ecstat_in(&dir, &["build", "--select", "dim_month"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ecstat run"));
    let out = ecstat_in(&dir, &["run", "--no-export"]);
    assert!(out.status.success());
    let base = query(
        &data,
        "SELECT DISTINCT base_period FROM ind_results WHERE measure = 'vs_baseline_pct'",
    );
    assert_eq!(base.len(), 1);
    assert_eq!(base[0]["base_period"], "2016");
}

#[test]
fn a_broken_project_file_above_stops_every_command_but_init() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("ecstat.toml"), "[programme\ncounty_code = ").expect("write");
    let below = tmp.path().join("work");
    std::fs::create_dir(&below).expect("mkdir");
    // A command that reads the project names the file it could not read.
    let out = ecstat_in(&below, &["snapshots"]);
    assert_eq!(out.status.code(), Some(2), "a configuration error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ecstat.toml"), "names the file: {stderr}");
    // Starting a new project below it does not read it.
    let pipelines = repo().join("pipelines");
    let out = init_county(
        &below,
        pipelines.to_str().expect("utf-8 path"),
        "350524000000",
    );
    assert!(out.status.success(), "init under a broken project file");
    assert!(below.join("county/ecstat.toml").is_file());
}

#[test]
fn a_cron_line_naming_its_folders_finds_the_project_beside_its_pipelines() {
    // Run from an empty folder, as cron does, with every folder named by a flag or a
    // variable: the project file is found above --pipelines (the repository's).
    let tmp = tempfile::tempdir().expect("tempdir");
    let cwd = tmp.path().join("cron");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let data = tmp.path().join("data");
    let inbox = tmp.path().join("inbox");
    copy_dir(
        &repo().join("sample_data/inbox/departments"),
        &inbox.join("departments"),
    );
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let (reference, pipelines) = (
        path(&repo().join("sample_data/reference")),
        path(&repo().join("pipelines")),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecstat"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ECSTAT_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .env("ECSTAT_INBOX", &inbox)
        .args(["--data-dir", &path(&data)])
        .args(["run", "--no-export", "--reference", &reference])
        .args(["--pipelines", &pipelines])
        .current_dir(&cwd)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        entries(&cwd).is_empty(),
        "nothing written in the current folder"
    );
    // Only the departments' files were in this inbox: no platform orders.
    let orders = query(&data, "SELECT count(*) AS n FROM stg_orders");
    assert_eq!(orders[0]["n"], 0);
    let files = query(&data, "SELECT DISTINCT file FROM ingest_files");
    assert!(
        files.iter().all(|f| f["file"]
            .as_str()
            .is_some_and(|f| f.starts_with("departments/"))),
        "{files:?}"
    );
}

/// The programme's county is in the project file only: no model's SQL nor any model
/// test holds a 12-digit division code.
#[test]
fn no_model_holds_a_division_code() {
    let models = repo().join("pipelines/models");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&models).expect("models").flatten() {
        let path = entry.path();
        let text = std::fs::read_to_string(&path).expect("read");
        let code: Vec<&str> = match path.extension().and_then(|e| e.to_str()) {
            // SQL: every line without its `--` comment.
            Some("sql") => text
                .lines()
                .map(|l| l.split_once("--").map_or(l, |(code, _)| code))
                .collect(),
            // A model's doc: the tests (expressions, accepted values), not descriptions.
            Some("toml") => {
                let doc: toml::Value = toml::from_str(&text).expect("toml");
                let mut strings = Vec::new();
                collect_tests(&doc, false, &mut strings);
                found.extend(
                    strings
                        .iter()
                        .filter(|s| has_division_code(s))
                        .map(|s| format!("{}: {s}", path.display())),
                );
                Vec::new()
            }
            _ => Vec::new(),
        };
        for line in code.into_iter().filter(|l| has_division_code(l)) {
            found.push(format!("{}: {line}", path.display()));
        }
    }
    assert!(
        found.is_empty(),
        "division codes in models (read cfg_programme instead):\n{}",
        found.join("\n")
    );
    assert!(
        has_division_code("x = '350524000000'"),
        "the check finds one"
    );
    assert!(
        !has_division_code("sum(3505240000001)"),
        "13 digits are no code"
    );
}

/// Strings of `value` inside a `tests` array or table (or anywhere below one).
fn collect_tests(value: &toml::Value, inside: bool, out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) if inside => out.push(s.clone()),
        toml::Value::Array(items) => {
            for v in items {
                collect_tests(v, inside, out);
            }
        }
        toml::Value::Table(t) => {
            for (key, v) in t {
                if key != "description" {
                    collect_tests(v, inside || key == "tests" || key == "warnings", out);
                }
            }
        }
        _ => {}
    }
}

/// A run of exactly 12 digits.
fn has_division_code(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() == 12)
}
