//! The data directory (the lake): where staged, warehouse and quarantine files live, how a
//! set of them becomes a visible snapshot, and who may write.
//!
//! Data files are immutable and uniquely named. A snapshot is a manifest listing files; it
//! becomes visible only when published with create-if-absent (a hard link of a fully
//! written, fsynced temp file), so a crash at any point leaves the last good snapshot whole.

mod durable;
mod lock;
mod manifest;
mod runs;
mod vacuum;

use std::path::{Path, PathBuf};

pub use durable::{HashingReader, PendingFile, ReadHash, sha256_file, sync_dir};
pub use lock::{LockHolder, RunLock};
pub use manifest::{
    FileStamp, InputRecord, Manifest, PartitionFinding, PartitionRecord, Reconciliation, month_of,
    partition_of, quarantine_files, staged_files, superseded,
};
pub use runs::{InputStatus, RunCommand, RunInput, RunOutcome, RunSummary};
pub use vacuum::{Retain, VacuumReport};

/// Errors of the data directory.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: corrupt manifest: {message}")]
    CorruptManifest { path: PathBuf, message: String },
    #[error("data directory {root} is in use by another run: pid {} on {} since {} (run {}); try again when it has finished", .holder.pid, .holder.host, .holder.started_at, .holder.run_id)]
    Locked { root: PathBuf, holder: LockHolder },
    #[error(
        "snapshot {version} was published by another run meanwhile; nothing of this run became visible"
    )]
    Conflict { version: u64 },
    #[error("no snapshot in {root}: run `ecstat run` first")]
    NoSnapshot { root: PathBuf },
    #[error(
        "no snapshot {wanted} in {root}: `ecstat snapshots` lists them (give a version or a UTC time such as 2019-12-31T23:00:00Z)"
    )]
    NoSuchSnapshot { root: PathBuf, wanted: String },
}

pub type Result<T, E = LakeError> = std::result::Result<T, E>;

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LakeError + '_ {
    move |source| LakeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The top-level folders of a data directory.
pub const LAYOUT: &[&str] = &[
    "staged",
    "warehouse",
    "quarantine",
    "exports",
    "_manifests",
    "_runs",
];

/// An opened data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Open (creating if needed) the data directory at `root`.
    pub fn open(root: &Path) -> Result<Self> {
        for dir in LAYOUT {
            let path = root.join(dir);
            std::fs::create_dir_all(&path).map_err(io_err(&path))?;
        }
        let root = root.canonicalize().map_err(io_err(root))?;
        Ok(Self { root })
    }

    /// Open an existing data directory for reading; fails if it has no snapshot folder.
    pub fn open_existing(root: &Path) -> Result<Self> {
        let manifests = root.join("_manifests");
        if !manifests.is_dir() {
            return Err(LakeError::NoSnapshot {
                root: root.to_path_buf(),
            });
        }
        let root = root.canonicalize().map_err(io_err(root))?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Absolute path of a data-directory-relative path.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Take the run lock; fails at once with the holder when another live run has it.
    pub fn lock(&self, run_id: &str) -> Result<RunLock> {
        RunLock::acquire(&self.root, run_id)
    }

    /// Start writing a new immutable file at `relative` (a unique name).
    pub fn create(&self, relative: &str) -> Result<PendingFile> {
        PendingFile::create(&self.root, relative)
    }

    /// The newest published snapshot, if any.
    pub fn latest(&self) -> Result<Option<Manifest>> {
        manifest::latest(&self.root)
    }

    /// The newest snapshot, or an error telling the user to run first.
    pub fn current(&self) -> Result<Manifest> {
        self.latest()?.ok_or_else(|| LakeError::NoSnapshot {
            root: self.root.clone(),
        })
    }

    /// Every published snapshot, oldest first.
    pub fn snapshots(&self) -> Result<Vec<Manifest>> {
        manifest::versions(&self.root)?
            .iter()
            .map(|(_, path)| manifest::read(path))
            .collect()
    }

    /// The snapshot `wanted` names: a version number (`3`, `v3`), or a UTC time — the
    /// newest snapshot published at or before it (RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]`,
    /// a date meaning its end).
    pub fn as_of(&self, wanted: &str) -> Result<Manifest> {
        let missing = || LakeError::NoSuchSnapshot {
            root: self.root.clone(),
            wanted: wanted.to_string(),
        };
        let trimmed = wanted.trim();
        if let Ok(version) = trimmed.trim_start_matches(['v', 'V']).parse::<u64>() {
            let path = self.path(&format!("_manifests/v{version:08}.json"));
            return if path.is_file() {
                manifest::read(&path)
            } else {
                Err(missing())
            };
        }
        let at = parse_time(trimmed).ok_or_else(missing)?;
        let mut found = None;
        for (_, path) in manifest::versions(&self.root)? {
            let m = manifest::read(&path)?;
            if chrono::DateTime::parse_from_rfc3339(&m.created_at).is_ok_and(|c| c <= at) {
                found = Some(m);
            }
        }
        found.ok_or_else(missing)
    }

    /// The salt personal ID numbers are hashed with: `ECSTAT_ID_SALT` when set, else
    /// `_secrets/id_salt`, created once with 32 random bytes. The same salt on every run
    /// keeps a person's hash stable, so attendances can be counted per person; a hash
    /// cannot be reversed without the salt, which never leaves the data directory.
    pub fn id_salt(&self) -> Result<Vec<u8>> {
        if let Ok(salt) = std::env::var("ECSTAT_ID_SALT")
            && !salt.is_empty()
        {
            return Ok(salt.into_bytes());
        }
        let relative = "_secrets/id_salt";
        let path = self.path(relative);
        match std::fs::read(&path) {
            Ok(salt) if !salt.is_empty() => return Ok(salt),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&path)(e)),
        }
        let dir = self.path("_secrets");
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let mut salt = vec![0u8; 32];
        {
            use std::io::Read;
            let urandom = Path::new("/dev/urandom");
            std::fs::File::open(urandom)
                .and_then(|mut f| f.read_exact(&mut salt))
                .map_err(io_err(urandom))?;
        }
        let hex: String = salt.iter().map(|b| format!("{b:02x}")).collect();
        match self.create(relative)?.write_all(hex.as_bytes()) {
            Ok(_) => Ok(hex.into_bytes()),
            // Another process created it first: use theirs.
            Err(LakeError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                std::fs::read(&path).map_err(io_err(&path))
            }
            Err(e) => Err(e),
        }
    }

    /// Publish `manifest` as the next snapshot (create-if-absent).
    pub fn publish(&self, manifest: &Manifest) -> Result<()> {
        manifest::publish(&self.root, manifest)
    }
}

