//! Hostile inputs (issue #6): files built to crash, hang or exhaust ingestion. Each must be
//! refused with a reason that names it, or have its bad rows quarantined, while the good
//! files beside it load and the previous snapshot stays as it was. The small cases are
//! checked in under `tests/hostile/` (its README says what each is); the big ones — a
//! 200 MB line, a sheet that inflates to 2 GiB, 100,000 nested brackets — are generated
//! here. Memory is measured as the child's peak resident set (VmHWM), sampled from /proc.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ecstat_lake::{DataDir, InputRecord};

use crate::{query, repo, tiny};

/// Peak memory allowed to any run here: generous (the whole run on the tiny fixture takes
/// about 150 MB), and far below what the unbounded readers took (1.5 GB for the 200 MB
/// line, 4 GB for the 2 GiB sheet).
const MAX_PEAK_KIB: u64 = 1 << 20;

const PDD_HEADER: &str = "订单号,店铺ID,店铺名称,商品,商品数量,商品总价(元),运费(元),用户实付金额(元),订单状态 ,售后状态,退款金额(元),订单成交时间\n";

/// A 拼多多 export of one order line per id, 40.00 yuan each.
fn pdd(ids: &[&str]) -> String {
    let mut text = PDD_HEADER.to_string();
    for id in ids {
        text.push_str(&format!(
            "{id},PDD1,官桥红米店,官桥红米 2.5kg,1,40.00元,0.00元,40.00元,已签收,无售后,0.00元,2018-07-01 12:00:00\n"
        ));
    }
    text
}

fn corpus() -> PathBuf {
    repo().join("tests/hostile")
}

/// Run `ecstat --data-dir DATA ARGS` and sample its peak resident memory while it runs.
/// Returns the output and the peak in KiB (None where /proc is not there to ask).
fn ecstat_measured(data: &Path, args: &[&OsStr]) -> (Output, Option<u64>) {
    let logs = tempfile::tempdir().expect("tempdir");
    let (out_path, err_path) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecstat"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::from(
            std::fs::File::create(&out_path).expect("stdout file"),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(&err_path).expect("stderr file"),
        ))
        .spawn()
        .expect("the ecstat binary runs");
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak = None;
    let status = loop {
        // VmHWM is the high-water mark so far; the last sample before exit is the peak,
        // give or take what the last millisecond added.
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| vm_hwm(&s))
        {
            peak = peak.max(Some(kib));
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let output = Output {
        status,
        stdout: std::fs::read(&out_path).expect("stdout"),
        stderr: std::fs::read(&err_path).expect("stderr"),
    };
    (output, peak)
}

fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The process ended with a code of its own (not a signal), and not a panic (101) or an
/// internal error (4).
fn assert_defined_exit(out: &Output, expected: i32) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(expected),
        "exit status {:?}\nstdout:\n{}\nstderr:\n{stderr}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn assert_bounded(peak: Option<u64>, what: &str) {
    if cfg!(target_os = "linux") {
        let peak = peak.expect("VmHWM sampled at least once");
        assert!(peak < MAX_PEAK_KIB, "{what}: peak RSS {peak} KiB");
        eprintln!("{what}: peak RSS {} MiB", peak / 1024);
    }
}

// ---------------------------------------------------------------------------------------
// Zip and deflate, written by hand: the 2 GiB sheet is a deflate stream of 13 MB that no
// compressor needs to produce, and this test crate has no zip library.

/// Bits packed least significant first, as deflate packs them.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    len: u32,
}

