//! Owns the training files under `培训/`: the session ledgers `电商培训台账_{部门}_{年}.xlsx`
//! of 商务局 (2018, 2019) and 人社局 (2019) (spec `training_sessions`: a title row, a
//! 填报单位/单位 row, the header on row 3, a 合计 row with the person-times) and the
//! attendee list `培训签到名单_2019.xlsx` of a handful of 2019 sessions (spec
//! `training_attendees`: fictional names and ID numbers with valid check digits).

use anyhow::Result;
use chrono::NaiveDate;

use super::entities::{date, day_between};
use super::ids;
use super::table::{Cell, Head, Plant, Props, Row, Rule, Sheet, Title, footer_line};
use super::{
    BAD_BOOLEANS, BAD_DATES, BAD_INTEGERS, Ctx, SheetFor, date_cell, pick_rules, pick_str, place,
};

const GROUPS: [&str; 6] = [
    "政府工作人员",
    "农村经济组织",
    "创业青年",
    "大学生村官",
    "农民",
    "建档立卡贫困户",
];
const TOPICS: &[&str] = &[
    "网店开设与运营实务",
    "直播带货与短视频营销",
    "农产品品牌打造与包装设计",
    "电商扶贫政策与案例",
    "微店与社群营销",
    "产品摄影与美工",
    "电商物流与仓储管理",
    "农村电商政策解读",
    "茶叶电商运营提升",
    "藤铁工艺品跨境电商",
];

#[derive(Debug, Clone)]
struct Session {
    id: String,
    date: NaiveDate,
    organiser: &'static str,
    partner: &'static str,
    topic: &'static str,
    group: usize,
    township: usize,
    venue: String,
    days: i64,
    person_times: i64,
}

struct Ledger {
    dept: &'static str,
    year: i32,
    sessions: Vec<Session>,
}

fn sessions(ctx: &Ctx<'_>, dept: &'static str, year: i32, n: usize) -> Ledger {
    let r = ctx.r;
    let mut rng = ctx.rng(&format!("training-{dept}-{year}"));
    let prefix = if dept == "商务局" { "SW" } else { "RS" };
    let (organiser, partners): (&str, &[&str]) = if dept == "商务局" {
        (
            "安溪县商务局",
            &[
                "安溪县电子商务公共服务中心",
                "安溪县茗联电子商务运营有限公司",
                "泉州市电子商务协会",
            ],
        )
    } else {
        (
            "安溪县人力资源和社会保障局",
            &[
                "安溪县就业服务中心",
                "安溪县职业技术学校",
                "安溪县电子商务公共服务中心",
            ],
        )
    };
    let seat = r.township_by_name("凤城镇").unwrap_or(0);
    let mut out: Vec<Session> = (0..n)
        .map(|_| {
            let group = if year == 2018 && dept == "商务局" {
                rng.weighted(&[2.0, 3.0, 3.0, 1.0, 4.0, 2.0])
            } else {
                rng.weighted(&[1.5, 2.5, 3.0, 1.0, 4.0, 3.0])
            };
            let township = if rng.chance(0.4) {
                seat
            } else {
                r.weighted_township(&mut rng)
            };
            let (lo, hi) = match group {
                0 => (30, 80),
                1 => (30, 100),
                2 => (30, 120),
                3 => (20, 60),
                4 => (40, 150),
                _ => (20, 80),
            };
            let days = [1, 1, 1, 2, 3][rng.below(5) as usize];
            let venue = if township == seat {
                [
                    "县电子商务公共服务中心培训室",
                    "县行政服务中心会议室",
                    "县职业技术学校",
                ][rng.below(3) as usize]
                    .to_string()
            } else {
                format!("{}电子商务服务站", r.townships[township].name)
            };
            Session {
                id: String::new(),
                date: day_between(&mut rng, date(year, 3, 1), date(year, 12, 15)),
                organiser: if rng.chance(0.8) {
                    organiser
                } else {
                    partners[0]
                },
                partner: partners[rng.below(partners.len() as u64) as usize],
                topic: TOPICS[rng.below(TOPICS.len() as u64) as usize],
                group,
                township,
                venue,
                days,
                person_times: rng.range(lo, hi) * days.min(2),
            }
        })
        .collect();
    out.sort_by_key(|s| s.date);
    for (i, s) in out.iter_mut().enumerate() {
        s.id = format!("{prefix}{year}-{:03}", i + 1);
    }
    Ledger {
        dept,
        year,
        sessions: out,
    }
}

