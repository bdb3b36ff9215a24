-- enterprise_conflicts: facts on which the sources disagree, and how each was resolved —
-- never silently overwritten. Precedence: the 市场监管局 register, then the 商务局 operator
-- list, then the shop register.
--   township:   an entity placed in different townships by different sources;
--   name:       an entity (same key) named differently by different sources;
--   shop_owner: a shop claimed by two different entities.
with kept as (
    select enterprise_key, township_code, enterprise_name
    from dim_enterprise
    where is_current
),

list_mentions as (
    select enterprise_key, township_code, entity_name, source, platform, shop_id
    from int_enterprise_mentions
    where source in ('operators', 'ref_shops')
),

township_conflicts as (
    select distinct
        'township' as conflict,
        m.enterprise_key,
        cast(null as varchar) as platform,
        cast(null as varchar) as shop_id,
        k.township_code as kept_value,
        m.township_code as other_value,
        m.source as other_source,
        'register > operator list > shop register' as resolution
    from list_mentions m
    join kept k on k.enterprise_key = m.enterprise_key
    where m.township_code is not null and (m.township_code is distinct from k.township_code)
),

name_conflicts as (
    select distinct
        'name' as conflict,
        m.enterprise_key,
        cast(null as varchar) as platform,
        cast(null as varchar) as shop_id,
        k.enterprise_name as kept_value,
        m.entity_name as other_value,
        m.source as other_source,
        'register > operator list > shop register' as resolution
    from list_mentions m
    join kept k on k.enterprise_key = m.enterprise_key
    where m.entity_name <> k.enterprise_name
),

shop_claims as (
    select platform, shop_id, count(distinct enterprise_key) as claimants
    from list_mentions
    where shop_id is not null
    group by platform, shop_id
    having count(distinct enterprise_key) > 1
),

shop_conflicts as (
    select distinct
        'shop_owner' as conflict,
        m.enterprise_key,
        m.platform,
        m.shop_id,
        d.enterprise_key as kept_value,
        m.enterprise_key as other_value,
        m.source as other_source,
        'operator list > shop register' as resolution
    from list_mentions m
    join shop_claims c on c.platform = m.platform and c.shop_id = m.shop_id
    join dim_shop d on d.platform = m.platform and d.shop_id = m.shop_id
    where m.enterprise_key <> d.enterprise_key
),

final as (
    select * from township_conflicts
    union all
    select * from name_conflicts
    union all
    select * from shop_conflicts
)

select * from final
