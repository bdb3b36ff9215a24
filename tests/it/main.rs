//! End-to-end tests: run the real `ecstat` binary in a temp dir and check the figures it
//! publishes against values derived independently (by hand, or by a second computation).

mod batch;
mod databases;
mod departments;
mod disclosure;
mod docs;
mod hostile;
mod partitions;
mod project;
mod real_exports;
mod sample;
mod shell;
mod slt;
mod targets;
mod tiny;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The data directory of one `ecstat run` on the bundled sample, shared by the tests that
/// only read it (built once per test binary, in Cargo's temp folder for integration tests).
pub fn sample_warehouse() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        // One per test process: checkouts that share a target folder (CI's cache and a
        // developer's tree) must not delete each other's warehouse mid-test. Those of
        // processes that have ended are removed.
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        if let Ok(entries) = std::fs::read_dir(tmp) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("sample-warehouse-")
                    && !Path::new("/proc").join(pid).exists()
                {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let data = tmp.join(format!("sample-warehouse-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let out = ecstat(&data, &["run"]);
        assert!(out.status.success(), "ecstat run on the sample succeeds");
        data
    })
}

/// Copy a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Run `ecstat ARGS` with `--data-dir DATA`.
pub fn ecstat(data: &Path, args: &[&str]) -> Output {
    let data = data.to_str().expect("utf-8 data path");
    let args: Vec<&str> = ["--data-dir", data].iter().chain(args).copied().collect();
    ecstat_in(&repo(), &args)
}

/// `ecstat ARGS` in `cwd`, with no `ECSTAT_*` variable from the caller's environment (a
/// test sets the ones it means). Prints the output of a failed command.
pub fn ecstat_in(cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecstat"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ECSTAT_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the ecstat binary runs");
    if !out.status.success() {
        eprintln!("stdout:\n{}", String::from_utf8_lossy(&out.stdout));
        eprintln!("stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    out
}

/// Rows of `ecstat query --format json SQL` as JSON objects (confidential tables
/// included: the tests check enterprise-level rows).
pub fn query(data: &Path, sql: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let out = ecstat(data, &["query", "--format", "json", "--confidential", sql]);
    assert!(out.status.success(), "query failed: {sql}");
    let text = String::from_utf8(out.stdout).expect("utf-8 output");
    let value: serde_json::Value = serde_json::from_str(text.trim()).expect("json output");
    value
        .as_array()
        .expect("an array of rows")
        .iter()
        .map(|v| v.as_object().expect("row object").clone())
        .collect()
}

/// A decimal column value as exact hundredths or ten-thousandths, from JSON text or number.
pub fn decimal(
    row: &serde_json::Map<String, serde_json::Value>,
    column: &str,
    scale: u32,
) -> Option<i128> {
    let v = row.get(column)?;
    let text = match v {
        serde_json::Value::Null => return None,
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let negative = int.starts_with('-');
    let mut frac = frac.to_string();
    while frac.len() < scale as usize {
        frac.push('0');
    }
    let digits = format!("{}{}", int.trim_start_matches('-'), &frac[..scale as usize]);
    let n: i128 = digits.parse().ok()?;
    Some(if negative { -n } else { n })
}

/// Split `amount` (fen) over `weights` as the issue on real exports states the rule, written
/// for the tests on their own: pro rata in whole fen, the fen left over to the largest
/// remainders (ties: the earlier item), equal shares when every weight is zero.
pub fn largest_remainder(amount: i64, weights: &[i64]) -> Vec<i64> {
    let weights: Vec<i128> = if weights.iter().all(|w| *w == 0) {
        vec![1; weights.len()]
    } else {
        weights.iter().map(|w| i128::from(*w)).collect()
    };
    let total: i128 = weights.iter().sum();
    let a = i128::from(amount.abs());
    let mut shares: Vec<i128> = weights.iter().map(|w| a * w / total).collect();
    let left = a - shares.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(a * weights[i] % total), i));
    for &i in order.iter().take(usize::try_from(left).expect("left")) {
        shares[i] += 1;
    }
    shares
        .into_iter()
        .map(|s| i64::try_from(s).expect("fits") * amount.signum())
        .collect()
}
