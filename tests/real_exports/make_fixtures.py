#!/usr/bin/env python3
"""Write the real-export fixture inbox: four platforms' back-office order exports.

    python3 tests/real_exports/make_fixtures.py [INBOX]

INBOX defaults to `tests/real_exports/inbox` next to this script; the files go under
INBOX/platforms/ (the 抖店 ones in INBOX/platforms/店铺_DD8801_安溪示例茶叶旗舰店/). The output
is deterministic (fixed seed, stdlib only) and checked in; `tests/it/real_exports.rs` reads it
with a second reader of its own and compares with what `ecstat run` stages.

Every platform has TWO exports: an earlier one (end of 2019-12-31) in which the late
December orders are still in progress, and a later one (2020-01-15, a name sorting after the
earlier one) that repeats every order created from 2019-12-16 on with its final status, plus
the January 2020 orders. Rows are newest first, as the back offices write them.

Layouts, as the back offices export them:
- 淘宝 ExportOrderList: GBK, one row per order, 订单编号 written ="…"; some headers end in a
  space; 买家实际支付金额 includes 买家应付邮费 and is 0.00 for unpaid orders; 店铺Id and
  店铺名称 empty. Beside each, its ExportOrderDetailList: one row per item (订单编号, 标题,
  价格 the list price, 购买数量, …), no amounts; the later one also has an order of no list.
- 京东 POP: GBK, one row per SKU line, order-level amounts (订单金额, 结算金额, 余额支付,
  应付金额, 运费金额) repeated on every line of the order; 京东价 is the line's unit price.
- 拼多多: UTF-8 with BOM, one row per order, order id YYMMDD-15 digits; 订单成交时间 blank on
  unpaid, cancelled-unpaid and a few signed rows (the order day is then the id's).
- 抖店: UTF-8, one row per sub-order, empty cells written `-`; 商品金额 is a unit price and
  订单应付金额 includes that sub-order's 运费.

No real personal data: names are 张三-style placeholders, phones masked (138****0000).
At the end the script prints, per platform and year, the sales (buyer-paid goods of
completed, not refunded lines; postage excluded) and the completed orders, from its own model.
"""

import csv
import datetime as dt
import io
import os
import random
import sys

SEED = 20200115
HERE = os.path.dirname(os.path.abspath(__file__))
DOUYIN_FOLDER = "店铺_DD8801_安溪示例茶叶旗舰店"

NAMES = ["张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十", "郑一", "陈二"]
CITIES = [
    ("福建省", "泉州市", "安溪县", "凤城镇"),
    ("福建省", "厦门市", "思明区", "鹭江街道"),
    ("广东省", "深圳市", "南山区", "粤海街道"),
    ("浙江省", "杭州市", "西湖区", "文新街道"),
    ("上海", "上海市", "浦东新区", "张江镇"),
    ("北京", "北京市", "朝阳区", "望京街道"),
    ("江苏省", "南京市", "鼓楼区", "宁海路街道"),
    ("四川省", "成都市", "武侯区", "浆洗街街道"),
]

# Title, unit price in fen (uneven on purpose), merchant code.
PRODUCTS = [
    ("安溪铁观音 清香型 250g 罐装", 12800, "AX-TGY-250"),
    ("安溪铁观音 浓香型 500g 礼盒", 23800, "AX-TGY-500L"),
    ("黄金桂 乌龙茶 125g", 5990, "AX-HJG-125"),
    ("本山茶 散装 500g", 8990, "AX-BS-500"),
    ("毛蟹茶 袋泡 20包", 3680, "AX-MX-20"),
    ("藤铁工艺 花架 落地式", 19900, "AX-TT-HJ"),
    ("安溪淮山 干片 500g", 4590, "AX-HS-500"),
    ("铁观音 茶具套装 8件", 15650, "AX-CJ-8"),
    ("乌龙茶 试饮装 8泡", 1990, "AX-SY-8"),
    ("藤编 收纳篮 中号", 6730, "AX-TB-M"),
]

EARLIER_END = dt.datetime(2019, 12, 31, 11, 30, 0)
LATER_START = dt.datetime(2019, 12, 16, 0, 0, 0)


