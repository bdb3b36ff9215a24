-- fct_service_network: the service network month by month — every point of the 商务局
-- register (service_points) in every month of dim_month. Rule: a point exists in a month
-- when it opened (建成时间) on or before the month's last day; it operates when it exists
-- and its register status is 运营. The register is the current one: its status is applied
-- to every month, so a point now 停运 counts as not operating in the months before it
-- stopped too, and a point dropped from the register is not seen at all.
with points as (
    select
        p.point_code,
        p.point_name,
        p.level,
        p.township_code,
        p.village_code,
        p.operator,
        p.opened_on,
        p.status,
        r.is_admin_village
    from service_points p
    left join dim_region r on r.region_code = p.village_code
),

final as (
    select
        m.month,
        p.point_code,
        p.point_name,
        p.level,
        p.township_code,
        p.village_code,
        p.is_admin_village,
        p.operator,
        p.opened_on,
        p.status,
        p.opened_on <= m.month_end as is_established,
        p.opened_on <= m.month_end and p.status = '运营' as is_operating
    from dim_month m
    cross join points p
)

select * from final
