"""`python -m bench.scale` end to end on a small batch, so it never rots (no assertion about speed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.scale import run_scale

pytestmark = pytest.mark.e2e


async def test_a_small_scale_run_invoices_every_charge_once_within_the_limit(
    server_dsn: str, tmp_path: Path
) -> None:
    report = await run_scale(
        charges=12,
        rate_limit=30,
        window_s=2.0,
        replicas=2,
        workers=1,
        job_latency=0.05,
        server_dsn=server_dsn,
        log_dir=tmp_path,
    )

    assert (report.completed, report.failed, report.duplicates, report.lost) == (12, 0, 0, 0)
    assert report.rutter_calls >= 24  # a create and at least one poll per charge
    # The shared budget keeps every process under the stand-in's limit (a token taken but sent more
    # than 0.25 s late, on a starved machine, may still meet a 429 now and then).
    assert report.rate_limited <= report.rutter_calls // 20
    assert "duplicates 0 | lost 0" in report.table()
