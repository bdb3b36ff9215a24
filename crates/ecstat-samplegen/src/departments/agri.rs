//! Owns the 农茶局 list `农茶局/农业经营主体名录_2019.xlsx` (spec `agri_entities`):
//! cooperatives (those of the 市场监管局 register plus others), family farms and leading
//! enterprises, with level, products, area, certifications, linked poor households and
//! sales in 万元. One credit code is given twice (a warning: the row still loads).

use anyhow::Result;
use chrono::NaiveDate;

use super::commerce::product_list;
use super::entities::{Entity, Kind, Trade, date, day_between};
use super::ids;
use super::table::{Cell, Head, NumFmt, Plant, Props, Row, Rule, Sheet, Title, footer_line};
use super::{
    BAD_AMOUNTS, BAD_DATES, BAD_INTEGERS, Ctx, SheetFor, date_cell, pick_rules, pick_str, place,
};
use crate::rng::SplitMix64;

const CERTS: [&str; 4] = ["绿色食品", "有机产品", "地理标志", "无公害农产品"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgriKind {
    Coop,
    Farm,
    Leader,
}

impl AgriKind {
    fn label(self) -> &'static str {
        match self {
            AgriKind::Coop => "农民专业合作社",
            AgriKind::Farm => "家庭农场",
            AgriKind::Leader => "农业产业化龙头企业",
        }
    }
}

struct AgriEntity {
    name: String,
    kind: AgriKind,
    level: Option<&'static str>,
    uscc: Option<String>,
    rep: String,
    township: usize,
    village: Option<usize>,
    products: Vec<&'static str>,
    /// Tenths of 亩.
    area_tenths: i64,
    certs: Vec<&'static str>,
    poor: i64,
    /// Hundredths of 万元.
    sales: i64,
    online: i64,
    established: NaiveDate,
}

fn agri_products(rng: &mut SplitMix64, tea: bool) -> Vec<&'static str> {
    const TEA: &[&str] = &["茶叶", "铁观音", "黄金桂", "本山", "毛蟹"];
    const PRODUCE: &[&str] = &[
        "淮山",
        "红米",
        "蜜柚",
        "龙眼",
        "香菇",
        "高山蔬菜",
        "茶油",
        "土鸡",
    ];
    let list = if tea { TEA } else { PRODUCE };
    let k = rng.range(1, 3) as usize;
    let start = rng.below(list.len() as u64) as usize;
    let mut out: Vec<&str> = (0..k).map(|i| list[(start + i) % list.len()]).collect();
    if tea && rng.chance(0.2) {
        out.push("淮山");
    }
    out
}

fn level(rng: &mut SplitMix64, kind: AgriKind) -> Option<&'static str> {
    let w: [f64; 5] = match kind {
        AgriKind::Coop => [1.0, 5.0, 10.0, 22.0, 62.0],
        AgriKind::Farm => [0.0, 4.0, 10.0, 25.0, 61.0],
        AgriKind::Leader => [3.0, 20.0, 35.0, 42.0, 0.0],
    };
    [
        Some("国家级"),
        Some("省级"),
        Some("市级"),
        Some("县级"),
        None,
    ][rng.weighted(&w)]
}

