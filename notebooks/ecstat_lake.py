"""Read one ecstat snapshot's Parquet files with polars or DuckDB (读取 ecstat 数据快照).

A snapshot is the manifest ``DATA_DIR/_manifests/vNNNNNNNN.json``: it lists, file by file,
every table of the snapshot. A reader must read exactly those files, never a whole folder:
a folder also holds files of earlier snapshots and of runs that never published.

Usage::

    import ecstat_lake as lake
    snap = lake.open_snapshot()              # newest snapshot of ECSTAT_DATA_DIR
    ind = snap.read("ind_results")           # polars DataFrame (money as exact Decimal)
    con = snap.duckdb()                      # DuckDB with one view per table
    con.sql("select count(*) from fct_online_retail_monthly").pl()

The data directory is ``data_dir=`` if given, else ``$ECSTAT_DATA_DIR``, else ``../warehouse``
beside this folder (the repository's default), else ``./warehouse``.

Tables of a snapshot:
- model tables (``dim_*``, ``fct_*``, ``ind_results``, …): ``manifest["tables"]``;
- staged source tables (``orders``, ``township_reports``, …): ``inputs[].staged_files``, where a
  later submission of a records source replaces an earlier one's partition (key=…, month=…)
  — the same rule as ecstat's ``staged_files`` in crates/ecstat-lake/src/manifest.rs;
- ``quarantine``: the rows held back, of the submissions still current.
The in-memory system tables of ``ecstat query`` (``ingest_files``, ``submissions``) are not
Parquet files; ``Snapshot.manifest["inputs"]`` holds the same facts.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

NOTEBOOKS_DIR = Path(__file__).resolve().parent

# Words by which a department marks a corrected resubmission in its file name: of two files
# received in the same run for the same key, the marked one wins (ecstat's REVISION_MARKERS).
REVISION_MARKERS = ("更正", "修正", "修订", "补正", "更新")

# Staged tables whose files do not hold the SHA-256 of the input file they came from (it is
# known only once the file has been read to its end): the column is added from the input
# that lists each file, after the column named, as ecstat's `orders` table shows it. Files
# staged by earlier versions of ecstat hold it; it is taken from the input there too.
FILE_HASH_ADDED = {"orders": ("file_sha256", "platform")}


def find_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: the argument, ``$ECSTAT_DATA_DIR``, ``../warehouse``, ``./warehouse``."""
    if data_dir is not None:
        return _checked(Path(data_dir), "data_dir argument")
    env = os.environ.get("ECSTAT_DATA_DIR")
    if env:
        return _checked(Path(env), "ECSTAT_DATA_DIR")
    candidates = [NOTEBOOKS_DIR.parent / "warehouse", Path.cwd() / "warehouse"]
    for candidate in candidates:
        if (candidate / "_manifests").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"no ecstat data directory found (tried {tried}): run `ecstat run` first, "
        "or set ECSTAT_DATA_DIR to the data directory (the folder holding _manifests/)"
    )


def _checked(path: Path, origin: str) -> Path:
    if not (path / "_manifests").is_dir():
        raise FileNotFoundError(
            f"{path} (from {origin}) is not an ecstat data directory: it has no _manifests/ "
            "folder; run `ecstat --data-dir DIR run` to make one"
        )
    return path


def versions(data_dir: str | os.PathLike[str] | None = None) -> list[int]:
    """Published snapshot versions, oldest first."""
    root = find_data_dir(data_dir)
    out = []
    for path in (root / "_manifests").glob("v*.json"):
        digits = path.stem[1:]
        if digits.isdigit():
            out.append(int(digits))
    return sorted(out)


