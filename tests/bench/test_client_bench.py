"""`python -m bench.client` and `python -m bench.charge_load` end to end with a few iterations, so
the client benchmarks never rot (no speed assertion): each compares the client with the hand-written
SQL for every case."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from api.paths import PROJECT_ROOT

pytestmark = pytest.mark.e2e

# A report row: the case, then CPU client, by hand, ratio, verdict, wall client, by hand, ratio.
_ROW = r"\s+[\d.]+\s+[\d.]+\s+[\d.]+ (?:ok|OVER)\s+[\d.]+\s+[\d.]+\s+[\d.]+$"


def _run(module: str, *args: str, server_dsn: str) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": server_dsn},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    return finished.stdout


def test_client_benchmark_runs_and_reports_both_cases(server_dsn: str) -> None:
    out = _run("bench.client", "--quick", server_dsn=server_dsn)
    assert re.search(r"^find_unique by id" + _ROW, out, re.MULTILINE), out
    assert re.search(r"^post \+ 25 comments tree" + _ROW, out, re.MULTILINE), out


def test_charge_load_bench_loads_both_charges_both_ways(server_dsn: str) -> None:
    out = _run("bench.charge_load", "--iterations", "5", server_dsn=server_dsn)
    assert re.search(r"^1 lines" + _ROW, out, re.MULTILINE), out
    assert re.search(r"^25 lines" + _ROW, out, re.MULTILINE), out
