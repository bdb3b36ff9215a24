//! The SQL that turns one indicator's monthly rows into its long-table rows: yearly,
//! monthly and year-to-date values, YoY growth, growth against the baseline year and the
//! programme total, each judged against the target.

use ecstat_core::programme::Programme;
use ecstat_core::sql::literal as quote;

use crate::catalogue::{Aggregate, CalendarSource, Comparison, Indicator, Ratio};

/// Columns of an indicator's rows, in order (before disclosure control adds its own).
pub const RESULT_COLUMNS: &[&str] = &[
    "indicator_code",
    "indicator_name_zh",
    "indicator_name_en",
    "measure",
    "measure_name_zh",
    "unit",
    "period_type",
    "period",
    "dimension",
    "member",
    "member_name",
    "value",
    "base_period",
    "base_value",
    "target",
    "comparison",
    "target_upper",
    "attainment_pct",
    "status",
    "note",
    "months_covered",
];

/// A query in steps. DataFusion plans a WITH query's subquery again wherever the query
/// reads it, and an indicator reads its monthly values a dozen times over: as one query,
/// planning costs far more than running it. So each step's rows are computed once and the
/// later steps (and `select`) read them by the step's name.
#[derive(Debug, Clone)]
pub struct Steps {
    /// Named steps in order; each may read the warehouse and the earlier steps by name.
    pub steps: Vec<(&'static str, String)>,
    /// The result, which may read every step by name.
    pub select: String,
}

impl Steps {
    /// The same query as one SQL statement, its steps as WITH subqueries (`given` names
    /// earlier results it reads, with their SQL).
    pub fn as_one_query(&self, given: &[(&str, &str)]) -> String {
        let ctes = given
            .iter()
            .copied()
            .chain(self.steps.iter().map(|(n, s)| (*n, s.as_str())))
            .map(|(name, sql)| format!("{name} AS (\n{}\n)", sql.trim()))
            .collect::<Vec<_>>()
            .join(",\n");
        format!("WITH {ctes}\nSELECT * FROM (\n{}\n)", self.select.trim())
    }
}

/// The rows an indicator's figures come from: its SQL, or none of them when a required
/// source is missing (`missing` names them).
pub fn base_sql(ind: &Indicator, missing: &[String]) -> String {
    if missing.is_empty() {
        ind.sql.trim().to_string()
    } else {
        format!(
            "SELECT * FROM (\n{}\n) no_source WHERE false",
            ind.sql.trim()
        )
    }
}

/// `SELECT … AS dimension, … AS member, month, sums …` over `from`, once for the county and
/// once per breakdown; `sums` are the aggregate expressions after the month.
pub(crate) fn per_dimension(
    programme: &Programme,
    ind: &Indicator,
    from: &str,
    extra_key: &str,
    sums: &str,
) -> String {
    let county = quote(&programme.county_code);
    let mut parts = vec![format!(
        "SELECT 'county' AS dimension, {county} AS member, month{extra_key}, {sums} FROM {from} GROUP BY month{extra_key}"
    )];
    for b in &ind.breakdowns {
        parts.push(format!(
            "SELECT '{b}' AS dimension, coalesce(CAST({b} AS VARCHAR), '(空)') AS member, month{extra_key}, {sums} FROM {from} GROUP BY {b}, month{extra_key}"
        ));
    }
    parts.join("\n  UNION ALL\n  ")
}

/// The calendar of an indicator: `bounds` (y0, first_ym, last_ym) over CTE `m`, or over
/// dim_month for event counts.
pub(crate) fn bounds(ind: &Indicator) -> &'static str {
    match ind.calendar {
        CalendarSource::Data => {
            "SELECT CAST(min(year * 100 + mon) / 100 AS INT) AS y0,
         min(year * 100 + mon) AS first_ym, max(year * 100 + mon) AS last_ym
  FROM m WHERE dimension = 'county'"
        }
        CalendarSource::Reporting => {
            "SELECT CAST(min(year * 100 + month_of_year) / 100 AS INT) AS y0,
         min(year * 100 + month_of_year) AS first_ym, max(year * 100 + month_of_year) AS last_ym
  FROM dim_month"
        }
    }
}

