"""`python -m bench.scale` end to end on a small batch, so it never rots (no assertion about speed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from api.paths import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def test_a_small_scale_run_invoices_every_charge_once_within_the_limit(server_dsn: str) -> None:
    options = ["--charges", "12", "--rate-limit", "30", "--window", "2", "--replicas", "2", "--workers", "1"]
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.scale",
            *options,
            "--job-latency",
            "0.05",
            "--database-url",
            server_dsn,
        ],
        cwd=PROJECT_ROOT,
        env={name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = finished.stdout
    assert finished.returncode == 0, f"{report}\n{finished.stderr[-3000:]}"

    assert re.search(r"batch: 12 completed, 0 failed", report), report
    assert "duplicates 0 | lost 0" in report
    calls = re.search(r"Rutter calls (\d+) \| answered 429: (\d+)", report)
    assert calls is not None, report
    rutter_calls, rate_limited = int(calls[1]), int(calls[2])
    assert rutter_calls >= 24  # a create and at least one poll per charge
    # The shared budget keeps every process under the stand-in's limit (a token taken but sent more
    # than 0.25 s late, on a starved machine, may still meet a 429 now and then).
    assert rate_limited <= rutter_calls // 20
