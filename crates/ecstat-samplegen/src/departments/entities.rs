//! Owns the universe of market entities the departments' files share: the enterprises of
//! the shop register (`shops.csv`) plus fictional enterprises, 个体工商户 and cooperatives,
//! with credit codes, addresses, dates, capital and statuses as of 2018 and 2019.
//!
//! The 市场监管局 register, the 商务局 网商名录 and the 农茶局 名录 all draw from it, so a
//! shop's operator is the registered entity with the same name and credit code.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};

use super::ids;
use super::refdata::{Reference, Speciality};
use crate::rng::SplitMix64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Enterprise,
    Individual,
    Coop,
}

impl Kind {
    /// 主体类型 as the register writes it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Enterprise => "企业",
            Kind::Individual => "个体工商户",
            Kind::Coop => "农民专业合作社",
        }
    }

    pub fn uscc_prefix(self) -> &'static str {
        match self {
            Kind::Enterprise => "91350524",
            Kind::Individual => "92350524",
            Kind::Coop => "93350524",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trade {
    Tea,
    Produce,
    Rattan,
    Apparel,
    Online,
    Logistics,
}

impl Trade {
    /// 主营产品 vocabulary, first the most typical.
    pub fn products(self) -> &'static [&'static str] {
        match self {
            Trade::Tea => &["铁观音", "黄金桂", "本山", "毛蟹", "乌龙茶", "红茶", "茶具"],
            Trade::Produce => &[
                "淮山",
                "红米",
                "蜜柚",
                "龙眼干",
                "香菇",
                "笋干",
                "高山蔬菜",
                "土鸡蛋",
            ],
            Trade::Rattan => &[
                "藤铁工艺品",
                "藤编家居",
                "铁艺花架",
                "竹编收纳",
                "家居工艺品",
            ],
            Trade::Apparel => &["T恤", "纯棉服装", "针织衫", "童装"],
            Trade::Online => &["铁观音", "淮山", "藤铁工艺品", "日用百货", "农副产品"],
            Trade::Logistics => &["快递代收代发", "仓储配送", "农产品冷链"],
        }
    }

    fn scope(self) -> &'static str {
        match self {
            Trade::Tea => {
                "茶叶种植、初制加工、销售；预包装食品销售；互联网销售（除销售需要许可的商品）"
            }
            Trade::Produce => {
                "农产品种植、收购、销售；食用农产品初加工；互联网销售（除销售需要许可的商品）"
            }
            Trade::Rattan => "藤铁工艺品、竹藤编织品、家居用品制造、销售；货物进出口",
            Trade::Apparel => "服装、针纺织品制造、批发、零售；互联网销售",
            Trade::Online => "电子商务平台运营；网络技术服务；日用百货、农副产品销售",
            Trade::Logistics => {
                "普通货物道路运输；快递服务；仓储服务（不含危险化学品）；供应链管理"
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Address {
    pub township: usize,
    pub village: usize,
    pub number: u32,
}

#[derive(Debug, Clone)]
pub struct Entity {
    pub name: String,
    pub kind: Kind,
    pub trade: Trade,
    pub uscc: String,
    pub legal_rep: String,
    pub address: Address,
    /// Address after a move registered in 2019.
    pub moved_2019: Option<Address>,
    pub established: NaiveDate,
    /// Registered capital in hundredths of 万元 (100 yuan); none when not stated.
    pub capital_centiwan: Option<i64>,
    /// Status at 2018-12-31; `None` when established in 2019.
    pub status_2018: Option<&'static str>,
    pub status_2019: &'static str,
    /// Index into the shop register when the entity runs a listed shop.
    pub shop: Option<usize>,
}

impl Entity {
    pub fn scope(&self) -> &'static str {
        self.trade.scope()
    }

    pub fn in_2018(&self) -> bool {
        self.status_2018.is_some()
    }
}

const WORDS: &[&str] = &[
    "茗香", "裕丰", "鑫源", "兴隆", "山海", "福茗", "绿源", "祥和", "顺发", "华茂", "云岭", "溪源",
    "铁韵", "兰馨", "御品", "凤鸣", "金岭", "春晖", "清源", "德盛", "永隆", "聚福", "佳禾", "锦绣",
    "天成", "丰泽", "瑞祥", "宏达", "恒信", "益农", "惠民", "乡韵", "翠峰", "雾峰", "龙泉", "碧水",
    "青山", "晨曦", "匠心", "艺林", "巧手", "新星", "宏图", "盛世", "和顺", "润丰", "嘉禾", "茗园",
    "品韵", "金秋", "南岭", "东方", "西山", "悦农", "优品", "美家", "岩韵", "香源", "泰和", "源兴",
];

fn suffixes(kind: Kind, trade: Trade) -> &'static [&'static str] {
    match (kind, trade) {
        (Kind::Enterprise, Trade::Tea) => &["茶业有限公司", "茶叶有限公司", "茶业发展有限公司"],
        (Kind::Enterprise, Trade::Produce) => {
            &["农业发展有限公司", "生态农业有限公司", "食品有限公司"]
        }
        (Kind::Enterprise, Trade::Rattan) => {
            &["藤铁工艺品有限公司", "工艺品有限公司", "家居用品有限公司"]
        }
        (Kind::Enterprise, Trade::Apparel) => &["服饰有限公司", "针织有限公司"],
        (Kind::Enterprise, Trade::Online) => &["电子商务有限公司", "网络科技有限公司"],
        (Kind::Enterprise, Trade::Logistics) => &["供应链管理有限公司", "物流有限公司"],
        (Kind::Individual, Trade::Tea) => &["茶叶店", "茶叶商行", "茶行"],
        (Kind::Individual, Trade::Produce) => &["农产品经营部", "特产店", "农副产品店"],
        (Kind::Individual, Trade::Rattan) => &["工艺品店", "藤艺店"],
        (Kind::Individual, Trade::Apparel) => &["服装店"],
        (Kind::Individual, Trade::Online) => &["电子商务商行", "网店"],
        (Kind::Individual, Trade::Logistics) => &["快递服务部"],
        (Kind::Coop, Trade::Tea) => &["茶叶专业合作社", "茶业专业合作社"],
        (Kind::Coop, Trade::Rattan) => &["藤编专业合作社"],
        (Kind::Coop, _) => &[
            "淮山专业合作社",
            "果蔬专业合作社",
            "种植专业合作社",
            "红米专业合作社",
            "蜜柚专业合作社",
        ],
    }
}

fn pick<'a>(rng: &mut SplitMix64, list: &[&'a str]) -> &'a str {
    list[rng.below(list.len() as u64) as usize]
}

