"""Interoperability: polars and DuckDB read the warehouse Parquet as ecstat does.

For every table of the current snapshot (model tables, staged source tables and the
quarantine, found from the manifest by notebooks/ecstat_lake.py) polars and DuckDB must see
ecstat's row count, its column names in its order with the matching types, and the same
content profile (non-null counts, exact sums of integer and money columns, characters of text
columns, true counts, date and time ranges). Then the online-retail indicators are computed
again in polars and DuckDB from fct_online_retail_monthly and must equal ecstat's ind_results
to the cent, in exact decimals.
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl
import pytest

from support import ecstat, ecstat_query, snapshot

# Tables of `ecstat query` that ecstat builds in memory from the manifest (its inputs and
# their replacements), with no Parquet files to read.
ECSTAT_ONLY = {"ingest_files", "submissions"}

NULL = "∅"


@functools.cache
def ecstat_tables() -> dict[str, dict[str, Any]]:
    return {t["table"]: t for t in json.loads(ecstat("tables", "--format", "json"))}


@functools.cache
def ecstat_columns() -> dict[str, list[tuple[str, str]]]:
    """Table → [(column, arrow type)] in column order, from ecstat's information_schema."""
    rows = ecstat_query(
        "select table_name, column_name, data_type, ordinal_position "
        "from information_schema.columns where table_schema = 'public'"
    )
    out: dict[str, list[tuple[int, str, str]]] = {}
    for row in rows:
        out.setdefault(row["table_name"], []).append(
            (row["ordinal_position"], row["column_name"], row["data_type"])
        )
    return {t: [(c, ty) for _, c, ty in sorted(cols)] for t, cols in out.items()}


@functools.cache
def duck() -> duckdb.DuckDBPyConnection:
    return snapshot().duckdb()


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- types ---------------------------------------------------------------------------------

INTS = {
    "Int8": (pl.Int8, "TINYINT"),
    "Int16": (pl.Int16, "SMALLINT"),
    "Int32": (pl.Int32, "INTEGER"),
    "Int64": (pl.Int64, "BIGINT"),
    "UInt8": (pl.UInt8, "UTINYINT"),
    "UInt16": (pl.UInt16, "USMALLINT"),
    "UInt32": (pl.UInt32, "UINTEGER"),
    "UInt64": (pl.UInt64, "UBIGINT"),
}
OTHERS = {
    "Utf8": (pl.String, "VARCHAR"),
    "LargeUtf8": (pl.String, "VARCHAR"),
    "Utf8View": (pl.String, "VARCHAR"),
    "Boolean": (pl.Boolean, "BOOLEAN"),
    "Float32": (pl.Float32, "FLOAT"),
    "Float64": (pl.Float64, "DOUBLE"),
    "Date32": (pl.Date, "DATE"),
}
DECIMAL = re.compile(r"Decimal(?:128)?\((\d+),\s*(\d+)\)")
# Arrow's display of a timestamp type: `Timestamp(µs)`, `Timestamp(µs, "UTC")`, or the
# older `Timestamp(Microsecond, None)`.
TIMESTAMP = re.compile(r'Timestamp\((\w+|µs)(?:,\s*(?:None|Some\("([^"]*)"\)|"([^"]*)"))?\)')
UNITS = {
    "s": "s",
    "ms": "ms",
    "µs": "us",
    "us": "us",
    "ns": "ns",
    "Second": "s",
    "Millisecond": "ms",
    "Microsecond": "us",
    "Nanosecond": "ns",
}


def kind(arrow: str) -> str:
    if arrow in INTS:
        return "int"
    if DECIMAL.fullmatch(arrow):
        return "decimal"
    if TIMESTAMP.fullmatch(arrow):
        return "timestamp"
    return {"Boolean": "bool", "Date32": "date", "Float32": "float", "Float64": "float"}.get(
        arrow, "str" if "Utf8" in arrow else "other"
    )


def expected_types(arrow: str) -> tuple[Any, str]:
    """The polars dtype and DuckDB type that read an arrow type of ecstat's without loss."""
    if arrow in INTS:
        return INTS[arrow]
    if arrow in OTHERS:
        return OTHERS[arrow]
    if m := DECIMAL.fullmatch(arrow):
        p, s = int(m[1]), int(m[2])
        return pl.Decimal(p, s), f"DECIMAL({p},{s})"
    if m := TIMESTAMP.fullmatch(arrow):
        unit, tz = UNITS[m[1]], m[2] or m[3]
        if tz:
            return pl.Datetime(unit, tz), "TIMESTAMP WITH TIME ZONE"
        duck_type = {"s": "TIMESTAMP_S", "ms": "TIMESTAMP_MS", "ns": "TIMESTAMP_NS"}.get(
            unit, "TIMESTAMP"
        )
        return pl.Datetime(unit), duck_type
    raise AssertionError(f"no mapping for ecstat type {arrow}: add one to expected_types")


