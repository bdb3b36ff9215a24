//! Shared vocabulary of ecstat: how raw text becomes amounts, times and codes, and what a
//! source spec says. Nothing here touches Arrow or DataFusion, so every rule can be unit
//! tested in isolation and reused by the ingest UDFs and the tests alike.

pub mod amount;
pub mod config;
pub mod datetime;
pub mod division;
pub mod encoding;
pub mod error;
pub mod id_number;
pub mod programme;
pub mod spec;
pub mod sql;
pub mod text;
pub mod uscc;
pub mod values;

pub use error::{CoreError, Result};
