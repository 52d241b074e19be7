"""`python -m api.keys create | list | revoke` against the run's database."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg

from api.keys.tokens import KEY_PREFIX, hash_key
from api.paths import PROJECT_ROOT
from devkit.demo import ORGANIZATION_ID

ORG_ID = ORGANIZATION_ID


def keys_cli(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn}
    return subprocess.run(
        [sys.executable, "-m", "api.keys", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_create_prints_the_key_alone_on_the_last_line(database_dsn: str, db: asyncpg.Pool) -> None:
    created = keys_cli(database_dsn, "create", "--all", "--name", "backend")
    assert created.returncode == 0, created.stderr
    key = created.stdout.splitlines()[-1]
    assert key.startswith(KEY_PREFIX) and " " not in key
    row = await db.fetchrow("SELECT * FROM api_key WHERE key_hash = $1", hash_key(key))
    assert row is not None and row["all_organizations"] and row["name"] == "backend"


async def test_create_for_an_organization(database_dsn: str, db: asyncpg.Pool) -> None:
    created = keys_cli(database_dsn, "create", "--org", ORG_ID.upper())
    assert created.returncode == 0, created.stderr
    row = await db.fetchrow(
        "SELECT * FROM api_key WHERE key_hash = $1", hash_key(created.stdout.splitlines()[-1])
    )
    assert row is not None and row["organization_id"] == ORG_ID and not row["all_organizations"]


async def test_list_shows_ids_and_scopes_never_keys(database_dsn: str, db: asyncpg.Pool) -> None:
    key = keys_cli(database_dsn, "create", "--org", ORG_ID, "--name", "billing").stdout.splitlines()[-1]
    listed = keys_cli(database_dsn, "list")
    assert listed.returncode == 0, listed.stderr
    key_id = await db.fetchval("SELECT id FROM api_key WHERE key_hash = $1", hash_key(key))
    assert str(key_id) in listed.stdout
    assert "billing" in listed.stdout and f"organization {ORG_ID}" in listed.stdout
    assert key not in listed.stdout and hash_key(key) not in listed.stdout


async def test_revoke(database_dsn: str, db: asyncpg.Pool) -> None:
    key = keys_cli(database_dsn, "create", "--all").stdout.splitlines()[-1]
    key_id = str(await db.fetchval("SELECT id FROM api_key WHERE key_hash = $1", hash_key(key)))
    revoked = keys_cli(database_dsn, "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert await db.fetchval("SELECT revoked_at FROM api_key WHERE id = $1", key_id) is not None
    unknown = keys_cli(database_dsn, "revoke", "00000000-0000-4000-8000-000000000000")
    assert unknown.returncode == 1 and "no key" in unknown.stderr


def test_create_needs_a_scope(database_dsn: str) -> None:
    assert keys_cli(database_dsn, "create").returncode == 2
    assert keys_cli(database_dsn, "create", "--org", "not-a-uuid").returncode == 2
