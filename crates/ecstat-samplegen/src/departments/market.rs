//! Owns the 市场监管局 register `市场监管局/市场主体登记信息_{2018,2019}.xlsx`: the whole
//! e-commerce-related register as of the year end (spec `market_registrations`). Two
//! title rows, the header on row 3, a 制表 line at the bottom; the 2019 file spells two
//! headers differently (企业名称, 住所), has an accidental blank row, closed (注销) and
//! moved entities, and the entities established in 2019.

use anyhow::Result;

use super::entities::{Entity, address_text, date};
use super::ids;
use super::table::{Cell, Head, Plant, Props, Row, Rule, Sheet, Title, footer_line};
use super::{BAD_DATES, Ctx, SheetFor, date_cell, pick_rules, pick_str, place};

pub const SOURCE: &str = "market_registrations";
const MARKERS: &[&str] = &["合计", "制表", "数据来源"];

const COL_USCC: usize = 1;
const COL_TYPE: usize = 3;
const COL_TOWNSHIP: usize = 6;
const COL_DATE: usize = 7;
const COL_CAPITAL: usize = 8;
const COL_STATUS: usize = 9;

fn header(year: i32) -> Vec<Head> {
    let (name, address) = if year == 2018 {
        ("市场主体名称", "住所（经营场所）")
    } else {
        ("企业名称", "住所")
    };
    vec![
        Head::One("序号"),
        Head::One("统一社会信用代码"),
        Head::One(name),
        Head::One("主体类型"),
        Head::One("法定代表人（负责人）"),
        Head::One(address),
        Head::One("所属乡镇"),
        Head::One("成立日期"),
        Head::One("注册资本（万元）"),
        Head::One("登记状态"),
        Head::One("经营范围"),
        Head::One("登记机关"),
    ]
}

pub fn write(ctx: &mut Ctx<'_>, universe: &[Entity]) -> Result<()> {
    for year in [2018, 2019] {
        write_year(ctx, universe, year)?;
    }
    Ok(())
}