# ---- the tables ------------------------------------------------------------------------------


def test_the_manifest_gives_every_table_ecstat_lists() -> None:
    assert set(snapshot().tables()) == set(ecstat_tables()) - ECSTAT_ONLY


def test_row_count(table: str) -> None:
    listed = ecstat_tables()[table]["rows"]
    counted = ecstat_query(f"select count(*) as n from {q(table)}")[0]["n"]
    in_polars = snapshot().scan(table).select(pl.len()).collect().item()
    in_duckdb = duck().execute(f"select count(*) from {q(table)}").fetchone()[0]
    assert (listed, counted) == (in_polars, in_polars), "ecstat tables, ecstat query vs polars"
    assert in_duckdb == in_polars


def test_columns_and_types(table: str) -> None:
    columns = ecstat_columns()[table]
    names = [c for c, _ in columns]

    schema = snapshot().scan(table).collect_schema()
    assert schema.names() == names, "polars sees other columns"
    for column, arrow in columns:
        want, _ = expected_types(arrow)
        assert schema[column] == want, f"{table}.{column}: ecstat {arrow}, polars {schema[column]}"

    described = duck().execute(f"describe {q(table)}").fetchall()
    assert [row[0] for row in described] == names, "DuckDB sees other columns"
    for (column, arrow), row in zip(columns, described):
        _, want = expected_types(arrow)
        assert row[1] == want, f"{table}.{column}: ecstat {arrow}, DuckDB {row[1]}"


# ---- content profiles ------------------------------------------------------------------------


def sql_profile(columns: list[tuple[str, str]], dialect: str) -> list[str]:
    """Aggregates that fingerprint a table: count(*), then per column by its kind."""
    chars = "character_length" if dialect == "datafusion" else "length"
    exprs = ["count(*)"]
    for column, arrow in columns:
        c = q(column)
        exprs.append(f"count({c})")
        match kind(arrow):
            case "int" | "decimal":
                exprs.append(f"sum({c})")
            case "str":
                exprs.append(f"sum({chars}({c}))")
            case "bool":
                exprs.append(f"count(*) filter (where {c})")
            case "date" | "float":
                exprs += [f"min({c})", f"max({c})"]
            case "timestamp":
                if dialect == "datafusion":
                    exprs += [f"cast(min({c}) as bigint)", f"cast(max({c}) as bigint)"]
                else:
                    exprs += [f"epoch_us(min({c}))", f"epoch_us(max({c}))"]
    return exprs


def polars_profile(table: str, columns: list[tuple[str, str]]) -> list[Any]:
    exprs = [pl.len()]
    for column, arrow in columns:
        c = pl.col(column)
        exprs.append(c.count())
        match kind(arrow):
            case "int":
                wide = pl.UInt64 if arrow.startswith("U") else pl.Int64
                exprs.append(nullable_sum(c.cast(wide)))
            case "decimal":
                exprs.append(nullable_sum(c))
            case "str":
                exprs.append(nullable_sum(c.str.len_chars()))
            case "bool":
                exprs.append(c.sum())
            case "date" | "float":
                exprs += [c.min(), c.max()]
            case "timestamp":
                exprs += [c.dt.epoch("us").min(), c.dt.epoch("us").max()]
    frame = snapshot().scan(table).select(e.alias(str(i)) for i, e in enumerate(exprs))
    return list(frame.collect().row(0))


def nullable_sum(expr: pl.Expr) -> pl.Expr:
    """SQL's sum: NULL over no values (polars gives 0)."""
    return pl.when(expr.count() > 0).then(expr.sum())


def norm(value: Any) -> Any:
    """One form for a profile value from any engine: numbers as exact Decimals, else text."""
    if value is None or value == NULL:
        return None
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value)
    try:
        return Decimal(text)
    except ArithmeticError:
        return text


@functools.cache
def ecstat_profiles() -> dict[str, list[Any]]:
    """Every table's profile from ecstat, in one query (a union of one row per table)."""
    parts = []
    for table in snapshot().tables():
        exprs = sql_profile(ecstat_columns()[table], "datafusion")
        joined = ", ".join(f"coalesce(cast({e} as varchar), '{NULL}')" for e in exprs)
        parts.append(f"select '{table}' as t, concat_ws('|', {joined}) as profile from {q(table)}")
    rows = ecstat_query(" union all ".join(parts))
    return {row["t"]: row["profile"].split("|") for row in rows}


