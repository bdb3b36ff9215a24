//! How the exports present the indicator table — the report's title, the caliber printed
//! beside the figures, the workbook's topic sheets and the report's charts in their order.
//! These are the deployment's choices, written in `pipelines/report.toml` and handed to
//! the exports in [`crate::ExportMeta`]; nothing here names an indicator.

use serde::Deserialize;

/// `pipelines/report.toml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    /// The report's title; `{county_name}` is replaced by the programme's county.
    pub title: String,
    /// The caliber of the figures (统计口径), on the notes sheet and in the report.
    pub caliber: String,
    /// The workbook's topic sheets (专题), in order.
    #[serde(default, rename = "topic")]
    pub topics: Vec<Topic>,
    /// The report's charts, in order.
    #[serde(default, rename = "chart")]
    pub charts: Vec<Chart>,
}

/// One sheet of the workbook with the yearly rows of its indicators, so the desk that owns
/// 物流 or 资金 finds its figures on one sheet.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub sheet: String,
    /// Indicator codes, or prefixes of codes ending in `_` (`training_`).
    pub indicators: Vec<String>,
}

impl Topic {
    pub fn takes(&self, code: &str) -> bool {
        self.indicators
            .iter()
            .any(|p| p == code || (p.ends_with('_') && code.starts_with(p.as_str())))
    }
}

/// One chart of the report. `id` names it on the page (`data-chart`); `colour` fills its
/// figures and differs from every other chart's.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Chart {
    /// Every county figure that has a target, year by year, against the target.
    Targets {
        id: String,
        heading: String,
        colour: String,
        /// What the report says when there is nothing to draw.
        empty: String,
    },
    /// The county's monthly values of each series, one line each.
    Monthly {
        id: String,
        heading: String,
        series: Vec<Series>,
        empty: String,
    },
    /// One indicator's yearly values by township, largest first, for the latest year
    /// (`year = "complete"`: the latest with every month) with the county's target.
    ByTownship {
        id: String,
        indicator: String,
        /// The heading before `（YEAR年，unit）`.
        heading: String,
        colour: String,
        #[serde(default)]
        year: YearChoice,
        empty: String,
    },
}

/// One line of a monthly chart.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub indicator: String,
    pub colour: String,
}

/// Which year a township chart shows.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum YearChoice {
    /// The latest year whose months are all in (else the latest, said in the heading).
    #[default]
    Complete,
    /// The latest year with a value (a stock is its value at the year's last month).
    Latest,
}

/// The sheet of the indicators no topic takes; written only when there are such rows.
pub const OTHER_TOPIC: &str = "其他";

/// Sheets every workbook has besides the topics.
pub const FIXED_SHEETS: [&str; 5] = ["目标达成", "年度", "月度及累计", "说明", "数据来源"];

impl Presentation {
    /// The topic sheet of `code`.
    pub fn topic_of(&self, code: &str) -> &str {
        self.topics
            .iter()
            .find(|t| t.takes(code))
            .map_or(OTHER_TOPIC, |t| t.sheet.as_str())
    }

    /// Every indicator code the presentation names (topics' exact codes, charts').
    pub fn indicators(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .topics
            .iter()
            .flat_map(|t| t.indicators.iter().map(String::as_str))
            .filter(|c| !c.ends_with('_'))
            .collect();
        for chart in &self.charts {
            match chart {
                Chart::Targets { .. } => {}
                Chart::Monthly { series, .. } => {
                    out.extend(series.iter().map(|s| s.indicator.as_str()));
                }
                Chart::ByTownship { indicator, .. } => out.push(indicator),
            }
        }
        out
    }

    /// What makes a presentation unusable: a sheet name Excel refuses or used twice, a
    /// chart id or colour used twice. The message names what to change.
    pub fn check(&self) -> Result<(), String> {
        let mut sheets: Vec<&str> = self.topics.iter().map(|t| t.sheet.as_str()).collect();
        sheets.push(OTHER_TOPIC);
        sheets.extend(FIXED_SHEETS);
        for (i, s) in sheets.iter().enumerate() {
            if s.is_empty()
                || s.chars().count() > 31
                || s.contains(['[', ']', ':', '*', '?', '/', '\\'])
            {
                return Err(format!(
                    "topic sheet `{s}`: 1 to 31 characters, none of []:*?/\\"
                ));
            }
            if sheets[..i].contains(s) {
                return Err(format!(
                    "sheet `{s}` is named twice (topics and the fixed sheets {FIXED_SHEETS:?} must differ)"
                ));
            }
        }
        let mut ids = Vec::new();
        let mut colours = Vec::new();
        for chart in &self.charts {
            let (id, chart_colours): (&str, Vec<&str>) = match chart {
                Chart::Targets { id, colour, .. } | Chart::ByTownship { id, colour, .. } => {
                    (id, vec![colour])
                }
                Chart::Monthly { id, series, .. } => {
                    (id, series.iter().map(|s| s.colour.as_str()).collect())
                }
            };
            if ids.contains(&id) {
                return Err(format!("chart id `{id}` is used twice"));
            }
            ids.push(id);
            for c in chart_colours {
                if colours.contains(&c) {
                    return Err(format!(
                        "colour {c} is used by two charts: each needs its own"
                    ));
                }
                colours.push(c);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presentation() -> Presentation {
        Presentation {
            topics: vec![
                Topic {
                    sheet: "网络零售".into(),
                    indicators: vec!["rural_online_retail".into()],
                },
                Topic {
                    sheet: "培训".into(),
                    indicators: vec!["training_".into(), "poor_household_trainees".into()],
                },
            ],
            ..Presentation::default()
        }
    }

    #[test]
    fn codes_find_their_topic_by_code_or_prefix() {
        let p = presentation();
        assert_eq!(p.topic_of("rural_online_retail"), "网络零售");
        assert_eq!(
            p.topic_of("rural_online_retail_x"),
            OTHER_TOPIC,
            "a code is no prefix"
        );
        assert_eq!(p.topic_of("training_person_times"), "培训");
        assert_eq!(p.topic_of("poor_household_trainees"), "培训");
        assert_eq!(p.topic_of("tea_export_volume"), OTHER_TOPIC);
        assert!(p.check().is_ok());
    }

    #[test]
    fn sheets_and_colours_are_checked() {
        let mut p = presentation();
        p.topics[1].sheet = "说明".into();
        assert!(p.check().expect_err("a fixed sheet").contains("twice"));
        let mut p = presentation();
        p.topics[0].sheet = "a/b".into();
        assert!(p.check().is_err());
        let chart = |id: &str, colour: &str| Chart::Targets {
            id: id.into(),
            heading: String::new(),
            colour: colour.into(),
            empty: String::new(),
        };
        let mut p = presentation();
        p.charts = vec![chart("a", "#111111"), chart("b", "#111111")];
        assert!(p.check().expect_err("one colour twice").contains("#111111"));
        p.charts = vec![chart("a", "#111111"), chart("a", "#222222")];
        assert!(p.check().expect_err("one id twice").contains("`a`"));
    }
}
