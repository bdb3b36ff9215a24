-- int_order_detail: the items of 淘宝 orders, from the order reports' detail lists
-- (ExportOrderDetailList, source taobao_order_detail: one row per item, no amounts). An
-- order's items are those of the latest detail export that has the order (by run, then by
-- the file's place among the snapshot's inputs); within it, an item is a row, numbered in
-- the file's order. A detail list with any row quarantined splits nothing (an order is
-- never split over the items left). The item's weight in its order's allocation is its
-- list price × quantity in fen; the spec bounds both, so the product fits a bigint.
-- (rec_order_detail says which items an order list has the order of.)
with item_files as (
    select
        file_sha256,
        row_number() over (order by run_id, ingest_seq) as file_rank
    from ingest_files
    where source = 'taobao_order_detail'
      -- A detail list with a rejected row is not used: its orders stay whole at order grain
      -- (rec_order_lists reports them) rather than being split over the items left.
      and rows_quarantined = 0
),

items as (
    select d.*, f.file_rank
    from order_items d
    join item_files f on f.file_sha256 = d.file_sha256
),

latest as (
    select order_id, max(file_rank) as file_rank
    from items
    group by order_id
),

final as (
    select
        'taobao' as platform,
        i.order_id,
        cast(row_number() over (partition by i.order_id order by i.source_row) as bigint) as item_no,
        i.item_title,
        i.unit_price_yuan,
        i.quantity,
        i.sku_properties,
        i.merchant_code,
        cast(i.unit_price_yuan * 100 as bigint) * i.quantity as weight_fen,
        i.file_sha256,
        i.source_row
    from items i
    join latest l on l.order_id = i.order_id and l.file_rank = i.file_rank
)

select * from final
