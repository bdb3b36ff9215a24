//! Intake: what the night's inbox holds and what becomes of each file — read (staged
//! afresh), reused (same bytes, spec and reference values as an earlier snapshot: its
//! staged files are kept), rejected (with the version accepted before carried, so a broken
//! resubmission never erases good data), or not read at all (no spec, hidden, a link).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ecstat_core::spec::{FileFormat, SourceSpec};
use ecstat_ingest::{IngestEnv, InputFile, Target};
use ecstat_lake::{DataDir, InputRecord, InputStatus, Manifest, RunInput};

use crate::progress::Progress;
use crate::{PipelineError, Result, failpoint};

/// What the inbox holds: every regular file, sorted, with its `/`-separated relative path,
/// and the entries not read (symbolic links, sockets, devices, hidden files) with why.
#[derive(Debug, Default)]
pub struct Inbox {
    pub files: Vec<(PathBuf, String)>,
    pub skipped: Vec<String>,
}

/// Walks `inbox`. Symbolic links are not followed — a link could bring in any file the
/// batch user can read, or loop — but they are listed, so a department's file placed as a
/// link is not silently missing from the night's figures.
pub fn scan_inbox(inbox: &Path) -> Result<Inbox> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut stack = vec![inbox.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(PipelineError::io(&dir))?;
        for entry in entries {
            let entry = entry.map_err(PipelineError::io(&dir))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(PipelineError::io(&path))?;
            let relative = path
                .strip_prefix(inbox)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            // Hidden files and folders (editors' and file managers' own) are not read,
            // but said: a department's file saved as `.…` is not silently missing.
            if entry.file_name().to_string_lossy().starts_with('.') {
                skipped.push(format!(
                    "{relative}: hidden (its name starts with a dot), not read"
                ));
                continue;
            }
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                out.push((path, relative));
            } else if kind.is_symlink() {
                skipped.push(format!("{relative}: symbolic link, not followed"));
            } else {
                skipped.push(format!("{relative}: not a regular file"));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    skipped.sort();
    Ok(Inbox {
        files: out,
        skipped,
    })
}

/// How a file no spec's path patterns match was placed.
#[derive(Debug)]
pub enum ByHeader {
    /// The spec that reads the file, and how it was chosen.
    One(Arc<SourceSpec>, String),
    /// Why none was.
    None(String),
}

/// The spec for a file whose path no spec's patterns match, chosen by its header: the
/// specs of its format (by extension) whose required headers the file has. Of several,
/// the one that finds the most of its mapped columns, when one does; a tie is reported.
pub async fn by_header(specs: &[Arc<SourceSpec>], path: &Path) -> ByHeader {
    let Some(format) = FileFormat::of_path(path) else {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        return ByHeader::None(format!("a .{extension} file is no format a spec reads"));
    };
    let mut found: Vec<(usize, &Arc<SourceSpec>)> = Vec::new();
    for spec in specs.iter().filter(|s| s.formats().contains(format)) {
        if let Some(columns) =
            ecstat_ingest::header_columns(path, Arc::new(spec.layout_for(path))).await
        {
            found.push((columns, spec));
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name().cmp(b.1.name())));
    let names = |found: &[(usize, &Arc<SourceSpec>)]| {
        found
            .iter()
            .map(|(n, s)| format!("{} ({n} columns)", s.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match found.as_slice() {
        [] => ByHeader::None("its header has the required columns of no spec".into()),
        [(_, spec)] => ByHeader::One(
            (*spec).clone(),
            format!("read with spec `{}`, chosen by its header", spec.name()),
        ),
        [(a, spec), (b, _), ..] if a > b => ByHeader::One(
            (*spec).clone(),
            format!(
                "read with spec `{}`, chosen by its header (the most columns of the candidates {})",
                spec.name(),
                names(&found)
            ),
        ),
        _ => ByHeader::None(format!(
            "its header fits several specs equally: {}",
            names(&found)
        )),
    }
}

/// What the intake of one night did.
#[derive(Debug, Default)]
pub struct Intake {
    /// One record per (file, source) read, reused or rejected, and each carried version.
    pub inputs: Vec<InputRecord>,
    /// How many were reused from the previous snapshot.
    pub reused: usize,
    /// Files no spec reads, with why.
    pub unmatched: Vec<String>,
    /// Lines for the run's record: skipped entries, specs chosen by header, unmatched files.
    pub warnings: Vec<String>,
    /// Relative paths of the files this run hashed (the others' stamps were unchanged).
    pub hashed: HashSet<String>,
}

/// What intake needs besides the inbox.
pub struct IntakeContext<'a> {
    pub lake: &'a DataDir,
    pub specs: &'a [Arc<SourceSpec>],
    pub env: &'a IngestEnv,
    /// The current snapshot, whose inputs may be reused or carried.
    pub previous: Option<&'a Manifest>,
    pub run_id: &'a str,
    /// Hash every file, trusting no recorded stamp.
    pub rehash: bool,
    pub progress: &'a dyn Progress,
}

/// Take in every file of `inbox`: match each to its specs (by path, else by header), and
/// read, reuse or reject it.
pub async fn take_in(inbox: &Inbox, cx: &IntakeContext<'_>) -> Result<Intake> {
    let mut intake = Intake::default();
    for line in &inbox.skipped {
        cx.progress.note(&format!("skipped {line}"));
        intake.warnings.push(format!("inbox: skipped {line}"));
    }
    let mut work = Vec::new();
    for (path, relative) in &inbox.files {
        // One file may feed several sources (a fund ledger's 预算 and 拨付明细 sheets).
        let mut specs: Vec<Arc<SourceSpec>> = cx
            .specs
            .iter()
            .filter(|s| s.matches(relative))
            .cloned()
            .collect();
        if specs.is_empty() {
            // Named as no spec expects: the spec whose required headers the file has.
            match by_header(cx.specs, path).await {
                ByHeader::One(spec, note) => {
                    cx.progress.note(&format!("{relative}: {note}"));
                    intake.warnings.push(format!("inbox: {relative}: {note}"));
                    specs.push(spec);
                }
                ByHeader::None(why) => {
                    intake.warnings.push(format!(
                        "inbox: {relative}: no source spec matches ({why}); not read"
                    ));
                    intake.unmatched.push(format!("{relative} ({why})"));
                }
            }
        }
        for spec in specs {
            work.push((spec, path.clone(), relative.clone()));
        }
    }
    cx.progress.start("ingest", work.len() as u64);
    let mut opened: HashMap<PathBuf, std::result::Result<InputFile, String>> = HashMap::new();
    let hashed_before: &[InputRecord] = match cx.previous {
        Some(m) if !cx.rehash => &m.inputs,
        _ => &[],
    };
    for (spec, path, relative) in work {
        cx.progress.message(&relative);
        take_one(
            cx,
            &mut intake,
            &mut opened,
            hashed_before,
            &spec,
            &path,
            relative,
        )
        .await?;
        cx.progress.step();
    }
    cx.progress.finish();
    intake.hashed = opened
        .values()
        .filter_map(|f| f.as_ref().ok().filter(|f| f.hashed))
        .map(|f| f.relative.clone())
        .collect();
    Ok(intake)
}

/// Read, reuse or reject one (file, spec).
async fn take_one(
    cx: &IntakeContext<'_>,
    intake: &mut Intake,
    opened: &mut HashMap<PathBuf, std::result::Result<InputFile, String>>,
    hashed_before: &[InputRecord],
    spec: &Arc<SourceSpec>,
    path: &Path,
    relative: String,
) -> Result<()> {
    let inputs = &mut intake.inputs;
    // An unreadable file is recorded as rejected; the night's run goes on. A file that
    // feeds several sources is read and hashed once.
    let read = opened
        .entry(path.to_path_buf())
        .or_insert_with(|| {
            // Content equal to that of an earlier file has its size: a file whose size
            // no earlier file has is new, and is hashed as it is read (it is read once).
            let known_size = |size: u64| {
                cx.previous
                    .iter()
                    .flat_map(|m| &m.inputs)
                    .chain(inputs.iter())
                    .any(|i| i.bytes == size)
            };
            match std::fs::metadata(path) {
                Ok(meta) if meta.is_file() && !known_size(meta.len()) => {
                    InputFile::unhashed(path, relative.clone())
                }
                _ => InputFile::open_trusting(path, relative.clone(), hashed_before),
            }
        })
        .clone();
    let input = match read {
        Ok(input) => input,
        Err(error) => {
            inputs.push(InputRecord::rejected(
                spec.name(),
                &relative,
                "",
                error,
                cx.run_id,
            ));
            if let Some(kept) = accepted_before(cx.previous, inputs, spec.name(), &relative) {
                inputs.push(kept);
            }
            return Ok(());
        }
    };
    // Empty for a file hashed as it is read: no earlier file has its content.
    let sha256 = input.sha256.clone();
    if let Some(first) = same_content(inputs, &sha256, spec.name()) {
        let error = format!("same content as {}; ignored", first.path);
        inputs.push(InputRecord::rejected(
            spec.name(),
            &relative,
            &sha256,
            error,
            cx.run_id,
        ));
        return Ok(());
    }
    let fingerprints = (spec.fingerprint(), cx.env.fingerprint_for(spec));
    if let Some(earlier) = reusable(cx.previous, &sha256, spec.name(), &fingerprints) {
        let mut record = earlier.clone();
        record.path = relative;
        record.stamp = input.stamp;
        // The file is back as it was accepted: no longer standing in for a rejected one.
        record.carried = false;
        inputs.push(record);
        intake.reused += 1;
        return Ok(());
    }
    let received = first_received(cx.previous, &sha256, spec.name());
    let progress = cx.progress;
    let name = relative.clone();
    let mut record = ecstat_ingest::ingest_file(
        Target::Lake(cx.lake),
        spec.clone(),
        cx.env,
        &input,
        cx.run_id,
        &move |n| progress.message(&format!("{name} (+{n} rows)")),
    )
    .await?
    .record;
    if let Some(received) = received {
        record.received = received;
    }
    let rejected = record.error.is_some();
    inputs.push(record);
    failpoint::hit("ingest:after_file");
    if rejected && let Some(kept) = accepted_before(cx.previous, inputs, spec.name(), &relative) {
        inputs.push(kept);
    }
    Ok(())
}

/// The record of this run's that already holds these bytes for this source (a copy of a
/// file under another name is not read twice). None for a file not yet hashed.
fn same_content<'a>(
    inputs: &'a [InputRecord],
    sha256: &str,
    source: &str,
) -> Option<&'a InputRecord> {
    inputs
        .iter()
        .find(|i| !sha256.is_empty() && i.sha256 == sha256 && i.source == source)
}

/// The previous snapshot's accepted record of these bytes read the same way — same
/// source, spec and reference values — whose staged files can be kept as they are.
fn reusable<'a>(
    previous: Option<&'a Manifest>,
    sha256: &str,
    source: &str,
    (spec_fingerprint, env_fingerprint): &(String, String),
) -> Option<&'a InputRecord> {
    previous?.inputs.iter().find(|i| {
        !sha256.is_empty()
            && i.sha256 == sha256
            && i.source == source
            && &i.spec_fingerprint == spec_fingerprint
            && &i.env_fingerprint == env_fingerprint
            && i.error.is_none()
    })
}

