"""What the Python interoperability tests run on: the ecstat binary and one snapshot.

The snapshot is ``$ECSTAT_DATA_DIR`` when set (CI passes the data directory it made with
``ecstat run``); otherwise the tests run ``ecstat run`` on sample_data into a temporary
directory once. The binary is ``$ECSTAT_BIN``, else the debug build under
``$CARGO_TARGET_DIR`` (default ~/.cache/ecstat-target), else target/debug, else PATH.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "notebooks"))

import ecstat_lake  # noqa: E402  (after the path: it lives in notebooks/)


@functools.cache
def ecstat_bin() -> str:
    candidates = []
    if os.environ.get("ECSTAT_BIN"):
        candidates.append(Path(os.environ["ECSTAT_BIN"]))
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path.home() / ".cache/ecstat-target")
    candidates += [Path(target) / "debug/ecstat", REPO / "target/debug/ecstat"]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    on_path = shutil.which("ecstat")
    if on_path:
        return on_path
    tried = ", ".join(str(c) for c in candidates)
    raise RuntimeError(f"no ecstat binary (tried {tried} and PATH): run `cargo build` first")


@functools.cache
def data_dir() -> Path:
    env = os.environ.get("ECSTAT_DATA_DIR")
    if env:
        return Path(env)
    tmp = Path(tempfile.mkdtemp(prefix="ecstat-interop-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    result = subprocess.run(
        [ecstat_bin(), "--data-dir", str(tmp), "run"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ecstat run failed ({result.returncode}):\n{result.stderr}")
    return tmp


@functools.cache
def snapshot() -> ecstat_lake.Snapshot:
    return ecstat_lake.open_snapshot(data_dir=data_dir())


def ecstat(*args: str) -> str:
    """Run ecstat on the snapshot's data directory; its stdout."""
    result = subprocess.run(
        [ecstat_bin(), "--data-dir", str(data_dir()), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"ecstat {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
        )
    return result.stdout


def ecstat_query(sql: str) -> list[dict[str, Any]]:
    """Rows of a read-only query; every value as ecstat's JSON gives it (cast money to text)."""
    return json.loads(ecstat("query", "--format", "json", "--confidential", sql))
