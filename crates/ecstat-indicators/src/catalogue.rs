//! The catalogue file (`pipelines/indicators.toml`): what each indicator is, how it is
//! computed and what it is judged against.

use std::path::Path;

use serde::Deserialize;

use crate::IndicatorError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Statistical disclosure control of published breakdowns (统计法).
    #[serde(default)]
    pub disclosure: DisclosurePolicy,
    #[serde(rename = "indicator")]
    pub indicators: Vec<Indicator>,
}

/// When a published cell would reveal an enterprise's figure.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DisclosurePolicy {
    /// A cell with fewer contributing entities than this is suppressed.
    pub min_contributors: u32,
    /// p% rule: a cell is suppressed when what remains after its two largest contributors
    /// is less than p% of the largest (the second largest could then estimate the largest
    /// to within p%).
    pub p_percent: f64,
}

impl Default for DisclosurePolicy {
    fn default() -> Self {
        Self {
            min_contributors: 3,
            p_percent: 10.0,
        }
    }
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
    /// for a ratio, `contributor` when disclosure control applies).
    pub sql: String,
    /// How months make a year: `sum` (flows — sales, person-times, new entities) or `last`
    /// (stocks — stations operating at the end of the year).
    #[serde(default)]
    pub aggregate: Aggregate,
    /// A ratio: the SQL returns `value` (numerator) and `denominator`, both additive over
    /// breakdown members (and over months when `aggregate = "sum"`); the indicator is
    /// Σvalue ÷ Σdenominator, × 100 for `percent`, as it is for `per_unit` (元/件).
    pub ratio: Option<Ratio>,
    /// The months the indicator is observed on: `data` (from its first to its last month
    /// with data — a sales series) or `reporting` (every month of dim_month — events such
    /// as new entities or training sessions, where a month without any is a zero).
    #[serde(default)]
    pub calendar: CalendarSource,
    /// Tables (sources or models) the indicator cannot be computed without: when one of
    /// them is empty in the snapshot, every year is 数据不足 with the source named,
    /// never a zero.
    #[serde(default)]
    pub requires: Vec<String>,
    /// The column naming the entity behind each value (an enterprise key): published
    /// cells with too few contributors, or dominated by one, are suppressed.
    pub contributor: Option<String>,
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

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Ratio {
    /// A share, in % (× 100).
    Percent,
    /// An amount per unit, e.g. 元/件.
    PerUnit,
}

impl Ratio {
    pub fn scale(self) -> u32 {
        match self {
            Ratio::Percent => 100,
            Ratio::PerUnit => 1,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The measure judged: `value`, `yoy_pct`, `vs_baseline_pct` or `programme_total`.
    pub measure: Measure,
    pub comparison: Comparison,
    pub value: f64,
    /// Upper bound of a `between` target (1–2 warehouse centres).
    pub upper: Option<f64>,
    /// First and last year the target applies to (a disbursement target due at the end
    /// of the programme); every year when absent.
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
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
    #[serde(rename = ">")]
    Above,
    #[serde(rename = "<")]
    Below,
    #[serde(rename = "=")]
    Equal,
    /// From `value` to `upper`, both included.
    #[serde(rename = "between")]
    Between,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::AtMost => "<=",
            Comparison::Above => ">",
            Comparison::Below => "<",
            Comparison::Equal => "=",
            Comparison::Between => "between",
        }
    }
}

impl Catalogue {
    pub fn load(path: &Path) -> Result<Self, IndicatorError> {
        let catalogue: Catalogue = ecstat_core::config::load_toml(path)?;
        catalogue
            .check()
            .map_err(|message| IndicatorError::Config {
                path: path.to_path_buf(),
                message,
            })?;
        Ok(catalogue)
    }

    pub fn get(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.code == code)
    }

    fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for ind in &self.indicators {
            if !seen.insert(ind.code.as_str()) {
                return Err(format!("indicator code `{}` is defined twice", ind.code));
            }
            if !is_ident(&ind.code) {
                return Err(format!(
                    "indicator code `{}` must be letters, digits and _",
                    ind.code
                ));
            }
            let problem = if let Some(bad) = ind
                .breakdowns
                .iter()
                .chain(&ind.requires)
                .chain(&ind.contributor)
                .find(|b| b.as_str() == "county" || !is_ident(b))
            {
                Some(format!(
                    "`{bad}` must be a plain column or table name other than county"
                ))
            } else if ind.ratio.is_some() && ind.contributor.is_some() {
                Some(
                    "disclosure control (contributor) applies to additive amounts, not ratios"
                        .into(),
                )
            } else if ind.contributor.is_some() && ind.aggregate != Aggregate::Sum {
                Some("disclosure control (contributor) needs aggregate = \"sum\"".into())
            } else if let Some(t) = &ind.target {
                if t.measure == Measure::ProgrammeTotal
                    && (ind.aggregate != Aggregate::Sum || ind.ratio.is_some())
                {
                    Some("a programme_total target needs aggregate = \"sum\" and no ratio".into())
                } else if (t.comparison == Comparison::Between) != t.upper.is_some() {
                    Some("`upper` goes with comparison = \"between\", and only with it".into())
                } else if t.upper.is_some_and(|u| u < t.value) {
                    Some("a between target's upper bound is below its lower bound".into())
                } else {
                    None
                }
            } else {
                None
            };
            if let Some(message) = problem {
                return Err(format!("indicator `{}`: {message}", ind.code));
            }
        }
        Ok(())
    }
}

pub(crate) fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
