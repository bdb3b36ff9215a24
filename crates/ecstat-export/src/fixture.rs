//! Hand-built indicator tables for the tests: a few rows whose figures the tests know by
//! heart, in the column layout of `ind_results`.

use std::sync::Arc;

use arrow::array::{ArrayRef, Decimal128Array, Int64Array, RecordBatch, StringArray};

/// One row of `ind_results`. Decimals are given in units of the column's scale: 4 for
/// `value`, `base_value`, `target` and `target_upper`, 2 for `attainment_pct`.
#[derive(Debug, Clone)]
pub(crate) struct Obs {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub measure: &'static str,
    pub measure_name_zh: &'static str,
    pub unit: &'static str,
    pub period_type: &'static str,
    pub period: &'static str,
    pub dimension: &'static str,
    pub member: &'static str,
    pub member_name: &'static str,
    pub value: Option<i128>,
    pub base_period: Option<&'static str>,
    pub base_value: Option<i128>,
    pub target: Option<i128>,
    pub comparison: Option<&'static str>,
    pub target_upper: Option<i128>,
    pub attainment_pct: Option<i128>,
    pub status: &'static str,
    pub note: Option<&'static str>,
    pub months_covered: i64,
    pub contributors: Option<i64>,
    pub disclosure: Option<&'static str>,
}

pub(crate) const COUNTY: &str = "350524000000";

/// Indicator code, Chinese name and unit of the indicators the fixtures use.
fn names(code: &str) -> (&'static str, &'static str) {
    match code {
        "rural_online_retail" => ("农村网络零售额", "元"),
        "agri_online_retail" => ("农产品网络零售额", "元"),
        "new_ecommerce_entities" => ("新增电子商务经营主体", "家"),
        "admin_village_coverage" => ("行政村电子商务服务覆盖率", "%"),
        "parcels_sent" => ("农村快递发件量", "件"),
        _ => ("其他指标", "个"),
    }
}

impl Obs {
    /// The county's `value` of `code` for `period` (a year or a month), `value` in units of
    /// 10^-4.
    pub(crate) fn county(code: &'static str, period: &'static str, value: i128) -> Self {
        let (name_zh, unit) = names(code);
        Obs {
            code,
            name_zh,
            measure: "value",
            measure_name_zh: "数值",
            unit,
            period_type: if period.len() == 4 { "year" } else { "month" },
            period,
            dimension: "county",
            member: COUNTY,
            member_name: "安溪县",
            value: Some(value),
            base_period: None,
            base_value: None,
            target: None,
            comparison: None,
            target_upper: None,
            attainment_pct: None,
            status: "无目标",
            note: None,
            months_covered: if period.len() == 4 { 12 } else { 1 },
            contributors: Some(40),
            disclosure: None,
        }
    }

    /// A township's `value` of `code` for the year `period`.
    pub(crate) fn township(
        code: &'static str,
        period: &'static str,
        member: &'static str,
        member_name: &'static str,
        value: i128,
    ) -> Self {
        Obs {
            dimension: "township",
            member,
            member_name,
            contributors: Some(12),
            ..Obs::county(code, period, value)
        }
    }

    /// The row withheld for `reason`: no value, no base value.
    pub(crate) fn suppressed(self, reason: &'static str) -> Self {
        Obs {
            value: None,
            base_value: None,
            contributors: Some(2),
            disclosure: Some(reason),
            ..self
        }
    }

    /// The row judged against `comparison target` with `status`.
    pub(crate) fn judged(
        self,
        comparison: &'static str,
        target: i128,
        attainment_pct: i128,
        status: &'static str,
    ) -> Self {
        Obs {
            comparison: Some(comparison),
            target: Some(target),
            attainment_pct: Some(attainment_pct),
            status,
            ..self
        }
    }

    /// The row as growth against `base_period` (`vs_baseline_pct`, in %).
    pub(crate) fn vs_baseline(self, base_period: &'static str, base_value: i128) -> Self {
        Obs {
            measure: "vs_baseline_pct",
            measure_name_zh: "较2017年增长率",
            unit: "%",
            base_period: Some(base_period),
            base_value: Some(base_value),
            ..self
        }
    }
}

/// `rows` as one batch; without the `contributors` and `disclosure` columns unless
/// `with_disclosure`, like a table from before they existed.
pub(crate) fn batch(rows: &[Obs], with_disclosure: bool) -> RecordBatch {
    fn text<T>(rows: &[Obs], f: impl Fn(&Obs) -> T) -> ArrayRef
    where
        T: Into<Option<&'static str>>,
    {
        Arc::new(StringArray::from(
            rows.iter().map(|r| f(r).into()).collect::<Vec<_>>(),
        ))
    }
    fn dec(rows: &[Obs], scale: i8, f: impl Fn(&Obs) -> Option<i128>) -> ArrayRef {
        Arc::new(
            Decimal128Array::from(rows.iter().map(f).collect::<Vec<_>>())
                .with_precision_and_scale(22, scale)
                .expect("decimal"),
        )
    }
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        ("indicator_code", text(rows, |r| r.code)),
        ("indicator_name_zh", text(rows, |r| r.name_zh)),
        ("indicator_name_en", text(rows, |_| None)),
        ("measure", text(rows, |r| r.measure)),
        ("measure_name_zh", text(rows, |r| r.measure_name_zh)),
        ("unit", text(rows, |r| r.unit)),
        ("period_type", text(rows, |r| r.period_type)),
        ("period", text(rows, |r| r.period)),
        ("dimension", text(rows, |r| r.dimension)),
        ("member", text(rows, |r| r.member)),
        ("member_name", text(rows, |r| r.member_name)),
        ("value", dec(rows, 4, |r| r.value)),
        ("base_period", text(rows, |r| r.base_period)),
        ("base_value", dec(rows, 4, |r| r.base_value)),
        ("target", dec(rows, 4, |r| r.target)),
        ("comparison", text(rows, |r| r.comparison)),
        ("target_upper", dec(rows, 4, |r| r.target_upper)),
        ("attainment_pct", dec(rows, 2, |r| r.attainment_pct)),
        ("status", text(rows, |r| r.status)),
        ("note", text(rows, |r| r.note)),
        (
            "months_covered",
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.months_covered).collect::<Vec<_>>(),
            )),
        ),
        (
            "snapshot_version",
            Arc::new(Int64Array::from(vec![3; rows.len()])),
        ),
        ("data_as_of", text(rows, |_| "2019-12")),
    ];
    if with_disclosure {
        columns.push((
            "contributors",
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.contributors).collect::<Vec<_>>(),
            )),
        ));
        columns.push(("disclosure", text(rows, |r| r.disclosure)));
    }
    RecordBatch::try_from_iter(columns).expect("batch")
}

