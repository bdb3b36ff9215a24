//! Snapshots: `_manifests/v00000001.json`, … Each lists every file of every table and every
//! input file that fed them. The highest published version is the current snapshot.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::durable::PendingFile;
use crate::{LakeError, Result, io_err};

/// One input file as a run saw it. `sha256` identifies it: the same bytes are ingested once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InputRecord {
    /// Source spec name.
    pub source: String,
    /// Path relative to the inbox (lossy UTF-8 for display; the hash is the identity).
    pub path: String,
    pub sha256: String,
    /// `SourceSpec::fingerprint` of the spec it was read with.
    pub spec_fingerprint: String,
    /// What else decided how it was read (reference values, ID salt): see
    /// `IngestEnv::fingerprint_for`.
    #[serde(default)]
    pub env_fingerprint: String,
    pub bytes: u64,
    /// Text encoding detected, or `xlsx`.
    pub encoding: String,
    /// Rows between header and footer: `rows_staged + rows_quarantined`.
    pub rows_read: u64,
    pub rows_staged: u64,
    pub rows_quarantined: u64,
    /// Blank rows and footer rows (合计, 制表人, …) that hold no data.
    pub rows_skipped: u64,
    /// Rows loaded with a warning (listed in the quarantine with severity `warn`).
    #[serde(default)]
    pub rows_warned: u64,
    /// Things the bureau should know about how the file was read (a header found away from
    /// the spec's row, …); the file was read.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Set when the whole file was rejected; then it has no rows.
    pub error: Option<String>,
    /// Staged table → data-directory-relative files.
    pub staged_files: BTreeMap<String, Vec<String>>,
    pub quarantine_files: Vec<String>,
    /// Run that ingested it.
    pub run_id: String,
    /// Run that first received these bytes (kept when a changed spec re-reads the file):
    /// of two submissions for the same (source, period), the later received wins.
    #[serde(default)]
    pub received: String,
    /// Whether its staged partitions replace those of earlier submissions of the source
    /// (records sources); order exports are reconciled line by line instead.
    #[serde(default)]
    pub replaces: bool,
    /// Kept from an earlier snapshot because the file now at its path was rejected: read
    /// under the spec and reference of back then, until an acceptable file arrives.
    #[serde(default)]
    pub carried: bool,
    /// The file's size, times and inode when it was hashed: a later run that finds the same
    /// stamp at the same path takes the file to hold the same bytes and does not hash it
    /// again (`ecstat run --rehash` does). None when the file was still being written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp: Option<FileStamp>,
    /// An order export's own totals, for the bureau to compare with the platform's 对账
    /// figures: what this file alone says, before lines repeated in other files are
    /// resolved. None for records, and for files read before ecstat counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<Reconciliation>,
}

/// The staged lines of one order export, summed: lines, distinct orders, distinct orders
/// with a completed line, and the 网络零售额 of the file (goods − refunds of completed and
/// refunded lines, postage excluded), in fen.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Reconciliation {
    pub lines: u64,
    pub orders: u64,
    pub completed_orders: u64,
    pub sales_fen: i64,
    /// The latest order time of its lines (µs since 1970-01-01, naive Asia/Shanghai): how
    /// far the export reaches. Of two exports read in one run, the one reaching later is
    /// the later export, whatever the files are called.
    #[serde(default)]
    pub latest_order_time: Option<i64>,
}

/// What `stat` says of a file, the way git's index and rsync's quick check know a file
/// unchanged without reading it: size, modification and status-change times to the
/// nanosecond, inode and device. The status-change time cannot be set back by a user, so
/// a file rewritten and given its old modification time still gets a new stamp.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileStamp {
    pub bytes: u64,
    pub modified_ns: i128,
    pub changed_ns: i128,
    pub inode: u64,
    pub device: u64,
}

