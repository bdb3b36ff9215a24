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

final as (
    select
        l.platform,
        l.shop_id,
        l.order_month,
        l.order_year,
        coalesce(s.township_code, 'unattributed') as township_code,
        s.attribution,
        l.category,
        l.is_agricultural,
        count(distinct case when l.net_sales_yuan > 0 then l.order_id end) as orders_with_sales,
        count(*) as order_lines,
        sum(case when l.status in ('completed', 'refunded') then 1 else 0 end) as completed_lines,
        cast(sum(case when l.status in ('completed', 'refunded') then l.goods_amount_yuan else 0 end) as decimal(18, 2)) as completed_goods_yuan,
        cast(sum(case when l.status in ('completed', 'refunded') then l.refund_yuan else 0 end) as decimal(18, 2)) as refund_yuan,
        cast(sum(l.net_sales_yuan) as decimal(18, 2)) as net_sales_yuan
    from lines l
    join dim_shop s on s.platform = l.platform and s.shop_id = l.shop_id
    group by
        l.platform, l.shop_id, l.order_month, l.order_year,
        coalesce(s.township_code, 'unattributed'), s.attribution, l.category, l.is_agricultural
)

select * from final