def yuan(fen):
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def ts(t):
    return t.strftime("%Y-%m-%d %H:%M:%S") if t else ""


def between(rng, start, end):
    span = int((end - start).total_seconds())
    return start + dt.timedelta(seconds=rng.randint(0, span))


LATER_END = dt.datetime(2020, 1, 15, 0, 0, 0)


def window(rng, lo, hi):
    """A time in [lo, hi], or lo when the window is empty."""
    return between(rng, lo, hi) if hi > lo else lo


def events(rng, created, early, late, paid, shipped, done):
    """Payment, shipping and completion times consistent with both exports.

    An event the earlier export already shows happened before it; one that only the later
    export shows happened between the two; the same times are written in both copies.
    """
    def seen(states):
        return early in states, (late if late is not None else early) in states

    def when(states, after, lo_gap, hi_gap):
        e, l = seen(states)
        if e:  # already in the earlier export
            return window(rng, after + lo_gap, min(after + hi_gap, EARLIER_END))
        if l:  # happened between the exports (or, for January orders, by the later one)
            start = max(after + lo_gap, EARLIER_END + dt.timedelta(hours=1)) \
                if early is not None else after + lo_gap
            return window(rng, start, min(start + hi_gap, LATER_END - dt.timedelta(hours=1)))
        return None

    paid_at = when(paid, created, dt.timedelta(seconds=8), dt.timedelta(minutes=30))
    shipped_at = when(shipped, paid_at or created, dt.timedelta(hours=2), dt.timedelta(days=2))
    done_at = when(done, shipped_at or paid_at or created, dt.timedelta(days=1),
                   dt.timedelta(days=6))
    return paid_at, shipped_at, done_at


def phone(rng):
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}****{rng.randint(0, 9999):04d}"


def digits(rng, n):
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


class Unique:
    def __init__(self):
        self.seen = set()

    def __call__(self, make):
        while True:
            v = make()
            if v not in self.seen:
                self.seen.add(v)
                return v


def plan(rng, hist_2018, hist_2019, overlap, january, hist_2018_from=dt.datetime(2018, 1, 1)):
    """Order skeletons: (created, earlier_state, later_state) with None for 'not in file'.

    States are platform-neutral: done, refund, cancel_unpaid, cancel_paid, unpaid, paid,
    shipped, plus platform specials passed through as strings.
    """
    out = []
    for n, (a, b) in ((hist_2018, (hist_2018_from, dt.datetime(2018, 12, 31, 22, 0))),
                      (hist_2019, (dt.datetime(2019, 1, 1, 1, 0), dt.datetime(2019, 12, 15, 23, 0)))):
        for state in n:
            t = between(rng, a, b)
            out.append((t, state, None))
    # The year boundary, both sides.
    out.append((dt.datetime(2018, 12, 31, 23, 48, 12), "done", None))
    out.append((dt.datetime(2019, 1, 1, 0, 3, 27), "done", None))
    # Overlap: created from 2019-12-16, in both files. Windows by earlier state.
    windows = {
        "done": (16, 24), "refund": (16, 24), "cancel_unpaid": (20, 28),
        "shipped": (22, 29), "paid": (28, 31), "unpaid": (30, 31),
    }
    for early, late in overlap:
        d0, d1 = windows.get(early, (18, 30))
        t = between(rng, dt.datetime(2019, 12, d0, 0, 0), dt.datetime(2019, 12, d1, 23, 59))
        t = min(t, EARLIER_END - dt.timedelta(minutes=rng.randint(5, 300)))
        out.append((t, early, late))
    # One just after midnight on New Year's Day, then January.
    # States in date order: the ones listed first (completed) are the older ones.
    times = sorted(between(rng, dt.datetime(2020, 1, 1, 1, 0), dt.datetime(2020, 1, 14, 23, 0))
                   for _ in january[1:])
    for t, state in zip([dt.datetime(2020, 1, 1, 0, 0, 41)] + times, january):
        out.append((t, None, state))
    return out


def write_csv(path, header, rows, encoding, bom=False):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        assert len(r) == len(header), (path, len(r), len(header))
        w.writerow(r)
    text = buf.getvalue()
    data = text.encode(encoding)  # raises if a character is not GBK-encodable
    if bom:
        data = b"\xef\xbb\xbf" + data
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


