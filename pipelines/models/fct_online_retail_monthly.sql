-- fct_online_retail_monthly: online retail (网络零售额) by shop, month and category, with
-- the township the shop is attributed to (`unattributed` as its own bucket) and the
-- agricultural flag of the category.
with lines as (
    select o.*, i.category, i.is_agricultural
    from stg_orders o
    left join dim_item i
      on (o.platform_category is not distinct from i.platform_category)
     and (o.item_title is not distinct from i.item_title)
),

-- Each order's lines in a row of the breakdown first: whether the order has a line with
-- sales there is then a flag per order, and the orders with sales a sum of flags (a
-- distinct count per row of the breakdown held a set of order ids for each, in memory).
by_order as (
    select
        l.platform,
        l.shop_id,
        l.order_month,
        l.order_year,
        l.category,
        l.is_agricultural,
        l.order_id,
        max(case when l.net_sales_yuan > 0 then 1 else 0 end) as has_sales,
        count(*) as order_lines,
        sum(case when l.status in ('completed', 'refunded') then 1 else 0 end) as completed_lines,
        sum(case when l.status in ('completed', 'refunded') then l.goods_amount_yuan else 0 end) as completed_goods_yuan,
        sum(case when l.status in ('completed', 'refunded') then l.refund_yuan else 0 end) as refund_yuan,
        sum(l.net_sales_yuan) as net_sales_yuan
    from lines l
    group by
        l.platform, l.shop_id, l.order_month, l.order_year, l.category, l.is_agricultural,
        l.order_id
),

final as (
    select
        o.platform,
        o.shop_id,
        o.order_month,
        o.order_year,
        coalesce(s.township_code, 'unattributed') as township_code,
        s.attribution,
        o.category,
        o.is_agricultural,
        sum(o.has_sales) as orders_with_sales,
        sum(o.order_lines) as order_lines,
        sum(o.completed_lines) as completed_lines,
        cast(sum(o.completed_goods_yuan) as decimal(18, 2)) as completed_goods_yuan,
        cast(sum(o.refund_yuan) as decimal(18, 2)) as refund_yuan,
        cast(sum(o.net_sales_yuan) as decimal(18, 2)) as net_sales_yuan
    from by_order o
    join dim_shop s on s.platform = o.platform and s.shop_id = o.shop_id
    group by
        o.platform, o.shop_id, o.order_month, o.order_year,
        coalesce(s.township_code, 'unattributed'), s.attribution, o.category, o.is_agricultural
)

select * from final
