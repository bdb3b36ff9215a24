//! The layouts of the tables every stage shares: staged `orders` and its files, the
//! quarantine, the types of money, times and decimals, and the Parquet settings of every
//! file ecstat writes. Ingest writes them; the warehouse reads them.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

/// Money type of every staged and warehouse amount.
pub const MONEY: DataType = DataType::Decimal128(18, 2);
/// Naive Asia/Shanghai wall-clock time.
pub const LOCAL_TIME: DataType = DataType::Timestamp(TimeUnit::Microsecond, None);
/// Non-money numbers of department records (areas, shares).
pub const DECIMAL: DataType = DataType::Decimal128(18, 4);

/// Parquet settings for every file ecstat writes: zstd, row groups that bound memory.
pub fn parquet_props() -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(256 * 1024))
        .set_created_by("ecstat".into());
    // Nearly every value of these differs: a dictionary would be built and thrown away.
    for column in [
        "source_row",
        "order_id",
        "sub_order_id",
        "order_time",
        "pay_time",
    ] {
        builder = builder.set_column_dictionary_enabled(column.into(), false);
    }
    builder.build()
}

/// Staged `orders`: one row per order line as the platform exported it, parsed.
pub fn orders_schema() -> SchemaRef {
    let text = |n: &str| Field::new(n, DataType::Utf8, true);
    let money = |n: &str| Field::new(n, MONEY, true);
    Arc::new(Schema::new(vec![
        text("source"),
        text("platform"),
        text("file_sha256"),
        Field::new("source_row", DataType::Int64, true),
        text("order_id"),
        text("sub_order_id"),
        text("shop_id"),
        text("shop_name"),
        text("item_title"),
        text("platform_category"),
        Field::new("quantity", DataType::Int64, true),
        money("unit_price_yuan"),
        money("goods_amount_yuan"),
        money("postage_yuan"),
        money("refund_yuan"),
        text("status"),
        text("status_raw"),
        text("after_sale_status"),
        Field::new("order_time", LOCAL_TIME, true),
        Field::new("pay_time", LOCAL_TIME, true),
        text("ship_from"),
        text("order_month"),
    ]))
}

/// The column of staged `orders` that its files do not hold: the SHA-256 of the input
/// file, the same for every row of a file. It is known only once the file has been read to
/// its end (it is hashed as it is parsed), so the warehouse adds it from the input record
/// that lists the file. Files staged before it was left out hold it; it is ignored there.
pub const ORDERS_FILE_HASH: &str = "file_sha256";

/// The layout of a staged `orders` file: [`orders_schema`] without [`ORDERS_FILE_HASH`].
pub fn orders_file_schema() -> SchemaRef {
    without_file_hash(&orders_schema())
}

/// `schema` without [`ORDERS_FILE_HASH`]: what the files of a table with that layout hold.
pub fn without_file_hash(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .filter(|f| f.name() != ORDERS_FILE_HASH)
            .cloned()
            .collect::<Vec<_>>(),
    ))
}

/// Quarantine: one row per rejected input row, with where it came from and why.
pub fn quarantine_schema() -> SchemaRef {
    let text = |n: &str, nullable| Field::new(n, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("source", false),
        text("file", false),
        text("file_sha256", false),
        Field::new("row", DataType::Int64, false),
        text("column", true),
        text("raw_value", true),
        text("rule", false),
        text("reason", false),
        text("detail", true),
        text("severity", false),
    ]))
}