class Summary:
    """What the script itself expects: per (platform, year) sales in fen and completed orders."""

    def __init__(self):
        self.sales = {}
        self.completed = {}
        self.rows = {}

    def add(self, platform, year, order_id, counted_fen):
        key = (platform, year)
        self.sales.setdefault(key, 0)
        self.completed.setdefault(key, set())
        if counted_fen is not None:
            self.sales[key] += counted_fen
            self.completed[key].add(order_id)

    def print(self):
        print("platform   year  completed  sales(元)   rows(earlier+later)")
        for key in sorted(self.sales):
            p, y = key
            print(f"{p:<10} {y}  {len(self.completed[key]):>9}  {yuan(self.sales[key]):>10}")
        for p, (a, b) in sorted(self.rows.items()):
            print(f"rows {p}: {a} + {b} = {a + b}")


# ---------------------------------------------------------------- 淘宝

TAOBAO_HEADER = [
    "订单编号", "买家会员名", "买家支付宝账号", "支付交易号", "买家应付货款", "买家应付邮费",
    "买家支付积分", "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态",
    "买家留言", "收货人姓名", "收货地址", "运送方式", "联系电话 ", "联系手机", "订单创建时间",
    "订单付款时间 ", "宝贝标题 ", "宝贝种类", "物流单号 ", "物流公司", "订单备注", "宝贝总数量",
    "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单",
    "分阶段订单信息", "定金排名", "修改后的sku", "修改后的收货地址", "异常信息", "天猫卡券抵扣",
    "集分宝抵扣", "是否是O2O交易", "买家姓名", "买家身份证号", "买家手机号",
]

TAOBAO_DETAIL_HEADER = [
    "订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注",
    "订单状态", "商家编码",
]

TAOBAO_STATUS = {
    "done": "交易成功", "refund": "交易关闭", "cancel_unpaid": "交易关闭",
    "unpaid": "等待买家付款", "paid": "买家已付款，等待卖家发货", "shipped": "卖家已发货，等待买家确认",
}