fn write_year(ctx: &mut Ctx<'_>, universe: &[Entity], year: i32) -> Result<()> {
    let r = ctx.r;
    let mut rng = ctx.rng(&format!("market-{year}"));
    let listed: Vec<&Entity> = universe
        .iter()
        .filter(|e| year == 2019 || e.in_2018())
        .collect();
    let pool = [
        Rule::InvalidUscc,
        Rule::UnknownDivision,
        Rule::UnparseableDate,
        Rule::NotAcceptedValue,
        Rule::DuplicateValue,
        Rule::OutOfRange,
        Rule::MissingValue,
    ];
    let mut rules = pick_rules(&mut rng, &pool[1..], 2, 3);
    // Every register has a code whose check character is wrong.
    rules.insert(0, Rule::InvalidUscc);
    let bad = place(&mut rng, listed.len(), 5, &rules, |i, rule| {
        rule != Rule::OutOfRange || listed[i].capital_centiwan.is_some()
    });
    let blank_at = (year == 2019).then(|| rng.range(40, listed.len() as i64 - 40) as usize);

    let mut rows = Vec::new();
    let mut clean_usccs: Vec<String> = Vec::new();
    for (i, e) in listed.iter().enumerate() {
        if blank_at == Some(i) {
            // A row left behind after deleting an entry: only a full-width space remains.
            rows.push(Row::blank(vec![
                Cell::Empty,
                Cell::Empty,
                Cell::text("\u{3000}"),
            ]));
        }
        let status = if year == 2018 {
            e.status_2018.unwrap_or("存续")
        } else {
            e.status_2019
        };
        let address = match (&e.moved_2019, year) {
            (Some(a), 2019) => a,
            _ => &e.address,
        };
        let mut cells = vec![
            Cell::int(i as i64 + 1),
            Cell::text(e.uscc.clone()),
            Cell::text(e.name.clone()),
            Cell::text(e.kind.label()),
            Cell::text(e.legal_rep.clone()),
            Cell::text(address_text(r, address, rng.chance(0.5))),
            Cell::text(r.township_text(address.township, &mut rng, 0.3, 0.05)),
            date_cell(&mut rng, e.established, 0.3),
            match e.capital_centiwan {
                None => Cell::Empty,
                Some(c) if rng.chance(0.06) => Cell::text(format!("{}万元", c as f64 / 100.0)),
                Some(c) => Cell::Num(c as f64 / 100.0, super::table::NumFmt::General),
            },
            Cell::text(status),
            Cell::text(e.scope()),
            Cell::text("安溪县市场监督管理局"),
        ];
        let plant = match bad.get(&i) {
            None => {
                clean_usccs.push(e.uscc.clone());
                None
            }
            Some(&rule) => Some(plant(&mut rng, r, rule, &mut cells, &clean_usccs)),
        };
        rows.push(Row::data(cells).planted(plant));
    }
    let width = 12;
    let (made, checked) = if year == 2018 {
        ("2019年1月8日", "2018年12月31日")
    } else {
        ("2020年1月9日", "2019年12月31日")
    };
    rows.push(footer_line(
        width,
        &[
            (
                0,
                format!(
                    "制表：安溪县市场监督管理局登记注册科　　审核：{}",
                    ids::person(&mut rng, true)
                ),
            ),
            (9, format!("制表日期：{made}")),
        ],
    ));
    let sheet = Sheet {
        name: "登记信息".into(),
        titles: vec![
            Title::one(11, "安溪县电子商务相关市场主体登记信息表"),
            Title::one(
                11,
                format!("数据来源：安溪县市场监督管理局企业登记系统　　　　截至日期：{checked}"),
            ),
        ],
        header: header(year),
        rows,
        widths: vec![
            6.0, 22.0, 34.0, 14.0, 12.0, 40.0, 10.0, 14.0, 12.0, 10.0, 50.0, 20.0,
        ],
    };
    let props = Props {
        author: "安溪县市场监督管理局".into(),
        created: date(year + 1, 1, 8),
    };
    ctx.xlsx(
        &format!("departments/市场监管局/市场主体登记信息_{year}.xlsx"),
        &props,
        vec![SheetFor {
            sheet,
            source: SOURCE,
            markers: MARKERS,
        }],
        false,
        None,
    )
}

fn plant(
    rng: &mut crate::rng::SplitMix64,
    r: &super::refdata::Reference,
    rule: Rule,
    cells: &mut [Cell],
    earlier: &[String],
) -> Plant {
    match rule {
        Rule::InvalidUscc => {
            let code = cells[COL_USCC].as_text();
            cells[COL_USCC] = Cell::text(ids::uscc_with_wrong_check(&code, rng.next_u64()));
            Plant::col(rule, "uscc")
        }
        Rule::UnknownDivision => {
            cells[COL_TOWNSHIP] = Cell::text(r.township_typo(rng.next_u64()));
            Plant::col(rule, "township_code")
        }
        Rule::UnparseableDate => {
            cells[COL_DATE] = Cell::text(pick_str(rng, BAD_DATES));
            Plant::col(rule, "established_on")
        }
        Rule::NotAcceptedValue => {
            if rng.chance(0.5) {
                cells[COL_TYPE] = Cell::text("有限责任公司（自然人独资）");
                Plant::col(rule, "entity_type")
            } else {
                cells[COL_STATUS] = Cell::text("开业");
                Plant::col(rule, "status")
            }
        }
        Rule::DuplicateValue => {
            let from = &earlier[rng.below(earlier.len() as u64) as usize];
            cells[COL_USCC] = Cell::text(from.clone());
            Plant::col(rule, "uscc")
        }
        Rule::OutOfRange => {
            let v = cells[COL_CAPITAL]
                .as_text()
                .trim_end_matches("万元")
                .to_string();
            cells[COL_CAPITAL] = Cell::text(format!("-{v}"));
            Plant::col(rule, "registered_capital_yuan")
        }
        _ => {
            cells[COL_DATE] = Cell::Empty;
            Plant::col(Rule::MissingValue, "established_on")
        }
    }
}
