#!/usr/bin/env python3
"""ecstat beside DuckDB on the same generated order exports (issue #7).

Run through bench/bench.sh, which builds the release binaries and the DuckDB venv. For each
size it generates a 淘宝-layout order CSV (UTF-8, and GBK of the same rows) with the repo's
seeded generator, then, RUNS times each, on the same machine in the same run:

  ecstat run        the nightly job into a fresh data directory (ingest, build + model tests,
                    indicators, exports); its own stage timings split the total
  ecstat run (GBK)  the same on the GBK file
  ecstat rerun      again with nothing new
  ecstat +1 month   a run that finds one new month of orders beside a snapshot of the rest
  ecstat queries    the three figures of bench/figures.sql over the built warehouse
  DuckDB convert    CSV → zstd Parquet, every column declared as text (a plain conversion)
  DuckDB figures    the same three figures from that Parquet, applying ecstat's rules
                    (bench/duckdb_figures.sql: quarantine, dedup, attribution, categories)

Wall time, CPU time (user + system) and peak RSS of each process come from wait4(2). Medians
of the runs are reported, with the spread. The figures of both engines are compared to the
cent; a difference fails the benchmark (exit 1) whatever the timings.

Nothing here is a test with a time limit: machines differ and are shared; ratios are what
we compare. Results: Markdown on stdout, and JSON in the work directory.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CSV_NAME = "淘宝订单导出_bench.csv"


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    stages: dict[str, float] = field(default_factory=dict)


def measured(cmd: list[str], stdout=None, env=None, cwd=None) -> tuple[Sample, int]:
    """Run `cmd`, returning its wall and CPU time and peak RSS (wait4) and exit code."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env, cwd=cwd)
    # stderr is read after exit: only the benchmark's own short messages go there.
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0,):
        sys.stderr.write(err)
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024), proc.returncode


