-- int_order_item_shares: every copy of a 淘宝 order-list row (taobao_order_list: one row per
-- order) whose order has items in int_order_detail, split into those items, so that an
-- order's items always add up to the order:
-- - the goods amount and the postage pro rata to each item's list price × quantity, in
--   whole fen, the fen left over to the items of the largest remainders (ties: the item's
--   number), equal shares where every weight is zero;
-- - the refund the same way but pro rata to the items' goods shares, so that no item is
--   refunded more than its goods (a refund of at most the order's goods).
-- stg_orders takes these lines in place of the order's row.
-- The detail list's orders come first: the join holds them (few) and, when there are none,
-- does not read the staged orders at all.
with detail_orders as (
    select distinct order_id from int_order_detail
),

order_rows as (
    select
        o.file_sha256,
        o.source_row,
        o.order_id,
        o.order_month,
        cast(o.goods_amount_yuan * 100 as bigint) as goods_fen,
        cast(o.refund_yuan * 100 as bigint) as refund_fen,
        cast(o.postage_yuan * 100 as bigint) as postage_fen
    from detail_orders d
    join orders o on o.order_id = d.order_id
    where o.source = 'taobao_order_list'
      and o.sub_order_id is null
),

items as (
    select
        r.*,
        d.item_no,
        d.item_title,
        d.unit_price_yuan,
        d.quantity,
        d.weight_fen,
        sum(d.weight_fen) over (partition by r.file_sha256, r.source_row) as weights,
        count(*) over (partition by r.file_sha256, r.source_row) as item_count
    from order_rows r
    join int_order_detail d on d.order_id = r.order_id
),

weighed as (
    select
        *,
        case when weights > 0 then weight_fen else 1 end as w,
        case when weights > 0 then weights else item_count end as w_total
    from items
),

-- Goods and postage by list price × quantity.
shared as (
    select
        *,
        ecstat_share_floor(goods_fen, w, w_total) as goods_floor,
        ecstat_share_rem(goods_fen, w, w_total) as goods_rem,
        ecstat_share_floor(postage_fen, w, w_total) as postage_floor,
        ecstat_share_rem(postage_fen, w, w_total) as postage_rem
    from weighed
),

ranked as (
    select
        *,
        row_number() over (partition by file_sha256, source_row order by goods_rem desc, item_no) as goods_rank,
        goods_fen - sum(goods_floor) over (partition by file_sha256, source_row) as goods_left,
        row_number() over (partition by file_sha256, source_row order by postage_rem desc, item_no) as postage_rank,
        postage_fen - sum(postage_floor) over (partition by file_sha256, source_row) as postage_left
    from shared
),

goods as (
    select
        *,
        goods_floor + case when goods_rank <= abs(goods_left) then cast(signum(goods_fen) as bigint) else 0 end as item_goods_fen,
        postage_floor + case when postage_rank <= abs(postage_left) then cast(signum(postage_fen) as bigint) else 0 end as item_postage_fen
    from ranked
),

-- The refund by the items' goods shares (equal shares where the order's goods are zero).
refund_weighed as (
    select
        *,
        case when goods_fen <> 0 then abs(item_goods_fen) else 1 end as rw,
        case when goods_fen <> 0 then abs(goods_fen) else item_count end as rw_total
    from goods
),

refund_shared as (
    select
        *,
        ecstat_share_floor(refund_fen, rw, rw_total) as refund_floor,
        ecstat_share_rem(refund_fen, rw, rw_total) as refund_rem
    from refund_weighed
),

refund_ranked as (
    select
        *,
        row_number() over (partition by file_sha256, source_row order by refund_rem desc, item_no) as refund_rank,
        refund_fen - sum(refund_floor) over (partition by file_sha256, source_row) as refund_left
    from refund_shared
),

final as (
    select
        file_sha256,
        source_row,
        order_id,
        order_month,
        item_no,
        item_title,
        unit_price_yuan,
        quantity,
        cast(cast(item_goods_fen as decimal(20, 2)) / 100 as decimal(18, 2)) as goods_amount_yuan,
        cast(cast(refund_floor + case when refund_rank <= abs(refund_left) then cast(signum(refund_fen) as bigint) else 0 end as decimal(20, 2)) / 100 as decimal(18, 2)) as refund_yuan,
        cast(cast(item_postage_fen as decimal(20, 2)) / 100 as decimal(18, 2)) as postage_yuan
    from refund_ranked
)

select * from final
