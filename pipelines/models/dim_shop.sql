-- dim_shop: every platform shop seen in the orders, attributed to a township of Anxi.
-- Attribution (DESIGN §2): the shop register (shop → enterprise → registered township)
-- first; else the township named most often in the shop's ship-from addresses within
-- 安溪; else `unattributed` — kept, never dropped.
with shops as (
    select
        platform,
        shop_id,
        max(shop_name) as shop_name,
        min(order_time) as first_order_time
    from stg_orders
    group by platform, shop_id
),

townships as (
    select region_code as township_code, region_name as township_name
    from dim_region
    where level = 'township'
),

ship_from_counts as (
    select platform, shop_id, ship_from, count(*) as lines
    from stg_orders
    where ship_from is not null
    group by platform, shop_id, ship_from
),

ship_from_votes as (
    select c.platform, c.shop_id, t.township_code, sum(c.lines) as lines
    from ship_from_counts c
    join townships t
      on strpos(c.ship_from, '安溪') > 0 and strpos(c.ship_from, t.township_name) > 0
    group by c.platform, c.shop_id, t.township_code
),

ship_from_best as (
    select
        platform,
        shop_id,
        township_code,
        row_number() over (partition by platform, shop_id order by lines desc, township_code) as vote_rank
    from ship_from_votes
),

final as (
    select
        s.platform,
        s.shop_id,
        s.shop_name,
        r.enterprise_name,
        r.uscc,
        coalesce(r.township_code, b.township_code) as township_code,
        case
            when r.township_code is not null then 'register'
            when b.township_code is not null then 'ship_from'
            else 'unattributed'
        end as attribution,
        s.first_order_time
    from shops s
    left join ref_shops r on r.platform = s.platform and r.shop_id = s.shop_id
    left join ship_from_best b
      on b.platform = s.platform and b.shop_id = s.shop_id and b.vote_rank = 1
)

select * from final