def stage_times(log: str) -> dict[str, float]:
    """`time: ingest 2.62s, build+test 6.80s, …` → {"ingest": 2.62, …}."""
    for line in log.splitlines():
        if line.startswith("time: "):
            body = line[len("time: ") :].split(" (total")[0]
            out = {}
            for part in body.split(", "):
                name, secs = part.rsplit(" ", 1)
                out[name] = float(secs.rstrip("s"))
            return out
    return {}


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(args.work).resolve()
        self.bin = Path(args.bin).resolve()
        self.ecstat = str(self.bin / "ecstat")
        self.gen = str(self.bin / "ecstat-gen")
        self.reference = REPO / "sample_data" / "reference"
        self.results: dict = {"sizes": {}}
        self.failures: list[str] = []

    # ---- inputs -------------------------------------------------------------------------
    def inputs(self, rows: int) -> dict[str, Path]:
        """Generated inboxes for `rows`: utf8, gbk, and the utf8 rows split into all months
        but the last (`base`) and the last month alone (`month`). Reused when present."""
        root = self.work / f"rows-{rows}"
        paths = {"utf8": root / "utf8" / "platforms" / CSV_NAME}
        if not self.args.skip_gbk:
            paths["gbk"] = root / "gbk" / "platforms" / CSV_NAME
        for encoding, path in paths.items():
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".partial")
                subprocess.run(
                    [self.gen, "orders", "--rows", str(rows), "--layout", "taobao",
                     "--encoding", encoding, "--out", str(tmp)],
                    check=True, stdout=subprocess.DEVNULL,
                )
                tmp.rename(path)
        if not self.args.skip_incremental:
            base = root / "base" / "platforms" / CSV_NAME
            month = root / "month" / CSV_NAME.replace("_bench", "_bench_last_month")
            if not base.exists() or not month.exists():
                self.split_last_month(paths["utf8"], base, month)
            paths["base"] = base
            paths["month"] = month
        return paths

    @staticmethod
    def split_last_month(src: Path, base: Path, month: Path) -> None:
        """The generator writes each year's orders in time order, so the last month's lines
        are the tail of the file, from the first line whose 订单创建时间 falls in that month.
        (A line of the month before that was paid in the last month mentions it too, and
        stays in the base file: otherwise the month before would be rebuilt as well.)"""
        with src.open("rb") as f:
            header = f.readline()
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            tail = f.read().splitlines()[-1].decode()
        last = next(csv.reader([tail]))[12][:7]  # 订单创建时间 of the last line: YYYY-MM
        marker = f",{last}-".encode()
        base.parent.mkdir(parents=True, exist_ok=True)
        month.parent.mkdir(parents=True, exist_ok=True)
        with src.open("rb") as f, base.open("wb") as b, month.open("wb") as m:
            f.readline()
            b.write(header)
            m.write(header)
            out = b
            for line in f:
                if out is b and marker in line:
                    fields = next(csv.reader([line.decode(errors="replace")]), [])
                    if len(fields) > 12 and fields[12].startswith(last):
                        out = m
                out.write(line)

    # ---- ecstat -------------------------------------------------------------------------
    def ecstat_run(self, data: Path, inbox: Path, log: Path) -> Sample:
        with log.open("wb") as out:
            sample, code = measured(
                [self.ecstat, "--data-dir", str(data), "run", "--inbox", str(inbox),
                 "--reference", str(self.reference)],
                stdout=out,
            )
        text = log.read_text(errors="replace")
        # 1: a planted bad row made a check fail; the snapshot is still published.
        if code not in (0, 1):
            raise SystemExit(f"ecstat run failed with exit {code}; see {log}")
        sample.stages = stage_times(text)
        return sample

    def ecstat_query(self, data: Path, sql: str) -> tuple[Sample, str]:
        tmp = self.work / "query.out"
        with tmp.open("wb") as out:
            sample, code = measured(
                [self.ecstat, "--data-dir", str(data), "query", "--confidential",
                 "--format", "csv", sql],
                stdout=out,
            )
        if code != 0:
            raise SystemExit(f"ecstat query failed with exit {code}: {sql}")
        return sample, tmp.read_text()

    # ---- DuckDB -------------------------------------------------------------------------
    def duckdb(self, script: str, *argv: str) -> tuple[Sample, str]:
        tmp = self.work / "duck.out"
        with tmp.open("wb") as out:
            sample, code = measured([sys.executable, "-c", script, *argv], stdout=out)
        if code != 0:
            raise SystemExit(f"DuckDB step failed with exit {code}")
        return sample, tmp.read_text()

    # ---- one size -----------------------------------------------------------------------
    def size(self, rows: int) -> None:
        runs = self.args.runs
        paths = self.inputs(rows)
        root = self.work / f"rows-{rows}"
        data = self.work / "data"
        log = self.work / f"ecstat-{rows}.log"
        samples: dict[str, list[Sample]] = {}
        queries = split_queries((HERE / "figures.sql").read_text())

        def add(name: str, s: Sample) -> None:
            samples.setdefault(name, []).append(s)
            print(f"  {name}: {s.wall:.2f}s wall, {s.cpu:.2f}s CPU, {s.rss_mb:.0f} MB", file=sys.stderr)

        ecstat_figures = {}
        for i in range(runs):
            print(f"{rows} rows, run {i + 1} of {runs}", file=sys.stderr)
            shutil.rmtree(data, ignore_errors=True)
            add("ecstat run", self.ecstat_run(data, root / "utf8", log))
            add("ecstat rerun, nothing new", self.ecstat_run(data, root / "utf8", self.work / "rerun.log"))
            for name, sql in queries:
                sales = (
                    "(select order_month, order_year, shop_id, township_code, "
                    "coalesce(is_agricultural, false) as is_agricultural, "
                    "net_sales_yuan as net_sales from fct_online_retail_monthly)"
                )
                s, out = self.ecstat_query(data, sql.replace("{sales}", sales))
                add(f"ecstat query {name}", s)
                ecstat_figures[name] = out

            if not self.args.skip_gbk:
                shutil.rmtree(data, ignore_errors=True)
                add("ecstat run (GBK)", self.ecstat_run(data, root / "gbk", self.work / "gbk.log"))

            if not self.args.skip_incremental:
                shutil.rmtree(data, ignore_errors=True)
                inbox = self.work / "inbox-incremental"
                shutil.rmtree(inbox, ignore_errors=True)
                (inbox / "platforms").mkdir(parents=True)
                os.link(paths["base"], inbox / "platforms" / paths["base"].name)
                # A file changed in the second before it is hashed is hashed again by the
                # next run; the night's files have been in the inbox for longer than that.
                time.sleep(1.1)
                self.ecstat_run(data, inbox, self.work / "base.log")
                os.link(paths["month"], inbox / "platforms" / paths["month"].name)
                add("ecstat +1 month", self.ecstat_run(data, inbox, self.work / "month.log"))

            parquet = self.work / "duck.parquet"
            parquet.unlink(missing_ok=True)
            s, _ = self.duckdb(DUCK_CONVERT, str(paths["utf8"]), str(parquet))
            add("DuckDB convert", s)
            s, out = self.duckdb(
                DUCK_FIGURES, str(parquet), str(self.reference),
                str(HERE / "duckdb_figures.sql"), str(HERE / "figures.sql"),
            )
            timings = json.loads(out.splitlines()[0])
            s.stages = timings
            add("DuckDB figures", s)
            duck_figures = json.loads("\n".join(out.splitlines()[1:]))

        for name, _ in queries:
            problems = compare(name, parse_csv(ecstat_figures[name]), duck_figures[name])
            for p in problems:
                self.failures.append(f"{rows} rows, {name}: {p}")
        size_mb = lambda key: round(paths[key].stat().st_size / 1e6) if key in paths else None  # noqa: E731
        self.results["sizes"][rows] = {
            "file_mb": size_mb("utf8"),
            "gbk_file_mb": size_mb("gbk"),
            "month_mb": size_mb("month"),
            "samples": {k: [s.__dict__ for s in v] for k, v in samples.items()},
            "figures_agree": not any(f.startswith(f"{rows} rows") for f in self.failures),
        }
        self.report(rows, samples)

    def report(self, rows: int, samples: dict[str, list[Sample]]) -> None:
        info = self.results["sizes"][rows]
        runs = self.args.runs
        files = f"{info['file_mb']} MB UTF-8"
        if info.get("gbk_file_mb") is not None:
            files += f", {info['gbk_file_mb']} MB GBK"
        if info.get("month_mb") is not None:
            files += f"; last month {info['month_mb']} MB"
        print(f"\n### {rows:,} rows ({files})\n")
        print(f"| step | wall s (median of {runs}) | min–max s | CPU s | peak RSS MB |")
        print("|---|---:|---:|---:|---:|")
        for name, ss in samples.items():
            walls = [s.wall for s in ss]
            print(f"| {name} | {statistics.median(walls):.2f} | {min(walls):.2f}–{max(walls):.2f} "
                  f"| {statistics.median(s.cpu for s in ss):.2f} "
                  f"| {statistics.median(s.rss_mb for s in ss):.0f} |")

        def med(name: str, stage: str | None = None) -> float:
            ss = samples.get(name, [])
            if not ss:
                return float("nan")
            if stage is None:
                return statistics.median(s.wall for s in ss)
            return statistics.median(s.stages.get(stage, float("nan")) for s in ss)

        stages = samples["ecstat run"][-1].stages
        print("\necstat stages (median): " + ", ".join(
            f"{k} {med('ecstat run', k):.2f}s" for k in stages))
        duck_stages = samples["DuckDB figures"][-1].stages
        print("DuckDB figures (median): " + ", ".join(
            f"{k} {med('DuckDB figures', k):.2f}s" for k in duck_stages))
        convert = med("DuckDB convert")
        figures = med("DuckDB figures")
        ratios = {
            "ingest (with validation) / DuckDB convert": med("ecstat run", "ingest") / convert,
            "build + indicators / DuckDB figures": (
                med("ecstat run", "build+test") + med("ecstat run", "indicators")) / figures,
            "ecstat queries (3, on the warehouse) / DuckDB figures queries (3)": (
                sum(med(f"ecstat query {q}") for q in ("monthly_by_township", "yearly_growth", "top_shops"))
                / sum(med("DuckDB figures", q) for q in ("monthly_by_township", "yearly_growth", "top_shops"))),
            "whole run / (DuckDB convert + figures)": med("ecstat run") / (convert + figures),
            "GBK run / UTF-8 run": med("ecstat run (GBK)") / med("ecstat run"),
            "+1 month run / full run": med("ecstat +1 month") / med("ecstat run"),
        }
        # Three decimals: the one-new-month target is 5% (0.050), and two decimals showed
        # 5.06% as 0.05.
        print("\n| ratio | value |\n|---|---:|")
        for k, v in ratios.items():
            print(f"| {k} | {'skipped' if v != v else f'{v:.3f}'} |")
        print(f"\nrerun with nothing new: {med('ecstat rerun, nothing new'):.2f}s; peak RSS of the "
              f"full run {statistics.median(s.rss_mb for s in samples['ecstat run']):.0f} MB")
        print(f"figures of the two engines agree to the cent: {'yes' if info['figures_agree'] else 'NO'}")
        info["ratios"] = ratios

    def main(self) -> int:
        self.work.mkdir(parents=True, exist_ok=True)
        load = os.getloadavg()
        print(f"machine: {os.cpu_count()} cores, {platform.platform()}, load before "
              f"{load[0]:.2f}; ecstat {self.ecstat}; DuckDB {duckdb_version()}; work {self.work}")
        for rows in self.args.rows:
            self.size(rows)
        self.results["load_after"] = os.getloadavg()[0]
        (self.work / "results.json").write_text(json.dumps(self.results, indent=1, default=str))
        print(f"\nload average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f} "
              f"(1-minute; {os.cpu_count()} cores): above {os.cpu_count()} means other work competed")
        if self.failures:
            print("\nFIGURES DIFFER:", file=sys.stderr)
            for f in self.failures:
                print("  " + f, file=sys.stderr)
            return 1
        return 0


