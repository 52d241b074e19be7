"""Batch workers: inside the API process (WORKERS_IN_PROCESS, the default) or on their own with
`python -m api.worker`, as many processes as wanted; they share the queue and the Rutter budget.

    python -m api.worker            # runs until SIGINT/SIGTERM; in-flight jobs finish or come back
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

import aiohttp
import asyncpg
from pgqueuer import QueueManager
from pgqueuer.executors import DatabaseRetryEntrypointExecutor
from pgqueuer.models import Job
from pgqueuer.types import Channel

from api.batches.jobs import JobResources, run_item
from api.batches.queue import ENTRYPOINT, QUEUE_SETTINGS, ItemJob, ensure_schema, queries_for
from api.config import Settings, get_settings
from api.db.pool import create_pool
from api.db.problems import DATABASE_URL_UNSET
from api.deps import http_session
from api.logging import configure_logging, install_log_context
from api.rutter import budget
from prisma import Prisma

logger = logging.getLogger("api.worker")

# Waits before trying again to start when the database cannot be reached.
START_RETRY_S = 2.0
# How long stopping waits for the jobs in flight.
STOP_GRACE_S = 30.0


class BatchWorker:
    """Takes batch jobs from the queue and runs them, at most BATCH_WORKER_CONCURRENCY at once."""

    def __init__(self, resources: JobResources) -> None:
        self.resources = resources
        self.manager: QueueManager | None = None
        self._stopping = asyncio.Event()
        self.started = asyncio.Event()  # set once it listens to the queue (tests wait for it)

    async def run(self) -> None:
        """Until stop(): (re)connects, then takes jobs; a lost database is retried, never fatal."""
        settings = self.resources.settings
        dsn = settings.queue_database_url or settings.database_url
        assert dsn
        while not self._stopping.is_set():
            try:
                await ensure_schema(dsn, timeout_s=settings.db_timeout_s)
                async with await _queue_pool(dsn, settings.db_timeout_s) as queue_pool:
                    await self._run_manager(queue_pool)
            except Exception:
                # The database away (or anything else): the worker comes back rather than dying.
                logger.warning("batch_worker_restarting", exc_info=True)
            if not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), START_RETRY_S)

    async def _run_manager(self, queue_pool: asyncpg.Pool) -> None:
        settings = self.resources.settings
        manager = QueueManager(queries_for(queue_pool), channel=Channel(QUEUE_SETTINGS.channel))
        resources = self.resources

        def executor(parameters: object) -> DatabaseRetryEntrypointExecutor:
            # An exception the job did not turn into an outcome (the database away while recording
            # it) is retried by the queue rather than dropping the job.
            return DatabaseRetryEntrypointExecutor(parameters=parameters, max_attempts=20)  # type: ignore[arg-type]

        @manager.entrypoint(ENTRYPOINT, executor_factory=executor)
        async def invoice_batch_item(job: Job) -> None:
            await run_item(resources, ItemJob.parse(job.payload))

        self.manager = manager
        if self._stopping.is_set():
            return
        concurrency = max(2, settings.batch_worker_concurrency)
        runner = asyncio.create_task(
            manager.run(
                batch_size=max(1, concurrency // 2),
                max_concurrent_tasks=2 * max(1, concurrency // 2),
                heartbeat_timeout=timedelta(seconds=settings.batch_job_heartbeat_s),
            )
        )
        self.started.set()
        await runner

    def stop(self) -> None:
        self._stopping.set()
        if self.manager is not None:
            self.manager.shutdown.set()


async def _queue_pool(dsn: str, timeout_s: float) -> asyncpg.Pool:
    """pgqueuer's own small pool: its LISTEN connection stays out of the service's pool."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, timeout=timeout_s)
    assert pool is not None
    return pool


class RunningWorker:
    """A worker started in the background of a process (the API's lifespan, or main())."""

    def __init__(self, worker: BatchWorker) -> None:
        self.worker = worker
        self.task = asyncio.create_task(worker.run())

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Lets the jobs in flight finish (up to `grace_s`); a job cut short comes back to another worker."""
        self.worker.stop()
        if self.worker.manager is None:
            self.task.cancel()  # still connecting: nothing in flight
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self.task, grace_s)


def start_in_background(
    settings: Settings, pool: asyncpg.Pool, db: Prisma, http: aiohttp.ClientSession
) -> RunningWorker:
    return RunningWorker(BatchWorker(JobResources(settings=settings, pool=pool, db=db, http=http)))


async def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    install_log_context()
    if not settings.database_url:
        logger.error(DATABASE_URL_UNSET)
        return 2
    pool = await create_pool(
        settings.database_url,
        min_size=0,
        max_size=settings.db_pool_max_size,
        timeout_s=settings.db_timeout_s,
        statement_cache_size=settings.db_statement_cache_size,
    )
    async with http_session(settings) as http:
        budget.attach(http, budget.RutterBudget.from_settings(pool, settings))
        running = start_in_background(settings, pool, Prisma(pool=pool), http)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, running.worker.stop)
        logger.info("batch_worker_started", extra={"concurrency": settings.batch_worker_concurrency})
        await running.task
    await pool.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