def taobao(rng, out_dir, summary):
    uid = Unique()
    skeleton = plan(
        rng,
        hist_2018=["done"] * 9 + ["refund", "cancel_unpaid", "cancel_unpaid"],
        hist_2019=["done"] * 15 + ["refund", "refund", "cancel_unpaid", "cancel_unpaid"],
        overlap=[("done", "done")] * 3 + [("shipped", "done")] * 3 + [
            ("paid", "done"), ("paid", "refund"), ("shipped", "refund"),
            ("unpaid", "cancel_unpaid"), ("unpaid", "done"), ("cancel_unpaid", "cancel_unpaid"),
        ],
        january=["done"] * 5 + ["shipped", "shipped", "paid", "cancel_unpaid", "unpaid"],
    )
    # Three orders paid partly with 集分宝 (买家实际支付金额 = 总金额 − 集分宝抵扣).
    jifenbao = set(rng.sample(range(len(skeleton)), 3))
    earlier, latest, earlier_items, latest_items = [], [], [], []
    for i, (created, early, late) in enumerate(skeleton):
        oid = uid(lambda: created.strftime("%y%m%d") + digits(rng, 12))
        kinds = 2 if rng.random() < 0.2 else 1
        items = rng.sample(PRODUCTS, kinds)
        qty = [rng.choice([1, 1, 1, 2, 3]) for _ in items]
        goods = sum(p[1] * q for p, q in zip(items, qty))
        if rng.random() < 0.3:
            goods -= rng.choice([500, 1000, 2000]) if goods > 5000 else 100  # 店铺优惠券
        post = rng.choice([0, 0, 0, 0, 600, 800, 1200])
        jfb = rng.randint(30, 300) if i in jifenbao else 0
        name, city, ph = rng.choice(NAMES), rng.choice(CITIES), phone(rng)
        ships_refund = rng.random() < 0.5  # a refund after shipping, or before
        shipped_states = {"shipped", "done"} | ({"refund"} if ships_refund else set())
        paid_at, _, _ = events(rng, created, early, late,
                               {"paid", "shipped", "done", "refund"}, shipped_states, {"done"})
        ship_no = "YT" + digits(rng, 13)
        remark = rng.choice(["", "", "", "请尽快发货", "送人的，不要放发票"])
        mobile = rng.choice(["手机订单", "手机订单", ""])
        fixed = dict(oid=oid, items=items, qty=qty, goods=goods, post=post, jfb=jfb, name=name,
                     city=city, ph=ph, created=created, paid_at=paid_at, ship_no=ship_no,
                     remark=remark, mobile=mobile, member=f"tb_demo_{rng.randint(1000, 9999)}",
                     trade_no=created.strftime("%Y%m%d") + "22001" + digits(rng, 15))

        def row(state):
            f = fixed
            paid = state not in ("unpaid", "cancel_unpaid")
            shipped = state in shipped_states
            total = f["goods"] + f["post"]
            actual = total - f["jfb"] if paid else 0
            prov, cty, dist, town = f["city"]
            return [
                f'="{f["oid"]}"', f["member"], f["ph"] if paid else "",
                f["trade_no"] if paid else "", yuan(f["goods"]), yuan(f["post"]), "0",
                yuan(total), "0", yuan(actual), "0", TAOBAO_STATUS[state],
                "", f["name"], f"{prov} {cty} {dist} {town} 示例路{rng_num[0]}号(000000)", "快递",
                "", f"'{f['ph']}", ts(f["created"]), ts(f["paid_at"]) if paid else "",
                "，".join(p[0] for p in f["items"]), str(len(f["items"])),
                f"No:{f['ship_no']}" if shipped else "", "圆通速递" if shipped else "",
                f["remark"], str(sum(f["qty"])), "", "",
                {"refund": "退款", "cancel_unpaid": "买家未付款"}.get(state, "订单未关闭"),
                "0", "0元", "", f["mobile"], "", "", "", "", "", "",
                yuan(f["jfb"]) if f["jfb"] and paid else "0.00", "", "", "", "",
            ]

        # Drawn once per order: both copies of an order show the same values.
        rng_num = [rng.randint(1, 200)]
        if early is not None:
            earlier.append((created, row(early)))
            earlier_items.append((created, detail(items, qty, oid, early)))
        if late is not None:
            latest.append((created, row(late)))
            latest_items.append((created, detail(items, qty, oid, late)))
        final = late if late is not None else early
        # Sales = 买家实际支付金额 − 买家应付邮费 of a 交易成功 order.
        counted = (goods + post - jfb) - post if final == "done" else None
        summary.add("taobao", created.year, oid, counted)
    for name, rows in (("ExportOrderList201912311200.csv", earlier),
                       ("ExportOrderList202001151030.csv", latest)):
        rows.sort(key=lambda r: r[0], reverse=True)
        write_csv(os.path.join(out_dir, name), TAOBAO_HEADER, [r for _, r in rows], "gbk")
    # The report's items half: one row per item, no amounts, beside each order list. The
    # later one also lists an order that no order list has (its ExportOrderList was not
    # sent): reported, not counted.
    latest_items.append((dt.datetime(2020, 1, 15), [[
        '="200114999999999901"', PRODUCTS[0][0], yuan(PRODUCTS[0][1]), "1", "",
        "净含量：250g", "", "", "交易成功", PRODUCTS[0][2]]]))
    for name, orders in (("ExportOrderDetailList201912311200.csv", earlier_items),
                         ("ExportOrderDetailList202001151030.csv", latest_items)):
        orders.sort(key=lambda r: r[0], reverse=True)
        write_csv(os.path.join(out_dir, name), TAOBAO_DETAIL_HEADER,
                  [line for _, ls in orders for line in ls], "gbk")
    summary.rows["taobao"] = (len(earlier), len(latest))


def detail(items, qty, oid, state):
    """The ExportOrderDetailList rows of one order: its items at list price, as exported."""
    return [[f'="{oid}"', p[0], yuan(p[1]), str(q), "", f"商品编码：{p[2]}", "", "",
             TAOBAO_STATUS[state], p[2]] for p, q in zip(items, qty)]


# ---------------------------------------------------------------- 京东

