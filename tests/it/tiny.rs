//! A fixture small enough to sum by hand: two platforms, 2017–2019, written here in full.
//!
//! Net sales per line (goods paid − refund, postage excluded; closed orders count 0):
//!
//! | year | line                         | shop | township (how)   | category | net |
//! |------|------------------------------|------|------------------|----------|-----|
//! | 2017 | 1001 铁观音 106 incl. 6 post  | TB1  | 感德 (operator list) | 茶叶 agri | 100 |
//! | 2017 | 1002 藤铁花架 200             | TB1  | 感德              | 藤铁工艺  | 200 |
//! | 2017 | 1003 铁观音 closed            | TB1  | 感德              | 茶叶 agri |   0 |
//! | 2017 | 1004 淮山 80, refund 30       | TB2  | 西坪 (ship-from)  | 淮山 agri |  50 |
//! | 2017 | PDD 红米 cancelled (January)  | PDD1 | unattributed     | 粮油 agri |   0 |
//! | 2017 | PDD 红米 40                   | PDD1 | unattributed     | 粮油 agri |  40 |
//! | 2017 | PDD T恤 60                    | PDD1 | unattributed     | 服装      |  60 |
//! | 2018 | PDD 红米 50 (June)            | PDD1 | unattributed     | 粮油 agri |  50 |
//! | 2019 | 1901 铁观音 108 incl. 8 post  | TB1  | 感德              | 茶叶 agri | 100 |
//! | 2019 | 1902 藤铁花架 290             | TB1  | 感德              | 藤铁工艺  | 290 |
//! | 2019 | 1903 淮山 100, refund 20      | TB2  | 西坪              | 淮山 agri |  80 |
//! | 2019 | PDD 红米 60 (June)            | PDD1 | unattributed     | 粮油 agri |  60 |
//! | 2019 | PDD 神秘礼盒 10 (July)         | PDD1 | unattributed     | 未映射    |  10 |
//! | 2019 | PDD 红米 cancelled (December) | PDD1 | unattributed     | 粮油 agri |   0 |
//!
//! The cancelled orders of January 2017 and December 2019 add nothing, but they put the
//! data's calendar at 2017-01 … 2019-12, so every year is complete and can be judged.
//!
//! Rural (all of Anxi): 2017 450, 2018 50, 2019 540 → vs 2017 +20.0000% (target ≥20: 达标).
//! Agricultural: 2017 190, 2018 50, 2019 240 → vs 2017 +26.3158% (target ≥30: 未达标).
//! Quarantined: taobao 1904 (amount `abc`) and a repeated 1901 line; PDD 异常订单.

use std::path::Path;

use crate::{copy_dir, decimal, ecstat, query, repo};