/// A small table with everything the report draws: targets met and missed, two sales
/// series by month, rural sales and coverage by township (one township withheld), and a
/// year 2020 that has only three months.
pub(crate) fn report_rows() -> Vec<Obs> {
    let mut rows = vec![
        // Growth against 2017 (4,800,000 元 of rural and 1,800,000 元 of agricultural sales).
        Obs::county("rural_online_retail", "2018", 125_000)
            .vs_baseline("2017", 48_000_000_000)
            .judged(">=", 200_000, 6_250, "未达标"),
        Obs::county("rural_online_retail", "2019", 275_000)
            .vs_baseline("2017", 48_000_000_000)
            .judged(">=", 200_000, 13_750, "达标"),
        Obs::county("agri_online_retail", "2018", -50_000)
            .vs_baseline("2017", 18_000_000_000)
            .judged(">=", 300_000, -1_667, "未达标"),
        Obs::county("agri_online_retail", "2019", 183_333)
            .vs_baseline("2017", 18_000_000_000)
            .judged(">=", 300_000, 6_111, "未达标"),
        Obs::county("admin_village_coverage", "2019", 625_000)
            .judged(">=", 500_000, 12_500, "达标"),
        // Yearly sales: 2019 is the sum of the months below; 2020 has three months only.
        Obs::county("rural_online_retail", "2019", 61_200_000_000),
        Obs {
            months_covered: 3,
            note: Some("年度数据不完整（3个月）"),
            ..Obs::county("rural_online_retail", "2020", 15_000_000_000)
        },
    ];
    let months = [
        "2019-01", "2019-02", "2019-03", "2019-04", "2019-05", "2019-06", "2019-07", "2019-08",
        "2019-09", "2019-10", "2019-11", "2019-12",
    ];
    for (k, month) in months.into_iter().enumerate() {
        let k = k as i128;
        rows.push(Obs::county(
            "rural_online_retail",
            month,
            (400_000 + 20_000 * k) * 10_000,
        ));
        rows.push(Obs::county(
            "agri_online_retail",
            month,
            (150_000 + 5_000 * k) * 10_000,
        ));
    }
    rows.extend([
        Obs::township(
            "rural_online_retail",
            "2019",
            "350524100000",
            "凤城镇",
            31_000_000_000,
        ),
        Obs::township(
            "rural_online_retail",
            "2019",
            "350524101000",
            "城厢镇",
            19_000_000_000,
        ),
        Obs::township("rural_online_retail", "2019", "350524102000", "西坪镇", 0).suppressed("n<3"),
        // The running year is not the one to show by township.
        Obs {
            months_covered: 3,
            ..Obs::township(
                "rural_online_retail",
                "2020",
                "350524100000",
                "凤城镇",
                7_000_000_000,
            )
        },
        Obs::township(
            "admin_village_coverage",
            "2019",
            "350524100000",
            "凤城镇",
            800_000,
        ),
        Obs::township(
            "admin_village_coverage",
            "2019",
            "350524101000",
            "城厢镇",
            450_000,
        ),
    ]);
    rows
}

/// An export's meta with the sample's topic sheets (as `pipelines/report.toml` has them).
pub fn meta() -> crate::ExportMeta {
    use crate::presentation::{Presentation, Topic};
    let topic = |sheet: &str, indicators: &[&str]| Topic {
        sheet: sheet.into(),
        indicators: indicators.iter().map(|s| s.to_string()).collect(),
    };
    crate::ExportMeta {
        presentation: Presentation {
            title: "某县电子商务进农村综合示范 绩效指标报告".into(),
            caliber: "网络零售额 = 已完成订单买家实付商品金额 − 退款，不含运费。".into(),
            topics: vec![
                topic("网络零售", &["rural_online_retail", "agri_online_retail"]),
                topic(
                    "经营主体",
                    &[
                        "new_ecommerce_entities",
                        "enterprise_database_size",
                        "agri_entity_database_size",
                        "typical_enterprise_database_size",
                    ],
                ),
                topic("培训", &["training_", "poor_household_trainees"]),
                topic(
                    "服务网络",
                    &[
                        "township_stations",
                        "village_service_points",
                        "admin_village_coverage",
                        "county_service_centre",
                        "branch_service_centres",
                        "warehouse_centres",
                    ],
                ),
                topic(
                    "物流",
                    &[
                        "parcels_sent",
                        "cost_per_parcel",
                        "townships_with_delivery",
                        "village_delivery_coverage",
                    ],
                ),
                topic("资金", &["fund_", "products_online_fund_share"]),
            ],
            charts: Vec::new(),
        },
        ..crate::ExportMeta::default()
    }
}