impl Bits {
    fn put(&mut self, value: u64, len: u32) {
        self.acc |= value << self.len;
        self.len += len;
        while self.len >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.len -= 8;
        }
    }

    /// A Huffman code, which deflate writes most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = (0..len).fold(0u64, |r, i| (r << 1) | u64::from((code >> i) & 1));
        self.put(reversed, len);
    }

    /// A literal byte in the fixed Huffman code.
    fn literal(&mut self, byte: u8) {
        match byte {
            0..=143 => self.code(0x30 + u32::from(byte), 8),
            _ => self.code(0x190 + u32::from(byte) - 144, 9),
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.len > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A raw deflate stream (one block, fixed Huffman codes) of `prefix`, `run` spaces and
/// `suffix`: the spaces as copies of 258 bytes at distance 1, 13 bits each.
fn deflate_spaces(prefix: &[u8], run: u64, suffix: &[u8]) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.put(1, 1); // last block
    bits.put(1, 2); // fixed Huffman codes
    prefix.iter().for_each(|&b| bits.literal(b));
    bits.literal(b' ');
    let mut left = run - 1;
    while left >= 258 {
        bits.code(0b1100_0101, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    (0..left).for_each(|_| bits.literal(b' '));
    suffix.iter().for_each(|&b| bits.literal(b));
    bits.code(0, 7); // end of block
    bits.finish()
}

fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |crc, &b| {
        (0..8).fold(crc ^ u32::from(b), |c, _| {
            if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            }
        })
    })
}

/// One zip entry: name, method (0 stored, 8 deflated), the bytes as stored, the CRC and
/// the inflated size the archive declares.
struct Entry<'a> {
    name: &'a str,
    method: u16,
    data: &'a [u8],
    crc: u32,
    size: u32,
}

