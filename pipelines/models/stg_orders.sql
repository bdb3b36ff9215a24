-- stg_orders: the snapshot's order lines, one row per platform order line.
-- A line that appears in several files (overlapping exports, a corrected resubmission)
-- is taken from the file ingested last. net_sales_yuan applies the 网络零售额 caliber:
-- buyer-paid goods amount of completed orders minus refunds, postage excluded; cancelled,
-- closed and unpaid orders count zero.
with lines as (
    select o.*, f.ingest_seq
    from orders o
    join ingest_files f
      on o.file_sha256 = f.file_sha256 and o.source = f.source
),

ranked as (
    select
        *,
        row_number() over (
            partition by platform, order_id, coalesce(sub_order_id, '')
            order by ingest_seq desc, source_row
        ) as version_rank
    from lines
),

final as (
    select
        platform,
        source,
        file_sha256,
        source_row,
        order_id,
        sub_order_id,
        shop_id,
        shop_name,
        item_title,
        platform_category,
        quantity,
        unit_price_yuan,
        goods_amount_yuan,
        postage_yuan,
        refund_yuan,
        status,
        status_raw,
        order_time,
        pay_time,
        ship_from,
        order_month,
        cast(substr(order_month, 1, 4) as int) as order_year,
        cast(
            case
                when status in ('completed', 'refunded')
                    then greatest(goods_amount_yuan - refund_yuan, 0)
                else 0
            end as decimal(18, 2)
        ) as net_sales_yuan
    from ranked
    where version_rank = 1
)

select * from final
