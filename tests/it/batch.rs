//! The nightly batch as the bureau runs it (issue: never corrupts, never double-counts,
//! tells the truth): reruns with nothing new, the same inputs in another order, a crash at
//! every step (failpoints), SIGKILL at random moments, two runs at once, vacuum, and
//! read-only queries. Figures are compared with those of one uninterrupted run on the
//! same inputs.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{ecstat, query, tiny};

/// `ecstat run` on the fixture in `dir` into `data`, with `env` set.
fn run_into(dir: &Path, data: &Path, env: &[(&str, &str)]) -> Output {
    command(dir, data, env).output().expect("ecstat runs")
}

fn command(dir: &Path, data: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecstat"));
    cmd.arg("--data-dir")
        .arg(data)
        .arg("run")
        .arg("--inbox")
        .arg(dir.join("inbox"))
        .arg("--reference")
        .arg(dir.join("reference"))
        .current_dir(crate::repo())
        .env_remove("ECSTAT_FAILPOINT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Every indicator figure of the current snapshot, without the snapshot's version: what
/// must be the same whichever way the same inputs arrived.
fn figures(data: &Path) -> String {
    let rows = query(
        data,
        "SELECT * EXCLUDE (snapshot_version) FROM ind_results \
         ORDER BY indicator_code, measure, period_type, period, dimension, member",
    );
    assert!(!rows.is_empty(), "no indicator rows");
    serde_json::to_string(&rows).expect("json")
}

/// Codes of the indicators with a row (by its key) that one of two [`figures`] has and the
/// other has not, or whose value or status differ.
fn changed_indicators(before: &str, after: &str) -> Vec<String> {
    const KEY: [&str; 6] = [
        "indicator_code",
        "measure",
        "period_type",
        "period",
        "dimension",
        "member",
    ];
    // Each row by its key (the indicator code first), to its value and status, as JSON text.
    let rows = |json: &str| -> std::collections::BTreeMap<Vec<String>, (String, String)> {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(json).expect("figures");
        rows.iter()
            .map(|r| {
                let field = |k: &str| r.get(k).map(ToString::to_string).unwrap_or_default();
                (KEY.map(field).to_vec(), (field("value"), field("status")))
            })
            .collect()
    };
    let (before, after) = (rows(before), rows(after));
    let codes: std::collections::BTreeSet<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| k[0].trim_matches('"').to_string())
        .collect();
    codes.into_iter().collect()
}

fn versions(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("_manifests"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The current snapshot reads whole: every file it lists exists, is no temp file, and
/// every table can be read (`ecstat tables` counts the rows of each).
fn reads_whole(data: &Path) {
    let latest = versions(data).pop().expect("a snapshot");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("_manifests").join(&latest)).expect("manifest"),
    )
    .expect("manifest json");
    let mut files = Vec::new();
    for list in manifest["tables"].as_object().expect("tables").values() {
        files.extend(list.as_array().expect("files").iter().cloned());
    }
    for input in manifest["inputs"].as_array().expect("inputs") {
        for list in input["staged_files"].as_object().expect("staged").values() {
            files.extend(list.as_array().expect("files").iter().cloned());
        }
    }
    for f in files {
        let f = f.as_str().expect("path");
        assert!(!f.ends_with(".tmp"), "{latest} lists a temp file {f}");
        assert!(
            data.join(f).is_file(),
            "{latest} lists {f}, which is missing"
        );
    }
    let out = ecstat(data, &["tables"]);
    assert!(out.status.success(), "every table of {latest} reads");
}

fn run_summaries(data: &Path) -> Vec<serde_json::Value> {
    let mut paths: Vec<_> = std::fs::read_dir(data.join("_runs"))
        .expect("_runs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json"))
        .collect()
}

/// (path, status, hashed) of each input of a run summary.
fn inputs_of(run: &serde_json::Value) -> Vec<(String, String, bool)> {
    run["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap_or("").to_string(),
                i["status"].as_str().unwrap_or("").to_string(),
                i["hashed"].as_bool().expect("hashed"),
            )
        })
        .collect()
}

/// The fixture with the 拼多多 export held back, and the folder to put it in later.
fn fixture_without_pinduoduo(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    tiny::fixture(dir);
    let file = dir.join("inbox/platforms/拼多多订单_tiny.csv");
    let held = dir.join("拼多多订单_tiny.csv");
    std::fs::rename(&file, &held).expect("hold back");
    (held, file)
}

/// Figures of one uninterrupted run on the whole fixture.
fn reference_figures() -> String {
    let tmp = tempfile::tempdir().expect("tempdir");
    tiny::fixture(tmp.path());
    let data = tmp.path().join("wh");
    assert!(run_into(tmp.path(), &data, &[]).status.success());
    figures(&data)
}

