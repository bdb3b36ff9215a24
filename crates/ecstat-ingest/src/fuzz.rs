//! Entry points for fuzzing the input parsers: the libFuzzer targets in `/fuzz` call them,
//! and so does a bounded randomized test here (`cargo test`). Each reads arbitrary bytes as
//! one kind of inbox file, with the layout of a bundled source spec, and panics — the
//! fuzzer's signal — where ingestion would misbehave: a panic outside a dependency's code,
//! a row sent on that was not counted, a failure that does not name the file, or a message
//! of unbounded length. A panic inside a dependency (calamine overflows on some cell
//! references when overflow checks are on) is an upstream bug that the reader turns into a
//! rejection of the file: it is tolerated, and kept from libFuzzer's abort-on-panic hook so
//! the fuzzer goes on. Aborts, stack overflows, running out of memory and timeouts are
//! still the fuzzer's to catch.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::ThreadId;

use ecstat_core::amount::{AmountUnit, Rounding, parse_fen};
use ecstat_core::datetime::{format_month, parse_date, parse_datetime, parse_month};
use ecstat_core::division::{Divisions, Resolution};
use ecstat_core::spec::{Layout, SourceSpec};
use ecstat_core::values::parse_decimal4;

use crate::IngestError;
use crate::reader::{self, MAX_SHOWN_CHARS};

/// Longest message a rejected file may get: a few clipped values and the fixed text.
const MAX_MESSAGE_CHARS: usize = 4 * MAX_SHOWN_CHARS;

/// Read `bytes` as a 拼多多 order export (CSV, encoding detected).
pub fn csv(bytes: &[u8]) {
    read(bytes, "拼多多订单_fuzz.csv", "pinduoduo");
}

/// Read `bytes` as a 京东 order export (xlsx).
pub fn xlsx(bytes: &[u8]) {
    read(bytes, "京东订单_fuzz.xlsx", "jd");
}

/// Read `xml` as the sheet of a 京东 export: the package around it is sound, so the
/// fuzzer works on the sheet's XML rather than on zip checksums.
pub fn xlsx_sheet(xml: &[u8]) {
    read(&xlsx_with_sheet(xml), "京东订单_fuzz.xlsx", "jd");
}

/// Read `bytes` as a provincial platform response (JSON records at `data.records`).
pub fn json(bytes: &[u8]) {
    read(bytes, "网络零售统计_2019.json", "provincial_retail");
}

/// Parse `bytes` (as lossy UTF-8) with the value parsers of `ecstat-core`, and check that
/// what each accepts it reads back the same from its own canonical form.
pub fn values(bytes: &[u8]) {
    let raw = String::from_utf8_lossy(bytes);
    for unit in [AmountUnit::Yuan, AmountUnit::WanYuan, AmountUnit::YiYuan] {
        if let Ok(fen) = parse_fen(&raw, unit, Rounding::HalfUp) {
            let yuan = format!(
                "{}{}.{:02}",
                if fen < 0 { "-" } else { "" },
                fen.abs() / 100,
                fen.abs() % 100
            );
            assert_eq!(
                parse_fen(&yuan, AmountUnit::Yuan, Rounding::Exact),
                Ok(fen),
                "{raw:?} → {yuan}"
            );
        }
    }
    if let Some(value) = parse_decimal4(&raw) {
        let text = format!(
            "{}{}.{:04}",
            if value < 0 { "-" } else { "" },
            value.abs() / 10_000,
            value.abs() % 10_000
        );
        assert_eq!(parse_decimal4(&text), Some(value), "{raw:?} → {text}");
    }
    if let Some(date) = parse_date(&raw) {
        let text = date.format("%Y-%m-%d").to_string();
        assert_eq!(parse_date(&text), Some(date), "{raw:?} → {text}");
    }
    if let Some((year, month)) = parse_month(&raw) {
        assert!((1..=12).contains(&month), "{raw:?} → month {month}");
        let text = format_month(year, month);
        assert_eq!(parse_month(&text), Some((year, month)), "{raw:?} → {text}");
    }
    let formats = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"];
    if let Some(time) = parse_datetime(&raw, &formats) {
        let text = time.format("%Y-%m-%d %H:%M:%S").to_string();
        assert_eq!(
            parse_datetime(&text, &formats),
            Some(time),
            "{raw:?} → {text}"
        );
    }
    // Division names are looked up only when short (see `cells::MAX_DIVISION_CHARS`).
    if raw.chars().count() <= crate::cells::MAX_DIVISION_CHARS {
        let divisions = divisions();
        for resolution in [divisions.township(&raw), divisions.village(&raw, None)] {
            if let Resolution::Found(code) = &resolution {
                assert!(divisions.get(code).is_some(), "{raw:?} → {code}");
            }
            resolution.hint();
        }
    }
}

