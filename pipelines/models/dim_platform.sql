-- dim_platform: the e-commerce platforms, with their Chinese and English names from
-- ref_platforms. A platform seen in the orders but missing from the reference is kept,
-- with no names and in_reference = false, so it is noticed rather than dropped.
with reference_platforms as (
    select platform, name_zh, name_en from ref_platforms
),

order_platforms as (
    select distinct platform from int_shop_items_monthly
),

final as (
    select
        coalesce(r.platform, o.platform) as platform,
        r.name_zh,
        r.name_en,
        r.platform is not null as in_reference,
        o.platform is not null as has_orders
    from reference_platforms r
    full outer join order_platforms o on o.platform = r.platform
)

select * from final
