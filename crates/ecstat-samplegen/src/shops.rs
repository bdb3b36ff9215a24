//! Owns the shop universe: the four platforms, the 40 fictional shops with
//! their home townships, and the shop register (`shops.csv`) that lists the
//! registered 80% of them.
//!
//! Every platform instantiates the same ten shop archetypes (same sector,
//! weight and product mix) under its own shop names. That keeps the product
//! and price mix of the county identical whichever platform gains share, so
//! county-level sales value tracks order counts year over year.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::anxi::{self, Township};
use crate::catalog::{self as c, Product, Sector};
use crate::textout::{CsvSink, LineEnding, TextEncoding};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    Taobao,
    Jd,
    Pinduoduo,
    Douyin,
}

impl Platform {
    pub const ALL: [Platform; 4] = [
        Platform::Taobao,
        Platform::Jd,
        Platform::Pinduoduo,
        Platform::Douyin,
    ];

    /// Code used in the shop register's `platform` column.
    pub fn code(self) -> &'static str {
        match self {
            Platform::Taobao => "taobao",
            Platform::Jd => "jd",
            Platform::Pinduoduo => "pinduoduo",
            Platform::Douyin => "douyin",
        }
    }

    fn id_prefix(self) -> &'static str {
        match self {
            Platform::Taobao => "TB",
            Platform::Jd => "JD",
            Platform::Pinduoduo => "PDD",
            Platform::Douyin => "DY",
        }
    }

    fn id_base(self) -> u32 {
        match self {
            Platform::Taobao => 1000,
            Platform::Jd => 2000,
            Platform::Pinduoduo => 3000,
            Platform::Douyin => 4000,
        }
    }
}

/// How a shop can be tied to a township downstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Listed in `shops.csv` with its township code.
    Registered,
    /// Not in the register, but its orders name the home township in the
    /// ship-from address, so address parsing can still attribute it.
    ShipsFromTownship,
    /// Not in the register and ships from outside the county (or leaves the
    /// field blank when the string is empty): must end up unattributed.
    Unattributed { ship_from: &'static str },
}

#[derive(Debug, Clone, Copy)]
struct Archetype {
    sector: Sector,
    /// Share of the sector's orders within one platform.
    weight: f64,
    products: &'static [Product],
}

const ARCHETYPES: [Archetype; 10] = [
    Archetype {
        sector: Sector::Agri,
        weight: 0.28,
        products: &[
            c::TGY_QING_GIFT,
            c::TGY_NONG_CAN,
            c::TGY_SUPER_GIFT,
            c::HUANGJINGUI,
        ],
    },
    Archetype {
        sector: Sector::Agri,
        weight: 0.20,
        products: &[c::TGY_QING_BULK, c::MAOXIE, c::BENSHAN, c::SEZHONG],
    },
    Archetype {
        sector: Sector::Agri,
        weight: 0.17,
        products: &[c::TGY_QING_GIFT, c::HUANGJINGUI, c::BENSHAN, c::MAOXIE],
    },
    Archetype {
        sector: Sector::Agri,
        weight: 0.15,
        products: &[c::HUAISHAN, c::HONGMI, c::SHANYAO, c::LONGYAN],
    },
    Archetype {
        sector: Sector::Agri,
        weight: 0.10,
        products: &[c::LONGYAN, c::MIYOU, c::HUAISHAN],
    },
    // Unregistered tea shop that ships from its township.
    Archetype {
        sector: Sector::Agri,
        weight: 0.10,
        products: &[c::TGY_QING_BULK, c::BENSHAN, c::MAOXIE],
    },
    Archetype {
        sector: Sector::NonAgri,
        weight: 0.40,
        products: &[c::HUAJIA, c::BIGUA, c::NIAOLONG],
    },
    Archetype {
        sector: Sector::NonAgri,
        weight: 0.25,
        products: &[c::SHOUNALAN, c::HUAJIA, c::BIGUA],
    },
    Archetype {
        sector: Sector::NonAgri,
        weight: 0.22,
        products: &[c::TSHIRT_M, c::TSHIRT_F, c::TSHIRT_KID],
    },
    // Unregistered, unattributable shop.
    Archetype {
        sector: Sector::NonAgri,
        weight: 0.13,
        products: &[c::SHOUNALAN, c::BIGUA, c::TSHIRT_M],
    },
];

/// One platform's shop names, in archetype order. Enterprise names are
/// invented; `individual` picks a 个体工商户 (92…) rather than 企业 (91…) code.
struct ShopSpec {
    name: &'static str,
    enterprise: &'static str,
    individual: bool,
    township: Township,
    registration: Registration,
}

