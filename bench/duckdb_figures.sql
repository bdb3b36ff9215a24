-- The benchmark's three figures, computed by DuckDB from its plain Parquet conversion of the
-- order CSV (every column text), applying the rules ecstat applies — so the two can be
-- compared to the cent. Read by bench/bench.py; `{parquet}` and `{reference}` are filled in.
--
-- The rules, as ecstat's taobao spec (pipelines/sources/taobao.toml) and models
-- (pipelines/models/stg_orders.sql, dim_item.sql, dim_shop.sql) state them:
--   * a line is held back (quarantined) when its order id is empty, an amount is not a
--     number or is negative, its status is not one the platform defines, or its order time
--     is not a time; a line with a missing field never parses;
--   * a line written twice in the file counts once (order id + sub-order id);
--   * 网络零售额 of a line: paid − postage − refund, not below 0, for 交易成功 only;
--   * a shop's township: the shop register's, else the township most of its lines ship
--     from (发货地 naming 安溪 and the township), ties to the lower code;
--   * an item's category: the first matching rule of the category map by priority, then
--     the longer keyword, then the keyword.

-- The file's row order comes from the Parquet reader (file_row_number), not from a window
-- over the whole file.
create or replace temp view raw as
select * from read_parquet('{parquet}', file_row_number = true);

create or replace temp view parsed as
select
    replace(replace("订单编号", '="', ''), '"', '') as order_id,
    replace(replace("子订单编号", '="', ''), '"', '') as sub_order_id,
    "店铺ID" as shop_id,
    "宝贝标题" as item_title,
    nullif("类目", '') as platform_category,
    try_cast("商品单价" as decimal(18, 2)) as unit_price,
    try_cast("买家实付金额" as decimal(18, 2)) as paid,
    try_cast("邮费" as decimal(18, 2)) as postage,
    try_cast("退款金额" as decimal(18, 2)) as refund,
    "订单状态" as status_raw,
    try_strptime("订单创建时间", '%Y-%m-%d %H:%M:%S') as order_time,
    nullif("发货地", '') as ship_from,
    file_row_number as file_row
from raw;

create or replace temp table lines as
select
    order_id,
    shop_id,
    item_title,
    platform_category,
    strftime(order_time, '%Y-%m') as order_month,
    year(order_time) as order_year,
    ship_from,
    case when status_raw = '交易成功' then greatest(paid - postage - refund, 0) else 0 end
        as net_sales
from parsed
where order_id <> ''
  and unit_price >= 0 and paid >= 0 and postage >= 0 and refund >= 0
  and status_raw in ('交易成功', '交易关闭', '等待买家付款')
  and order_time is not null
qualify row_number() over (partition by order_id, sub_order_id order by file_row) = 1;

create or replace temp table items as
with distinct_items as (
    select distinct platform_category, item_title from lines
),
rules as (
    select * from read_csv('{reference}/category_map.csv', header = true, all_varchar = true)
),
ranked as (
    select
        i.platform_category,
        i.item_title,
        r.is_agricultural = 'true' as is_agricultural,
        row_number() over (
            partition by i.platform_category, i.item_title
            order by cast(r.priority as integer), length(r.keyword) desc, r.keyword
        ) as rule_rank
    from distinct_items i
    join rules r
      on (r.match_field = 'title' and strpos(i.item_title, r.keyword) > 0)
      or (r.match_field = 'platform_category' and i.platform_category = r.keyword)
)
select platform_category, item_title, is_agricultural from ranked where rule_rank = 1;

create or replace temp table shops as
with townships as (
    select code as township_code, name as township_name
    from read_csv('{reference}/anxi_divisions.csv', header = true, all_varchar = true)
    where level = 'township'
),
register as (
    select shop_id, township_code
    from read_csv('{reference}/shops.csv', header = true, all_varchar = true)
    where platform = 'taobao'
),
-- The string search runs on each shop's distinct ship-from addresses (few), not on every
-- line.
addresses as (
    select shop_id, ship_from, count(*) as lines
    from lines
    where ship_from is not null
    group by shop_id, ship_from
),
votes as (
    select a.shop_id, t.township_code, sum(a.lines) as lines
    from addresses a
    join townships t
      on strpos(a.ship_from, '安溪') > 0 and strpos(a.ship_from, t.township_name) > 0
    group by a.shop_id, t.township_code
),
best as (
    select shop_id, township_code
    from votes
    qualify row_number() over (partition by shop_id order by lines desc, township_code) = 1
)
select
    s.shop_id,
    coalesce(r.township_code, b.township_code, 'unattributed') as township_code
from (select distinct shop_id from lines) s
left join register r on r.shop_id = s.shop_id
left join best b on b.shop_id = s.shop_id;

create or replace temp view sales as
select
    l.order_month,
    l.order_year,
    l.shop_id,
    s.township_code,
    coalesce(i.is_agricultural, false) as is_agricultural,
    l.net_sales
from lines l
join shops s on s.shop_id = l.shop_id
left join items i
  on i.platform_category is not distinct from l.platform_category
 and i.item_title = l.item_title;