fn divisions() -> &'static Divisions {
    static DIVISIONS: OnceLock<Divisions> = OnceLock::new();
    DIVISIONS.get_or_init(|| {
        let path = repo().join("sample_data/reference/anxi_divisions.csv");
        Divisions::from_csv_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The layout of the bundled source spec `name`, loaded once.
fn layout(name: &str) -> Arc<Layout> {
    static LAYOUTS: OnceLock<Vec<(String, Arc<Layout>)>> = OnceLock::new();
    let layouts = LAYOUTS.get_or_init(|| {
        ["pinduoduo", "jd", "provincial_retail"]
            .iter()
            .map(|name| {
                let path = repo().join(format!("pipelines/sources/{name}.toml"));
                let spec =
                    SourceSpec::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (name.to_string(), Arc::new(spec.layout()))
            })
            .collect()
    });
    layouts
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, l)| l.clone())
        .unwrap_or_else(|| panic!("no fuzzed spec {name}"))
}

/// A folder of this process and thread for the input file (readers read paths).
fn scratch() -> PathBuf {
    let thread: String = format!("{:?}", std::thread::current().id())
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    std::env::temp_dir().join(format!("ecstat-fuzz-{}-{thread}", std::process::id()))
}

/// Run the reader of spec `spec` over `bytes` saved as `name`, and check what it did.
fn read(bytes: &[u8], name: &str, spec: &str) {
    let dir = scratch();
    let path = dir.join(name);
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::File::create(&path))
        .and_then(|mut f| f.write_all(bytes))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    check_reader(&path, spec);
    // Gone after each input: a fuzzer's process or a test thread leaves nothing behind.
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run the reader of spec `spec` over the file at `path`, and check what it did.
fn check_reader(path: &Path, spec: &str) {
    record_panic_locations();
    let mut handle = reader::spawn(
        path.to_path_buf(),
        reader::folder_of(path),
        layout(spec),
        true,
    );
    let reader_thread = handle.done.thread().id();
    let mut sent = 0u64;
    while let Some(batch) = handle.batches.blocking_recv() {
        match batch {
            Ok(batch) => sent += batch.num_rows() as u64,
            Err(e) => panic!("the reader built a batch that does not fit its schema: {e}"),
        }
    }
    let header = handle.header.try_recv();
    let outcome = match handle.done.join() {
        Ok(outcome) => outcome,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    match outcome {
        Ok(stats) => {
            assert!(header.is_ok(), "a reader that succeeded sent its header");
            assert_eq!(
                sent + stats.rejects.len() as u64,
                stats.data_rows,
                "every data row is sent on or rejected, once"
            );
            for reject in &stats.rejects {
                assert!(
                    reject.raw_value.chars().count() <= MAX_MESSAGE_CHARS,
                    "a rejected row is kept clipped"
                );
            }
        }
        Err(error) => {
            if let IngestError::ReaderPanicked { .. } = error {
                let location = panic_location(reader_thread).unwrap_or_default();
                assert!(
                    is_dependency(&location),
                    "the reader panicked at {location}: {error}"
                );
            }
            let message = error.to_string();
            assert!(
                message.contains(&path.display().to_string()),
                "the message names the file: {message}"
            );
            assert!(
                message.chars().count() <= MAX_MESSAGE_CHARS,
                "the message is of bounded length: {} characters",
                message.chars().count()
            );
        }
    }
}

/// Where each thread last panicked (source file and line), for telling our panics from a
/// dependency's. Panics elsewhere go on to the hook this replaces (libFuzzer's aborts).
fn record_panic_locations() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info.location().map(ToString::to_string).unwrap_or_default();
            let tolerated = is_dependency(&location);
            if let Ok(mut panics) = panics().lock() {
                panics.insert(std::thread::current().id(), location);
            }
            if !tolerated {
                previous(info);
            }
        }));
    });
}

fn panics() -> &'static Mutex<HashMap<ThreadId, String>> {
    static PANICS: OnceLock<Mutex<HashMap<ThreadId, String>>> = OnceLock::new();
    PANICS.get_or_init(Mutex::default)
}

fn panic_location(thread: ThreadId) -> Option<String> {
    panics().lock().ok()?.remove(&thread)
}

/// Whether a panic location lies in a crate from a registry (`$CARGO_HOME/registry/src/…`):
/// not this workspace, and not the standard library either (a capacity overflow in `Vec`
/// is located there, whoever asked for the capacity).
fn is_dependency(location: &str) -> bool {
    location.contains("/registry/src/")
}

/// A minimal 京东-layout package (sheet 订单列表) whose only sheet is `xml`.
pub fn xlsx_with_sheet(xml: &[u8]) -> Vec<u8> {
    const PARTS: [(&str, &str); 4] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="订单列表" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts = PARTS
        .iter()
        .map(|(n, x)| (*n, x.as_bytes()))
        .chain([("xl/worksheets/sheet1.xml", xml)]);
    for (name, bytes) in parts {
        zip.start_file(name, options)
            .and_then(|()| zip.write_all(bytes).map_err(Into::into))
            .unwrap_or_else(|e| panic!("writing {name} in memory: {e}"));
    }
    zip.finish()
        .unwrap_or_else(|e| panic!("writing a zip in memory: {e}"))
        .into_inner()
}

#[cfg(test)]
mod tests {
    //! Not fuzzing: a fixed number of seeded mutations of the bundled samples, run by
    //! `cargo test` so the parsers meet broken input on every build. A failure names the
    //! seed and iteration; `fuzz/` runs the same entry points under libFuzzer.

