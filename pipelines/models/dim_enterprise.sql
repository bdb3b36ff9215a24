-- dim_enterprise: the e-commerce enterprise database (电子商务经营主体库). Every operating
-- entity — 企业, 个体工商户, 农民专业合作社 and individual online sellers — merged from the
-- 市场监管局 registers, the 商务局 operator list, the shop register and the platform shops
-- seen in the orders (keys: int_enterprise_mentions; shops: dim_shop).
--
-- History: each register is the state of the entities on its date (as_of). A changed name,
-- township or status makes a new version; valid_from is the establishment date for the
-- first version and the date of the first register that shows the change for later ones;
-- valid_to is the next version's valid_from (exclusive), NULL for the current version.
-- Entities known only from the lists or the orders have one version.
--
-- first_seen_on: the earliest of establishment, shop start and first order. "New
-- e-commerce operating entities" (plan target 2000) are counted by the year of first_seen_on.
-- Precedence when sources disagree: register, then operator list, then shop register
-- (the disagreements are listed in enterprise_conflicts).
with register_rows as (
    select
        uscc as enterprise_key,
        uscc,
        entity_name,
        entity_type,
        township_code,
        status,
        established_on,
        as_of,
        lag(entity_name) over (partition by uscc order by as_of) as prev_name,
        lag(township_code) over (partition by uscc order by as_of) as prev_township,
        lag(status) over (partition by uscc order by as_of) as prev_status,
        row_number() over (partition by uscc order by as_of) as register_seq
    from registrations
    where uscc is not null
),

register_changes as (
    select
        *,
        case
            when register_seq = 1 then 1
            when (prev_name is distinct from entity_name)
              or (prev_township is distinct from township_code)
              or (prev_status is distinct from status) then 1
            else 0
        end as starts_version
    from register_rows
),

register_numbered as (
    select
        *,
        sum(starts_version) over (
            partition by enterprise_key order by as_of
            rows between unbounded preceding and current row
        ) as version
    from register_changes
),

register_versions as (
    select
        enterprise_key,
        version,
        max(uscc) as uscc,
        max(entity_name) as enterprise_name,
        max(entity_type) as entity_type,
        max(township_code) as township_code,
        max(status) as status,
        min(established_on) as established_on,
        min(as_of) as first_as_of
    from register_numbered
    group by enterprise_key, version
),

-- Entities in the lists but in no register: the first mention by precedence names them.
listed_only as (
    select
        enterprise_key,
        uscc,
        entity_name as enterprise_name,
        entity_type,
        township_code,
        row_number() over (
            partition by enterprise_key
            order by case source when 'operators' then 1 else 2 end, seen_on, entity_name
        ) as mention_rank
    from int_enterprise_mentions m
    where not exists (
        select 1 from registrations r where r.uscc = m.enterprise_key
    )
),

-- Shops in no list: each is its own operating entity.
shop_only as (
    select
        enterprise_key,
        cast(null as varchar) as uscc,
        shop_name as enterprise_name,
        '网店（未登记）' as entity_type,
        township_code
    from dim_shop
    where enterprise_key like 'S:%'
),

first_seen as (
    select enterprise_key, min(seen_on) as first_seen_on
    from (
        select enterprise_key, seen_on from int_enterprise_mentions where seen_on is not null
        union all
        select enterprise_key, cast(first_order_time as date) as seen_on from dim_shop
    ) as seen
    group by enterprise_key
),

presence as (
    select
        enterprise_key,
        max(case when source = 'registrations' then 1 else 0 end) = 1 as in_register,
        max(case when source = 'operators' then 1 else 0 end) = 1 as in_operator_list,
        max(case when source = 'ref_shops' then 1 else 0 end) = 1 as in_shop_register,
        max(case match_reason when 'uscc' then 3 when 'name_township' then 2 else 1 end) as match_strength
    from int_enterprise_mentions
    group by enterprise_key
),

shops as (
    select enterprise_key, count(*) as shops
    from dim_shop
    group by enterprise_key
),

-- An entity missing from the latest register (deregistered, moved away, or its row
-- quarantined there) keeps its last version, flagged, rather than closed by guesswork.
register_presence as (
    select uscc as enterprise_key, max(as_of) as last_register_date
    from registrations
    where uscc is not null
    group by uscc
),

latest_register as (
    select max(as_of) as as_of from registrations
),

versions as (
    select
        enterprise_key, version, uscc, enterprise_name, entity_type, township_code, status,
        case when version = 1 then coalesce(established_on, first_as_of) else first_as_of end as valid_from
    from register_versions
    union all
    select
        enterprise_key, 1 as version, uscc, enterprise_name, entity_type, township_code,
        cast(null as varchar) as status, cast(null as date) as valid_from
    from listed_only
    where mention_rank = 1
    union all
    select
        enterprise_key, 1 as version, uscc, enterprise_name, entity_type, township_code,
        cast(null as varchar) as status, cast(null as date) as valid_from
    from shop_only
),

final as (
    select
        v.enterprise_key,
        v.version,
        v.uscc,
        v.enterprise_name,
        v.entity_type,
        v.township_code,
        v.status,
        coalesce(v.valid_from, f.first_seen_on) as valid_from,
        lead(coalesce(v.valid_from, f.first_seen_on)) over (
            partition by v.enterprise_key order by v.version
        ) as valid_to,
        lead(v.version) over (partition by v.enterprise_key order by v.version) is null as is_current,
        f.first_seen_on,
        cast(date_part('year', f.first_seen_on) as bigint) as first_seen_year,
        case
            when v.enterprise_key like 'S:%' then 'shop'
            when v.uscc is not null then 'uscc'
            else 'surrogate'
        end as key_kind,
        coalesce(p.in_register, false) as in_register,
        coalesce(p.in_operator_list, false) as in_operator_list,
        coalesce(p.in_shop_register, false) as in_shop_register,
        case p.match_strength when 3 then 'uscc' when 2 then 'name_township' when 1 then 'surrogate' else 'shop' end as match_reason,
        coalesce(s.shops, 0) as shops,
        rp.last_register_date,
        coalesce(rp.last_register_date = lr.as_of, false) as in_latest_register
    from versions v
    left join first_seen f on f.enterprise_key = v.enterprise_key
    left join presence p on p.enterprise_key = v.enterprise_key
    left join shops s on s.enterprise_key = v.enterprise_key
    left join register_presence rp on rp.enterprise_key = v.enterprise_key
    cross join latest_register lr
)

select * from final
