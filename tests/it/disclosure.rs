//! Disclosure control on the sample (统计法): the published breakdown cells of the retail
//! indicators against a second computation of their contributors from the fact table and
//! the shop → enterprise attribution, the secondary-suppression invariant on every
//! breakdown, and the exports showing no suppressed figure.

use std::collections::BTreeMap;

use crate::{decimal, query, sample_warehouse};

#[test]
fn suppressed_cells_are_the_ones_few_or_dominant_enterprises_make() {
    let data = sample_warehouse();
    // Contributions per (year, township, enterprise), in cents, computed here.
    let mut cells: BTreeMap<(String, String), BTreeMap<String, i128>> = BTreeMap::new();
    for r in query(
        data,
        "SELECT f.order_month, f.township_code, f.net_sales_yuan, \
         coalesce(s.enterprise_key, f.platform || ':' || f.shop_id) AS enterprise \
         FROM fct_online_retail_monthly f LEFT JOIN dim_shop s ON s.platform = f.platform AND s.shop_id = f.shop_id",
    ) {
        let year = r["order_month"].as_str().unwrap_or("")[..4].to_string();
        let township = r["township_code"].as_str().unwrap_or("").to_string();
        let who = r["enterprise"].as_str().unwrap_or("").to_string();
        *cells
            .entry((year, township))
            .or_default()
            .entry(who)
            .or_default() += decimal(&r, "net_sales_yuan", 2).unwrap_or(0);
    }
    let published: BTreeMap<(String, String), (Option<String>, Option<i64>)> = query(
        data,
        "SELECT period, member, disclosure, contributors FROM ind_results WHERE indicator_code = 'rural_online_retail' \
         AND measure = 'value' AND period_type = 'year' AND dimension = 'township'",
    )
    .into_iter()
    .map(|r| {
        (
            (r["period"].as_str().unwrap_or("").to_string(), r["member"].as_str().unwrap_or("").to_string()),
            (r["disclosure"].as_str().map(str::to_string), r["contributors"].as_i64()),
        )
    })
    .collect();
    let mut checked = 0;
    let mut suppressed = 0;
    for (key, contributions) in &cells {
        let mut values: Vec<i128> = contributions
            .values()
            .copied()
            .filter(|v| *v != 0)
            .collect();
        values.sort_unstable_by(|a, b| b.cmp(a));
        let n = values.len();
        let total: i128 = values.iter().sum();
        let (x1, x2) = (
            values.first().copied().unwrap_or(0),
            values.get(1).copied().unwrap_or(0),
        );
        let (reason, contributors) = published
            .get(key)
            .unwrap_or_else(|| panic!("no published cell {key:?}"));
        assert_eq!(*contributors, Some(n as i64), "{key:?}");
        // p% rule with p = 10: (total − x1 − x2) < 10% of x1, in cents × 10.
        let expected = if n > 0 && n < 3 {
            Some("n<3")
        } else if n > 0 && x1 > 0 && (total - x1 - x2) * 10 < x1 {
            Some("p%")
        } else {
            None
        };
        match expected {
            Some(r) => assert_eq!(reason.as_deref(), Some(r), "{key:?}: {n} contributors"),
            None => assert!(
                reason.is_none() || reason.as_deref() == Some("secondary"),
                "{key:?} needs no primary suppression, got {reason:?}"
            ),
        }
        suppressed += usize::from(reason.is_some());
        checked += 1;
    }
    assert!(
        checked > 20 && suppressed > 0,
        "{checked} cells, {suppressed} suppressed"
    );
}

#[test]
fn no_breakdown_leaves_a_suppressed_cell_recoverable_from_its_total() {
    let data = sample_warehouse();
    // Per (indicator, period type, period, dimension): members suppressed, and whether the
    // county total of the same period is published.
    let mut groups: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    let mut county_published: BTreeMap<(String, String, String), bool> = BTreeMap::new();
    for r in query(
        data,
        "SELECT indicator_code, period_type, period, dimension, disclosure FROM ind_results \
         WHERE contributors IS NOT NULL AND measure = 'value'",
    ) {
        let s = |c: &str| r[c].as_str().unwrap_or("").to_string();
        let hidden = !r["disclosure"].is_null();
        if s("dimension") == "county" {
            county_published.insert(
                (s("indicator_code"), s("period_type"), s("period")),
                !hidden,
            );
        } else {
            *groups
                .entry((
                    s("indicator_code"),
                    s("period_type"),
                    s("period"),
                    s("dimension"),
                ))
                .or_default() += usize::from(hidden);
        }
    }
    assert!(!groups.is_empty());
    for ((ind, pt, p, dim), hidden) in &groups {
        if county_published[&(ind.clone(), pt.clone(), p.clone())] {
            assert_ne!(
                *hidden, 1,
                "{ind} {pt} {p} by {dim}: one suppressed cell next to a published total"
            );
        }
    }
}

#[test]
fn exports_show_no_suppressed_figure() {
    let data = sample_warehouse();
    let text = std::fs::read_to_string(data.join("exports/indicators.json")).expect("json export");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("json");
    let mut hidden = 0;
    for row in &rows {
        if !row["disclosure"].is_null() {
            hidden += 1;
            for column in ["value", "base_value", "attainment_pct"] {
                assert!(
                    row[column].is_null(),
                    "{column} of a suppressed cell is published: {row}"
                );
            }
        }
    }
    assert!(hidden > 0, "the sample has suppressed cells");
    // The warehouse keeps the figures for the bureau's own analysts.
    let kept = query(
        data,
        "SELECT count(*) AS n FROM ind_results WHERE disclosure IS NOT NULL AND value IS NOT NULL",
    );
    assert!(kept[0]["n"].as_i64().unwrap_or(0) > 0);
}
