//! JSON: an array of records (or an object holding one), each record taken as raw text
//! one at a time, never as one tree, within a size bound.

use std::collections::HashSet;
use std::path::Path;

use ecstat_core::spec::Layout;
use serde_json::value::RawValue;

use super::{MAX_COLUMNS, MAX_JSON_BYTES, MAX_RECORD_BYTES, MAX_SHOWN_CHARS, Sink, UTF8_BOM, io};
use crate::error::clip;
use crate::json::{WalkError, for_each_record};
use crate::{IngestError, Result};

pub(super) fn read_json(path: &Path, spec: &Layout, sink: &mut Sink<'_>) -> Result<()> {
    let bad = |message: String| IngestError::Json {
        path: path.to_path_buf(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if meta.len() == 0 {
        return Err(IngestError::Empty {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > MAX_JSON_BYTES {
        return Err(IngestError::FileTooLarge {
            path: path.to_path_buf(),
            kind: "JSON",
            bytes: meta.len(),
            limit: MAX_JSON_BYTES,
            hint: "ask for the records a month at a time",
        });
    }
    let bytes = std::fs::read(path).map_err(io(path))?;
    let text = bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes);
    let pointer = spec.json_records.as_deref().unwrap_or("");
    let keys_path: Vec<&str> = pointer.split('.').filter(|k| !k.is_empty()).collect();
    let walk = |each: &mut crate::json::Each<'_, IngestError>| {
        for_each_record(text, &keys_path, each).map_err(|e| match e {
            // serde_json quotes a string of the wrong type whole.
            WalkError::Json(message) => bad(format!(
                "JSON 格式不符 / not JSON of the expected shape (records at `{pointer}`): {}",
                clip(&message, MAX_SHOWN_CHARS)
            )),
            WalkError::Each(e) => e,
        })
    };
    // The header is every key, in order of first appearance: a first pass over the records.
    let mut keys: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let (mut records, mut objects) = (0u64, 0u64);
    walk(&mut |index, raw| {
        records += 1;
        if let serde_json::Value::Object(object) = json_record(path, index, raw)? {
            objects += 1;
            for key in object.keys() {
                if !seen.contains(key) {
                    seen.insert(key.clone());
                    keys.push(key.clone());
                }
            }
            if keys.len() > MAX_COLUMNS {
                return Err(IngestError::TooManyFields {
                    path: path.to_path_buf(),
                    record: index + 1,
                    limit: MAX_COLUMNS,
                });
            }
        }
        Ok(true)
    })?;
    if records > 0 && objects == 0 {
        return Err(bad(format!(
            "记录不是键值对象 / none of the {records} records at `{pointer}` is an object of key/value pairs"
        )));
    }
    sink.encoding = "json";
    sink.header_row(&keys)?;
    walk(&mut |index, raw| {
        // Record numbers count from 1 like spreadsheet rows, the header being record 0.
        let cells: Vec<String> = match json_record(path, index, raw)? {
            serde_json::Value::Object(object) => keys
                .iter()
                .map(|k| match object.get(k) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect(),
            other => vec![other.to_string()],
        };
        sink.data_row(index + 1, cells.as_slice())
    })
}

/// Record `index` (0-based) of a JSON source, parsed on its own.
pub(super) fn json_record(path: &Path, index: u64, raw: &RawValue) -> Result<serde_json::Value> {
    if raw.get().len() as u64 > MAX_RECORD_BYTES {
        return Err(IngestError::RecordTooLong {
            path: path.to_path_buf(),
            record: index + 1,
            limit: MAX_RECORD_BYTES,
        });
    }
    serde_json::from_str(raw.get()).map_err(|e| IngestError::Json {
        path: path.to_path_buf(),
        message: format!("第{}条记录 / record {}: {e}", index + 1, index + 1),
    })
}
