-- dim_category: the ecstat categories of the category map, each with its 农产品 flag,
-- plus the 未映射 bucket dim_item puts items no rule matches into (no agricultural flag:
-- reported, not guessed). A category the map gives two different flags appears twice
-- and fails the unique test: the map must be fixed, not silently resolved.
with mapped as (
    select
        category,
        is_agricultural,
        count(*) as rules
    from ref_category_map
    group by category, is_agricultural
),

unmapped as (
    select
        '未映射' as category,
        cast(null as boolean) as is_agricultural,
        cast(0 as bigint) as rules
),

final as (
    select category, is_agricultural, rules from mapped
    union all
    select category, is_agricultural, rules from unmapped
)

select * from final
