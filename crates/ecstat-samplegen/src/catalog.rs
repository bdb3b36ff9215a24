//! Owns the product catalogue: listing titles, platform categories, the
//! agricultural / non-agricultural split and realistic unit-price ranges.

use crate::rng::SplitMix64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sector {
    Agri,
    NonAgri,
}

impl Sector {
    pub const BOTH: [Sector; 2] = [Sector::Agri, Sector::NonAgri];

    pub fn label(self) -> &'static str {
        match self {
            Sector::Agri => "agri",
            Sector::NonAgri => "non-agri",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    pub title: &'static str,
    /// Platform category as shown in layouts that have a category column.
    pub category: &'static str,
    pub sector: Sector,
    /// Unit price range in whole yuan (inclusive).
    pub min_yuan: i64,
    pub max_yuan: i64,
}

const fn p(title: &'static str, category: &'static str, min_yuan: i64, max_yuan: i64) -> Product {
    let sector = if is_agri_category(category) {
        Sector::Agri
    } else {
        Sector::NonAgri
    };
    Product {
        title,
        category,
        sector,
        min_yuan,
        max_yuan,
    }
}

/// The sector is derived from the category so the two can never disagree.
const fn is_agri_category(c: &str) -> bool {
    bytes_eq(c.as_bytes(), TEA.as_bytes()) || bytes_eq(c.as_bytes(), FARM.as_bytes())
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub const TEA: &str = "茶叶";
pub const FARM: &str = "农产品";
pub const CRAFT: &str = "家居工艺品";
pub const APPAREL: &str = "服饰";

// Tea.
pub const TGY_QING_GIFT: Product = p("安溪铁观音 清香型 250g 礼盒", TEA, 128, 580);
pub const TGY_NONG_CAN: Product = p("安溪铁观音 浓香型 500g 罐装", TEA, 150, 600);
pub const TGY_SUPER_GIFT: Product = p("铁观音 特级 兰花香 新茶 礼盒装", TEA, 298, 800);
pub const TGY_QING_BULK: Product = p("安溪铁观音 清香型 散装 500g", TEA, 88, 360);
pub const HUANGJINGUI: Product = p("黄金桂 乌龙茶 500g", TEA, 80, 300);
pub const BENSHAN: Product = p("本山茶 浓香型 250g", TEA, 60, 200);
pub const MAOXIE: Product = p("毛蟹茶 散装 500g", TEA, 60, 180);
pub const SEZHONG: Product = p("安溪色种 乌龙茶 袋装 500g", TEA, 60, 160);
// Other farm produce.
pub const HUAISHAN: Product = p("安溪淮山 新鲜 5斤", FARM, 30, 80);
pub const HONGMI: Product = p("官桥红米 2.5kg", FARM, 35, 78);
pub const SHANYAO: Product = p("安溪山药 铁棍 农家 5斤", FARM, 30, 78);
pub const LONGYAN: Product = p("龙眼干 500g", FARM, 28, 68);
pub const MIYOU: Product = p("蜜柚 4个装", FARM, 29, 69);
// Crafts.
pub const HUAJIA: Product = p("藤铁工艺 花架 客厅", CRAFT, 80, 600);
pub const BIGUA: Product = p("铁艺壁挂 装饰", CRAFT, 80, 380);
pub const NIAOLONG: Product = p("藤铁 鸟笼 装饰摆件", CRAFT, 120, 520);
pub const SHOUNALAN: Product = p("藤编收纳篮 家居工艺品", CRAFT, 45, 198);
// Apparel.
pub const TSHIRT_M: Product = p("纯棉T恤 男款", APPAREL, 39, 99);
pub const TSHIRT_F: Product = p("纯棉T恤 女款 宽松", APPAREL, 39, 99);
pub const TSHIRT_KID: Product = p("纯棉短袖T恤 儿童", APPAREL, 39, 79);

impl Product {
    /// Unit price in cents for a uniform `u`: whole yuan, sometimes with the
    /// shop-style .90/.80/.99/.50 endings real listings use.
    pub fn price_cents(&self, u: f64, rng: &mut SplitMix64) -> i64 {
        let span = (self.max_yuan - self.min_yuan + 1) as f64;
        let yuan = self.min_yuan + ((u * span) as i64).min(self.max_yuan - self.min_yuan);
        let cents = match rng.below(20) {
            0..=10 => 0,
            11..=14 => 90,
            15..=16 => 80,
            17..=18 => 99,
            _ => 50,
        };
        yuan * 100 + cents
    }

    /// Expected unit price in cents under [`Self::price_cents`]; used to
    /// calibrate the agricultural share of sales value.
    pub fn mean_price_cents(&self) -> f64 {
        let mean_cents = (4.0 * 90.0 + 2.0 * 80.0 + 2.0 * 99.0 + 50.0) / 20.0;
        (self.min_yuan + self.max_yuan) as f64 * 50.0 + mean_cents
    }
}

/// Purchase quantity per line for a uniform `u`; identical for every product
/// so that value tracks line counts year over year.
pub fn quantity(u: f64) -> u32 {
    match (u * 100.0) as u32 {
        0..=74 => 1,
        75..=92 => 2,
        93..=97 => 3,
        _ => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors_follow_categories() {
        assert_eq!(TGY_QING_GIFT.sector, Sector::Agri);
        assert_eq!(HUAISHAN.sector, Sector::Agri);
        assert_eq!(HUAJIA.sector, Sector::NonAgri);
        assert_eq!(TSHIRT_M.sector, Sector::NonAgri);
    }
}
