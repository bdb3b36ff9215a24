//! The programme's other targets on the sample (plan §三): new e-commerce entities and
//! training person-times over the programme, township stations, village service points and
//! administrative-village coverage at the end of 2019 — each published value against a
//! second computation here, from the staged department tables (or, for new entities, from
//! the enterprise database's first-seen dates).

use std::collections::{BTreeMap, BTreeSet};

use crate::{decimal, query, repo, sample_warehouse};

/// The published county value (ten-thousandths) and status of an indicator measure.
fn published(data: &std::path::Path, code: &str, measure: &str, year: &str) -> (i128, String) {
    let rows = query(
        data,
        &format!(
            "SELECT value, status FROM ind_results WHERE indicator_code = '{code}' AND measure = '{measure}' \
             AND period_type = 'year' AND period = '{year}' AND dimension = 'county'"
        ),
    );
    assert_eq!(rows.len(), 1, "{code} {measure} {year}");
    (
        decimal(&rows[0], "value", 4).expect("value"),
        rows[0]["status"].as_str().unwrap_or("").to_string(),
    )
}

const Y: i128 = 10_000;

#[test]
fn programme_targets_match_a_second_computation() {
    let data = sample_warehouse();

    // Service network at the end of 2019, from the register itself.
    let points = query(
        data,
        "SELECT level, status, village_code, CAST(opened_on AS VARCHAR) AS opened FROM service_points",
    );
    let operating = |level: &str| {
        points
            .iter()
            .filter(|p| {
                p["level"].as_str() == Some(level)
                    && p["status"].as_str() == Some("运营")
                    && p["opened"].as_str().is_some_and(|d| d <= "2019-12-31")
            })
            .collect::<Vec<_>>()
    };
    let stations = operating("乡镇服务站").len() as i128;
    let village_points = operating("村级服务点");
    assert_eq!(
        published(data, "township_stations", "value", "2019").0,
        stations * Y
    );
    assert_eq!(
        published(data, "village_service_points", "value", "2019").0,
        village_points.len() as i128 * Y
    );
    let admin: BTreeSet<String> = query(
        data,
        "SELECT code FROM ref_divisions WHERE level = 'village' AND name LIKE '%村委会'",
    )
    .iter()
    .filter_map(|r| r["code"].as_str().map(str::to_string))
    .collect();
    let covered: BTreeSet<&str> = village_points
        .iter()
        .filter_map(|p| p["village_code"].as_str())
        .filter(|v| admin.contains(*v))
        .collect();
    // share in % to 4 places, half-up: covered × 100 ÷ admin
    let (num, den) = (covered.len() as i128 * 100 * Y, admin.len() as i128);
    let share = (2 * num + den) / (2 * den);
    let (value, status) = published(data, "admin_village_coverage", "value", "2019");
    assert_eq!(value, share);
    assert_eq!(
        status,
        if share >= 50 * Y {
            "达标"
        } else {
            "未达标"
        }
    );

    // Training person-times over the programme (2018–2019), from the ledgers.
    let mut by_year: BTreeMap<String, i128> = BTreeMap::new();
    for r in query(
        data,
        "SELECT CAST(session_date AS VARCHAR) AS d, person_times FROM training_sessions",
    ) {
        let year = r["d"].as_str().unwrap_or("")[..4].to_string();
        *by_year.entry(year).or_default() += i128::from(r["person_times"].as_i64().unwrap_or(0));
    }
    let programme: i128 = by_year
        .iter()
        .filter(|(y, _)| y.as_str() >= "2018" && y.as_str() <= "2019")
        .map(|(_, v)| v)
        .sum();
    let (value, status) = published(data, "training_person_times", "programme_total", "2019");
    assert_eq!(value, programme * Y);
    assert_eq!(
        status,
        if programme >= 5000 {
            "达标"
        } else {
            "未达标"
        }
    );

    // New entities over the programme: entities first seen in 2018 or 2019.
    let new: i128 = query(
        data,
        "SELECT count(*) AS n FROM dim_enterprise WHERE is_current \
         AND first_seen_on >= DATE '2018-01-01' AND first_seen_on <= DATE '2019-12-31'",
    )[0]["n"]
        .as_i64()
        .map(i128::from)
        .expect("n");
    let (value, status) = published(data, "new_ecommerce_entities", "programme_total", "2019");
    assert_eq!(value, new * Y);
    assert_eq!(status, if new >= 2000 { "达标" } else { "未达标" });

    // Parcels sent in 2019 and the enterprise database's size at the end of 2019.
    let sent: i128 = query(data, "SELECT month, parcels_out FROM parcels")
        .iter()
        .filter(|r| r["month"].as_str().is_some_and(|m| m.starts_with("2019")))
        .map(|r| i128::from(r["parcels_out"].as_i64().unwrap_or(0)))
        .sum();
    assert_eq!(published(data, "parcels_sent", "value", "2019").0, sent * Y);
    let size: i128 = query(
        data,
        "SELECT count(*) AS n FROM dim_enterprise WHERE is_current AND first_seen_on <= DATE '2019-12-31'",
    )[0]["n"]
        .as_i64()
        .map(i128::from)
        .expect("n");
    assert_eq!(
        published(data, "enterprise_database_size", "value", "2019").0,
        size * Y
    );

    // County centres (plan §二(一)): 1 centre, 3 branch centres, 1–2 warehouse centres.
    for (code, level, judged) in [
        ("county_service_centre", "县级公共服务中心", (1, None)),
        ("branch_service_centres", "县级分中心", (3, None)),
        ("warehouse_centres", "县级仓储配送中心", (1, Some(2))),
    ] {
        let n = operating(level).len() as i128;
        let (value, status) = published(data, code, "value", "2019");
        assert_eq!(value, n * Y, "{code}");
        let met = n >= judged.0 && judged.1.is_none_or(|upper| n <= upper);
        assert_eq!(status, if met { "达标" } else { "未达标" }, "{code}");
    }
}

