-- typical_enterprise: the typical-enterprise database (典型企业库): per year, every enterprise
-- that one or more rules of cfg_typical_rules select, with the rules and the figures behind
-- them. Sales are 网络零售额 over the enterprise's shops (fct_enterprise_sales_monthly);
-- only complete years of the orders' calendar are judged, and growth is over a complete
-- year before.
with yearly as (
    select
        enterprise_key,
        year,
        cast(sum(net_sales_yuan) as decimal(18, 2)) as net_sales_yuan,
        cast(sum(agri_sales_yuan) as decimal(18, 2)) as agri_sales_yuan,
        count(distinct month) as months_trading
    from fct_enterprise_sales_monthly
    group by enterprise_key, year
),

-- A year is complete when the orders' calendar (first to last month with any order line,
-- as the indicators use it) covers January to December.
calendar as (
    select min(order_month) as first_month, max(order_month) as last_month
    from fct_online_retail_monthly
),

complete_years as (
    select distinct y.year
    from yearly y
    cross join calendar c
    where c.first_month <= concat(cast(y.year as varchar), '-01')
      and c.last_month >= concat(cast(y.year as varchar), '-12')
),

figures as (
    select
        y.enterprise_key,
        y.year,
        y.net_sales_yuan,
        y.agri_sales_yuan,
        p.net_sales_yuan as prior_sales_yuan,
        case
            when p.net_sales_yuan > 0
            then cast((y.net_sales_yuan - p.net_sales_yuan) * 100 / p.net_sales_yuan as decimal(10, 2))
        end as growth_pct,
        case
            when y.net_sales_yuan > 0
            then cast(y.agri_sales_yuan * 100 / y.net_sales_yuan as decimal(10, 2))
        end as agri_share_pct,
        rank() over (partition by y.year order by y.net_sales_yuan desc) as sales_rank
    from yearly y
    join complete_years c on c.year = y.year
    -- Growth only over a complete year before: against a part year it would be inflated.
    left join complete_years pc on pc.year = y.year - 1
    left join yearly p on p.enterprise_key = y.enterprise_key and p.year = pc.year
),

poverty as (
    select enterprise_key, sum(poor_households_linked) as poor_households_linked
    from dim_agri_entity
    where enterprise_key is not null
    group by enterprise_key
),

selections as (
    select f.enterprise_key, f.year, r.rule_code, r.rule_name_zh
    from figures f
    join cfg_typical_rules r on r.kind = 'top_n' and f.sales_rank <= r.n
    union all
    select f.enterprise_key, f.year, r.rule_code, r.rule_name_zh
    from figures f
    join cfg_typical_rules r
      on r.kind = 'growth_at_least'
     and f.prior_sales_yuan >= coalesce(r.min_base_yuan, 0)
     and f.growth_pct >= r.threshold
    union all
    select f.enterprise_key, f.year, r.rule_code, r.rule_name_zh
    from figures f
    join cfg_typical_rules r
      on r.kind = 'agri_share'
     and f.net_sales_yuan >= coalesce(r.min_base_yuan, 0)
     and f.agri_share_pct >= r.threshold
    union all
    select f.enterprise_key, f.year, r.rule_code, r.rule_name_zh
    from figures f
    join poverty p on p.enterprise_key = f.enterprise_key
    join cfg_typical_rules r on r.kind = 'poverty_links' and p.poor_households_linked >= r.n
    where f.net_sales_yuan > 0
),

final as (
    select
        s.year,
        s.enterprise_key,
        e.enterprise_name,
        e.entity_type,
        e.township_code,
        string_agg(s.rule_code, ',' order by s.rule_code) as rule_codes,
        string_agg(s.rule_name_zh, '；' order by s.rule_code) as rules_zh,
        count(*) as rules_met,
        max(f.net_sales_yuan) as net_sales_yuan,
        max(f.prior_sales_yuan) as prior_sales_yuan,
        max(f.growth_pct) as growth_pct,
        max(f.agri_share_pct) as agri_share_pct,
        max(f.sales_rank) as sales_rank,
        max(coalesce(p.poor_households_linked, 0)) as poor_households_linked
    from selections s
    join figures f on f.enterprise_key = s.enterprise_key and f.year = s.year
    left join dim_enterprise e on e.enterprise_key = s.enterprise_key and e.is_current
    left join poverty p on p.enterprise_key = s.enterprise_key
    group by s.year, s.enterprise_key, e.enterprise_name, e.entity_type, e.township_code
)

select * from final
