-- rec_online_retail: reconciliation of the county's 网络零售额 per month — our own figure
-- (Σ net_sales_yuan of fct_online_retail_monthly over all shops, unattributed included)
-- against the county figure of the provincial statistics platform (the region of level county).
-- difference = own − provincial; ratio = own ÷ provincial, 4 places, NULL when the
-- provincial figure is 0 or missing. The same for 农产品 (own: categories flagged
-- agricultural; 未映射 counts as not agricultural). A month in either source appears
-- (status both | own_only | provincial_only); one-sided months have no difference.
with own as (
    select
        order_month as month,
        cast(sum(net_sales_yuan) as decimal(18, 2)) as own_online_retail_yuan,
        cast(sum(case when is_agricultural then net_sales_yuan else 0 end) as decimal(18, 2)) as own_agri_online_retail_yuan
    from fct_online_retail_monthly
    group by order_month
),

provincial as (
    select
        month,
        online_retail_yuan as provincial_online_retail_yuan,
        agri_online_retail_yuan as provincial_agri_online_retail_yuan
    from fct_provincial_retail_monthly
    where region_level = 'county'
),

joined as (
    select
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
    full outer join provincial p on p.month = o.month
),

final as (
    select
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
