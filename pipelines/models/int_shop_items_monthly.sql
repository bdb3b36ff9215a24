-- int_shop_items_monthly: a month's order lines summarised by shop, item and ship-from
-- place — all that the shop, item, platform and month dimensions need from the lines. They
-- read this (a few thousand rows a month) instead of every line of every year, and a month
-- whose lines are unchanged is not summarised again.
select
    platform,
    shop_id,
    order_month,
    platform_category,
    item_title,
    ship_from,
    max(shop_name) as shop_name,
    min(order_time) as first_order_time,
    count(*) as order_lines
from stg_orders
group by platform, shop_id, order_month, platform_category, item_title, ship_from
