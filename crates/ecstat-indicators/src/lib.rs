//! The indicator catalogue (`pipelines/indicators.toml`) and its computation: every
//! indicator's monthly values become yearly, monthly and year-to-date values, YoY growth
//! and growth against the baseline year, each judged against its target, in one long
//! table `ind_results` (indicator × measure × period × dimension × member).

use ecstat_core::sql::literal as quote;
use std::path::Path;

use serde::Deserialize;

/// Errors reading the catalogue.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    #[error(transparent)]
    Core(#[from] ecstat_core::CoreError),
    #[error("{path}: {message}")]
    Config {
        path: std::path::PathBuf,
        message: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// The year before the programme; `vs_baseline_pct` compares against it.
    pub baseline_year: i32,
    /// Code of the whole county, the member of the `county` dimension.
    pub county_code: String,
    /// First year of the programme: `programme_total` sums an indicator from its January
    /// (targets such as 2000 new entities or 5000 person-times are over the programme).
    pub programme_start_year: Option<i32>,
    #[serde(rename = "indicator")]
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub definition: String,
    pub departments: Vec<String>,
    /// Columns of the SQL result to break the indicator down by.
    #[serde(default)]
    pub breakdowns: Vec<String>,
    /// Returns `month` (YYYY-MM), `value` and the breakdown columns (and `denominator`
    /// for a ratio).
    pub sql: String,
    /// How months make a year: `sum` (flows — sales, person-times, new entities) or `last`
    /// (stocks — stations operating at the end of the year).
    #[serde(default)]
    pub aggregate: Aggregate,
    /// A share in %: the SQL returns `value` (numerator) and `denominator`, both additive
    /// over breakdown members; the indicator is Σvalue × 100 ÷ Σdenominator.
    #[serde(default)]
    pub ratio: bool,
    /// The months the indicator is observed on: `data` (from its first to its last month
    /// with data — a sales series) or `reporting` (every month of dim_month — events such
    /// as new entities or training sessions, where a month without any is a zero).
    #[serde(default)]
    pub calendar: CalendarSource,
    pub target: Option<Target>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CalendarSource {
    #[default]
    Data,
    Reporting,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    #[default]
    Sum,
    Last,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The measure judged: `value`, `yoy_pct` or `vs_baseline_pct`.
    pub measure: Measure,
    pub comparison: Comparison,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Value,
    YoyPct,
    VsBaselinePct,
    /// Σ of the yearly values from the programme's first year through the year.
    ProgrammeTotal,
}

impl Measure {
    pub fn code(self) -> &'static str {
        match self {
            Measure::Value => "value",
            Measure::YoyPct => "yoy_pct",
            Measure::VsBaselinePct => "vs_baseline_pct",
            Measure::ProgrammeTotal => "programme_total",
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum Comparison {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "<=")]
    AtMost,
}

impl Comparison {
    fn sql(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::AtMost => "<=",
        }
    }
}

impl Catalogue {
    pub fn load(path: &Path) -> Result<Self, IndicatorError> {
        let catalogue: Catalogue = ecstat_core::config::load_toml(path)?;
        let mut seen = std::collections::BTreeSet::new();
        for ind in &catalogue.indicators {
            if !seen.insert(ind.code.as_str()) {
                return Err(IndicatorError::Config {
                    path: path.to_path_buf(),
                    message: format!("indicator code `{}` is defined twice", ind.code),
                });
            }
            if let Some(bad) = ind
                .breakdowns
                .iter()
                .find(|b| b.as_str() == "county" || !is_ident(b))
            {
                return Err(IndicatorError::Config {
                    path: path.to_path_buf(),
                    message: format!(
                        "indicator `{}`: breakdown `{bad}` must be a plain column name other than county",
                        ind.code
                    ),
                });
            }
        }
        for ind in &catalogue.indicators {
            let problem = if ind.ratio && ind.aggregate != Aggregate::Last {
                Some("a ratio is a state at a moment: give it aggregate = \"last\"")
            } else if ind
                .target
                .as_ref()
                .is_some_and(|t| t.measure == Measure::ProgrammeTotal)
                && (ind.aggregate != Aggregate::Sum || catalogue.programme_start_year.is_none())
            {
                Some("a programme_total target needs aggregate = \"sum\" and programme_start_year")
            } else {
                None
            };
            if let Some(message) = problem {
                return Err(IndicatorError::Config {
                    path: path.to_path_buf(),
                    message: format!("indicator `{}`: {message}", ind.code),
                });
            }
        }
        Ok(catalogue)
    }

    /// SQL computing every indicator's long-table rows, for a snapshot `version` whose data
    /// runs to `data_as_of`.
    pub fn results_sql(&self, version: u64, data_as_of: Option<&str>) -> String {
        let parts: Vec<String> = self
            .indicators
            .iter()
            .map(|i| self.indicator_sql(i))
            .collect();
        let as_of = data_as_of
            .map(quote)
            .unwrap_or_else(|| "CAST(NULL AS VARCHAR)".into());
        format!(
            "SELECT r.*, CAST({version} AS BIGINT) AS snapshot_version, {as_of} AS data_as_of FROM (\n{}\n) r\nORDER BY indicator_code, measure, period_type, period, dimension, member",
            parts.join("\nUNION ALL\n")
        )
    }

    fn indicator_sql(&self, ind: &Indicator) -> String {
        let county = quote(&self.county_code);
        // A ratio adds numerators and denominators over members, then divides.
        let agg = if ind.ratio {
            "CASE WHEN sum(denominator) = 0 THEN NULL ELSE CAST(sum(value) AS DECIMAL(22,4)) * 100 / CAST(sum(denominator) AS DECIMAL(22,4)) END"
        } else {
            "sum(value)"
        };
        let mut monthly = vec![format!(
            "SELECT 'county' AS dimension, {county} AS member, month, {agg} AS value FROM base GROUP BY month"
        )];
        for b in &ind.breakdowns {
            monthly.push(format!(
                "SELECT '{b}' AS dimension, coalesce(CAST({b} AS VARCHAR), '(空)') AS member, month, {agg} AS value FROM base GROUP BY {b}, month"
            ));
        }
        let bounds = match ind.calendar {
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
        };
        // Flows add their months; a stock is its value at the last month with data.
        let (year_value, ytd_value) = match ind.aggregate {
            Aggregate::Sum => (
                "y_raw AS (SELECT dimension, member, year, CAST(sum(value) AS DECIMAL(22,4)) AS value FROM m GROUP BY dimension, member, year)",
                "CAST(sum(x.value) AS DECIMAL(22,4))",
            ),
            Aggregate::Last => (
                "y_raw AS (SELECT dimension, member, year, CAST(last_value(value ORDER BY mon) AS DECIMAL(22,4)) AS value FROM m GROUP BY dimension, member, year)",
                "CAST(last_value(x.value ORDER BY x.mon) AS DECIMAL(22,4))",
            ),
        };
        let programme = match self.programme_start_year {
            Some(start) if ind.aggregate == Aggregate::Sum => format!(
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
        let baseline = self.baseline_year;
        let growth = |c: &str, p: &str| {
            format!(
                "CASE WHEN {p} IS NULL OR {p} = 0 THEN NULL ELSE CAST(CAST({c} - {p} AS DECIMAL(20,2)) * 100 / CAST({p} AS DECIMAL(20,2)) AS DECIMAL(22,4)) END"
            )
        };
        let base_note = |p: &str| {
            format!("CASE WHEN {p} IS NULL THEN '无基期数据' WHEN {p} = 0 THEN '基期为零' END")
        };
        let (target_measure, target_cmp, target_value) = match &ind.target {
            Some(t) => (
                quote(t.measure.code()),
                t.comparison.sql(),
                format!("CAST({} AS DECIMAL(22,4))", t.value),
            ),
            None => ("''".into(), ">=", "CAST(NULL AS DECIMAL(22,4))".into()),
        };
        format!(
            r#"SELECT * FROM (
WITH base AS (
{sql}
),
monthly AS (
  {monthly}
),
m AS (
  SELECT dimension, member, month,
         CAST(substr(month, 1, 4) AS INT) AS year, CAST(substr(month, 6, 2) AS INT) AS mon,
         CAST(value AS DECIMAL(22,4)) AS value
  FROM monthly
),
-- The calendar of the data: every month from the county's first month with data to its
-- last (数据截至). Year-to-date values (1–M月累计) run on it, so a month without sales
-- still has its cumulative value, and a year counts as complete only with 12 months on it.
bounds AS (
  {bounds}
),
calendar AS (
  SELECT CAST(y.value AS INT) AS year, CAST(mo.value AS INT) AS mon
  FROM bounds b
  CROSS JOIN generate_series(1990, 2100) AS y
  CROSS JOIN generate_series(1, 12) AS mo
  WHERE y.value * 100 + mo.value BETWEEN b.first_ym AND b.last_ym
),
coverage AS (SELECT year, count(*) AS months FROM calendar GROUP BY year),
{year_value},
y AS (
  SELECT r.dimension, r.member, r.year, r.value, cov.months
  FROM y_raw r JOIN coverage cov ON cov.year = r.year
),
members AS (SELECT DISTINCT dimension, member FROM m),
ytd AS (
  SELECT k.dimension, k.member, c.year, c.mon,
         concat(CAST(c.year AS VARCHAR), '-', lpad(CAST(c.mon AS VARCHAR), 2, '0')) AS month,
         {ytd_value} AS value
  FROM calendar c
  CROSS JOIN members k
  JOIN m x ON x.dimension = k.dimension AND x.member = k.member AND x.year = c.year AND x.mon <= c.mon
  GROUP BY k.dimension, k.member, c.year, c.mon
),
first_year AS (SELECT y0 FROM bounds),
obs AS (
  SELECT 'value' AS measure, 'year' AS period_type, CAST(year AS VARCHAR) AS period, dimension, member,
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
  FROM y c CROSS JOIN first_year f
  LEFT JOIN y p ON p.dimension = c.dimension AND p.member = c.member AND p.year = c.year - 1
  LEFT JOIN coverage pc ON pc.year = c.year - 1
  WHERE c.year > f.y0
  UNION ALL
  SELECT 'yoy_pct' AS measure, 'month' AS period_type, c.month AS period, c.dimension, c.member, {g_month} AS value,
         concat(CAST(c.year - 1 AS VARCHAR), substr(c.month, 5)) AS base_period, p.value AS base_value, 1 AS months_covered, CAST(NULL AS BIGINT) AS base_months, {n_month} AS base_note
  FROM m c CROSS JOIN first_year f
  LEFT JOIN m p ON p.dimension = c.dimension AND p.member = c.member AND p.year = c.year - 1 AND p.mon = c.mon
  WHERE c.year > f.y0
  UNION ALL
  SELECT 'yoy_pct' AS measure, 'ytd' AS period_type, c.month AS period, c.dimension, c.member, {g_ytd} AS value,
         concat(CAST(c.year - 1 AS VARCHAR), substr(c.month, 5)) AS base_period, p.value AS base_value, c.mon AS months_covered, CAST(NULL AS BIGINT) AS base_months, {n_ytd} AS base_note
  FROM ytd c CROSS JOIN first_year f
  LEFT JOIN ytd p ON p.dimension = c.dimension AND p.member = c.member AND p.year = c.year - 1 AND p.mon = c.mon
  WHERE c.year > f.y0
  UNION ALL
  SELECT 'vs_baseline_pct' AS measure, 'year' AS period_type, CAST(c.year AS VARCHAR) AS period, c.dimension, c.member, {g_base} AS value,
         '{baseline}' AS base_period, b.value AS base_value, c.months AS months_covered, bc.months AS base_months, {n_base} AS base_note
  FROM y c
  LEFT JOIN y b ON b.dimension = c.dimension AND b.member = c.member AND b.year = {baseline}
  LEFT JOIN coverage bc ON bc.year = {baseline}
  WHERE c.year > {baseline}
  {programme}
),
names AS (
  SELECT 'county' AS dimension, region_code AS member, region_name AS member_name FROM dim_region WHERE level = 'county'
  UNION ALL SELECT 'township', region_code, region_name FROM dim_region WHERE level = 'township'
  UNION ALL SELECT 'township', 'unattributed', '未归属' 
  UNION ALL SELECT 'platform', platform, name_zh FROM ref_platforms
),
judged AS (
  SELECT o.*,
         o.measure = {target_measure} AND o.period_type = 'year' AND o.dimension = 'county' AS has_target
  FROM obs o
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
  CASE WHEN j.has_target THEN '{target_cmp}' END AS comparison,
  CASE WHEN j.has_target AND {target_value} <> 0 AND j.value IS NOT NULL
       THEN CAST(CAST(j.value AS DECIMAL(22,4)) * 100 / {target_value} AS DECIMAL(22,2)) END AS attainment_pct,
  CASE
    WHEN NOT j.has_target THEN '无目标'
    WHEN j.value IS NULL THEN '数据不足'
    -- A year still running, or a base year with months missing, cannot be judged yet.
    WHEN j.months_covered < 12 OR coalesce(j.base_months, 12) < 12 THEN '数据不足'
    WHEN j.value {target_cmp} {target_value} THEN '达标'
    ELSE '未达标'
  END AS status,
  nullif(concat_ws('；', j.base_note,
            CASE WHEN j.period_type = 'year' AND j.months_covered < 12
                 THEN concat('年度数据不完整（', CAST(j.months_covered AS VARCHAR), '个月）') END,
            CASE WHEN j.base_months < 12
                 THEN concat('基期年度数据不完整（', CAST(j.base_months AS VARCHAR), '个月）') END), '') AS note,
  j.months_covered
FROM judged j
LEFT JOIN names n ON n.dimension = j.dimension AND n.member = j.member
)"#,
            sql = ind.sql.trim(),
            monthly = monthly.join("\n  UNION ALL\n  "),
            g_year = growth("c.value", "p.value"),
            n_year = base_note("p.value"),
            g_month = growth("c.value", "p.value"),
            n_month = base_note("p.value"),
            g_ytd = growth("c.value", "p.value"),
            n_ytd = base_note("p.value"),
            g_base = growth("c.value", "b.value"),
            n_base = base_note("b.value"),
            year_value = year_value,
            bounds = bounds,
            ytd_value = ytd_value,
            programme = programme,
            code = quote(&ind.code),
            name_zh = quote(&ind.name_zh),
            name_en = quote(&ind.name_en),
            unit = quote(&ind.unit),
        )
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