@dataclass
class Snapshot:
    """One published snapshot: its manifest and the files of each of its tables."""

    data_dir: Path
    manifest: dict[str, Any]
    files: dict[str, list[str]] = field(default_factory=dict)

    @property
    def version(self) -> int:
        return int(self.manifest["version"])

    @property
    def data_as_of(self) -> str | None:
        """Latest order month in the data (数据截至), YYYY-MM."""
        return self.manifest.get("data_as_of")

    @property
    def confidential(self) -> list[str]:
        """Tables with enterprise- or person-level rows (统计法): keep them inside."""
        return list(self.manifest.get("confidential", []))

    def tables(self) -> list[str]:
        """Every table this module can read from the snapshot, sorted."""
        return sorted(self.files)

    def paths(self, table: str) -> list[Path]:
        """Absolute paths of the table's Parquet files (exactly the manifest's)."""
        try:
            relative = self.files[table]
        except KeyError:
            known = ", ".join(self.tables())
            raise KeyError(
                f"snapshot v{self.version} has no table {table!r}; its tables: {known}"
            ) from None
        return [self.data_dir / f for f in relative]

    def scan(self, table: str) -> pl.LazyFrame:
        """A polars LazyFrame over the table's files (filters and columns are pushed down)."""
        paths = self.paths(table)
        if not paths:
            return pl.LazyFrame()
        if table not in FILE_HASH_ADDED:
            # hive_partitioning off: staged paths hold key=… folders that are not columns.
            return pl.scan_parquet(paths, hive_partitioning=False)
        frames = []
        for sha256, group, columns in self._by_input(table):
            column, after = FILE_HASH_ADDED[table]
            at = columns.index(after) + 1
            frames.append(
                pl.scan_parquet(group, hive_partitioning=False).select(
                    *columns[:at], pl.lit(sha256, dtype=pl.String).alias(column), *columns[at:]
                )
            )
        return pl.concat(frames, how="vertical")

    def _by_input(self, table: str) -> list[tuple[str, list[Path], list[str]]]:
        """The table's files grouped by the hash of the input that staged them, with the
        columns of the group's files other than the added hash column."""
        hash_of = {
            file: inp.get("sha256", "")
            for inp in self.manifest.get("inputs", [])
            for files in inp.get("staged_files", {}).values()
            for file in files
        }
        groups: dict[str, list[Path]] = {}
        for relative in self.files[table]:
            groups.setdefault(hash_of[relative], []).append(self.data_dir / relative)
        column, _ = FILE_HASH_ADDED[table]
        out = []
        for sha256, group in groups.items():
            names = pl.scan_parquet(group[0], hive_partitioning=False).collect_schema().names()
            out.append((sha256, group, [c for c in names if c != column]))
        return out

    def read(self, table: str, columns: list[str] | None = None) -> pl.DataFrame:
        """The table as a polars DataFrame. Decimal columns stay exact (pl.Decimal)."""
        frame = self.scan(table)
        if columns is not None:
            frame = frame.select(columns)
        return frame.collect()

    def duckdb(self, con: Any = None, tables: list[str] | None = None) -> Any:
        """A DuckDB connection (new, in memory, unless given) with one view per table."""
        import duckdb

        if con is None:
            con = duckdb.connect()
        for table in tables or self.tables():
            paths = self.paths(table)
            if not paths:
                continue
            if table not in FILE_HASH_ADDED:
                listing = ", ".join(_sql_string(str(p)) for p in paths)
                con.execute(
                    f"create or replace view {_sql_ident(table)} as select * from "
                    f"read_parquet([{listing}], hive_partitioning = false, union_by_name = true)"
                )
                continue
            column, after = FILE_HASH_ADDED[table]
            selects = []
            for sha256, group, columns in self._by_input(table):
                at = columns.index(after) + 1
                items = [_sql_ident(c) for c in columns]
                items.insert(at, f"{_sql_string(sha256)} as {_sql_ident(column)}")
                listing = ", ".join(_sql_string(str(p)) for p in group)
                selects.append(
                    f"select {', '.join(items)} from "
                    f"read_parquet([{listing}], hive_partitioning = false, union_by_name = true)"
                )
            con.execute(
                f"create or replace view {_sql_ident(table)} as " + " union all ".join(selects)
            )
        return con


def open_snapshot(
    version: int | None = None, data_dir: str | os.PathLike[str] | None = None
) -> Snapshot:
    """The newest snapshot of the data directory, or the given version (like ``--as-of N``)."""
    root = find_data_dir(data_dir)
    published = versions(root)
    if not published:
        raise FileNotFoundError(
            f"{root} has no published snapshot yet (_manifests/ is empty): run `ecstat run`"
        )
    if version is None:
        version = published[-1]
    elif version not in published:
        raise ValueError(f"{root} has no snapshot v{version}; published: {published}")
    path = root / "_manifests" / f"v{version:08d}.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    files: dict[str, list[str]] = {t: list(fs) for t, fs in manifest["tables"].items()}
    inputs = manifest.get("inputs", [])
    for table in sorted({t for i in inputs for t in i.get("staged_files", {})}):
        files.setdefault(table, staged_files(inputs, table))
    files.setdefault("quarantine", quarantine_files(inputs))
    return Snapshot(data_dir=root, manifest=manifest, files=files)


def read_table(
    table: str, version: int | None = None, data_dir: str | os.PathLike[str] | None = None
) -> pl.DataFrame:
    """Shortcut: one table of the newest (or given) snapshot as a polars DataFrame."""
    return open_snapshot(version, data_dir).read(table)


# ---- which staged files a snapshot reads (mirrors crates/ecstat-lake/src/manifest.rs) ----