/// Sessions of a ledger that get an attendee list (one-day, not too large): their
/// ledger rows are kept clean.
fn with_list(l: &Ledger) -> Vec<usize> {
    if l.year != 2019 {
        return Vec::new();
    }
    let want = if l.dept == "商务局" { 4 } else { 2 };
    l.sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.days == 1 && s.person_times <= 90 && s.group != 0)
        .map(|(i, _)| i)
        .step_by(3)
        .take(want)
        .collect()
}

pub fn write(ctx: &mut Ctx<'_>) -> Result<()> {
    let ledgers = [
        sessions(ctx, "商务局", 2018, 28),
        sessions(ctx, "商务局", 2019, 27),
        sessions(ctx, "人社局", 2019, 24),
    ];
    let mut listed = Vec::new();
    for l in &ledgers {
        let keep = with_list(l);
        let total: i64 = l.sessions.iter().map(|s| s.person_times).sum();
        ctx.notes.push(format!(
            "training {} {}: {} sessions, {total} person-times (before planted rows)",
            l.dept,
            l.year,
            l.sessions.len()
        ));
        write_ledger(ctx, l, &keep)?;
        listed.extend(keep.iter().map(|&i| l.sessions[i].clone()));
    }
    listed.sort_by_key(|s| s.date);
    write_attendees(ctx, &listed)
}

