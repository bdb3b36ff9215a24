#!/usr/bin/env bash
# Benchmark ecstat beside DuckDB on the same generated order exports (see bench/bench.py).
#
#   bench/bench.sh                          # 1M and 10M rows, every shape, 3 runs of each step
#   bench/bench.sh --rows 10M,50M --runs 5  # other sizes, more runs
#   bench/bench.sh --rows 10M --shapes base,shuffled   # some shapes only
#   bench/bench.sh --smoke                  # 100k rows, 1 run, debug build: CI's check that
#                                           # the benchmark still works and both engines agree
#
# Builds the release binaries (the debug ones for --smoke), creates a virtual environment
# with the pinned DuckDB (BENCH_VENV; default ~/.cache/ecstat-bench-venv), generates the
# files into BENCH_DIR (default /tmp/ecstat-bench; generated files are reused) and prints
# Markdown for BENCHMARKS.md. Exit 1 when the two engines' figures differ.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ecstat-target}"
profile=release
args=()
for a in "$@"; do
    if [ "$a" = --smoke ]; then
        profile=debug
        args+=(--rows 100k --runs 1)
    else
        args+=("$a")
    fi
done
if [ "$profile" = release ]; then
    cargo build --release --locked --quiet -p ecstat-cli -p ecstat-samplegen
else
    cargo build --locked --quiet -p ecstat-cli -p ecstat-samplegen
fi

venv="${BENCH_VENV:-$HOME/.cache/ecstat-bench-venv}"
duckdb_pin="duckdb==2.0.1" # as notebooks/requirements.txt
if ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --no-input --disable-pip-version-check "$duckdb_pin"
fi

if [ "$profile" = release ]; then
    # Generated files are kept and reused between runs.
    exec "$venv/bin/python" bench/bench.py --bin "$CARGO_TARGET_DIR/$profile" \
        --work "${BENCH_DIR:-/tmp/ecstat-bench}" "${args[@]}"
fi
work="${BENCH_DIR:-$(mktemp -d)}"
status=0
"$venv/bin/python" bench/bench.py --bin "$CARGO_TARGET_DIR/$profile" --work "$work" \
    "${args[@]}" || status=$?
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
exit "$status"
