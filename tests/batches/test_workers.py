"""Workers as their own processes (`python -m api.worker`), and what a dead worker leaves behind."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from api.batches import jobs
from api.batches.queue import ItemJob
from devkit.charges import generate_charges
from devkit.worker import WorkerProcess
from seed.loader import load_charges
from tests.batches.conftest import finished, until
from tests.invoices.conftest import CLEAN_CHARGE, Harness

NO_WORKERS = {"workers_in_process": False}


def worker_env(harness: Harness, **settings: object) -> dict[str, str]:
    s = harness.settings
    assert s.rutter_client_secret is not None and s.database_url
    env = {
        **os.environ,
        "DATABASE_URL": s.database_url,
        "RUTTER_BASE_URL": s.rutter_base_url,
        "RUTTER_CLIENT_ID": s.rutter_client_id or "",
        "RUTTER_CLIENT_SECRET": s.rutter_client_secret.get_secret_value(),
        "RUTTER_POLL_INITIAL_S": "0.05",
        "RUTTER_POLL_MAX_S": "0.2",
        "EMAIL_ENABLED": "false",
        "LOG_LEVEL": "INFO",
    }
    env.update({name.upper(): str(value) for name, value in settings.items()})
    return env


@pytest.fixture
async def workers(tmp_path: Path) -> AsyncIterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        await worker.stop()


async def _new_charges(harness: Harness, count: int) -> list[str]:
    charges = generate_charges(count, tag=f"W{random.randrange(10**6)}", rng=random.Random(), max_lines=2)
    await load_charges(harness.db, charges, progress=None)
    return [charge["id"] for charge in charges]


@pytest.mark.parametrize("settings_overrides", [NO_WORKERS])
async def test_a_job_run_again_after_its_worker_died_makes_no_second_invoice(batches: Harness) -> None:
    created = await batches.client.post("/invoice-batches", json={"charge_ids": [CLEAN_CHARGE]})
    batch_id = created.json()["id"]
    resources: Any = batches.client._transport.app.state.resources  # type: ignore[attr-defined]
    job_resources = jobs.JobResources(resources.settings, resources.pool, resources.db, resources.http)

    await jobs.run_item(job_resources, ItemJob(batch_id, 0))
    first = (await batches.client.get(f"/invoice-batches/{batch_id}")).json()["items"][0]
    # The worker died after the invoice was made and before the job was acknowledged: it runs again.
    await batches.db.execute(
        "UPDATE invoice_batch_item SET status = 'RUNNING', outcome = NULL WHERE batch_id = $1", batch_id
    )
    await batches.db.execute(
        "UPDATE invoice_batch SET status = 'RUNNING', remaining = 1 WHERE id = $1", batch_id
    )
    await jobs.run_item(job_resources, ItemJob(batch_id, 0))

    again = (await batches.client.get(f"/invoice-batches/{batch_id}")).json()
    assert again["status"] == "COMPLETED" and again["counts"]["completed"] == 1
    assert again["items"][0]["outcome"]["request_id"] == first["outcome"]["request_id"]
    assert again["items"][0]["attempts"] == 2
    assert len(batches.sandbox.rutter.invoices) == 1
    assert len([r for r in batches.sandbox.rutter.requests if r["method"] == "POST"]) == 1


@pytest.mark.parametrize("settings_overrides", [NO_WORKERS])
async def test_worker_processes_run_a_batch_and_a_killed_one_loses_nothing(
    batches: Harness, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    charge_ids = await _new_charges(batches, 12)
    batches.sandbox.rutter.hold_jobs()  # no job ends before the kill: it lands mid-way
    batch_id = (await batches.client.post("/invoice-batches", json={"charge_ids": charge_ids})).json()["id"]
    # A short lease: a request the doomed worker already recorded is taken over seconds after the
    # kill (with the default 30 s the retried jobs' backoff could outlast the test's wait).
    doomed = WorkerProcess(
        "worker-doomed", tmp_path, worker_env(batches, batch_job_heartbeat_s=1, invoice_lease_s=2)
    )
    workers.append(doomed)
    await doomed.start()

    async def running() -> int | None:
        n = await batches.count("invoice_batch_item", "batch_id = $1 AND status = 'RUNNING'", batch_id)
        return n or None

    await until(running, "items running in the first worker")
    await doomed.kill()
    batches.sandbox.rutter.release_jobs()
    survivor = WorkerProcess(
        "worker-survivor", tmp_path, worker_env(batches, batch_job_heartbeat_s=1, invoice_lease_s=2)
    )
    workers.append(survivor)
    await survivor.start()

    done = await finished(batches, batch_id, timeout_s=60)

    assert done["counts"]["completed"] == 12, [
        i["outcome"] for i in done["items"] if i["status"] != "COMPLETED"
    ]
    assert len(batches.sandbox.rutter.invoices) == 12
    assert await batches.count("acc_uac_invoice") == 12
    assert max(item["attempts"] for item in done["items"]) >= 2  # the killed worker's jobs ran again
    await survivor.stop()
    assert survivor.process is not None and survivor.process.returncode == 0
