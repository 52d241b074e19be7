"""`python -m seed` as a process: exit status, stdout summary, stderr errors and progress."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import asyncpg

from api.paths import PROJECT_ROOT
from tests.seed.examples import example_charge, numbered_charges, row_counts


async def _seed(*args: str, database_url: str | None) -> tuple[int, str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("STREAMOS_")}
    env["DATABASE_URL"] = database_url or ""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "seed",
        *args,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_seed_without_options_loads_the_demo_charges(db: asyncpg.Pool, database_dsn: str) -> None:
    status, stdout, stderr = await _seed(database_url=database_dsn)

    assert status == 0, stderr
    assert stdout.splitlines()[0] == "Loaded 6 charges."
    assert "uac_invoice" in stdout
    assert (await row_counts(db))["uac_invoice"] == 6


async def test_seed_file_that_is_bad_exits_1_with_the_reason(
    db: asyncpg.Pool, database_dsn: str, tmp_path: Path
) -> None:
    charge = example_charge()
    charge["line_items"][1]["quantity"] = "abc"
    bad_file = tmp_path / "bad.json"
    bad_file.write_text(json.dumps({"data": [example_charge(), charge]}))

    status, stdout, stderr = await _seed("--file", str(bad_file), database_url=database_dsn)

    assert status == 1
    assert stdout == ""
    assert stderr.startswith("error: charges[1].line_items[1].quantity: Input should be a valid number")
    assert "Traceback" not in stderr
    assert sum((await row_counts(db)).values()) == 0


async def test_seed_large_file_reports_progress_on_stderr(
    db: asyncpg.Pool, database_dsn: str, tmp_path: Path
) -> None:
    big_file = tmp_path / "big.json"
    big_file.write_text(json.dumps(numbered_charges(150)))

    status, stdout, stderr = await _seed("--file", str(big_file), database_url=database_dsn)

    assert status == 0, stderr
    assert "seed: validated 100/150 charges" in stderr.splitlines()
    assert "seed: loaded 150 charges" in stderr.splitlines()
    assert stdout.startswith("Loaded 150 charges.")
    assert (await row_counts(db))["uac_invoice"] == 150


async def test_seed_without_database_url_says_what_to_do() -> None:
    status, _, stderr = await _seed(database_url=None)

    assert status == 2
    assert "DATABASE_URL is not set" in stderr
    assert "make run" in stderr
