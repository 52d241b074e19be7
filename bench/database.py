"""PostgreSQL for a run: the benchmark's own database, and a proxy in front of the server that
counts, on the wire, what clients send."""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg

from api.db.migrate import apply_migrations
from bench.config import EMBEDDED_DATA_DIR
from devkit import embedded
from devkit.databases import create_database, database_name, drop_database
from devkit.proxy import TcpProxy

# The run's invoices go, the history's stay (bench_history: ids of the history's acc_uac_invoice rows,
# a table of the benchmark's own database, empty until Bench.make_history fills it).
HISTORY_TABLE = "CREATE TABLE IF NOT EXISTS bench_history (id uuid PRIMARY KEY)"
KEEP_HISTORY = "INSERT INTO bench_history SELECT id FROM acc_uac_invoice ON CONFLICT DO NOTHING"
REWIND_STATEMENTS = (
    HISTORY_TABLE,
    "DELETE FROM invoice_request r WHERE r.acc_uac_invoice_id IS NULL"
    " OR NOT EXISTS (SELECT 1 FROM bench_history h WHERE h.id = r.acc_uac_invoice_id)",
    "DELETE FROM uac_line_item l WHERE l.acc_uac_invoice_id IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM bench_history h WHERE h.id = l.acc_uac_invoice_id)",
    "DELETE FROM acc_uac_invoice a WHERE NOT EXISTS (SELECT 1 FROM bench_history h WHERE h.id = a.id)",
)


class BenchDatabase:
    """A fresh, migrated database on the DATABASE_URL server or on the embedded one; dropped after."""

    def __init__(self, server_dsn: str, source: str, dsn: str) -> None:
        self.server_dsn = server_dsn
        self.source = source
        self.dsn = dsn
        self.name = database_name(dsn)

    @classmethod
    async def create(cls) -> BenchDatabase:
        configured = os.environ.get("DATABASE_URL")
        server_dsn = embedded.server_dsn(configured, EMBEDDED_DATA_DIR)
        source = "DATABASE_URL" if configured else "embedded"
        database = cls(server_dsn, source, await create_database(server_dsn, "bench"))
        try:
            await apply_migrations(database.dsn)
        except BaseException:
            await database.drop()
            raise
        return database

    async def drop(self) -> None:
        await drop_database(self.server_dsn, self.dsn)

    async def keep_history(self) -> None:
        """Marks every invoice there is now as history, which rewinds keep."""
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute(HISTORY_TABLE)
            await connection.execute(KEEP_HISTORY)
        finally:
            await connection.close()

    async def rewind(self) -> None:
        """Forgets every invoice and request but the history's, so the seeded charges can be
        invoiced again."""
        connection = await asyncpg.connect(self.dsn)
        try:
            async with connection.transaction():
                for statement in REWIND_STATEMENTS:
                    await connection.execute(statement)
            await connection.execute("VACUUM ANALYZE invoice_request, uac_line_item, acc_uac_invoice")
            with contextlib.suppress(asyncpg.PostgresError):
                await connection.execute("CHECKPOINT")  # no checkpoint of the last run's writes mid-run
        finally:
            await connection.close()

    async def describe(self) -> dict[str, Any]:
        connection = await asyncpg.connect(self.dsn)
        try:
            settings = {
                name: await connection.fetchval(f"SHOW {name}")
                for name in (
                    "server_version",
                    "max_connections",
                    "shared_buffers",
                    "synchronous_commit",
                    "fsync",
                )
            }
        finally:
            await connection.close()
        parts = urlsplit(self.server_dsn)
        location = parse_qs(parts.query).get("host", [parts.hostname or "local socket"])[0]
        return {"source": self.source, "server": f"{location}:{parts.port or 5432}", **settings}


SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


class SqlCounter(TcpProxy):
    """A proxy in front of PostgreSQL that counts, on the wire, what clients send.

    A round trip is a message the client must wait on: a simple Query ('Q') or a Sync ('S') that
    closes an extended-protocol batch. asyncpg sends one Sync per statement (Parse/Bind/Execute are
    pipelined) and one per `executemany` (all Bind/Execute pairs, then one Sync); a Sync with no
    Execute before it is a prepare (statement cache miss). Statements are Execute ('E') plus Query
    messages: what pg_stat_statements would count as calls. The proxy answers SSL and GSS
    encryption requests with 'N' itself so the stream stays readable.
    """

    def __init__(self, server_dsn: str) -> None:
        proxy = TcpProxy.in_front_of(server_dsn)
        super().__init__(proxy.target_host, proxy.target_port, unix_path=proxy.unix_path)
        self.server_dsn = server_dsn
        self.counts: Counter[str] = Counter()

    def database_dsn(self, database: str) -> str:
        """The DSN of `database` on the server, through this (started) proxy."""
        return self.dsn(self.server_dsn, database)

    def snapshot(self) -> Counter[str]:
        return Counter(self.counts)

    async def handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        """Refuses encryption, then passes the startup message on (a cancel request is no query)."""
        header = await reader.readexactly(8)
        length, code = struct.unpack("!ii", header)
        while length == 8 and code in (SSL_REQUEST, GSSENC_REQUEST):
            writer.write(b"N")
            await writer.drain()
            header = await reader.readexactly(8)
            length, code = struct.unpack("!ii", header)
        return header + await reader.readexactly(length - 8)

    def watch_client(self) -> Callable[[bytes], None]:
        buffer = bytearray()
        executes_since_sync = 0

        def count(data: bytes) -> None:
            nonlocal executes_since_sync
            buffer.extend(data)
            offset = 0
            while len(buffer) - offset >= 5:
                (length,) = struct.unpack_from("!i", buffer, offset + 1)
                if len(buffer) - offset < 1 + length:
                    break
                kind = chr(buffer[offset])
                offset += 1 + length
                if kind == "Q":
                    self.counts.update(("round_trips", "statements", "simple_queries"))
                elif kind == "E":
                    self.counts.update(("statements",))
                    executes_since_sync += 1
                elif kind == "P":
                    self.counts.update(("parses",))
                elif kind == "S":
                    self.counts.update(("round_trips",))
                    if executes_since_sync == 0:
                        self.counts.update(("prepare_round_trips",))
                    executes_since_sync = 0
            del buffer[:offset]

        return count
