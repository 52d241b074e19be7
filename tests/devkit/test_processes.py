"""devkit's ports, child environments and proxy addresses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from devkit.processes import environment_without_settings, free_port, listens_on
from devkit.proxy import TcpProxy


def test_free_port_is_the_preferred_one_unless_something_listens_there() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        other = free_port(taken)
        assert other != taken
    assert free_port(other) == other


def test_listens_on_tells_which_process_holds_a_listening_port() -> None:
    with socket.socket() as listener, socket.socket() as bound_only:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        bound_only.bind(("127.0.0.1", 0))
        port, other = listener.getsockname()[1], bound_only.getsockname()[1]
        assert listens_on(os.getpid(), port) is True
        assert listens_on(os.getppid(), port) is False  # someone else's port
        assert listens_on(os.getpid(), other) is False  # bound, not listening


def test_a_process_that_has_exited_listens_on_nothing() -> None:
    # Not "cannot tell": a service that failed to bind and exited must not pass for the server that
    # answers on its port (devkit.service's readiness check).
    exited = _pid_of_exited_child()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert listens_on(exited, listener.getsockname()[1]) is False


def _pid_of_exited_child() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()  # reaped: /proc/<pid> is gone
    return process.pid


def test_a_child_environment_carries_no_service_or_sandbox_setting() -> None:
    env = environment_without_settings(
        {
            "DATABASE_URL": "postgresql://x",
            "rutter_client_secret": "s",
            "SANDBOX_RATE_LIMIT": "1",
            "HOME": "/h",
        }
    )
    assert env["HOME"] == "/h"
    assert not {"DATABASE_URL", "rutter_client_secret", "SANDBOX_RATE_LIMIT"} & set(env)
    assert env["PYTHONPATH"]


def test_the_proxy_reaches_a_server_over_tcp_or_its_unix_socket() -> None:
    tcp = TcpProxy.in_front_of("postgresql://app:pw@db.example:6543/invoices")
    assert (tcp.target_host, tcp.target_port, tcp.unix_path) == ("db.example", 6543, None)
    local = TcpProxy.in_front_of("postgresql://postgres:@/postgres?host=/tmp/pg&port=5433")
    assert local.unix_path == "/tmp/pg/.s.PGSQL.5433"
    assert (
        TcpProxy.proxied_dsn("postgresql://app:p%40ss@db.example:6543/invoices", 7000, "other")
        == "postgresql://app:p%40ss@127.0.0.1:7000/other?sslmode=disable"
    )