pub fn write(ctx: &mut Ctx<'_>, universe: &[Entity]) -> Result<()> {
    let r = ctx.r;
    let mut rng = ctx.rng("agri-entities");
    let mut list: Vec<AgriEntity> = Vec::new();
    let mut serial = 200_001u32;
    let make = |rng: &mut SplitMix64,
                kind: AgriKind,
                name: String,
                uscc: Option<String>,
                rep: String,
                township: usize,
                tea: bool,
                established: NaiveDate| {
        let villages = &r.townships[township].villages;
        let (area, poor, sales) = match kind {
            AgriKind::Coop => (
                rng.range(500, 30_000),
                rng.range(0, 120),
                rng.range(2_000, 200_000),
            ),
            AgriKind::Farm => (
                rng.range(200, 5_000),
                rng.range(0, 20),
                rng.range(1_000, 30_000),
            ),
            AgriKind::Leader => (
                rng.range(2_000, 100_000),
                rng.range(10, 500),
                rng.range(50_000, 5_000_000),
            ),
        };
        let certs: Vec<&'static str> = CERTS.iter().copied().filter(|_| rng.chance(0.22)).collect();
        AgriEntity {
            name,
            kind,
            level: level(rng, kind),
            uscc,
            rep,
            township,
            village: rng
                .chance(0.85)
                .then(|| villages[rng.below(villages.len() as u64) as usize]),
            products: agri_products(rng, tea),
            area_tenths: area * 10 + rng.range(0, 9),
            certs,
            poor,
            sales,
            online: sales * rng.range(0, 40) / 100,
            established,
        }
    };
    let registered = |e: &&Entity| matches!(e.status_2019, "存续" | "在业");
    for e in universe
        .iter()
        .filter(|e| e.kind == Kind::Coop)
        .filter(registered)
    {
        let t = e.moved_2019.as_ref().unwrap_or(&e.address).township;
        list.push(make(
            &mut rng,
            AgriKind::Coop,
            e.name.clone(),
            Some(e.uscc.clone()),
            e.legal_rep.clone(),
            t,
            e.trade == Trade::Tea,
            e.established,
        ));
    }
    let leaders: Vec<&Entity> = universe
        .iter()
        .filter(|e| e.kind == Kind::Enterprise && matches!(e.trade, Trade::Tea | Trade::Produce))
        .filter(registered)
        .collect();
    for e in leaders.iter().step_by(3).take(30) {
        let t = e.moved_2019.as_ref().unwrap_or(&e.address).township;
        list.push(make(
            &mut rng,
            AgriKind::Leader,
            e.name.clone(),
            Some(e.uscc.clone()),
            e.legal_rep.clone(),
            t,
            e.trade == Trade::Tea,
            e.established,
        ));
    }
    while list.len() < 300 {
        let t = r.weighted_township(&mut rng);
        let tw = &r.townships[t];
        let tea = rng.chance(0.6);
        let farm = list.iter().filter(|a| a.kind == AgriKind::Farm).count() < 100;
        let rep = ids::person_p(&mut rng, 0.75);
        let (kind, name, uscc) = if farm {
            let uscc = rng.chance(0.6).then(|| {
                let prefix = if rng.chance(0.8) {
                    "92350524"
                } else {
                    "91350524"
                };
                ids::uscc(prefix, &format!("XX2{serial:06}"))
            });
            (
                AgriKind::Farm,
                format!("安溪县{}{rep}家庭农场", tw.name),
                uscc,
            )
        } else {
            let word = [
                "山盛", "春茗", "源丰", "绿野", "云溪", "乡里", "禾香", "茶缘", "碧岭", "福农",
            ][rng.below(10) as usize];
            let what = if tea {
                "茶叶"
            } else {
                ["淮山", "果蔬", "红米", "生态种植"][rng.below(4) as usize]
            };
            let name = format!("安溪县{}{word}{what}专业合作社", tw.short);
            if list.iter().any(|a| a.name == name) {
                continue;
            }
            (
                AgriKind::Coop,
                name,
                Some(ids::uscc("93350524", &format!("XX2{serial:06}"))),
            )
        };
        serial += 1;
        let established = day_between(&mut rng, date(2008, 1, 1), date(2019, 10, 31));
        list.push(make(&mut rng, kind, name, uscc, rep, t, tea, established));
    }
    list.sort_by(|a, b| {
        (a.township, a.kind as u8, &a.name).cmp(&(b.township, b.kind as u8, &b.name))
    });

    let pool = [
        Rule::OutOfRange,
        Rule::UnknownDivision,
        Rule::NotAcceptedValue,
        Rule::UnparseableAmount,
        Rule::InvalidUscc,
        Rule::UnparseableDate,
        Rule::UnparseableInteger,
    ];
    let rules = pick_rules(&mut rng, &pool, 3, 3);
    let bad = place(&mut rng, list.len(), 5, &rules, |i, rule| match rule {
        Rule::InvalidUscc => list[i].uscc.is_some(),
        Rule::UnknownDivision => list[i].village.is_some(),
        _ => true,
    });
    // The warning: a family farm registered under its cooperative's credit code.
    let dup_at = (list.len() / 2..list.len())
        .find(|i| {
            !bad.contains_key(i) && list[*i].kind == AgriKind::Farm && list[*i].uscc.is_some()
        })
        .unwrap_or(list.len() - 1);
    let dup_from = (0..dup_at)
        .rev()
        .find(|j| {
            !bad.contains_key(j)
                && list[*j].uscc.is_some()
                && list[*j].township == list[dup_at].township
        })
        .or_else(|| {
            (0..dup_at)
                .rev()
                .find(|j| !bad.contains_key(j) && list[*j].uscc.is_some())
        })
        .unwrap_or(0);

    let mut rows = Vec::new();
    let mut sums = [0i64; 4];
    for (i, a) in list.iter().enumerate() {
        let uscc = if i == dup_at {
            list[dup_from].uscc.clone()
        } else {
            a.uscc.clone()
        };
        let mut cells = vec![
            Cell::int(i as i64 + 1),
            Cell::text(a.name.clone()),
            Cell::text(a.kind.label()),
            a.level.map_or(Cell::Empty, Cell::text),
            uscc.map_or(Cell::Empty, Cell::Text),
            Cell::text(a.rep.clone()),
            Cell::text(r.township_text(a.township, &mut rng, 0.35, 0.04)),
            a.village.map_or(Cell::Empty, |v| {
                Cell::text(r.village_text(v, &mut rng, 0.6))
            }),
            Cell::text(product_list(&mut rng, &a.products)),
            Cell::Num(a.area_tenths as f64 / 10.0, NumFmt::General),
            Cell::text(product_list(&mut rng, &a.certs)),
            Cell::int(a.poor),
            Cell::cents(a.sales),
            Cell::cents(a.online),
            date_cell(&mut rng, a.established, 0.4),
            Cell::text(ids::mobile(&mut rng)),
        ];
        if a.certs.is_empty() {
            cells[10] = if rng.chance(0.5) {
                Cell::Empty
            } else {
                Cell::text("无")
            };
        }
        let plant = bad.get(&i).map(|&rule| match rule {
            Rule::OutOfRange => {
                cells[9] = Cell::Num(-(a.area_tenths as f64) / 10.0, NumFmt::General);
                Plant::col(rule, "area_mu")
            }
            Rule::UnknownDivision => {
                cells[7] = Cell::text(r.foreign_village_text(a.township, &mut rng));
                Plant::col(rule, "village_code")
            }
            Rule::NotAcceptedValue => {
                cells[2] = Cell::text("种养大户");
                Plant::col(rule, "entity_type")
            }
            Rule::UnparseableAmount => {
                cells[12] = Cell::text(pick_str(&mut rng, BAD_AMOUNTS));
                Plant::col(rule, "annual_sales_yuan")
            }
            Rule::InvalidUscc => {
                let code = cells[4].as_text();
                cells[4] = Cell::text(ids::uscc_with_wrong_check(&code, rng.next_u64()));
                Plant::col(rule, "uscc")
            }
            Rule::UnparseableDate => {
                cells[14] = Cell::text(pick_str(&mut rng, BAD_DATES));
                Plant::col(rule, "established_on")
            }
            _ => {
                cells[11] = Cell::text(pick_str(&mut rng, BAD_INTEGERS));
                Plant::col(Rule::UnparseableInteger, "poor_households_linked")
            }
        });
        for (k, c) in [9usize, 11, 12, 13].into_iter().enumerate() {
            if let Cell::Num(v, _) = cells[c] {
                sums[k] += (v * 100.0).round() as i64;
            }
        }
        let mut row = Row::data(cells).planted(plant);
        if i == dup_at {
            row.warn = Some(Plant::col(Rule::DuplicateValue, "uscc"));
        }
        rows.push(row);
    }
    let width = 16;
    let mut total = footer_line(width, &[(0, "合计".into())]);
    total.cells[9] = Cell::cents(sums[0]);
    total.cells[11] = Cell::int(sums[1] / 100);
    total.cells[12] = Cell::cents(sums[2]);
    total.cells[13] = Cell::cents(sums[3]);
    rows.push(total);
    rows.push(footer_line(
        width,
        &[(
            0,
            "注：1.级别指示范社、示范家庭农场或农业产业化龙头企业的认定级别；2.金额单位：万元。"
                .into(),
        )],
    ));
    rows.push(footer_line(
        width,
        &[
            (0, "制表：安溪县农业农村局（茶业局）".into()),
            (12, "2020年1月15日".into()),
        ],
    ));
    let sheet = Sheet {
        name: "主体名录".into(),
        titles: vec![Title::one(15, "安溪县新型农业经营主体名录（2019年）")],
        header: [
            "序号",
            "主体名称",
            "主体类型",
            "级别",
            "统一社会信用代码",
            "法定代表人",
            "所在乡镇",
            "所在村",
            "主要产品",
            "经营面积（亩）",
            "认证情况",
            "带动建档立卡贫困户（户）",
            "年销售额（万元）",
            "其中网络销售额（万元）",
            "成立时间",
            "联系电话",
        ]
        .into_iter()
        .map(Head::One)
        .collect(),
        rows,
        widths: vec![
            6.0, 34.0, 18.0, 8.0, 22.0, 10.0, 10.0, 12.0, 22.0, 10.0, 24.0, 12.0, 12.0, 12.0, 12.0,
            14.0,
        ],
    };
    ctx.xlsx(
        "departments/农茶局/农业经营主体名录_2019.xlsx",
        &Props {
            author: "安溪县农业农村局".into(),
            created: date(2020, 1, 15),
        },
        vec![SheetFor {
            sheet,
            source: "agri_entities",
            markers: &["合计", "制表", "注："],
        }],
        false,
        None,
    )
}