const TAOBAO: &str = "\
订单编号,子订单编号,店铺ID,店铺名称,宝贝标题,类目,购买数量,商品单价,买家实付金额,邮费,退款金额,订单状态,订单创建时间,订单付款时间,发货地
\"=\"\"1001\"\"\",\"=\"\"100101\"\"\",TB1,感德茶店,安溪铁观音 250g,茶叶,1,100.00,106.00,6.00,0.00,交易成功,2017-03-01 10:00:00,2017-03-01 10:05:00,福建省泉州市安溪县感德镇
\"=\"\"1002\"\"\",\"=\"\"100201\"\"\",TB1,感德茶店,藤铁花架,家居工艺品,1,200.00,200.00,0.00,0.00,交易成功,2017-05-02 09:00:00,2017-05-02 09:01:00,福建省泉州市安溪县感德镇
\"=\"\"1003\"\"\",\"=\"\"100301\"\"\",TB1,感德茶店,安溪铁观音 礼盒,茶叶,1,50.00,50.00,0.00,50.00,交易关闭,2017-07-01 08:00:00,,福建省泉州市安溪县感德镇
\"=\"\"1004\"\"\",\"=\"\"100401\"\"\",TB2,西坪淮山铺,安溪淮山 5斤,农产品,1,80.00,80.00,0.00,30.00,交易成功,2017-11-11 00:10:00,2017-11-11 00:11:00,福建省泉州市安溪县西坪镇
\"=\"\"1901\"\"\",\"=\"\"190101\"\"\",TB1,感德茶店,安溪铁观音 清香型,茶叶,1,100.00,108.00,8.00,0.00,交易成功,2019-03-01 10:00:00,2019-03-01 10:01:00,福建省泉州市安溪县感德镇
\"=\"\"1902\"\"\",\"=\"\"190201\"\"\",TB1,感德茶店,藤铁花架 客厅,家居工艺品,1,290.00,290.00,0.00,0.00,交易成功,2019-05-02 09:00:00,2019-05-02 09:00:30,福建省泉州市安溪县感德镇
\"=\"\"1903\"\"\",\"=\"\"190301\"\"\",TB2,西坪淮山铺,安溪淮山 5斤,农产品,1,100.00,100.00,0.00,20.00,交易成功,2019-11-11 00:10:00,2019-11-11 00:10:10,福建省泉州市安溪县西坪镇
\"=\"\"1904\"\"\",\"=\"\"190401\"\"\",TB2,西坪淮山铺,安溪淮山,农产品,1,abc,abc,0.00,0.00,交易成功,2019-11-12 00:10:00,2019-11-12 00:10:10,福建省泉州市安溪县西坪镇
\"=\"\"1901\"\"\",\"=\"\"190101\"\"\",TB1,感德茶店,安溪铁观音 清香型,茶叶,1,100.00,108.00,8.00,0.00,交易成功,2019-03-01 10:00:00,2019-03-01 10:01:00,福建省泉州市安溪县感德镇
";

const PINDUODUO: &str = "\u{feff}订单号,店铺ID,店铺名称,商品,商品数量,商品总价(元),运费(元),用户实付金额(元),订单状态 ,售后状态,退款金额(元),订单成交时间
170601-001,PDD1,官桥红米店,官桥红米 2.5kg,1,40.00元,0.00元,40.00元,已签收,无售后,0.00元,2017-06-01 12:00:00
170602-001,PDD1,官桥红米店,纯棉T恤 男款,1,60.00元,0.00元,60.00元,已签收,无售后,0.00元,2017-06-02 12:00:00
180601-001,PDD1,官桥红米店,官桥红米 2.5kg,1,50.00元,0.00元,50.00元,已签收,无售后,0.00元,2018-06-01 12:00:00
190601-001,PDD1,官桥红米店,官桥红米 2.5kg,1,60.00元,0.00元,60.00元,已签收,无售后,0.00元,2019-06-01 12:00:00
190701-001,PDD1,官桥红米店,神秘礼盒,1,10.00元,0.00元,10.00元,已签收,无售后,0.00元,2019-07-01 12:00:00
190702-001,PDD1,官桥红米店,官桥红米,1,30.00元,0.00元,30.00元,异常订单,无售后,0.00元,2019-07-02 12:00:00
170105-001,PDD1,官桥红米店,官桥红米 2.5kg,1,40.00元,0.00元,40.00元,已取消,无售后,0.00元,2017-01-05 12:00:00
191231-001,PDD1,官桥红米店,官桥红米 2.5kg,1,40.00元,0.00元,40.00元,已取消,无售后,0.00元,2019-12-31 12:00:00
";

const SHOPS: &str = "platform,shop_id,shop_name,enterprise_name,uscc,township_code
taobao,TB1,感德茶店,安溪县感德示例茶业有限公司,91350524TEST00001X,350524110000
";

/// A valid 统一社会信用代码 ending in `serial` (check character per GB 32100-2015).
pub fn uscc(serial: u32) -> String {
    let body = format!("91350524000{serial:06}");
    let check = ecstat_core::uscc::check_char(&body).expect("17 code characters");
    format!("{body}{check}")
}

