"""A short `python -m bench.faults` in CI: every fault scenario at least once, SIGKILLs included,
with a fixed seed; no charge may end with two invoices, and no created invoice may be lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from api.paths import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def test_randomized_fault_runs_make_no_duplicate_and_lose_no_invoice(server_dsn: str, tmp_path: Path) -> None:
    results = tmp_path / "faults.json"
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.faults",
            "--runs",
            "12",
            "--seed",
            "20261126",
            "--concurrency",
            "4",
            "--database-url",
            server_dsn,
            "--json",
            str(results),
            "--log-dir",
            str(tmp_path / "logs"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    print(finished.stdout, finished.stderr)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(results.read_text())
    assert report["runs"] == 12
    assert report["duplicates"] == []
    assert report["lost"] == []
    assert report["unsettled"] == []
    assert report["anomalies"] == []
    assert report["sandbox_invoices"] == report["stored_invoices"] == 12
    assert report["kills"] >= 1
    # Every scenario (the report names them all) came up at least once.
    assert len(report["scenarios"]) >= 10
    assert all(count >= 1 for name, count in report["scenarios"].items() if name != "clean")