/// Funds and logistics at the end of 2019, each from the staged rows here.
#[test]
fn funds_and_logistics_match_a_second_computation() {
    let data = sample_warehouse();
    let cents =
        |r: &serde_json::Map<String, serde_json::Value>, c: &str| decimal(r, c, 2).unwrap_or(0);
    // Disbursement rate = paid by 2019-12-31 ÷ budget, in % to 4 places, half-up.
    let budget: i128 = query(data, "SELECT budget_yuan FROM fund_budget")
        .iter()
        .map(|r| cents(r, "budget_yuan"))
        .sum();
    let payments = query(
        data,
        "SELECT f.line_code, CAST(f.paid_on AS VARCHAR) AS paid, f.amount_yuan, f.for_products_online, \
         b.line_code IS NOT NULL AS budgeted FROM fund_disbursements f LEFT JOIN fund_budget b ON b.line_code = f.line_code",
    );
    let in_2019 = |r: &&serde_json::Map<String, serde_json::Value>| {
        r["paid"].as_str().is_some_and(|d| d <= "2019-12-31")
    };
    let paid_to_budget_lines: i128 = payments
        .iter()
        .filter(in_2019)
        .filter(|r| r["budgeted"].as_bool() == Some(true))
        .map(|r| cents(r, "amount_yuan"))
        .sum();
    let half_up = |num: i128, den: i128| (2 * num + den) / (2 * den);
    assert_eq!(
        published(data, "fund_disbursement_rate", "value", "2019").0,
        half_up(paid_to_budget_lines * 100 * Y, budget)
    );
    // Products-online share = flagged ÷ all payments (budgeted or not).
    let all: i128 = payments
        .iter()
        .filter(in_2019)
        .map(|r| cents(r, "amount_yuan"))
        .sum();
    let flagged: i128 = payments
        .iter()
        .filter(in_2019)
        .filter(|r| r["for_products_online"].as_bool() == Some(true))
        .map(|r| cents(r, "amount_yuan"))
        .sum();
    assert_eq!(
        published(data, "products_online_fund_share", "value", "2019").0,
        half_up(flagged * 100 * Y, all)
    );
    // Disbursed over the programme = every payment of 2018–2019.
    let programme: i128 = payments
        .iter()
        .filter(|r| {
            r["paid"]
                .as_str()
                .is_some_and(|d| ("2018-01-01"..="2019-12-31").contains(&d))
        })
        .map(|r| cents(r, "amount_yuan"))
        .sum();
    assert_eq!(
        published(data, "fund_disbursed", "programme_total", "2019").0,
        programme * 100
    );

    // Cost per parcel: Σ(cost × sent) ÷ Σ sent per year, to 4 places; judged on falling.
    let mut per_year: BTreeMap<String, (i128, i128)> = BTreeMap::new();
    for r in query(
        data,
        "SELECT month, parcels_out, cost_per_parcel_yuan FROM parcels WHERE cost_per_parcel_yuan IS NOT NULL",
    ) {
        let year = r["month"].as_str().unwrap_or("")[..4].to_string();
        let e = per_year.entry(year).or_default();
        let out = i128::from(r["parcels_out"].as_i64().unwrap_or(0));
        e.0 += cents(&r, "cost_per_parcel_yuan") * out;
        e.1 += out;
    }
    let cost = |y: &str| {
        let (c, n) = per_year[y];
        half_up(c * 100, n) // cents × 100 ÷ parcels = ten-thousandths of a yuan
    };
    assert_eq!(
        published(data, "cost_per_parcel", "value", "2019").0,
        cost("2019")
    );
    let (growth, status) = published(data, "cost_per_parcel", "yoy_pct", "2019");
    let (c19, c18) = (cost("2019"), cost("2018"));
    // The growth works on the 4-place yearly values; rounded half away from zero.
    let q = (c19 - c18) * 100 * Y * 2 / c18;
    assert_eq!(growth, (q + q.signum()) / 2);
    assert_eq!(status, if c19 < c18 { "达标" } else { "未达标" });

    // Townships with express delivery: a township whose latest survey finds any village served.
    let served: BTreeSet<String> = query(
        data,
        "SELECT township_code FROM courier_coverage WHERE has_delivery",
    )
    .iter()
    .filter_map(|r| r["township_code"].as_str().map(str::to_string))
    .collect();
    assert_eq!(
        published(data, "townships_with_delivery", "value", "2019").0,
        served.len() as i128 * Y
    );
}

