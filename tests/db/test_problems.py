"""Every command that needs the database fails in one line naming the cause and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import MutableMapping
from typing import Any

import pytest

from api.config import Settings
from api.main import create_app
from api.paths import PROJECT_ROOT
from devkit.databases import with_database

UNREACHABLE = "postgresql://postgres@127.0.0.1:9/invoices"
NOT_A_DSN = "mysql://root@localhost/invoices"


def _run(module: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", *module.split()],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("module", ["api.db migrate", "seed"])
@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("", "DATABASE_URL is not set: set it"),
        (UNREACHABLE, "cannot reach PostgreSQL at 127.0.0.1:9"),
        (NOT_A_DSN, "DATABASE_URL is not a PostgreSQL DSN"),
    ],
)
def test_database_problems_are_one_line(module: str, database_url: str, expected: str) -> None:
    result = _run(module, database_url)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


async def test_missing_database_is_one_line(server_dsn: str) -> None:
    dsn = with_database(server_dsn, "no_such_database_here")
    result = _run("seed", dsn)
    assert result.stderr.count("\n") == 1, result.stderr
    assert 'database "no_such_database_here" does not exist' in result.stderr


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [(None, "DATABASE_URL is not set: set it"), (NOT_A_DSN, "DATABASE_URL is not a PostgreSQL DSN")],
)
async def test_the_api_fails_to_start_with_one_line(database_url: str | None, expected: str) -> None:
    app = create_app(Settings(_env_file=None, database_url=database_url))
    sent: list[MutableMapping[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    with pytest.raises(Exception, match="DATABASE_URL"):
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert sent[0]["message"].startswith(expected)
    assert "\n" not in sent[0]["message"]
