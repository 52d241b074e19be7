"""`python -m bench.scale` end to end with tiny numbers, each of its runs, so they never rot (no
assertion about speed: the goals' verdicts are printed, not checked)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from api.paths import PROJECT_ROOT

pytestmark = pytest.mark.e2e

SMALL_BATCH = ["--charges", "12", "--replicas", "2", "--workers", "1", "--job-latency", "0.05"]


def _scale(server_dsn: str, *options: str) -> str:
    """The command's report (stdout); it must exit 0 (no duplicate, nothing lost)."""
    finished = subprocess.run(
        [sys.executable, "-m", "bench.scale", *options, "--database-url", server_dsn],
        cwd=PROJECT_ROOT,
        env={name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, f"{finished.stdout}\n{finished.stderr[-3000:]}"
    return finished.stdout


def _rutter_calls(report: str) -> tuple[int, int]:
    calls = re.search(r"Rutter calls (\d+) \| answered 429: (\d+)", report)
    assert calls is not None, report
    return int(calls[1]), int(calls[2])


def test_a_small_scale_run_invoices_every_charge_once_within_the_limit(server_dsn: str) -> None:
    report = _scale(server_dsn, *SMALL_BATCH, "--rate-limit", "30", "--window", "2", "--interactive", "2")

    assert re.search(r"batch: 12 completed, 0 failed", report), report
    assert "duplicates 0 | lost 0" in report
    rutter_calls, rate_limited = _rutter_calls(report)
    assert rutter_calls >= 24  # a create and at least one poll per charge
    # The shared budget keeps every process under the stand-in's limit (a token taken but sent more
    # than 0.25 s late, on a starved machine, may still meet a 429 now and then).
    assert rate_limited <= rutter_calls // 20
    # The two POST /invoices for charges outside the batch, sent while it ran.
    assert re.search(r"interactive POST /invoices during the batch: 2/2 answered 201", report), report


def test_a_worker_killed_half_way_through_the_batch_loses_no_charge_and_invoices_none_twice(
    server_dsn: str,
) -> None:
    # 5 calls a second: the batch takes seconds, so the kill lands while charges run; a dead
    # worker's jobs run again after 1 s without a heartbeat.
    options = ["--rate-limit", "10", "--window", "2", "--kill-worker-at", "0.5", "--replace-worker"]
    report = _scale(server_dsn, *SMALL_BATCH, *options, "--job-heartbeat", "1")

    assert re.search(r"batch: 12 completed, 0 failed", report), report
    assert "duplicates 0 | lost 0" in report
    killed = re.search(r"worker killed: worker-0 SIGKILLed at (\d+)/12 done .*worker-1 started", report)
    assert killed is not None, report
    assert 6 <= int(killed[1]) <= 12


def test_requests_abandoned_by_a_killed_replica_are_finished_by_the_others_sweeps(server_dsn: str) -> None:
    options = ["--abandoned", "6", "--replicas", "2", "--job-latency", "0.5", "--lease", "1"]
    report = _scale(server_dsn, *options)

    assert re.search(r"abandoned: 6 requests recorded by a replica SIGKILLed at once", report), report
    assert re.search(r"recovery: 6 completed, 0 failed; all settled [\d.]+ s after the kill", report), report
    assert "duplicates 0 | lost 0" in report
    rutter_calls, _ = _rutter_calls(report)
    assert rutter_calls >= 12  # a create and at least one poll per request
