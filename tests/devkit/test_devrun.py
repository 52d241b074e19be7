"""devrun's servers start again on other ports when theirs was taken before they could bind it."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

import devrun.__main__ as devrun
from devkit.processes import environment_without_settings, free_port, listens_on


def _http_server(ports: list[int]) -> list[str]:
    return [sys.executable, "-m", "http.server", str(ports[0]), "--bind", "127.0.0.1"]


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
        process.wait(10)


def test_a_server_whose_port_is_taken_meanwhile_starts_on_another(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as thief:
        thief.bind(("127.0.0.1", 0))
        thief.listen()
        taken = thief.getsockname()[1]
        picks = iter([taken])  # the first port chosen is taken before the child binds it

        def racing_free_port(preferred: int = 0) -> int:
            return next(picks, None) or free_port(preferred)

        monkeypatch.setattr(devrun, "free_port", racing_free_port)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            env = environment_without_settings()
            [port] = devrun.start_server("server", _http_server, [0], "/", env, processes)

            assert port != taken
            assert len(processes) == 1 and processes[0].poll() is None  # the clashed child is gone
            assert listens_on(processes[0].pid, port)
        finally:
            _stop(processes)


def test_a_server_that_fails_for_another_reason_is_not_restarted() -> None:
    processes: list[subprocess.Popen[bytes]] = []
    with pytest.raises(RuntimeError, match="exited"):
        devrun.start_server(
            "server", lambda _: [sys.executable, "-c", "raise SystemExit(3)"], [0], "/", {}, processes
        )
    assert len(processes) == 1  # one start: its port was free, so the failure was not a clash
    _stop(processes)
