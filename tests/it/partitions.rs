//! Models built one month at a time (`partition_by`): a run that finds one new month of
//! orders builds that month only, and publishes what a run from nothing publishes. Models
//! built whole are reused when their SQL and every table they read are unchanged.

use std::path::Path;

use crate::{copy_dir, ecstat, query, repo};

fn manifest(data: &Path, version: u32) -> serde_json::Value {
    let path = data.join(format!("_manifests/v{version:08}.json"));
    serde_json::from_slice(&std::fs::read(path).expect("manifest")).expect("json")
}

/// month → file of one partitioned model in a manifest.
fn partition_files(manifest: &serde_json::Value, model: &str) -> Vec<(String, String)> {
    manifest["partitions"][model]
        .as_object()
        .unwrap_or_else(|| panic!("{model} is partitioned in the manifest"))
        .iter()
        .map(|(month, p)| (month.clone(), p["file"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// `ecstat run` of `inbox` with the pipeline in `pipelines`.
fn run_with(data: &Path, inbox: &Path, pipelines: &Path) -> std::process::Output {
    ecstat(
        data,
        &[
            "run",
            "--inbox",
            inbox.to_str().expect("utf-8 path"),
            "--pipelines",
            pipelines.to_str().expect("utf-8 path"),
            "--no-export",
        ],
    )
}

/// `ecstat run` of `inbox` with the repository's pipeline; it must succeed.
fn run(data: &Path, inbox: &Path) {
    let out = run_with(data, inbox, &repo().join("pipelines"));
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An inbox under `dir` holding the sample's 淘宝 export of 2019.
fn taobao_2019_inbox(dir: &Path) -> std::path::PathBuf {
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(inbox.join("platforms")).expect("inbox");
    std::fs::copy(
        repo().join("sample_data/inbox/platforms/淘宝订单导出_2019.csv"),
        inbox.join("platforms/淘宝订单导出_2019.csv"),
    )
    .expect("copy");
    inbox
}

/// Put the sample's provincial-platform figures of 2019 in `inbox`: a department input
/// that no order-line model reads.
fn add_provincial_2019(inbox: &Path) {
    std::fs::create_dir_all(inbox.join("provincial")).expect("mkdir");
    std::fs::copy(
        repo().join("sample_data/inbox/provincial/网络零售统计_2019.json"),
        inbox.join("provincial/网络零售统计_2019.json"),
    )
    .expect("copy");
}

const FIGURES: &str = "SELECT indicator_code, measure, period_type, period, dimension, member, \
     CAST(value AS VARCHAR) AS value, CAST(base_value AS VARCHAR) AS base_value, status \
     FROM ind_results ORDER BY indicator_code, measure, period_type, period, dimension, member";

#[test]
fn a_new_month_is_the_only_month_built_and_the_figures_equal_a_full_build() {
    let tmp = tempfile::tempdir().expect("tmp");
    let inbox = taobao_2019_inbox(tmp.path());
    let sample = repo().join("sample_data/inbox/platforms/淘宝订单导出_2019.csv");

    let data = tmp.path().join("wh");
    run(&data, &inbox);
    let first = manifest(&data, 1);

    // January 2020: the first lines of January 2019 again, a year later (same shops, items
    // and ship-from places, so no dimension changes), in UTF-8.
    let bytes = std::fs::read(&sample).expect("sample");
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    let mut lines = text.lines();
    let mut new_month = format!("{}\n", lines.next().expect("header"));
    for line in lines.filter(|l| l.contains(",2019-01-")).take(12) {
        new_month.push_str(
            &line
                .replace("2019-01-", "2020-01-")
                .replace("\"\"2019", "\"\"2020"),
        );
        new_month.push('\n');
    }
    assert!(new_month.lines().count() > 5, "{new_month}");
    std::fs::write(
        inbox.join("platforms/淘宝订单导出_2020一月.csv"),
        &new_month,
    )
    .expect("write");
    // And the provincial platform's figures of 2019: a department input the orders do not
    // touch, so that a model built whole over it must be built again.
    add_provincial_2019(&inbox);
    run(&data, &inbox);
    let second = manifest(&data, 2);

    for model in ["stg_orders", "fct_online_retail_monthly"] {
        let before = partition_files(&first, model);
        let after = partition_files(&second, model);
        assert_eq!(after.len(), before.len() + 1, "{model}: one month more");
        for (month, file) in &after {
            match before.iter().find(|(m, _)| m == month) {
                // Reused: the file of the first run, still listed in the table's files.
                Some((_, earlier)) => {
                    assert_eq!(file, earlier, "{model} {month} was reused");
                    assert!(
                        second["tables"][model]
                            .as_array()
                            .expect("files")
                            .iter()
                            .any(|f| f == file.as_str()),
                        "{model} {month} is read"
                    );
                }
                None => {
                    assert_eq!(month, "2020-01", "{model}: only the new month is new");
                    assert!(
                        file.contains(second["run_id"].as_str().expect("run id")),
                        "{file}"
                    );
                }
            }
        }
    }

    // Models built whole: one that reads neither the orders nor the new department file
    // is reused (the file of the first run); one that reads the new file is built again.
    let model_file = |m: &serde_json::Value, model: &str| {
        m["models"][model]["file"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        model_file(&second, "dim_region"),
        model_file(&first, "dim_region")
    );
    assert!(!model_file(&first, "dim_region").is_empty());
    let provincial = "fct_provincial_retail_monthly";
    assert_ne!(
        model_file(&second, provincial),
        model_file(&first, provincial)
    );
    let reused: Vec<&String> = second["models"]
        .as_object()
        .expect("models built whole")
        .keys()
        .filter(|m| model_file(&second, m) == model_file(&first, m))
        .collect();

    // The same inbox from nothing: the same figures, to the cent, and the same rows in
    // every model the second run reused.
    let fresh = tmp.path().join("fresh");
    run(&fresh, &inbox);
    let incremental = query(&data, FIGURES);
    let full = query(&fresh, FIGURES);
    assert!(!full.is_empty());
    assert_eq!(incremental, full);
    assert!(!query(&fresh, &format!("SELECT * FROM {provincial}")).is_empty());
    for model in reused {
        let rows = |data: &Path| {
            let mut rows: Vec<String> = query(data, &format!("SELECT * FROM {model}"))
                .iter()
                .map(|r| serde_json::Value::Object(r.clone()).to_string())
                .collect();
            rows.sort();
            rows
        };
        assert_eq!(rows(&data), rows(&fresh), "{model} reused");
    }
    // And the new month's sales are in: the 12 lines' 网络零售额, recomputed from stg_orders.
    let jan = query(
        &data,
        "SELECT CAST(sum(net_sales_yuan) AS VARCHAR) AS s FROM fct_online_retail_monthly \
         WHERE order_month = '2020-01'",
    );
    let lines = query(
        &data,
        "SELECT CAST(sum(net_sales_yuan) AS VARCHAR) AS s FROM stg_orders \
         WHERE order_month = '2020-01'",
    );
    assert_eq!(jan, lines);
}

#[test]
fn a_partitioned_model_that_writes_a_row_outside_its_month_fails_the_build() {
    let (tmp, pipelines) = copied_pipelines();
    // A mistaken edit: every line dated to one month.
    let path = pipelines.join("models/stg_orders.sql");
    let sql = std::fs::read_to_string(&path).expect("sql");
    let broken = sql.replace(
        "        r.order_month,\n",
        "        '2019-01' as order_month,\n",
    );
    assert_ne!(sql, broken);
    std::fs::write(&path, broken).expect("write");
    let inbox = taobao_2019_inbox(tmp.path());
    let data = tmp.path().join("wh");
    let out = run_with(&data, &inbox, &pipelines);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("built for month 2019-02, it wrote a row whose `order_month` is 2019-01"),
        "{stderr}"
    );
    assert!(!data.join("_manifests/v00000001.json").exists());
}

/// A temporary folder holding a copy of the repository's pipelines, for a test to edit.
fn copied_pipelines() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let pipelines = tmp.path().join("pipelines");
    copy_dir(&repo().join("pipelines"), &pipelines);
    (tmp, pipelines)
}

#[test]
fn a_test_added_to_a_partitioned_model_runs_on_every_month() {
    let (tmp, pipelines) = copied_pipelines();
    let inbox = taobao_2019_inbox(tmp.path());
    let data = tmp.path().join("wh");
    let run = || run_with(&data, &inbox, &pipelines);
    assert!(run().status.success());
    let first = partition_files(&manifest(&data, 1), "stg_orders");

    // The same inputs and SQL, one more check: a warning that lines of one item fail.
    let doc = pipelines.join("models/stg_orders.toml");
    let mut text = std::fs::read_to_string(&doc).expect("doc");
    text.push_str("\n[[warnings]]\nexpression = \"quantity = 1\"\n");
    std::fs::write(&doc, text).expect("write");
    let out = run();
    assert!(
        out.status.success(),
        "a warning does not withhold the snapshot"
    );
    let second = partition_files(&manifest(&data, 2), "stg_orders");
    assert_eq!(first.len(), second.len());
    for ((month, before), (_, after)) in first.iter().zip(&second) {
        assert_ne!(before, after, "{month} was built again, and tested");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("expression(quantity = 1)"), "{stdout}");
}

#[test]
fn a_model_reused_whole_reports_its_findings_again_and_runs_a_changed_test() {
    let (tmp, pipelines) = copied_pipelines();
    let inbox = taobao_2019_inbox(tmp.path());
    let data = tmp.path().join("wh");
    let doc = pipelines.join("models/dim_region.toml");
    let original = std::fs::read_to_string(&doc).expect("doc");
    let warn = |expression: &str| {
        std::fs::write(
            &doc,
            format!("{original}\n[[warnings]]\nexpression = \"{expression}\"\n"),
        )
        .expect("write");
    };
    let run = || {
        let out = run_with(&data, &inbox, &pipelines);
        assert!(
            out.status.success(),
            "a warning does not withhold the snapshot"
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let region_file = |version| {
        manifest(&data, version)["models"]["dim_region"]["file"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };

    // Every region fails the warning.
    warn("region_code = 'none'");
    let first = run();
    assert!(
        first.contains("expression(region_code = 'none')"),
        "{first}"
    );

    // New input the region dimension does not read: reused, and its finding shown again.
    add_provincial_2019(&inbox);
    let second = run();
    assert_eq!(region_file(2), region_file(1), "dim_region reused");
    assert!(
        second.contains("expression(region_code = 'none')"),
        "{second}"
    );

    // The warning changed, not the SQL: still reused, and the new warning is what runs.
    warn("region_code = 'nowhere'");
    let third = run();
    assert_eq!(region_file(3), region_file(1), "dim_region reused");
    assert!(
        third.contains("expression(region_code = 'nowhere')"),
        "{third}"
    );
    assert!(
        !third.contains("expression(region_code = 'none')"),
        "{third}"
    );
}

#[test]
fn a_model_test_that_cannot_run_stops_the_run_and_names_its_model() {
    // The tests of the models run side by side; an error must still say whose it is.
    let (tmp, pipelines) = copied_pipelines();
    let doc = pipelines.join("models/dim_region.toml");
    let mut text = std::fs::read_to_string(&doc).expect("doc");
    text.push_str("\n[[tests]]\nunique_combination = [\"no_such_column\"]\n");
    std::fs::write(&doc, text).expect("write");
    let inbox = taobao_2019_inbox(tmp.path());
    let data = tmp.path().join("wh");
    let out = run_with(&data, &inbox, &pipelines);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("testing model `dim_region`"), "{stderr}");
    assert!(stderr.contains("no_such_column"), "{stderr}");
    assert!(!data.join("_manifests/v00000001.json").exists());
}