fn write_ledger(ctx: &mut Ctx<'_>, l: &Ledger, keep: &[usize]) -> Result<()> {
    let r = ctx.r;
    let mut rng = ctx.rng(&format!("training-ledger-{}-{}", l.dept, l.year));
    let pool = [
        Rule::NotAcceptedValue,
        Rule::UnparseableDate,
        Rule::OutOfRange,
        Rule::UnparseableInteger,
        Rule::DuplicateValue,
        Rule::UnknownDivision,
        Rule::MissingValue,
    ];
    let rules = pick_rules(&mut rng, &pool, 1, 3);
    let bad = place(&mut rng, l.sessions.len(), 3, &rules, |i, _| {
        !keep.contains(&i)
    });
    let mut rows = Vec::new();
    let mut total = 0;
    for (i, s) in l.sessions.iter().enumerate() {
        let mut cells = vec![
            Cell::int(i as i64 + 1),
            Cell::text(s.id.clone()),
            date_cell(&mut rng, s.date, 0.3),
            Cell::int(s.days),
            Cell::text(s.organiser),
            Cell::text(s.partner),
            Cell::text(s.topic),
            Cell::text(GROUPS[s.group]),
            Cell::text(r.township_text(s.township, &mut rng, 0.3, 0.03)),
            Cell::text(s.venue.clone()),
            Cell::int(s.person_times),
            Cell::Empty,
        ];
        let plant = bad.get(&i).map(|&rule| match rule {
            Rule::NotAcceptedValue => {
                cells[7] = Cell::text(["村民", "贫困户", "返乡青年"][rng.below(3) as usize]);
                Plant::col(rule, "trainee_group")
            }
            Rule::UnparseableDate => {
                cells[2] =
                    Cell::text(pick_str(&mut rng, BAD_DATES).replace("2019", &l.year.to_string()));
                Plant::col(rule, "session_date")
            }
            Rule::OutOfRange => {
                cells[10] = Cell::int(0);
                cells[11] = Cell::text("因天气原因延期");
                Plant::col(rule, "person_times")
            }
            Rule::UnparseableInteger => {
                cells[10] = Cell::text(pick_str(&mut rng, BAD_INTEGERS));
                Plant::col(rule, "person_times")
            }
            Rule::DuplicateValue => {
                let j = (0..i).rev().find(|j| !bad.contains_key(j)).unwrap_or(0);
                cells[1] = Cell::text(l.sessions[j].id.clone());
                Plant::col(rule, "session_id")
            }
            Rule::UnknownDivision => {
                cells[8] = Cell::text(r.township_typo(rng.next_u64()));
                Plant::col(rule, "township_code")
            }
            _ => {
                cells[7] = Cell::Empty;
                Plant::col(Rule::MissingValue, "trainee_group")
            }
        });
        if let Cell::Num(v, _) = cells[10] {
            total += v as i64;
        }
        rows.push(Row::data(cells).planted(plant));
    }
    let width = 12;
    let mut sum_row = footer_line(width, &[(0, "合计".into())]);
    sum_row.cells[10] = Cell::int(total);
    rows.push(sum_row);
    rows.push(footer_line(
        width,
        &[
            (0, format!("填报人：{}", ids::person(&mut rng, false))),
            (4, format!("审核人：{}", ids::person(&mut rng, true))),
            (8, format!("填报日期：{}年1月10日", l.year + 1)),
        ],
    ));
    let dept_full = if l.dept == "商务局" {
        "安溪县商务局"
    } else {
        "安溪县人力资源和社会保障局"
    };
    let sheet = Sheet {
        name: "培训台账".into(),
        titles: vec![
            Title::one(11, format!("{dept_full}{}年电子商务培训台账", l.year)),
            Title {
                pieces: vec![
                    (0, 5, format!("填报单位：{dept_full}（盖章）")),
                    (9, 11, "单位：人次".into()),
                ],
            },
        ],
        header: [
            "序号",
            "培训编号",
            "培训日期",
            "培训天数",
            "主办单位",
            "承办单位",
            "培训内容",
            "培训对象",
            "培训地点（乡镇）",
            "具体地点",
            "培训人次",
            "备注",
        ]
        .into_iter()
        .map(Head::One)
        .collect(),
        rows,
        widths: vec![
            6.0, 12.0, 14.0, 8.0, 24.0, 28.0, 28.0, 14.0, 12.0, 28.0, 10.0, 16.0,
        ],
    };
    ctx.xlsx(
        &format!("departments/培训/电商培训台账_{}_{}.xlsx", l.dept, l.year),
        &Props {
            author: dept_full.into(),
            created: date(l.year + 1, 1, 10),
        },
        vec![SheetFor {
            sheet,
            source: "training_sessions",
            markers: &["合计", "填报人", "制表"],
        }],
        false,
        None,
    )
}

