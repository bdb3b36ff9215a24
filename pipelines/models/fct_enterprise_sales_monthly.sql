-- fct_enterprise_sales_monthly: online retail (网络零售额) per enterprise and month, summed
-- over its shops, with the active flag: an entity is active in a month when at least one
-- of its shops completed an order line (a refunded-in-full order still counts as trade).
with shop_months as (
    select
        s.enterprise_key,
        f.order_month,
        f.order_year,
        f.shop_id,
        f.platform,
        f.completed_lines,
        f.net_sales_yuan,
        case when f.is_agricultural then f.net_sales_yuan else 0 end as agri_sales_yuan
    from fct_online_retail_monthly f
    join dim_shop s on s.platform = f.platform and s.shop_id = f.shop_id
),

final as (
    select
        enterprise_key,
        order_month as month,
        order_year as year,
        count(distinct concat(platform, ':', shop_id)) as shops_trading,
        sum(completed_lines) as completed_lines,
        cast(sum(net_sales_yuan) as decimal(18, 2)) as net_sales_yuan,
        cast(sum(agri_sales_yuan) as decimal(18, 2)) as agri_sales_yuan,
        sum(completed_lines) > 0 as is_active
    from shop_months
    group by enterprise_key, order_month, order_year
)

select * from final
