-- dim_month: the reporting calendar, one row per month from 2017-01 (the baseline year of
-- the programme's targets) to the latest month any source has reached — order months,
-- department report months, survey months, training, payment and opening dates — and
-- at least through 2019-12, the end of the assessment period. The programme period
-- (is_programme) starts 2018-01; 2017 is the baseline.
with source_months as (
    select order_month as month from int_shop_items_monthly
    union all select order_month from fct_online_retail_monthly
    union all select month from station_activity
    union all select month from parcels
    union all select survey_month from courier_coverage
    union all select month from provincial_retail
    union all select month from township_reports
    union all select to_char(session_date, '%Y-%m') from training_sessions
    union all select to_char(paid_on, '%Y-%m') from fund_disbursements
    union all select to_char(opened_on, '%Y-%m') from service_points
),

last_month as (
    select greatest(coalesce(max(month), '2019-12'), '2019-12') as month
    from source_months
),

-- 1,200 candidate months (2017-01 … 2116-12), cut at the last month below.
candidate_months as (
    select make_date(2017 + cast(value / 12 as int), cast(value % 12 as int) + 1, 1) as month_start
    from generate_series(0, 1199)
),

final as (
    select
        to_char(c.month_start, '%Y-%m') as month,
        cast(date_part('year', c.month_start) as int) as year,
        cast(date_part('month', c.month_start) as int) as month_of_year,
        cast(date_part('quarter', c.month_start) as int) as quarter,
        c.month_start,
        cast(c.month_start + interval '1 month' - interval '1 day' as date) as month_end,
        c.month_start >= make_date(2018, 1, 1) as is_programme
    from candidate_months c
    cross join last_month l
    where to_char(c.month_start, '%Y-%m') <= l.month
)

select * from final
