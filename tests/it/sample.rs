//! The bundled sample (`sample_data/`): every row accounted for, and the published growth
//! figures equal a second computation done here, in plain Rust, from the staged Parquet.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Decimal128Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::{decimal, query, repo};

/// (platform, order id, line: sub-order id or item title)
type LineKey = (String, String, Option<String>);
/// (ingest order, year, net fen, agricultural)
type LineFigures = (usize, i32, i128, Option<bool>);

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = File::open(path).expect("open parquet");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    reader.map(|b| b.expect("batch")).collect()
}

/// One category rule of `sample_data/reference/category_map.csv`.
struct Rule {
    field: String,
    keyword: String,
    agricultural: bool,
    priority: i64,
}

fn rules() -> Vec<Rule> {
    let mut reader =
        csv::Reader::from_path(repo().join("sample_data/reference/category_map.csv")).expect("map");
    let mut rules: Vec<Rule> = reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            Rule {
                field: r[0].to_string(),
                keyword: r[1].to_string(),
                agricultural: &r[3] == "true",
                priority: r[4].parse().expect("priority"),
            }
        })
        .collect();
    // The documented precedence: lowest priority, then the longest keyword, then the keyword.
    rules.sort_by(|a, b| {
        (
            a.priority,
            std::cmp::Reverse(a.keyword.chars().count()),
            &a.keyword,
        )
            .cmp(&(
                b.priority,
                std::cmp::Reverse(b.keyword.chars().count()),
                &b.keyword,
            ))
    });
    rules
}

/// Some(true/false) when a rule matches, None when unmapped.
fn agricultural(rules: &[Rule], category: Option<&str>, title: Option<&str>) -> Option<bool> {
    rules
        .iter()
        .find(|r| match r.field.as_str() {
            "title" => title.is_some_and(|t| t.contains(&r.keyword)),
            // The category path at a '>' boundary: 茶 matches 茶>乌龙茶, not 茶具.
            _ => category.is_some_and(|c| {
                c.strip_prefix(r.keyword.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('>'))
            }),
        })
        .map(|r| r.agricultural)
}

/// Whether `file` is a shop's own back-office export (in the platform's real layout).
fn own_export(file: &str) -> bool {
    file.starts_with("platforms/店铺_")
}

/// growth in ten-thousandths of a percent, rounded half away from zero.
fn growth(current: i128, base: i128) -> i128 {
    let num = (current - base) * 100 * 10_000 * 2;
    let q = num / base;
    (q + q.signum()) / 2
}