/// Department lists of the fixture (the enterprise database, `tests/slt/databases.slt`):
///
/// | register 2018-12-31 | register 2019-12-31 | operator list 2019 |
/// |---|---|---|
/// | U1 感德示例茶业有限公司, 感德, est. 2016-05-01, 存续 | U1 renamed 安溪县感德示例茶业有限公司 | TB1 (淘宝) by U1, 感德 |
/// | U2 西坪淮山专业合作社, 西坪, est. 2018-03-01, 存续 | U2 注销 | TB8 (天猫) by 西坪淮山专业合作社, no code, 西坪, from 2018-05-01 |
/// | — | U3 官桥红米商行, 个体工商户, 官桥, est. 2019-04-01 | JD9 (京东) by U3 but placed in 湖头 |
/// | — | — | DY9 (抖音小店) by 茶香小铺, 个人网商, 祥华, from 2019-08-01 |
///
/// The shop register (reference/shops.csv) gives TB1 to another code, 91350524TEST00001X.
pub fn departments(dir: &Path) {
    use rust_xlsxwriter::Workbook;
    let (u1, u2, u3) = (uscc(1), uscc(2), uscc(3));
    let register = |as_of: &str, rows: &[[&str; 6]]| {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("登记信息").expect("name");
        ws.write(0, 0, "安溪县电子商务相关市场主体登记信息表")
            .expect("write");
        ws.write(1, 0, format!("数据来源：市场监管局　　截至日期：{as_of}"))
            .expect("write");
        for (c, h) in [
            "统一社会信用代码",
            "市场主体名称",
            "主体类型",
            "所属乡镇",
            "成立日期",
            "登记状态",
        ]
        .iter()
        .enumerate()
        {
            ws.write(2, c as u16, *h).expect("write");
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write(3 + r as u32, c as u16, *v).expect("write");
            }
        }
        wb
    };
    let folder = dir.join("inbox/departments/市场监管局");
    std::fs::create_dir_all(&folder).expect("mkdir");
    register(
        "2018年12月31日",
        &[
            [
                &u1,
                "感德示例茶业有限公司",
                "企业",
                "感德镇",
                "2016-05-01",
                "存续",
            ],
            [
                &u2,
                "西坪淮山专业合作社",
                "农民专业合作社",
                "西坪镇",
                "2018-03-01",
                "存续",
            ],
        ],
    )
    .save(folder.join("市场主体登记信息_2018.xlsx"))
    .expect("save");
    register(
        "2019年12月31日",
        &[
            [
                &u1,
                "安溪县感德示例茶业有限公司",
                "企业",
                "感德镇",
                "2016-05-01",
                "存续",
            ],
            [
                &u2,
                "西坪淮山专业合作社",
                "农民专业合作社",
                "西坪镇",
                "2018-03-01",
                "注销",
            ],
            [
                &u3,
                "官桥红米商行",
                "个体工商户",
                "官桥镇",
                "2019-04-01",
                "存续",
            ],
        ],
    )
    .save(folder.join("市场主体登记信息_2019.xlsx"))
    .expect("save");

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("网商名录").expect("name");
    ws.write(0, 0, "安溪县网商名录").expect("write");
    let header = [
        "经营主体名称",
        "主体类型",
        "统一社会信用代码",
        "电商平台",
        "店铺ID",
        "所在乡镇",
        "开店时间",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write(1, c as u16, *h).expect("write");
    }
    let rows: [[&str; 7]; 4] = [
        [
            "安溪县感德示例茶业有限公司",
            "企业",
            &u1,
            "淘宝",
            "TB1",
            "感德镇",
            "2017-01-01",
        ],
        [
            "西坪淮山专业合作社",
            "农民专业合作社",
            "",
            "天猫",
            "TB8",
            "西坪镇",
            "2018-05-01",
        ],
        [
            "官桥红米商行",
            "个体工商户",
            &u3,
            "京东",
            "JD9",
            "湖头镇",
            "2019-06-01",
        ],
        [
            "茶香小铺",
            "个人网商",
            "",
            "抖音小店",
            "DY9",
            "祥华乡",
            "2019-08-01",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write(2 + r as u32, c as u16, *v).expect("write");
        }
    }
    let folder = dir.join("inbox/departments/商务局");
    std::fs::create_dir_all(&folder).expect("mkdir");
    wb.save(folder.join("网商名录_2019.xlsx")).expect("save");

    // The provincial platform's county figures for three months (rec_online_retail):
    // 2017-03 120.00 against our 100.00, 2017-05 200.00 as ours, 2018-01 with no order here.
    // One response per year, as the platform's API is queried.
    let folder = dir.join("inbox/provincial");
    std::fs::create_dir_all(&folder).expect("mkdir");
    for (year, records) in [
        ("2017", &[("2017-03", "120.00"), ("2017-05", "200.00")][..]),
        ("2018", &[("2018-01", "30.00")][..]),
    ] {
        let records = records
            .iter()
            .map(|(m, v)| {
                format!(
                    r#"{{"regionCode":"350524000000","regionName":"安溪县","statMonth":"{m}","onlineRetailSales":"{v}"}}"#
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        std::fs::write(
            folder.join(format!("网络零售统计_{year}.json")),
            format!(r#"{{"code":0,"data":{{"records":[{records}]}}}}"#),
        )
        .expect("write");
    }
}

/// Lay the fixture out under `dir`: inbox/ (taobao in GBK, department lists) and reference/.
pub fn fixture(dir: &Path) {
    departments(dir);
    let platforms = dir.join("inbox/platforms");
    std::fs::create_dir_all(&platforms).expect("mkdir");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(TAOBAO);
    assert!(!unmappable, "the taobao fixture is GBK-encodable");
    std::fs::write(platforms.join("淘宝订单导出_tiny.csv"), &*gbk).expect("write");
    std::fs::write(platforms.join("拼多多订单_tiny.csv"), PINDUODUO).expect("write");
    let reference = dir.join("reference");
    std::fs::create_dir_all(&reference).expect("mkdir");
    for file in ["anxi_divisions.csv", "category_map.csv", "platforms.csv"] {
        std::fs::copy(
            repo().join("sample_data/reference").join(file),
            reference.join(file),
        )
        .expect("copy");
    }
    std::fs::write(reference.join("shops.csv"), SHOPS).expect("write");
}

pub fn run(dir: &Path) -> std::process::Output {
    let inbox = dir.join("inbox");
    let reference = dir.join("reference");
    ecstat(
        &dir.join("wh"),
        &[
            "run",
            "--inbox",
            inbox.to_str().expect("utf-8 temp path"),
            "--reference",
            reference.to_str().expect("utf-8 temp path"),
        ],
    )
}

/// The county's 2019 rural online retail (ten-thousandths of a yuan).
fn county_rural_2019(data: &Path) -> Option<i128> {
    indicator(
        data,
        "rural_online_retail",
        "value",
        "year",
        "2019",
        "county",
        "350524000000",
    )
    .0
}

/// The value (in ten-thousandths) of one indicator row.
fn indicator(
    data: &Path,
    code: &str,
    measure: &str,
    period_type: &str,
    period: &str,
    dimension: &str,
    member: &str,
) -> (Option<i128>, String, String) {
    let rows = query(
        data,
        &format!(
            "SELECT value, status, note FROM ind_results WHERE indicator_code = '{code}' AND measure = '{measure}' \
             AND period_type = '{period_type}' AND period = '{period}' AND dimension = '{dimension}' AND member = '{member}'"
        ),
    );
    assert_eq!(
        rows.len(),
        1,
        "one row for {code} {measure} {period_type} {period} {dimension} {member}"
    );
    let text = |c: &str| {
        rows[0]
            .get(c)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    (decimal(&rows[0], "value", 4), text("status"), text("note"))
}

const Y: i128 = 10_000; // one yuan (or one percentage point) in ten-thousandths

#[test]
fn tiny_fixture_runs_and_exports() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    let out = run(tmp.path());
    assert!(out.status.success(), "run exits 0");
    let data = tmp.path().join("wh");
    // The figures themselves — yearly, year-to-date and growth values, attribution to
    // townships, the unmapped category, where every line went — are checked against the
    // same fixture's snapshot by tests/slt/tiny_values.slt (slt::model_and_indicator_sql_on_the_tiny_fixture).

    // The exports exist; the CSV starts with a BOM.
    let csv = std::fs::read(data.join("exports/indicators.csv")).expect("csv export");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    assert!(data.join("exports/indicators.xlsx").is_file());
}

#[test]
fn bad_files_are_rejected_whole_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    let platforms = tmp.path().join("inbox/platforms");
    // A taobao export without its status column.
    let no_status: String = TAOBAO
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let mut kept: Vec<&str> = cells[..11].to_vec();
            kept.extend(&cells[12..]);
            kept.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(platforms.join("淘宝订单导出_nostatus.csv"), no_status).expect("write");
    std::fs::write(platforms.join("拼多多订单_empty.csv"), b"").expect("write");
    std::fs::write(
        platforms.join("京东订单_broken.xlsx"),
        b"PK\x03\x04 truncated",
    )
    .expect("write");
    std::fs::write(
        platforms.join("拼多多订单_binary.csv"),
        [0xffu8, 0xfe, 0x00, 0x81, 0x30, 0xff, 0xff, 0x00],
    )
    .expect("write");

    let out = run(tmp.path());
    assert_eq!(
        out.status.code(),
        Some(1),
        "rejected files make the run's checks fail"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("missing required columns status (订单状态)"),
        "{stdout}"
    );
    assert!(stdout.contains("headers found: 订单编号,"), "{stdout}");
    assert!(stdout.contains("file is empty"), "{stdout}");
    assert!(stdout.contains("cannot read as xlsx"), "{stdout}");
    assert!(stdout.contains("not text in UTF-8 or GB18030"), "{stdout}");

    // The good files still made it, whole.
    let data = tmp.path().join("wh");
    let staged = query(&data, "SELECT count(*) AS n FROM stg_orders");
    assert_eq!(staged[0]["n"].as_i64(), Some(14));
}

#[test]
fn a_year_still_running_is_not_judged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    // Without the cancelled December order the data ends in November 2019.
    let pdd = tmp.path().join("inbox/platforms/拼多多订单_tiny.csv");
    let text: String = PINDUODUO
        .lines()
        .filter(|l| !l.starts_with("191231-001"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&pdd, text).expect("write");
    assert!(run(tmp.path()).status.success());
    let data = tmp.path().join("wh");
    // The growth itself is still +20%, but 2019 has 11 months: 数据不足, and it says so.
    let (v, status, note) = indicator(
        &data,
        "rural_online_retail",
        "vs_baseline_pct",
        "year",
        "2019",
        "county",
        "350524000000",
    );
    assert_eq!(v, Some(20 * Y));
    assert_eq!(status, "数据不足");
    assert!(note.contains("年度数据不完整（11个月）"), "note: {note}");
}

#[test]
fn a_build_whose_model_tests_fail_is_not_published() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    // A shop registered in a township that does not exist would put its sales nowhere.
    let shops = format!("{SHOPS}taobao,TB2,西坪淮山铺,西坪淮山铺,,350524999000\n");
    std::fs::write(tmp.path().join("reference/shops.csv"), shops).expect("write");
    let out = run(tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("NOT PUBLISHED"), "{stdout}");
    assert!(
        stdout.contains("FAILED dim_shop: relationships(township_code -> dim_region.region_code)"),
        "{stdout}"
    );
    // …with the failing row itself, so the statistician sees which shop.
    assert!(
        stdout.contains("TB2") && stdout.contains("350524999000"),
        "{stdout}"
    );
    let manifests = std::fs::read_dir(tmp.path().join("wh/_manifests"))
        .expect("dir")
        .count();
    assert_eq!(manifests, 0, "no snapshot was published");
    assert!(!tmp.path().join("wh/exports/indicators.xlsx").exists());
}

#[test]
fn a_changed_spec_reads_its_files_again_and_leaves_the_others() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    let pipelines = tmp.path().join("pipelines");
    for dir in ["sources", "models"] {
        std::fs::create_dir_all(pipelines.join(dir)).expect("mkdir");
        for entry in std::fs::read_dir(repo().join("pipelines").join(dir)).expect("read") {
            let path = entry.expect("entry").path();
            std::fs::copy(
                &path,
                pipelines.join(dir).join(path.file_name().expect("name")),
            )
            .expect("copy");
        }
    }
    for file in ["indicators.toml", "reference.toml", "report.toml"] {
        std::fs::copy(repo().join("pipelines").join(file), pipelines.join(file)).expect("copy");
    }
    let run_with = |dir: &Path| {
        let arg = |p: std::path::PathBuf| p.to_str().expect("utf-8 path").to_string();
        let (inbox, reference, pipes) = (
            arg(dir.join("inbox")),
            arg(dir.join("reference")),
            arg(dir.join("pipelines")),
        );
        ecstat(
            &dir.join("wh"),
            &[
                "run",
                "--inbox",
                &inbox,
                "--reference",
                &reference,
                "--pipelines",
                &pipes,
            ],
        )
    };
    assert!(run_with(tmp.path()).status.success());
    assert!(run_with(tmp.path()).status.success());
    // Unchanged spec and files: nothing is read again, nothing is published.
    let stdout = String::from_utf8_lossy(&run_with(tmp.path()).stdout).to_string();
    assert!(
        stdout.contains("nothing changed since snapshot 1")
            && stdout.contains("same 7 input files"),
        "{stdout}"
    );

    // The bureau decides 异常订单 are completed orders: only the pinduoduo file is read again.
    let spec = pipelines.join("sources/pinduoduo.toml");
    let text = std::fs::read_to_string(&spec).expect("read").replace(
        "completed = [\"已签收\"]",
        "completed = [\"已签收\", \"异常订单\"]",
    );
    std::fs::write(&spec, text).expect("write");
    let out = run_with(tmp.path());
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("files: 7 (6 unchanged"), "{stdout}");
    let data = tmp.path().join("wh");
    let files = query(
        &data,
        "SELECT source, rows_staged, rows_quarantined FROM ingest_files \
         WHERE source = 'pinduoduo'",
    );
    assert_eq!(files[0]["rows_staged"].as_u64(), Some(8));
    assert_eq!(files[0]["rows_quarantined"].as_u64(), Some(0));
    // 2019 rural sales gain the 30.00 of the 异常订单 line: 540 + 30.
    let v = county_rural_2019(&data);
    assert_eq!(v, Some(570 * Y));
}