/// When these bytes first arrived: a file re-read under a changed spec keeps it, so a
/// later correction still wins over it.
fn first_received(previous: Option<&Manifest>, sha256: &str, source: &str) -> Option<String> {
    previous?
        .inputs
        .iter()
        .find(|i| !sha256.is_empty() && i.sha256 == sha256 && i.source == source)
        .map(|i| i.received.clone())
        .filter(|r| !r.is_empty())
}

/// When a file comes back rejected, the version of it (same source, same path) that the
/// previous snapshot accepted stays in — a broken resubmission must not erase the good
/// data; it is reported as rejected beside it, and the department is asked to resend.
pub fn accepted_before(
    previous: Option<&Manifest>,
    inputs: &[InputRecord],
    source: &str,
    path: &str,
) -> Option<InputRecord> {
    let mut kept = previous?
        .inputs
        .iter()
        .find(|i| i.source == source && i.path == path && i.error.is_none())
        .cloned()?;
    // The same bytes already in this run (a copy under another name) are not read twice.
    if inputs
        .iter()
        .any(|i| i.source == kept.source && i.sha256 == kept.sha256 && i.error.is_none())
    {
        return None;
    }
    kept.carried = true;
    Some(kept)
}

/// How the run `run_id` took `input`.
pub fn status(input: &InputRecord, run_id: &str) -> InputStatus {
    if input.error.is_some() {
        InputStatus::Rejected
    } else if input.carried {
        InputStatus::Carried
    } else if input.run_id != run_id {
        InputStatus::Reused
    } else {
        InputStatus::Read
    }
}

