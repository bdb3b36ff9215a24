//! Failpoints: named places in a run where a test can stop the process (as a crash would)
//! or hold it. `ECSTAT_FAILPOINT=NAME` aborts at NAME; `NAME=sleep:MS` pauses there;
//! several are separated by commas. Unset (always, in production), they cost one
//! environment lookup per point.
//!
//! Points of `ecstat run`, in order: `after_lock`, `ingest:after_file` (after each file's
//! staged and quarantine files are written), `ingest:done`, `build:after_model` (after each
//! model's table file), `build:done`, `indicators:done`, `publish:before`,
//! `publish:after`, `export:during` (after the first export file), `export:done`.

/// Stop or pause here when `ECSTAT_FAILPOINT` names `point`.
pub fn hit(point: &str) {
    let Ok(spec) = std::env::var("ECSTAT_FAILPOINT") else {
        return;
    };
    for item in spec.split(',') {
        let (name, action) = match item.split_once('=') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (item.trim(), None),
        };
        if name != point {
            continue;
        }
        match action.and_then(|a| a.strip_prefix("sleep:")) {
            Some(ms) => {
                let ms = ms.parse().unwrap_or(1000);
                std::thread::sleep(std::time::Duration::from_millis(ms));
            }
            None => {
                eprintln!("ecstat: failpoint `{point}`: stopping the process");
                std::process::abort();
            }
        }
    }
}