const fn reg(
    name: &'static str,
    enterprise: &'static str,
    individual: bool,
    township: Township,
) -> ShopSpec {
    ShopSpec {
        name,
        enterprise,
        individual,
        township,
        registration: Registration::Registered,
    }
}

const fn unreg(name: &'static str, township: Township, registration: Registration) -> ShopSpec {
    ShopSpec {
        name,
        enterprise: "",
        individual: true,
        township,
        registration,
    }
}

const TOWNSHIP_ONLY: Registration = Registration::ShipsFromTownship;

fn specs(platform: Platform) -> [ShopSpec; 10] {
    use anxi::*;
    match platform {
        Platform::Taobao => [
            reg(
                "安溪铁观音旗舰店",
                "安溪县茗源茶业有限公司",
                false,
                FENGCHENG,
            ),
            reg("感德茶农合作社店", "安溪县感德镇茗农茶叶商行", true, GANDE),
            reg("西坪茶叶专营店", "安溪县西坪镇松韵茶叶店", true, XIPING),
            reg(
                "官桥农家特产店",
                "安溪县官桥镇禾丰农产品经营部",
                true,
                GUANQIAO,
            ),
            reg(
                "金谷龙眼蜜柚鲜果铺",
                "安溪县金谷镇果香农副产品店",
                true,
                JINGU,
            ),
            unreg("剑斗山茶小铺", JIANDOU, TOWNSHIP_ONLY),
            reg("湖头藤铁工艺店", "安溪县湖头藤艺家居有限公司", false, HUTOU),
            reg(
                "城厢藤编家居馆",
                "安溪县城厢编织工艺品有限公司",
                false,
                CHENGXIANG,
            ),
            reg("凤城纯棉服饰店", "安溪县凤城镇棉语服装店", true, FENGCHENG),
            unreg(
                "闽南家居好物店",
                FENGCHENG,
                Registration::Unattributed {
                    ship_from: "福建省厦门市思明区",
                },
            ),
        ],
        Platform::Jd => [
            reg(
                "感德铁观音京东专卖店",
                "安溪县感德镇鑫茗茶业有限公司",
                false,
                GANDE,
            ),
            reg("芦田高山茶专营店", "安溪县芦田镇云岭茶叶店", true, LUTIAN),
            reg(
                "虎邱乌龙茶旗舰店",
                "安溪县虎邱茶叶发展有限公司",
                false,
                HUQIU,
            ),
            reg(
                "湖头淮山特产店",
                "安溪县湖头镇乡味农产品经营部",
                true,
                HUTOU,
            ),
            reg("龙门蜜柚果园店", "安溪县龙门镇柚香果蔬店", true, LONGMEN),
            unreg("蓬莱清水茶行", PENGLAI, TOWNSHIP_ONLY),
            reg(
                "官桥藤铁家居旗舰店",
                "安溪县官桥藤铁工艺品有限公司",
                false,
                GUANQIAO,
            ),
            reg("魁斗藤艺工坊", "安溪县魁斗镇巧手藤艺店", true, KUIDOU),
            reg(
                "安溪棉品服饰专营店",
                "安溪县凤城棉品服饰有限公司",
                false,
                FENGCHENG,
            ),
            unreg(
                "家居工艺优选店",
                CHENGXIANG,
                Registration::Unattributed { ship_from: "" },
            ),
        ],
        Platform::Pinduoduo => [
            reg(
                "安溪铁观音源头茶厂店",
                "安溪县感德镇山峰茶叶加工厂",
                false,
                GANDE,
            ),
            reg("西坪茶农直销店", "安溪县西坪镇老茶农茶叶店", true, XIPING),
            reg("白濑高山茶店", "安溪县白濑乡云雾茶叶店", true, BAILAI),
            reg("参内农家土特产店", "安溪县参内镇山里农产品店", true, CANNEI),
            reg("金谷龙眼干农户店", "安溪县金谷镇桂圆干果店", true, JINGU),
            unreg("感德茶农自产自销店", GANDE, TOWNSHIP_ONLY),
            reg(
                "湖头藤铁工艺批发店",
                "安溪县湖头镇铁艺工艺品厂",
                false,
                HUTOU,
            ),
            reg("城厢藤编收纳店", "安溪县城厢镇编艺家居店", true, CHENGXIANG),
            reg(
                "凤城T恤工厂店",
                "安溪县凤城针织服装有限公司",
                false,
                FENGCHENG,
            ),
            unreg(
                "优品家居百货店",
                FENGCHENG,
                Registration::Unattributed { ship_from: "" },
            ),
        ],
        Platform::Douyin => [
            reg(
                "安溪铁观音茶园直播间",
                "安溪县感德镇茶园人家茶业有限公司",
                false,
                GANDE,
            ),
            reg(
                "西坪铁观音发源地小店",
                "安溪县西坪镇溯源茶叶店",
                true,
                XIPING,
            ),
            reg(
                "剑斗高山茶小店",
                "安溪县剑斗镇高山茶叶经营部",
                true,
                JIANDOU,
            ),
            reg("官桥红米农家小店", "安溪县官桥镇稻香米业店", true, GUANQIAO),
            reg(
                "龙门蜜柚鲜果小店",
                "安溪县龙门镇鲜柚农产品店",
                true,
                LONGMEN,
            ),
            unreg("虎邱茶农直播店", HUQIU, TOWNSHIP_ONLY),
            reg("湖头藤铁家居小店", "安溪县湖头镇藤铁家居馆", true, HUTOU),
            reg(
                "藤编好物工坊",
                "安溪县城厢藤编制品有限公司",
                false,
                CHENGXIANG,
            ),
            reg("凤城潮流T恤店", "安溪县凤城镇潮衣服饰店", true, FENGCHENG),
            unreg(
                "泉州家居好物小店",
                FENGCHENG,
                Registration::Unattributed {
                    ship_from: "福建省 泉州市 丰泽区",
                },
            ),
        ],
    }
}

