//! The DataFusion session every ecstat stage runs in, configured once.

use std::sync::{Arc, OnceLock};

use datafusion::execution::config::SessionConfig;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionContext;

/// How much memory DataFusion may hold before sorts, joins and aggregations spill to
/// disk (or a query that cannot spill fails with "resources exhausted" instead of the
/// process being killed). Set once at start-up; every session of the process uses it.
static MEMORY_LIMIT: OnceLock<usize> = OnceLock::new();

/// Set the memory limit of every session of this process (bytes). The first call wins.
pub fn set_memory_limit(bytes: usize) {
    let _ = MEMORY_LIMIT.set(bytes);
}

/// The limit when none is set: half of the machine's memory (4 GiB when unknown).
pub fn default_memory_limit() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<usize>().ok())
        })
        .map_or(4 << 30, |kb| kb * 1024 / 2)
}

/// A session with ecstat's settings and functions.
///
/// - time zone UTC: stored times are naive Asia/Shanghai wall clock and must never be shifted;
/// - the process's memory limit ([`set_memory_limit`]), spilling beyond it;
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
    let limit = *MEMORY_LIMIT.get_or_init(default_memory_limit);
    // Spill files go to the system's temp folder; the pool is shared fairly between the
    // operators that can spill.
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(
            datafusion::execution::memory_pool::FairSpillPool::new(limit),
        ))
        .build_arc();
    let ctx = match runtime {
        Ok(runtime) => SessionContext::new_with_config_rt(config, runtime),
        Err(e) => {
            tracing::warn!("memory limit not applied: {e}");
            SessionContext::new_with_config(config)
        }
    };
    crate::udf::register(&ctx);
    ctx
}
