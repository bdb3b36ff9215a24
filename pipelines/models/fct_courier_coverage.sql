-- fct_courier_coverage: express delivery to the villages (快递进村), per township from its
-- latest survey (邮政局 快递进村情况), and for the county over every township's latest
-- survey (township_code: the county's code, from cfg_programme). delivery_share = villages with delivery ÷ villages
-- surveyed. admin_delivery_share = administrative villages (村委会, dim_region) with
-- delivery ÷ all administrative villages: one not surveyed counts as not covered. Shares
-- to 4 places; a township never surveyed has a row with no survey and NULL shares.
with latest_survey as (
    select township_code, max(survey_month) as survey_month
    from courier_coverage
    group by township_code
),

surveyed_villages as (
    select
        c.township_code,
        c.survey_month,
        c.village_code,
        c.has_delivery,
        coalesce(r.is_admin_village, false) as is_admin_village
    from courier_coverage c
    join latest_survey l on l.township_code = c.township_code and l.survey_month = c.survey_month
    left join dim_region r on r.region_code = c.village_code
),

township_survey as (
    select
        township_code,
        max(survey_month) as survey_month,
        count(distinct village_code) as villages_surveyed,
        count(distinct case when has_delivery then village_code end) as villages_with_delivery,
        count(distinct case when is_admin_village then village_code end) as admin_villages_surveyed,
        count(distinct case when is_admin_village and has_delivery then village_code end) as admin_villages_with_delivery
    from surveyed_villages
    group by township_code
),

region_villages as (
    select
        township_code,
        count(*) as villages,
        sum(case when is_admin_village then 1 else 0 end) as admin_villages
    from dim_region
    where level = 'village'
    group by township_code
),

township_rows as (
    select
        t.region_code as township_code,
        'township' as region_level,
        s.survey_month,
        cast(case when s.township_code is not null then 1 else 0 end as bigint) as townships_surveyed,
        coalesce(v.villages, 0) as villages,
        coalesce(v.admin_villages, 0) as admin_villages,
        coalesce(s.villages_surveyed, 0) as villages_surveyed,
        coalesce(s.villages_with_delivery, 0) as villages_with_delivery,
        coalesce(s.admin_villages_surveyed, 0) as admin_villages_surveyed,
        coalesce(s.admin_villages_with_delivery, 0) as admin_villages_with_delivery
    from dim_region t
    left join township_survey s on s.township_code = t.region_code
    left join region_villages v on v.township_code = t.region_code
    where t.level = 'township'
),

county_rows as (
    select
        (select county_code from cfg_programme) as township_code,
        'county' as region_level,
        max(survey_month) as survey_month,
        sum(townships_surveyed) as townships_surveyed,
        sum(villages) as villages,
        sum(admin_villages) as admin_villages,
        sum(villages_surveyed) as villages_surveyed,
        sum(villages_with_delivery) as villages_with_delivery,
        sum(admin_villages_surveyed) as admin_villages_surveyed,
        sum(admin_villages_with_delivery) as admin_villages_with_delivery
    from township_rows
),

all_rows as (
    select * from township_rows
    union all
    select * from county_rows
),

final as (
    select
        township_code,
        region_level,
        survey_month,
        cast(townships_surveyed as bigint) as townships_surveyed,
        cast(villages as bigint) as villages,
        cast(admin_villages as bigint) as admin_villages,
        cast(villages_surveyed as bigint) as villages_surveyed,
        cast(villages_with_delivery as bigint) as villages_with_delivery,
        cast(admin_villages_surveyed as bigint) as admin_villages_surveyed,
        cast(admin_villages_with_delivery as bigint) as admin_villages_with_delivery,
        case
            when villages_surveyed > 0
            then cast(cast(villages_with_delivery as decimal(18, 4)) / villages_surveyed as decimal(10, 4))
        end as delivery_share,
        case
            when admin_villages > 0
            then cast(cast(admin_villages_with_delivery as decimal(18, 4)) / admin_villages as decimal(10, 4))
        end as admin_delivery_share
    from all_rows
)

select * from final