#[test]
fn sample_rows_are_conserved_and_growth_matches_a_second_computation() {
    let data = crate::sample_warehouse().to_path_buf();

    // Every row read is staged or quarantined; the quarantine table holds exactly those rows.
    let files = query(
        &data,
        "SELECT file, rows_read, rows_staged, rows_quarantined, error FROM ingest_files \
         WHERE file LIKE 'platforms/%'",
    );
    assert!(
        files.len() >= 10,
        "the sample has a file per platform and year"
    );
    let quarantined = query(
        &data,
        "SELECT file, count(*) AS n FROM quarantine WHERE file LIKE 'platforms/%' \
         AND severity = 'row' GROUP BY file",
    );
    let q_by_file: HashMap<String, u64> = quarantined
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap_or("").to_string(),
                r["n"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut total_quarantined = 0;
    for f in &files {
        let name = f["file"].as_str().unwrap_or("");
        assert!(f["error"].is_null(), "{name} is not rejected");
        let n = |c: &str| f[c].as_u64().expect("count");
        assert_eq!(
            n("rows_read"),
            n("rows_staged") + n("rows_quarantined"),
            "{name}"
        );
        assert_eq!(
            q_by_file.get(name).copied().unwrap_or(0),
            n("rows_quarantined"),
            "{name}"
        );
        // A shop's own back-office export (platforms/店铺_…/) is clean; the platform's
        // yearly file has its deliberate bad rows.
        assert!(
            own_export(name) || n("rows_quarantined") >= 2,
            "{name} has its deliberate bad rows quarantined"
        );
        total_quarantined += n("rows_quarantined");
    }
    assert!(total_quarantined > 0);
    // The generator plants exactly one bad row of each kind in every file (its README), and
    // a short line only in CSV layouts: each file's quarantine must show exactly those.
    let by_rule = query(
        &data,
        "SELECT file, rule, count(*) AS n FROM quarantine WHERE file LIKE 'platforms/%' \
         GROUP BY file, rule",
    );
    for f in files
        .iter()
        .filter(|f| !own_export(f["file"].as_str().unwrap_or("")))
    {
        let name = f["file"].as_str().unwrap_or("");
        let mut rules: Vec<(String, u64)> = by_rule
            .iter()
            .filter(|r| r["file"].as_str() == Some(name))
            .map(|r| {
                (
                    r["rule"].as_str().unwrap_or("").to_string(),
                    r["n"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        rules.sort();
        let mut expected = vec![
            "duplicate_order_line",
            "missing_value",
            "negative_amount",
            "unknown_status",
            "unparseable_amount",
            "unparseable_datetime",
        ];
        if name.ends_with(".csv") {
            expected.push("field_count");
        }
        expected.sort();
        let expected: Vec<(String, u64)> =
            expected.into_iter().map(|r| (r.to_string(), 1)).collect();
        assert_eq!(rules, expected, "{name}");
    }

    // Second computation from the staged Parquet files of the published manifest.
    let manifest_path = std::fs::read_dir(data.join("_manifests"))
        .expect("manifests")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .max()
        .expect("a manifest");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manifest_path).expect("read")).expect("json");
    let rules = rules();
    // (platform, order, sub) → (ingest order, year, net fen, agricultural)
    let mut lines: HashMap<LineKey, LineFigures> = HashMap::new();
    // (platform, order) → the latest file that has the order: it replaces the order whole.
    let mut latest_file: HashMap<(String, String), usize> = HashMap::new();
    let mut staged_rows = 0usize;
    // 淘宝 detail lists (order_items): order id → its items (title, list price × quantity in
    // fen), the latest detail list's. An order-grain 淘宝 row of such an order is its items,
    // its goods and refund split over them by that weight.
    let mut items: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for input in manifest["inputs"].as_array().expect("inputs") {
        for file in input["staged_files"]["order_items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let mut in_file: HashMap<String, Vec<(i64, String, i64)>> = HashMap::new();
            for b in read_parquet(&data.join(file.as_str().expect("path"))) {
                let s = |c: &str| b.column_by_name(c).expect(c).as_string::<i32>().clone();
                let (order, title) = (s("order_id"), s("item_title"));
                let price = b
                    .column_by_name("unit_price_yuan")
                    .expect("price")
                    .as_primitive::<Decimal128Type>()
                    .clone();
                let qty = b
                    .column_by_name("quantity")
                    .expect("quantity")
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .clone();
                let row = b
                    .column_by_name("source_row")
                    .expect("source_row")
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .clone();
                for i in 0..b.num_rows() {
                    let weight = i64::try_from(price.value(i)).expect("fits") * qty.value(i);
                    in_file
                        .entry(order.value(i).to_string())
                        .or_default()
                        .push((row.value(i), title.value(i).to_string(), weight));
                }
            }
            for (order, mut list) in in_file {
                list.sort();
                items.insert(order, list.into_iter().map(|(_, t, w)| (t, w)).collect());
            }
        }
    }
    for (seq, input) in manifest["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter(|i| {
            i["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("platforms/"))
                && i["source"].as_str() != Some("taobao_order_detail")
        })
        .enumerate()
    {
        let staged = input["staged_files"]["orders"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut rows_in_file = 0u64;
        for file in staged {
            for b in read_parquet(&data.join(file.as_str().expect("path"))) {
                rows_in_file += b.num_rows() as u64;
                let s = |c: &str| b.column_by_name(c).expect(c).as_string::<i32>().clone();
                let (platform, order, sub, status, month, category, title) = (
                    s("platform"),
                    s("order_id"),
                    s("sub_order_id"),
                    s("status"),
                    s("order_month"),
                    s("platform_category"),
                    s("item_title"),
                );
                let goods = b
                    .column_by_name("goods_amount_yuan")
                    .expect("goods")
                    .as_primitive::<Decimal128Type>()
                    .clone();
                let refund = b
                    .column_by_name("refund_yuan")
                    .expect("refund")
                    .as_primitive::<Decimal128Type>()
                    .clone();
                for i in 0..b.num_rows() {
                    let counts = matches!(status.value(i), "completed" | "refunded");
                    let opt = |a: &arrow::array::StringArray| {
                        a.is_valid(i).then(|| a.value(i).to_string())
                    };
                    let year: i32 = month.value(i)[..4].parse().expect("year");
                    // Line identity: sub-order id, else item title (as stg_orders documents);
                    // a 淘宝 order row with a detail list is its items, `<order>#<n>`.
                    let split: Vec<(Option<String>, Option<String>, i128, i128)> =
                        match items.get(order.value(i)) {
                            Some(list) if platform.value(i) == "taobao" && sub.is_null(i) => {
                                let weights: Vec<i64> = list.iter().map(|(_, w)| *w).collect();
                                let share = |fen: i128| {
                                    crate::largest_remainder(
                                        i64::try_from(fen).expect("fits"),
                                        &weights,
                                    )
                                };
                                let g = share(goods.value(i));
                                // The refund by the items' goods shares.
                                let by_goods: Vec<i64> = g.iter().map(|x| x.abs()).collect();
                                let r = crate::largest_remainder(
                                    i64::try_from(refund.value(i)).expect("fits"),
                                    &by_goods,
                                );
                                list.iter()
                                    .enumerate()
                                    .map(|(n, (t, _))| {
                                        (
                                            Some(format!("{}#{}", order.value(i), n + 1)),
                                            Some(t.clone()),
                                            i128::from(g[n]),
                                            i128::from(r[n]),
                                        )
                                    })
                                    .collect()
                            }
                            _ => vec![(opt(&sub), opt(&title), goods.value(i), refund.value(i))],
                        };
                    for (sub_id, item_title, goods_fen, refund_fen) in split {
                        let net = if counts {
                            (goods_fen - refund_fen).max(0)
                        } else {
                            0
                        };
                        let agri =
                            agricultural(&rules, opt(&category).as_deref(), item_title.as_deref());
                        let key = (
                            platform.value(i).to_string(),
                            order.value(i).to_string(),
                            sub_id.or(item_title),
                        );
                        let latest = latest_file
                            .entry((key.0.clone(), key.1.clone()))
                            .or_insert(seq);
                        *latest = (*latest).max(seq);
                        let entry = (seq, year, net, agri);
                        match lines.get(&key) {
                            Some(existing) if existing.0 > seq => {}
                            _ => {
                                lines.insert(key, entry);
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(
            rows_in_file,
            input["rows_staged"].as_u64().expect("rows_staged"),
            "staged files hold the staged rows"
        );
        staged_rows += rows_in_file as usize;
    }
    assert!(
        staged_rows > 10_000,
        "the sample is big enough to mean something"
    );

    let mut rural: BTreeMap<i32, i128> = BTreeMap::new();
    let mut agri: BTreeMap<i32, i128> = BTreeMap::new();
    lines.retain(|(platform, order, _), (seq, ..)| {
        latest_file[&(platform.clone(), order.clone())] == *seq
    });
    for (_, year, net, is_agri) in lines.values() {
        *rural.entry(*year).or_default() += net;
        if *is_agri == Some(true) {
            *agri.entry(*year).or_default() += net;
        }
    }
    let published = |code: &str, measure: &str, year: i32| -> (Option<i128>, String) {
        let rows = query(
            &data,
            &format!(
                "SELECT value, status FROM ind_results WHERE indicator_code = '{code}' AND measure = '{measure}' \
                 AND period_type = 'year' AND period = '{year}' AND dimension = 'county'"
            ),
        );
        assert_eq!(rows.len(), 1, "{code} {measure} {year}");
        (
            decimal(&rows[0], "value", 4),
            rows[0]["status"].as_str().unwrap_or("").to_string(),
        )
    };
    for year in [2017, 2018, 2019] {
        // Fen → ten-thousandths of a yuan.
        assert_eq!(
            published("rural_online_retail", "value", year).0,
            Some(rural[&year] * 100),
            "rural {year}"
        );
        assert_eq!(
            published("agri_online_retail", "value", year).0,
            Some(agri[&year] * 100),
            "agri {year}"
        );
    }
    for year in [2018, 2019] {
        assert_eq!(
            published("rural_online_retail", "yoy_pct", year).0,
            Some(growth(rural[&year], rural[&(year - 1)])),
            "rural yoy {year}"
        );
        assert_eq!(
            published("agri_online_retail", "vs_baseline_pct", year).0,
            Some(growth(agri[&year], agri[&2017])),
            "agri vs 2017, {year}"
        );
    }
    // The sample is generated so that in 2019 one target is met and the other missed.
    let (rural_growth, rural_status) = published("rural_online_retail", "vs_baseline_pct", 2019);
    let (agri_growth, agri_status) = published("agri_online_retail", "vs_baseline_pct", 2019);
    assert_eq!(rural_growth, Some(growth(rural[&2019], rural[&2017])));
    assert_eq!(
        (rural_status.as_str(), agri_status.as_str()),
        ("未达标", "达标")
    );
    assert!(agri_growth.is_some_and(|g| g >= 30 * 10_000));
}

/// The shops' own back-office exports in the sample (the platforms' real layouts: 淘宝
/// ExportOrderList, 京东 POP, 拼多多 商家后台, 抖店) are read as the generator drew their
/// orders: per file, the lines, orders, completed orders and sales that
/// `sample_data/expected/platforms.toml` holds (written by the generator from its own order
/// model, not from reading the files) are what `ingest_files` reconciles.
#[test]
fn own_exports_in_real_layouts_reconcile_with_the_generator() {
    let data = crate::sample_warehouse().to_path_buf();
    let text = std::fs::read_to_string(repo().join("sample_data/expected/platforms.toml"))
        .expect("expected file");
    let expected: toml::Table = text.parse().expect("toml");
    let files = expected["file"].as_array().expect("[[file]]");
    assert_eq!(files.len(), 11, "淘宝, 京东, 拼多多 × 3 years, 抖店 × 2");
    let got = query(
        &data,
        "SELECT source, file, error, rows_read, rows_staged, lines, orders, completed_orders, \
                CAST(sales_yuan AS VARCHAR) AS sales FROM ingest_files",
    );
    let mut sources = std::collections::BTreeSet::new();
    for f in files {
        let path = f["path"].as_str().expect("path");
        let row = got
            .iter()
            .find(|r| r["file"].as_str() == Some(path))
            .unwrap_or_else(|| panic!("{path} is not in ingest_files"));
        assert!(row["error"].is_null(), "{path}: {row:?}");
        let n = |c: &str| row[c].as_i64().expect(c);
        let want = |c: &str| f[c].as_integer().expect(c);
        assert_eq!(
            n("rows_read"),
            n("rows_staged"),
            "{path}: clean, all staged"
        );
        assert_eq!(
            (n("lines"), n("orders"), n("completed_orders")),
            (want("lines"), want("orders"), want("completed_orders")),
            "{path}"
        );
        assert_eq!(
            row["sales"].as_str(),
            f["sales_yuan"].as_str(),
            "{path}: sales"
        );
        sources.insert(row["source"].as_str().unwrap_or("").to_string());
    }
    assert_eq!(
        sources.into_iter().collect::<Vec<_>>(),
        [
            "douyin_doudian",
            "jd_pop",
            "pinduoduo_mms",
            "taobao_order_list"
        ]
    );
}
