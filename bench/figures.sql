-- The benchmark's three indicator figures, in SQL both engines read. `{sales}` is a relation
-- with columns order_month, order_year, shop_id, township_code, is_agricultural, net_sales
-- (one row per line for DuckDB, per shop × month × category for ecstat's
-- fct_online_retail_monthly). Each query follows a line `-- query:NAME` (with a space after the colon).

-- query: monthly_by_township
-- 网络零售额 by month, township and agricultural flag (completed orders; others count 0).
select order_month, township_code, is_agricultural, sum(net_sales) as net_sales
from {sales}
group by order_month, township_code, is_agricultural
order by order_month, township_code, is_agricultural;

-- query: yearly_growth
-- Yearly agricultural and total 网络零售额, each with its growth over the year before (%).
with years as (
    select
        order_year,
        sum(net_sales) as total,
        sum(case when is_agricultural then net_sales else 0 end) as agri
    from {sales}
    group by order_year
)
select
    c.order_year,
    c.total,
    c.agri,
    round(100 * (cast(c.total as double) / cast(p.total as double) - 1), 2) as total_growth_pct,
    round(100 * (cast(c.agri as double) / cast(p.agri as double) - 1), 2) as agri_growth_pct
from years c
left join years p on p.order_year = c.order_year - 1
order by c.order_year;

-- query: top_shops
-- The 100 shops with the highest 网络零售额 in the last year, with their growth (%).
with shop_years as (
    select shop_id, order_year, sum(net_sales) as sales
    from {sales}
    group by shop_id, order_year
),
last_year as (
    select max(order_year) as order_year from shop_years
)
select
    c.shop_id,
    c.sales,
    p.sales as previous_sales,
    round(100 * (cast(c.sales as double) / cast(p.sales as double) - 1), 2) as growth_pct
from shop_years c
join last_year l on l.order_year = c.order_year
left join shop_years p on p.shop_id = c.shop_id and p.order_year = c.order_year - 1
order by c.sales desc, c.shop_id
limit 100;
