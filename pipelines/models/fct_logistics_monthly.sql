-- fct_logistics_monthly: express parcels per township and month (邮政局 快递业务量), added
-- up over the carriers that reported: parcels received and sent, the number of carriers,
-- and the cost per parcel sent weighted by parcels sent — Σ(cost × parcels_out) ÷
-- Σ parcels_out over the carriers that gave a cost — in yuan to 2 places, NULL when no
-- carrier with a cost sent any parcel. Only township-months that were reported appear.
with carrier_rows as (
    select
        month,
        township_code,
        carrier,
        parcels_in,
        parcels_out,
        cost_per_parcel_yuan
    from parcels
),

final as (
    select
        month,
        township_code,
        sum(parcels_in) as parcels_in,
        sum(parcels_out) as parcels_out,
        count(distinct carrier) as carriers,
        count(*) as report_rows,
        min(cost_per_parcel_yuan) as min_carrier_cost_yuan,
        max(cost_per_parcel_yuan) as max_carrier_cost_yuan,
        cast(
            sum(case when cost_per_parcel_yuan is not null then cost_per_parcel_yuan * parcels_out end)
            / nullif(sum(case when cost_per_parcel_yuan is not null then parcels_out end), 0)
            as decimal(18, 2)
        ) as cost_per_parcel_yuan
    from carrier_rows
    group by month, township_code
)

select * from final
