//! The operations of ecstat as library calls: the nightly run, `build --select`, validate
//! and export, each with an options struct and a typed report. The command line, a web
//! service or a cluster driver call these; none of them prints.
//!
//!
//! The operations are in [`operations`]; the modules beside it are their parts, each
//! usable on its own: the project file, the pipeline folder ([`definitions`]), the intake
//! decisions, snapshot assembly, the figures and their lineage, and the exports.

pub mod cells;
pub mod definitions;
pub mod error;
pub mod exports;
pub mod failpoint;
pub mod figures;
pub mod intake;
pub mod lineage;
pub mod operations;
pub mod progress;
pub mod project;
pub mod reference_pages;
pub mod snapshot;
pub mod table_docs;

pub use error::{ErrorKind, PipelineError, Result};

/// The exit codes of the command line, which the run records (`_runs/*.json`) also hold.
pub mod exit {
    pub const OK: u8 = 0;
    /// An input file was rejected whole, or a model test failed and the snapshot was withheld.
    pub const CHECKS_FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INPUT: u8 = 3;
    pub const INTERNAL: u8 = 4;
    /// Another run holds the data directory's lock.
    pub const LOCKED: u8 = 5;
}
