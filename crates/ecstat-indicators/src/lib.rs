//! The indicator catalogue (`pipelines/indicators.toml`) and its computation: every
//! indicator's monthly values become yearly, monthly and year-to-date values, YoY growth
//! and growth against the baseline year, each judged against its target, in one long
//! table `ind_results` (indicator × measure × period × dimension × member), with the
//! disclosure control its published cells need.

mod catalogue;
mod compute;
pub mod disclosure;
mod sql;

pub use catalogue::{
    Aggregate, CalendarSource, Catalogue, Comparison, DisclosurePolicy, Indicator, Measure, Ratio,
    Target,
};
pub use compute::{Inputs, compute, contributions_sql};
pub use sql::{RESULT_COLUMNS, Steps, base_sql, indicator_sql};

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

/// The columns of `ind_results` as published: a suppressed cell (`disclosure` set) shows
/// no value, base value or attainment — marked, never zeroed.
pub const PUBLISHED_COLUMNS: &str = "indicator_code, indicator_name_zh, indicator_name_en, measure, measure_name_zh, unit, \
period_type, period, dimension, member, member_name, \
CASE WHEN disclosure IS NULL THEN value END AS value, base_period, \
CASE WHEN disclosure IS NULL THEN base_value END AS base_value, target, comparison, target_upper, \
CASE WHEN disclosure IS NULL THEN attainment_pct END AS attainment_pct, status, note, months_covered, \
contributors, disclosure, snapshot_version, data_as_of";
