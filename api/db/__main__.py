"""`python -m api.db migrate [--baseline]`: apply pending migrations to DATABASE_URL."""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from api.config import get_settings
from api.db.migrate import MigrationError, apply_migrations
from api.db.problems import DATABASE_URL_UNSET, database_problem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.db", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser(
        "migrate", help="apply pending migrations from prisma/migrations to DATABASE_URL"
    )
    migrate.add_argument(
        "--baseline",
        action="store_true",
        help="the database already holds streamOS's tables: record the streamOS baseline as applied "
        "without running it, then apply the service's own migrations",
    )
    args = parser.parse_args(argv)

    dsn = get_settings().database_url
    if not dsn:
        print(f"error: {DATABASE_URL_UNSET}", file=sys.stderr)
        return 2
    try:
        done = asyncio.run(apply_migrations(dsn, baseline=args.baseline))
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        problem = database_problem(exc, dsn)
        print(f"error: {problem or f'cannot use the database: {exc}'}", file=sys.stderr)
        return 1
    if done:
        for line in done:
            print(line)
    else:
        print("No pending migrations.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
