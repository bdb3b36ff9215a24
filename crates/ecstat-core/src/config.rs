//! Reading the pipeline's TOML files, with the file named in every error. Specs use
//! `deny_unknown_fields`, so a typo fails here with the file and the key.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::{CoreError, Result};

/// Read and parse one TOML file.
pub fn load_toml<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| CoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| CoreError::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
