//! The DataFusion session every ecstat stage runs in, configured once.

use datafusion::execution::config::SessionConfig;
use datafusion::prelude::SessionContext;

/// A session with ecstat's settings and functions.
///
/// - time zone UTC: stored times are naive Asia/Shanghai wall clock and must never be shifted;
/// - plain `Utf8` strings rather than views, so every Parquet file we write has one string
///   type that Polars, DuckDB and Spark read alike.
pub fn session() -> SessionContext {
    let mut config = SessionConfig::new()
        .with_information_schema(true)
        .set_str("datafusion.execution.time_zone", "UTC")
        .set_bool("datafusion.sql_parser.map_string_types_to_utf8view", false)
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        )
        .set_bool("datafusion.catalog.create_default_catalog_and_schema", true);
    config.options_mut().sql_parser.enable_ident_normalization = true;
    let ctx = SessionContext::new_with_config(config);
    crate::udf::register(&ctx);
    ctx
}