#[test]
fn a_main_order_row_beside_its_sub_order_lines_is_not_counted_twice() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    // A main-order export of order 1902 (no 子订单编号) lands beside the sub-order export.
    let main_row = "\"=\"\"1902\"\"\",,TB1,感德茶店,藤铁花架 客厅,家居工艺品,1,290.00,290.00,0.00,0.00,交易成功,\
                    2019-05-02 09:00:00,2019-05-02 09:00:30,福建省泉州市安溪县感德镇\n";
    let header = TAOBAO.lines().next().expect("header");
    let text = format!("{header}\n{main_row}");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(
        tmp.path().join("inbox/platforms/淘宝订单导出_main.csv"),
        &*gbk,
    )
    .expect("write");
    assert!(run(tmp.path()).status.success());
    let data = tmp.path().join("wh");
    let staged = query(
        &data,
        "SELECT count(*) AS n FROM orders WHERE order_id = '1902'",
    );
    assert_eq!(staged[0]["n"].as_i64(), Some(2), "both rows staged");
    let v = county_rural_2019(&data);
    assert_eq!(v, Some(540 * Y), "but 1902 counts once");
}

#[test]
fn a_later_export_of_an_order_replaces_all_its_lines() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    let header = TAOBAO.lines().next().expect("header");
    let line = |order: &str, sub: &str, amount: &str, time: &str| {
        format!(
            "\"=\"\"{order}\"\"\",\"=\"\"{sub}\"\"\",TB1,感德茶店,安溪铁观音 250g,茶叶,1,{amount},{amount},0.00,0.00,交易成功,{time},{time},福建省泉州市安溪县感德镇\n"
        )
    };
    // The earlier export has order 1950 with two lines; the later one (reaching a later
    // order time) has 1950 with one line only: its second sub-order is gone.
    let earlier = format!(
        "{header}\n{}{}",
        line("1950", "195001", "100.00", "2019-06-01 10:00:00"),
        line("1950", "195002", "50.00", "2019-06-01 10:00:00")
    );
    let later = format!(
        "{header}\n{}{}",
        line("1951", "195101", "10.00", "2019-06-05 10:00:00"),
        line("1950", "195001", "100.00", "2019-06-01 10:00:00")
    );
    // Named so that the later export sorts first: the export's reach decides, not the name.
    for (name, text) in [
        ("淘宝订单导出_b.csv", &earlier),
        ("淘宝订单导出_a.csv", &later),
    ] {
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        std::fs::write(tmp.path().join("inbox/platforms").join(name), &*gbk).expect("write");
    }
    assert!(run(tmp.path()).status.success());
    let data = tmp.path().join("wh");
    let counted = query(
        &data,
        "SELECT sub_order_id, net_sales_yuan FROM stg_orders WHERE order_id = '1950'",
    );
    assert_eq!(counted.len(), 1, "{counted:?}");
    assert_eq!(counted[0]["sub_order_id"].as_str(), Some("195001"));
    let v = county_rural_2019(&data);
    // 540 of the fixture, + 100 (1950 as the later export has it) + 10 (1951).
    assert_eq!(v, Some(650 * Y));
}

