//! Owns the 商务局 shop list `商务局/网商名录_2019.xlsx` (spec `commerce_operators`): the
//! shops of the shop register, further shops run by registered entities, and individual
//! sellers without a licence (个人网商, no credit code). Products are listed with mixed
//! separators; townships written with and without their suffix.

use anyhow::Result;
use chrono::NaiveDate;

use super::entities::{Entity, Trade, date, day_between, trade_for};
use super::ids;
use super::table::{Cell, Head, Plant, Props, Row, Rule, Sheet, Title, footer_line};
use super::{BAD_DATES, Ctx, SheetFor, date_cell, pick_rules, pick_str, place};
use crate::rng::SplitMix64;

const PLATFORMS: [(&str, &str, &str); 4] = [
    ("taobao", "淘宝/天猫", "TB"),
    ("jd", "京东", "JD"),
    ("pinduoduo", "拼多多", "PDD"),
    ("douyin", "抖音", "DY"),
];

struct ShopRow {
    operator: String,
    /// 主体类型 as written.
    kind: &'static str,
    uscc: Option<String>,
    platform: usize,
    shop_id: String,
    shop_name: String,
    township: usize,
    products: Vec<&'static str>,
    opened: NaiveDate,
    contact: String,
    phone: String,
}

/// 1–4 products of the trade, joined with whichever separators the clerk used.
pub fn product_list(rng: &mut SplitMix64, products: &[&str]) -> String {
    let mut s = String::new();
    for (i, p) in products.iter().enumerate() {
        if i > 0 {
            s.push_str(["、", "、", "，", ";"][rng.below(4) as usize]);
        }
        s.push_str(p);
    }
    s
}

fn products(rng: &mut SplitMix64, trade: Trade) -> Vec<&'static str> {
    let all = trade.products();
    let k = rng.range(1, 4.min(all.len() as i64)) as usize;
    let first = if rng.chance(0.6) {
        0
    } else {
        rng.below(all.len() as u64) as usize
    };
    (0..k).map(|i| all[(first + i) % all.len()]).collect()
}

fn shop_name(rng: &mut SplitMix64, short: &str, trade: Trade, person: &str) -> String {
    let given: String = person.chars().skip(1).collect();
    let thing = trade.products()[0];
    match rng.below(4) {
        0 => format!("{short}{thing}小店"),
        1 => format!("{given}家的{thing}"),
        2 => format!(
            "安溪{thing}{}",
            ["源头店", "直营店", "工厂店", "专营店"][rng.below(4) as usize]
        ),
        _ => format!(
            "{short}{given}{}",
            ["农家店", "好物", "优选", "生活馆"][rng.below(4) as usize]
        ),
    }
}