#[derive(Debug, Clone)]
pub struct Shop {
    pub platform: Platform,
    pub id: String,
    /// Numeric part of `id` (e.g. 1001 for `TB1001`).
    pub number: u32,
    pub name: &'static str,
    pub enterprise: &'static str,
    pub uscc: String,
    pub township: Township,
    pub registration: Registration,
    pub sector: Sector,
    /// Share of its sector's orders on its platform.
    pub weight: f64,
    pub products: &'static [Product],
    /// Submits its own back-office export (the platform's real layout, in a folder of its
    /// own) instead of appearing in the platform's yearly file: one registered
    /// agricultural shop per platform, the last in archetype order.
    pub own_export: bool,
}

impl Shop {
    pub fn is_registered(&self) -> bool {
        self.registration == Registration::Registered
    }
}

/// All 40 shops, platform by platform in archetype order.
pub fn all_shops() -> Vec<Shop> {
    let mut out = Vec::with_capacity(40);
    for platform in Platform::ALL {
        for (i, (spec, arch)) in specs(platform).into_iter().zip(ARCHETYPES).enumerate() {
            debug_assert!(
                anxi::ALL.contains(&spec.township),
                "only the 15 listed townships"
            );
            let number = platform.id_base() + 1 + i as u32;
            let uscc = if spec.registration == Registration::Registered {
                fake_uscc(spec.individual, number)
            } else {
                String::new()
            };
            out.push(Shop {
                platform,
                id: format!("{}{number}", platform.id_prefix()),
                number,
                name: spec.name,
                enterprise: spec.enterprise,
                uscc,
                township: spec.township,
                registration: spec.registration,
                sector: arch.sector,
                weight: arch.weight,
                products: arch.products,
                own_export: false,
            });
        }
        if let Some(shop) = out
            .iter_mut()
            .rev()
            .find(|s| s.platform == platform && s.is_registered() && s.sector == Sector::Agri)
        {
            shop.own_export = true;
        }
    }
    out
}

/// `n` shops of `platform` for the benchmark's files (at least its real ones): its real
/// shops, then copies of them under new ids and names, spread over the 15 townships. The
/// copies are in no shop register (ecstat attributes them by their ship-from township), and
/// weigh less the later they come (1/rank), so that a few shops sell most, as on a platform.
pub fn bench_shops(platform: Platform, n: usize) -> Vec<Shop> {
    let real: Vec<Shop> = all_shops()
        .into_iter()
        .filter(|s| s.platform == platform)
        .collect();
    let mut out = real.clone();
    for i in real.len()..n {
        let base = &real[i % real.len()];
        let number = platform.id_base() * 1000 + i as u32;
        let name: &'static str = Box::leak(format!("{}{i}号店", base.name).into_boxed_str());
        out.push(Shop {
            id: format!("{}{number}", platform.id_prefix()),
            number,
            name,
            uscc: String::new(),
            township: anxi::ALL[i % anxi::ALL.len()],
            registration: Registration::ShipsFromTownship,
            weight: base.weight * real.len() as f64 / (i + 1) as f64,
            own_export: false,
            ..base.clone()
        });
    }
    out
}