#[test]
fn tea_sets_and_canisters_are_not_tea_and_category_paths_match_by_prefix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    let header = TAOBAO.lines().next().expect("header");
    let line = |order: &str, title: &str, category: &str| {
        format!(
            "\"=\"\"{order}\"\"\",\"=\"\"{order}01\"\"\",TB1,感德茶店,{title},{category},1,10.00,10.00,0.00,0.00,交易成功,2019-06-01 10:00:00,2019-06-01 10:00:00,福建省泉州市安溪县感德镇\n"
        )
    };
    let items = [
        ("1960", "安溪铁观音 茶叶罐 密封", "其他"),
        ("1961", "铁观音 功夫茶具套装", "其他"),
        ("1962", "淮山药切片机 家用", "其他"),
        ("1963", "安溪铁观音 礼盒装", "茶>乌龙茶>铁观音"),
        ("1964", "玻璃公道杯", "茶>茶具"),
        ("1965", "高山乌龙 500g", "食品饮料>茗茶>乌龙茶"),
        ("1966", "茶具收纳架", "茶具"),
    ];
    let text = format!(
        "{header}\n{}",
        items
            .iter()
            .map(|(o, t, c)| line(o, t, c))
            .collect::<String>()
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(
        tmp.path().join("inbox/platforms/淘宝订单导出_items.csv"),
        &*gbk,
    )
    .expect("write");
    assert!(run(tmp.path()).status.success());
    let data = tmp.path().join("wh");
    let rows = query(
        &data,
        "SELECT item_title, category, is_agricultural, matched_by FROM dim_item \
         WHERE item_title IN ('安溪铁观音 茶叶罐 密封', '铁观音 功夫茶具套装', '淮山药切片机 家用', \
           '安溪铁观音 礼盒装', '玻璃公道杯', '高山乌龙 500g', '茶具收纳架') ORDER BY item_title",
    );
    let got: Vec<(String, String, Option<bool>, String)> = rows
        .iter()
        .map(|r| {
            (
                r["item_title"].as_str().unwrap_or("").to_string(),
                r["category"].as_str().unwrap_or("").to_string(),
                r["is_agricultural"].as_bool(),
                r["matched_by"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut want = vec![
        (
            "安溪铁观音 茶叶罐 密封",
            "包装",
            Some(false),
            "title:茶叶罐",
        ),
        ("铁观音 功夫茶具套装", "茶具", Some(false), "title:茶具"),
        ("淮山药切片机 家用", "机械设备", Some(false), "title:切片机"),
        ("安溪铁观音 礼盒装", "茶叶", Some(true), "title:铁观音"),
        // The platform says 茶具, and no title word says otherwise first.
        (
            "玻璃公道杯",
            "茶具",
            Some(false),
            "platform_category:茶>茶具",
        ),
        // 食品饮料>茗茶 is a prefix of the item's category path.
        (
            "高山乌龙 500g",
            "茶叶",
            Some(true),
            "platform_category:食品饮料>茗茶",
        ),
        // 茶 is not a prefix of 茶具 at a '>' boundary; the title says 茶具.
        ("茶具收纳架", "茶具", Some(false), "title:茶具"),
    ]
    .into_iter()
    .map(|(t, c, a, m)| (t.to_string(), c.to_string(), a, m.to_string()))
    .collect::<Vec<_>>();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn build_select_rebuilds_a_model_and_what_depends_on_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    assert!(run(tmp.path()).status.success());
    let data = tmp.path().join("wh");
    let before = query(&data, "SELECT * FROM ind_results ORDER BY 1, 2, 3, 4, 5, 6");
    let out = ecstat(&data, &["build", "--select", "dim_shop+"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    // dim_shop and its descendants, in dependency order; nothing upstream.
    let built: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("built "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(built.first(), Some(&"dim_shop"), "{stdout}");
    for downstream in [
        "dim_enterprise",
        "fct_online_retail_monthly",
        "typical_enterprise",
        "ind_results",
    ] {
        assert!(built.contains(&downstream), "{downstream}: {stdout}");
    }
    for upstream in ["stg_orders", "dim_region", "int_enterprise_mentions"] {
        assert!(!built.contains(&upstream), "{upstream}: {stdout}");
    }
    assert!(stdout.contains("snapshot 2"), "{stdout}");
    // Same data, same SQL: the same figures (ind_results carries its snapshot version).
    let after = query(&data, "SELECT * FROM ind_results ORDER BY 1, 2, 3, 4, 5, 6");
    assert_eq!(before.len(), after.len());
    let strip = |rows: &[serde_json::Map<String, serde_json::Value>]| -> Vec<String> {
        rows.iter()
            .map(|r| {
                let mut r = r.clone();
                r.remove("snapshot_version");
                serde_json::to_string(&r).unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(strip(&before), strip(&after));
    let out = ecstat(&data, &["build", "--select", "no_such_model"]);
    assert_eq!(out.status.code(), Some(2));

    // After a source spec changed, its files must be read again: build refuses.
    let pipelines = tmp.path().join("pipelines");
    copy_dir(&repo().join("pipelines"), &pipelines);
    let spec = pipelines.join("sources/pinduoduo.toml");
    let text = std::fs::read_to_string(&spec).expect("read").replace(
        "completed = [\"已签收\"]",
        "completed = [\"已签收\", \"异常订单\"]",
    );
    std::fs::write(&spec, text).expect("write");
    let out = ecstat(
        &data,
        &[
            "build",
            "--select",
            "dim_shop",
            "--pipelines",
            pipelines.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("pinduoduo") && stderr.contains("ecstat run"),
        "{stderr}"
    );

    // describe: the doc the model carries, and the types the snapshot has.
    let out = ecstat(&data, &["describe", "dim_enterprise"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("grain: one row per enterprise × version"),
        "{text}"
    );
    assert!(
        text.contains("first_seen_on") && text.contains("Date32"),
        "{text}"
    );
}

#[test]
fn a_rejected_file_beside_a_copy_of_its_accepted_version_is_not_counted_twice() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fixture(tmp.path());
    assert!(run(tmp.path()).status.success());
    let platforms = tmp.path().join("inbox/platforms");
    // Someone keeps a copy of the accepted export, then the export itself is overwritten
    // by a broken one: the copy's rows count once, the broken file is rejected.
    std::fs::copy(
        platforms.join("淘宝订单导出_tiny.csv"),
        platforms.join("淘宝订单导出_tiny.bak.csv"),
    )
    .expect("copy");
    std::fs::write(platforms.join("淘宝订单导出_tiny.csv"), b"").expect("overwrite");
    let out = run(tmp.path());
    assert_eq!(out.status.code(), Some(1), "a rejected file: exit 1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("snapshot 2"),
        "the night is published: {stdout}"
    );
    let data = tmp.path().join("wh");
    let accepted = query(
        &data,
        "SELECT file FROM ingest_files WHERE source = 'taobao' AND error IS NULL",
    );
    assert_eq!(accepted.len(), 1, "one accepted taobao input: {accepted:?}");
    let v = county_rural_2019(&data);
    assert_eq!(v, Some(540 * Y), "taobao's lines once, not twice");
}
