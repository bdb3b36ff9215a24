//! Owns the platform-neutral order model: what one order line is, how an
//! order's items, prices, postage, status and refunds are drawn, and the
//! platform-specific order-number schemes.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDateTime};

use crate::catalog::{self, Product};
use crate::rng::{self, SplitMix64, Weyl};
use crate::shops::{Platform, Shop};
use crate::timeline;

/// What happened to an order line, independent of how a platform spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// Completed, part of the goods amount refunded.
    PartialRefund,
    /// Paid, then refunded in full.
    FullRefund,
    /// Closed before payment.
    Cancelled,
    Unpaid,
}

#[derive(Debug, Clone)]
pub struct Line<'a> {
    pub shop: &'a Shop,
    pub product: &'static Product,
    /// File-unique order number (drives the platform order id).
    pub order_seq: u64,
    /// File-unique line number (drives sub-order ids).
    pub line_seq: u64,
    /// Position within its order (0 = first item, which carries postage).
    pub sub_index: u8,
    pub created: NaiveDateTime,
    pub paid: Option<NaiveDateTime>,
    pub qty: u32,
    pub unit_cents: i64,
    /// Order postage on the first line, 0 on the others.
    pub postage_cents: i64,
    pub outcome: Outcome,
    /// Refund in cents when `outcome` is `PartialRefund` (always below the
    /// goods amount); full refunds are derived per layout.
    pub partial_refund_cents: i64,
    /// A registered shop occasionally leaves the ship-from field empty.
    pub ship_blank: bool,
    /// Random bits that pick between spellings (timestamp style, which
    /// garbage string) so rendering stays a pure function of the line.
    pub style: u32,
}

impl Line<'_> {
    pub fn goods_cents(&self) -> i64 {
        self.unit_cents * i64::from(self.qty)
    }

    /// Goods plus postage: what the buyer paid for this line.
    pub fn paid_cents(&self) -> i64 {
        self.goods_cents() + self.postage_cents
    }

    pub fn year(&self) -> i32 {
        self.created.year()
    }
}

/// Items per order for a uniform `u`: Taobao carts hold 1–3 sub-orders,
/// Douyin 1–2, JD and Pinduoduo exports are one item per order.
fn item_count(platform: Platform, u: f64) -> usize {
    let pct = (u * 100.0) as u32;
    match platform {
        Platform::Taobao => match pct {
            0..=69 => 1,
            70..=91 => 2,
            _ => 3,
        },
        Platform::Douyin => {
            if pct < 20 {
                2
            } else {
                1
            }
        }
        Platform::Jd | Platform::Pinduoduo => 1,
    }
}

fn draw_postage_cents(rng: &mut SplitMix64) -> i64 {
    100 * match rng.below(100) {
        0..=54 => 0,
        55..=69 => 6,
        70..=81 => 8,
        82..=91 => 10,
        _ => 12,
    }
}

/// Random sources for one output file: plain draws for everything cosmetic,
/// Weyl sequences for everything that moves sales value (see [`Weyl`]).
///
/// The value-bearing draws are kept per shop (product, item count, order
/// state) and per shop × product (price, quantity, refund, advanced in
/// lockstep), so every shop's mix and every product's mean line value sit on
/// their expectation however unevenly orders happen to fall.
#[derive(Debug, Clone)]
pub struct Draws {
    pub rng: SplitMix64,
    shop: Weyl,
    per_shop: HashMap<u32, ShopDraws>,
    per_product: HashMap<(u32, usize), ProductDraws>,
}

#[derive(Debug, Clone)]
struct ShopDraws {
    product: Weyl,
    items: Weyl,
    order_state: Weyl,
}

#[derive(Debug, Clone)]
struct ProductDraws {
    price: Weyl,
    qty: Weyl,
    refund: Weyl,
}

// Fractional parts of square roots of distinct primes: linearly independent
// over the rationals, so sequences consumed together stay jointly uniform.
const STEP_SHOP: f64 = std::f64::consts::SQRT_2;
const STEP_PRODUCT: f64 = 1.732_050_807_568_877_2; // √3
const STEP_ITEMS: f64 = 2.236_067_977_499_79; // √5
const STEP_ORDER_STATE: f64 = 2.645_751_311_064_590_6; // √7
const STEP_PRICE: f64 = 3.316_624_790_355_4; // √11
const STEP_QTY: f64 = 3.605_551_275_463_989; // √13
const STEP_REFUND: f64 = 4.123_105_625_617_661; // √17

impl Draws {
    pub fn new(mut rng: SplitMix64) -> Self {
        let shop = Weyl::new(STEP_SHOP, &mut rng);
        Self {
            rng,
            shop,
            per_shop: HashMap::new(),
            per_product: HashMap::new(),
        }
    }

    /// Picks a shop index proportionally to `weights`.
    pub fn shop(&mut self, weights: &[f64]) -> usize {
        rng::pick_weighted(weights, self.shop.next())
    }

