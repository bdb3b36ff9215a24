-- dim_item: which category each (platform category, item title) falls in, and whether it
-- is an agricultural product (农产品), by the category map. Title keywords and platform
-- categories may both match: the lowest priority wins, then the longest keyword.
-- A platform_category rule matches the platform's category path at a '>' boundary:
-- keyword 茶 matches 茶 and 茶>乌龙茶>铁观音, not 茶具; 茶>茶具 matches 茶>茶具>茶杯.
-- Items no rule matches are kept as 未映射 with no agricultural flag: reported, not guessed.
with items as (
    select distinct platform_category, item_title from int_shop_items_monthly
),

candidates as (
    select
        i.platform_category,
        i.item_title,
        m.category,
        m.is_agricultural,
        m.match_field || ':' || m.keyword as matched_by,
        row_number() over (
            partition by i.platform_category, i.item_title
            order by m.priority, length(m.keyword) desc, m.keyword
        ) as rule_rank
    from items i
    join ref_category_map m
      on (m.match_field = 'title' and strpos(i.item_title, m.keyword) > 0)
      or (m.match_field = 'platform_category'
          and (i.platform_category = m.keyword
               or starts_with(i.platform_category, m.keyword || '>')))
),

final as (
    select
        i.platform_category,
        i.item_title,
        coalesce(c.category, '未映射') as category,
        c.is_agricultural,
        coalesce(c.matched_by, 'unmapped') as matched_by
    from items i
    left join candidates c
      on (i.platform_category is not distinct from c.platform_category)
     and (i.item_title is not distinct from c.item_title)
     and c.rule_rank = 1
)

select * from final