impl FileStamp {
    /// The stamp of `meta`; None where the platform has no inode or change time.
    pub fn of(meta: &std::fs::Metadata) -> Option<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ns = |secs: i64, nanos: i64| i128::from(secs) * 1_000_000_000 + i128::from(nanos);
            Some(Self {
                bytes: meta.len(),
                modified_ns: ns(meta.mtime(), meta.mtime_nsec()),
                changed_ns: ns(meta.ctime(), meta.ctime_nsec()),
                inode: meta.ino(),
                device: meta.dev(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }

    /// Whether the file was last touched at least a second before `instant` (ns since the
    /// Unix epoch): a write in the same clock tick as a hash could leave the stamp as it
    /// was with other bytes, so a stamp younger than that is not trusted (git's "racy"
    /// entries).
    pub fn settled_before(&self, instant_ns: i128) -> bool {
        self.modified_ns.max(self.changed_ns) + 1_000_000_000 <= instant_ns
    }
}

impl InputRecord {
    /// A file rejected whole before any of it was read (no rows, no files).
    pub fn rejected(source: &str, path: &str, sha256: &str, error: String, run_id: &str) -> Self {
        InputRecord {
            source: source.to_string(),
            path: path.to_string(),
            sha256: sha256.to_string(),
            spec_fingerprint: String::new(),
            env_fingerprint: String::new(),
            bytes: 0,
            encoding: String::new(),
            rows_read: 0,
            rows_staged: 0,
            rows_quarantined: 0,
            rows_skipped: 0,
            rows_warned: 0,
            notes: Vec::new(),
            error: Some(error),
            staged_files: BTreeMap::new(),
            quarantine_files: Vec::new(),
            run_id: run_id.to_string(),
            received: run_id.to_string(),
            replaces: false,
            carried: false,
            stamp: None,
            reconciliation: None,
        }
    }
}

/// A published snapshot.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub version: u64,
    pub run_id: String,
    /// UTC, RFC 3339.
    pub created_at: String,
    /// Latest order month seen in the data (数据截至), `YYYY-MM`.
    pub data_as_of: Option<String>,
    pub inputs: Vec<InputRecord>,
    /// Warehouse table → data-directory-relative files.
    pub tables: BTreeMap<String, Vec<String>>,
    /// SHA-256 of everything the snapshot was computed from: the inputs (content, spec,
    /// reference values) and the pipeline (models, catalogue, reference files, ecstat's
    /// version). A run that finds the same fingerprint has nothing to do.
    #[serde(default)]
    pub fingerprint: String,
    /// Tables with enterprise- or person-level rows (统计法): writing them out needs an
    /// explicit flag.
    #[serde(default)]
    pub confidential: Vec<String>,
    /// Models built one month at a time (`partition_by` in the model doc): model → month →
    /// the partition's file, the key it was built under, and its test findings. A later run
    /// reuses a partition whose key is unchanged instead of building it again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partitions: BTreeMap<String, BTreeMap<String, PartitionRecord>>,
    /// Models built whole (not partitioned): model → its file, the key it was built under
    /// and its test findings. A later run reuses a model whose key is unchanged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub models: BTreeMap<String, PartitionRecord>,
}

/// What one build of a model wrote: a month of a partitioned model, or the whole of a
/// model built whole.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartitionRecord {
    /// SHA-256 of everything the output was computed from: the model's SQL and tests, the
    /// files of the month of each partitioned table it reads, and every other table read.
    pub key: String,
    /// Of a model built whole: SHA-256 of its tests and of the tables they read, when its
    /// findings were found. A reused model whose tests' key is unchanged reports them again.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tests_key: String,
    /// Data-directory-relative Parquet file.
    pub file: String,
    pub rows: u64,
    /// Tests of the model that failed on this month (warnings, in a published snapshot):
    /// reported again when the partition is reused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<PartitionFinding>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartitionFinding {
    pub test: String,
    pub failing_rows: u64,
    pub warning: bool,
    pub sample: String,
}

