//! The documentation in `docs/`: the generated reference pages are those `ecstat docs`
//! writes from the pipeline folder today, and they name every table and column (with its
//! type) and every indicator of a real snapshot; every query recipe of the analyst guide
//! runs on the sample in both languages; and the worked example of `docs/extending.*.md`,
//! added to a copy of the pipeline exactly as written, loads its file and computes its
//! indicator to the figures summed here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::{copy_dir, decimal, ecstat, query, repo, sample_warehouse};

const REGENERATE: &str =
    "regenerate them with `cargo run -p ecstat-cli -- docs --out docs/reference` and commit them";

/// The fenced blocks of `text` whose info string is `info` (```` ```sql recipe ````).
fn blocks(text: &str, info: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_end() == format!("```{info}") => current = Some(String::new()),
            None => {}
            Some(block) if line.trim_end() == "```" => {
                out.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "an unclosed ```{info} block");
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn reference_pages_are_up_to_date() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("reference");
    let run = ecstat(
        &tmp.path().join("data"),
        &["docs", "--out", out.to_str().expect("utf-8 path")],
    );
    assert!(run.status.success(), "ecstat docs succeeds");
    let names = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let checked_in = repo().join("docs/reference");
    let generated = names(&out);
    assert_eq!(
        generated,
        BTreeSet::from(["indicators.md".to_string(), "tables.md".to_string()])
    );
    assert_eq!(
        names(&checked_in),
        generated,
        "docs/reference holds exactly the generated pages; {REGENERATE}"
    );
    for name in &generated {
        let want = std::fs::read(out.join(name)).expect("generated page");
        let have = std::fs::read(checked_in.join(name)).expect("checked-in page");
        assert!(
            want == have,
            "docs/reference/{name} is out of date with pipelines/: {REGENERATE}"
        );
    }
    // The same comparison from the command line, for CI scripts.
    let check = ecstat(&tmp.path().join("data"), &["docs", "--check"]);
    assert_eq!(check.status.code(), Some(0), "ecstat docs --check agrees");
}

