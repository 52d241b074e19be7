"""`python -m api.db migrate`: apply pending migrations to DATABASE_URL."""

from __future__ import annotations

import argparse
import asyncio
import sys

from api.config import get_settings
from api.db.migrate import MigrationError, apply_migrations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.db", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending migrations from prisma/migrations to DATABASE_URL")
    parser.parse_args(argv)

    dsn = get_settings().database_url
    if not dsn:
        print("DATABASE_URL is not set.", file=sys.stderr)
        return 2
    try:
        applied = asyncio.run(apply_migrations(dsn))
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ConnectionError) as exc:
        print(f"error: cannot reach the database: {exc}", file=sys.stderr)
        return 1
    if applied:
        for name in applied:
            print(f"applied {name}")
    else:
        print("No pending migrations.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