DUCK_CONVERT = r"""
import sys, duckdb
src, dst = sys.argv[1], sys.argv[2]
cols = ["订单编号","子订单编号","店铺ID","店铺名称","宝贝标题","类目","购买数量","商品单价",
        "买家实付金额","邮费","退款金额","订单状态","订单创建时间","订单付款时间","发货地"]
types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(
    f"COPY (SELECT * FROM read_csv('{src}', header = true, columns = {types}, "
    f"ignore_errors = true)) TO '{dst}' (FORMAT parquet, COMPRESSION zstd)")
"""

DUCK_FIGURES = r"""
import json, sys, time, duckdb
parquet, reference, prep_path, figures_path = sys.argv[1:5]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
timings = {}
started = time.perf_counter()
prep = "\n".join(l for l in open(prep_path).read().splitlines() if not l.lstrip().startswith("--"))
prep = prep.replace("{parquet}", parquet).replace("{reference}", reference)
for statement in prep.split(";"):
    if statement.strip():
        con.execute(statement)
timings["prepare"] = time.perf_counter() - started
out = {}
text = open(figures_path).read()
for chunk in text.split("-- query: ")[1:]:
    name, sql = chunk.split("\n", 1)
    name = name.strip()
    started = time.perf_counter()
    rel = con.execute(sql.replace("{sales}", "sales").strip().rstrip(";"))
    cols = [d[0] for d in rel.description]
    rows = rel.fetchall()
    timings[name] = time.perf_counter() - started
    out[name] = [dict(zip(cols, [None if v is None else str(v) for v in r])) for r in rows]
print(json.dumps(timings))
print(json.dumps(out, ensure_ascii=False))
"""


