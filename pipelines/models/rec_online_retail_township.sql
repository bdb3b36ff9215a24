-- rec_online_retail_township: the same reconciliation per township and month — the
-- sales of fct_online_retail_monthly attributed to the township (register, else ship-from
-- address) against the provincial platform's township figure. Sales attributed to no
-- township (unattributed) exist only in the county comparison, rec_online_retail, so the
-- township rows of a month need not add up to its county row. difference = own −
-- provincial; ratio = own ÷ provincial, 4 places, NULL when the provincial figure is 0 or
-- missing; status both | own_only | provincial_only.
with own as (
    select
        township_code,
        order_month as month,
        cast(sum(net_sales_yuan) as decimal(18, 2)) as own_online_retail_yuan,
        cast(sum(case when is_agricultural then net_sales_yuan else 0 end) as decimal(18, 2)) as own_agri_online_retail_yuan
    from fct_online_retail_monthly
    where township_code <> 'unattributed'
    group by township_code, order_month
),

provincial as (
    select
        region_code as township_code,
        month,
        online_retail_yuan as provincial_online_retail_yuan,
        agri_online_retail_yuan as provincial_agri_online_retail_yuan
    from fct_provincial_retail_monthly
    where region_level = 'township'
),

joined as (
    select
        coalesce(o.township_code, p.township_code) as township_code,
        coalesce(o.month, p.month) as month,
        o.own_online_retail_yuan,
        p.provincial_online_retail_yuan,
        o.own_agri_online_retail_yuan,
        p.provincial_agri_online_retail_yuan,
        case
            when o.month is not null and p.month is not null then 'both'
            when o.month is not null then 'own_only'
            else 'provincial_only'
        end as status
    from own o
    full outer join provincial p on p.township_code = o.township_code and p.month = o.month
),

final as (
    select
        township_code,
        month,
        status,
        own_online_retail_yuan,
        provincial_online_retail_yuan,
        cast(own_online_retail_yuan - provincial_online_retail_yuan as decimal(18, 2)) as difference_yuan,
        case
            when provincial_online_retail_yuan <> 0
            then cast(own_online_retail_yuan / provincial_online_retail_yuan as decimal(10, 4))
        end as ratio,
        own_agri_online_retail_yuan,
        provincial_agri_online_retail_yuan,
        cast(own_agri_online_retail_yuan - provincial_agri_online_retail_yuan as decimal(18, 2)) as agri_difference_yuan,
        case
            when provincial_agri_online_retail_yuan <> 0
            then cast(own_agri_online_retail_yuan / provincial_agri_online_retail_yuan as decimal(10, 4))
        end as agri_ratio
    from joined
)

select * from final