    /// A shop drawn by its weight, from the running totals of the weights (for thousands
    /// of shops: a binary search, not a scan).
    pub fn shop_by_running_total(&mut self, running: &[f64]) -> usize {
        let total = running.last().copied().unwrap_or(0.0);
        let x = self.shop.next() * total;
        running
            .partition_point(|&r| r <= x)
            .min(running.len().saturating_sub(1))
    }

    fn shop_draws(&mut self, shop: &Shop) -> &mut ShopDraws {
        let rng = &mut self.rng;
        self.per_shop
            .entry(shop.number)
            .or_insert_with(|| ShopDraws {
                product: Weyl::new(STEP_PRODUCT, rng),
                items: Weyl::new(STEP_ITEMS, rng),
                order_state: Weyl::new(STEP_ORDER_STATE, rng),
            })
    }

    fn product_draws(&mut self, shop: &Shop, slot: usize) -> &mut ProductDraws {
        let rng = &mut self.rng;
        self.per_product
            .entry((shop.number, slot))
            .or_insert_with(|| ProductDraws {
                price: Weyl::new(STEP_PRICE, rng),
                qty: Weyl::new(STEP_QTY, rng),
                refund: Weyl::new(STEP_REFUND, rng),
            })
    }

    /// Items in the next order of `shop` on `platform`.
    pub fn item_count(&mut self, platform: Platform, shop: &Shop) -> usize {
        // A shop's own 京东 POP export holds multi-item orders, as 淘宝 carts do: the
        // order-level amounts its layout repeats on every item line need several lines.
        let platform = if shop.own_export && platform == Platform::Jd {
            Platform::Taobao
        } else {
            platform
        };
        item_count(platform, self.shop_draws(shop).items.next())
    }
}

/// Appends one order of `items` distinct products from `shop` to `out`.
///
/// Unpaid (2%) and cancelled (5%) are decided per order; the refund split of
/// paid orders per line (85/5/3 of 93). Both are independent of the item
/// count, so every layout sees the same per-line status mix.
pub fn push_order<'a>(
    d: &mut Draws,
    shop: &'a Shop,
    items: usize,
    created: NaiveDateTime,
    out: &mut Vec<Line<'a>>,
) {
    let sd = d.shop_draws(shop);
    let order_state = (sd.order_state.next() * 100.0) as u32;
    let n_products = shop.products.len();
    let first = ((sd.product.next() * n_products as f64) as usize).min(n_products - 1);
    // 0–1 unpaid, 2–6 cancelled, the rest paid.
    let paid = (order_state >= 7).then(|| created + timeline::draw_payment_lag(&mut d.rng));
    let postage = draw_postage_cents(&mut d.rng);
    let items = items.clamp(1, n_products);
    // Consecutive catalogue slots from the drawn start: distinct items, and
    // every product stays equally likely in every slot.
    for k in 0..items {
        let slot = (first + k) % n_products;
        let product = &shop.products[slot];
        let pd = d.product_draws(shop, slot);
        let (price_u, qty_u, refund_u) = (pd.price.next(), pd.qty.next(), pd.refund.next());
        let qty = catalog::quantity(qty_u);
        let unit_cents = product.price_cents(price_u, &mut d.rng);
        let outcome = match order_state {
            0..=1 => Outcome::Unpaid,
            2..=6 => Outcome::Cancelled,
            _ => match (refund_u * 93.0) as u32 {
                0..=84 => Outcome::Completed,
                85..=89 => Outcome::PartialRefund,
                _ => Outcome::FullRefund,
            },
        };
        let goods = unit_cents * i64::from(qty);
        let partial_refund_cents = if outcome == Outcome::PartialRefund {
            // 10–50% of the goods amount, whole yuan, at least 1 yuan.
            let pct = d.rng.range(10, 50);
            ((goods * pct / 100) / 100 * 100).clamp(100, goods - 1)
        } else {
            0
        };
        out.push(Line {
            shop,
            product,
            order_seq: 0,
            line_seq: 0,
            sub_index: k as u8,
            created,
            paid,
            qty,
            unit_cents,
            postage_cents: if k == 0 { postage } else { 0 },
            outcome,
            partial_refund_cents,
            ship_blank: shop.is_registered() && d.rng.chance(0.02),
            style: d.rng.next_u64() as u32,
        });
    }
}

/// File-scoped order-number generator. Sequence numbers are pushed through a
/// bijection on k-digit numbers ([`permute`]), so ids look random yet never
/// collide within a file, whatever its size.
#[derive(Debug, Clone)]
pub struct IdScheme {
    offset_a: u64,
    offset_b: u64,
}

