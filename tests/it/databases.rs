//! The three databases on the bundled sample, against a second computation done here in
//! plain Rust from the staged department tables and the order lines: how many operating
//! entities the merge rules give, which of them changed between the two registers, how
//! many agricultural entities there are, and which enterprises are the top sellers of each
//! year (the typical-enterprise rule `top_sales`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::{decimal, query, sample_warehouse};

type Row = serde_json::Map<String, serde_json::Value>;

fn text(row: &Row, column: &str) -> Option<String> {
    row.get(column)
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// The merge rules of the enterprise database, written again: a mention's key is its credit
/// code; else the one registered code with the same name in the same township; else
/// `N:<township>:<name>`. Returns (key of every mention, shop → key by list precedence).
fn keys(data: &std::path::Path) -> (BTreeSet<String>, HashMap<(String, String), String>) {
    let registers = query(
        data,
        "SELECT uscc, entity_name, township_code FROM registrations",
    );
    let mut by_name: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
    let mut entities = BTreeSet::new();
    for r in &registers {
        let code = text(r, "uscc").expect("registered rows have a code");
        by_name
            .entry((
                text(r, "entity_name").unwrap_or_default(),
                text(r, "township_code").unwrap_or_default(),
            ))
            .or_default()
            .insert(code.clone());
        entities.insert(code);
    }
    let key_of = |code: Option<String>, name: String, township: Option<String>| -> String {
        if let Some(code) = code {
            return code;
        }
        let township = township.unwrap_or_else(|| "-".into());
        match by_name.get(&(name.clone(), township.clone())) {
            Some(codes) if codes.len() == 1 => codes.iter().next().cloned().unwrap_or_default(),
            _ => format!("N:{township}:{name}"),
        }
    };
    let platforms: HashMap<String, String> =
        query(data, "SELECT platform, name_zh FROM ref_platforms")
            .iter()
            .map(|r| {
                (
                    text(r, "name_zh").unwrap_or_default(),
                    text(r, "platform").unwrap_or_default(),
                )
            })
            .collect();
    let mut shops: HashMap<(String, String), String> = HashMap::new();
    // The operator list first: a shop it names keeps that entity.
    for r in query(
        data,
        "SELECT uscc, operator_name, township_code, platform_name, shop_id FROM operators",
    ) {
        let key = key_of(
            text(&r, "uscc"),
            text(&r, "operator_name").unwrap_or_default(),
            text(&r, "township_code"),
        );
        entities.insert(key.clone());
        if let (Some(p), Some(shop)) = (
            text(&r, "platform_name").and_then(|n| platforms.get(&n).cloned()),
            text(&r, "shop_id"),
        ) {
            shops.entry((p, shop)).or_insert(key);
        }
    }
    for r in query(
        data,
        "SELECT uscc, enterprise_name, township_code, platform, shop_id FROM ref_shops",
    ) {
        let Some(name) = text(&r, "enterprise_name") else {
            continue;
        };
        let key = key_of(text(&r, "uscc"), name, text(&r, "township_code"));
        entities.insert(key.clone());
        shops
            .entry((
                text(&r, "platform").unwrap_or_default(),
                text(&r, "shop_id").unwrap_or_default(),
            ))
            .or_insert(key);
    }
    // A shop with orders that no list names is its own entity.
    for r in query(data, "SELECT DISTINCT platform, shop_id FROM stg_orders") {
        let shop = (
            text(&r, "platform").unwrap_or_default(),
            text(&r, "shop_id").unwrap_or_default(),
        );
        let key = shops
            .entry(shop.clone())
            .or_insert_with(|| format!("S:{}:{}", shop.0, shop.1))
            .clone();
        entities.insert(key);
    }
    (entities, shops)
}

#[test]
fn the_enterprise_database_has_the_entities_the_merge_rules_give() {
    let data = sample_warehouse();
    let (expected, _) = keys(data);
    let got: BTreeSet<String> = query(data, "SELECT DISTINCT enterprise_key FROM dim_enterprise")
        .iter()
        .filter_map(|r| text(r, "enterprise_key"))
        .collect();
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
    let current = query(
        data,
        "SELECT count(*) AS n FROM dim_enterprise WHERE is_current",
    );
    assert_eq!(current[0]["n"].as_u64(), Some(expected.len() as u64));

    // History: a code whose name, township or status differs between the two registers has
    // exactly two versions; every other registered code one.
    let rows = query(
        data,
        "SELECT uscc, as_of, entity_name, township_code, status FROM registrations ORDER BY uscc, as_of",
    );
    let mut states: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for r in &rows {
        states
            .entry(text(r, "uscc").unwrap_or_default())
            .or_default()
            .push((
                text(r, "entity_name").unwrap_or_default(),
                text(r, "township_code").unwrap_or_default(),
                text(r, "status").unwrap_or_default(),
            ));
    }
    let changed: BTreeSet<String> = states
        .iter()
        .filter(|(_, s)| s.windows(2).any(|w| w[0] != w[1]))
        .map(|(code, _)| code.clone())
        .collect();
    assert!(
        !changed.is_empty(),
        "the sample's 2019 register changes some entities"
    );
    let versioned: BTreeSet<String> = query(
        data,
        "SELECT enterprise_key FROM dim_enterprise WHERE version = 2",
    )
    .iter()
    .filter_map(|r| text(r, "enterprise_key"))
    .collect();
    assert_eq!(versioned, changed);
}

#[test]
fn the_agricultural_entity_database_has_every_listed_entity_once() {
    let data = sample_warehouse();
    let expected: BTreeSet<String> = query(
        data,
        "SELECT uscc, entity_name, township_code FROM agri_entities",
    )
    .iter()
    .map(|r| {
        text(r, "uscc").unwrap_or_else(|| {
            format!(
                "N:{}:{}",
                text(r, "township_code").unwrap_or_default(),
                text(r, "entity_name").unwrap_or_default()
            )
        })
    })
    .collect();
    let n = query(
        data,
        "SELECT count(*) AS n, count(DISTINCT agri_entity_key) AS k FROM dim_agri_entity",
    );
    assert_eq!(n[0]["n"].as_u64(), Some(expected.len() as u64));
    assert_eq!(n[0]["k"].as_u64(), Some(expected.len() as u64));
}

#[test]
fn the_top_sellers_of_each_year_are_typical_enterprises() {
    let data = sample_warehouse();
    let (_, shops) = keys(data);
    // 网络零售额 per shop and year, from the order lines.
    let mut sales: BTreeMap<(i64, String), i128> = BTreeMap::new();
    for r in query(
        data,
        "SELECT platform, shop_id, order_year, sum(net_sales_yuan) AS net FROM stg_orders \
         GROUP BY platform, shop_id, order_year",
    ) {
        let shop = (
            text(&r, "platform").unwrap_or_default(),
            text(&r, "shop_id").unwrap_or_default(),
        );
        let key = shops.get(&shop).cloned().expect("every shop has an entity");
        let year = r["order_year"].as_i64().expect("year");
        *sales.entry((year, key)).or_default() += decimal(&r, "net", 2).unwrap_or(0);
    }
    let n: usize = query(
        data,
        "SELECT n FROM cfg_typical_rules WHERE rule_code = 'top_sales'",
    )[0]["n"]
        .as_u64()
        .expect("n") as usize;
    // rank() semantics: an entity is in when fewer than n others sold more.
    let mut expected = BTreeSet::new();
    let years: BTreeSet<i64> = sales.keys().map(|(y, _)| *y).collect();
    for year in years {
        let of_year: Vec<(&String, i128)> = sales
            .iter()
            .filter(|((y, _), _)| *y == year)
            .map(|((_, k), v)| (k, *v))
            .collect();
        for (key, value) in &of_year {
            let above = of_year.iter().filter(|(_, v)| v > value).count();
            if above < n {
                expected.insert((year, (*key).clone()));
            }
        }
    }
    // high_growth: grew by at least the threshold over a previous year of at least the base
    // (the percentage is rounded half-up to 2 places, as published).
    let rule = &query(
        data,
        "SELECT threshold, min_base_yuan FROM cfg_typical_rules WHERE rule_code = 'high_growth'",
    )[0];
    let threshold = decimal(rule, "threshold", 2).expect("threshold");
    let base = decimal(rule, "min_base_yuan", 2).expect("base");
    let mut growing = BTreeSet::new();
    for ((year, key), value) in &sales {
        let Some(prior) = sales.get(&(year - 1, key.clone())) else {
            continue;
        };
        if *prior < base || *prior <= 0 {
            continue;
        }
        // hundredths of a percent, half-up
        let scaled = (value - prior) * 10_000;
        let pct = (2 * scaled + prior) / (2 * prior);
        if pct >= threshold {
            growing.insert((*year, key.clone()));
        }
    }
    let selected_by = |rule: &str| -> BTreeSet<(i64, String)> {
        query(
            data,
            &format!(
                "SELECT year, enterprise_key FROM typical_enterprise WHERE strpos(rule_codes, '{rule}') > 0"
            ),
        )
        .iter()
        .map(|r| (r["year"].as_i64().expect("year"), text(r, "enterprise_key").unwrap_or_default()))
        .collect()
    };
    assert!(!growing.is_empty(), "the sample has fast-growing sellers");
    assert_eq!(selected_by("high_growth"), growing);
    let got: BTreeSet<(i64, String)> = query(
        data,
        "SELECT year, enterprise_key FROM typical_enterprise WHERE strpos(rule_codes, 'top_sales') > 0",
    )
    .iter()
    .map(|r| (r["year"].as_i64().expect("year"), text(r, "enterprise_key").unwrap_or_default()))
    .collect();
    assert_eq!(got, expected);
    let total = query(data, "SELECT count(*) AS n FROM typical_enterprise");
    assert!(total[0]["n"].as_u64().unwrap_or(0) as usize >= expected.len());
}

/// When the orders begin in mid-year, that year is a part year: the next year's growth is
/// not measured against it (it would look like growth of 100% or more), so no enterprise
/// is selected as high-growth for it.
#[test]
fn growth_is_never_measured_against_a_part_year() {
    let tmp = tempfile::tempdir().expect("tmp");
    let inbox = tmp.path().join("inbox/platforms");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let sample = crate::repo().join("sample_data/inbox/platforms");
    // 2018 from July on, and all of 2019.
    let bytes = std::fs::read(sample.join("淘宝订单导出_2018.csv")).expect("2018");
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    let second_half: String = text
        .lines()
        .enumerate()
        .filter(|(i, line)| *i == 0 || !(1..=6).any(|m| line.contains(&format!(",2018-{m:02}-"))))
        .map(|(_, line)| format!("{line}\n"))
        .collect();
    assert!(second_half.contains(",2018-07-") && !second_half.contains(",2018-03-"));
    std::fs::write(inbox.join("淘宝订单导出_2018.csv"), second_half).expect("write");
    std::fs::copy(
        sample.join("淘宝订单导出_2019.csv"),
        inbox.join("淘宝订单导出_2019.csv"),
    )
    .expect("copy");
    let data = tmp.path().join("wh");
    let out = crate::ecstat(
        &data,
        &[
            "run",
            "--inbox",
            tmp.path().join("inbox").to_str().expect("utf-8 path"),
            "--no-export",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 2019 is judged (a complete year) …
    let judged = query(
        &data,
        "SELECT count(*) AS n FROM typical_enterprise WHERE year = 2019",
    );
    assert!(judged[0]["n"].as_i64().unwrap_or(0) > 0, "{judged:?}");
    // … but with no growth over the part year 2018, and no high-growth selection.
    let growth = query(
        &data,
        "SELECT count(*) AS n FROM typical_enterprise \
         WHERE year = 2019 AND (growth_pct IS NOT NULL OR strpos(rule_codes, 'high_growth') > 0)",
    );
    assert_eq!(growth[0]["n"].as_i64(), Some(0), "{growth:?}");
}
