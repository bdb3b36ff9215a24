//! The query engine every stage of ecstat runs on: a DataFusion session with ecstat's
//! settings, its memory limit and spilling set through [`EngineBuilder`], and the layouts
//! ([`layouts`]) of the tables ingest stages and the warehouse reads, with the Parquet
//! settings of every file written. Functions are registered by the crates that own them
//! (ingest's parsing and share functions: `ecstat_ingest::register_functions`).

pub mod layouts;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::error::Result;
use datafusion::execution::config::SessionConfig;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::SessionContext;

/// How to build an [`Engine`]: `EngineBuilder::new().memory_limit(2 << 30).build()`.
#[derive(Debug, Clone, Default)]
pub struct EngineBuilder {
    memory_limit: Option<usize>,
    spill_dir: Option<PathBuf>,
}

impl EngineBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes DataFusion may hold before sorts, joins and aggregations spill to disk (a
    /// query that cannot spill then fails with "resources exhausted" instead of the
    /// process being killed). Default: [`default_memory_limit`].
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Folder for spill files. Default: the system's temporary folder.
    pub fn spill_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spill_dir = Some(dir.into());
        self
    }

    pub fn build(self) -> Result<Engine> {
        let memory_limit = self.memory_limit.unwrap_or_else(default_memory_limit);
        // The pool is shared fairly between the operators that can spill.
        let mut runtime =
            RuntimeEnvBuilder::new().with_memory_pool(Arc::new(FairSpillPool::new(memory_limit)));
        if let Some(dir) = self.spill_dir.clone() {
            runtime = runtime.with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Directories(vec![dir])),
            );
        }
        Ok(Engine {
            runtime: runtime.build_arc()?,
            memory_limit,
            spill_dir: self.spill_dir.unwrap_or_else(std::env::temp_dir),
        })
    }
}

/// The runtime sessions share: one memory pool and spill folder for all the work of a
/// process (or of one operation, when built for it).
#[derive(Clone)]
pub struct Engine {
    runtime: Arc<RuntimeEnv>,
    memory_limit: usize,
    spill_dir: PathBuf,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("memory_limit", &self.memory_limit)
            .finish()
    }
}

impl Default for Engine {
    /// The default limit, spilling to the temporary folder.
    fn default() -> Self {
        EngineBuilder::new()
            .build()
            .unwrap_or_else(|_| Self::unlimited())
    }
}

impl Engine {
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    /// DataFusion's own runtime, for a machine where the pool cannot be set up.
    fn unlimited() -> Self {
        tracing::warn!("memory limit not applied");
        Self {
            runtime: Arc::new(RuntimeEnv::default()),
            memory_limit: usize::MAX,
            spill_dir: std::env::temp_dir(),
        }
    }

    pub fn memory_limit(&self) -> usize {
        self.memory_limit
    }

    /// The folder spill files go to, DataFusion's and ecstat's own (ingest's line ledger).
    pub fn spill_dir(&self) -> &Path {
        &self.spill_dir
    }

    /// A session with ecstat's settings, on this engine's memory pool:
    ///
    /// - time zone UTC: stored times are naive Asia/Shanghai wall clock and must never be
    ///   shifted;
    /// - plain `Utf8` strings rather than views, so every Parquet file we write has one
    ///   string type that Polars, DuckDB and Spark read alike;
    /// - `information_schema` for the shell's completion and `describe`.
    pub fn session(&self) -> SessionContext {
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
        SessionContext::new_with_config_rt(config, self.runtime.clone())
    }
}

/// The limit when none is set: half of the machine's memory (4 GiB when unknown).
pub fn default_memory_limit() -> usize {
    machine_memory().map_or(4 << 30, |bytes| bytes / 2)
}

/// The machine's memory in bytes, from /proc/meminfo.
pub fn machine_memory() -> Option<usize> {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<usize>().ok())
                .map(|kb| kb * 1024)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    use datafusion::execution::memory_pool::MemoryConsumer;

    #[test]
    fn memory_beyond_the_limit_is_refused_and_sessions_share_the_pool() {
        let engine = Engine::builder()
            .memory_limit(64 << 20)
            .build()
            .expect("engine");
        assert_eq!(engine.memory_limit(), 64 << 20);
        let ctx = engine.session();
        assert_eq!(
            ctx.state()
                .config()
                .options()
                .execution
                .time_zone
                .as_deref(),
            Some("UTC")
        );
        // The pool refuses what is beyond the limit, so an operator that cannot spill
        // fails cleanly instead of the process growing without bound.
        let pool = &ctx.runtime_env().memory_pool;
        let reservation = MemoryConsumer::new("test").register(pool);
        reservation.try_grow(32 << 20).expect("within the limit");
        let error = reservation
            .try_grow(40 << 20)
            .expect_err("beyond the limit");
        assert!(error.to_string().contains("Resources exhausted"), "{error}");
        reservation.free();
        // A second session draws on the same pool.
        assert!(Arc::ptr_eq(
            &engine.session().runtime_env(),
            &ctx.runtime_env()
        ));
    }
}