/// Bijection on `0..10^digits`: affine map, digit reversal, affine map.
/// Each step is invertible; the reversal makes consecutive sequence numbers
/// land far apart instead of stepping by a visible constant.
fn permute(seq: u64, digits: u32, offset: u64) -> u64 {
    let m = 10u64.pow(digits);
    // Multipliers near 0.618·m and 0.755·m, forced odd and not ending in 5
    // so they stay coprime with 10^digits.
    let mul = |frac: f64| -> u128 {
        let mut x = (m as f64 * frac) as u64 | 1;
        if x.is_multiple_of(5) {
            x += 2;
        }
        u128::from(x)
    };
    let affine =
        |x: u64, a: u128, b: u64| ((u128::from(x) * a + u128::from(b)) % u128::from(m)) as u64;
    let x = affine(seq % m, mul(0.618_033_988_7), offset % m);
    let mut rev = 0u64;
    let mut rest = x;
    for _ in 0..digits {
        rev = rev * 10 + rest % 10;
        rest /= 10;
    }
    affine(rev, mul(0.754_877_666_2), offset.rotate_left(29) % m)
}

const E11: u64 = 100_000_000_000;
const E18: u64 = 1_000_000_000_000_000_000;
const E16: u64 = 10_000_000_000_000_000;

impl IdScheme {
    pub fn new(rng: &mut SplitMix64) -> Self {
        Self {
            offset_a: rng.next_u64(),
            offset_b: rng.next_u64(),
        }
    }

    fn yyyymmdd(t: NaiveDateTime) -> u64 {
        (t.year() as u64) * 10_000 + u64::from(t.month()) * 100 + u64::from(t.day())
    }

    /// Taobao 订单编号: 19 digits, creation date then 11 scrambled digits.
    pub fn taobao_order(&self, line: &Line<'_>) -> u64 {
        Self::yyyymmdd(line.created) * E11 + permute(line.order_seq, 11, self.offset_a)
    }

    /// Taobao 子订单编号: same shape, independent scramble.
    pub fn taobao_sub(&self, line: &Line<'_>) -> u64 {
        Self::yyyymmdd(line.created) * E11 + permute(line.line_seq, 11, self.offset_b)
    }

    /// JD 订单号: 12 digits whose leading digit grows with the year, as real
    /// JD numbers do, so ids never collide across yearly files.
    pub fn jd_order(&self, line: &Line<'_>) -> u64 {
        let lead = (line.year() - 2011).clamp(1, 9) as u64;
        lead * E11 + permute(line.order_seq, 11, self.offset_a)
    }

    /// Pinduoduo 订单号: `yyMMdd-` plus 15 digits.
    pub fn pdd_order(&self, line: &Line<'_>) -> PddId {
        PddId {
            yymmdd: Self::yyyymmdd(line.created) % 1_000_000,
            tail: permute(line.order_seq, 15, self.offset_a),
        }
    }

    /// Douyin 主订单编号: 19-digit plain number.
    pub fn douyin_main(&self, line: &Line<'_>) -> u64 {
        let yy = (line.year() % 100) as u64;
        4 * E18 + yy * E16 + permute(line.order_seq, 16, self.offset_a)
    }

    /// Douyin 子订单编号: 19-digit plain number from a separate range.
    pub fn douyin_sub(&self, line: &Line<'_>) -> u64 {
        let yy = (line.year() % 100) as u64;
        5 * E18 + yy * E16 + permute(line.line_seq, 16, self.offset_b)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PddId {
    yymmdd: u64,
    tail: u64,
}

impl std::fmt::Display for PddId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:06}-{:015}", self.yymmdd, self.tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shops::all_shops;

    #[test]
    fn permutation_is_injective_on_a_prefix() {
        for digits in [11, 15, 16] {
            let mut seen: Vec<u64> = (0..100_000).map(|s| permute(s, digits, 12_345)).collect();
            assert!(seen.iter().all(|&x| x < 10u64.pow(digits)));
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), 100_000);
        }
    }

    #[test]
    fn id_shapes() {
        let shops = all_shops();
        let mut d = Draws::new(SplitMix64::new(3));
        let mut lines = Vec::new();
        let t = timeline::draw_created(&mut d.rng, 2019, 1, shops[0].sector);
        push_order(&mut d, &shops[0], 3, t, &mut lines);
        let ids = IdScheme::new(&mut d.rng);
        for l in &lines {
            assert_eq!(ids.taobao_order(l).to_string().len(), 19);
            assert!(ids.taobao_order(l).to_string().starts_with("2019"));
            assert_eq!(ids.taobao_sub(l).to_string().len(), 19);
            assert_eq!(ids.jd_order(l).to_string().len(), 12);
            assert_eq!(ids.pdd_order(l).to_string().len(), 22);
            assert_eq!(ids.douyin_main(l).to_string().len(), 19);
            assert_eq!(ids.douyin_sub(l).to_string().len(), 19);
        }
        let mut titles: Vec<&str> = lines.iter().map(|l| l.product.title).collect();
        titles.sort_unstable();
        titles.dedup();
        assert_eq!(titles.len(), 3, "items of one order must differ");
    }
}
