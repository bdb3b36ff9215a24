-- fct_provincial_retail_monthly: 网络零售额 as the provincial statistics platform reports
-- it, per region (the county or a township) and month, with the region's
-- level and NBS name from dim_region (the platform spells names both with and without
-- 安溪县), the agricultural share (agri ÷ online) and physical-goods share (physical ÷
-- online) to 4 places, NULL when online retail is 0. The county row also carries the sum
-- of the township rows of that month and how many townships reported, so a county figure
-- that its townships do not add up to can be seen.
with regions as (
    select region_code, region_name, level from dim_region
),

township_totals as (
    select
        p.month,
        count(distinct p.region_code) as townships_reported,
        cast(sum(p.online_retail_yuan) as decimal(18, 2)) as townships_online_retail_yuan
    from provincial_retail p
    join regions r on r.region_code = p.region_code and r.level = 'township'
    group by p.month
),

final as (
    select
        p.region_code,
        r.region_name,
        p.region_name as reported_region_name,
        r.level as region_level,
        p.month,
        p.online_retail_yuan,
        p.physical_goods_yuan,
        p.services_yuan,
        p.agri_online_retail_yuan,
        p.shop_count,
        case
            when p.online_retail_yuan <> 0
            then cast(p.agri_online_retail_yuan / p.online_retail_yuan as decimal(10, 4))
        end as agri_share,
        case
            when p.online_retail_yuan <> 0
            then cast(p.physical_goods_yuan / p.online_retail_yuan as decimal(10, 4))
        end as physical_share,
        case when r.level = 'county' then coalesce(t.townships_reported, 0) end as townships_reported,
        case when r.level = 'county' then t.townships_online_retail_yuan end as townships_online_retail_yuan
    from provincial_retail p
    left join regions r on r.region_code = p.region_code
    left join township_totals t on t.month = p.month
)

select * from final
