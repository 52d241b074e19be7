"""`python -m seed`: loads charges (with their customers, products, items, organization) into DATABASE_URL.

    python -m seed                          the bundled demo charges (seed/data/demo_charges.json)
    python -m seed --file charges.json      a JSON array of charges, or one, bare or in {"data": ...}
    python -m seed --from-api ID [ID ...]   charges fetched from STREAMOS_BASE_URL

Rerunning updates, never duplicates. Exit status: 0 loaded; 1 nothing written (bad data, streamOS
or database error); 2 usage or missing settings.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import ValidationError

from api.config import Settings, get_settings
from api.db.problems import DATABASE_URL_UNSET, command, database_problem
from seed.loader import LoadSummary, SeedError, demo_payload, load_charges, print_progress, read_charges_file
from seed.streamos import fetch_charges

EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m seed",
        description="Load streamOS charges into DATABASE_URL. Without options: the bundled demo charges.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--file", type=Path, metavar="F.json", help="charges in the streamOS API shape")
    source.add_argument(
        "--from-api", nargs="+", metavar="CHARGE_ID", help="fetch these charges from STREAMOS_BASE_URL"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


async def _payload(options: argparse.Namespace, settings: Settings) -> Any:
    if options.file is not None:
        return read_charges_file(options.file)
    if options.from_api:
        return await fetch_charges(options.from_api, settings)
    return demo_payload()


async def run(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """The command, for callers that already run an event loop; returns the exit status."""
    options = build_parser().parse_args(argv)
    if settings is None:
        try:
            settings = get_settings()
        except ValidationError as exc:
            _error(f"invalid settings: {exc}")
            return EXIT_USAGE
    if not settings.database_url:
        _error(DATABASE_URL_UNSET)
        return EXIT_USAGE
    if options.from_api and not settings.streamos_base_url:
        _error("STREAMOS_BASE_URL is not set: set it (and STREAMOS_API_KEY) to fetch charges from streamOS.")
        return EXIT_USAGE
    try:
        payload = await _payload(options, settings)
        summary: LoadSummary = await load_charges(
            settings.database_url, payload, progress=None if options.quiet else print_progress
        )
    except SeedError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except asyncpg.UndefinedTableError as exc:
        _error(f"{exc}: the database is not migrated; run `{command('api.db migrate')}` first")
        return EXIT_FAILED
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        problem = database_problem(exc, settings.database_url)
        _error(f"{problem or f'database error: {exc}'}; nothing was written")
        return EXIT_FAILED
    for line in summary.lines():
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(argv))


if __name__ == "__main__":
    sys.exit(main())
