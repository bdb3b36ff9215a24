//! The department and provincial sample files (`sample_data/inbox/departments`, `provincial`):
//! each file's rows are accounted for exactly as the generator planted them
//! (`sample_data/expected/departments.toml`, written by `ecstat-gen departments` from what it
//! wrote), corrected resubmissions replace what they correct, and the budget equals the plan.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::{decimal, ecstat, query, repo, sample_warehouse};

#[derive(Debug, Deserialize)]
struct Expected {
    file: Vec<ExpectedFile>,
}

#[derive(Debug, Deserialize)]
struct ExpectedFile {
    path: String,
    source: String,
    rows_read: u64,
    rows_skipped: u64,
    rejected: bool,
    #[serde(default)]
    planted: Vec<Planted>,
    #[serde(default)]
    warnings: Vec<Planted>,
}

#[derive(Debug, Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Planted {
    row: i64,
    rule: String,
    column: String,
}

fn expected() -> Expected {
    let text = std::fs::read_to_string(repo().join("sample_data/expected/departments.toml"))
        .expect("expected file");
    toml::from_str(&text).expect("expected file parses")
}

/// Whether every partition of a submission was replaced by a later one.
fn replaced_whole(data: &std::path::Path, file: &str, source: &str) -> bool {
    let rows = query(
        data,
        &format!(
            "SELECT bool_and(NOT current) AS replaced FROM submissions WHERE file = {} AND source = {}",
            literal(file),
            literal(source)
        ),
    );
    rows.first()
        .and_then(|r| r["replaced"].as_bool())
        .unwrap_or(false)
}

