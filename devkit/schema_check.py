"""`python -m devkit.schema_check`: exits non-zero when schema.prisma, the migrations and the Prisma
client disagree (the drift check: `make check-generated`, CI)."""

# 0. The baseline migration must be exactly what Prisma makes of streamOS's part of the schema, and the
#    service's migrations must never drop or alter one of streamOS's tables or types.
# 1. The Prisma client is regenerated into a temporary directory by the Prisma CLI and compared, file by
#    file, with the one committed in prisma/ (prisma_asyncpg.generator.check).
# 2. The committed migrations are applied (api.db.migrate) to a temporary database, which the Prisma CLI
#    introspects (`db pull`) and diffs against the schema (`migrate diff --exit-code`). `migrate diff
#    --from-url` would be the direct way, but the CLI refuses it when prisma.config.ts sets a driver adapter.

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from api.config import get_settings
from api.db.migrate import BASELINE, MigrationError, apply_migrations, read_migrations
from api.paths import MIGRATIONS_DIR, PROJECT_ROOT, SCHEMA_PATH
from devkit import embedded
from devkit.databases import create_database, drop_database
from devkit.schema_parts import block_names, streamos_schema
from prisma_asyncpg.generator.check import drift, regenerate

PRISMA = PROJECT_ROOT / "prisma" / "tools" / "prisma.sh"
EMBEDDED_DATA_DIR = PROJECT_ROOT / ".data" / "check-postgres"
MAX_DIFF_LINES = 80

INTROSPECTION_SCHEMA = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'


def node_dsn(dsn: str) -> str:
    """A DSN Prisma's CLI reads fully: `postgres:@/db?host=/dir` (Unix socket) gets a placeholder host."""
    parts = urlsplit(dsn)
    user, _, host = parts.netloc.rpartition("@")
    if host:
        return dsn
    user = user.removesuffix(":")
    return urlunsplit((parts.scheme, f"{user}@localhost" if user else "localhost", *parts[2:]))