/// Expected goods value per order line (cents) for a sector, given that every
/// platform shares the archetype mix. Used to size the agricultural share.
pub fn mean_line_value_cents(sector: Sector) -> f64 {
    ARCHETYPES
        .iter()
        .filter(|a| a.sector == sector)
        .map(|a| {
            let mean: f64 = a
                .products
                .iter()
                .map(Product::mean_price_cents)
                .sum::<f64>()
                / a.products.len() as f64;
            a.weight * mean
        })
        .sum()
}

// GB 32100-2015 character set and weights (3^i mod 31).
const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A 统一社会信用代码-shaped string that passes the GB 32100 check digit but is
/// obviously synthetic: the organisation part is `XX` plus zero-padded shop
/// number, which no registration authority issues.
fn fake_uscc(individual: bool, shop_number: u32) -> String {
    let kind = if individual { "92" } else { "91" };
    let body = format!("{kind}350524XX{shop_number:07}");
    let check = uscc_check_char(&body);
    let mut s = body;
    s.push(check);
    s
}

fn uscc_check_char(body17: &str) -> char {
    let sum: u32 = body17
        .bytes()
        .zip(USCC_WEIGHTS)
        .map(|(b, w)| {
            let v = USCC_CHARS.iter().position(|&x| x == b).unwrap_or(0) as u32;
            v * w
        })
        .sum();
    let check = (31 - sum % 31) % 31;
    char::from(USCC_CHARS[check as usize])
}

/// Writes the shop register: UTF-8, LF, registered shops only.
pub fn write_register(path: &Path, shops: &[Shop]) -> Result<usize> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut sink = CsvSink::new(
        std::io::BufWriter::new(file),
        TextEncoding::Utf8,
        LineEnding::Lf,
    );
    sink.record(&[
        "platform",
        "shop_id",
        "shop_name",
        "enterprise_name",
        "uscc",
        "township_code",
    ])?;
    let mut n = 0;
    for s in shops.iter().filter(|s| s.is_registered()) {
        sink.record(&[
            s.platform.code(),
            &s.id,
            s.name,
            s.enterprise,
            &s.uscc,
            s.township.code,
        ])?;
        n += 1;
    }
    sink.finish()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(n)
}

/// Human-readable list of the unregistered shops, for the run summary.
pub fn describe_unregistered(shops: &[Shop]) -> String {
    let mut out = String::new();
    for s in shops.iter().filter(|s| !s.is_registered()) {
        let how = match s.registration {
            Registration::Registered => continue,
            Registration::ShipsFromTownship if s.platform == Platform::Pinduoduo => {
                "ship-from would name its township, but 拼多多 exports have no ship-from column"
                    .to_string()
            }
            Registration::ShipsFromTownship => format!("ship-from names {}", s.township.name),
            Registration::Unattributed { ship_from: "" } => "ship-from blank".to_string(),
            Registration::Unattributed { ship_from } => format!("ship-from {ship_from}"),
        };
        let _ = writeln!(out, "  {} {} ({}): {how}", s.id, s.name, s.sector.label());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_shops_eighty_percent_registered() {
        let shops = all_shops();
        assert_eq!(shops.len(), 40);
        assert_eq!(shops.iter().filter(|s| s.is_registered()).count(), 32);
        let mut ids: Vec<&str> = shops.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 40);
    }

    #[test]
    fn uscc_shape_and_check_digit() {
        for s in all_shops().iter().filter(|s| s.is_registered()) {
            assert_eq!(s.uscc.len(), 18, "{}", s.uscc);
            assert!(s.uscc.starts_with("92350524") || s.uscc.starts_with("91350524"));
            assert!(s.uscc.bytes().all(|b| USCC_CHARS.contains(&b)));
        }
    }

    #[test]
    fn check_digit_matches_published_example() {
        // The worked example circulated with GB 32100-2015.
        assert_eq!(uscc_check_char("91350100M000100Y4"), '3');
    }

    #[test]
    fn archetype_weights_sum_to_one_per_sector() {
        for sector in Sector::BOTH {
            let w: f64 = ARCHETYPES
                .iter()
                .filter(|a| a.sector == sector)
                .map(|a| a.weight)
                .sum();
            assert!((w - 1.0).abs() < 1e-9);
        }
    }
}
