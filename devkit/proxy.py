"""A TCP proxy on 127.0.0.1 in front of a server (host and port, or a Unix socket): tests cut and
stall it (PostgreSQL "going away" without touching the server); the benchmark watches what clients
send through it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit, urlunsplit


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` drops every connection and refuses new ones
    (`restore()` listens again); `stall()` keeps every connection open but forwards nothing (a
    server that hangs rather than fails) until `unstall()`.

    Subclasses see each connection's first bytes (`handshake`) and what its client sends
    (`watch_client`).
    """

    def __init__(self, host: str, port: int, *, unix_path: str | None = None) -> None:
        self.target_host = host
        self.target_port = port
        self.unix_path = unix_path
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    @classmethod
    def in_front_of(cls, dsn: str) -> TcpProxy:
        """A proxy to the PostgreSQL server of `dsn` (over TCP or, `?host=/dir`, its Unix socket)."""
        parts = urlsplit(dsn)
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        port = int(query.get("port", [str(parts.port or 5432)])[0])
        if host.startswith("/"):
            return cls("", 0, unix_path=f"{host}/.s.PGSQL.{port}")
        return cls(host, port)

    @staticmethod
    def proxied_dsn(dsn: str, port: int, database: str | None = None) -> str:
        """`dsn` through 127.0.0.1:`port` (same user and password, `database` or the same one), no TLS."""
        parts = urlsplit(dsn)
        userinfo = parts.netloc.rpartition("@")[0] or "postgres"  # as written: still percent-encoded
        path = f"/{database}" if database is not None else parts.path
        return urlunsplit((parts.scheme, f"{userinfo}@127.0.0.1:{port}", path, "sslmode=disable", ""))

    def dsn(self, dsn: str, database: str | None = None) -> str:
        """`dsn` through this (started) proxy."""
        return self.proxied_dsn(dsn, self.port, database)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        for task in list(self._pipes):
            task.cancel()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        self.unstall()
        await self.cut()

    def stall(self) -> None:
        self._flowing.clear()

    def unstall(self) -> None:
        self._flowing.set()

    async def handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        """What to send the server first, read from the client before piping starts (nothing here)."""
        return b""

    def watch_client(self) -> Callable[[bytes], None] | None:
        """For a new connection: what is called with every chunk its client sends (nothing here)."""
        return None

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        await self._flowing.wait()
        try:
            first = await self.handshake(client_reader, client_writer)
            if self.unix_path is not None:
                upstream_reader, upstream_writer = await asyncio.open_unix_connection(self.unix_path)
            else:
                upstream_reader, upstream_writer = await asyncio.open_connection(
                    self.target_host, self.target_port
                )
        except (OSError, asyncio.IncompleteReadError):
            client_writer.close()
            return
        upstream_writer.write(first)
        self._writers.update({client_writer, upstream_writer})
        for source, sink, watcher in (
            (client_reader, upstream_writer, self.watch_client()),
            (upstream_reader, client_writer, None),
        ):
            task = asyncio.create_task(self._pipe(source, sink, watcher))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        watcher: Callable[[bytes], None] | None,
    ) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                await self._flowing.wait()
                sink.write(data)
                if watcher is not None:
                    watcher(data)
                await sink.drain()
        sink.close()