pub fn write_operators(ctx: &mut Ctx<'_>, universe: &[Entity]) -> Result<()> {
    let r = ctx.r;
    let mut rng = ctx.rng("commerce-operators");
    let mut shops: Vec<ShopRow> = Vec::new();
    for s in &r.shops {
        let Some(e) = universe.iter().find(|e| e.uscc == s.uscc) else {
            continue;
        };
        let platform = PLATFORMS
            .iter()
            .position(|p| p.0 == s.platform)
            .unwrap_or(0);
        shops.push(ShopRow {
            operator: e.name.clone(),
            kind: e.kind.label(),
            uscc: Some(e.uscc.clone()),
            platform,
            shop_id: s.shop_id.clone(),
            shop_name: s.shop_name.clone(),
            township: s.township,
            products: products(&mut rng, e.trade),
            opened: day_between(&mut rng, date(2014, 3, 1), date(2017, 12, 31)).max(e.established),
            contact: e.legal_rep.clone(),
            phone: ids::mobile(&mut rng),
        });
    }
    let mut serial = 5001;
    let mut next_id = |platform: usize| {
        serial += 1;
        format!("{}{}", PLATFORMS[platform].2, serial - 1)
    };
    let platform_weights = [40.0, 15.0, 25.0, 20.0];
    let candidates: Vec<&Entity> = universe
        .iter()
        .filter(|e| {
            e.shop.is_none()
                && e.trade != Trade::Logistics
                && matches!(e.status_2019, "存续" | "在业")
        })
        .collect();
    for _ in 0..90 {
        let e = candidates[rng.below(candidates.len() as u64) as usize];
        let platform = rng.weighted(&platform_weights);
        if shops
            .iter()
            .any(|s| s.operator == e.name && s.platform == platform)
        {
            continue;
        }
        let township = e.moved_2019.as_ref().unwrap_or(&e.address).township;
        let opened_from = e.established.max(date(2012, 1, 1));
        shops.push(ShopRow {
            operator: e.name.clone(),
            kind: e.kind.label(),
            uscc: Some(e.uscc.clone()),
            platform,
            shop_id: next_id(platform),
            shop_name: shop_name(
                &mut rng,
                &r.townships[township].short,
                e.trade,
                &e.legal_rep,
            ),
            township,
            products: products(&mut rng, e.trade),
            opened: day_between(&mut rng, opened_from, date(2019, 12, 20).max(opened_from)),
            contact: e.legal_rep.clone(),
            phone: ids::mobile(&mut rng),
        });
    }
    for _ in 0..110 {
        let township = r.weighted_township(&mut rng);
        let person = ids::person_p(&mut rng, 0.45);
        let trade = trade_for(r.townships[township].speciality, &mut rng);
        let trade = if trade == Trade::Logistics {
            Trade::Produce
        } else {
            trade
        };
        let platform = rng.weighted(&[30.0, 5.0, 35.0, 30.0]);
        shops.push(ShopRow {
            operator: person.clone(),
            kind: "个人网商",
            uscc: None,
            platform,
            shop_id: next_id(platform),
            shop_name: shop_name(&mut rng, &r.townships[township].short, trade, &person),
            township,
            products: products(&mut rng, trade),
            opened: day_between(&mut rng, date(2015, 1, 1), date(2019, 12, 25)),
            contact: person,
            phone: ids::mobile(&mut rng),
        });
    }
    shops.sort_by(|a, b| {
        (a.township, &a.operator, a.platform).cmp(&(b.township, &b.operator, b.platform))
    });

    let pool = [
        Rule::DuplicateValue,
        Rule::MissingValue,
        Rule::InvalidUscc,
        Rule::UnparseableDate,
        Rule::UnknownDivision,
        Rule::NotAcceptedValue,
    ];
    let mut rules = pick_rules(&mut rng, &pool, 2, 3);
    rules.push(Rule::UnknownReference);
    let bad = place(&mut rng, shops.len(), 10, &rules, |i, rule| {
        rule != Rule::InvalidUscc || shops[i].uscc.is_some()
    });
    let mut rows = Vec::new();
    for (i, s) in shops.iter().enumerate() {
        let mut cells = vec![
            Cell::int(i as i64 + 1),
            Cell::text(s.operator.clone()),
            Cell::text(s.kind),
            s.uscc.clone().map_or(Cell::Empty, Cell::Text),
            Cell::text(PLATFORMS[s.platform].1),
            Cell::text(s.shop_id.clone()),
            Cell::text(s.shop_name.clone()),
            Cell::text(r.township_text(s.township, &mut rng, 0.4, 0.05)),
            Cell::text(product_list(&mut rng, &s.products)),
            date_cell(&mut rng, s.opened, 0.4),
            Cell::text(s.contact.clone()),
            Cell::text(s.phone.clone()),
        ];
        let plant = bad.get(&i).map(|&rule| match rule {
            Rule::UnknownReference => {
                cells[4] = Cell::text("唯品会");
                Plant::col(rule, "platform_name")
            }
            Rule::DuplicateValue => {
                // The same shop listed twice: same platform, same shop id.
                let j = (0..i).rev().find(|j| !bad.contains_key(j)).unwrap_or(0);
                cells[4] = Cell::text(PLATFORMS[shops[j].platform].1);
                cells[5] = Cell::text(shops[j].shop_id.clone());
                Plant::col(rule, "shop_id")
            }
            Rule::MissingValue => {
                cells[5] = Cell::Empty;
                Plant::col(rule, "shop_id")
            }
            Rule::InvalidUscc => {
                let code = cells[3].as_text();
                cells[3] = Cell::text(ids::uscc_with_wrong_check(&code, rng.next_u64()));
                Plant::col(rule, "uscc")
            }
            Rule::UnparseableDate => {
                cells[9] = Cell::text(pick_str(&mut rng, BAD_DATES));
                Plant::col(rule, "started_on")
            }
            Rule::UnknownDivision => {
                cells[7] = Cell::text(r.township_typo(rng.next_u64()));
                Plant::col(rule, "township_code")
            }
            _ => {
                cells[2] = Cell::text("个体户");
                Plant::col(Rule::NotAcceptedValue, "operator_type")
            }
        });
        rows.push(Row::data(cells).planted(plant));
    }
    let width = 12;
    rows.push(footer_line(
        width,
        &[(
            0,
            "备注：个人网商指未办理营业执照、以个人身份在平台开店的经营者。".into(),
        )],
    ));
    rows.push(footer_line(
        width,
        &[(0, "制表：安溪县商务局".into()), (8, "2020年1月6日".into())],
    ));
    let sheet = Sheet {
        name: "网商名录".into(),
        titles: vec![Title::one(11, "安溪县网商名录（2019年）")],
        header: [
            "序号",
            "经营主体名称",
            "主体类型",
            "统一社会信用代码",
            "电商平台",
            "店铺ID",
            "店铺名称",
            "所在乡镇",
            "主营产品",
            "开店时间",
            "联系人",
            "联系电话",
        ]
        .into_iter()
        .map(Head::One)
        .collect(),
        rows,
        widths: vec![
            6.0, 32.0, 12.0, 22.0, 10.0, 10.0, 26.0, 10.0, 28.0, 12.0, 10.0, 14.0,
        ],
    };
    ctx.xlsx(
        "departments/商务局/网商名录_2019.xlsx",
        &Props {
            author: "安溪县商务局".into(),
            created: date(2020, 1, 6),
        },
        vec![SheetFor {
            sheet,
            source: "commerce_operators",
            markers: &["合计", "制表", "备注"],
        }],
        false,
        None,
    )
}