JD_HEADER = [
    "订单号", "商品ID", "商品名称", "订购数量", "支付方式", "下单时间", "京东价", "订单金额",
    "结算金额", "余额支付", "应付金额", "订单状态", "订单类型", "下单帐号", "客户姓名", "客户地址",
    "联系电话", "订单备注", "发票类型", "发票抬头", "发票内容", "商家备注",
    "商家备注等级（等级1-5为由高到低）", "运费金额", "付款确认时间", "增值税发票", "货号",
    "订单完成时间", "订单来源", "订单渠道",
]

JD_STATUS = {
    "done": "完成", "paid": "等待出库", "shipped": "等待确认收货", "locked": "锁定",
    "deleted": "(删除)等待出库", "cancel_paid": "已取消", "cancel_unpaid": "已取消",
    "unpaid": "等待付款",
}


def jd(rng, out_dir, summary):
    uid, sku_ids = Unique(), {}
    for p in PRODUCTS:
        sku_ids[p[0]] = digits(rng, 12)
    skeleton = plan(
        rng,
        hist_2018=["done"] * 5 + ["cancel_paid", "cancel_unpaid"],
        hist_2019=["done"] * 7 + ["cancel_paid", "cancel_unpaid", "deleted"],
        overlap=[("done", "done"), ("done", "done"), ("shipped", "done"), ("shipped", "done"),
                 ("paid", "done"), ("paid", "cancel_paid"), ("locked", "cancel_paid"),
                 ("locked", "done"), ("unpaid", "cancel_unpaid"), ("deleted", "deleted")],
        january=["done", "done", "done", "paid", "shipped", "unpaid"],
    )
    # Multi-line orders (2–4 lines) on purpose, the rest at random.
    forced = {2: 3, 5: 2, 9: 4, 13: 2, 17: 3, 20: 2, 22: 3, 24: 2, 27: 4, 29: 2}
    earlier, latest = [], []
    for i, (created, early, late) in enumerate(skeleton):
        oid = uid(lambda: digits(rng, 12))
        n = forced.get(i, rng.choice([1, 1, 1, 1, 2]))
        items = rng.sample(PRODUCTS, n)
        qty = [rng.choice([1, 1, 2, 3]) for _ in items]
        subtotal = sum(p[1] * q for p, q in zip(items, qty))
        freight = 0 if subtotal >= 9900 else rng.choice([600, 800])
        discount = (2000 if subtotal >= 19900 else 0) + rng.choice([0, 300, 500, 1000, 1250])
        if n > 1 and discount == 0:
            discount = 700
        settle = subtotal + freight - discount
        balance = rng.choice([0, 0, 0, 1000, 2345]) if settle > 4000 else 0
        name, city, ph = rng.choice(NAMES), rng.choice(CITIES), phone(rng)
        paid_at, _, done_at = events(
            rng, created, early, late,
            {"paid", "shipped", "done", "locked", "deleted", "cancel_paid"},
            {"shipped", "done"}, {"done"})
        source = rng.choice(["移动端", "移动端", "PC端"])
        channel = {"移动端": rng.choice(["京东APP", "微信"]), "PC端": "京东PC"}[source]
        account = f"jd_demo_{rng.randint(10000, 99999)}"
        invoice = rng.choice([("电子发票", "个人", "明细"), ("不开发票", "", "")])
        merchant_note = rng.choice([("", ""), ("", ""), ("老客户，送试饮装", "3")])
        remark = rng.choice(["", "", "工作日送货"])

        def rows(state):
            paid = state not in ("unpaid", "cancel_unpaid")
            bal = balance if paid else 0
            prov, cty, dist, town = city
            out = []
            for p, q in zip(items, qty):
                out.append([
                    oid, sku_ids[p[0]], p[0], str(q), "在线支付", ts(created), yuan(p[1]),
                    yuan(subtotal + freight), yuan(settle), yuan(bal), yuan(settle - bal),
                    JD_STATUS[state], "普通订单", account, name,
                    f"{prov}{cty}{dist}{town}测试街{i + 1}号", ph, remark, invoice[0],
                    invoice[1], invoice[2], merchant_note[0], merchant_note[1], yuan(freight),
                    ts(paid_at) if paid else "", "否", p[2],
                    ts(done_at) if state == "done" else "", source, channel,
                ])
            return out

        if early is not None:
            earlier.append((created, rows(early)))
        if late is not None:
            latest.append((created, rows(late)))
        final = late if late is not None else early
        # Goods of the ORDER = 应付金额 + 余额支付 − 运费金额 = 结算金额 − 运费金额, once.
        summary.add("jd", created.year, oid, settle - freight if final == "done" else None)
    for name, orders in (("jd_orders_export_20191231.csv", earlier),
                         ("jd_orders_export_20200115.csv", latest)):
        orders.sort(key=lambda r: r[0], reverse=True)
        write_csv(os.path.join(out_dir, name), JD_HEADER,
                  [line for _, ls in orders for line in ls], "gbk")
    summary.rows["jd"] = (sum(len(ls) for _, ls in earlier), sum(len(ls) for _, ls in latest))


