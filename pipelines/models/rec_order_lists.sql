-- rec_order_lists: each 淘宝 order list (ExportOrderList, one row per order) of the snapshot
-- with how many of its orders a detail list (ExportOrderDetailList) splits into items. An
-- order without items is counted whole at order grain — its 宝贝标题 names the items, and
-- the category of a multi-item order is then that of the joined titles — so a list whose
-- detail list is missing, or holds only some of its orders, is reported every night.
with split as (
    select file_sha256, count(distinct order_id) as orders_with_items
    from int_order_item_shares
    group by file_sha256
)

select
    f.file,
    f.file_sha256,
    f.orders,
    coalesce(s.orders_with_items, 0) as orders_with_items
from ingest_files f
left join split s on s.file_sha256 = f.file_sha256
where f.source = 'taobao_order_list'
  and f.error is null
