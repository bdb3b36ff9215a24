-- fct_service_coverage_monthly: the service network against the plan, per month, for
-- each township and for the county as a whole (township_code: the county's code, from cfg_programme). Counts are
-- of operating points (fct_service_network: opened by month end and status 运营); a
-- county-level centre counts in the township it stands in. Village coverage (行政村覆盖率)
-- = administrative villages (村委会, dim_region) with at least one operating 村级服务点 ÷
-- all administrative villages, rounded to 4 places; points in 社区 do not count.
-- Plan targets: 1 county centre, 3 branch centres, 1–2 warehouse centres, 24 township
-- stations, ≥ 237 village points, ≥ 50% of administrative villages covered.
with townships as (
    select region_code as township_code from dim_region where level = 'township'
),

admin_villages as (
    select township_code, count(*) as admin_villages
    from dim_region
    where is_admin_village
    group by township_code
),

operating_points as (
    select month, township_code, level, village_code, is_admin_village
    from fct_service_network
    where is_operating
),

township_points as (
    select
        month,
        township_code,
        sum(case when level = '县级公共服务中心' then 1 else 0 end) as county_centres,
        sum(case when level = '县级分中心' then 1 else 0 end) as branch_centres,
        sum(case when level = '县级仓储配送中心' then 1 else 0 end) as warehouse_centres,
        sum(case when level = '乡镇服务站' then 1 else 0 end) as township_stations,
        sum(case when level = '村级服务点' then 1 else 0 end) as village_points,
        count(distinct case when level = '村级服务点' and is_admin_village then village_code end) as admin_villages_covered
    from operating_points
    group by month, township_code
),

township_rows as (
    select
        m.month,
        t.township_code,
        'township' as region_level,
        coalesce(p.county_centres, 0) as county_centres,
        coalesce(p.branch_centres, 0) as branch_centres,
        coalesce(p.warehouse_centres, 0) as warehouse_centres,
        coalesce(p.township_stations, 0) as township_stations,
        coalesce(p.village_points, 0) as village_points,
        coalesce(v.admin_villages, 0) as admin_villages,
        coalesce(p.admin_villages_covered, 0) as admin_villages_covered
    from dim_month m
    cross join townships t
    left join township_points p on p.month = m.month and p.township_code = t.township_code
    left join admin_villages v on v.township_code = t.township_code
),

county_rows as (
    select
        month,
        (select county_code from cfg_programme) as township_code,
        'county' as region_level,
        sum(county_centres) as county_centres,
        sum(branch_centres) as branch_centres,
        sum(warehouse_centres) as warehouse_centres,
        sum(township_stations) as township_stations,
        sum(village_points) as village_points,
        sum(admin_villages) as admin_villages,
        sum(admin_villages_covered) as admin_villages_covered
    from township_rows
    group by month
),

all_rows as (
    select * from township_rows
    union all
    select * from county_rows
),

final as (
    select
        month,
        township_code,
        region_level,
        cast(county_centres as bigint) as county_centres,
        cast(branch_centres as bigint) as branch_centres,
        cast(warehouse_centres as bigint) as warehouse_centres,
        cast(township_stations as bigint) as township_stations,
        cast(village_points as bigint) as village_points,
        cast(admin_villages as bigint) as admin_villages,
        cast(admin_villages_covered as bigint) as admin_villages_covered,
        case
            when admin_villages > 0
            then cast(cast(admin_villages_covered as decimal(18, 4)) / admin_villages as decimal(10, 4))
        end as village_coverage
    from all_rows
)

select * from final