/// Every month from `bounds`' first to its last.
pub(crate) const CALENDAR: &str =
    "SELECT CAST(y.value AS INT) AS year, CAST(mo.value AS INT) AS mon
  FROM bounds b
  CROSS JOIN generate_series(1990, 2100) AS y
  CROSS JOIN generate_series(1, 12) AS mo
  WHERE y.value * 100 + mo.value BETWEEN b.first_ym AND b.last_ym";

/// The long-table rows of `ind`, from its rows in `base` (see [`base_sql`]). `missing`
/// names the required sources that are empty in the snapshot (with their departments):
/// the indicator then has one 数据不足 row per year of dim_month saying which, and no
/// figures.
pub fn indicator_sql(programme: &Programme, ind: &Indicator, missing: &[String]) -> Steps {
    let county = quote(&programme.county_code);
    let (num_sum, den_sum) = if ind.ratio.is_some() {
        (
            "CAST(sum(value) AS DECIMAL(22,4)) AS num",
            "CAST(sum(denominator) AS DECIMAL(22,4)) AS den",
        )
    } else {
        (
            "CAST(sum(value) AS DECIMAL(22,4)) AS num",
            "CAST(NULL AS DECIMAL(22,4)) AS den",
        )
    };
    let monthly = per_dimension(programme, ind, "base", "", &format!("{num_sum}, {den_sum}"));
    // The figure from a numerator and a denominator: a ratio divides (no figure on a zero
    // denominator); anything else is its numerator.
    let figure = |num: &str, den: &str| match ind.ratio {
        Some(r) => format!(
            "CASE WHEN {den} IS NULL OR {den} = 0 THEN CAST(NULL AS DECIMAL(22,4)) ELSE CAST({num} * {scale} / {den} AS DECIMAL(22,4)) END",
            scale = r.scale()
        ),
        None => num.to_string(),
    };
    // Flows add their months; a stock is its value at the last month with data.
    let (year_num, year_den, ytd_num, ytd_den) = match ind.aggregate {
        Aggregate::Sum => (
            "CAST(sum(num) AS DECIMAL(22,4))",
            "CAST(sum(den) AS DECIMAL(22,4))",
            "CAST(sum(x.num) AS DECIMAL(22,4))",
            "CAST(sum(x.den) AS DECIMAL(22,4))",
        ),
        Aggregate::Last => (
            "CAST(last_value(num ORDER BY mon) AS DECIMAL(22,4))",
            "CAST(last_value(den ORDER BY mon) AS DECIMAL(22,4))",
            "CAST(last_value(x.num ORDER BY x.mon) AS DECIMAL(22,4))",
            "CAST(last_value(x.den ORDER BY x.mon) AS DECIMAL(22,4))",
        ),
    };
    let start = programme.first_year();
    let programme_total = match ind.aggregate {
        Aggregate::Sum if ind.ratio.is_none() => format!(
            "UNION ALL
  SELECT 'programme_total' AS measure, 'year' AS period_type, CAST(c.year AS VARCHAR) AS period, c.dimension, c.member,
         CAST(sum(p.value) AS DECIMAL(22,4)) AS value, '{start}' AS base_period, CAST(NULL AS DECIMAL(22,4)) AS base_value,
         min(c.months) AS months_covered, CAST(NULL AS BIGINT) AS base_months, CAST(NULL AS VARCHAR) AS base_note
  FROM y c JOIN y p ON p.dimension = c.dimension AND p.member = c.member AND p.year BETWEEN {start} AND c.year
  WHERE c.year >= {start}
  GROUP BY c.year, c.dimension, c.member"
        ),
        _ => String::new(),
    };
    let baseline = programme.baseline_year;
    // Amounts have 2 places; a ratio keeps its 4.
    let places = if ind.ratio.is_some() { 4 } else { 2 };
    let growth = |c: &str, p: &str| {
        format!(
            "CASE WHEN {p} IS NULL OR {p} = 0 THEN NULL ELSE CAST(CAST({c} - {p} AS DECIMAL(22,{places})) * 100 / CAST({p} AS DECIMAL(22,{places})) AS DECIMAL(22,4)) END"
        )
    };
    let base_note = |p: &str| {
        format!("CASE WHEN {p} IS NULL THEN '无基期数据' WHEN {p} = 0 THEN '基期为零' END")
    };
    let decimal = |v: f64| format!("CAST({v} AS DECIMAL(22,4))");
    let (target_measure, target_value, target_upper, meets, years) = match &ind.target {
        Some(t) => {
            let lo = decimal(t.value);
            let hi = t.upper.map(decimal);
            let meets = match (t.comparison, &hi) {
                (Comparison::Between, Some(hi)) => format!("j.value BETWEEN {lo} AND {hi}"),
                (c, _) => format!("j.value {} {lo}", c.symbol()),
            };
            let years = format!(
                " AND CAST(o.period AS INT) BETWEEN {} AND {}",
                t.from_year.unwrap_or(1900),
                t.to_year.unwrap_or(2999)
            );
            (
                quote(t.measure.code()),
                lo,
                hi.unwrap_or_else(|| "CAST(NULL AS DECIMAL(22,4))".into()),
                meets,
                years,
            )
        }
        None => (
            "''".into(),
            "CAST(NULL AS DECIMAL(22,4))".into(),
            "CAST(NULL AS DECIMAL(22,4))".into(),
            "false".into(),
            String::new(),
        ),
    };
    let comparison = ind.target.as_ref().map_or_else(
        || "CAST(NULL AS VARCHAR)".to_string(),
        |t| quote(t.comparison.symbol()),
    );
    let select = format!(
        r#"WITH names AS (
  SELECT 'county' AS dimension, region_code AS member, region_name AS member_name FROM dim_region WHERE level = 'county'
  UNION ALL SELECT 'township', region_code, region_name FROM dim_region WHERE level = 'township'
  UNION ALL SELECT 'township', 'unattributed', '未归属'
  UNION ALL SELECT 'platform', platform, name_zh FROM ref_platforms
),
judged AS (
  SELECT o.*,
         o.measure = {target_measure} AND o.period_type = 'year' AND o.dimension = 'county'{years} AS has_target
  FROM obs o
  {growth_filter}
)
SELECT
  {code} AS indicator_code,
  {name_zh} AS indicator_name_zh,
  {name_en} AS indicator_name_en,
  j.measure,
  CASE j.measure WHEN 'value' THEN '数值' WHEN 'yoy_pct' THEN '同比增长率' WHEN 'programme_total' THEN '示范期累计' ELSE '较{baseline}年增长率' END AS measure_name_zh,
  CASE WHEN j.measure IN ('value', 'programme_total') THEN {unit} ELSE '%' END AS unit,
  j.period_type,
  j.period,
  j.dimension,
  j.member,
  coalesce(n.member_name, j.member) AS member_name,
  j.value,
  j.base_period,
  j.base_value,
  CASE WHEN j.has_target THEN {target_value} END AS target,
  CASE WHEN j.has_target THEN {comparison} END AS comparison,
  CASE WHEN j.has_target THEN {target_upper} END AS target_upper,
  CASE WHEN j.has_target AND {target_value} <> 0 AND j.value IS NOT NULL
       THEN CAST(CAST(j.value AS DECIMAL(22,4)) * 100 / {target_value} AS DECIMAL(22,2)) END AS attainment_pct,
  CASE
    -- A required source is missing: no figure, whatever the target.
    WHEN j.months_covered = 0 THEN '数据不足'
    WHEN NOT j.has_target THEN '无目标'
    WHEN j.value IS NULL THEN '数据不足'
    -- A year still running, or a base year with months missing, cannot be judged yet.
    WHEN j.months_covered < 12 OR coalesce(j.base_months, 12) < 12 THEN '数据不足'
    WHEN {meets} THEN '达标'
    ELSE '未达标'
  END AS status,
  nullif(concat_ws('；', j.base_note,
            CASE WHEN j.period_type = 'year' AND j.months_covered BETWEEN 1 AND 11
                 THEN concat('年度数据不完整（', CAST(j.months_covered AS VARCHAR), '个月）') END,
            CASE WHEN j.base_months < 12
                 THEN concat('基期年度数据不完整（', CAST(j.base_months AS VARCHAR), '个月）') END), '') AS note,
  CAST(j.months_covered AS BIGINT) AS months_covered
FROM judged j
LEFT JOIN names n ON n.dimension = j.dimension AND n.member = j.member"#,
        // A share changes by percentage points, not by a growth rate: no growth measures.
        growth_filter = if ind.ratio == Some(Ratio::Percent) {
            "WHERE o.measure NOT IN ('yoy_pct', 'vs_baseline_pct')"
        } else {
            ""
        },
        code = quote(&ind.code),
        name_zh = quote(&ind.name_zh),
        name_en = quote(&ind.name_en),
        unit = quote(&ind.unit),
    );
    // Without a required source there are no figures, only a 数据不足 row per year.
    if !missing.is_empty() {
        let measure = ind.target.as_ref().map_or("value", |t| t.measure.code());
        let obs = format!(
            "SELECT '{measure}' AS measure, 'year' AS period_type, CAST(year AS VARCHAR) AS period, 'county' AS dimension, {county} AS member,
         CAST(NULL AS DECIMAL(22,4)) AS value, CAST(NULL AS VARCHAR) AS base_period, CAST(NULL AS DECIMAL(22,4)) AS base_value,
         CAST(0 AS BIGINT) AS months_covered, CAST(NULL AS BIGINT) AS base_months, {note} AS base_note
  FROM (SELECT DISTINCT year FROM dim_month) years",
            note = quote(&format!("缺少数据来源：{}", missing.join("、")))
        );
        return Steps {
            steps: vec![("obs", obs)],
            select,
        };
    }
    let m = format!(
        "WITH monthly AS (
  {monthly}
),
m0 AS (
  SELECT dimension, member, month,
         CAST(substr(month, 1, 4) AS INT) AS year, CAST(substr(month, 6, 2) AS INT) AS mon, num, den
  FROM monthly
)
SELECT m0.*, {m_value} AS value FROM m0",
        m_value = figure("num", "den"),
    );
    // The calendar of the data: every month from the county's first month with data to its
    // last (数据截至). Year-to-date values (1–M月累计) run on it, so a month without sales
    // still has its cumulative value, and a year counts as complete only with 12 months on it.
    let coverage = format!(
        "SELECT year, {covered} AS months FROM calendar GROUP BY year",
        // A flow's year is complete with its 12 months; a stock's is known once it
        // reaches December (its value is the one at the end of the year).
        covered = match ind.aggregate {
            Aggregate::Sum => "count(*)",
            Aggregate::Last => "max(mon)",
        },
    );
    let y = format!(
        "WITH y_raw AS (SELECT dimension, member, year, {year_num} AS num, {year_den} AS den FROM m GROUP BY dimension, member, year)
SELECT r.dimension, r.member, r.year, {y_value} AS value, cov.months
FROM y_raw r JOIN coverage cov ON cov.year = r.year",
        y_value = figure("r.num", "r.den"),
    );
    let ytd = format!(
        "WITH members AS (SELECT DISTINCT dimension, member FROM m),
ytd0 AS (
  SELECT k.dimension, k.member, c.year, c.mon,
         concat(CAST(c.year AS VARCHAR), '-', lpad(CAST(c.mon AS VARCHAR), 2, '0')) AS month,
         {ytd_num} AS num, {ytd_den} AS den
  FROM calendar c
  CROSS JOIN members k
  JOIN m x ON x.dimension = k.dimension AND x.member = k.member AND x.year = c.year AND x.mon <= c.mon
  GROUP BY k.dimension, k.member, c.year, c.mon
)
SELECT ytd0.*, {ytd_value} AS value FROM ytd0",
        ytd_value = figure("num", "den"),
    );
    let obs = format!(
        "SELECT 'value' AS measure, 'year' AS period_type, CAST(year AS VARCHAR) AS period, dimension, member,
         value, CAST(NULL AS VARCHAR) AS base_period, CAST(NULL AS DECIMAL(22,4)) AS base_value,
         months AS months_covered, CAST(NULL AS BIGINT) AS base_months, CAST(NULL AS VARCHAR) AS base_note
  FROM y
  UNION ALL
  SELECT 'value' AS measure, 'month' AS period_type, month AS period, dimension, member, value,
         CAST(NULL AS VARCHAR) AS base_period, CAST(NULL AS DECIMAL(22,4)) AS base_value,
         1 AS months_covered, CAST(NULL AS BIGINT) AS base_months, CAST(NULL AS VARCHAR) AS base_note
  FROM m
  UNION ALL
  SELECT 'value' AS measure, 'ytd' AS period_type, month AS period, dimension, member, value,
         CAST(NULL AS VARCHAR) AS base_period, CAST(NULL AS DECIMAL(22,4)) AS base_value,
         mon AS months_covered, CAST(NULL AS BIGINT) AS base_months, CAST(NULL AS VARCHAR) AS base_note
  FROM ytd
  UNION ALL
  SELECT 'yoy_pct' AS measure, 'year' AS period_type, CAST(c.year AS VARCHAR) AS period, c.dimension, c.member, {g_year} AS value,
         CAST(c.year - 1 AS VARCHAR) AS base_period, p.value AS base_value, c.months AS months_covered, pc.months AS base_months, {n_year} AS base_note
  FROM y c CROSS JOIN bounds f
  LEFT JOIN y p ON p.dimension = c.dimension AND p.member = c.member AND p.year = c.year - 1
  LEFT JOIN coverage pc ON pc.year = c.year - 1
  WHERE c.year > f.y0
  UNION ALL
  SELECT 'yoy_pct' AS measure, 'month' AS period_type, c.month AS period, c.dimension, c.member, {g_month} AS value,
         concat(CAST(c.year - 1 AS VARCHAR), substr(c.month, 5)) AS base_period, p.value AS base_value, 1 AS months_covered, CAST(NULL AS BIGINT) AS base_months, {n_month} AS base_note
  FROM m c CROSS JOIN bounds f
  LEFT JOIN m p ON p.dimension = c.dimension AND p.member = c.member AND p.year = c.year - 1 AND p.mon = c.mon
  WHERE c.year > f.y0
  UNION ALL
  SELECT 'yoy_pct' AS measure, 'ytd' AS period_type, c.month AS period, c.dimension, c.member, {g_ytd} AS value,
         concat(CAST(c.year - 1 AS VARCHAR), substr(c.month, 5)) AS base_period, p.value AS base_value, c.mon AS months_covered, CAST(NULL AS BIGINT) AS base_months, {n_ytd} AS base_note
  FROM ytd c CROSS JOIN bounds f
  LEFT JOIN ytd p ON p.dimension = c.dimension AND p.member = c.member AND p.year = c.year - 1 AND p.mon = c.mon
  WHERE c.year > f.y0
  UNION ALL
  SELECT 'vs_baseline_pct' AS measure, 'year' AS period_type, CAST(c.year AS VARCHAR) AS period, c.dimension, c.member, {g_base} AS value,
         '{baseline}' AS base_period, b.value AS base_value, c.months AS months_covered, bc.months AS base_months, {n_base} AS base_note
  FROM y c
  LEFT JOIN y b ON b.dimension = c.dimension AND b.member = c.member AND b.year = {baseline}
  LEFT JOIN coverage bc ON bc.year = {baseline}
  WHERE c.year > {baseline}
  {programme_total}",
        g_year = growth("c.value", "p.value"),
        n_year = base_note("p.value"),
        g_month = growth("c.value", "p.value"),
        n_month = base_note("p.value"),
        g_ytd = growth("c.value", "p.value"),
        n_ytd = base_note("p.value"),
        g_base = growth("c.value", "b.value"),
        n_base = base_note("b.value"),
    );
    Steps {
        steps: vec![
            ("m", m),
            ("bounds", bounds(ind).to_string()),
            ("calendar", CALENDAR.to_string()),
            ("coverage", coverage),
            ("y", y),
            ("ytd", ytd),
            ("obs", obs),
        ],
        select,
    }
}
