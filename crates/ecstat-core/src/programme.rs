//! The programme a deployment measures: which county, the baseline year growth targets
//! compare against, and the programme's years. Set in the project file (`ecstat.toml`,
//! `[programme]`); the warehouse publishes it as the table `cfg_programme`, which models
//! read instead of writing the county's code into their SQL.

use serde::{Deserialize, Serialize};

/// `[programme]` of the project file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Programme {
    /// 12-digit division code of the county (统计用区划代码), e.g. `350524000000` for 安溪县.
    pub county_code: String,
    /// The county's name, as the reports print it.
    pub county_name: String,
    /// The year before the programme (plan §三): growth targets `vs_baseline_pct` compare
    /// against it.
    pub baseline_year: i32,
    /// First and last year of the programme, `[2018, 2019]`: targets over the programme
    /// (2000 new entities, 5000 person-times) are judged on the sum from the first year's
    /// January (`programme_total`).
    pub programme_years: [i32; 2],
}

impl Programme {
    pub fn first_year(&self) -> i32 {
        self.programme_years[0]
    }

    pub fn last_year(&self) -> i32 {
        self.programme_years[1]
    }

    /// The rules a programme must keep: a 12-digit county code (its last six digits zero:
    /// a county, not a township), a name, and years in order after the baseline.
    /// The message says which key is wrong and how.
    pub fn check(&self) -> Result<(), String> {
        let bad = |message: String| Err(message);
        let code = &self.county_code;
        if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return bad(format!(
                "programme.county_code `{code}`: a 12-digit division code such as 350524000000"
            ));
        }
        if !code.ends_with("000000") || code.ends_with("00000000") {
            return bad(format!(
                "programme.county_code `{code}` is not a county's code (a county's code ends in \
                 six zeros, a prefecture's in eight)"
            ));
        }
        if self.county_name.trim().is_empty() {
            return bad("programme.county_name is empty".into());
        }
        let [first, last] = self.programme_years;
        if first > last {
            return bad(format!(
                "programme.programme_years [{first}, {last}]: the first year comes first"
            ));
        }
        if self.baseline_year >= first {
            return bad(format!(
                "programme.baseline_year {} must come before the programme's first year {first}",
                self.baseline_year
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anxi() -> Programme {
        Programme {
            county_code: "350524000000".into(),
            county_name: "安溪县".into(),
            baseline_year: 2017,
            programme_years: [2018, 2019],
        }
    }

    #[test]
    fn a_county_with_ordered_years_passes() {
        anxi().check().expect("valid");
        assert_eq!((anxi().first_year(), anxi().last_year()), (2018, 2019));
    }

    #[test]
    fn a_township_prefecture_or_short_code_is_refused() {
        for code in ["350524102000", "350500000000", "350524", "35052400000x"] {
            let p = Programme {
                county_code: code.into(),
                ..anxi()
            };
            let err = p.check().expect_err(code);
            assert!(err.contains(code), "{err}");
        }
    }

    #[test]
    fn years_out_of_order_are_refused() {
        let late_baseline = Programme {
            baseline_year: 2018,
            ..anxi()
        };
        assert!(late_baseline.check().is_err());
        let backwards = Programme {
            programme_years: [2020, 2018],
            ..anxi()
        };
        assert!(backwards.check().is_err());
    }
}
