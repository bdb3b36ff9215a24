-- stg_orders: the snapshot's order lines, one row per platform order line.
-- A line is identified by its order id and sub-order id, or its item title where the
-- export has no sub-order id (the rule ingest uses within a file). A line that appears in
-- several files (overlapping exports, a corrected resubmission) is taken from the file of
-- the latest run, then the latest file of that run. Where an order has sub-order lines
-- (in any file), a main-order row of it (no sub-order id) is dropped: never counted twice.
-- net_sales_yuan applies the 网络零售额 caliber: buyer-paid goods amount of completed
-- orders minus refunds, postage excluded; cancelled, closed and unpaid orders count zero.
with lines as (
    select o.*, f.ingest_seq, f.run_id as ingest_run_id
    from orders o
    join ingest_files f
      on o.file_sha256 = f.file_sha256 and o.source = f.source
),

-- Which copy of each line counts is decided on the identifying columns alone: sorting
-- whole rows of tens of millions of lines would hold all of them in memory at once.
line_versions as (
    select
        file_sha256,
        source_row,
        sub_order_id is not null as is_sub_line,
        row_number() over (
            partition by platform, order_id, coalesce(sub_order_id, item_title, '')
            order by ingest_run_id desc, ingest_seq desc, source_row
        ) as version_rank,
        -- A prefix of the partition above: computed on the same sort.
        max(case when sub_order_id is not null then 1 else 0 end) over (
            partition by platform, order_id
        ) as order_has_sub_lines
    from lines
),

counted_lines as (
    select file_sha256, source_row
    from line_versions
    where version_rank = 1
      and (is_sub_line or order_has_sub_lines = 0)
),

final as (
    select
        r.platform,
        r.source,
        r.file_sha256,
        r.source_row,
        r.order_id,
        r.sub_order_id,
        r.shop_id,
        r.shop_name,
        r.item_title,
        r.platform_category,
        r.quantity,
        r.unit_price_yuan,
        r.goods_amount_yuan,
        r.postage_yuan,
        r.refund_yuan,
        r.status,
        r.status_raw,
        r.order_time,
        r.pay_time,
        r.ship_from,
        r.order_month,
        cast(substr(r.order_month, 1, 4) as int) as order_year,
        cast(
            case
                when r.status in ('completed', 'refunded')
                    then greatest(r.goods_amount_yuan - r.refund_yuan, 0)
                else 0
            end as decimal(18, 2)
        ) as net_sales_yuan
    from lines r
    join counted_lines c
      on c.file_sha256 = r.file_sha256 and c.source_row = r.source_row
)

select * from final