#[test]
fn a_rerun_with_nothing_new_changes_nothing_and_a_new_file_is_all_it_reads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (held, back) = fixture_without_pinduoduo(tmp.path());
    let data = tmp.path().join("wh");
    assert!(run_into(tmp.path(), &data, &[]).status.success());
    let before = figures(&data);

    let again = run_into(tmp.path(), &data, &[]);
    assert!(again.status.success());
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        stdout.contains("nothing changed since snapshot 1"),
        "{stdout}"
    );
    assert_eq!(versions(&data), vec!["v00000001.json"]);
    assert_eq!(figures(&data), before);

    std::fs::rename(&held, &back).expect("the new file arrives");
    assert!(run_into(tmp.path(), &data, &[]).status.success());
    assert_eq!(versions(&data).len(), 2);

    let runs = run_summaries(&data);
    let outcomes: Vec<&str> = runs
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, vec!["published", "unchanged", "published"]);
    // The third run read only the new file; the others were reused by content hash.
    let statuses: Vec<(String, String)> = inputs_of(&runs[2])
        .into_iter()
        .map(|(path, status, _)| (path, status))
        .collect();
    assert!(
        statuses.iter().all(|(path, status)| {
            (path.ends_with("拼多多订单_tiny.csv") && status == "read")
                || (!path.ends_with("拼多多订单_tiny.csv") && status == "reused")
        }),
        "{statuses:?}"
    );
    assert_eq!(runs[2]["exit_code"], 0);
    // The indicators said to have changed are those whose published rows differ between the
    // two snapshots, compared here row by row ("*" would mean the comparison failed).
    let reported: Vec<String> = runs[2]["indicators_changed"]
        .as_array()
        .expect("indicators_changed")
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_string())
        .collect();
    let expected = changed_indicators(&before, &figures(&data));
    assert!(!expected.is_empty());
    assert_eq!(reported, expected);
    assert_eq!(
        runs[1]["indicators_changed"].as_array().map(Vec::len),
        Some(0)
    );

    // `ecstat runs` and `snapshots` list them; --as-of reads the first snapshot again.
    let listed = String::from_utf8_lossy(&ecstat(&data, &["runs"]).stdout).into_owned();
    assert_eq!(listed.matches("| run ").count(), 3, "{listed}");
    let old = query_as_of(&data, "1");
    assert_eq!(old, before);

    // Vacuum: keep the newest; the first snapshot is gone, the current one reads whole.
    let out = ecstat(&data, &["vacuum", "--keep", "1"]);
    assert!(out.status.success());
    assert_eq!(versions(&data), vec!["v00000002.json"]);
    reads_whole(&data);
    let gone = ecstat(&data, &["--as-of", "1", "tables"]);
    assert_eq!(gone.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no snapshot 1"));
}

#[test]
fn an_unchanged_file_is_not_hashed_again_and_a_rewrite_that_keeps_its_time_is_seen() {
    let tmp = tempfile::tempdir().expect("tempdir");
    tiny::fixture(tmp.path());
    let data = tmp.path().join("wh");
    // A file touched within the second before it is hashed could be written again without
    // its stamp changing; such a stamp is not trusted. Let the fixture's files settle.
    std::thread::sleep(Duration::from_millis(1100));
    assert!(run_into(tmp.path(), &data, &[]).status.success());
    let before = figures(&data);

    let again = run_into(tmp.path(), &data, &[]);
    assert!(again.status.success());
    let runs = run_summaries(&data);
    assert_eq!(runs[1]["outcome"], "unchanged");
    let inputs = inputs_of(&runs[1]);
    assert!(inputs.iter().all(|(_, _, hashed)| !hashed), "{inputs:?}");
    assert!(
        inputs.iter().all(|(_, status, _)| status == "reused"),
        "{inputs:?}"
    );

    // The 2018 order of the 拼多多 export goes from 50 to 90 yuan: same size, and the old
    // modification time put back. The change time moves, so the file is hashed and read.
    let pdd = tmp.path().join("inbox/platforms/拼多多订单_tiny.csv");
    let meta = std::fs::metadata(&pdd).expect("meta");
    let old = std::fs::read_to_string(&pdd).expect("read");
    let new = old.replace("50.00元,0.00元,50.00元", "90.00元,0.00元,90.00元");
    assert_ne!(new, old);
    assert_eq!(new.len(), old.len());
    std::fs::write(&pdd, &new).expect("rewrite");
    std::fs::File::options()
        .write(true)
        .open(&pdd)
        .and_then(|f| f.set_modified(meta.modified().expect("mtime")))
        .expect("set mtime");
    let after = std::fs::metadata(&pdd).expect("meta");
    assert_eq!(
        (after.len(), after.modified().ok()),
        (meta.len(), meta.modified().ok())
    );
    assert!(run_into(tmp.path(), &data, &[]).status.success());
    let runs = run_summaries(&data);
    assert_eq!(runs[2]["outcome"], "published");
    for (path, status, hashed) in inputs_of(&runs[2]) {
        let rewritten = path.ends_with("拼多多订单_tiny.csv");
        assert_eq!(hashed, rewritten, "{path}");
        assert_eq!(status, if rewritten { "read" } else { "reused" }, "{path}");
    }
    assert_ne!(figures(&data), before);

    // --rehash hashes every file; nothing changed, so nothing is published.
    let mut rehash = command(tmp.path(), &data, &[]);
    rehash.arg("--rehash");
    assert!(rehash.output().expect("runs").status.success());
    let runs = run_summaries(&data);
    assert_eq!(runs[3]["outcome"], "unchanged");
    assert!(inputs_of(&runs[3]).iter().all(|(_, _, hashed)| *hashed));
}

