"""`python -m bench.client --quick` end to end, so the client benchmark never rots (no speed assertion)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from api.paths import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def test_client_benchmark_runs_and_reports_both_cases(server_dsn: str) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "bench.client", "--quick"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": server_dsn},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    assert "find_unique by id" in finished.stdout
    assert "post + 25 comments tree" in finished.stdout