/// Each indicator is computed in steps, each step's rows kept for the next (as one WITH
/// statement, DataFusion plans the monthly values again at each of a dozen reads, and
/// planning cost more than running). The same SQL as one statement gives the published rows
/// and contributor counts: for flows with breakdowns, disclosure control and a growth target,
/// a programme total, a stock on the reporting calendar, a share and a per-unit ratio.
#[test]
fn indicator_steps_give_what_one_statement_gives() {
    let data = sample_warehouse();
    let catalogue = ecstat_indicators::Catalogue::load(&repo().join("pipelines/indicators.toml"))
        .expect("catalogue");
    let project = ecstat_pipeline::project::Project::resolve(&repo(), &Default::default())
        .expect("the sample's project file");
    let programme = project.programme().expect("its programme");
    let columns = ecstat_indicators::RESULT_COLUMNS.join(", ");
    let order = "ORDER BY measure, period_type, period, dimension, member";
    let cell_key = |r: &serde_json::Map<String, serde_json::Value>| {
        let text = |k: &str| r[k].as_str().expect(k).to_string();
        (
            text("period_type"),
            text("period"),
            text("dimension"),
            text("member"),
        )
    };
    for code in [
        "rural_online_retail",
        "new_ecommerce_entities",
        "active_online_shops",
        "admin_village_coverage",
        "cost_per_parcel",
    ] {
        let ind = catalogue.get(code).expect("in the catalogue");
        let base = ecstat_indicators::base_sql(ind, &[]);
        let given = [("base", base.as_str())];
        let one = ecstat_indicators::indicator_sql(programme, ind, &[]).as_one_query(&given);
        let expected = query(data, &format!("SELECT * FROM ({one}) {order}"));
        let published = query(
            data,
            &format!("SELECT {columns} FROM ind_results WHERE indicator_code = '{code}' {order}"),
        );
        assert!(!expected.is_empty(), "{code} has rows on the sample");
        assert_eq!(published, expected, "{code}");

        let Some(steps) = ecstat_indicators::contributions_sql(programme, ind) else {
            continue;
        };
        let cells: BTreeMap<(String, String, String, String), i64> =
            query(data, &steps.as_one_query(&given))
                .iter()
                .map(|r| (cell_key(r), r["contributors"].as_i64().expect("count")))
                .collect();
        assert!(!cells.is_empty(), "{code} has contributions");
        let rows = query(
            data,
            &format!(
                "SELECT CASE WHEN measure = 'programme_total' THEN 'programme' ELSE period_type END AS period_type, \
                 period, dimension, member, contributors FROM ind_results \
                 WHERE indicator_code = '{code}' AND measure IN ('value', 'programme_total')"
            ),
        );
        for r in rows {
            let key = cell_key(&r);
            assert_eq!(
                r["contributors"].as_i64(),
                cells.get(&key).copied(),
                "{code} {key:?}"
            );
        }
    }
}
