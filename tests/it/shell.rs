//! `ecstat sql` fed from a pipe, as a script or a scheduled job would use it: statements
//! over several lines, backslash commands, one-line errors with the position, `\o`.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::sample_warehouse;

fn shell(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecstat"))
        .arg("--data-dir")
        .arg(sample_warehouse())
        .arg("sql")
        .args(args)
        .current_dir(crate::repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

#[test]
fn piped_statements_run_in_turn_with_commands_and_clear_errors() {
    let out = shell(
        &[],
        "SELECT region_name, region_code\n  FROM dim_region\n WHERE level = 'township' ORDER BY region_code LIMIT 2;\n\
         \\d dim_region\n\
         SELEC 1;\n\
         SELECT count(*) AS n FROM dim_region WHERE level = 'village';\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Chinese names take two columns each: the table's borders line up.
    let rows: Vec<&str> = stdout.lines().take(6).collect();
    assert!(rows.iter().any(|l| l.contains("凤城镇")), "{stdout}");
    let width = |l: &str| -> usize { l.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum() };
    assert!(
        rows[..5].iter().all(|l| width(l) == width(rows[0])),
        "{stdout}"
    );
    assert!(stdout.contains("(2 rows)"));
    // \d TABLE: the model's description and its columns with descriptions.
    assert!(
        stdout.contains("grain: one row per division code"),
        "{stdout}"
    );
    assert!(stdout.contains("12-digit 统计用区划代码"));
    // A bad statement: one line, with where it went wrong; the next still runs.
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Line: 1, Column: 1"), "{stderr}");
    assert!(stdout.contains("| 492 |"), "{stdout}");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed statement shows in the exit code"
    );
}

#[test]
fn the_last_result_is_written_out_and_confidential_rows_need_the_flag() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let csv = tmp.path().join("towns.csv");
    let out = shell(
        &[],
        &format!(
            "SELECT region_name FROM dim_region WHERE level = 'township' ORDER BY region_code LIMIT 3;\n\\o {}\n",
            csv.display()
        ),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&csv).expect("csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBFregion_name\n"));
    assert_eq!(String::from_utf8_lossy(&bytes).lines().count(), 4);

    let secret = tmp.path().join("enterprises.parquet");
    let input = format!(
        "SELECT enterprise_key FROM dim_enterprise LIMIT 5;\n\\o {}\n",
        secret.display()
    );
    let refused = shell(&[], &input);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--confidential"));
    assert!(!secret.exists());
    assert!(shell(&["--confidential"], &input).status.success());
    assert!(secret.is_file());
}
