-- fct_station_activity_monthly: what each service point did in a month (商务局 站点月报):
-- parcels received and sent, 代购 (buying online for villagers) and 代销 (selling village
-- products online), with the point's level and township from the register. Activity of a
-- point the register does not list is kept (point_registered = false, no level or
-- township) — reported, never dropped. Several rows for one point and month are added up
-- and counted in report_rows.
with activity as (
    select
        point_code,
        month,
        count(*) as report_rows,
        sum(parcels_in) as parcels_in,
        sum(parcels_out) as parcels_out,
        cast(sum(purchase_yuan) as decimal(18, 2)) as purchase_yuan,
        cast(sum(sale_yuan) as decimal(18, 2)) as sale_yuan
    from station_activity
    group by point_code, month
),

final as (
    select
        a.month,
        a.point_code,
        p.point_code is not null as point_registered,
        p.point_name,
        p.level,
        p.township_code,
        p.village_code,
        p.status,
        p.opened_on,
        a.month < to_char(p.opened_on, '%Y-%m') as before_opened,
        a.report_rows,
        a.parcels_in,
        a.parcels_out,
        a.purchase_yuan,
        a.sale_yuan
    from activity a
    left join service_points p on p.point_code = a.point_code
)

select * from final
