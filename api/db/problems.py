"""What went wrong with DATABASE_URL, in one line that names the cause and the fix.

Every command that touches the database (`python -m api.db migrate`, `python -m seed`, the dev
runner, the API's start-up) prints these instead of a traceback.
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import parse_qs, urlsplit

import asyncpg

from api.paths import PROJECT_ROOT

DATABASE_URL_UNSET = (
    "DATABASE_URL is not set: set it (in the environment or in .env) to a PostgreSQL DSN such as "
    "postgresql://postgres@127.0.0.1:5432/invoices, or run `make run`, which starts an embedded PostgreSQL"
)


def command(arguments: str) -> str:
    """`python -m <arguments>` as the user can type it from the project root.

    Inside the project's virtualenv when it is activated, `python` is enough; a process started by
    `make` runs `.venv/bin/python` without it, so that is the command it prints.
    """
    venv = PROJECT_ROOT / ".venv"
    in_project_venv = os.path.realpath(sys.prefix) == os.path.realpath(venv)
    activated = os.path.realpath(os.environ.get("VIRTUAL_ENV", "")) == os.path.realpath(venv)
    python = ".venv/bin/python" if in_project_venv and not activated else "python"
    return f"{python} -m {arguments}"


def _where(dsn: str) -> str:
    try:
        parts = urlsplit(dsn)
        socket_dir = parse_qs(parts.query).get("host", [""])[0]
        host = parts.hostname or socket_dir or "the local socket"
        port = parts.port or 5432
    except ValueError:
        return "DATABASE_URL's server"
    return f"{host}:{port}"


def dsn_problem(dsn: str) -> str | None:
    """What makes `dsn` unusable before any connection is tried, in one line; None when it looks right."""
    try:
        scheme = urlsplit(dsn).scheme
    except ValueError as exc:
        scheme = f"unreadable ({exc})"
    if scheme in {"postgresql", "postgres"}:
        return None
    return (
        f"DATABASE_URL is not a PostgreSQL DSN (scheme {scheme or 'missing'}): write it as "
        "postgresql://user[:password]@host[:port]/database"
    )


def database_problem(exc: BaseException, dsn: str) -> str | None:
    """The one-line explanation of a failure to use the database at `dsn`; None when it is not one."""
    where = _where(dsn)
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        name = urlsplit(dsn).path.lstrip("/") or "the database"
        return (
            f'database "{name}" does not exist on {where}: create it (`createdb {name}`, or '
            "`CREATE DATABASE` in psql) or point DATABASE_URL at another one"
        )
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return f"PostgreSQL at {where} refused the login ({exc}): fix the user or password in DATABASE_URL"
    if isinstance(exc, asyncpg.ClientConfigurationError):
        return (
            f"DATABASE_URL is not a PostgreSQL DSN ({exc}): write it as "
            "postgresql://user[:password]@host[:port]/database"
        )
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {where} ({exc.strerror or exc}): fix the host in DATABASE_URL"
    unreachable = OSError | TimeoutError | asyncpg.CannotConnectNowError | asyncpg.ConnectionDoesNotExistError
    if isinstance(exc, unreachable):
        return (
            f"cannot reach PostgreSQL at {where} ({exc}): start the server, or fix the host and port in "
            "DATABASE_URL"
        )
    return None
