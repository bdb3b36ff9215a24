//! The platforms' real back-office export layouts (`tests/real_exports/inbox`, written by
//! `tests/real_exports/make_fixtures.py`), read by `ecstat run --inbox` with no other flag,
//! and checked against a second reader written here from the raw files.
//!
//! | platform | files | encoding | grain | a line's buyer-paid goods |
//! |---|---|---|---|---|
//! | taobao | `ExportOrderList*.csv` | GBK | order | 买家实际支付金额 − 买家应付邮费 |
//! | jd | `jd_orders_export_*.csv` | GBK | SKU line | per ORDER: 应付金额 + 余额支付 − 运费金额 |
//! | pinduoduo | `orders_export_*.csv` | UTF-8 BOM | order | 用户实付金额 − 邮费 |
//! | douyin | `店铺_DD8801_…/*_抖店订单.csv` | UTF-8 | sub-order | 订单应付金额 − 运费 |
//!
//! Expected figures, computed here in whole fen from the files' decimal strings:
//!
//! - Each platform has two exports; an order line in both counts from the later file (by
//!   file name), line by line. Lines are (order, 宝贝/商品 title) for taobao, jd and
//!   pinduoduo, (主订单编号, 子订单编号) for douyin.
//! - A line counts (is completed and not refunded) when its status is: taobao 交易成功 (交易关闭
//!   is closed or refunded); jd 完成; pinduoduo 已签收 with 售后状态 other than 退款成功;
//!   douyin 已完成 with 售后状态 other than 退款成功 (售后关闭 still counts). Every other line
//!   (unpaid, cancelled, closed, in progress, locked, deleted, refunded) counts zero.
//! - Sales (网络零售额) of a counted line are its buyer-paid goods, postage excluded; a JD
//!   order's goods count once, not once per line. Completed orders are the distinct orders
//!   with at least one counted line.
//! - The year is that of the order's creation: taobao 订单创建时间, jd 下单时间, pinduoduo
//!   订单成交时间 or, where that is blank, the order id's `YYMMDD-`, douyin 订单提交时间.
//!
//! The fixture's totals (also printed by make_fixtures.py):
//!
//! | platform | year | completed orders | sales 元 |
//! |---|---|---|---|
//! | taobao | 2018 | 10 | 1727.50 |
//! | taobao | 2019 | 24 | 5114.71 |
//! | taobao | 2020 | 5 | 1003.70 |
//! | jd | 2018 | 6 | 2435.00 |
//! | jd | 2019 | 14 | 3211.20 |
//! | jd | 2020 | 3 | 507.30 |
//! | pinduoduo | 2018 | 9 | 807.80 |
//! | pinduoduo | 2019 | 21 | 2396.12 |
//! | pinduoduo | 2020 | 4 | 319.46 |
//! | douyin | 2018 | 5 | 845.10 |
//! | douyin | 2019 | 16 | 3382.90 |
//! | douyin | 2020 | 3 | 867.80 |
//!
//! Also: every fixture file is read whole (`rows_read` = its data rows = `rows_staged +
//! rows_quarantined`); the lines of each JD order carry goods summing to the order's
//! 应付金额 + 余额支付 − 运费金额 (allocation never changes an order's total); the 抖店 lines
//! have the shop of their folder, DD8801.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::{decimal, ecstat, query, repo};

/// One line of an export as the second reader sees it.
#[derive(Debug, Clone)]
struct Line {
    order: String,
    key: String,
    year: i32,
    /// Buyer-paid goods of the line, fen (JD: of the whole order, on every line).
    goods: i64,
    counted: bool,
    /// Index of the file among its platform's files (name order).
    file: usize,
}

/// A decimal string as whole fen, without floats: `12`, `12.5`, `-3.07`.
fn fen(text: &str) -> i64 {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    assert!(
        !int.is_empty()
            && frac.len() <= 2
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit()),
        "not an amount: {text:?}"
    );
    let frac = format!("{frac:0<2}");
    let v = int.parse::<i64>().expect("digits") * 100 + frac.parse::<i64>().expect("digits");
    if negative { -v } else { v }
}

fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

fn year_of(datetime: &str) -> i32 {
    datetime
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or_else(|| panic!("not a datetime: {datetime:?}"))
}

/// A file's records by (trimmed) header name.
struct Table {
    rows: Vec<HashMap<String, String>>,
}

/// A fixture file's text: UTF-8 (a byte-order mark dropped) or GBK.
fn decode(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read fixture");
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8(bytes[3..].to_vec()).expect("utf-8")
    } else if let Ok(s) = String::from_utf8(bytes.clone()) {
        s
    } else {
        let (s, _, errors) = encoding_rs::GBK.decode(&bytes);
        assert!(!errors, "{} decodes as GBK", path.display());
        s.into_owned()
    }
}

