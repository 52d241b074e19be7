"""The FastAPI application: create_app() and its lifespan (one pool, one HTTP session)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import health, worker
from api.batches import router as batches
from api.config import Settings, get_settings
from api.db.pool import create_pool
from api.db.problems import DATABASE_URL_UNSET, dsn_problem
from api.deps import Resources, http_session
from api.docs import install_docs
from api.errors import install_error_handlers
from api.invoices import repository
from api.invoices import router as invoices
from api.keys.auth import ApiKeyMiddleware, Authenticator
from api.limits import BodyLimitMiddleware, ConcurrencyLimitMiddleware
from api.logging import configure_logging, install_log_context
from api.middleware import RequestContextMiddleware
from api.rutter import budget
from api.server import log_exhausted_descriptors
from prisma import Prisma

logger = logging.getLogger("api.main")


class ConfigurationError(RuntimeError):
    """The service cannot start with the settings it was given."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the app; resources are opened when it starts and closed when it stops."""
    settings = settings or get_settings()
    install_log_context()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.database_url:
            raise ConfigurationError(DATABASE_URL_UNSET)
        if problem := dsn_problem(settings.database_url):
            raise ConfigurationError(problem)
        log_exhausted_descriptors(asyncio.get_running_loop())
        pool = await create_pool(
            settings.database_url,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
            timeout_s=settings.db_timeout_s,
            statement_cache_size=settings.db_statement_cache_size,  # PgBouncer hook
        )
        http = http_session(settings)
        budget.attach(http, budget.RutterBudget.from_settings(pool, settings))  # budget hook
        resources = Resources.open(settings, pool, Prisma(pool=pool), http)
        app.state.resources = resources
        settle_garbage_collector()
        # Set once the start-up sweep has run (tests wait for it; nothing else needs to).
        app.state.first_sweep_done = asyncio.Event()
        housekeeping = asyncio.create_task(_housekeeping(resources, app.state.first_sweep_done))
        # Batches hook: the batch workers of this process (WORKERS_IN_PROCESS).
        workers = (
            worker.start_in_background(settings, pool, resources.db, http)
            if settings.workers_in_process
            else None
        )
        app.state.batch_worker = workers
        try:
            yield
        finally:
            if workers is not None:
                await workers.stop()
            housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await housekeeping
            await http.close()
            await pool.close()

    app = FastAPI(
        title="streamOS invoice service",
        version="0.1.0",
        description="Turns a streamOS charge into an invoice in the customer's accounting system via Rutter.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # /invoices/ is an unknown path (404 NOT_FOUND), not a 307 to /invoices built from the Host
        # header for every method, POST included.
        redirect_slashes=False,
    )
    # The last added runs first: request id and access log, the ceiling on requests in progress,
    # the API key (401 before anything else), then the body's size and read deadline.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        read_timeout_s=settings.request_read_timeout_s,
    )
    app.add_middleware(ApiKeyMiddleware, authenticator=Authenticator(settings.api_key_cache_s))
    app.add_middleware(ConcurrencyLimitMiddleware, max_requests=settings.max_concurrent_requests)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(StartupErrorInOneLine)
    install_error_handlers(app)
    app.include_router(invoices.router)
    app.include_router(batches.router)  # batches hook
    app.include_router(health.router)
    install_docs(app)
    return app


# Young-generation collections every this many container allocations (CPython's default is 700).
GC_YOUNG_THRESHOLD = 20_000


def settle_garbage_collector() -> None:
    """After start-up: what exists now (modules, the generated client's models, settings, pools)
    lives as long as the process, so it is moved out of the collector's sight (gc.freeze) and young
    collections run less often. A request's garbage is freed by reference counting; the collector
    only looks for cycles, and scanning the start-up heap for them was most of its cost."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


class StartupErrorInOneLine:
    """Reports a ConfigurationError at start-up as its message alone, where the server would print
    the whole traceback (uvicorn logs the lifespan's failure message as it is)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_in_one_line(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                last_line = str(message.get("message", "")).strip().splitlines()[-1:]
                prefix = f"{ConfigurationError.__module__}.{ConfigurationError.__qualname__}: "
                if last_line and last_line[0].startswith(prefix):
                    message = {**message, "message": last_line[0].removeprefix(prefix)}
            await send(message)

        await self.app(scope, receive, send_in_one_line)


async def _housekeeping(resources: Resources, first_sweep_done: asyncio.Event) -> None:
    """At start-up and then every RECOVERY_INTERVAL_S: finish abandoned requests, forget old keys."""
    settings = resources.settings
    budget.use_priority(budget.Priority.BATCH)  # budget hook: the sweep leaves the reserve to callers
    service = resources.invoice_service()
    while True:
        try:
            recovered = await service.recover_pending()
            pruned = await repository.prune_idempotency_keys(resources.db, settings.idempotency_key_ttl_hours)
            if recovered or pruned:
                logger.info("housekeeping", extra={"recovered_requests": recovered, "pruned_keys": pruned})
        except Exception:
            # The database may be down; the next round tries again.
            logger.warning("housekeeping_failed", exc_info=True)
        first_sweep_done.set()
        if settings.recovery_interval_s <= 0:
            return
        await asyncio.sleep(settings.recovery_interval_s)


def app_from_environment() -> FastAPI:
    """The app as deployed (`uvicorn api.main:app`, or `--factory api.main:app_from_environment`):
    settings from the environment, JSON log lines on stderr."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)


_app: FastAPI | None = None


def __getattr__(name: str) -> FastAPI:
    # `api.main:app` is built on first access, not on import: importing this module (tests, tools)
    # neither reads the environment nor replaces the process's log handlers.
    global _app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = app_from_environment()
    return _app
