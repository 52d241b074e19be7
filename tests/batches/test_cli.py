"""`python -m api.batches`: create a batch of an organization's charges and follow it."""

from __future__ import annotations

import io
import random
import re

from api.batches.__main__ import run_async
from devkit.charges import generate_charges
from seed.loader import load_charges
from tests.invoices.conftest import ORG_ID, Harness

PROGRESS = re.compile(
    r"^batch (?P<id>[0-9a-f-]{36}) (?P<status>QUEUED|RUNNING|COMPLETED) \| (?P<done>\d+)/5 done "
    r"\((?P<completed>\d+) completed, (?P<failed>\d+) failed, (?P<skipped>\d+) skipped\), \d+ running, "
    r"\d+ queued \| \d+\.\d/s \| ETA (-|\d+s|\d+m\d\ds)$"
)


async def test_create_follow_prints_progress_lines_and_a_summary(batches: Harness) -> None:
    charges = generate_charges(5, tag="CLI", rng=random.Random(11), max_lines=2)
    for charge in charges:
        charge["issue_date"] = "2032-07-15T00:00:00.000Z"
    charges[4]["issue_date"] = "2032-08-01T00:00:00.000Z"  # outside the range
    await load_charges(batches.db, charges, progress=None)
    out = io.StringIO()
    assert batches.settings.database_url
    argv = [
        "create",
        "--org",
        ORG_ID,
        "--from",
        "2032-07-01",
        "--to",
        "2032-07-31",
        "--follow",
        "--interval",
        "0.1",
    ]
    # One more charge in the range the batch cannot invoice: its customer is not reconciled.
    broken = generate_charges(1, tag="CLI-BROKEN", rng=random.Random(12), max_lines=1)[0]
    broken["issue_date"] = "2032-07-20T00:00:00.000Z"
    broken["stream_customer_id"] = None
    broken.pop("stream_customer", None)
    await load_charges(batches.db, [broken], progress=None)

    code = await run_async(argv, batches.settings.database_url, out)

    lines = out.getvalue().splitlines()
    assert code == 0, lines
    assert re.fullmatch(r"created batch [0-9a-f-]{36}: 5 charges", lines[0]), lines[0]
    progress = [PROGRESS.match(line) for line in lines[1:-2]]
    assert progress and all(progress), lines
    assert progress[-1] is not None and progress[-1]["status"] == "COMPLETED"
    assert progress[-1]["done"] == "5" and progress[-1].group(0).endswith("ETA 0s")
    assert re.fullmatch(
        r"batch [0-9a-f-]{36} COMPLETED in \d+s: 4 completed, 1 failed, 0 skipped of 5 \(\d+\.\d charges/s\)",
        lines[-2],
    ), lines[-2]
    assert lines[-1] == "failed: UNRECONCILED_CUSTOMER 1"


async def test_show_and_cancel_name_the_batch_and_an_unknown_one_is_an_error(batches: Harness) -> None:
    assert batches.settings.database_url
    out = io.StringIO()
    created = await batches.client.post(
        "/invoice-batches", json={"charge_ids": ["6f0c1a2e-1111-4c1e-9a11-0000000000ff"]}
    )
    batch_id = created.json()["id"]

    assert (
        await run_async(
            ["show", batch_id, "--follow", "--interval", "0.1"], batches.settings.database_url, out
        )
        == 0
    )
    assert (
        await run_async(["show", "6f0c1a2e-1111-4c1e-9a11-0000000000fe"], batches.settings.database_url, out)
        == 1
    )

    lines = out.getvalue().splitlines()
    assert lines[-2].startswith(f"batch {batch_id} COMPLETED in ")
    assert lines[-1] == "failed: NOT_FOUND 1"
