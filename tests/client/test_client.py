"""The client: connecting (URL or a caller's pool), transactions, batches and raw queries."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest

from .factories import make_user
from .generated.client_db import Prisma, errors
from .generated.client_db.models import Category


async def test_async_with_connects_and_disconnects(client_dsn: str) -> None:
    # Prisma's URL parameters: the schema and the pool size.
    url = client_dsn + ("&" if "?" in client_dsn else "?") + "schema=public&connection_limit=2"
    async with Prisma(datasource={"url": url}) as db:
        assert db.is_connected()
        assert await db.query_first("SHOW search_path") == {"search_path": "public"}
        assert db.pool is not None and (db.pool.get_min_size(), db.pool.get_max_size()) == (1, 2)
    assert not db.is_connected()


async def test_datasource_defaults_to_database_url(client_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", client_dsn)
    db = Prisma()
    await db.connect()
    try:
        assert await db.execute_raw("SELECT 1") == 1
    finally:
        await db.disconnect()


@pytest.fixture
async def own_pool(client_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(client_dsn, min_size=1, max_size=2, command_timeout=5)
    yield pool
    await pool.close()


async def test_a_pool_given_by_the_caller_is_used_and_left_open(
    client: Prisma, own_pool: asyncpg.Pool
) -> None:
    db = Prisma(pool=own_pool)
    assert db.is_connected()
    await db.category.create(data={"name": "from pool"})
    await db.disconnect()
    assert not own_pool.is_closing()
    assert await own_pool.fetchval('SELECT name FROM "Category"') == "from pool"


async def test_reads_are_json_text_whatever_codec_the_callers_pool_registered(
    client: Prisma, client_dsn: str
) -> None:
    # (Writes of Json fields need a pool without a json/jsonb codec: the client encodes them itself.)
    async def decode_json(connection: asyncpg.Connection) -> None:
        for name in ("json", "jsonb"):
            await connection.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")

    pool = await asyncpg.create_pool(client_dsn, min_size=1, max_size=1, init=decode_json)
    try:
        db = Prisma(pool=pool)
        created = await db.user.create(data={"email": "j@x", "name": "Jo", "surname": "J"})
        await db.execute_raw("""UPDATE users SET meta = '{"a": 1}' WHERE id = $1""", created.id)
        found = await db.user.find_unique_or_raise(where={"id": created.id}, include={"posts": True})
        listed = await db.user.find_many(where={"email": "j@x"})
        updated = await db.user.update(where={"id": created.id}, data={"name": "Joe"})
    finally:
        await pool.close()
    assert found.meta == {"a": 1} and found.posts == []
    assert [user.id for user in listed] == [created.id]
    assert updated is not None and updated.name == "Joe"


async def test_transaction_commits(client: Prisma) -> None:
    async with client.tx() as tx:
        ann = await tx.user.create(data={"email": "a@x", "name": "Ann", "surname": "A"})
        await tx.user.update(where={"id": ann.id}, data={"score": {"increment": 5}})
        assert await client.user.count() == 0  # not visible outside before commit
    found = await client.user.find_unique_or_raise(where={"id": ann.id})
    assert found.score == 5


async def test_transaction_rolls_back_on_error(client: Prisma) -> None:
    with pytest.raises(RuntimeError):
        async with client.tx() as tx:
            await tx.category.create(data={"name": "kept?"})
            raise RuntimeError("abort")
    assert await client.category.count() == 0


async def test_raw_statements_run_on_the_transaction_connection(client: Prisma) -> None:
    with pytest.raises(errors.UniqueViolationError):
        async with client.tx() as tx:
            await tx.execute_raw('INSERT INTO "Category" (name) VALUES ($1)', "raw")
            assert await tx.category.count() == 1
            assert await tx.connection.fetchval('SELECT count(*) FROM "Category"') == 1
            await tx.category.create(data={"name": "raw"})
    assert await client.category.count() == 0


async def test_batch_commits_all_writes_together(client: Prisma) -> None:
    async with client.batch_() as batcher:
        batcher.category.create({"name": "a"})
        batcher.category.create_many([{"name": "b"}, {"name": "c"}])
        batcher.category.update(data={"name": "aa"}, where={"name": "a"})
        batcher.category.delete(where={"name": "c"})
        assert await client.category.count() == 0
    assert sorted(c.name for c in await client.category.find_many()) == ["aa", "b"]


async def test_a_failing_batch_writes_nothing(client: Prisma) -> None:
    batcher = client.batch_()
    batcher.category.create({"name": "a"})
    batcher.category.create({"name": "a"})
    with pytest.raises(errors.UniqueViolationError):
        await batcher.commit()
    assert await client.category.count() == 0


async def test_query_raw_query_first_execute_raw(client: Prisma) -> None:
    await make_user(client, "Ann")
    await make_user(client, "Bob")
    await client.category.create(data={"name": "c"})
    rows = await client.query_raw("SELECT name FROM users ORDER BY name")
    assert rows == [{"name": "Ann"}, {"name": "Bob"}]
    first = await client.query_first("SELECT name FROM users WHERE name = $1", "Bob")
    assert first == {"name": "Bob"}
    category = await client.query_first('SELECT id, name FROM "Category"', model=Category)
    assert category is not None and category.name == "c"
    assert await client.execute_raw("UPDATE users SET score = score + 1") == 2
    assert await client.query_first("SELECT 1 AS x WHERE false") is None


async def test_a_transaction_past_its_timeout_refuses_queries_and_rolls_back(client: Prisma) -> None:
    with pytest.raises(errors.TransactionExpiredError):
        async with client.tx(timeout=dt.timedelta(0)) as tx:
            await tx.category.create(data={"name": "late"})
    assert await client.category.count() == 0


async def test_nested_transactions_are_savepoints(client: Prisma) -> None:
    async with client.tx() as outer:
        await outer.category.create(data={"name": "kept"})
        with pytest.raises(RuntimeError):
            async with outer.tx() as inner:
                await inner.category.create(data={"name": "undone"})
                raise RuntimeError("inner only")
    assert [c.name for c in await client.category.find_many()] == ["kept"]


async def test_log_queries_logs_each_statement(
    client: Prisma, client_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Prisma(datasource={"url": client_dsn}, log_queries=True) as db:
        with caplog.at_level(logging.INFO, logger="prisma_asyncpg"):
            await db.category.count(where={"name": "x"})
    records = [r for r in caplog.records if r.name == "prisma_asyncpg"]
    assert len(records) == 1 and 'FROM "Category"' in getattr(records[0], "sql")  # noqa: B009


async def test_model_prisma_gives_the_model_actions_of_a_client_or_transaction(client: Prisma) -> None:
    await Category.prisma(client).create(data={"name": "via model"})
    async with client.tx() as tx:
        await Category.prisma(tx).update(where={"name": "via model"}, data={"name": "renamed"})
    assert [c.name for c in await Category.prisma(client).find_many()] == ["renamed"]
    with pytest.raises(errors.ClientNotRegisteredError):
        Category.prisma()


async def test_connect_without_a_url_says_which_variable_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(errors.PrismaError, match="DATABASE_URL"):
        await Prisma().connect()