impl Manifest {
    /// Every data file the snapshot references: tables, staged and quarantine files.
    pub fn files(&self) -> std::collections::BTreeSet<&str> {
        let mut out: std::collections::BTreeSet<&str> =
            self.tables.values().flatten().map(String::as_str).collect();
        out.extend(
            self.partitions
                .values()
                .flat_map(|months| months.values())
                .map(|p| p.file.as_str()),
        );
        out.extend(self.models.values().map(|m| m.file.as_str()));
        for input in &self.inputs {
            out.extend(input.staged_files.values().flatten().map(String::as_str));
            out.extend(input.quarantine_files.iter().map(String::as_str));
        }
        out
    }
}

/// The staged files of `table` that the snapshot reads, in input order.
///
/// For inputs that replace (records sources), each (source, partition) is read from one
/// submission only: the one received last (ties: the later path). The earlier submission's
/// files stay in the manifest's input list — and in earlier snapshots — but are not read.
pub fn staged_files(inputs: &[InputRecord], table: &str) -> Vec<String> {
    let current = current_submissions(inputs);
    inputs
        .iter()
        .enumerate()
        .flat_map(|(index, input)| {
            let current = &current;
            input
                .staged_files
                .get(table)
                .into_iter()
                .flatten()
                .filter(move |file| {
                    !input.replaces
                        || current.get(&(input.source.as_str(), partition_of(file))) == Some(&index)
                })
                .cloned()
        })
        .collect()
}

/// For each (source, partition) of replacing inputs, the index of the input that wins.
fn current_submissions(inputs: &[InputRecord]) -> BTreeMap<(&str, &str), usize> {
    let mut order: Vec<usize> = (0..inputs.len())
        .filter(|&i| inputs[i].replaces && inputs[i].error.is_none())
        .collect();
    order.sort_by(|&a, &b| {
        let rank = |i: usize| {
            let input = &inputs[i];
            (&input.received, is_revision(&input.path), &input.path)
        };
        rank(a).cmp(&rank(b))
    });
    let mut current = BTreeMap::new();
    for index in order {
        let input = &inputs[index];
        for file in input.staged_files.values().flatten() {
            current.insert((input.source.as_str(), partition_of(file)), index);
        }
    }
    current
}

/// Words by which a department marks a corrected resubmission in its file name.
pub const REVISION_MARKERS: &[&str] = &["更正", "修正", "修订", "补正", "更新"];

/// Whether a file name says it corrects an earlier submission. Of two files received in
/// the same run for the same key, the one so marked wins whatever the names' sort order
/// (`…(更正).xlsx` sorts before `….xlsx`); otherwise the later name wins.
fn is_revision(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    REVISION_MARKERS.iter().any(|m| name.contains(m))
}

/// The partition segment (`key=…`, `month=…`) of a staged file path.
pub fn partition_of(file: &str) -> &str {
    file.split('/').find(|s| s.contains('=')).unwrap_or("")
}

/// The month of a file in a `month=YYYY-MM` folder (`staged/orders/month=2019-03/….parquet`).
pub fn month_of(file: &str) -> Option<&str> {
    file.split('/').find_map(|s| s.strip_prefix("month="))
}