fn query_as_of(data: &Path, version: &str) -> String {
    let out = ecstat(
        data,
        &[
            "--as-of",
            version,
            "query",
            "--format",
            "json",
            "SELECT * EXCLUDE (snapshot_version) FROM ind_results \
             ORDER BY indicator_code, measure, period_type, period, dimension, member",
        ],
    );
    assert!(out.status.success());
    let rows: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).expect("json");
    serde_json::to_string(&rows).expect("json")
}

#[test]
fn the_same_inputs_in_another_order_give_the_same_figures() {
    let expected = reference_figures();
    for first in ["拼多多订单_tiny.csv", "淘宝订单导出_tiny.csv"] {
        let tmp = tempfile::tempdir().expect("tempdir");
        tiny::fixture(tmp.path());
        let file = tmp.path().join("inbox/platforms").join(first);
        let held = tmp.path().join(first);
        std::fs::rename(&file, &held).expect("hold back");
        let data = tmp.path().join("wh");
        assert!(run_into(tmp.path(), &data, &[]).status.success());
        std::fs::rename(&held, &file).expect("arrives later");
        assert!(run_into(tmp.path(), &data, &[]).status.success());
        assert_eq!(figures(&data), expected, "{first} arriving last");
    }
}

#[test]
fn a_crash_at_any_step_leaves_the_previous_snapshot_whole_and_the_next_run_completes() {
    let expected = reference_figures();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (held, back) = fixture_without_pinduoduo(tmp.path());
    let data = tmp.path().join("wh");
    assert!(run_into(tmp.path(), &data, &[]).status.success());
    let first = figures(&data);
    std::fs::rename(&held, &back).expect("the new file arrives");

    // In the order a run meets them; from publish:after on, snapshot 2 exists.
    for point in [
        "after_lock",
        "ingest:after_file",
        "ingest:done",
        "build:after_model",
        "build:done",
        "indicators:done",
        "publish:before",
        "publish:after",
        "export:during",
    ] {
        let out = run_into(tmp.path(), &data, &[("ECSTAT_FAILPOINT", point)]);
        assert_eq!(out.status.code(), None, "{point}: the process was stopped");
        assert!(String::from_utf8_lossy(&out.stderr).contains(point));
        reads_whole(&data);
        let published = matches!(point, "publish:after" | "export:during");
        assert_eq!(
            versions(&data).len(),
            if published { 2 } else { 1 },
            "{point}"
        );
        if !published {
            assert_eq!(
                figures(&data),
                first,
                "{point}: the previous snapshot is unchanged"
            );
        }
    }
    // The exports are those of snapshot 1 (the interrupted export did not mark them).
    let mark = std::fs::read_to_string(data.join("exports/snapshot.json")).expect("mark");
    assert!(mark.contains("\"snapshot_version\":1"), "{mark}");

    let out = run_into(tmp.path(), &data, &[]);
    assert!(out.status.success(), "the next run completes");
    reads_whole(&data);
    assert_eq!(
        figures(&data),
        expected,
        "the same figures as an uninterrupted run"
    );
    let mark = std::fs::read_to_string(data.join("exports/snapshot.json")).expect("mark");
    assert!(
        mark.contains("\"snapshot_version\":2"),
        "exports redone: {mark}"
    );
    // Every run left its account, the stopped ones excepted.
    let runs = run_summaries(&data);
    assert_eq!(
        runs.first().map(|r| r["outcome"].clone()),
        Some("published".into())
    );
    assert_eq!(
        runs.last().map(|r| r["outcome"].clone()),
        Some("unchanged".into())
    );
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_broken_snapshot() {
    let expected = reference_figures();
    let tmp = tempfile::tempdir().expect("tempdir");
    tiny::fixture(tmp.path());
    let data = tmp.path().join("wh");
    // How long a whole run takes here, to spread the kills over it.
    let started = Instant::now();
    {
        let scratch = tmp.path().join("scratch");
        assert!(run_into(tmp.path(), &scratch, &[]).status.success());
    }
    let span = started.elapsed().as_millis().max(200) as u64;
    // A fixed seed: the same moments on every run of the test.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..8 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = (state >> 33) % span;
        let mut child = command(tmp.path(), &data, &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL; the run may have finished already
        let _ = child.wait();
        if !versions(&data).is_empty() {
            reads_whole(&data);
        }
        eprintln!("round {round}: killed after {delay} ms of ~{span}");
    }
    let out = run_into(tmp.path(), &data, &[]);
    assert!(out.status.success());
    reads_whole(&data);
    assert_eq!(figures(&data), expected);
}

#[test]
fn two_runs_at_once_one_does_the_work_and_the_other_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    tiny::fixture(tmp.path());
    let data = tmp.path().join("wh");
    // The first holds the lock for a while once it has it.
    let mut first = command(
        tmp.path(),
        &data,
        &[("ECSTAT_FAILPOINT", "after_lock=sleep:4000")],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let pid = first.id().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(data.join("_lock")).is_ok_and(|t| t.contains(&pid)) {
        assert!(
            Instant::now() < deadline,
            "the first run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = run_into(tmp.path(), &data, &[]);
    assert_eq!(
        second.status.code(),
        Some(5),
        "lock held: its own exit code"
    );
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(
        message.contains(&format!("pid {pid}")),
        "names the holder: {message}"
    );
    assert!(first.wait().expect("wait").success());
    assert_eq!(
        versions(&data),
        vec!["v00000001.json"],
        "exactly one did the work"
    );
    let outcomes: Vec<String> = run_summaries(&data)
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or("").to_string())
        .collect();
    let mut sorted = outcomes.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["published", "refused"], "{outcomes:?}");
}

#[test]
fn analysts_queries_cannot_change_or_read_outside_the_warehouse() {
    let data = crate::sample_warehouse();
    for sql in [
        "DROP TABLE ind_results",
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO ind_results SELECT * FROM ind_results",
        "COPY ind_results TO '/tmp/ecstat-copy.csv'",
        "SET datafusion.execution.batch_size = 1",
        "CREATE EXTERNAL TABLE p (a VARCHAR) STORED AS CSV LOCATION '/etc/passwd'",
        "SELECT * FROM '/etc/passwd'",
    ] {
        let out = ecstat(data, &["query", sql]);
        assert_eq!(out.status.code(), Some(2), "{sql} must be refused");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(
            message.starts_with("ecstat:") && message.lines().count() <= 3,
            "{sql}: {message}"
        );
    }
    assert!(!Path::new("/tmp/ecstat-copy.csv").exists());

    // Enterprise-level tables: queried freely, written out only with --confidential.
    let sql = "SELECT enterprise_key FROM dim_enterprise LIMIT 1";
    assert!(ecstat(data, &["query", sql]).status.success());
    let refused = ecstat(data, &["query", "--format", "csv", sql]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--confidential"));
    assert!(
        ecstat(data, &["query", "--format", "csv", "--confidential", sql])
            .status
            .success()
    );
    let published = "SELECT count(*) FROM ind_results";
    assert!(
        ecstat(data, &["query", "--format", "csv", published])
            .status
            .success()
    );
}

#[test]
fn a_query_over_its_memory_or_time_fails_cleanly() {
    let data = crate::sample_warehouse();
    // 15 million distinct groups under a 64 MB limit: the aggregation spills and finishes.
    let grouped = ecstat(
        data,
        &[
            "--memory-limit",
            "64M",
            "query",
            "SELECT count(*) AS groups FROM (SELECT concat(a.period, b.period, b.member, a.member, a.note, a.indicator_code) AS k \
             FROM ind_results a CROSS JOIN (SELECT * FROM ind_results LIMIT 400) b GROUP BY 1)",
        ],
    );
    assert!(
        grouped.status.success(),
        "a large aggregation spills within the limit"
    );
    // An aggregate that cannot spill fails with its own message and exit code, not a kill.
    let out = ecstat(
        data,
        &[
            "--memory-limit",
            "64M",
            "query",
            "SELECT array_agg(concat(a.period, b.member, a.indicator_code)) \
             FROM ind_results a CROSS JOIN (SELECT * FROM ind_results LIMIT 400) b",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Resources exhausted"));
    // 1.5 billion row pairs: stopped by --timeout.
    let out = ecstat(
        data,
        &[
            "query",
            "--timeout",
            "1",
            "SELECT count(DISTINCT concat(a.period, b.member)) FROM ind_results a CROSS JOIN ind_results b",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"));
    let bad = ecstat(data, &["--memory-limit", "lots", "tables"]);
    assert_eq!(bad.status.code(), Some(2));
}