fn zip(entries: &[Entry<'_>]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for e in entries {
        let offset = u32::try_from(out.len()).expect("small archive");
        let packed = u32::try_from(e.data.len()).expect("small entry");
        let name_len = u16::try_from(e.name.len()).expect("short name");
        let common = |v: &mut Vec<u8>| {
            v.extend(0x0800u16.to_le_bytes()); // UTF-8 names
            v.extend(e.method.to_le_bytes());
            v.extend(0u16.to_le_bytes()); // time
            v.extend(0x21u16.to_le_bytes()); // 1980-01-01
            v.extend(e.crc.to_le_bytes());
            v.extend(packed.to_le_bytes());
            v.extend(e.size.to_le_bytes());
            v.extend(name_len.to_le_bytes());
            v.extend(0u16.to_le_bytes()); // extra
        };
        out.extend(0x0403_4B50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        common(&mut out);
        out.extend(e.name.as_bytes());
        out.extend(e.data);
        central.extend(0x0201_4B50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        common(&mut central);
        central.extend([0u8; 10]); // comment length, disk, internal and external attributes
        central.extend(offset.to_le_bytes());
        central.extend(e.name.as_bytes());
    }
    let count = u16::try_from(entries.len()).expect("few entries");
    let (size, offset) = (central.len() as u32, out.len() as u32);
    out.extend(central);
    out.extend(0x0605_4B50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// The sheet XML of a 京东 export (header on row 3) with one order line, cut where its
/// 商品名称 goes: (text before, text after).
fn jd_sheet_around_item() -> (String, String) {
    let header = [
        "订单号",
        "店铺编号",
        "店铺名称",
        "商品名称",
        "商品分类",
        "商品单价",
        "订购数量",
        "运费",
        "退款金额",
        "订单状态",
        "下单时间",
        "发货地址",
    ];
    let line = [
        "H-SPACES-1",
        "JD1",
        "湖头京东店",
        "|",
        "茶叶",
        "100.00",
        "1",
        "0.00",
        "0.00",
        "完成",
        "2018-03-01 10:00:00",
        "福建省泉州市安溪县湖头镇",
    ];
    let row = |r: usize, cells: &[&str]| {
        let cells: String = cells
            .iter()
            .map(|t| format!(r#"<c t="inlineStr"><is><t>{t}</t></is></c>"#))
            .collect();
        format!(r#"<row r="{r}">{cells}</row>"#)
    };
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{}{}</sheetData></worksheet>"#,
        row(3, &header),
        row(4, &line)
    );
    let (before, after) = xml.split_once('|').expect("marker");
    (before.to_string(), after.to_string())
}

/// A 京东 workbook whose order line's 商品名称 is `spaces` spaces, its sheet deflated by
/// hand. The sheet's CRC is computed when `crc` is asked for; for billions of spaces it
/// is not (a reader inflating the part to its end fails there, after the damage).
fn jd_workbook_with_spaces(spaces: u64, crc: bool) -> Vec<u8> {
    let (before, after) = jd_sheet_around_item();
    let sheet = deflate_spaces(before.as_bytes(), spaces, after.as_bytes());
    let inflated = before.len() as u64 + spaces + after.len() as u64;
    let sheet_crc = if crc {
        let text = format!("{before}{}{after}", " ".repeat(spaces as usize));
        crc32(text.as_bytes())
    } else {
        0
    };
    let parts = [
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
    let mut entries: Vec<Entry<'_>> = parts
        .iter()
        .map(|(name, text)| Entry {
            name,
            method: 0,
            data: text.as_bytes(),
            crc: crc32(text.as_bytes()),
            size: text.len() as u32,
        })
        .collect();
    entries.push(Entry {
        name: "xl/worksheets/sheet1.xml",
        method: 8,
        data: &sheet,
        crc: sheet_crc,
        size: u32::try_from(inflated).expect("under 4 GiB"),
    });
    zip(&entries)
}

#[test]
fn the_hand_made_workbook_reads_as_it_is_meant_to() {
    // The construction of the 2 GiB sheet at 10,000 spaces: the product reads its order
    // line (the spaces trimmed to an empty 商品名称), so the deflate stream, CRC and
    // archive are sound.
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("京东订单_spaces.xlsx");
    std::fs::write(&path, jd_workbook_with_spaces(10_000, true)).expect("write");
    let out_dir = tmp.path().join("reports");
    let (out, _) = ecstat_measured(
        &tmp.path().join("no-data"),
        &[
            OsStr::new("validate"),
            OsStr::new("--out"),
            out_dir.as_os_str(),
            path.as_os_str(),
        ],
    );
    assert_defined_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("read 1, loadable 1, to correct 0"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------------------

/// The input record of `path` (relative to the inbox) that was rejected (or not).
fn input<'a>(inputs: &'a [InputRecord], path: &str, rejected: bool) -> &'a InputRecord {
    inputs
        .iter()
        .find(|i| i.path == path && i.error.is_some() == rejected)
        .unwrap_or_else(|| {
            let paths: Vec<(&str, Option<&str>)> = inputs
                .iter()
                .map(|i| (i.path.as_str(), i.error.as_deref()))
                .collect();
            panic!("no input {path} (rejected: {rejected}); inputs: {paths:#?}")
        })
}

/// The file was rejected whole, with a reason that names it and says `why`.
fn assert_rejected(inputs: &[InputRecord], path: &str, why: &str) {
    let record = input(inputs, path, true);
    let error = record.error.as_deref().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or(path);
    assert!(
        error.contains(name),
        "{path}: the reason names the file: {error}"
    );
    assert!(error.contains(why), "{path}: expected “{why}” in: {error}");
    assert_eq!(
        (record.rows_staged, record.rows_quarantined),
        (0, 0),
        "{path}"
    );
}

fn order_ids(data: &Path, like: &str) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = query(
        data,
        &format!(
            "SELECT order_id, shop_name, item_title FROM stg_orders WHERE order_id LIKE '{like}'"
        ),
    )
    .iter()
    .map(|r| {
        let text = |c: &str| r[c].as_str().unwrap_or_default().to_string();
        (text("order_id"), text("shop_name"), text("item_title"))
    })
    .collect();
    rows.sort();
    rows
}

#[test]
fn a_hostile_inbox_is_answered_file_by_file_and_the_good_files_load() {
    let tmp = tempfile::tempdir().expect("tempdir");
    tiny::fixture(tmp.path());
    let data = tmp.path().join("wh");
    let first = tiny::run(tmp.path());
    assert_defined_exit(&first, 0);
    let v1 = data.join("_manifests/v00000001.json");
    let v1_bytes = std::fs::read(&v1).expect("snapshot 1");
    let v1_inputs = DataDir::open(&data)
        .expect("data dir")
        .latest()
        .expect("manifest")
        .expect("snapshot")
        .inputs;

    // The checked-in corpus (less the two files of the forced-encoding case, below).
    let inbox = tmp.path().join("inbox");
    for folder in ["platforms", "provincial"] {
        for entry in std::fs::read_dir(corpus().join(folder)).expect("corpus") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if !["拼多多订单_gbk.csv", "抖音小店订单_utf8.csv"].contains(&name.as_str())
            {
                std::fs::copy(&path, inbox.join(folder).join(&name)).expect("copy");
            }
        }
    }
    let platforms = inbox.join("platforms");
    // A broken resubmission of a file the last snapshot accepted: re-saved as UTF-16.
    let tiny_pdd = platforms.join("拼多多订单_tiny.csv");
    let text = std::fs::read_to_string(&tiny_pdd).expect("utf-8");
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(&tiny_pdd, utf16).expect("write");
    // A sheet that inflates to 2 GiB, declared truthfully.
    std::fs::write(
        platforms.join("京东订单_bomb.xlsx"),
        jd_workbook_with_spaces(2 << 30, false),
    )
    .expect("bomb");
    std::fs::write(
        inbox.join("provincial/网络零售统计_2032.json"),
        "[".repeat(100_000),
    )
    .expect("deep");
    let deep_record = format!(
        r#"{{"data":{{"records":[{}{}]}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(inbox.join("provincial/网络零售统计_2033.json"), deep_record).expect("deep");
    // Names: bytes that are not UTF-8, and `..` inside a name.
    let non_utf8 = |tail: &[u8]| {
        let mut name = "拼多多订单_".as_bytes().to_vec();
        name.extend(tail);
        platforms.join(OsStr::from_bytes(&name))
    };
    std::fs::write(non_utf8(b"\xff\xfe.csv"), pdd(&["H-NAME-1"])).expect("write");
    std::fs::write(non_utf8(b"\xff.csv"), b"Gr\xf6\xdfe,Preis\n1,2\n").expect("write");
    std::fs::write(platforms.join("拼多多订单_..csv"), pdd(&["H-DOTS-1"])).expect("write");
    // Links out of the inbox, to a file and to a folder, are not followed.
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(outside.join("拼多多订单_secret.csv"), pdd(&["H-SECRET-1"])).expect("write");
    std::os::unix::fs::symlink(
        outside.join("拼多多订单_secret.csv"),
        platforms.join("拼多多订单_link.csv"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(&outside, platforms.join("linked")).expect("symlink");

    // The inbox named through `..`.
    let inbox_arg = tmp.path().join("outside/../inbox");
    let reference = tmp.path().join("reference");
    let (out, peak) = ecstat_measured(
        &data,
        &[
            OsStr::new("run"),
            OsStr::new("--inbox"),
            inbox_arg.as_os_str(),
            OsStr::new("--reference"),
            reference.as_os_str(),
        ],
    );
    // Files were rejected, so the checks failed: 1, a defined code.
    assert_defined_exit(&out, 1);
    assert_bounded(peak, "run over the hostile inbox");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("REJECTED"), "{stdout}");

    let manifest = DataDir::open(&data)
        .expect("data dir")
        .latest()
        .expect("manifest")
        .expect("snapshot");
    assert_eq!(manifest.version, 2, "the good files made a new snapshot");
    let inputs = &manifest.inputs;
    for (path, why) in [
        ("platforms/拼多多订单_utf16.csv", "the file is UTF-16 text"),
        (
            "platforms/拼多多订单_latin1.csv",
            "not text in UTF-8 or GB18030",
        ),
        (
            "platforms/拼多多订单_binary.csv",
            "not text in UTF-8 or GB18030",
        ),
        ("platforms/京东订单_binary.xlsx", "cannot read as xlsx"),
        ("platforms/拼多多订单_empty.csv", "file is empty"),
        ("platforms/拼多多订单_bom_only.csv", "file is empty"),
        (
            "platforms/京东订单_sst_count.xlsx",
            "declares 100000000000 strings",
        ),
        (
            "platforms/京东订单_liar.xlsx",
            "larger than its declared uncompressed size",
        ),
        (
            "platforms/京东订单_bomb.xlsx",
            "part `xl/worksheets/sheet1.xml` inflates to 2 GiB, more than the 128 MiB",
        ),
        (
            "provincial/网络零售统计_2030.json",
            "expected an array of records",
        ),
        (
            "provincial/网络零售统计_2031.json",
            "none of the 4 records at `data.records` is an object",
        ),
        (
            "provincial/网络零售统计_2032.json",
            "expected an object with `data`",
        ),
        (
            "provincial/网络零售统计_2033.json",
            "record 1: recursion limit exceeded",
        ),
        ("platforms/拼多多订单_tiny.csv", "the file is UTF-16 text"),
        (
            "platforms/拼多多订单_\u{FFFD}.csv",
            // Latin-1 that happens to decode as GB18030: mojibake headers.
            "missing required columns",
        ),
    ] {
        assert_rejected(inputs, path, why);
    }

    // Quarantined: rows with NUL bytes in a cell (binary debris, never a platform's value).
    // Loaded: formula text, verbatim; a sheet declaring A1:XFD1048576 and one 10,000
    // columns wide, as what they hold; odd names, under their lossy names.
    for (path, staged, quarantined) in [
        ("platforms/拼多多订单_nul.csv", 0, 2),
        ("platforms/拼多多订单_formula.csv", 4, 0),
        ("platforms/京东订单_dimension.xlsx", 2, 1),
        ("platforms/京东订单_columns.xlsx", 2, 0),
        ("platforms/拼多多订单_\u{FFFD}\u{FFFD}.csv", 1, 0),
        ("platforms/拼多多订单_..csv", 1, 0),
    ] {
        let record = input(inputs, path, false);
        assert_eq!(
            (record.rows_staged, record.rows_quarantined),
            (staged, quarantined),
            "{path}"
        );
    }
    assert_eq!(order_ids(&data, "H-NUL-%"), vec![]);
    let nul_rules = query(
        &data,
        "SELECT \"row\", rule, raw_value FROM quarantine WHERE file = 'platforms/拼多多订单_nul.csv' ORDER BY row",
    );
    let shown: Vec<(i64, String, bool)> = nul_rules
        .iter()
        .map(|r| {
            let raw = r["raw_value"].as_str().unwrap_or("");
            (
                r["row"].as_i64().unwrap_or(0),
                r["rule"].as_str().unwrap_or("").to_string(),
                // Shown with the symbol for NUL, not with a NUL.
                raw.contains('\u{2400}') && !raw.contains('\0'),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            (2, "nul_in_cell".into(), true),
            (3, "nul_in_cell".into(), true)
        ]
    );
    let formulas: Vec<(String, String)> = order_ids(&data, "H-FORMULA-%")
        .into_iter()
        .map(|(_, shop, item)| (shop, item))
        .collect();
    assert_eq!(
        formulas,
        vec![
            ("=cmd|' /C calc'!A0".into(), "官桥红米 2.5kg".into()),
            ("官桥红米店".into(), "@SUM(1+1)*cmd|' /C calc'!A0".into()),
            ("官桥红米店".into(), r#"+HYPERLINK("http://x","y")"#.into()),
            ("官桥红米店".into(), "-2+3".into()),
        ]
    );
    let quarantine = query(
        &data,
        "SELECT row, raw_value FROM quarantine WHERE file = 'platforms/京东订单_dimension.xlsx'",
    );
    assert_eq!(quarantine.len(), 1);
    assert_eq!(quarantine[0]["row"].as_i64(), Some(1_048_576));

    // The links were not followed: nothing of the outside file, under any name.
    assert!(
        !inputs
            .iter()
            .any(|i| i.path.contains("link") || i.path.contains("secret")),
        "{:?}",
        inputs.iter().map(|i| &i.path).collect::<Vec<_>>()
    );
    assert!(order_ids(&data, "H-SECRET-%").is_empty());
    // …but they were named, so a file placed as a link is not silently missing.
    let stderr = String::from_utf8_lossy(&out.stderr);
    for link in ["platforms/拼多多订单_link.csv", "platforms/linked"] {
        assert!(
            stderr.contains(&format!("skipped {link}: symbolic link, not followed")),
            "{stderr}"
        );
    }

    // The broken resubmission left the accepted version in: the tiny PDD lines are all
    // still staged (8 of its lines were, the 异常订单 line quarantined).
    let kept = input(inputs, "platforms/拼多多订单_tiny.csv", false);
    assert!(kept.carried, "the earlier version is kept");
    let earlier = v1_inputs
        .iter()
        .find(|i| i.path == "platforms/拼多多订单_tiny.csv")
        .expect("in snapshot 1");
    assert_eq!(
        (&kept.sha256, kept.rows_staged),
        (&earlier.sha256, earlier.rows_staged)
    );
    let staged = query(&data, "SELECT count(*) AS n FROM stg_orders");
    // 14 tiny lines, 4 formula, 2 + 2 of the two wide sheets, 1 + 1 of the odd names; the
    // two NUL rows are quarantined.
    assert_eq!(staged[0]["n"].as_i64(), Some(14 + 4 + 2 + 2 + 1 + 1));

    // The previous snapshot is untouched: its manifest, and every file it lists.
    assert_eq!(std::fs::read(&v1).expect("snapshot 1"), v1_bytes);
    let v1_manifest: serde_json::Value = serde_json::from_slice(&v1_bytes).expect("manifest json");
    for file in v1_manifest["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .flat_map(|i| {
            let staged = i["staged_files"].as_object().into_iter().flatten();
            staged
                .flat_map(|(_, files)| files.as_array().into_iter().flatten())
                .chain(i["quarantine_files"].as_array().into_iter().flatten())
        })
    {
        let file = file.as_str().expect("file name");
        assert!(data.join(file).is_file(), "{file} of snapshot 1 is gone");
    }
    // Nothing was written outside the data directory.
    let mut top: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("tmp")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["inbox", "outside", "reference", "wh"]);
}

#[test]
fn validate_gives_each_hostile_file_a_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The specs with their encodings forced: 拼多多 says UTF-8, 抖音 says GBK.
    let pipelines = tmp.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("sources")).expect("mkdir");
    std::fs::copy(
        repo().join("pipelines/reference.toml"),
        pipelines.join("reference.toml"),
    )
    .expect("copy");
    for entry in std::fs::read_dir(repo().join("pipelines/sources")).expect("sources") {
        let path = entry.expect("entry").path();
        if path.extension() != Some(OsStr::new("toml")) {
            continue;
        }
        let name = path.file_name().expect("name").to_owned();
        let forced = if name == "pinduoduo.toml" {
            "encoding = \"utf-8\""
        } else if name == "douyin.toml" {
            "encoding = \"gbk\""
        } else {
            "encoding = \"auto\""
        };
        let text = std::fs::read_to_string(&path).expect("spec");
        let text = text.replace("encoding = \"auto\"", forced);
        std::fs::write(pipelines.join("sources").join(name), text).expect("write");
    }
    let files: Vec<PathBuf> = ["platforms", "provincial"]
        .iter()
        .flat_map(|folder| {
            std::fs::read_dir(corpus().join(folder))
                .expect("corpus")
                .map(|e| e.expect("entry").path())
        })
        .collect();
    let out_dir = tmp.path().join("reports");
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("validate"),
        OsStr::new("--out"),
        out_dir.as_os_str(),
        OsStr::new("--pipelines"),
        pipelines.as_os_str(),
    ];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let (out, peak) = ecstat_measured(&tmp.path().join("no-data"), &args);
    assert_defined_exit(&out, 1);
    assert_bounded(peak, "validate over the corpus");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.contains(name) && l.contains(" — "))
            .unwrap_or_else(|| panic!("no verdict for {name}:\n{stdout}"))
            .to_string()
    };
    for (name, verdict) in [
        (
            "拼多多订单_gbk.csv",
            "not text in UTF-8, the encoding the source spec declares",
        ),
        (
            "抖音小店订单_utf8.csv",
            "the file is UTF-8 text but the source spec says `encoding = \"gbk\"`",
        ),
        ("拼多多订单_utf16.csv", "the file is UTF-16 text"),
        ("拼多多订单_latin1.csv", "not text in UTF-8, the encoding"),
        ("拼多多订单_binary.csv", "not text in UTF-8, the encoding"),
        ("拼多多订单_empty.csv", "file is empty"),
        ("拼多多订单_bom_only.csv", "file is empty"),
        ("京东订单_binary.xlsx", "cannot read as xlsx"),
        ("京东订单_sst_count.xlsx", "declares 100000000000 strings"),
        (
            "京东订单_liar.xlsx",
            "larger than its declared uncompressed size",
        ),
        ("网络零售统计_2030.json", "expected an array of records"),
        ("网络零售统计_2031.json", "is an object of key/value pairs"),
        ("拼多多订单_nul.csv", "2 rows to correct"),
        ("拼多多订单_formula.csv", "通过 / passed"),
        ("京东订单_columns.xlsx", "通过 / passed"),
        ("京东订单_dimension.xlsx", "1 rows to correct"),
    ] {
        let line = line(name);
        assert!(
            line.contains(verdict),
            "{name}: expected “{verdict}” in: {line}"
        );
        // Each file gets its feedback report, named after it, in the folder asked for.
        let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
        assert!(
            out_dir.join(format!("{stem}_问题反馈.xlsx")).is_file(),
            "{name}: report"
        );
    }
}

#[test]
fn a_200_mb_line_is_refused_in_bounded_memory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // One line, no newline: a header's worth of text, then 200 MB of fields.
    let path = tmp.path().join("拼多多订单_line.csv");
    {
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        file.write_all(PDD_HEADER.trim_end().as_bytes())
            .expect("write");
        let chunk = format!(",{}", "官桥红米".repeat(80));
        for _ in 0..(200 << 20) / chunk.len() {
            file.write_all(chunk.as_bytes()).expect("write");
        }
        file.flush().expect("flush");
    }
    assert!(std::fs::metadata(&path).expect("size").len() >= 200 << 20);
    let out_dir = tmp.path().join("reports");
    let (out, peak) = ecstat_measured(
        &tmp.path().join("no-data"),
        &[
            OsStr::new("validate"),
            OsStr::new("--out"),
            out_dir.as_os_str(),
            path.as_os_str(),
        ],
    );
    assert_defined_exit(&out, 1);
    assert_bounded(peak, "validate of a 200 MB line");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("拼多多订单_line.csv: 第1条记录超过 1 MiB / record 1 is longer than 1 MiB"),
        "{stdout}"
    );
    assert!(out_dir.join("拼多多订单_line_问题反馈.xlsx").is_file());
}

#[test]
fn every_corpus_file_is_small_and_described() {
    let readme = std::fs::read_to_string(corpus().join("README.md")).expect("README");
    for folder in ["platforms", "provincial"] {
        for entry in std::fs::read_dir(corpus().join(folder)).expect("corpus") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            assert!(readme.contains(&name), "{name} is described in the README");
            let bytes = std::fs::metadata(&path).expect("size").len();
            assert!(bytes < 100 << 10, "{name}: {bytes} bytes is not small");
        }
    }
}
