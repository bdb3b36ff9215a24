//! Owns the 商务局 service network: the points themselves and their register
//! `商务局/电商服务网点台账_2019.xlsx` (spec `service_points`: the county centre, branch
//! centres, warehouses, a station in every township and points in more than half of the
//! administrative villages, one late point below the 合计 row).

use anyhow::Result;
use chrono::NaiveDate;

use super::entities::{date, day_between};
use super::ids;
use super::table::{Cell, Head, NumFmt, Plant, Props, Row, Rule, Sheet, Title, footer_line};
use super::{BAD_DATES, Ctx, SheetFor, date_cell, pick_rules, pick_str, place};
use crate::rng::SplitMix64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Centre,
    Branch,
    Warehouse,
    Station,
    Village,
}

impl Level {
    fn label(self) -> &'static str {
        match self {
            Level::Centre => "县级公共服务中心",
            Level::Branch => "县级分中心",
            Level::Warehouse => "县级仓储配送中心",
            Level::Station => "乡镇服务站",
            Level::Village => "村级服务点",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Level::Centre => "ZX",
            Level::Branch => "FZ",
            Level::Warehouse => "CC",
            Level::Station => "XZ",
            Level::Village => "CD",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Point {
    pub code: String,
    pub level: Level,
    pub name: String,
    pub township: usize,
    pub village: Option<usize>,
    pub operator: String,
    pub opened: NaiveDate,
    /// Floor area in tenths of m².
    pub area_dm: i64,
    pub services: Vec<&'static str>,
    pub status: &'static str,
    pub manager: String,
    pub phone: String,
    /// The problem planted in its register row; `AfterFooter` for the row below 合计.
    pub bad: Option<Rule>,
}

impl Point {
    /// Loaded cleanly from the register, so activity reports may refer to it.
    pub fn loaded(&self) -> bool {
        self.bad.is_none()
    }
}

const SERVICES: &[&str] = &[
    "网购网销",
    "缴费充值",
    "代收代发",
    "快递收发",
    "信息咨询",
    "创业培训",
    "农产品收购",
];

/// The whole network, register order, with the register's planted problems decided.
pub fn points(ctx: &Ctx<'_>) -> Vec<Point> {
    let r = ctx.r;
    let mut rng = ctx.rng("service-points");
    let tw = |name: &str| r.township_by_name(name).unwrap_or(0);
    let mut out = Vec::new();
    let push = |out: &mut Vec<Point>,
                rng: &mut SplitMix64,
                level: Level,
                name: String,
                t: usize,
                v: Option<usize>,
                operator: String,
                opened: NaiveDate,
                area: (i64, i64)| {
        let n = out.iter().filter(|p: &&Point| p.level == level).count() + 1;
        let mut services: Vec<&'static str> = SERVICES
            .iter()
            .copied()
            .filter(|_| rng.chance(0.6))
            .collect();
        if services.is_empty() {
            services.push("代收代发");
        }
        let status = if opened > date(2019, 11, 15) && rng.chance(0.6) {
            "建设中"
        } else if level == Level::Village && rng.chance(0.03) {
            "停运"
        } else {
            "运营"
        };
        out.push(Point {
            code: format!("AX-{}-{n:03}", level.code()),
            level,
            name,
            township: t,
            village: v,
            operator,
            opened,
            area_dm: rng.range(area.0 * 10, area.1 * 10),
            services,
            status,
            manager: ids::person_p(rng, 0.6),
            phone: ids::mobile(rng),
            bad: None,
        });
    };
    let company = "安溪县茗联电子商务运营有限公司".to_string();
    push(
        &mut out,
        &mut rng,
        Level::Centre,
        "安溪县电子商务公共服务中心".into(),
        tw("凤城镇"),
        None,
        company.clone(),
        date(2018, 6, 18),
        (3200, 3200),
    );
    for (t, d) in [
        ("湖头镇", date(2018, 9, 28)),
        ("官桥镇", date(2018, 11, 16)),
        ("感德镇", date(2019, 3, 22)),
    ] {
        let short = r.townships[tw(t)].short.clone();
        push(
            &mut out,
            &mut rng,
            Level::Branch,
            format!("安溪县电子商务公共服务中心{short}分中心"),
            tw(t),
            None,
            company.clone(),
            d,
            (500, 1500),
        );
    }
    for (t, name, d) in [
        (
            "官桥镇",
            "安溪县农村电商物流仓储配送中心",
            date(2018, 12, 26),
        ),
        ("城厢镇", "安溪县藤铁工艺品电商仓储中心", date(2019, 5, 30)),
    ] {
        push(
            &mut out,
            &mut rng,
            Level::Warehouse,
            name.into(),
            tw(t),
            None,
            "安溪县乡村物流服务有限公司".into(),
            d,
            (2000, 8000),
        );
    }
    for t in 0..r.townships.len() {
        let name = format!("{}电子商务服务站", r.townships[t].name);
        let operator = match rng.below(3) {
            0 => format!("{}便民服务中心", r.townships[t].name),
            1 => format!("{}供销合作社", r.townships[t].name),
            _ => company.clone(),
        };
        let opened = day_between(&mut rng, date(2018, 7, 1), date(2019, 6, 30));
        push(
            &mut out,
            &mut rng,
            Level::Station,
            name,
            t,
            None,
            operator,
            opened,
            (80, 300),
        );
    }
    let mut villages = Vec::new();
    for t in 0..r.townships.len() {
        let mut admin = r.admin_villages(t);
        let k = ((admin.len() as f64) * 0.56).round().max(1.0) as usize;
        for i in 0..k {
            let j = i + rng.below((admin.len() - i) as u64) as usize;
            admin.swap(i, j);
        }
        villages.extend_from_slice(&admin[..k]);
    }
    villages.sort_by(|a, b| r.villages[*a].code.cmp(&r.villages[*b].code));
    for v in villages {
        let t = r.villages[v].township;
        let name = format!("{}电子商务服务点", r.village_address(v));
        let operator = if rng.chance(0.5) {
            format!("{}（便利店）", ids::person_p(&mut rng, 0.5))
        } else {
            r.villages[v].name.clone()
        };
        let opened = day_between(&mut rng, date(2018, 8, 1), date(2019, 12, 20));
        push(
            &mut out,
            &mut rng,
            Level::Village,
            name,
            t,
            Some(v),
            operator,
            opened,
            (20, 80),
        );
    }
    // The register's planted rows (decided here so the reports can avoid them) and a
    // village point added after the 合计 row was written.
    let pool = [
        Rule::PatternMismatch,
        Rule::DuplicateValue,
        Rule::UnknownDivision,
        Rule::OutOfRange,
        Rule::NotAcceptedValue,
        Rule::UnparseableDate,
    ];
    let rules = pick_rules(&mut rng, &pool, 3, 3);
    let first_village = out
        .iter()
        .position(|p| p.level == Level::Village)
        .unwrap_or(0);
    let bad = place(&mut rng, out.len(), first_village, &rules, |_, _| true);
    for (i, rule) in bad {
        out[i].bad = Some(rule);
    }
    let late_village = r
        .admin_villages(r.township_by_name("祥华乡").unwrap_or(0))
        .into_iter()
        .find(|v| !out.iter().any(|p| p.village == Some(*v)));
    if let Some(v) = late_village {
        let t = r.villages[v].township;
        let name = format!("{}电子商务服务点", r.village_address(v));
        push(
            &mut out,
            &mut rng,
            Level::Village,
            name,
            t,
            Some(v),
            r.villages[v].name.clone(),
            date(2019, 12, 26),
            (20, 40),
        );
        if let Some(p) = out.last_mut() {
            p.bad = Some(Rule::AfterFooter);
            p.status = "建设中";
        }
    }
    out
}

fn join_services(rng: &mut SplitMix64, services: &[&str]) -> String {
    let sep = ["、", "、", "，", ";"][rng.below(4) as usize];
    services.join(sep)
}

pub fn write_register(ctx: &mut Ctx<'_>, points: &[Point]) -> Result<()> {
    let r = ctx.r;
    let mut rng = ctx.rng("service-points-register");
    let admin: usize = (0..r.townships.len())
        .map(|t| r.admin_villages(t).len())
        .sum();
    let village_points = points.iter().filter(|p| p.level == Level::Village).count();
    ctx.notes.push(format!(
        "service points: {} in all, {village_points} village points in distinct villages of {admin} administrative villages",
        points.len()
    ));
    let mut rows = Vec::new();
    let width = 13;
    let mut n = 0;
    for (i, p) in points.iter().enumerate() {
        if p.bad == Some(Rule::AfterFooter) {
            rows.push(footer_line(
                width,
                &[
                    (0, format!("合计：共{n}个网点")),
                    (8, "其中村级服务点按行政村统计".into()),
                ],
            ));
        }
        n += 1;
        let village = match p.village {
            Some(v) => Cell::text(r.village_text(v, &mut rng, 0.5)),
            None => Cell::Empty,
        };
        let mut cells = vec![
            Cell::int(n as i64),
            Cell::text(p.code.clone()),
            Cell::text(p.level.label()),
            Cell::text(p.name.clone()),
            Cell::text(r.township_text(p.township, &mut rng, 0.35, 0.04)),
            village,
            Cell::text(p.operator.clone()),
            date_cell(&mut rng, p.opened, 0.35),
            Cell::Num(p.area_dm as f64 / 10.0, NumFmt::General),
            Cell::text(join_services(&mut rng, &p.services)),
            Cell::text(p.status),
            Cell::text(p.manager.clone()),
            Cell::text(p.phone.clone()),
        ];
        let plant = match p.bad {
            None => None,
            Some(Rule::AfterFooter) => Some(Plant::row(Rule::AfterFooter)),
            Some(Rule::PatternMismatch) => {
                // One zero too many, as when a number is typed over a formatted cell.
                cells[1] = Cell::text(p.code.replace("-CD-", "-CD-0"));
                Some(Plant::col(Rule::PatternMismatch, "point_code"))
            }
            Some(Rule::DuplicateValue) => {
                let earlier = (0..i)
                    .rev()
                    .filter(|&j| points[j].bad.is_none())
                    .nth(rng.below(5) as usize);
                cells[1] = Cell::text(points[earlier.unwrap_or(0)].code.clone());
                Some(Plant::col(Rule::DuplicateValue, "point_code"))
            }
            Some(Rule::UnknownDivision) => {
                cells[5] = Cell::text(r.foreign_village_text(p.township, &mut rng));
                Some(Plant::col(Rule::UnknownDivision, "village_code"))
            }
            Some(Rule::OutOfRange) => {
                cells[8] = Cell::Num(-(p.area_dm as f64) / 10.0, NumFmt::General);
                Some(Plant::col(Rule::OutOfRange, "floor_area_m2"))
            }
            Some(Rule::NotAcceptedValue) => {
                cells[10] = Cell::text("正常");
                Some(Plant::col(Rule::NotAcceptedValue, "status"))
            }
            Some(_) => {
                cells[7] = Cell::text(pick_str(&mut rng, BAD_DATES));
                Some(Plant::col(Rule::UnparseableDate, "opened_on"))
            }
        };
        rows.push(Row::data(cells).planted(plant));
    }
    rows.push(footer_line(
        width,
        &[
            (
                0,
                format!(
                    "制表：安溪县商务局电子商务股　　{}",
                    ids::person(&mut rng, false)
                ),
            ),
            (9, "2020年1月10日".into()),
        ],
    ));
    let sheet = Sheet {
        name: "服务网点".into(),
        titles: vec![Title::one(
            12,
            "安溪县电子商务服务网点台账（截至2019年12月31日）",
        )],
        header: [
            "序号",
            "网点编号",
            "网点层级",
            "网点名称",
            "所在乡镇",
            "所在村（社区）",
            "运营主体",
            "建成时间",
            "场地面积（平方米）",
            "服务功能",
            "运营状态",
            "负责人",
            "联系电话",
        ]
        .into_iter()
        .map(Head::One)
        .collect(),
        rows,
        widths: vec![
            6.0, 12.0, 16.0, 36.0, 10.0, 14.0, 30.0, 12.0, 10.0, 36.0, 10.0, 10.0, 14.0,
        ],
    };
    ctx.xlsx(
        "departments/商务局/电商服务网点台账_2019.xlsx",
        &Props {
            author: "安溪县商务局".into(),
            created: date(2020, 1, 10),
        },
        vec![SheetFor {
            sheet,
            source: "service_points",
            markers: &["合计", "制表"],
        }],
        false,
        None,
    )
}