/// Partitions of `input` that a later submission replaces: (partition, winning file path).
pub fn superseded(inputs: &[InputRecord]) -> Vec<(usize, String, String)> {
    let current = current_submissions(inputs);
    let mut out = Vec::new();
    for (index, input) in inputs.iter().enumerate().filter(|(_, i)| i.replaces) {
        for file in input.staged_files.values().flatten() {
            let partition = partition_of(file);
            if let Some(&winner) = current.get(&(input.source.as_str(), partition))
                && winner != index
            {
                out.push((index, partition.to_string(), inputs[winner].path.clone()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The quarantine files of the snapshot, in input order: those of every input except a
/// submission whose every partition a later one replaced (its problems were corrected or
/// superseded; they stay in the earlier snapshots).
pub fn quarantine_files(inputs: &[InputRecord]) -> Vec<String> {
    let current = current_submissions(inputs);
    inputs
        .iter()
        .enumerate()
        .filter(|(index, input)| {
            let partitions: Vec<&str> = input
                .staged_files
                .values()
                .flatten()
                .map(|f| partition_of(f))
                .collect();
            !input.replaces
                || partitions.is_empty()
                || partitions
                    .iter()
                    .any(|p| current.get(&(input.source.as_str(), *p)) == Some(index))
        })
        .flat_map(|(_, i)| i.quarantine_files.iter().cloned())
        .collect()
}

fn file_name(version: u64) -> String {
    format!("v{version:08}.json")
}

/// The published versions, oldest first, with their manifest paths.
pub(crate) fn versions(root: &Path) -> Result<Vec<(u64, std::path::PathBuf)>> {
    let dir = root.join("_manifests");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(&dir))?;
        let name = entry.file_name();
        if let Some(version) = name
            .to_str()
            .and_then(|n| n.strip_prefix('v'))
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            out.push((version, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

pub(crate) fn read(path: &Path) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text).map_err(|e| LakeError::CorruptManifest {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

pub(crate) fn latest(root: &Path) -> Result<Option<Manifest>> {
    match versions(root)?.pop() {
        Some((_, path)) => read(&path).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn publish(root: &Path, manifest: &Manifest) -> Result<()> {
    let relative = format!("_manifests/{}", file_name(manifest.version));
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| LakeError::CorruptManifest {
        path: root.join(&relative),
        message: e.to_string(),
    })?;
    // Publishing is the hard link: it fails if another run took this version first.
    PendingFile::create(root, &relative)?.write_all_exclusive(&json, manifest.version)?;
    Ok(())
}

#[cfg(test)]
mod replacement_tests {
    use super::*;

    fn input(source: &str, path: &str, received: &str, files: &[&str]) -> InputRecord {
        let mut record = InputRecord::rejected(source, path, path, String::new(), received);
        record.error = None;
        record.replaces = true;
        record
            .staged_files
            .insert("t".into(), files.iter().map(|f| f.to_string()).collect());
        record
    }

    #[test]
    fn a_later_submission_replaces_only_the_partitions_it_covers() {
        let q2 = input(
            "s",
            "q2.xlsx",
            "run-1",
            &[
                "staged/t/key=2019-04/s-a.parquet",
                "staged/t/key=2019-05/s-a.parquet",
            ],
        );
        let fix = input(
            "s",
            "q2_fix.xlsx",
            "run-2",
            &["staged/t/key=2019-05/s-b.parquet"],
        );
        // Same partition of another source: untouched.
        let other = input(
            "o",
            "o.xlsx",
            "run-1",
            &["staged/t/key=2019-05/o-c.parquet"],
        );
        let inputs = vec![fix.clone(), q2.clone(), other];
        assert_eq!(
            staged_files(&inputs, "t"),
            vec![
                "staged/t/key=2019-05/s-b.parquet",
                "staged/t/key=2019-04/s-a.parquet",
                "staged/t/key=2019-05/o-c.parquet",
            ]
        );
        assert_eq!(
            superseded(&inputs),
            vec![(1, "key=2019-05".to_string(), "q2_fix.xlsx".to_string())]
        );
        // Received in the same run: a name marked as a correction wins, whatever the sort
        // order of the names; else the later path.
        let marked = vec![
            input("s", "q2.xlsx", "run-1", &["staged/t/key=q2/s-a.parquet"]),
            input(
                "s",
                "q2(更正).xlsx",
                "run-1",
                &["staged/t/key=q2/s-b.parquet"],
            ),
        ];
        assert_eq!(
            staged_files(&marked, "t"),
            vec!["staged/t/key=q2/s-b.parquet"]
        );
        // Otherwise the later path wins.
        let same_run = vec![
            input("s", "b.xlsx", "run-1", &["staged/t/key=all/s-b.parquet"]),
            input("s", "a.xlsx", "run-1", &["staged/t/key=all/s-a.parquet"]),
        ];
        assert_eq!(
            staged_files(&same_run, "t"),
            vec!["staged/t/key=all/s-b.parquet"]
        );
        // Order exports do not replace: every file is read.
        let mut orders = vec![q2, fix];
        orders.iter_mut().for_each(|i| i.replaces = false);
        assert_eq!(staged_files(&orders, "t").len(), 3);
    }
}
