"""The project's generated Prisma client (prisma/): the README's example runs and type-checks as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import asyncpg

from api.paths import PROJECT_ROOT
from seed.loader import demo_payload, load_charges
from tests.invoices.factories import API_CALLS_RUTTER_ITEM_ID, PLATFORM_FEE_RUTTER_ITEM_ID


def readme_example() -> str:
    """The first Python block of the README's "The Prisma client" section."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The Prisma client", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's Prisma client section has no python example"
    return match.group(1)


async def test_readme_example_runs_verbatim(db: asyncpg.Pool, database_dsn: str, tmp_path: Path) -> None:
    await load_charges(db, demo_payload(), progress=None)
    script = tmp_path / "example.py"
    script.write_text(readme_example(), encoding="utf-8")

    result = subprocess.run(  # noqa: ASYNC221 - the example must run as its own process
        [sys.executable, str(script)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_dsn, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        f"Platform fee 1500.00 {PLATFORM_FEE_RUTTER_ITEM_ID}",
        f"Usage \N{EN DASH} API calls 250.00 {API_CALLS_RUTTER_ITEM_ID}",
    ]
    assert len(lines) == 4  # the sub-total row and the product-less note are lines of the charge too


def test_readme_example_type_checks_strictly(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(readme_example(), encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(script)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "MYPYPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