pub fn trade_for(speciality: Speciality, rng: &mut SplitMix64) -> Trade {
    let typical = match speciality {
        Speciality::Tea => Trade::Tea,
        Speciality::Rattan => Trade::Rattan,
        Speciality::Produce => Trade::Produce,
        Speciality::Town => Trade::Online,
    };
    if rng.chance(0.65) {
        return typical;
    }
    [
        Trade::Tea,
        Trade::Produce,
        Trade::Rattan,
        Trade::Apparel,
        Trade::Online,
        Trade::Logistics,
    ][rng.weighted(&[3.0, 2.0, 2.0, 0.6, 1.5, 0.5])]
}

fn trade_of_name(name: &str) -> Trade {
    if name.contains('茶') {
        Trade::Tea
    } else if name.contains('藤') || name.contains("铁艺") || name.contains('编') {
        Trade::Rattan
    } else if ["服", "棉", "衣", "针织"].iter().any(|k| name.contains(k)) {
        Trade::Apparel
    } else {
        Trade::Produce
    }
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A uniformly drawn day in `from..=to`.
pub fn day_between(rng: &mut SplitMix64, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    from + chrono::Duration::days(rng.range(0, span))
}

fn address(r: &Reference, rng: &mut SplitMix64, township: usize) -> Address {
    let villages = &r.townships[township].villages;
    Address {
        township,
        village: villages[rng.below(villages.len() as u64) as usize],
        number: rng.range(1, 268) as u32,
    }
}

/// `福建省泉州市安溪县湖头镇郭埔村58号` (the province prefix is sometimes left out).
pub fn address_text(r: &Reference, a: &Address, long: bool) -> String {
    let prefix = if long {
        "福建省泉州市安溪县"
    } else {
        "安溪县"
    };
    format!(
        "{prefix}{}{}{}号",
        r.townships[a.township].name,
        r.village_address(a.village),
        a.number
    )
}

fn capital(rng: &mut SplitMix64, kind: Kind) -> Option<i64> {
    let wan: f64 = match kind {
        Kind::Enterprise => {
            let base =
                [10.0, 30.0, 50.0, 100.0, 200.0, 300.0, 500.0, 1000.0][rng.below(8) as usize];
            if rng.chance(0.2) {
                base + rng.range(1, 99) as f64 / 10.0
            } else {
                base
            }
        }
        Kind::Individual => {
            if rng.chance(0.15) {
                return None;
            }
            rng.range(5, 300) as f64 / 10.0
        }
        Kind::Coop => rng.range(10, 300) as f64 + [0.0, 0.0, 0.5, 0.25][rng.below(4) as usize],
    };
    Some((wan * 100.0).round() as i64)
}

/// The universe: shop-register enterprises, then fictional entities of 2018 and earlier,
/// then those established in 2019. Deterministic in `rng`.
pub fn universe(r: &Reference, rng: &mut SplitMix64) -> Vec<Entity> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    let status_2018 = |rng: &mut SplitMix64| -> &'static str {
        ["存续", "在业", "吊销", "迁出"][rng.weighted(&[70.0, 26.0, 2.5, 1.5])]
    };
    for (i, s) in r.shops.iter().enumerate() {
        let kind = if s.uscc.starts_with("92") {
            Kind::Individual
        } else {
            Kind::Enterprise
        };
        debug_assert!(ids::uscc_is_valid(&s.uscc), "{}", s.uscc);
        names.insert(s.enterprise.clone());
        out.push(Entity {
            name: s.enterprise.clone(),
            kind,
            trade: trade_of_name(&s.enterprise),
            uscc: s.uscc.clone(),
            legal_rep: ids::person_p(rng, 0.7),
            address: address(r, rng, s.township),
            moved_2019: None,
            established: day_between(rng, date(2008, 1, 1), date(2016, 12, 31)),
            capital_centiwan: capital(rng, kind),
            status_2018: Some("存续"),
            status_2019: "存续",
            shop: Some(i),
        });
    }
    let mut serial = 100_001u32;
    for (n, first, last) in [
        (420usize, date(2005, 1, 1), date(2018, 12, 28)),
        (150, date(2019, 1, 3), date(2019, 12, 27)),
    ] {
        let mut batch = Vec::new();
        for _ in 0..n {
            let kind =
                [Kind::Enterprise, Kind::Individual, Kind::Coop][rng.weighted(&[35.0, 50.0, 15.0])];
            let township = r.weighted_township(rng);
            let tw = &r.townships[township];
            let mut trade = trade_for(tw.speciality, rng);
            if kind == Kind::Coop
                && matches!(trade, Trade::Apparel | Trade::Online | Trade::Logistics)
            {
                trade = Trade::Produce;
            }
            let name = loop {
                let word = pick(rng, WORDS);
                let suffix = pick(rng, suffixes(kind, trade));
                let candidate = match kind {
                    Kind::Enterprise if rng.chance(0.5) => format!("安溪县{word}{suffix}"),
                    Kind::Enterprise => format!("安溪{}{word}{suffix}", tw.short),
                    Kind::Individual | Kind::Coop => format!("安溪县{}{word}{suffix}", tw.name),
                };
                if names.insert(candidate.clone()) {
                    break candidate;
                }
            };
            let established = day_between(rng, first, last);
            batch.push(Entity {
                name,
                kind,
                trade,
                uscc: ids::uscc(kind.uscc_prefix(), &format!("XX1{serial:06}")),
                legal_rep: ids::person_p(rng, 0.7),
                address: address(r, rng, township),
                moved_2019: None,
                established,
                capital_centiwan: capital(rng, kind),
                status_2018: (established.year() <= 2018).then(|| status_2018(rng)),
                status_2019: "存续",
                shop: None,
            });
            serial += 1;
        }
        batch.sort_by_key(|e| e.established);
        out.extend(batch);
        // The register lists by date of establishment; the shop-register enterprises
        // take their place among those of 2018 and earlier.
        out.sort_by_key(|e| (e.established.year() > 2018, e.established));
    }
    // What changed during 2019: some closed (注销), some moved; the rest keep their status.
    for e in out.iter_mut() {
        let Some(s18) = e.status_2018 else {
            e.status_2019 = ["存续", "在业"][rng.weighted(&[75.0, 25.0])];
            continue;
        };
        e.status_2019 = s18;
        if e.shop.is_none() && matches!(s18, "存续" | "在业") && rng.chance(0.035) {
            e.status_2019 = "注销";
        } else if rng.chance(0.045) {
            let township = if rng.chance(0.3) {
                r.weighted_township(rng)
            } else {
                e.address.township
            };
            e.moved_2019 = Some(address(r, rng, township));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::departments::refdata::tests::reference;

    #[test]
    fn universe_is_unique_and_valid() {
        let r = reference();
        let mut rng = SplitMix64::new(2018);
        let u = universe(&r, &mut rng);
        let n18 = u.iter().filter(|e| e.in_2018()).count();
        assert!((430..=470).contains(&n18), "{n18}");
        assert!((580..=620).contains(&u.len()), "{}", u.len());
        let codes: BTreeSet<&str> = u.iter().map(|e| e.uscc.as_str()).collect();
        assert_eq!(codes.len(), u.len());
        assert!(u.iter().all(|e| ids::uscc_is_valid(&e.uscc)));
        let names: BTreeSet<&str> = u.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names.len(), u.len());
        assert!(u.iter().any(|e| e.status_2019 == "注销"));
        assert!(u.iter().any(|e| e.moved_2019.is_some()));
    }
}
