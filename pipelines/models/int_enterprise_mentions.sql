-- int_enterprise_mentions: every mention of an e-commerce operating entity in the
-- department lists — the 市场监管局 registers (each register date), the 商务局 operator list
-- and the shop register — with the key it merges on and why.
--
-- Key, in order of precedence:
--   1. its 统一社会信用代码 (`uscc`);
--   2. else the code of the one registered entity with the same name in the same township
--      (`name_township`);
--   3. else a surrogate `N:<township code>:<name>` (`surrogate`): an individual seller
--      without a credit code is still an entity, counted once however often it is listed.
with registered_names as (
    select entity_name, township_code, min(uscc) as uscc
    from registrations
    where uscc is not null
    group by entity_name, township_code
    having count(distinct uscc) = 1
),

register_mentions as (
    select
        uscc,
        entity_name,
        entity_type,
        township_code,
        status,
        established_on as seen_on,
        as_of,
        cast(null as varchar) as platform,
        cast(null as varchar) as shop_id,
        'registrations' as source,
        'uscc' as match_reason
    from registrations
    where uscc is not null
),

operator_mentions as (
    select
        coalesce(o.uscc, n.uscc) as uscc,
        o.operator_name as entity_name,
        o.operator_type as entity_type,
        o.township_code,
        cast(null as varchar) as status,
        o.started_on as seen_on,
        cast(null as date) as as_of,
        p.platform,
        o.shop_id,
        'operators' as source,
        case
            when o.uscc is not null then 'uscc'
            when n.uscc is not null then 'name_township'
            else 'surrogate'
        end as match_reason
    from operators o
    left join registered_names n
      on n.entity_name = o.operator_name and n.township_code = o.township_code
    left join ref_platforms p on p.name_zh = o.platform_name
),

shop_register_mentions as (
    select
        coalesce(s.uscc, n.uscc) as uscc,
        s.enterprise_name as entity_name,
        cast(null as varchar) as entity_type,
        s.township_code,
        cast(null as varchar) as status,
        cast(null as date) as seen_on,
        cast(null as date) as as_of,
        s.platform,
        s.shop_id,
        'ref_shops' as source,
        case
            when s.uscc is not null then 'uscc'
            when n.uscc is not null then 'name_township'
            else 'surrogate'
        end as match_reason
    from ref_shops s
    left join registered_names n
      on n.entity_name = s.enterprise_name and n.township_code = s.township_code
    where s.enterprise_name is not null
),

mentions as (
    select * from register_mentions
    union all
    select * from operator_mentions
    union all
    select * from shop_register_mentions
),

final as (
    select
        coalesce(uscc, concat('N:', coalesce(township_code, '-'), ':', entity_name)) as enterprise_key,
        uscc,
        entity_name,
        entity_type,
        township_code,
        status,
        seen_on,
        as_of,
        platform,
        shop_id,
        source,
        match_reason
    from mentions
)

select * from final
