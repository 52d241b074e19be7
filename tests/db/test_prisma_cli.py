"""The Prisma CLI reads the project's .env like the Python commands, and prints only what applies."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from api.paths import PROJECT_ROOT
from devkit.databases import database_name
from devkit.schema_check import node_dsn

NOISE = ("NOT be used", "Accelerate", "Tip:", "skipping environment variable", "importing your Prisma")


def _project_copy(tmp_path: Path) -> Path:
    """The CLI's configuration and schema in a folder of their own, so that a .env can be written there."""
    root = tmp_path / "project"
    (root / "prisma").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "prisma.config.ts", root / "prisma.config.ts")
    shutil.copy(PROJECT_ROOT / "prisma" / "schema.prisma", root / "prisma" / "schema.prisma")
    shutil.copytree(PROJECT_ROOT / "prisma" / "migrations", root / "prisma" / "migrations")
    shutil.copytree(PROJECT_ROOT / "prisma" / "tools", root / "prisma" / "tools")
    (root / "node_modules").symlink_to(PROJECT_ROOT / "node_modules")
    return root


def _prisma(root: Path, *args: str) -> str:
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    result = subprocess.run(
        [str(root / "node_modules" / ".bin" / "prisma"), *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return f"{result.stdout}{result.stderr}"


def test_prisma_reads_database_url_from_dotenv(prisma_cli: Path, fresh_dsn: str, tmp_path: Path) -> None:
    root = _project_copy(tmp_path)
    database = database_name(fresh_dsn)  # also right for the embedded server's ?host=/socket/dir
    (root / ".env").write_text(f"# local settings\nDATABASE_URL='{node_dsn(fresh_dsn)}'\n", encoding="utf-8")

    output = _prisma(root, "migrate", "status")

    assert "Environment variable not found" not in output
    assert f'database "{database}"' in output, output
    assert not [noise for noise in NOISE if noise in output], output


def test_an_environment_variable_wins_over_dotenv(prisma_cli: Path, tmp_path: Path) -> None:
    root = _project_copy(tmp_path)
    dotenv = "DATABASE_URL=postgresql://postgres@127.0.0.1:1/from_dotenv\n"
    (root / ".env").write_text(dotenv, encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/from_environment"}
    result = subprocess.run(
        [str(root / "node_modules" / ".bin" / "prisma"), "migrate", "status"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert 'database "from_environment"' in f"{result.stdout}{result.stderr}"