def test_content_profile(table: str) -> None:
    columns = ecstat_columns()[table]
    labels = ["rows"] + [
        f"{column}:{what}"
        for column, arrow in columns
        for what in ["count"]
        + {
            "int": ["sum"],
            "decimal": ["sum"],
            "str": ["chars"],
            "bool": ["true"],
            "date": ["min", "max"],
            "float": ["min", "max"],
            "timestamp": ["min", "max"],
        }.get(kind(arrow), [])
    ]
    from_ecstat = [norm(v) for v in ecstat_profiles()[table]]
    in_polars = [norm(v) for v in polars_profile(table, columns)]
    in_duckdb = [
        norm(v)
        for v in duck()
        .execute(f"select {', '.join(sql_profile(columns, 'duckdb'))} from {q(table)}")
        .fetchone()
    ]
    assert len(labels) == len(from_ecstat)
    for label, e, p, d in zip(labels, from_ecstat, in_polars, in_duckdb):
        assert e == p == d, f"{table} {label}: ecstat {e}, polars {p}, DuckDB {d}"


# ---- an indicator computed again -------------------------------------------------------------

RETAIL = {
    "rural_online_retail": pl.lit(True),
    "agri_online_retail": pl.col("is_agricultural").fill_null(False),
}
BREAKDOWNS = {"township": "township_code", "platform": "platform", "category": "category"}


def ecstat_values(code: str, measure: str = "value") -> dict[tuple[str, str, str], Decimal]:
    """ind_results: (dimension, period, member) → value, of one indicator's yearly rows."""
    rows = (
        snapshot()
        .scan("ind_results")
        .filter(
            pl.col("indicator_code") == code,
            pl.col("measure") == measure,
            pl.col("period_type") == "year",
        )
        .select("dimension", "period", "member", "value")
        .collect()
    )
    assert rows.schema["value"] == pl.Decimal(22, 4)
    return {(d, p, m): v for d, p, m, v in rows.iter_rows()}


@pytest.mark.parametrize("code", list(RETAIL))
def test_online_retail_computed_again_in_polars_equals_ecstat_to_the_cent(code: str) -> None:
    fct = snapshot().read("fct_online_retail_monthly")
    assert fct.schema["net_sales_yuan"] == pl.Decimal(18, 2), "money must stay exact"
    sales = fct.filter(RETAIL[code])
    ours: dict[tuple[str, str, str], Decimal] = {}
    county = sales.group_by("order_year").agg(pl.col("net_sales_yuan").sum())
    for year, total in county.iter_rows():
        ours[("county", str(year), "350524000000")] = total
    for dimension, column in BREAKDOWNS.items():
        grouped = sales.group_by("order_year", column).agg(pl.col("net_sales_yuan").sum())
        for year, member, total in grouped.iter_rows():
            ours[(dimension, str(year), member)] = total
    assert all(isinstance(v, Decimal) for v in ours.values()), "polars summed in floats"

    theirs = {k: v for k, v in ecstat_values(code).items() if k[0] in {"county", *BREAKDOWNS}}
    assert sorted(ours) == sorted(theirs)
    for key, value in sorted(ours.items()):
        assert value == theirs[key], f"{code} {key}: polars {value}, ecstat {theirs[key]}"
    # The figures the targets are judged on: 2019 over the baseline year 2017.
    assert ("county", "2019", "350524000000") in ours and ("county", "2017", "350524000000") in ours


@pytest.mark.parametrize("code", list(RETAIL))
def test_online_retail_growth_computed_again_from_exact_sums(code: str) -> None:
    values = ecstat_values(code)
    county = {p: v for (d, p, _), v in values.items() if d == "county"}
    quantum = Decimal("0.0001")
    for measure, base_of in (
        ("yoy_pct", lambda year: str(int(year) - 1)),
        ("vs_baseline_pct", lambda year: "2017"),
    ):
        rates = {p: v for (d, p, _), v in ecstat_values(code, measure).items() if d == "county"}
        assert rates, f"{code}: no {measure}"
        for year, rate in rates.items():
            base = county[base_of(year)]
            ours = (county[year] - base) * 100 / base
            # ecstat rounds to 4 places; either rounding of the exact rate is fine.
            assert abs(ours - rate) <= quantum / 2, f"{code} {measure} {year}: {ours} vs {rate}"


@pytest.mark.parametrize("code", list(RETAIL))
def test_online_retail_computed_again_in_duckdb_equals_ecstat(code: str) -> None:
    where = "" if code == "rural_online_retail" else "where is_agricultural"
    rows = (
        duck()
        .execute(
            "select cast(order_year as varchar), sum(net_sales_yuan) "
            f"from fct_online_retail_monthly {where} group by 1"
        )
        .fetchall()
    )
    theirs = {p: v for (d, p, _), v in ecstat_values(code).items() if d == "county"}
    assert rows and all(isinstance(v, Decimal) for _, v in rows)
    assert dict(rows) == theirs
