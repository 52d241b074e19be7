"""`python -m api.keys`: create, list and revoke API keys in DATABASE_URL's database.

`create` prints the key alone on its last line; it is shown this once and stored only as a hash.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

import asyncpg

from api.config import get_settings
from api.keys import repository
from api.keys.service import issue_key
from api.values import is_canonical_uuid
from prisma import Prisma
from prisma.models import api_key as ApiKey


def _uuid(value: str) -> str:
    if not is_canonical_uuid(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a UUID")
    return value.lower()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api.keys", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key; prints it on the last line")
    scope = create.add_mutually_exclusive_group(required=True)
    scope.add_argument("--org", type=_uuid, metavar="ORG_ID", help="the one organization the key may see")
    scope.add_argument("--all", action="store_true", help="a key for every organization (streamOS's backend)")
    create.add_argument("--name", help="what the key is for")
    commands.add_parser("list", help="ids, names, scopes, created and last-used times (never the keys)")
    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", type=_uuid, metavar="KEY_ID")
    return parser


def _scope(key: ApiKey) -> str:
    return "all organizations" if key.all_organizations else f"organization {key.organization_id}"


def _time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


async def _run(args: argparse.Namespace, dsn: str) -> int:
    connection = await asyncpg.connect(dsn, timeout=10)
    db = Prisma(pool=connection)
    try:
        if args.command == "create":
            if args.org and not await repository.organization_exists(db, args.org):
                print(f"warning: no organization {args.org} in the database (yet)", file=sys.stderr)
            issued = await issue_key(db, organization_id=args.org, name=args.name)
            print(f"created key {issued.row.id} ({_scope(issued.row)}); it is shown only now:")
            print(issued.key)
        elif args.command == "list":
            keys = await repository.list_keys(db)
            print(f"{'id':36}  {'name':20}  {'scope':50}  {'created':25}  {'last used':25}  revoked")
            for key in keys:
                name = (key.name or "-")[:20]
                print(
                    f"{key.id:36}  {name:20}  {_scope(key):50}  {_time(key.created_at):25}  "
                    f"{_time(key.last_used_at):25}  {_time(key.revoked_at)}"
                )
        else:
            revoked = await repository.revoke_key(db, args.key_id)
            if revoked is None:
                print(f"error: no key with id {args.key_id}", file=sys.stderr)
                return 1
            print(f"revoked key {revoked.id} ({_scope(revoked)})")
    finally:
        await connection.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    dsn = get_settings().database_url
    if not dsn:
        print("DATABASE_URL is not set.", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, dsn))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