fn write_attendees(ctx: &mut Ctx<'_>, listed: &[Session]) -> Result<()> {
    let r = ctx.r;
    let mut rng = ctx.rng("training-attendees-2019");
    struct Person {
        session: usize,
        name: String,
        male: bool,
        id: String,
        group: usize,
        township: usize,
        village: usize,
        poor: Option<bool>,
        phone: String,
    }
    let mut people = Vec::new();
    for (k, s) in listed.iter().enumerate() {
        for _ in 0..s.person_times {
            let male = rng.chance(0.55);
            let (y0, y1) = match s.group {
                2 => (1985, 2000),
                3 => (1990, 1997),
                0 => (1968, 1995),
                _ => (1958, 1998),
            };
            let birth = day_between(&mut rng, date(y0, 1, 1), date(y1, 12, 31));
            let group = if s.group == 4 && rng.chance(0.25) {
                5
            } else {
                s.group
            };
            let township = if rng.chance(0.8) {
                s.township
            } else {
                r.weighted_township(&mut rng)
            };
            let villages = &r.townships[township].villages;
            let poor = match group {
                5 => Some(true),
                _ if rng.chance(0.1) => None,
                _ => Some(false),
            };
            people.push(Person {
                session: k,
                name: ids::person(&mut rng, male),
                male,
                id: ids::id_number(&mut rng, birth, male),
                group,
                township,
                village: villages[rng.below(villages.len() as u64) as usize],
                poor,
                phone: ids::mobile(&mut rng),
            });
        }
    }
    let mut rules = vec![Rule::InvalidIdNumber];
    rules.extend(pick_rules(
        &mut rng,
        &[
            Rule::NotAcceptedValue,
            Rule::UnparseableBoolean,
            Rule::UnknownDivision,
            Rule::MissingValue,
        ],
        2,
        3,
    ));
    let bad = place(&mut rng, people.len(), 5, &rules, |_, _| true);
    let mut rows = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let mut cells = vec![
            Cell::int(i as i64 + 1),
            Cell::text(listed[p.session].id.clone()),
            Cell::text(p.name.clone()),
            Cell::text(if p.male { "男" } else { "女" }),
            Cell::text(p.id.clone()),
            Cell::text(GROUPS[p.group]),
            Cell::text(r.township_text(p.township, &mut rng, 0.45, 0.03)),
            Cell::text(r.village_address(p.village)),
            p.poor
                .map_or(Cell::Empty, |b| Cell::text(if b { "是" } else { "否" })),
            Cell::text(p.phone.clone()),
            Cell::Empty,
        ];
        let plant = bad.get(&i).map(|&rule| match rule {
            Rule::InvalidIdNumber => {
                cells[4] = Cell::text(ids::id_with_wrong_check(&p.id, rng.next_u64()));
                Plant::col(rule, "person_hash")
            }
            Rule::NotAcceptedValue => {
                cells[5] = Cell::text("贫困户");
                Plant::col(rule, "trainee_group")
            }
            Rule::UnparseableBoolean => {
                cells[8] = Cell::text(pick_str(&mut rng, BAD_BOOLEANS));
                Plant::col(rule, "is_poor_household")
            }
            Rule::UnknownDivision => {
                cells[6] = Cell::text(r.township_typo(rng.next_u64()));
                Plant::col(rule, "township_code")
            }
            _ => {
                cells[4] = Cell::Empty;
                Plant::col(Rule::MissingValue, "person_hash")
            }
        });
        rows.push(Row::data(cells).planted(plant));
    }
    let width = 11;
    rows.push(footer_line(
        width,
        &[(0, format!("合计：共{}人次", people.len()))],
    ));
    rows.push(footer_line(
        width,
        &[
            (0, "制表：安溪县电子商务公共服务中心".into()),
            (6, "2020年1月10日".into()),
        ],
    ));
    let sessions: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    let sheet = Sheet {
        name: "签到名单".into(),
        titles: vec![Title::one(
            10,
            format!("2019年电子商务培训签到名单（{}）", sessions.join("、")),
        )],
        header: [
            "序号",
            "培训编号",
            "姓名",
            "性别",
            "身份证号码",
            "人员类别",
            "所在乡镇",
            "所在村",
            "是否建档立卡贫困户",
            "联系电话",
            "签名",
        ]
        .into_iter()
        .map(Head::One)
        .collect(),
        rows,
        widths: vec![
            6.0, 12.0, 10.0, 6.0, 22.0, 14.0, 10.0, 12.0, 12.0, 14.0, 10.0,
        ],
    };
    ctx.xlsx(
        "departments/培训/培训签到名单_2019.xlsx",
        &Props {
            author: "安溪县电子商务公共服务中心".into(),
            created: date(2020, 1, 10),
        },
        vec![SheetFor {
            sheet,
            source: "training_attendees",
            markers: &["合计", "制表"],
        }],
        false,
        None,
    )
}