def run_prisma(args: list[str], dsn: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs the project's Prisma CLI (prisma/tools/prisma.sh) on `dsn`."""
    environment = {**os.environ, **env, "DATABASE_URL": node_dsn(dsn)}
    return subprocess.run(  # noqa: S603 - fixed program, arguments built here
        [str(PRISMA), *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def shown(path: Path) -> str:
    """A path as the developer reads it: relative to the project when inside it."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"{result.stdout}{result.stderr}".strip()


def check_client(
    workdir: Path, schema: Path = SCHEMA_PATH, committed: Path = SCHEMA_PATH.parent
) -> list[str]:
    """Regenerates the Prisma client into `workdir` and compares it with the committed one."""
    fresh = workdir / "client"
    try:
        regenerate([str(PRISMA)], schema, "client", fresh)
    except subprocess.CalledProcessError as exc:
        return [f"`prisma generate` failed (exit {exc.returncode}):\n{exc.stdout}{exc.stderr}".strip()]
    problems = drift(committed, fresh)
    if not problems:
        return []
    excerpt = "\n".join(problems)
    lines = excerpt.splitlines()
    if len(lines) > MAX_DIFF_LINES:
        excerpt = "\n".join(lines[:MAX_DIFF_LINES]) + "\n..."
    return [
        f"the Prisma client in {shown(committed)} is not what `prisma generate` makes of {shown(schema)}:\n"
        f"{excerpt}\nRegenerate it with `make generate` (prisma/tools/prisma.sh generate) and commit it."
    ]


def check_migrations(
    dsn: str,
    workdir: Path,
    new_migration: str | None = None,
    schema: Path = SCHEMA_PATH,
    migrations: Path = MIGRATIONS_DIR,
) -> list[str]:
    """Applies the migrations to the empty database `dsn` and diffs the result against the schema."""
    try:
        asyncio.run(apply_migrations(dsn, migrations))
    except MigrationError as exc:
        return [f"the committed migrations do not apply to an empty database: {exc}"]
    introspected = workdir / "introspected" / "schema.prisma"
    introspected.parent.mkdir()
    introspected.write_text(INTROSPECTION_SCHEMA, encoding="utf-8")
    pulled = run_prisma(["db", "pull", "--schema", str(introspected)], dsn)
    if pulled.returncode != 0:
        failure = f"`prisma db pull` of the migrated database failed (exit {pulled.returncode})"
        return [f"{failure}:\n{output_of(pulled)}"]
    diff_args = ["migrate", "diff", "--from-schema-datamodel", str(introspected)]
    diff_args += ["--to-schema-datamodel", str(schema), "--script", "--exit-code"]
    diff = run_prisma(diff_args, dsn)
    if diff.returncode == 0:
        return []
    if diff.returncode != 2:
        return [f"`prisma migrate diff` failed (exit {diff.returncode}):\n{output_of(diff)}"]
    if new_migration:
        script = migrations / f"{datetime.now(UTC):%Y%m%d%H%M%S}_{new_migration}" / "migration.sql"
        script.parent.mkdir(parents=True)
        script.write_text(diff.stdout, encoding="utf-8")
        print(f"wrote {shown(script)}; review it, then run the check again.")
        return []
    return [
        f"{shown(schema)} differs from what {shown(migrations)} create. The missing migration:\n"
        f"{diff.stdout.strip()}\n"
        "Write it as a new migration with `python -m devkit.schema_check --new-migration <snake_case_name>`, "
        "review it and commit it (never edit a migration that was applied somewhere)."
    ]


def check_baseline(
    dsn: str,
    workdir: Path,
    write: bool = False,
    schema: Path = SCHEMA_PATH,
    migrations: Path = MIGRATIONS_DIR,
) -> list[str]:
    """The baseline is Prisma's script for streamOS's part of the schema, byte for byte.

    With `write`, the baseline is (re)written first.
    """
    part = workdir / "streamos" / "schema.prisma"
    part.parent.mkdir()
    part.write_text(streamos_schema(schema.read_text(encoding="utf-8")), encoding="utf-8")
    result = run_prisma(
        ["migrate", "diff", "--from-empty", "--to-schema-datamodel", str(part), "--script"], dsn
    )
    if result.returncode != 0:
        failure = f"`prisma migrate diff` of streamOS's part failed (exit {result.returncode})"
        return [f"{failure}:\n{output_of(result)}"]
    baseline = migrations / BASELINE / "migration.sql"
    if write:
        baseline.parent.mkdir(parents=True, exist_ok=True)
        baseline.write_text(result.stdout, encoding="utf-8")
        print(f"wrote {shown(baseline)}")
    current = baseline.read_text(encoding="utf-8") if baseline.is_file() else ""
    if current == result.stdout:
        return []
    return [
        f"{shown(baseline)} is not what Prisma makes of streamOS's part of {shown(schema)}. streamOS's "
        "models change only when streamOS's schema does; regenerate the baseline with "
        "`python -m devkit.schema_check --write-baseline` (never edit one that was applied somewhere)."
    ]


# A statement that would change or remove something that exists: DROP ..., ALTER TABLE/TYPE/INDEX.
_CHANGING_STATEMENT = re.compile(
    r'^\s*((DROP|ALTER)\s+(\w+)(?:\s+CONCURRENTLY)?(?:\s+IF\s+EXISTS)?(?:\s+ONLY)?\s+"(\w+)")',
    re.I | re.M,
)
# Where each index was made: `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] "name" ON "table"`.
_CREATE_INDEX = re.compile(
    r'^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"(\w+)"'
    r'\s+ON\s+(?:ONLY\s+)?"(\w+)"',
    re.I | re.M,
)


def check_service_migrations(schema: Path = SCHEMA_PATH, migrations: Path = MIGRATIONS_DIR) -> list[str]:
    """The service's migrations never drop or alter one of streamOS's tables, types or indexes, and
    drop nothing of their own but indexes an earlier migration made on a service table (an index
    holds no data)."""
    text = schema.read_text(encoding="utf-8")
    streamos = block_names(streamos_schema(text))
    own_tables = block_names(text) - streamos
    problems = []
    index_tables: dict[str, str] = {}  # index -> its table, from the migrations read so far
    for migration in read_migrations(migrations):
        if migration.name != BASELINE:
            for match in _CHANGING_STATEMENT.finditer(migration.script):
                verb, kind, name = match.group(2).upper(), match.group(3).upper(), match.group(4)
                if kind == "INDEX" and index_tables.get(name) in own_tables:
                    continue
                if verb == "DROP" or kind == "INDEX" or name in streamos:
                    problems.append(
                        f"{migration.name}: `{match.group(0).strip()}` changes what streamOS owns or "
                        "drops something; the service's migrations only add their own objects, and "
                        "drop only indexes they made on the service's own tables"
                    )
        index_tables.update(_CREATE_INDEX.findall(migration.script))
    return problems


def migration_name(text: str) -> str:
    """Validates a `--new-migration` name: snake_case, as Prisma names migration folders."""
    if not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a snake_case name")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devkit.schema_check", description=__doc__)
    parser.add_argument(
        "--new-migration",
        metavar="NAME",
        type=migration_name,
        help="write the missing migration to prisma/migrations/<now>_NAME",
    )
    parser.add_argument(
        "--write-baseline",
        action="store_true",
        help=f"rewrite prisma/migrations/{BASELINE} from streamOS's part of the schema",
    )
    args = parser.parse_args(argv)

    server_dsn = embedded.server_dsn(get_settings().database_url, EMBEDDED_DATA_DIR)
    try:
        dsn = asyncio.run(create_database(server_dsn, "schema_check"))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: cannot create a temporary database on {server_dsn}: {exc}", file=sys.stderr)
        return 1
    try:
        with tempfile.TemporaryDirectory(prefix="schema-check-") as workdir:
            problems = check_service_migrations()
            problems += check_baseline(dsn, Path(workdir), write=args.write_baseline)
            problems += check_client(Path(workdir))
            problems += check_migrations(dsn, Path(workdir), args.new_migration)
    finally:
        asyncio.run(drop_database(server_dsn, dsn))
    for problem in problems:
        print(f"error: {problem}\n", file=sys.stderr)
    if problems:
        return 1
    print(
        "OK: prisma/schema.prisma, prisma/migrations (streamOS baseline and the service's own) "
        "and the Prisma client in prisma/ agree."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
