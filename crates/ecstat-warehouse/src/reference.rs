//! Reference tables (`pipelines/reference.toml`): division codes, the category map, the
//! shop register. Read from CSV with declared column types, never inferred: codes such as
//! 350524100000 must stay text.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::Deserialize;

use crate::Result;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceFile {
    #[serde(rename = "table")]
    pub tables: Vec<ReferenceTable>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceTable {
    /// Table name, `ref_*`.
    pub name: String,
    pub description: String,
    /// CSV file (UTF-8, header row) relative to the reference directory.
    pub file: String,
    pub columns: Vec<ReferenceColumn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ReferenceType,
    pub description: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceType {
    Text,
    Integer,
    Boolean,
}

impl ReferenceTable {
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| {
                    let ty = match c.kind {
                        ReferenceType::Text => DataType::Utf8,
                        ReferenceType::Integer => DataType::Int64,
                        ReferenceType::Boolean => DataType::Boolean,
                    };
                    Field::new(&c.name, ty, true)
                })
                .collect::<Vec<_>>(),
        ))
    }

    pub fn path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.file)
    }
}

/// Load `reference.toml`.
pub fn load(path: &Path) -> Result<Vec<ReferenceTable>> {
    let file: ReferenceFile = ecstat_core::config::load_toml(path)?;
    Ok(file.tables)
}