# ---------------------------------------------------------------- 拼多多

PDD_HEADER = [
    "订单成交时间", "商品", "订单号", "订单状态", "商品总价(元)", "邮费(元)", "店铺优惠折扣(元)",
    "平台优惠折扣(元)", "多多支付立减金额(元)", "用户实付金额(元)", "商家实收金额(元)",
    "商品数量(件)", "发货时间", "确认收货时间", "商品id", "商品规格", "样式ID", "商家编码-规格维度",
    "商家编码-商品维度", "商家备注", "售后状态", "快递单号", "快递公司",
]

PDD_STATUS = {
    "done": "已签收", "refund": "已签收", "refund_before_ship": "已取消",
    "cancel_unpaid": "已取消", "unpaid": "待支付", "paid": "待发货", "shipped": "已发货，待签收",
}


def pinduoduo(rng, out_dir, summary):
    uid = Unique()
    skeleton = plan(
        rng,
        hist_2018=["done"] * 8 + ["refund", "cancel_unpaid", "cancel_unpaid"],
        hist_2019=["done"] * 14 + ["refund", "refund", "cancel_unpaid", "cancel_unpaid"],
        overlap=[("done", "done"), ("done", "done"), ("done", "refund"), ("shipped", "done"),
                 ("shipped", "done"), ("shipped", "refund"), ("paid", "done"),
                 ("paid", "refund_before_ship"), ("unpaid", "cancel_unpaid"), ("unpaid", "done")],
        january=["done"] * 4 + ["shipped", "paid", "unpaid", "cancel_unpaid"],
    )
    # Signed orders whose 订单成交时间 is blank anyway (the year then comes from the id):
    # the one on 2018-12-31 and two more.
    blank_signed = {i for i, (t, _, _) in enumerate(skeleton)
                    if t == dt.datetime(2018, 12, 31, 23, 48, 12)}
    blank_signed |= set(rng.sample([i for i, s in enumerate(skeleton) if s[1] == "done"
                                    and s[2] is None], 2))
    # Unpaid orders with postage (用户实付 0.00 but 邮费 > 0): every unpaid one has postage.
    earlier, latest = [], []
    for i, (created, early, late) in enumerate(skeleton):
        oid = uid(lambda: created.strftime("%y%m%d") + "-" + digits(rng, 15))
        title, price, code = rng.choice(PRODUCTS)
        price = price * 6 // 10 // 10 * 10 - 10 if price > 3000 else price  # 拼单价, x.x0
        qty = rng.choice([1, 1, 1, 2, 3])
        total = price * qty
        post = rng.choice([0, 0, 0, 500, 800])
        if early == "unpaid" or late == "unpaid":
            post = rng.choice([500, 800, 1000])
        shop_disc = rng.choice([0, 0, 100, 300, 500])
        plat_disc = rng.choice([0, 0, 0, 200, 350])
        duo_disc = rng.choice([0, 0, 0, 0, 10, 37, 120])
        _, shipped_at, signed_at = events(
            rng, created, early, late,
            {"paid", "shipped", "done", "refund", "refund_before_ship"},
            {"shipped", "done", "refund"}, {"done", "refund"})
        goods_id = digits(rng, 9)
        spec = rng.choice(["250g*1罐", "500g*1袋", "礼盒装", "默认"])
        ship_no = "7" + digits(rng, 13)

        def row(state, with_time):
            paid = state not in ("unpaid", "cancel_unpaid")
            sd, pd_, dd = (shop_disc, plat_disc, duo_disc) if paid else (0, 0, 0)
            buyer = total + post - sd - pd_ - dd if paid else 0
            merchant = total + post - sd if paid else 0
            shipped = state in ("shipped", "done", "refund")
            after = "退款成功" if state in ("refund", "refund_before_ship") else "无售后或售后取消"
            return [
                ts(created) if with_time else "", title, oid, PDD_STATUS[state], yuan(total),
                yuan(post), yuan(sd), yuan(pd_), yuan(dd), yuan(buyer), yuan(merchant),
                str(qty), ts(shipped_at) if shipped else "",
                ts(signed_at) if state in ("done", "refund") else "", goods_id, spec,
                goods_id + "01", code + "-" + spec[:2], code, "",
                after, ship_no if shipped else "", "中通快递" if shipped else "",
            ]

        def with_time(state):
            return state not in ("unpaid", "cancel_unpaid") and i not in blank_signed

        if early is not None:
            earlier.append((created, row(early, with_time(early))))
        if late is not None:
            latest.append((created, row(late, with_time(late))))
        final = late if late is not None else early
        # Sales = 用户实付 − 邮费 of a signed order without 退款成功.
        counted = (total - shop_disc - plat_disc - duo_disc) if final == "done" else None
        summary.add("pinduoduo", created.year, oid, counted)
    for name, rows in (("orders_export_20191231 (1).csv", earlier),
                       ("orders_export_20200115.csv", latest)):
        rows.sort(key=lambda r: r[0], reverse=True)
        write_csv(os.path.join(out_dir, name), PDD_HEADER, [r for _, r in rows], "utf-8",
                  bom=True)
    summary.rows["pinduoduo"] = (len(earlier), len(latest))