/// The quarantine rows of one input, read from its files as the latest manifest lists them.
fn quarantine_of(
    data: &std::path::Path,
    file: &str,
    source: &str,
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    use arrow::array::{Array, AsArray};
    let latest = std::fs::read_dir(data.join("_manifests"))
        .expect("manifests")
        .map(|e| e.expect("entry").path())
        .max()
        .expect("a manifest");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(latest).expect("read")).expect("json");
    let mut out = Vec::new();
    for input in manifest["inputs"].as_array().expect("inputs") {
        if input["path"] != file || input["source"] != source {
            continue;
        }
        for q in input["quarantine_files"].as_array().expect("files") {
            let path = data.join(q.as_str().expect("path"));
            let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                std::fs::File::open(path).expect("open"),
            )
            .expect("parquet")
            .build()
            .expect("reader");
            for batch in reader {
                let batch = batch.expect("batch");
                let text = |c: &str| batch.column_by_name(c).expect(c).as_string::<i32>().clone();
                let rows = batch
                    .column_by_name("row")
                    .expect("row")
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .clone();
                let (rule, column, severity) = (text("rule"), text("column"), text("severity"));
                for i in 0..batch.num_rows() {
                    let mut m = serde_json::Map::new();
                    m.insert("row".into(), rows.value(i).into());
                    m.insert("rule".into(), rule.value(i).into());
                    m.insert(
                        "column".into(),
                        if column.is_null(i) {
                            serde_json::Value::Null
                        } else {
                            column.value(i).into()
                        },
                    );
                    m.insert("severity".into(), severity.value(i).into());
                    out.push(m);
                }
            }
        }
    }
    out
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[test]
fn every_department_file_is_read_as_planted() {
    let data = sample_warehouse();
    let expected = expected();
    let sources: BTreeSet<&str> = expected.file.iter().map(|f| f.source.as_str()).collect();
    assert!(
        sources.len() >= 13,
        "a sample for every records source: {sources:?}"
    );
    for file in expected.file.iter().filter(|f| !f.rejected) {
        let at = format!("{} [{}]", file.path, file.source);
        let rows = query(
            data,
            &format!(
                "SELECT rows_read, rows_staged, rows_quarantined, rows_skipped, rows_warned, error \
                 FROM ingest_files WHERE file = {} AND source = {}",
                literal(&file.path),
                literal(&file.source)
            ),
        );
        assert_eq!(rows.len(), 1, "{at} was ingested once");
        let r = &rows[0];
        let n = |c: &str| r[c].as_u64().expect("count");
        assert!(r["error"].is_null(), "{at}: {:?}", r["error"]);
        assert_eq!(n("rows_read"), file.rows_read, "{at}: rows read");
        assert_eq!(
            n("rows_skipped"),
            file.rows_skipped,
            "{at}: blank and footer rows"
        );
        assert_eq!(
            n("rows_read"),
            n("rows_staged") + n("rows_quarantined"),
            "{at}"
        );
        assert_eq!(n("rows_quarantined"), file.planted.len() as u64, "{at}");
        assert_eq!(n("rows_warned"), file.warnings.len() as u64, "{at}");

        // A submission replaced whole keeps its quarantine out of the current snapshot's
        // table; its own quarantine file (listed in the manifest) still holds the rows.
        let held = if replaced_whole(data, &file.path, &file.source) {
            quarantine_of(data, &file.path, &file.source)
        } else {
            query(
                data,
                &format!(
                    "SELECT \"row\", rule, \"column\", severity FROM quarantine \
                     WHERE file = {} AND source = {}",
                    literal(&file.path),
                    literal(&file.source)
                ),
            )
        };
        let pick = |severity: &str| -> Vec<Planted> {
            let mut v: Vec<Planted> = held
                .iter()
                .filter(|h| h["severity"].as_str() == Some(severity))
                .map(|h| Planted {
                    row: h["row"].as_i64().expect("row"),
                    rule: h["rule"].as_str().expect("rule").to_string(),
                    column: h["column"].as_str().unwrap_or("").to_string(),
                })
                .collect();
            v.sort();
            v
        };
        // Reader-level rejects (field_count, after_footer) have no column.
        let strip = |v: &[Planted]| -> Vec<Planted> {
            let mut v: Vec<Planted> = v
                .iter()
                .map(|p| Planted {
                    column: if matches!(p.rule.as_str(), "field_count" | "after_footer") {
                        String::new()
                    } else {
                        p.column.clone()
                    },
                    ..p.clone()
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(pick("row"), strip(&file.planted), "{at}: quarantined rows");
        assert_eq!(pick("warn"), strip(&file.warnings), "{at}: warnings");
    }
}

#[test]
fn later_submissions_replace_what_they_cover() {
    let data = sample_warehouse();
    let replaced = query(
        data,
        "SELECT source, \"partition\", file, replaced_by FROM submissions WHERE NOT current \
         ORDER BY source, \"partition\"",
    );
    let sources: BTreeSet<&str> = replaced
        .iter()
        .filter_map(|r| r["source"].as_str())
        .collect();
    // A corrected township report and a corrected quarter of station activity. (The 2019
    // register does not replace the 2018 one: each is the register as of its date.)
    assert_eq!(
        sources,
        BTreeSet::from(["station_activity", "township_reports"])
    );
    for r in &replaced {
        let by = r["replaced_by"].as_str().expect("replaced_by");
        let file = r["file"].as_str().expect("file");
        let source = r["source"].as_str().expect("source");
        let key = r["partition"]
            .as_str()
            .expect("partition")
            .trim_start_matches("key=");
        let (table, key_filter) = match source {
            "station_activity" => {
                assert!(by.contains("更正"), "{r:?}");
                ("station_activity", format!("quarter = {}", literal(key)))
            }
            "township_reports" => {
                assert!(by.contains("更正"), "{r:?}");
                let (township, month) = key.split_once('_').expect("township_month");
                (
                    "township_reports",
                    format!(
                        "township_code = {} AND month = {}",
                        literal(township),
                        literal(month)
                    ),
                )
            }
            other => panic!("unexpected replacing source {other}"),
        };
        let sha_of = |file: &str| -> String {
            let rows = query(
                data,
                &format!(
                    "SELECT file_sha256 FROM ingest_files WHERE file = {} AND source = {}",
                    literal(file),
                    literal(source)
                ),
            );
            rows[0]["file_sha256"].as_str().expect("sha").to_string()
        };
        let count = |sha: &str| -> u64 {
            query(
                data,
                &format!(
                    "SELECT count(*) AS n FROM {table} WHERE file_sha256 = {} AND {key_filter}",
                    literal(sha)
                ),
            )[0]["n"]
                .as_u64()
                .unwrap_or(0)
        };
        assert_eq!(
            count(&sha_of(file)),
            0,
            "the replaced rows are not read: {r:?}"
        );
        assert!(count(&sha_of(by)) > 0, "the replacement's rows are: {r:?}");
    }
}

#[test]
fn the_fund_budget_is_the_plans() {
    // Plan §四: 中央财政 2000万 over 7 lines, 县级配套 500万 over 3 lines.
    let data = sample_warehouse();
    let rows = query(
        data,
        "SELECT fund_source, count(*) AS lines, sum(budget_yuan) AS total FROM fund_budget \
         GROUP BY fund_source ORDER BY fund_source",
    );
    let got: Vec<(String, u64, Option<i128>)> = rows
        .iter()
        .map(|r| {
            (
                r["fund_source"].as_str().unwrap_or("").to_string(),
                r["lines"].as_u64().unwrap_or(0),
                decimal(r, "total", 2),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("中央财政".to_string(), 7, Some(20_000_000 * 100)),
            ("县级财政".to_string(), 3, Some(5_000_000 * 100)),
        ]
    );
}

#[test]
fn the_provincial_county_total_is_the_sum_of_its_townships() {
    let data = sample_warehouse();
    let rows = query(
        data,
        "SELECT c.month, c.online_retail_yuan AS county, t.total AS townships FROM \
         (SELECT month, online_retail_yuan FROM provincial_retail WHERE region_code = '350524000000') c \
         JOIN (SELECT month, sum(online_retail_yuan) AS total FROM provincial_retail \
               WHERE region_code <> '350524000000' GROUP BY month) t ON c.month = t.month",
    );
    assert!(rows.len() >= 30, "three years of months");
    let mut differ = 0;
    for r in &rows {
        if decimal(r, "county", 2) != decimal(r, "townships", 2) {
            differ += 1;
        }
    }
    // Months where a planted bad township record was quarantined may differ; most agree.
    assert!(differ <= 3, "{differ} months differ");
}

#[test]
fn validate_writes_a_feedback_report_and_loads_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let expected = expected();
    let rejected = expected
        .file
        .iter()
        .find(|f| f.rejected)
        .expect("the sample has a file to reject");
    let with_problems = expected
        .file
        .iter()
        .find(|f| !f.rejected && !f.planted.is_empty() && f.path.ends_with(".xlsx"))
        .expect("a file with bad rows");
    let path_of = |p: &str| {
        let inbox = repo().join("sample_data/inbox").join(p);
        if inbox.exists() {
            inbox
        } else {
            repo().join("sample_data").join(p)
        }
    };
    let out_dir = tmp.path().join("feedback");
    let data = tmp.path().join("untouched");
    let out = ecstat(
        &data,
        &[
            "validate",
            path_of(&rejected.path).to_str().unwrap(),
            path_of(&with_problems.path).to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "problems found: exit 1");
    assert!(!data.exists(), "validate touches no data directory");
    let reports: Vec<_> = std::fs::read_dir(&out_dir)
        .expect("reports")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(reports.len(), 2, "{reports:?}");
    use calamine::{DataType as _, Reader, Xlsx, open_workbook};
    let stem = std::path::Path::new(&with_problems.path)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let report = reports
        .iter()
        .find(|p| p.to_string_lossy().contains(&stem))
        .expect("report of the file with bad rows");
    let mut wb: Xlsx<_> = open_workbook(report).expect("xlsx");
    let list = wb.worksheet_range("问题清单").expect("sheet");
    let rows: Vec<i64> = list
        .rows()
        .skip(1)
        .filter_map(|r| r.get(1).and_then(|c| c.as_f64()).map(|f| f as i64))
        .collect();
    let mut want: Vec<i64> = with_problems
        .planted
        .iter()
        .chain(&with_problems.warnings)
        .map(|p| p.row)
        .collect();
    want.sort();
    let mut got = rows.clone();
    got.sort();
    assert_eq!(got, want, "one line per problem, at the planted rows");
    // Every line says what is wrong and how to fix it.
    for r in list.rows().skip(1) {
        let problem = r.get(4).map(|c| c.to_string()).unwrap_or_default();
        let fix = r.get(6).map(|c| c.to_string()).unwrap_or_default();
        assert!(
            problem.contains(" / ") && !fix.is_empty(),
            "{problem} | {fix}"
        );
    }
}

/// Staged files of `table` that a manifest's inputs list, with their input's path.
fn staged_of(manifest: &serde_json::Value, table: &str) -> Vec<(String, String)> {
    manifest["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .flat_map(|i| {
            let path = i["path"].as_str().unwrap_or("").to_string();
            i["staged_files"][table]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |f| (path.clone(), f.as_str().unwrap_or("").to_string()))
        })
        .collect()
}

fn manifest(data: &std::path::Path, version: u32) -> serde_json::Value {
    let path = data.join(format!("_manifests/v{version:08}.json"));
    serde_json::from_slice(&std::fs::read(path).expect("manifest")).expect("json")
}

#[test]
fn a_correction_arriving_later_replaces_the_report_and_the_first_stays_in_its_snapshot() {
    let tmp = tempfile::tempdir().expect("tmp");
    let inbox = tmp.path().join("inbox");
    let folder = "departments/乡镇/湖头镇";
    std::fs::create_dir_all(inbox.join(folder)).expect("inbox");
    let sample = repo().join("sample_data/inbox").join(folder);
    let first = "乡镇电商月报_湖头镇_201912.xlsx";
    let fix = "乡镇电商月报_湖头镇_201912_更正.xlsx";
    std::fs::copy(sample.join(first), inbox.join(folder).join(first)).expect("copy");
    let data = tmp.path().join("wh");
    let run = |data: &std::path::Path| {
        let out = ecstat(
            data,
            &["run", "--inbox", inbox.to_str().unwrap(), "--no-export"],
        );
        assert!(out.status.success());
    };
    let hutou = "SELECT file_sha256, count(*) AS n, sum(online_retail_yuan) AS total \
                 FROM township_reports WHERE township_code = '350524102000' AND month = '2019-12' \
                 GROUP BY file_sha256";
    run(&data);
    let before = query(&data, hutou);
    assert_eq!(before.len(), 1);

    std::fs::copy(sample.join(fix), inbox.join(folder).join(fix)).expect("copy");
    run(&data);
    let after = query(&data, hutou);
    let files = query(
        &data,
        "SELECT file, file_sha256, rows_staged FROM ingest_files WHERE source = 'township_reports' ORDER BY file",
    );
    let fix_row = files
        .iter()
        .find(|f| {
            f["file"]
                .as_str()
                .is_some_and(|p| p.ends_with("_更正.xlsx"))
        })
        .expect("the correction was ingested");
    assert_eq!(
        after.len(),
        1,
        "one submission is read, never a mix: {after:?}"
    );
    assert_eq!(after[0]["file_sha256"], fix_row["file_sha256"]);
    assert_eq!(after[0]["n"].as_u64(), fix_row["rows_staged"].as_u64());
    assert_ne!(
        before[0]["total"], after[0]["total"],
        "the correction changed figures"
    );

    // Snapshot 1 still lists exactly the first report's files, and they are still there.
    let v1 = staged_of(&manifest(&data, 1), "township_reports");
    assert!(!v1.is_empty());
    for (path, file) in &v1 {
        assert!(path.ends_with(first), "{path}");
        assert!(data.join(file).is_file(), "{file} of snapshot 1 is kept");
    }
    // A rerun with nothing new re-reads nothing and publishes nothing: snapshot 2 stays.
    run(&data);
    assert!(!data.join("_manifests/v00000003.json").exists());
    assert_eq!(query(&data, hutou), after);
}

#[test]
fn a_rejected_resubmission_keeps_the_version_accepted_before() {
    let tmp = tempfile::tempdir().expect("tmp");
    let inbox = tmp.path().join("inbox");
    let folder = "departments/乡镇/湖头镇";
    std::fs::create_dir_all(inbox.join(folder)).expect("inbox");
    let name = "乡镇电商月报_湖头镇_201912.xlsx";
    let target = inbox.join(folder).join(name);
    std::fs::copy(
        repo().join("sample_data/inbox").join(folder).join(name),
        &target,
    )
    .expect("copy");
    let data = tmp.path().join("wh");
    let run = || {
        ecstat(
            &data,
            &["run", "--inbox", inbox.to_str().unwrap(), "--no-export"],
        )
    };
    assert!(run().status.success());
    let count = "SELECT count(*) AS n FROM township_reports";
    let before = query(&data, count)[0]["n"].as_u64().expect("n");
    assert!(before > 0);
    // The township sends a broken version under the same name (misspelt 填报单位).
    std::fs::copy(
        repo().join("sample_data/returned/乡镇电商月报_湖投_201911_补报.xlsx"),
        &target,
    )
    .expect("overwrite");
    let out = run();
    assert_eq!(out.status.code(), Some(1), "a rejected file: exit 1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("REJECTED") && stdout.contains("accepted before is kept"),
        "{stdout}"
    );
    assert_eq!(
        query(&data, count)[0]["n"].as_u64(),
        Some(before),
        "nothing was erased"
    );
    let files = query(
        &data,
        "SELECT error IS NULL AS accepted FROM ingest_files ORDER BY accepted",
    );
    assert_eq!(
        files.len(),
        2,
        "the rejected file and the kept one: {files:?}"
    );
}