/// Every table of a real snapshot has its section, listing each of its columns with the
/// type the snapshot has; every indicator it computed has its section.
#[test]
fn reference_pages_name_every_table_column_and_indicator_of_the_sample() {
    let data = sample_warehouse();
    let tables_md = read(&repo().join("docs/reference/tables.md"));
    let mut sections: BTreeMap<String, String> = BTreeMap::new();
    for part in tables_md.split("\n### `").skip(1) {
        let (name, rest) = part.split_once('`').expect("a table heading");
        sections.insert(name.to_string(), rest.to_string());
    }
    let columns = query(
        data,
        "SELECT table_name, column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    );
    let text = |row: &serde_json::Map<String, serde_json::Value>, c: &str| {
        row[c].as_str().expect("text").to_string()
    };
    let mut tables = BTreeSet::new();
    for row in &columns {
        let (table, column, ty) = (
            text(row, "table_name"),
            text(row, "column_name"),
            text(row, "data_type"),
        );
        tables.insert(table.clone());
        let section = sections
            .get(&table)
            .unwrap_or_else(|| panic!("tables.md has no section for `{table}`; {REGENERATE}"));
        assert!(
            section.contains(&format!("\n| `{column}` | {ty} |")),
            "tables.md: `{table}`.`{column}` ({ty}) is missing or typed otherwise"
        );
    }
    let listed = query(
        data,
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
    );
    assert!(tables.len() >= 40, "the sample has its tables: {tables:?}");
    assert_eq!(
        listed[0]["n"].as_i64(),
        Some(tables.len() as i64),
        "every table has columns"
    );
    assert_eq!(
        sections.keys().cloned().collect::<BTreeSet<_>>(),
        tables,
        "tables.md documents exactly the tables of a snapshot"
    );

    let indicators_md = read(&repo().join("docs/reference/indicators.md"));
    let codes = query(
        data,
        "SELECT DISTINCT indicator_code FROM ind_results ORDER BY 1",
    );
    assert!(codes.len() >= 20);
    for row in &codes {
        let code = text(row, "indicator_code");
        assert!(
            indicators_md.contains(&format!("\n## `{code}`\n")),
            "indicators.md has no section for `{code}`; {REGENERATE}"
        );
    }
}

#[test]
fn guide_recipes_are_the_same_in_both_languages_and_return_rows() {
    let zh = blocks(&read(&repo().join("docs/guide.zh.md")), "sql recipe");
    let en = blocks(&read(&repo().join("docs/guide.en.md")), "sql recipe");
    assert!(zh.len() >= 8, "the guide has its recipes");
    assert_eq!(zh, en, "guide.zh.md and guide.en.md give the same recipes");
    let data = sample_warehouse();
    for sql in &en {
        let rows = query(data, sql);
        assert!(!rows.is_empty(), "recipe returned no rows:\n{sql}");
    }
}

const HUTOU: &str = "350524102000";
const GANDE: &str = "350524110000";

/// Sales of the example file in hundredths of 万元 (0.01万元 = 100 元): township `t` (0
/// 湖头镇, 1 感德镇), month `m`, year `y`.
fn example_sales(y: i64, m: i64, t: i64) -> i64 {
    (y - 2017) * m * 125 + t * 100 + 7 * m * t
}

/// The example's yearly files: two townships, twelve months; one row of 2019 names a
/// township that does not exist (quarantined); a 合计 row ends each file.
fn write_example_inbox(inbox: &Path) {
    let dir = inbox.join("departments/商务局");
    std::fs::create_dir_all(&dir).expect("inbox folder");
    for y in [2018, 2019] {
        let mut text = String::from("统计月份,乡镇,直播场次,直播销售额（万元）\n");
        for m in 1..=12 {
            for (t, name) in [(0, "湖头镇"), (1, "感德")] {
                let s = example_sales(y, m, t);
                text.push_str(&format!(
                    "{y}年{m}月,{name},{},{}.{:02}\n",
                    m + t,
                    s / 100,
                    s % 100
                ));
            }
        }
        if y == 2019 {
            text.push_str("2019年5月,不存在镇,3,1.00\n");
        }
        text.push_str("合计,,,\n");
        std::fs::write(dir.join(format!("电商直播月报_{y}.csv")), text).expect("write example");
    }
}

#[test]
fn extending_example_adds_its_table_and_indicator() {
    // The blocks, the same in both languages.
    let zh = read(&repo().join("docs/extending.zh.md"));
    let en = read(&repo().join("docs/extending.en.md"));
    let one = |info: &str| -> String {
        let (z, e) = (blocks(&zh, info), blocks(&en, info));
        assert_eq!(z.len(), 1, "extending.zh.md has one ```{info} block");
        assert_eq!(z, e, "extending.zh.md and .en.md give the same ```{info}");
        e.into_iter().next().expect("one block")
    };
    let source = one("toml example-source");
    let model = one("sql example-model");
    let model_doc = one("toml example-model-doc");
    let indicator = one("toml example-indicator");

    let tmp = tempfile::tempdir().expect("temp dir");
    let pipelines = tmp.path().join("pipelines");
    copy_dir(&repo().join("pipelines"), &pipelines);
    std::fs::write(pipelines.join("sources/livestream.toml"), source).expect("write spec");
    std::fs::write(pipelines.join("models/fct_livestream_monthly.sql"), model).expect("model");
    std::fs::write(
        pipelines.join("models/fct_livestream_monthly.toml"),
        model_doc,
    )
    .expect("doc");
    let mut catalogue = read(&pipelines.join("indicators.toml"));
    catalogue.push('\n');
    catalogue.push_str(&indicator);
    std::fs::write(pipelines.join("indicators.toml"), catalogue).expect("write catalogue");
    let inbox = tmp.path().join("inbox");
    write_example_inbox(&inbox);

    let data = tmp.path().join("data");
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let reference = path(&repo().join("sample_data/reference"));
    let run = ecstat(
        &data,
        &[
            "run",
            "--pipelines",
            &path(&pipelines),
            "--inbox",
            &path(&inbox),
            "--reference",
            &reference,
            "--no-export",
        ],
    );
    assert_eq!(
        run.status.code(),
        Some(0),
        "the run with the example succeeds"
    );

    // The staged table: every good row, exact yuan.
    let staged = query(
        &data,
        "SELECT count(*) AS n, sum(sales_yuan) AS sales, sum(sessions) AS sessions FROM livestream_reports",
    );
    let all: i64 = [2018, 2019]
        .iter()
        .flat_map(|&y| (1..=12).flat_map(move |m| (0..2).map(move |t| example_sales(y, m, t))))
        .sum();
    let sessions: i64 = (1..=12).map(|m| m + m + 1).sum::<i64>() * 2;
    assert_eq!(staged[0]["n"].as_i64(), Some(48));
    // hundredths of 万元 → cents of yuan: × 100 yuan × 100 cents.
    assert_eq!(
        decimal(&staged[0], "sales", 2),
        Some(i128::from(all) * 10_000)
    );
    assert_eq!(staged[0]["sessions"].as_i64(), Some(sessions));
    let held = query(
        &data,
        "SELECT rule, raw_value FROM quarantine WHERE source = 'livestream'",
    );
    assert_eq!(held.len(), 1, "the unknown township is quarantined");
    assert_eq!(held[0]["rule"].as_str(), Some("unknown_division"));
    assert_eq!(held[0]["raw_value"].as_str(), Some("不存在镇"));

    // The model.
    let model_rows = query(
        &data,
        &format!(
            "SELECT sales_yuan FROM fct_livestream_monthly WHERE township_code = '{GANDE}' AND month = '2019-03'"
        ),
    );
    assert_eq!(
        decimal(&model_rows[0], "sales_yuan", 2),
        Some(i128::from(example_sales(2019, 3, 1)) * 10_000)
    );

    // The indicator: yearly values by township and county, YoY growth and its target.
    let year = |y: i64, t: Option<i64>| -> i64 {
        (1..=12)
            .flat_map(|m| {
                (0..2)
                    .filter(move |&x| t.is_none_or(|t| t == x))
                    .map(move |x| example_sales(y, m, x))
            })
            .sum::<i64>()
            * 100
    };
    let results = query(
        &data,
        "SELECT measure, period, dimension, member, value, status FROM ind_results \
         WHERE indicator_code = 'livestream_sales' AND period_type = 'year'",
    );
    let find = |measure: &str, period: &str, member: &str| {
        results
            .iter()
            .find(|r| {
                r["measure"].as_str() == Some(measure)
                    && r["period"].as_str() == Some(period)
                    && r["member"].as_str() == Some(member)
            })
            .unwrap_or_else(|| panic!("no {measure} {period} {member} row"))
            .clone()
    };
    for (y, period) in [(2018, "2018"), (2019, "2019")] {
        let county = find("value", period, "350524000000");
        assert_eq!(
            decimal(&county, "value", 4),
            Some(i128::from(year(y, None)) * 10_000)
        );
        for (t, code) in [(0, HUTOU), (1, GANDE)] {
            let row = find("value", period, code);
            assert_eq!(
                decimal(&row, "value", 4),
                Some(i128::from(year(y, Some(t))) * 10_000)
            );
        }
    }
    let growth = find("yoy_pct", "2019", "350524000000");
    let (s18, s19) = (year(2018, None) as f64, year(2019, None) as f64);
    let expected = (s19 - s18) * 100.0 / s18;
    let got = decimal(&growth, "value", 4).expect("a growth rate") as f64 / 10_000.0;
    assert!((got - expected).abs() < 0.0001, "YoY {got} vs {expected}");
    let status = if expected >= 10.0 {
        "达标"
    } else {
        "未达标"
    };
    assert_eq!(growth["status"].as_str(), Some(status));

    // Its lineage names both submissions, and the reference pages document it all.
    let lineage = query(
        &data,
        "SELECT file FROM ind_lineage WHERE indicator_code = 'livestream_sales' ORDER BY file",
    );
    assert_eq!(lineage.len(), 2);
    let out = tmp.path().join("reference");
    let docs = ecstat(
        &data,
        &[
            "docs",
            "--pipelines",
            &path(&pipelines),
            "--out",
            &path(&out),
        ],
    );
    assert!(docs.status.success());
    let tables_md = read(&out.join("tables.md"));
    let indicators_md = read(&out.join("indicators.md"));
    assert!(tables_md.contains("\n### `livestream_reports`\n"));
    assert!(tables_md.contains("\n### `fct_livestream_monthly`\n"));
    assert!(tables_md.contains("| `sales_yuan` | Decimal128(18, 2) | 元 |"));
    assert!(indicators_md.contains("\n## `livestream_sales`\n"));
    assert!(indicators_md.contains("`livestream_reports` (商务局)"));
}

/// docs/architecture.md's crate graph is the workspace's: the same crates with the same
/// ecstat dependencies as their `Cargo.toml`, each in the table of what it owns, and every
/// dependency used by the crate's code.
#[test]
fn the_architecture_page_names_the_crate_graph_as_it_is() {
    let page = std::fs::read_to_string(repo().join("docs/architecture.md")).expect("page");
    let block = page
        .split("```crates\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a ```crates block");
    let documented: BTreeMap<String, BTreeSet<String>> = block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, deps) = l.split_once(':').expect("`crate: deps`");
            let deps = deps
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(String::from)
                .collect();
            (name.trim().to_string(), deps)
        })
        .collect();
    let mut actual: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(repo().join("crates"))
        .expect("crates")
        .flatten()
    {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let doc: toml::Value = toml::from_str(&text).expect("Cargo.toml");
        let name = doc["package"]["name"].as_str().expect("name").to_string();
        let deps: BTreeSet<String> = doc
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|t| {
                t.keys()
                    .filter(|k| k.starts_with("ecstat-"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for dep in &deps {
            let ident = dep.replace('-', "_");
            assert!(
                source_mentions(&entry.path().join("src"), &ident),
                "{name} depends on {dep} but its code never uses `{ident}`"
            );
        }
        assert!(
            page.contains(&format!("| `{name}` |")),
            "docs/architecture.md: no row for {name}"
        );
        actual.insert(name, deps);
    }
    assert_eq!(
        documented, actual,
        "docs/architecture.md's crate graph differs from the Cargo.toml files"
    );
}

/// Whether a `.rs` file under `dir` mentions `ident`.
fn source_mentions(dir: &Path, ident: &str) -> bool {
    std::fs::read_dir(dir).expect("src").flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            source_mentions(&path, ident)
        } else {
            path.extension().is_some_and(|x| x == "rs")
                && std::fs::read_to_string(&path).is_ok_and(|t| t.contains(ident))
        }
    })
}
