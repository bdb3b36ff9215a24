-- dim_shop: every platform shop seen in the orders, with the enterprise that operates it and
-- the township its sales are attributed to.
-- Enterprise and attribution (DESIGN §2), in order of precedence: the 商务局 operator list
-- (`operator_list`), then the shop register (`register`) — shop → enterprise → its township;
-- else the township named most often in the shop's ship-from addresses within 安溪
-- (`ship_from`); else `unattributed` — kept, never dropped. A shop in no list is its own
-- operating entity, keyed `S:<platform>:<shop id>`.
with shops as (
    select
        platform,
        shop_id,
        max(shop_name) as shop_name,
        min(first_order_time) as first_order_time
    from int_shop_items_monthly
    group by platform, shop_id
),

townships as (
    select region_code as township_code, region_name as township_name
    from dim_region
    where level = 'township'
),

ship_from_counts as (
    select platform, shop_id, ship_from, sum(order_lines) as lines
    from int_shop_items_monthly
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

-- The lists' word on a shop: the operator list before the shop register.
listed as (
    select
        platform,
        shop_id,
        enterprise_key,
        entity_name,
        uscc,
        township_code,
        source,
        row_number() over (
            partition by platform, shop_id
            order by case source when 'operators' then 1 else 2 end, enterprise_key
        ) as list_rank
    from int_enterprise_mentions
    where source in ('operators', 'ref_shops') and shop_id is not null
),

final as (
    select
        s.platform,
        s.shop_id,
        s.shop_name,
        coalesce(l.enterprise_key, concat('S:', s.platform, ':', s.shop_id)) as enterprise_key,
        l.entity_name as enterprise_name,
        l.uscc,
        coalesce(l.township_code, b.township_code) as township_code,
        case
            when l.township_code is not null and l.source = 'operators' then 'operator_list'
            when l.township_code is not null then 'register'
            when b.township_code is not null then 'ship_from'
            else 'unattributed'
        end as attribution,
        s.first_order_time
    from shops s
    left join listed l on l.platform = s.platform and l.shop_id = s.shop_id and l.list_rank = 1
    left join ship_from_best b
      on b.platform = s.platform and b.shop_id = s.shop_id and b.vote_rank = 1
)

select * from final
