//! The order-spec language on files written here: order-level amounts split over an
//! order's lines (checked against the order amounts the test itself wrote), whole orders
//! held back, refunds by after-sale status, derived values and the unknown shop.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Decimal128Type;
use ecstat_lake::{DataDir, InputRecord};

use crate::tests::{ingest, read_batches, rules, spec};

/// A JD-POP-like layout: one row per SKU line, the order's amounts repeated on each line.
const ORDER_LEVEL: &str = r#"
name = "t"
description = "order-level amounts"
table = "orders"
platform = "jd"
files = ["*.csv"]
format = "csv"
goods_amount = "column"
order_level = ["goods_amount", "paid_amount", "balance", "postage", "status", "order_time"]
[columns]
order_id = ["订单号"]
sub_order_id = ["商品ID"]
item_title = ["商品名称"]
quantity = ["数量"]
unit_price = ["单价"]
paid_amount = ["应付金额"]
postage = ["运费"]
status = ["状态"]
order_time = ["下单时间"]
[inputs]
balance = { headers = ["余额支付"], type = "amount" }
[derive]
goods_amount = "paid_amount + coalesce(balance, 0) - coalesce(postage, 0)"
[status]
completed = ["完成"]
in_progress = ["等待出库"]
"#;

const HEADER: &str = "订单号,商品ID,商品名称,数量,单价,应付金额,余额支付,运费,状态,下单时间\n";

/// Staged lines of a file: (order id, line id) → (goods, refund, status, shop id).
type Lines = BTreeMap<(String, String), (i128, i128, String, String)>;

fn staged(lake: &DataDir, record: &InputRecord) -> Lines {
    let mut out = BTreeMap::new();
    for b in read_batches(lake, record.staged_files.values().flatten()) {
        let text = |c: &str| b.column_by_name(c).expect(c).as_string::<i32>().clone();
        let money = |c: &str| {
            b.column_by_name(c)
                .expect(c)
                .as_primitive::<Decimal128Type>()
                .clone()
        };
        let (order, line, title, status, shop) = (
            text("order_id"),
            text("sub_order_id"),
            text("item_title"),
            text("status"),
            text("shop_id"),
        );
        let (goods, refund) = (money("goods_amount_yuan"), money("refund_yuan"));
        for i in 0..b.num_rows() {
            let key = if line.is_valid(i) {
                line.value(i)
            } else {
                title.value(i)
            };
            out.insert(
                (order.value(i).to_string(), key.to_string()),
                (
                    goods.value(i),
                    refund.value(i),
                    status.value(i).to_string(),
                    shop.value(i).to_string(),
                ),
            );
        }
    }
    out
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[tokio::test]
async fn order_level_amounts_are_split_over_the_lines_and_add_up_to_each_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // 300 orders of 1–5 lines with uneven prices, amounts and discounts, written by a
    // fixed pseudo-random sequence; some orders blank their amounts on all lines but one.
    let mut state: u64 = 0x5eed;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut text = HEADER.to_string();
    let mut expected: BTreeMap<String, (i64, Vec<(String, i64)>)> = BTreeMap::new();
    for order in 0..300 {
        let lines = 1 + next(5) as usize;
        let id = format!("O{order:04}");
        let mut weights = Vec::new();
        let mut list = 0i64;
        for line in 0..lines {
            let price = 1 + next(30_000) as i64;
            let qty = 1 + next(3) as i64;
            // Some lines have no price: they weigh nothing (every price empty: equal shares).
            let priced = order % 7 != 0 && next(6) != 0;
            weights.push((
                format!("SKU{order}-{line}"),
                if priced { price * qty } else { 0 },
            ));
            list += price * qty;
        }
        let postage = next(1_500) as i64;
        let goods = list - next(1 + list as u64 / 5) as i64;
        let balance = if order % 3 == 0 {
            (next(500) as i64).min(goods)
        } else {
            0
        };
        let paid = goods + postage - balance;
        let only_first = order % 5 == 0;
        for (line, (sku, weight)) in weights.iter().enumerate() {
            let qty = if *weight > 0 { 1 } else { 1 + line as i64 % 2 };
            let price = if *weight > 0 {
                yuan(*weight)
            } else {
                String::new()
            };
            let (p, b, f) = if only_first && line > 0 {
                (String::new(), String::new(), String::new())
            } else {
                (yuan(paid), yuan(balance), yuan(postage))
            };
            text.push_str(&format!(
                "{id},{sku},商品{line},{qty},{price},{p},{b},{f},完成,2019-05-{:02} 10:00:00\n",
                1 + order % 28
            ));
        }
        expected.insert(id, (goods, weights));
    }
    let (lake, record) = ingest(tmp.path(), spec(ORDER_LEVEL), "o.csv", text.as_bytes()).await;
    assert_eq!(record.error, None);
    assert_eq!(rules(&lake, &record), vec![], "every line is staged");
    let lines = staged(&lake, &record);
    for (id, (goods, weights)) in &expected {
        let shares: Vec<i128> = weights
            .iter()
            .map(|(sku, _)| lines[&(id.clone(), sku.clone())].0)
            .collect();
        assert_eq!(
            shares.iter().sum::<i128>(),
            i128::from(*goods),
            "order {id}: its lines add up to its goods amount"
        );
        // Each share is within a fen of the exact pro-rata share (equal when unweighted).
        let total: i64 = weights.iter().map(|(_, w)| *w).sum();
        for ((_, weight), share) in weights.iter().zip(&shares) {
            let (num, den) = if total > 0 {
                (i128::from(*goods) * i128::from(*weight), i128::from(total))
            } else {
                (i128::from(*goods), weights.len() as i128)
            };
            let exact_floor = num / den;
            assert!(
                *share == exact_floor || *share == exact_floor + 1,
                "order {id}: share {share} vs {num}/{den}"
            );
        }
    }
}

