//! The operations of ecstat as library calls: the nightly run, `build --select`, validate
//! and export, each with an options struct and a typed report. The command line, a web
//! service or a cluster driver call these; none of them prints.
//!
//! WORK IN PROGRESS (issue 21): the modules below are moved out of `ecstat-cli`; the
//! operations (`operations/run.rs`, `operations/build.rs`) and the CLI's switch to them
//! are not written yet, so the workspace does not build at this commit.

pub mod cells;
pub mod definitions;
pub mod error;
pub mod exports;
pub mod failpoint;
pub mod figures;
pub mod intake;
pub mod lineage;
pub mod progress;
pub mod project;
pub mod snapshot;

pub use error::{ErrorKind, PipelineError, Result};