/// `input` as the run's record lists it.
pub fn run_input(input: &InputRecord, run_id: &str, hashed: bool) -> RunInput {
    RunInput {
        source: input.source.clone(),
        path: input.path.clone(),
        sha256: input.sha256.clone(),
        status: status(input, run_id),
        rows_staged: input.rows_staged,
        rows_quarantined: input.rows_quarantined,
        error: input.error.clone(),
        hashed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(source: &str, path: &str, sha: &str, run: &str) -> InputRecord {
        let mut r = InputRecord::rejected(source, path, sha, String::new(), run);
        r.error = None;
        r.spec_fingerprint = "spec1".into();
        r.env_fingerprint = "env1".into();
        r.rows_staged = 10;
        r
    }

    fn manifest(inputs: Vec<InputRecord>) -> Manifest {
        Manifest {
            version: 1,
            run_id: "r1".into(),
            inputs,
            ..Default::default()
        }
    }

    #[test]
    fn a_rejected_resubmission_carries_the_version_accepted_before() {
        let previous = manifest(vec![accepted("orders", "a.csv", "aaa", "r1")]);
        let now = vec![InputRecord::rejected(
            "orders",
            "a.csv",
            "bbb",
            "bad".into(),
            "r2",
        )];
        let kept = accepted_before(Some(&previous), &now, "orders", "a.csv").expect("kept");
        assert!(kept.carried);
        assert_eq!(kept.sha256, "aaa");
        assert_eq!(status(&kept, "r2"), InputStatus::Carried);
        // Not for another path or source, and not when the same bytes are already in.
        assert!(accepted_before(Some(&previous), &now, "orders", "b.csv").is_none());
        assert!(accepted_before(Some(&previous), &now, "fund", "a.csv").is_none());
        let copy = vec![accepted("orders", "copy.csv", "aaa", "r2")];
        assert!(accepted_before(Some(&previous), &copy, "orders", "a.csv").is_none());
        assert!(accepted_before(None, &now, "orders", "a.csv").is_none());
    }

    #[test]
    fn bytes_are_reused_only_when_read_the_same_way() {
        let previous = manifest(vec![accepted("orders", "a.csv", "aaa", "r1")]);
        let same = ("spec1".to_string(), "env1".to_string());
        let found = reusable(Some(&previous), "aaa", "orders", &same).expect("reused");
        assert_eq!(status(found, "r2"), InputStatus::Reused);
        let new_spec = ("spec2".to_string(), "env1".to_string());
        assert!(reusable(Some(&previous), "aaa", "orders", &new_spec).is_none());
        let new_reference = ("spec1".to_string(), "env2".to_string());
        assert!(reusable(Some(&previous), "aaa", "orders", &new_reference).is_none());
        // A file hashed as it is read has no hash yet: never reused.
        assert!(reusable(Some(&previous), "", "orders", &same).is_none());
        // Re-read under a changed spec, the bytes keep the time they first arrived.
        let mut first = accepted("orders", "a.csv", "aaa", "r1");
        first.received = "r0".into();
        let previous = manifest(vec![first]);
        assert_eq!(
            first_received(Some(&previous), "aaa", "orders").as_deref(),
            Some("r0")
        );
    }

    #[test]
    fn statuses_of_a_run() {
        let read = accepted("orders", "a.csv", "aaa", "r2");
        assert_eq!(status(&read, "r2"), InputStatus::Read);
        let rejected = InputRecord::rejected("orders", "b.csv", "", "x".into(), "r2");
        assert_eq!(status(&rejected, "r2"), InputStatus::Rejected);
        let line = run_input(&read, "r2", true);
        assert_eq!(
            (line.status, line.hashed, line.rows_staged),
            (InputStatus::Read, true, 10)
        );
        let copy = [read];
        assert!(same_content(&copy, "aaa", "orders").is_some());
        assert!(same_content(&copy, "", "orders").is_none());
    }

    #[test]
    fn the_inbox_scan_lists_files_in_order_and_says_what_it_skips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).expect("mkdir");
        std::fs::write(root.join("b/c/z.csv"), "x").expect("write");
        std::fs::write(root.join("a.csv"), "x").expect("write");
        std::fs::write(root.join(".hidden.csv"), "x").expect("write");
        std::os::unix::fs::symlink(root.join("a.csv"), root.join("link.csv")).expect("link");
        let inbox = scan_inbox(root).expect("scan");
        let names: Vec<&str> = inbox.files.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(names, ["a.csv", "b/c/z.csv"]);
        assert_eq!(inbox.skipped.len(), 2);
        assert!(
            inbox
                .skipped
                .iter()
                .any(|s| s.starts_with(".hidden.csv: hidden"))
        );
        assert!(
            inbox
                .skipped
                .iter()
                .any(|s| s.starts_with("link.csv: symbolic link"))
        );
    }
}