def partition_of(file: str) -> str:
    """The partition segment (``key=…``, ``month=…``) of a staged file path."""
    return next((s for s in file.split("/") if "=" in s), "")


def _is_revision(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return any(marker in name for marker in REVISION_MARKERS)


def _current_submissions(inputs: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """For each (source, partition) of replacing inputs, the index of the input that wins."""
    order = [i for i, inp in enumerate(inputs) if inp.get("replaces") and inp.get("error") is None]

    def rank(i: int) -> tuple[bytes, bool, bytes]:
        inp = inputs[i]
        # Byte order, as Rust compares strings.
        return (
            inp.get("received", "").encode(),
            _is_revision(inp["path"]),
            inp["path"].encode(),
        )

    order.sort(key=rank)
    current: dict[tuple[str, str], int] = {}
    for index in order:
        inp = inputs[index]
        for files in inp.get("staged_files", {}).values():
            for file in files:
                current[(inp["source"], partition_of(file))] = index
    return current


def staged_files(inputs: list[dict[str, Any]], table: str) -> list[str]:
    """The staged files of ``table`` that the snapshot reads, in input order."""
    current = _current_submissions(inputs)
    out = []
    for index, inp in enumerate(inputs):
        for file in inp.get("staged_files", {}).get(table, []):
            if not inp.get("replaces") or current.get((inp["source"], partition_of(file))) == index:
                out.append(file)
    return out


def quarantine_files(inputs: list[dict[str, Any]]) -> list[str]:
    """Quarantine files of every input except a submission replaced in all its partitions."""
    current = _current_submissions(inputs)
    out = []
    for index, inp in enumerate(inputs):
        partitions = [partition_of(f) for fs in inp.get("staged_files", {}).values() for f in fs]
        if (
            not inp.get("replaces")
            or not partitions
            or any(current.get((inp["source"], p)) == index for p in partitions)
        ):
            out.extend(inp.get("quarantine_files", []))
    return out


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- exact money arithmetic ----------------------------------------------------------------

# 四舍五入, as statistical tables round (polars' own default is half to even).
HALF_UP = "half_away_from_zero"


def wan(yuan: pl.Expr, digits: int = 2) -> pl.Expr:
    """元 → 万元, exact: a Decimal division at a finer scale, then rounded half up (四舍五入)."""
    exact = yuan.cast(pl.Decimal(38, digits + 4)) / 10000
    return exact.round(digits, mode=HALF_UP).cast(pl.Decimal(38, digits))


def pct(part: pl.Expr, whole: pl.Expr, digits: int = 2) -> pl.Expr:
    """part ÷ whole × 100 from exact Decimals, rounded half up; null where whole is 0 or null."""
    # polars divides two Decimals at the scale of the left one: widen it first.
    exact = part.cast(pl.Decimal(38, digits + 6)) * 100 / pl.when(whole != 0).then(whole)
    return exact.round(digits, mode=HALF_UP).cast(pl.Decimal(38, digits))


# ---- charts --------------------------------------------------------------------------------

# CJK fonts worth trying, most likely first: Debian's fonts-noto-cjk, then Windows and macOS.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Noto Serif CJK SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
)


def setup_charts(font: str | None = None) -> str | None:
    """Make matplotlib draw Chinese labels: use the first CJK font installed.

    ``font`` (or ``$ECSTAT_PLOT_FONT``) names a font family to use instead; ``none`` skips the
    search. Without a CJK font the charts still draw, with boxes for Chinese characters (on
    Debian: ``apt-get install fonts-noto-cjk``). Returns the family used, or None.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    mpl.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack U+2212
    mpl.rcParams["figure.dpi"] = 100
    wanted = font or os.environ.get("ECSTAT_PLOT_FONT")
    chosen = None
    if not (wanted and wanted.lower() == "none"):
        installed = {f.name for f in font_manager.fontManager.ttflist}
        candidates = ([wanted] if wanted else []) + list(CJK_FONTS)
        chosen = next((name for name in candidates if name in installed), None)
        if wanted and chosen != wanted:
            print(f"font {wanted!r} is not installed; using {chosen!r}")
    if chosen is None:
        if not (wanted and wanted.lower() == "none"):
            print(
                "no CJK font found: Chinese labels will show as boxes "
                "(Debian/Ubuntu: apt-get install fonts-noto-cjk)"
            )
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        warnings.filterwarnings("ignore", message=r".*missing from current font")
        return None
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [chosen, *mpl.rcParams["font.sans-serif"]]
    return chosen


def to_float(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Floats of Decimal columns, for drawing only: compute and compare on the Decimals."""
    return frame.with_columns(pl.col(c).cast(pl.Float64) for c in columns)