def duckdb_version() -> str:
    try:
        import duckdb  # noqa: PLC0415

        return duckdb.__version__
    except ImportError:
        return "missing"


def split_queries(text: str) -> list[tuple[str, str]]:
    out = []
    for chunk in text.split("-- query: ")[1:]:
        name, sql = chunk.split("\n", 1)
        out.append((name.strip(), sql.strip().rstrip(";")))
    return out


def parse_csv(text: str) -> list[dict]:
    text = text.lstrip("\ufeff")
    return [dict(r) for r in csv.DictReader(io.StringIO(text))]


def normalise(v):
    """Figures compared as exact decimals (money to the cent, growth to 0.01 points); flags
    and text as written. Empty and null are the same."""
    if v is None or v == "":
        return None
    s = str(v)
    if s.lower() in ("true", "false"):
        return s.lower()
    try:
        return Decimal(s).quantize(Decimal("0.01"))
    except Exception:  # noqa: BLE001 - text columns
        return s


def compare(name: str, ecstat_rows: list[dict], duck_rows: list[dict]) -> list[str]:
    problems = []
    if len(ecstat_rows) != len(duck_rows):
        problems.append(f"ecstat has {len(ecstat_rows)} rows, DuckDB {len(duck_rows)}")
    if not ecstat_rows or not duck_rows:
        problems.append("no rows")
        return problems
    for i, (a, b) in enumerate(zip(ecstat_rows, duck_rows)):
        for col in b:
            x, y = normalise(a.get(col)), normalise(b[col])
            if x != y:
                problems.append(f"row {i + 1} {col}: ecstat {a.get(col)!r}, DuckDB {b[col]!r} ({a})")
        if len(problems) > 10:
            problems.append("…")
            break
    return problems


def rows_arg(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().upper()
        mult = 1
        if part.endswith("M"):
            mult, part = 1_000_000, part[:-1]
        elif part.endswith("K"):
            mult, part = 1_000, part[:-1]
        out.append(int(float(part) * mult))
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=rows_arg, default=rows_arg("1M,10M"),
                   help="sizes, comma-separated: 100k,1M,10M,50M (default 1M,10M)")
    p.add_argument("--runs", type=int, default=3, help="runs of each step; medians reported (default 3)")
    p.add_argument("--bin", required=True, help="folder with the ecstat and ecstat-gen binaries")
    p.add_argument("--work", required=True, help="work folder: generated files (reused), data, results")
    p.add_argument("--skip-incremental", action="store_true", help="skip the one-new-month runs")
    p.add_argument("--skip-gbk", action="store_true", help="skip the GBK file and its runs")
    sys.exit(Bench(p.parse_args()).main())
