//! Writing one file's staged rows as Parquet partitioned by a value (the order month, or a
//! records source's `_key`), with the writers' buffers bounded.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::SchemaRef;
use ecstat_lake::DataDir;
use parquet::arrow::ArrowWriter;
use sha2::Digest;

use crate::staged::{self, parquet_props};
use crate::{IngestError, Result};

/// Bytes a partition's Parquet writer may buffer before it writes out a row group.
pub(crate) const PARTITION_WRITER_BUFFER: usize = 8 * 1024 * 1024;
/// Bytes all of a file's partition writers may buffer together: a month already passed
/// keeps its last rows buffered until the file ends, and a file spans many months.
pub(crate) const PARTITION_WRITERS_BUFFER: usize = 48 * 1024 * 1024;

/// Open writers of one file, by partition value (order month, or a records `_key`).
pub(crate) type Partitions = BTreeMap<
    String,
    (
        ecstat_lake::PendingFile,
        ArrowWriter<std::io::BufWriter<std::fs::File>>,
    ),
>;

pub(crate) struct Partitioning<'a> {
    pub(crate) table: &'a str,
    pub(crate) source: &'a str,
    pub(crate) file_id: &'a str,
    /// Column of the batch holding the partition value.
    pub(crate) column: &'a str,
    /// Name of the partition in the path: `staged/TABLE/LABEL=VALUE/…`.
    pub(crate) label: &'a str,
    /// Layout written (the partition column is dropped unless the layout has it).
    pub(crate) schema: &'a SchemaRef,
}

/// A partition value as a path segment: safe characters kept, anything else hashed.
pub(crate) fn partition_segment(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        value.to_string()
    } else {
        let digest = sha2::Sha256::digest(value.as_bytes());
        format!("h{}", &hex::encode(digest)[..16])
    }
}

pub(crate) fn write_partitioned(
    data_dir: &DataDir,
    how: &Partitioning<'_>,
    batch: &RecordBatch,
    partitions: &mut Partitions,
    path: &Path,
) -> Result<()> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    let lake = |source| IngestError::lake(path, source);
    let pq = |source| IngestError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let values = batch
        .column_by_name(how.column)
        .and_then(|c| c.as_string_opt::<i32>().cloned())
        .ok_or_else(|| IngestError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!("{} missing", how.column)),
        })?;
    // A batch of an export in time order (either way) is usually all of one month; one in
    // no order holds rows of every month, gathered in one pass over the values.
    let whole = values.null_count() == 0 && {
        let first = values.value(0);
        (1..values.len()).all(|i| values.value(i) == first)
    };
    let groups: Vec<(&str, Vec<u32>)> = if whole {
        vec![(values.value(0), Vec::new())]
    } else {
        let mut groups: Vec<(&str, Vec<u32>)> = Vec::new();
        let mut at = 0;
        for (i, value) in values.iter().enumerate() {
            let Some(value) = value else { continue };
            // Runs of one value are common even in a mixed batch, and a file has tens of
            // months: the group of the row before, else a look along the few groups.
            if groups.get(at).is_none_or(|(v, _)| *v != value) {
                at = match groups.iter().position(|(v, _)| *v == value) {
                    Some(found) => found,
                    None => {
                        groups.push((value, Vec::new()));
                        groups.len() - 1
                    }
                };
            }
            groups[at].1.push(i as u32);
        }
        groups
    };
    for (value, rows) in groups {
        let part = if whole {
            batch.clone()
        } else {
            let indices = UInt32Array::from(rows);
            take_record_batch(batch, &indices).map_err(|e| pq(e.into()))?
        };
        let part = staged::project(&part, how.schema).map_err(|e| pq(e.into()))?;
        if !partitions.contains_key(value) {
            let relative = format!(
                "staged/{}/{}={}/{}-{}.parquet",
                how.table,
                how.label,
                partition_segment(value),
                how.source,
                how.file_id
            );
            let mut pending = data_dir.create(&relative).map_err(lake)?;
            let Some(file) = pending.take_writer() else {
                return Err(lake(ecstat_lake::LakeError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other("writer taken"),
                }));
            };
            let writer = ArrowWriter::try_new(file, how.schema.clone(), Some(parquet_props()))
                .map_err(pq)?;
            partitions.insert(value.to_string(), (pending, writer));
        }
        if let Some((_, writer)) = partitions.get_mut(value) {
            writer.write(&part).map_err(pq)?;
            // One writer per partition is open at once: cap what each buffers, so a file
            // spanning three years holds megabytes, not its whole content, in memory.
            if writer.memory_size() > PARTITION_WRITER_BUFFER {
                writer.flush().map_err(pq)?;
            }
        }
    }
    // All writers together: the one holding most writes out a row group, until under the cap.
    for _ in 0..partitions.len() {
        let total: usize = partitions.values().map(|(_, w)| w.memory_size()).sum();
        let fullest = partitions
            .values_mut()
            .map(|(_, w)| w)
            .max_by_key(|w| w.memory_size());
        match fullest {
            Some(writer) if total > PARTITION_WRITERS_BUFFER => writer.flush().map_err(pq)?,
            _ => break,
        }
    }
    Ok(())
}