    use super::*;

    /// SplitMix64: a seeded generator, so a failure reproduces from its seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Bytes that matter to the formats: separators, quotes, brackets, BOM and NUL, and
    /// the lead bytes of multi-byte characters.
    const INTERESTING: &[u8] = b",\"\n\r\t[]{}:<>/=&;\\\0\xEF\xBB\xBF\xFF\xFE\x80\xE4\xB8\x81";

    /// One to four random edits of `seed`, using `donor` for splices.
    fn mutate(rng: &mut Rng, seed: &[u8], donor: &[u8]) -> Vec<u8> {
        let mut bytes = seed.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(7) {
                0 if !bytes.is_empty() => {
                    let i = at.min(bytes.len() - 1);
                    bytes[i] ^= 1 << rng.below(8);
                }
                1 if !bytes.is_empty() => {
                    let i = at.min(bytes.len() - 1);
                    bytes[i] = INTERESTING[rng.below(INTERESTING.len())];
                }
                2 => bytes.truncate(at),
                3 => {
                    let end = (at + rng.below(64)).min(bytes.len());
                    bytes.drain(at..end);
                }
                4 => {
                    let len = rng.below(64).min(bytes.len() - at);
                    let chunk = bytes[at..at + len].to_vec();
                    let times = 1 + rng.below(16);
                    for _ in 0..times {
                        bytes.splice(at..at, chunk.iter().copied());
                    }
                }
                5 if !donor.is_empty() => {
                    let from = rng.below(donor.len());
                    let len = rng.below(256).min(donor.len() - from);
                    bytes.splice(at..at, donor[from..from + len].iter().copied());
                }
                _ => bytes.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            }
        }
        bytes
    }

    /// Run `target` on `iterations` mutations of `seeds`, starting from `seed`.
    fn campaign(name: &str, seed: u64, iterations: usize, seeds: &[Vec<u8>], target: fn(&[u8])) {
        let mut rng = Rng(seed);
        for seed_bytes in seeds {
            target(seed_bytes);
        }
        for iteration in 0..iterations {
            let base = &seeds[rng.below(seeds.len())];
            let donor = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, base, donor);
            let outcome = std::panic::catch_unwind(|| target(&input));
            if let Err(panic) = outcome {
                let kept = std::env::temp_dir().join(format!("ecstat-fuzz-{name}-{iteration}"));
                let _ = std::fs::write(&kept, &input);
                eprintln!(
                    "{name}: seed {seed}, iteration {iteration} failed; input kept in {}",
                    kept.display()
                );
                std::panic::resume_unwind(panic);
            }
        }
    }

    /// The first `lines` lines of a bundled sample file.
    fn sample_lines(relative: &str, lines: usize) -> Vec<u8> {
        let text = std::fs::read(repo().join("sample_data/inbox").join(relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"));
        let end = text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(lines - 1)
            .map_or(text.len(), |(i, _)| i + 1);
        text[..end].to_vec()
    }

    #[test]
    fn csv_readers_survive_mutated_exports() {
        let seeds = vec![
            sample_lines("platforms/拼多多订单_2019.csv", 12),
            sample_lines("platforms/淘宝订单导出_2019.csv", 12),
            sample_lines("platforms/抖音小店订单_2019.csv", 12),
        ];
        campaign("csv", 0x5EED_0001, 1000, &seeds, csv);
    }

    #[test]
    fn json_reader_survives_mutated_responses() {
        let response =
            std::fs::read(repo().join("sample_data/inbox/provincial/网络零售统计_2019.json"))
                .expect("sample response");
        // The records' array closed after about ten of them, so mutations reach the end.
        let text = String::from_utf8(response).expect("utf-8");
        let cut = text
            .match_indices("},")
            .nth(9)
            .map_or(text.len(), |(i, _)| i + 1);
        let short = format!("{}]}}}}", &text[..cut]);
        assert!(
            serde_json::from_str::<serde_json::Value>(&short).is_ok(),
            "{short}"
        );
        campaign("json", 0x5EED_0002, 800, &[short.into_bytes()], json);
    }

    /// The files of a folder of `fuzz/seeds`, which the libFuzzer targets start from too.
    fn seeds(target: &str) -> Vec<Vec<u8>> {
        let dir = repo().join("fuzz/seeds").join(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("seed").path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read(f).expect("seed"))
            .collect()
    }

    #[test]
    fn xlsx_reader_survives_mutated_sheets_and_packages() {
        campaign(
            "xlsx-sheet",
            0x5EED_0003,
            600,
            &seeds("xlsx_sheet"),
            xlsx_sheet,
        );
        // Raw package bytes: most mutations end at the zip's checksums, which is the point.
        let package = xlsx_with_sheet(&seeds("xlsx_sheet")[0]);
        campaign("xlsx", 0x5EED_0004, 200, &[package], xlsx);
    }

    #[test]
    fn value_parsers_read_back_what_they_accept() {
        campaign("values", 0x5EED_0005, 3000, &seeds("values"), values);
    }
}
