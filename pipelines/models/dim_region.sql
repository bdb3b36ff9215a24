-- dim_region: Anxi's statistical divisions (county → township → village) with the NBS
-- urban-rural class, and whether a village is an administrative village (村委会), the
-- denominator of village coverage.
with divisions as (
    select * from ref_divisions
),

townships as (
    select code, name from divisions where level = 'township'
),

final as (
    select
        d.code as region_code,
        d.name as region_name,
        d.level,
        d.parent_code,
        case d.level when 'township' then d.code when 'village' then d.parent_code end as township_code,
        case d.level when 'township' then d.name when 'village' then t.name end as township_name,
        d.urban_rural_class,
        coalesce(d.urban_rural_class like '2%', false) as is_rural_class,
        d.level = 'village' and d.name like '%村委会' as is_admin_village
    from divisions d
    left join townships t on d.parent_code = t.code
)

select * from final
