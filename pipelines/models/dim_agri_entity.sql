-- dim_agri_entity: the agricultural-entity database (农业主体数据库): 农民专业合作社, 家庭农场
-- and 农业产业化龙头企业 from the 农茶局 list, with level, products, certifications and the
-- registered poor households they bring along (带动建档立卡贫困户), and — where they sell
-- online — the enterprise and shops they sell through.
-- Link to the enterprise database, in order: 统一社会信用代码; else the same name in the
-- same township; else none (the entity stays, unlinked).
with entities as (
    select
        *,
        row_number() over (
            partition by coalesce(uscc, concat('N:', township_code, ':', entity_name))
            order by source_row
        ) as duplicate_rank
    from agri_entities
),

current_enterprises as (
    select enterprise_key, uscc, enterprise_name, township_code, shops
    from dim_enterprise
    where is_current
),

by_name as (
    select enterprise_name, township_code, min(enterprise_key) as enterprise_key
    from current_enterprises
    group by enterprise_name, township_code
    having count(*) = 1
),

final as (
    select
        coalesce(a.uscc, concat('N:', a.township_code, ':', a.entity_name)) as agri_entity_key,
        a.entity_name,
        a.entity_type,
        a.level,
        a.uscc,
        a.township_code,
        a.village_code,
        a.main_products,
        a.certifications,
        a.area_mu,
        coalesce(a.poor_households_linked, 0) as poor_households_linked,
        a.annual_sales_yuan,
        a.online_sales_yuan,
        a.established_on,
        coalesce(u.enterprise_key, n.enterprise_key) as enterprise_key,
        case
            when u.enterprise_key is not null then 'uscc'
            when n.enterprise_key is not null then 'name_township'
            else 'unmatched'
        end as enterprise_match,
        coalesce(e.shops, 0) as shops,
        coalesce(a.online_sales_yuan, 0) > 0 or coalesce(e.shops, 0) > 0 as sells_online
    from entities a
    left join current_enterprises u on u.uscc = a.uscc
    left join by_name n
      on a.uscc is null and n.enterprise_name = a.entity_name and n.township_code = a.township_code
    left join current_enterprises e on e.enterprise_key = coalesce(u.enterprise_key, n.enterprise_key)
    where a.duplicate_rank = 1
)

select * from final
