#!/usr/bin/env bash
# Benchmark `ecstat run` on generated order exports, beside DuckDB converting the same file.
#
#   bench/bench.sh                 # 1M and 10M rows, 3 runs each
#   RUNS=5 bench/bench.sh 1000000  # other sizes / more runs
#
# For each size: generate a taobao-layout UTF-8 CSV with the repo's seeded generator, then
# time (wall, CPU, peak RSS via GNU time) RUNS cold runs of `ecstat run --no-export` into a
# fresh data directory, and RUNS runs of DuckDB (Python package, in its own venv) doing the
# plain CSV → zstd Parquet conversion of the same file with an explicit schema. Prints the
# medians as Markdown rows for BENCHMARKS.md. Nothing here is a test: timings are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ecstat-target}"
RUNS="${RUNS:-3}"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000000 10000000)
WORK="${BENCH_DIR:-$(mktemp -d /tmp/ecstat-bench.XXXXXX)}"
mkdir -p "$WORK"

cargo build --release --quiet -p ecstat-cli -p ecstat-samplegen
BIN="$CARGO_TARGET_DIR/release"

if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install --quiet duckdb==1.5.6
fi

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cat > "$WORK/duck.py" <<'PY'
import sys, duckdb
src, dst = sys.argv[1], sys.argv[2]
cols = ["订单编号","子订单编号","店铺ID","店铺名称","宝贝标题","类目","购买数量","商品单价","买家实付金额","邮费","退款金额","订单状态","订单创建时间","订单付款时间","发货地"]
types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
con = duckdb.connect()
con.execute(f"COPY (SELECT * FROM read_csv('{src}', header=true, columns={types}, ignore_errors=true)) "
            f"TO '{dst}' (FORMAT parquet, COMPRESSION zstd)")
PY

echo "| rows | file MB | tool | wall s (median of $RUNS) | min–max s | CPU s | peak RSS MB | rows/s |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
  inbox="$WORK/inbox-$n"
  csv="$inbox/platforms/淘宝订单导出_bench.csv"
  if [ ! -f "$csv" ]; then
    mkdir -p "$inbox/platforms"
    "$BIN/ecstat-gen" orders --rows "$n" --layout taobao --encoding utf8 --out "$csv" >&2
  fi
  mb=$(( $(stat -c %s "$csv") / 1000000 ))
  for tool in ecstat duckdb; do
    : > "$WORK/times"
    for _ in $(seq "$RUNS"); do
      rm -rf "$WORK/data" "$WORK/out.parquet"
      sync
      if [ "$tool" = ecstat ]; then
        /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" "$BIN/ecstat" --data-dir "$WORK/data" run \
          --inbox "$inbox" --no-export > "$WORK/ecstat-$n.log"
      else
        /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" "$WORK/venv/bin/python" "$WORK/duck.py" "$csv" "$WORK/out.parquet"
      fi
      tail -n 1 "$WORK/t" >> "$WORK/times"
    done
    wall=$(awk '{print $1}' "$WORK/times" | median)
    lo=$(awk '{print $1}' "$WORK/times" | sort -g | head -1)
    hi=$(awk '{print $1}' "$WORK/times" | sort -g | tail -1)
    cpu=$(awk '{print $2 + $3}' "$WORK/times" | median)
    rss=$(awk '{print int($4 / 1024)}' "$WORK/times" | median)
    rate=$(awk -v n="$n" -v w="$wall" 'BEGIN {printf "%d", n / w}')
    echo "| $n | $mb | $tool | $wall | $lo–$hi | $cpu | $rss | $rate |"
  done
  grep '^time:' "$WORK/ecstat-$n.log" | sed "s/^/<!-- $n rows, last ecstat run: /; s/$/ -->/"
done
echo "<!-- machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr); work dir $WORK -->"
