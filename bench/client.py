"""CPU cost of the generated client against hand-written asyncpg: `python -m bench.client [--quick]`.

On tests/client/schema.prisma, pushed to a fresh database on DATABASE_URL's server (dropped after):
1. `find_unique` by id vs `pool.fetchrow` + building the Pydantic model by hand;
2. a post with 25 comments, each with its author and the author's profile, plus the post's author
   and categories, vs one hand-written SQL statement returning the same tree as JSON.
Prints the process CPU time per call and the ratio (targets: at most 1.3x).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import asyncpg

from api.paths import PROJECT_ROOT
from devkit.databases import temporary_database
from tests.client.generated.client_db import Base64, Prisma
from tests.client.generated.client_db.models import Post, User

SCHEMA = PROJECT_ROOT / "tests" / "client" / "schema.prisma"
PRISMA_CLI = PROJECT_ROOT / "prisma" / "tools" / "prisma.sh"
TARGET = 1.3
ROUNDS = 5

USER_SQL = """
SELECT id, email, name, surname, nick_name, role::text AS role, roles::text[] AS roles, active, score,
       balance, big, meta, avatar, tags, lucky, created_at, updated_at, born_at
FROM users WHERE id = $1
"""

TREE_SQL = """
SELECT json_build_object(
  'id', p.id, 'title', p.title, 'published', p.published, 'views', p.views, 'rating', p.rating,
  'price', p.price::text, 'author_id', p.author,
  'created_at', to_char(p.created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  'author', (SELECT json_build_object('id', u.id, 'email', u.email, 'name', u.name, 'surname', u.surname,
      'nickname', u.nick_name, 'role', u.role, 'roles', u.roles, 'active', u.active, 'score', u.score,
      'balance', u.balance::text, 'big', u.big, 'meta', u.meta, 'avatar', encode(u.avatar, 'base64'),
      'tags', u.tags, 'lucky', u.lucky,
      'created_at', to_char(u.created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
      'updated_at', to_char(u.updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
      'born_at', to_char(u.born_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    FROM users u WHERE u.id = p.author),
  'categories', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'name', c.name) ORDER BY c.id), '[]')
    FROM "Category" c JOIN "_CategoryToPost" j ON j."A" = c.id WHERE j."B" = p.id),
  'comments', (SELECT coalesce(json_agg(json_build_object(
      'post_id', m.post_id, 'position', m.position, 'body', m.body, 'author_id', m.author_id,
      'author', json_build_object('id', u.id, 'email', u.email, 'name', u.name, 'surname', u.surname,
        'nickname', u.nick_name, 'role', u.role, 'roles', u.roles, 'active', u.active, 'score', u.score,
        'balance', u.balance::text, 'big', u.big, 'meta', u.meta, 'avatar', encode(u.avatar, 'base64'),
        'tags', u.tags, 'lucky', u.lucky,
        'created_at', to_char(u.created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'updated_at', to_char(u.updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'born_at', to_char(u.born_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'profile', (SELECT json_build_object('id', f.id, 'bio', f.bio, 'user_id', f.user_id)
          FROM "Profile" f WHERE f.user_id = u.id))
    ) ORDER BY m.post_id, m.position), '[]')
    FROM "Comment" m JOIN users u ON u.id = m.author_id WHERE m.post_id = p.id))
FROM posts p WHERE p.id = $1
"""


def user_by_hand(row: asyncpg.Record | None) -> User:
    """What hand-written code does with a fetched row: zone the timestamps, wrap the bytes."""
    assert row is not None
    avatar = row["avatar"]
    born = row["born_at"]
    return User(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        surname=row["surname"],
        nickname=row["nick_name"],
        role=row["role"],
        roles=row["roles"] or [],
        active=row["active"],
        score=row["score"],
        balance=row["balance"],
        big=row["big"],
        meta=row["meta"],
        avatar=None if avatar is None else Base64.encode(avatar),
        tags=row["tags"] or [],
        lucky=row["lucky"] or [],
        created_at=row["created_at"].replace(tzinfo=dt.UTC),
        updated_at=row["updated_at"].replace(tzinfo=dt.UTC),
        born_at=born,
    )


async def per_call(call: Callable[[], Awaitable[Any]], iterations: int) -> tuple[float, float]:
    """Process CPU seconds and wall-clock seconds per call (after a warm-up)."""
    for _ in range(min(iterations, 50)):
        await call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(iterations):
        await call()
    return (time.process_time() - cpu) / iterations, (time.perf_counter() - wall) / iterations


async def seed(db: Prisma) -> tuple[int, str]:
    authors = []
    for index in range(25):
        author = await db.user.create(
            data={
                "email": f"user{index}@example.com",
                "name": f"User{index}",
                "surname": "Bench",
                "tags": ["a", "b"],
                "meta": None,
                "profile": {"create": {"bio": f"bio {index}"}},
            }
        )
        authors.append(author)
    post = await db.post.create(
        data={
            "title": "Benchmark",
            "author_id": authors[0].id,
            "categories": {"create": [{"name": "one"}, {"name": "two"}]},
        }
    )
    await db.comment.create_many(
        data=[
            {
                "post_id": post.id,
                "position": index,
                "body": f"comment {index}",
                "author_id": authors[index].id,
            }
            for index in range(25)
        ]
    )
    return authors[0].id, post.id


def schema_sql(dsn: str) -> str:
    """The test schema's DDL, from the real Prisma CLI."""
    return subprocess.run(
        [
            str(PRISMA_CLI),
            "migrate",
            "diff",
            "--from-empty",
            "--to-schema-datamodel",
            str(SCHEMA),
            "--script",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": dsn},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


async def run(server_dsn: str, iterations: int) -> dict[str, tuple[float, float]]:
    async with temporary_database(server_dsn, "bench_client") as dsn:
        script = schema_sql(dsn)
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
        try:
            await pool.execute(script)
            db = Prisma(pool=pool)
            user_id, post_id = await seed(db)
            include: Any = {
                "author": True,
                "categories": True,
                "comments": {"include": {"author": {"include": {"profile": True}}}},
            }
            by_client = await db.post.find_unique(where={"id": post_id}, include=include)
            by_hand = Post.model_validate_json(await pool.fetchval(TREE_SQL, post_id))
            assert by_client == by_hand, "the hand-written tree must equal the client's"
            assert await db.user.find_unique(where={"id": user_id}) == user_by_hand(
                await pool.fetchrow(USER_SQL, user_id)
            )

            async def client_unique() -> Any:
                return await db.user.find_unique(where={"id": user_id})

            async def hand_unique() -> Any:
                return user_by_hand(await pool.fetchrow(USER_SQL, user_id))

            async def client_tree() -> Any:
                return await db.post.find_unique(where={"id": post_id}, include=include)

            async def hand_tree() -> Any:
                return Post.model_validate_json(await pool.fetchval(TREE_SQL, post_id))

            cases = {
                "find_unique_client": client_unique,
                "find_unique_hand": hand_unique,
                "include_tree_client": client_tree,
                "include_tree_hand": hand_tree,
            }
            # Interleaved rounds, best of each: a shared machine's noise only ever adds time.
            best: dict[str, tuple[float, float]] = {}
            for _ in range(ROUNDS):
                for case, call in cases.items():
                    cpu, wall = await per_call(call, iterations // ROUNDS or 1)
                    previous = best.get(case, (cpu, wall))
                    best[case] = (min(cpu, previous[0]), min(wall, previous[1]))
            return best
        finally:
            await pool.close()


def report(results: dict[str, tuple[float, float]]) -> str:
    """CPU per call (the target) and wall-clock per call (includes PostgreSQL's work), client vs by hand."""
    columns = (
        f"{'CPU client µs':>14}{'by hand µs':>12}{'ratio':>7}   {'wall client µs':>15}{'by hand µs':>12}"
    )
    lines = [f"{'case':<26}{columns}{'ratio':>7}"]
    for case, label in (("find_unique", "find_unique by id"), ("include_tree", "post + 25 comments tree")):
        (cpu_client, wall_client), (cpu_hand, wall_hand) = results[f"{case}_client"], results[f"{case}_hand"]
        ratio = cpu_client / cpu_hand
        verdict = "ok" if ratio <= TARGET else "OVER"
        lines.append(
            f"{label:<26}{cpu_client * 1e6:>14.1f}{cpu_hand * 1e6:>12.1f}{ratio:>7.2f} {verdict:<4}"
            f"{wall_client * 1e6:>14.1f}{wall_hand * 1e6:>12.1f}{wall_client / wall_hand:>7.2f}"
        )
    lines.append(f"CPU target: client <= {TARGET}x by hand")
    return "\n".join(lines)


def iterations_main(
    argv: list[str] | None,
    *,
    doc: str | None,
    default_iterations: int,
    run: Callable[[str, int], Coroutine[Any, Any, dict[str, tuple[float, float]]]],
    report: Callable[[dict[str, tuple[float, float]]], str],
) -> int:
    """The client benchmarks' command: `--iterations N` (or `--quick`) on DATABASE_URL's server."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--iterations", type=int, default=default_iterations)
    parser.add_argument("--quick", action="store_true", help="a few iterations (smoke test)")
    args = parser.parse_args(argv)
    server_dsn = os.environ.get("DATABASE_URL")
    if not server_dsn:
        print("DATABASE_URL must point at a PostgreSQL server (a database is created there)", file=sys.stderr)
        return 2
    print(report(asyncio.run(run(server_dsn, 20 if args.quick else args.iterations))))
    return 0


def main(argv: list[str] | None = None) -> int:
    return iterations_main(argv, doc=__doc__, default_iterations=3000, run=run, report=report)


if __name__ == "__main__":
    sys.exit(main())