# ---------------------------------------------------------------- 抖店

DOUYIN_HEADER = [
    "主订单编号", "子订单编号", "支付方式", "选购商品", "商品ID", "商家编码", "商品数量", "商品金额",
    "订单提交时间", "支付完成时间", "订单完成时间", "订单状态", "发货时间", "订单应付金额", "运费",
    "优惠总金额", "收件人", "收件人手机号", "省", "市", "区", "街道", "详细地址", "仓库名称",
    "取消原因", "售后状态", "订单类型", "货号",
]

DOUYIN_STATUS = {
    "done": "已完成", "refund_all": "已完成", "refund_one": "已完成", "aftersale_closed": "已完成",
    "refund_before_ship": "已关闭", "cancel_unpaid": "已关闭", "unpaid": "待支付",
    "paid": "待发货", "shipped": "已发货",
}


def douyin(rng, out_dir, summary):
    uid, goods_ids = Unique(), {p[0]: "3" + digits(rng, 18) for p in PRODUCTS}
    skeleton = plan(
        rng,
        hist_2018=["done"] * 4 + ["cancel_unpaid"],
        hist_2019=["done"] * 8 + ["refund_one", "refund_all", "aftersale_closed",
                                  "cancel_unpaid", "refund_before_ship"],
        overlap=[("done", "done"), ("done", "done"), ("shipped", "done"),
                 ("shipped", "refund_one"), ("shipped", "refund_all"),
                 ("paid", "aftersale_closed"), ("paid", "refund_before_ship"),
                 ("unpaid", "cancel_unpaid")],
        january=["done", "done", "refund_one", "shipped", "paid", "unpaid"],
        hist_2018_from=dt.datetime(2018, 9, 1),
    )
    earlier, latest = [], []
    for i, (created, early, late) in enumerate(skeleton):
        main = uid(lambda: "47" + digits(rng, 17))
        states = {early, late}
        n = 2 if "refund_one" in states else rng.choice([1, 1, 1, 2, 3])
        items = rng.sample(PRODUCTS, n)
        subs = [main] if n == 1 else [str(int(main) + k + 1) for k in range(n)]
        qty = [rng.choice([1, 1, 2]) for _ in items]
        freight = rng.choice([0, 0, 0, 600, 1000])
        disc = [rng.choice([0, 0, 500, 1000, 1500]) if p[1] * q > 2000 else 0
                for p, q in zip(items, qty)]
        pay = rng.choice(["抖音支付", "微信", "支付宝"])
        completed = {"done", "refund_one", "refund_all", "aftersale_closed"}
        paid_at, shipped_at, done_at = events(
            rng, created, early, late,
            completed | {"paid", "shipped", "refund_before_ship"}, completed | {"shipped"},
            completed)
        name, ph, (prov, cty, dist, town) = rng.choice(NAMES)[0] + "**", phone(rng), rng.choice(CITIES)

        def rows(state):
            paid = state not in ("unpaid", "cancel_unpaid")
            shipped = state not in ("unpaid", "cancel_unpaid", "paid", "refund_before_ship")
            out = []
            for k, (p, q, d, sub) in enumerate(zip(items, qty, disc, subs)):
                f = freight if k == 0 else 0
                payable = p[1] * q + f - d
                if state == "refund_all" or state == "refund_before_ship":
                    after = "退款成功"
                elif state == "refund_one" and k == 0:
                    after = "退款成功"
                elif state == "aftersale_closed":
                    after = "售后关闭"
                else:
                    after = "-"
                cancel = {"cancel_unpaid": "超时未支付", "refund_before_ship": "买家申请退款"}
                out.append([
                    main, sub, pay if paid else "-", p[0], goods_ids[p[0]], p[2], str(q),
                    yuan(p[1]), ts(created), ts(paid_at) if paid else "-",
                    ts(done_at) if DOUYIN_STATUS[state] == "已完成" else "-",
                    DOUYIN_STATUS[state], ts(shipped_at) if shipped else "-", yuan(payable),
                    yuan(f), yuan(d), name, ph, prov, cty, dist, town, "***", "-",
                    cancel.get(state, "-"), after, "普通订单", p[2],
                ])
            return out

        if early is not None:
            earlier.append((created, rows(early)))
        if late is not None:
            latest.append((created, rows(late)))
        final = late if late is not None else early
        # Sales = Σ (订单应付金额 − 运费) of 已完成 sub-orders without 退款成功.
        counted = None
        if DOUYIN_STATUS[final] == "已完成" and final != "refund_all":
            counted = sum(p[1] * q - d for k, (p, q, d) in enumerate(zip(items, qty, disc))
                          if not (final == "refund_one" and k == 0))
        summary.add("douyin", created.year, main, counted)
    folder = os.path.join(out_dir, DOUYIN_FOLDER)
    for name, orders in (("1577808000_抖店订单.csv", earlier),
                         ("1579017600_抖店订单.csv", latest)):
        orders.sort(key=lambda r: r[0], reverse=True)
        write_csv(os.path.join(folder, name), DOUYIN_HEADER,
                  [line for _, ls in orders for line in ls], "utf-8")
    summary.rows["douyin"] = (sum(len(ls) for _, ls in earlier), sum(len(ls) for _, ls in latest))


def clean(out_dir):
    """Remove earlier output of this script only (never other files of the folder)."""
    if not os.path.isdir(out_dir):
        return
    for name in os.listdir(out_dir):
        if name.endswith(".csv") and (name.startswith(("ExportOrder", "jd_orders_export_",
                                                        "orders_export_"))):
            os.remove(os.path.join(out_dir, name))
    folder = os.path.join(out_dir, DOUYIN_FOLDER)
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if name.endswith("_抖店订单.csv"):
                os.remove(os.path.join(folder, name))


def main():
    inbox = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "inbox")
    out_dir = os.path.join(inbox, "platforms")
    clean(out_dir)
    summary = Summary()
    # One generator per platform, each from its own seed: changing one leaves the others.
    taobao(random.Random(SEED + 1), out_dir, summary)
    jd(random.Random(SEED + 2), out_dir, summary)
    pinduoduo(random.Random(SEED + 3), out_dir, summary)
    douyin(random.Random(SEED + 4), out_dir, summary)
    summary.print()


if __name__ == "__main__":
    main()