/// A fixture CSV's header (trimmed) and records, as text.
fn csv_records(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let text = decode(path);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .expect("header")
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let records = reader.records().map(|r| r.expect("csv record")).collect();
    (headers, records)
}

fn read_table(path: &Path) -> Table {
    let (headers, records) = csv_records(path);
    let rows = records
        .iter()
        .map(|r| {
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect();
    Table { rows }
}

fn cell<'a>(row: &'a HashMap<String, String>, name: &str) -> &'a str {
    row.get(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_str()
}

/// The platform's files in name order, under `dir`.
fn files(dir: &Path, matches: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read inbox")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .filter(|p| matches(&p.file_name().expect("name").to_string_lossy()))
        .collect();
    out.sort_by_key(|p| p.file_name().expect("name").to_os_string());
    out
}

/// The lines of one platform's file: `(platform, parse)`.
fn read_lines(platform: &str, file: usize, table: &Table) -> Vec<Line> {
    table
        .rows
        .iter()
        .map(|r| match platform {
            "taobao" => {
                let id = cell(r, "订单编号");
                let id = id
                    .strip_prefix("=\"")
                    .and_then(|s| s.strip_suffix('"'))
                    .unwrap_or(id);
                Line {
                    order: id.to_string(),
                    key: cell(r, "宝贝标题").to_string(),
                    year: year_of(cell(r, "订单创建时间")),
                    goods: fen(cell(r, "买家实际支付金额")) - fen(cell(r, "买家应付邮费")),
                    counted: cell(r, "订单状态") == "交易成功",
                    file,
                }
            }
            "jd" => Line {
                order: cell(r, "订单号").to_string(),
                key: cell(r, "商品名称").to_string(),
                year: year_of(cell(r, "下单时间")),
                goods: fen(cell(r, "应付金额")) + fen(cell(r, "余额支付"))
                    - fen(cell(r, "运费金额")),
                counted: cell(r, "订单状态") == "完成",
                file,
            },
            "pinduoduo" => {
                let id = cell(r, "订单号");
                let time = cell(r, "订单成交时间");
                let year = if time.trim().is_empty() {
                    2000 + id[..2].parse::<i32>().expect("YY of the id")
                } else {
                    year_of(time)
                };
                Line {
                    order: id.to_string(),
                    key: cell(r, "商品").to_string(),
                    year,
                    goods: fen(cell(r, "用户实付金额(元)")) - fen(cell(r, "邮费(元)")),
                    counted: cell(r, "订单状态") == "已签收" && cell(r, "售后状态") != "退款成功",
                    file,
                }
            }
            "douyin" => Line {
                order: cell(r, "主订单编号").to_string(),
                key: cell(r, "子订单编号").to_string(),
                year: year_of(cell(r, "订单提交时间")),
                goods: fen(cell(r, "订单应付金额")) - fen(cell(r, "运费")),
                counted: cell(r, "订单状态") == "已完成" && cell(r, "售后状态") != "退款成功",
                file,
            },
            other => panic!("no reader for {other}"),
        })
        .collect()
}

/// What the second reader expects of one platform.
#[derive(Debug, Default)]
struct Expected {
    /// year → sales in fen.
    sales: BTreeMap<i32, i64>,
    /// year → completed orders.
    completed: BTreeMap<i32, BTreeSet<String>>,
    /// JD: order → (goods in fen, lines) of the copy that counts.
    orders: BTreeMap<String, (i64, usize)>,
    /// Inbox-relative path → data rows.
    file_rows: BTreeMap<String, usize>,
}

fn expected(inbox: &Path, platform: &str) -> Expected {
    let platforms = inbox.join("platforms");
    let paths = match platform {
        "taobao" => files(&platforms, |n| {
            n.starts_with("ExportOrderList") && n.ends_with(".csv")
        }),
        "jd" => files(&platforms, |n| n.starts_with("jd_orders_export_")),
        "pinduoduo" => files(&platforms, |n| n.starts_with("orders_export_")),
        "douyin" => files(
            &platforms.join("店铺_DD8801_安溪示例茶叶旗舰店"),
            |n| n.ends_with("_抖店订单.csv"),
        ),
        other => panic!("{other}"),
    };
    assert_eq!(paths.len(), 2, "{platform}: two exports");
    let mut out = Expected::default();
    // Order by order, the later file's copy replaces the earlier's whole.
    let mut by_order: BTreeMap<String, Vec<Line>> = BTreeMap::new();
    for (i, path) in paths.iter().enumerate() {
        let table = read_table(path);
        let rel = path
            .strip_prefix(inbox)
            .expect("under the inbox")
            .to_string_lossy()
            .into_owned();
        out.file_rows.insert(rel, table.rows.len());
        let mut seen = BTreeSet::new();
        let mut in_file: BTreeMap<String, Vec<Line>> = BTreeMap::new();
        for line in read_lines(platform, i, &table) {
            let id = (line.order.clone(), line.key.clone());
            assert!(
                seen.insert(id.clone()),
                "{platform}: {id:?} twice in a file"
            );
            in_file.entry(line.order.clone()).or_default().push(line);
        }
        by_order.extend(in_file);
    }
    for (order, lines) in by_order {
        let year = lines[0].year;
        assert!(lines.iter().all(|l| l.year == year), "{order}: one year");
        let sales = out.sales.entry(year).or_default();
        out.completed.entry(year).or_default();
        if platform == "jd" {
            // Order-level amounts: the same on every line of the copy, counted once.
            let first = &lines[0];
            assert!(
                lines
                    .iter()
                    .all(|l| l.file == first.file && l.goods == first.goods),
                "jd {order}: the lines of one copy"
            );
            out.orders.insert(order.clone(), (first.goods, lines.len()));
            if first.counted {
                *sales += first.goods;
            }
        } else {
            *sales += lines
                .iter()
                .filter(|l| l.counted)
                .map(|l| l.goods)
                .sum::<i64>();
        }
        if lines.iter().any(|l| l.counted) {
            out.completed.entry(year).or_default().insert(order);
        }
    }
    out
}

/// The totals make_fixtures.py prints from its own model of the orders (a third count):
/// (platform, year, completed orders, sales in fen).
const FIXTURE_TOTALS: &[(&str, i32, usize, i64)] = &[
    ("taobao", 2018, 10, 172_750),
    ("taobao", 2019, 24, 511_471),
    ("taobao", 2020, 5, 100_370),
    ("jd", 2018, 6, 243_500),
    ("jd", 2019, 14, 321_120),
    ("jd", 2020, 3, 50_730),
    ("pinduoduo", 2018, 9, 80_780),
    ("pinduoduo", 2019, 21, 239_612),
    ("pinduoduo", 2020, 4, 31_946),
    ("douyin", 2018, 5, 84_510),
    ("douyin", 2019, 16, 338_290),
    ("douyin", 2020, 3, 86_780),
];

#[test]
fn the_second_reader_agrees_with_the_fixture_generator() {
    let inbox = repo().join("tests/real_exports/inbox");
    let mut got = Vec::new();
    for platform in ["taobao", "jd", "pinduoduo", "douyin"] {
        let e = expected(&inbox, platform);
        for (year, sales) in &e.sales {
            got.push((platform, *year, e.completed[year].len(), *sales));
        }
    }
    assert_eq!(got, FIXTURE_TOTALS);
}

fn count(row: &serde_json::Map<String, serde_json::Value>, column: &str) -> i64 {
    match &row[column] {
        serde_json::Value::Number(n) => n.as_i64().expect("integer"),
        serde_json::Value::String(s) => s.parse().expect("integer text"),
        other => panic!("{column}: {other}"),
    }
}

fn text(row: &serde_json::Map<String, serde_json::Value>, column: &str) -> String {
    match &row[column] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `ecstat run --inbox INBOX` into `data`, with no other flag; it must succeed.
fn run_inbox(data: &Path, inbox: &Path) -> std::process::Output {
    let out = ecstat(
        data,
        &["run", "--inbox", inbox.to_str().expect("utf-8 path")],
    );
    assert!(
        out.status.success(),
        "ecstat run --inbox {}: {:?}\n{}",
        inbox.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

#[test]
fn real_back_office_exports_are_counted_as_a_second_reader_counts_them() {
    let inbox = repo().join("tests/real_exports/inbox");
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("wh");
    run_inbox(&data, &inbox);

    let platforms = ["taobao", "jd", "pinduoduo", "douyin"];
    let expected: BTreeMap<&str, Expected> = platforms
        .iter()
        .map(|&p| (p, expected(&inbox, p)))
        .collect();

    // Every fixture file is read, whole, and every row read is staged or quarantined.
    let ingest = query(
        &data,
        "SELECT source, file, error, rows_read, rows_staged, rows_quarantined, rows_skipped \
         FROM ingest_files",
    );
    for row in &ingest {
        eprintln!(
            "ingest_files: {} {} read {} staged {} quarantined {} skipped {} error {}",
            text(row, "source"),
            text(row, "file"),
            count(row, "rows_read"),
            count(row, "rows_staged"),
            count(row, "rows_quarantined"),
            count(row, "rows_skipped"),
            text(row, "error"),
        );
        assert_eq!(
            count(row, "rows_read"),
            count(row, "rows_staged") + count(row, "rows_quarantined"),
            "{row:?}"
        );
    }
    let mut problems = Vec::new();
    for (platform, e) in &expected {
        for (rel, rows) in &e.file_rows {
            let listed = ingest.iter().find(|r| {
                let f = text(r, "file");
                f == *rel || f.ends_with(rel.as_str())
            });
            match listed {
                None => problems.push(format!("{platform}: {rel} is not in ingest_files")),
                Some(r) if !text(r, "error").is_empty() => {
                    problems.push(format!("{platform}: {rel} rejected: {}", text(r, "error")))
                }
                Some(r) if count(r, "rows_read") != *rows as i64 => problems.push(format!(
                    "{platform}: {rel} rows_read {} but the file has {rows} data rows",
                    count(r, "rows_read")
                )),
                Some(_) => {}
            }
        }
    }

    // Completed orders and sales per platform and year.
    let completed = query(
        &data,
        "SELECT platform, order_year, count(DISTINCT order_id) AS n FROM stg_orders \
         WHERE status = 'completed' GROUP BY 1, 2",
    );
    let sales = query(
        &data,
        "SELECT platform, order_year, sum(net_sales_yuan) AS s FROM stg_orders GROUP BY 1, 2",
    );
    let got_completed: BTreeMap<(String, i64), i64> = completed
        .iter()
        .map(|r| ((text(r, "platform"), count(r, "order_year")), count(r, "n")))
        .collect();
    let got_sales: BTreeMap<(String, i64), i64> = sales
        .iter()
        .map(|r| {
            let s = decimal(r, "s", 2).unwrap_or(0);
            (
                (text(r, "platform"), count(r, "order_year")),
                i64::try_from(s).expect("fits"),
            )
        })
        .collect();
    let mut keys: BTreeSet<(String, i64)> = got_completed
        .keys()
        .chain(got_sales.keys())
        .cloned()
        .collect();
    for (platform, e) in &expected {
        for year in e.sales.keys() {
            keys.insert((platform.to_string(), i64::from(*year)));
        }
    }
    for key in &keys {
        let e = expected.get(key.0.as_str());
        let year = i32::try_from(key.1).expect("year");
        let want_n = e
            .and_then(|e| e.completed.get(&year))
            .map_or(0, |s| s.len() as i64);
        let want_s = e.and_then(|e| e.sales.get(&year)).copied().unwrap_or(0);
        let got_n = got_completed.get(key).copied().unwrap_or(0);
        let got_s = got_sales.get(key).copied().unwrap_or(0);
        eprintln!(
            "{} {}: completed {got_n} (expected {want_n}), sales {} (expected {})",
            key.0,
            key.1,
            yuan(got_s),
            yuan(want_s)
        );
        if got_n != want_n {
            problems.push(format!(
                "{} {}: completed orders {got_n}, expected {want_n}",
                key.0, key.1
            ));
        }
        if got_s != want_s {
            problems.push(format!(
                "{} {}: sales {}, expected {} (difference {})",
                key.0,
                key.1,
                yuan(got_s),
                yuan(want_s),
                yuan(got_s - want_s)
            ));
        }
    }

    // JD: the lines of an order carry its goods amount, allocated without changing the total.
    let jd = query(
        &data,
        "SELECT order_id, sum(goods_amount_yuan) AS goods, count(*) AS n FROM stg_orders \
         WHERE platform = 'jd' GROUP BY order_id",
    );
    let got_jd: BTreeMap<String, (i64, i64)> = jd
        .iter()
        .map(|r| {
            let g = decimal(r, "goods", 2).unwrap_or(0);
            (
                text(r, "order_id"),
                (i64::try_from(g).expect("fits"), count(r, "n")),
            )
        })
        .collect();
    for (order, (goods, lines)) in &expected["jd"].orders {
        match got_jd.get(order) {
            None => problems.push(format!("jd order {order} is not in stg_orders")),
            Some((g, n)) => {
                if g != goods {
                    problems.push(format!(
                        "jd order {order}: lines' goods sum to {}, the order's \
                         应付金额 + 余额支付 − 运费金额 is {}",
                        yuan(*g),
                        yuan(*goods)
                    ));
                }
                if *n != *lines as i64 {
                    problems.push(format!(
                        "jd order {order}: {n} lines staged, {lines} in the export"
                    ));
                }
            }
        }
    }

    // The 抖店 shop is the one its folder names.
    let shops = query(
        &data,
        "SELECT DISTINCT shop_id FROM stg_orders WHERE platform = 'douyin'",
    );
    let shops: Vec<String> = shops.iter().map(|r| text(r, "shop_id")).collect();
    if shops != ["DD8801"] {
        problems.push(format!("douyin shop_id {shops:?}, expected [\"DD8801\"]"));
    }

    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The same exports as a bureau receives them: renamed by hand so that no spec's file
/// pattern matches and the earlier export of each platform sorts AFTER the later one, with
/// a hidden file and a file of no known layout beside them. Every export is matched by its
/// header, the later export still wins (it reaches later orders), the figures are the
/// fixture's, and the two files not read are listed in the run's summary and record.
#[test]
fn renamed_exports_are_matched_by_header_and_the_later_export_wins() {
    let source = repo().join("tests/real_exports/inbox/platforms");
    let tmp = tempfile::tempdir().expect("tempdir");
    let platforms = tmp.path().join("inbox/platforms");
    let shop = platforms.join("店铺_DD8801_安溪示例茶叶旗舰店");
    std::fs::create_dir_all(&shop).expect("mkdir");
    // (fixture file, its new name): "b" names the earlier export, "a" the later.
    let renames = [
        ("ExportOrderList201912311200.csv", "淘宝b.csv"),
        ("ExportOrderList202001151030.csv", "淘宝a.csv"),
        ("jd_orders_export_20191231.csv", "京东b.csv"),
        ("jd_orders_export_20200115.csv", "京东a.csv"),
        ("orders_export_20191231 (1).csv", "拼多多b.csv"),
        ("orders_export_20200115.csv", "拼多多a.csv"),
    ];
    for (from, to) in renames {
        std::fs::copy(source.join(from), platforms.join(to)).expect("copy");
    }
    for (from, to) in [
        ("1577808000_抖店订单.csv", "b.csv"),
        ("1579017600_抖店订单.csv", "a.csv"),
    ] {
        std::fs::copy(
            source.join("店铺_DD8801_安溪示例茶叶旗舰店").join(from),
            shop.join(to),
        )
        .expect("copy");
    }
    std::fs::write(platforms.join(".~lock.淘宝a.csv#"), "x").expect("hidden");
    std::fs::write(platforms.join("说明.csv"), "序号,说明\n1,无关文件\n").expect("other");
    let data = tmp.path().join("wh");
    let out = run_inbox(&data, &tmp.path().join("inbox"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for (name, spec) in [
        ("淘宝a.csv", "taobao_order_list"),
        ("京东b.csv", "jd_pop"),
        ("拼多多a.csv", "pinduoduo_mms"),
        ("a.csv", "douyin_doudian"),
    ] {
        assert!(
            stderr.contains(&format!(
                "{name}: read with spec `{spec}`, chosen by its header"
            )),
            "{name}: {stderr}"
        );
    }
    assert!(
        stdout.contains("no source spec matches platforms/说明.csv"),
        "{stdout}"
    );
    assert!(stderr.contains(".~lock.淘宝a.csv#: hidden"), "{stderr}");
    // The 淘宝 order lists came without their detail lists: counted whole, and said.
    assert!(
        stdout.contains("WARN rec_order_lists: expression(orders_with_items = orders) (2 rows)"),
        "{stdout}"
    );

    assert_eq!(totals(&data), fixture_totals(|_| true));
}

/// (platform, year, completed orders, sales in fen) as published in `stg_orders`, for the
/// years with any.
fn totals(data: &Path) -> Vec<(String, i32, usize, i64)> {
    let sales = query(
        data,
        "SELECT platform, order_year, \
                count(DISTINCT CASE WHEN status = 'completed' THEN order_id END) AS n, \
                sum(net_sales_yuan) AS s \
         FROM stg_orders GROUP BY 1, 2 ORDER BY 1, 2",
    );
    let mut got: Vec<(String, i32, usize, i64)> = sales
        .iter()
        .map(|r| {
            (
                text(r, "platform"),
                i32::try_from(count(r, "order_year")).expect("year"),
                usize::try_from(count(r, "n")).expect("count"),
                i64::try_from(decimal(r, "s", 2).unwrap_or(0)).expect("fits"),
            )
        })
        .filter(|(_, _, n, s)| *n > 0 || *s > 0)
        .collect();
    got.sort();
    got
}

/// FIXTURE_TOTALS of the platforms `keep` keeps, sorted as [`totals`] gives them.
fn fixture_totals(keep: impl Fn(&str) -> bool) -> Vec<(String, i32, usize, i64)> {
    let mut want: Vec<(String, i32, usize, i64)> = FIXTURE_TOTALS
        .iter()
        .filter(|(p, ..)| keep(p))
        .map(|(p, y, n, s)| (p.to_string(), *y, *n, *s))
        .collect();
    want.sort();
    want
}

/// Write the CSV export `csv` as the xlsx the back office gives for the same export:
/// amounts (two decimals) and quantities as numbers, times as Excel date-times, ids and
/// everything else as text.
fn csv_as_xlsx(csv: &Path, xlsx: &Path) {
    let text = decode(csv);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let time_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let amount = |c: &str| {
        c.split_once('.').is_some_and(|(i, f)| {
            !i.is_empty() && f.len() == 2 && (i.to_owned() + f).bytes().all(|b| b.is_ascii_digit())
        })
    };
    for (r, record) in reader.records().enumerate() {
        let record = record.expect("csv record");
        for (c, cell) in record.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if r > 0
                && (amount(cell)
                    || (cell.len() <= 3
                        && cell.bytes().all(|b| b.is_ascii_digit())
                        && !cell.is_empty()))
            {
                sheet
                    .write_number(r, c, cell.parse::<f64>().expect("number"))
                    .expect("cell");
            } else if r > 0
                && let Ok(when) = rust_xlsxwriter::ExcelDateTime::parse_from_str(cell)
                && cell.len() == 19
            {
                sheet
                    .write_datetime_with_format(r, c, &when, &time_format)
                    .expect("cell");
            } else {
                sheet.write_string(r, c, cell).expect("cell");
            }
        }
    }
    workbook.save(xlsx).expect("save xlsx");
}

/// The 京东, 拼多多 and 抖店 back offices export xlsx as well as CSV: the same exports as
/// xlsx workbooks (numbers and date-times as cells of those types) give the same figures.
#[test]
fn xlsx_exports_of_the_same_orders_give_the_same_figures() {
    let source = repo().join("tests/real_exports/inbox/platforms");
    let tmp = tempfile::tempdir().expect("tempdir");
    let platforms = tmp.path().join("inbox/platforms");
    let shop = "店铺_DD8801_安溪示例茶叶旗舰店";
    std::fs::create_dir_all(platforms.join(shop)).expect("mkdir");
    let mut written = 0;
    for dir in [source.clone(), source.join(shop)] {
        for entry in std::fs::read_dir(&dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if !path.is_file() || name.starts_with("ExportOrder") {
                continue;
            }
            let to = platforms
                .join(dir.strip_prefix(&source).expect("under"))
                .join(name.replace(".csv", ".xlsx"));
            csv_as_xlsx(&path, &to);
            written += 1;
        }
    }
    assert_eq!(written, 6, "two exports each of 京东, 拼多多, 抖店");
    let data = tmp.path().join("wh");
    run_inbox(&data, &tmp.path().join("inbox"));
    let ingest = query(&data, "SELECT file, error, rows_read FROM ingest_files");
    assert_eq!(ingest.len(), 6, "{ingest:?}");
    for row in &ingest {
        assert!(text(row, "file").ends_with(".xlsx"), "{row:?}");
        assert_eq!(text(row, "error"), "", "{row:?}");
    }
    assert_eq!(totals(&data), fixture_totals(|p| p != "taobao"));
}

/// Each real layout cut down to the columns its spec requires, under names no pattern
/// matches and with no shop anywhere: every file is read (matched by its header), every
/// row staged or quarantined, and the snapshot is published. No optional column's absence
/// may make a model test fail and withhold the figures.
#[test]
fn layouts_with_only_their_required_columns_publish() {
    let source = repo().join("tests/real_exports/inbox/platforms");
    let tmp = tempfile::tempdir().expect("tempdir");
    let platforms = tmp.path().join("inbox/platforms");
    std::fs::create_dir_all(&platforms).expect("mkdir");
    for (spec, fixture) in [
        ("taobao_order_list", "ExportOrderList202001151030.csv"),
        ("jd_pop", "jd_orders_export_20200115.csv"),
        ("pinduoduo_mms", "orders_export_20200115.csv"),
        (
            "douyin_doudian",
            "店铺_DD8801_安溪示例茶叶旗舰店/1579017600_抖店订单.csv",
        ),
    ] {
        let path = repo().join(format!("pipelines/sources/{spec}.toml"));
        let ecstat_core::spec::SourceSpec::Orders(order_spec) =
            ecstat_core::spec::SourceSpec::load(&path).expect("spec loads")
        else {
            panic!("{spec} is an order spec");
        };
        let wanted: Vec<String> = order_spec
            .required_headers()
            .iter()
            .map(|c| order_spec.columns[*c][0].trim().to_string())
            .collect();
        let (headers, records) = csv_records(&source.join(fixture));
        let keep: Vec<usize> = wanted
            .iter()
            .map(|w| {
                headers
                    .iter()
                    .position(|h| h == w)
                    .unwrap_or_else(|| panic!("{spec}: {w} in {fixture}"))
            })
            .collect();
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(&wanted).expect("header");
        for record in &records {
            out.write_record(keep.iter().map(|&i| &record[i]))
                .expect("record");
        }
        let bytes = out.into_inner().expect("csv");
        std::fs::write(platforms.join(format!("{spec}_minimal.csv")), bytes).expect("write");
    }
    let data = tmp.path().join("wh");
    let out = run_inbox(&data, &tmp.path().join("inbox"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("NOT PUBLISHED"), "{stdout}");
    let ingest = query(
        &data,
        "SELECT source, file, error, rows_read, rows_staged, rows_quarantined FROM ingest_files",
    );
    assert_eq!(ingest.len(), 4, "{ingest:?}");
    for row in &ingest {
        assert_eq!(text(row, "error"), "", "{row:?}");
        assert_eq!(
            text(row, "file"),
            format!("platforms/{}_minimal.csv", text(row, "source")),
            "matched by its header to its own spec: {row:?}"
        );
        assert_eq!(
            count(row, "rows_read"),
            count(row, "rows_staged") + count(row, "rows_quarantined"),
            "{row:?}"
        );
    }
    // Published: the snapshot's indicators are there, the lines counted under each file's
    // unknown shop.
    let published = query(&data, "SELECT count(*) AS n FROM ind_results");
    assert!(count(&published[0], "n") > 0, "{published:?}");
    // 京东's goods amount is derived from 应付金额, 余额支付 and 运费金额, none of them a
    // required header: without them every line is quarantined as missing its goods
    // amount (said, not guessed), and the other three platforms' lines are staged.
    let jd = query(
        &data,
        "SELECT rule, \"column\", count(*) AS n FROM quarantine WHERE source = 'jd_pop' GROUP BY 1, 2",
    );
    let jd_read = ingest
        .iter()
        .find(|r| text(r, "source") == "jd_pop")
        .map(|r| count(r, "rows_read"))
        .expect("jd_pop read");
    assert_eq!(jd.len(), 1, "{jd:?}");
    assert_eq!(
        (
            text(&jd[0], "rule"),
            text(&jd[0], "column"),
            count(&jd[0], "n")
        ),
        (
            "missing_value".to_string(),
            "goods_amount".to_string(),
            jd_read
        )
    );
    let shops = query(
        &data,
        "SELECT DISTINCT platform, shop_id, shop_name FROM stg_orders ORDER BY 1",
    );
    assert_eq!(shops.len(), 3, "{shops:?}");
    for shop in &shops {
        assert!(text(shop, "shop_id").starts_with("unknown-"), "{shop:?}");
        assert!(text(shop, "shop_name").starts_with("未知店铺"), "{shop:?}");
    }
}

/// 淘宝's order report comes in two files: ExportOrderList (one row per order, the amounts)
/// and ExportOrderDetailList (one row per item, no amounts). Each order an order list counts
/// is split into the items its latest detail list has, the order's goods amount allocated
/// to them by list price × quantity to the fen (checked here against the order list's own
/// amount and an allocation written in this test), so item figures see items and every
/// order's total is unchanged; an item whose order no order list has is reported, not
/// counted.
#[test]
fn taobao_detail_lists_split_orders_into_their_items_to_the_fen() {
    let inbox = repo().join("tests/real_exports/inbox");
    let platforms = inbox.join("platforms");
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("wh");
    let out = run_inbox(&data, &inbox);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("WARN rec_order_detail: expression(has_order) (1 rows)")
            && stdout.contains("200114999999999901"),
        "the item of no order list is reported: {stdout}"
    );
    assert!(
        !stdout.contains("WARN rec_order_lists"),
        "every order of the order lists has its items: {stdout}"
    );

    // The second reader: each order as its latest order list has it (goods = 买家实际支付
    // 金额 − 买家应付邮费), its items as the latest detail list that has it lists them.
    let lists = files(&platforms, |n| n.starts_with("ExportOrderList"));
    let details = files(&platforms, |n| n.starts_with("ExportOrderDetailList"));
    assert_eq!((lists.len(), details.len()), (2, 2));
    let mut orders: BTreeMap<String, Line> = BTreeMap::new();
    for (i, path) in lists.iter().enumerate() {
        for line in read_lines("taobao", i, &read_table(path)) {
            orders.insert(line.order.clone(), line);
        }
    }
    let mut items: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for path in &details {
        let mut in_file: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
        for r in &read_table(path).rows {
            let id = cell(r, "订单编号");
            let id = id
                .strip_prefix("=\"")
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(id);
            let quantity: i64 = cell(r, "购买数量").parse().expect("quantity");
            in_file
                .entry(id.to_string())
                .or_default()
                .push((cell(r, "标题").to_string(), fen(cell(r, "价格")) * quantity));
        }
        items.extend(in_file);
    }

    let lines = query(
        &data,
        "SELECT order_id, sub_order_id, item_title, goods_amount_yuan, status \
         FROM stg_orders WHERE platform = 'taobao' ORDER BY order_id, sub_order_id",
    );
    let mut got: BTreeMap<String, Vec<(String, String, i64)>> = BTreeMap::new();
    for l in &lines {
        got.entry(text(l, "order_id")).or_default().push((
            text(l, "sub_order_id"),
            text(l, "item_title"),
            i64::try_from(decimal(l, "goods_amount_yuan", 2).expect("goods")).expect("fits"),
        ));
    }
    assert!(
        !got.contains_key("200114999999999901"),
        "an item without its order is not counted"
    );
    let mut split = 0;
    for (order, line) in orders.iter().filter(|(_, l)| l.counted) {
        let want_items = &items[order];
        let got_lines = &got[order];
        let titles: Vec<&str> = got_lines.iter().map(|(_, t, _)| t.as_str()).collect();
        let want_titles: Vec<&str> = want_items.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(titles, want_titles, "{order}: one line per item");
        let ids: Vec<String> = (1..=want_items.len())
            .map(|n| format!("{order}#{n}"))
            .collect();
        assert_eq!(
            got_lines
                .iter()
                .map(|(id, ..)| id.clone())
                .collect::<Vec<_>>(),
            ids,
            "{order}"
        );
        let shares: Vec<i64> = got_lines.iter().map(|(_, _, g)| *g).collect();
        assert_eq!(
            shares.iter().sum::<i64>(),
            line.goods,
            "{order}: the items add up to the order"
        );
        let weights: Vec<i64> = want_items.iter().map(|(_, w)| *w).collect();
        assert_eq!(
            shares,
            crate::largest_remainder(line.goods, &weights),
            "{order}: shares"
        );
        if want_items.len() > 1 {
            split += 1;
        }
    }
    assert!(
        split >= 3,
        "the fixture has orders of several items: {split}"
    );
}

/// The edges of splitting 淘宝 orders into their items: a refund of nearly the whole order
/// is split by the items' goods shares (no item refunded more than its goods, the items'
/// sales add up to the order's); a detail list with a rejected row splits nothing; a line
/// of another 淘宝 layout that has no sub-order id is never taken for an order-list row.
#[test]
fn splitting_into_items_never_moves_money_between_orders_or_items() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let shop = tmp.path().join("inbox/platforms/店铺_TB9_测试店");
    std::fs::create_dir_all(&shop).expect("mkdir");
    let write = |name: &str, text: &str| std::fs::write(shop.join(name), text).expect("write");
    write(
        "ExportOrderList1.csv",
        "订单编号,买家应付邮费,买家实际支付金额,订单状态,订单创建时间,宝贝标题,退款金额\n\
         A1,0.00,74.44,交易成功,2019-05-01 10:00:00,三件,74.43\n\
         A2,5.00,105.00,交易成功,2019-05-02 10:00:00,两件,0.00\n",
    );
    write(
        "ExportOrderDetailList1.csv",
        "订单编号,标题,价格,购买数量\nA1,茶一,19.90,1\nA1,茶二,29.90,1\nA1,茶三,29.90,1\nA3,茶,10.00,1\n",
    );
    write(
        "ExportOrderDetailList2.csv",
        "订单编号,标题,价格,购买数量\nA2,壶,60.00,1\nA2,杯,abc,1\n",
    );
    write(
        "淘宝订单导出_2019.csv",
        "订单编号,子订单编号,店铺ID,店铺名称,宝贝标题,类目,购买数量,商品单价,买家实付金额,邮费,退款金额,订单状态,订单创建时间,订单付款时间,发货地\n\
         A3,,TB9,测试店,茶,茶叶,1,10.00,10.00,0.00,0.00,交易成功,2019-05-03 10:00:00,,福建省泉州市安溪县感德镇\n",
    );
    let data = tmp.path().join("wh");
    let out = run_inbox(&data, &tmp.path().join("inbox"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines = query(
        &data,
        "SELECT order_id, sub_order_id, goods_amount_yuan, refund_yuan, net_sales_yuan \
         FROM stg_orders ORDER BY order_id, sub_order_id",
    );
    let fen = |r: &serde_json::Map<String, serde_json::Value>, c: &str| {
        i64::try_from(decimal(r, c, 2).expect(c)).expect("fits")
    };
    let of = |order: &str| -> Vec<(String, i64, i64, i64)> {
        lines
            .iter()
            .filter(|r| text(r, "order_id") == order)
            .map(|r| {
                (
                    text(r, "sub_order_id"),
                    fen(r, "goods_amount_yuan"),
                    fen(r, "refund_yuan"),
                    fen(r, "net_sales_yuan"),
                )
            })
            .collect()
    };
    // A1: goods 74.44 over 19.90 : 29.90 : 29.90, the refund 74.43 over those goods shares.
    let goods = crate::largest_remainder(7444, &[1990, 2990, 2990]);
    let refund = crate::largest_remainder(7443, &goods);
    let a1 = of("A1");
    assert_eq!(
        a1.iter().map(|l| (l.1, l.2)).collect::<Vec<_>>(),
        goods
            .iter()
            .copied()
            .zip(refund.iter().copied())
            .collect::<Vec<_>>()
    );
    assert!(a1.iter().all(|l| l.2 <= l.1), "{a1:?}");
    assert_eq!(
        a1.iter().map(|l| l.3).sum::<i64>(),
        1,
        "the order's 0.01 net"
    );
    // A2: its detail list has a rejected row, so it stays whole; and it is said.
    assert_eq!(of("A2"), vec![(String::new(), 10_000, 0, 10_000)]);
    assert!(
        stdout.contains("WARN rec_order_lists: expression(orders_with_items = orders) (1 rows)"),
        "{stdout}"
    );
    // A3 is a line of the 淘宝 sub-order layout without a sub-order id: not split, and its
    // detail item is reported as having no order list.
    assert_eq!(of("A3"), vec![(String::new(), 1_000, 0, 1_000)]);
    assert!(
        stdout.contains("WARN rec_order_detail: expression(has_order) (1 rows)"),
        "{stdout}"
    );
}