#[tokio::test]
async fn an_order_with_a_rejected_line_is_held_back_whole_and_a_repeated_line_counts_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{HEADER}\
         A,1,茶,1,10.00,38.00,0,8.00,完成,2019-05-01 10:00:00\n\
         A,2,茶盘,1,abc,38.00,0,8.00,完成,2019-05-01 10:00:00\n\
         B,1,茶,1,10.00,,,,完成,2019-05-02 10:00:00\n\
         B,2,茶,1,30.00,48.00,2.00,10.00,完成,\n\
         B,1,茶,1,10.00,,,,完成,2019-05-02 10:00:00\n\
         C,1,茶,1,10.00,18.00,0,8.00,等待出库,2019-05-03 10:00:00\n"
    );
    let (lake, record) = ingest(tmp.path(), spec(ORDER_LEVEL), "o.csv", text.as_bytes()).await;
    assert_eq!(record.error, None);
    assert_eq!(
        rules(&lake, &record),
        vec![
            (2, "order_line_rejected".to_string()),
            (3, "unparseable_amount".to_string()),
            (6, "duplicate_order_line".to_string()),
        ]
    );
    let lines = staged(&lake, &record);
    // B: goods 48 + 2 − 10 = 40, split 10 : 30 by price; its time and amounts written on
    // one line only. C is in progress: staged, and counts nothing yet.
    let goods: Vec<(String, i128, String)> = lines
        .iter()
        .map(|((o, l), (g, _, s, _))| (format!("{o}{l}"), *g, s.clone()))
        .collect();
    assert_eq!(
        goods,
        vec![
            ("B1".to_string(), 1000, "completed".to_string()),
            ("B2".to_string(), 3000, "completed".to_string()),
            ("C1".to_string(), 1000, "in_progress".to_string()),
        ]
    );
    assert_eq!(
        record.rows_read,
        record.rows_staged + record.rows_quarantined
    );
}

/// A 拼多多-like layout: one row per order, no shop column, refunds only by after-sale
/// status, the order day in the id where the time is blank.
const ORDER_GRAIN: &str = r#"
name = "t"
description = "order grain"
table = "orders"
platform = "pinduoduo"
files = ["*.csv"]
format = "csv"
goods_amount = "paid_minus_postage"
empty_values = ["-"]
[columns]
order_id = ["订单号"]
item_title = ["商品"]
paid_amount = ["用户实付金额(元)"]
postage = ["邮费(元)"]
status = ["订单状态"]
after_sale_status = ["售后状态"]
order_time = ["订单成交时间"]
[derive]
order_time = "coalesce(order_time, ecstat_datetime(substr(order_id, 1, 6), '%y%m%d'))"
[status]
completed = ["已签收"]
in_progress = ["待发货"]
unpaid = ["待支付"]
[after_sale]
refunded = ["退款成功"]
"#;

#[tokio::test]
async fn refunds_by_status_derived_dates_unpaid_orders_and_the_unknown_shop() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = "订单号,商品,用户实付金额(元),邮费(元),订单状态,售后状态,订单成交时间\n\
                191203-1,红米,25.00,5.00,已签收,无售后或售后取消,-\n\
                191204-2,红米,25.00,5.00,已签收,退款成功,2019-12-04 09:00:00\n\
                191205-3,红米,0.00,5.00,待支付,-,2019-12-05 09:00:00\n\
                191206-4,红米,25.00,5.00,待发货,-,2019-12-06 09:00:00\n\
                1912x-5,红米,25.00,5.00,已签收,-,\n\
                191207-6,红米,25.00,5.00,已签收,-,2019-13-01 09:00:00\n";
    let (lake, record) = ingest(tmp.path(), spec(ORDER_GRAIN), "o.csv", text.as_bytes()).await;
    assert_eq!(record.error, None);
    assert_eq!(
        rules(&lake, &record),
        vec![
            (6, "missing_value".to_string()),
            (7, "unparseable_datetime".to_string()),
        ],
        "an id without a date leaves the time missing; a present but impossible time is not replaced"
    );
    let lines = staged(&lake, &record);
    let shop = crate::normalise::UnknownShop::of_file("o.csv").id;
    let got: Vec<(&str, i128, i128, &str)> = lines
        .iter()
        .map(|((o, _), (g, r, s, sh))| {
            assert_eq!(sh, &shop, "no shop anywhere: the file's unknown shop");
            (o.as_str(), *g, *r, s.as_str())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("191203-1", 2000, 0, "completed"),
            ("191204-2", 2000, 2000, "refunded"),
            ("191205-3", 0, 0, "unpaid"),
            ("191206-4", 2000, 0, "in_progress"),
        ]
    );
    assert!(
        record.notes.iter().any(|n| n.contains(&shop)),
        "{:?}",
        record.notes
    );
    // The derived time is the id's day, and the month partition follows it.
    let months: Vec<&String> = record.staged_files["orders"].iter().collect();
    assert!(
        months.iter().all(|f| f.contains("month=2019-12")),
        "{months:?}"
    );
}
