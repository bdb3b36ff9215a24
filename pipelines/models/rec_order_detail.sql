-- rec_order_detail: each 淘宝 detail-list item (int_order_detail) with whether an order
-- list of the snapshot has its order, so that the order's amounts could be split over it
-- (int_order_item_shares has a share of it). An item without one counts nothing — a
-- detail list alone says nothing of what was paid — and is reported every night, so the
-- missing ExportOrderList is sent.
with split as (
    select distinct order_id, item_no
    from int_order_item_shares
)

select
    d.platform,
    d.order_id,
    d.item_no,
    d.item_title,
    d.file_sha256,
    d.source_row,
    s.order_id is not null as has_order
from int_order_detail d
left join split s
  on s.order_id = d.order_id and s.item_no = d.item_no