/// A UTC time as users write it: RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, or a date (its end).
pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| Utc.from_utc_datetime(&t))
}

/// A run id: UTC time and process id, sortable and unique per data directory.
pub fn new_run_id() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn a_file_hashed_on_two_threads_has_the_one_pass_digest() {
        use sha2::{Digest, Sha256};
        let dir = tempfile::tempdir().expect("tempdir");
        // Sizes around chunk boundaries (1 MiB) and past the three chunks in flight; bytes
        // that differ from chunk to chunk, so a chunk hashed twice or out of order shows.
        for len in [
            0usize,
            1,
            (4 << 20) - 1,
            4 << 20,
            (4 << 20) + 1,
            (9 << 20) + 12_345,
        ] {
            let bytes: Vec<u8> = (0..len)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect();
            let path = dir.path().join(format!("f{len}"));
            std::fs::write(&path, &bytes).expect("write");
            assert_eq!(
                sha256_file(&path).expect("hash"),
                hex::encode(Sha256::digest(&bytes)),
                "{len} bytes"
            );
        }
    }

    fn manifest(version: u64) -> Manifest {
        Manifest {
            version,
            run_id: format!("run-{version}"),
            created_at: "2019-01-01T00:00:00Z".into(),
            data_as_of: Some("2019-12".into()),
            inputs: vec![],
            tables: BTreeMap::from([(
                "t".to_string(),
                vec![format!("warehouse/t/run-{version}.parquet")],
            )]),
            fingerprint: String::new(),
            confidential: Vec::new(),
            partitions: BTreeMap::new(),
            models: BTreeMap::new(),
        }
    }

    #[test]
    fn snapshots_publish_once_and_the_highest_is_current() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let lake = DataDir::open(tmp.path())?;
        assert!(lake.latest()?.is_none());
        assert!(matches!(lake.current(), Err(LakeError::NoSnapshot { .. })));
        lake.publish(&manifest(1))?;
        lake.publish(&manifest(2))?;
        assert_eq!(lake.current()?, manifest(2));
        // A second publisher of version 2 loses, and version 2 is unchanged.
        let mut other = manifest(2);
        other.run_id = "intruder".into();
        assert!(matches!(
            lake.publish(&other),
            Err(LakeError::Conflict { version: 2 })
        ));
        assert_eq!(lake.current()?.run_id, "run-2");
        // No temp files are left behind.
        let leftovers: Vec<_> = std::fs::read_dir(lake.path("_manifests"))
            .map_err(io_err(tmp.path()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        Ok(())
    }

    #[test]
    fn as_of_finds_a_version_or_the_snapshot_current_at_a_time() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let lake = DataDir::open(tmp.path())?;
        for (version, at) in [(1, "2019-01-01T00:00:00Z"), (2, "2019-02-01T00:00:00Z")] {
            let mut m = manifest(version);
            m.created_at = at.into();
            lake.publish(&m)?;
        }
        assert_eq!(lake.as_of("1")?.version, 1);
        assert_eq!(lake.as_of("v2")?.version, 2);
        assert_eq!(lake.as_of("2019-01-15")?.version, 1);
        assert_eq!(lake.as_of("2019-02-01 00:00:00")?.version, 2);
        assert_eq!(lake.as_of("2019-03-01T08:00:00+08:00")?.version, 2);
        assert!(matches!(
            lake.as_of("2018-12-31"),
            Err(LakeError::NoSuchSnapshot { .. })
        ));
        assert!(matches!(
            lake.as_of("7"),
            Err(LakeError::NoSuchSnapshot { .. })
        ));
        assert!(matches!(
            lake.as_of("yesterday"),
            Err(LakeError::NoSuchSnapshot { .. })
        ));
        assert_eq!(lake.snapshots()?.len(), 2);
        Ok(())
    }

    #[test]
    fn vacuum_removes_only_what_no_kept_snapshot_references() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let lake = DataDir::open(tmp.path())?;
        // v1 and v2 share a staged file; each has its own table file.
        let shared = lake
            .create("staged/orders/month=2019-01/a.parquet")?
            .write_all(b"s")?;
        for version in 1..=3 {
            let file = lake
                .create(&format!("warehouse/t/run-{version}.parquet"))?
                .write_all(b"t")?;
            let mut m = manifest(version);
            m.tables.insert("t".into(), vec![file]);
            let mut input = InputRecord::rejected("s", "a.csv", "sha", String::new(), "r");
            input.error = None;
            if version < 3 {
                input
                    .staged_files
                    .insert("orders".into(), vec![shared.clone()]);
            }
            m.inputs.push(input);
            lake.publish(&m)?;
        }
        // A crashed run's leftovers: an unreferenced file and a temp file.
        let orphan = lake
            .create("warehouse/t/crashed.parquet")?
            .write_all(b"x")?;
        std::fs::write(lake.path("warehouse/t/.run-9.parquet.1.tmp"), b"x")
            .map_err(io_err(tmp.path()))?;
        let lock = lake.lock("vacuum")?;

        let dry = lake.vacuum(&lock, Retain::Newest(2), true)?;
        assert_eq!(dry.removed_versions, vec![1]);
        assert!(
            lake.path("_manifests/v00000001.json").exists(),
            "a dry run removes nothing"
        );

        let report = lake.vacuum(&lock, Retain::Newest(2), false)?;
        assert_eq!(report.kept_versions, vec![2, 3]);
        assert_eq!(report.removed_versions, vec![1]);
        let mut removed = report.removed_files.clone();
        removed.sort();
        assert_eq!(
            removed,
            vec![
                "warehouse/t/.run-9.parquet.1.tmp".to_string(),
                orphan.clone(),
                "warehouse/t/run-1.parquet".to_string(),
            ]
        );
        // v2 still reads whole: its staged file (shared with v1) and its table file stay.
        for file in lake.as_of("2")?.files() {
            assert!(
                lake.path(file).is_file(),
                "{file} of a kept snapshot is gone"
            );
        }
        assert!(matches!(
            lake.as_of("1"),
            Err(LakeError::NoSuchSnapshot { .. })
        ));
        // Keep only the newest: the shared staged file goes with v2.
        let report = lake.vacuum(&lock, Retain::Newest(0), false)?;
        assert_eq!(
            report.kept_versions,
            vec![3],
            "the current snapshot is always kept"
        );
        assert!(!lake.path(&shared).exists());
        assert!(lake.path("warehouse/t/run-3.parquet").exists());
        Ok(())
    }

    #[test]
    fn pending_files_appear_only_when_committed() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let lake = DataDir::open(tmp.path())?;
        let pending = lake.create("staged/orders/month=2019-01/a.parquet")?;
        assert!(!lake.path("staged/orders/month=2019-01/a.parquet").exists());
        drop(pending);
        assert!(!lake.path("staged/orders/month=2019-01/a.parquet").exists());
        let name = lake
            .create("staged/orders/month=2019-01/a.parquet")?
            .write_all(b"abc")?;
        assert_eq!(
            std::fs::read(lake.path(&name)).map_err(io_err(tmp.path()))?,
            b"abc"
        );
        let dir = lake.path("staged/orders/month=2019-01");
        let names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(io_err(&dir))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names, vec!["a.parquet".to_string()]);
        Ok(())
    }
}
