"""Child processes for tools and tests: they die with their parent, their ports are free, their
environment carries none of the caller's service settings."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from api.config import Settings
from api.paths import PROJECT_ROOT


def die_with_parent() -> None:
    """Linux (a `preexec_fn`): the child gets SIGTERM when its parent dies, even by SIGKILL, so a
    crashed tool or test run leaves no process behind."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port(preferred: int = 0, host: str = "127.0.0.1") -> int:
    """`preferred` when nothing listens there, else a free port the system picks.

    Free when asked: another process (an outgoing connection's ephemeral port, say) may take it
    before the child binds it. A child that cannot bind says "address already in use" and exits;
    `devkit.service.ServiceProcess` then starts again on another port."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As the servers themselves do: a port in TIME_WAIT after the last run is free to use.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError("no free port")


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether another socket holds `port` now (a listener, or a connection's local port)."""
    return free_port(port, host) != port


def listens_on(pid: int, port: int) -> bool | None:
    """Whether process `pid` holds a TCP socket listening on `port` (Linux: /proc); None where
    /proc cannot tell. So a server that answers on a port is known to be the child started there,
    not whoever took the port first."""
    inodes: set[str] = set()
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not any(table.exists() for table in tables):
        return None
    for table in tables:
        with contextlib.suppress(OSError):
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(inode)
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False  # the process has exited (and been reaped): it listens on nothing
    except OSError:
        return None
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
            if target.startswith("socket:[") and target[len("socket:[") : -1] in inodes:
                return True
    return False


def environment_without_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment (default: this process's) minus anything the service or the sandbox would
    read as a setting, plus the project on PYTHONPATH: a child gets its settings explicitly."""
    environ = os.environ if environ is None else environ
    names = {name.upper() for name in Settings.model_fields} | {"RECEPIENT_EMAIL"}
    env = {
        key: value
        for key, value in environ.items()
        if key.upper() not in names and not key.upper().startswith("SANDBOX_")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), environ.get("PYTHONPATH")]))
    return env


def uvicorn_command(host: str, port: int, *options: str) -> list[str]:
    """The service as deployed: uvicorn with api.server's protocol (the protocol limits need it)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--http",
        "api.server:LimitedHttpToolsProtocol",
        "--host",
        host,
        "--port",
        str(port),
        *options,
    ]


def spawn(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path = PROJECT_ROOT, **streams: Any
) -> subprocess.Popen[bytes]:
    """A child process that is sent SIGTERM should this one die.

    Its pipes are unbuffered so that `readline` never waits on the pipe for a line that Python
    already read into a buffer.
    """
    return subprocess.Popen(  # noqa: S603 - the caller's fixed program
        list(args), cwd=cwd, env=dict(env), preexec_fn=die_with_parent, bufsize=0, **streams
    )


def readline(stream: IO[bytes], timeout_s: float) -> str:
    """The next line of a child's (unbuffered) pipe, waiting at most `timeout_s`."""
    ready, _, _ = select.select([stream], [], [], timeout_s)
    if not ready:
        raise RuntimeError(f"no output within {timeout_s:g} s")
    return stream.readline().decode(errors="replace").strip()


def stop_process(
    process: subprocess.Popen[bytes], timeout_s: float = 10.0, *, exit_wait_s: float = 0
) -> None:
    """Waits `exit_wait_s` for the process to end by itself, then SIGTERM, then SIGKILL after `timeout_s`."""
    if exit_wait_s > 0:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(exit_wait_s)
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class ManagedProcess:
    """An asyncio child process whose stdout and stderr go to files in `log_dir`, one pair per start."""

    def __init__(self, name: str, log_dir: Path) -> None:
        self.name = name
        self.log_dir = log_dir
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.log_files: list[Path] = []

    async def _spawn(
        self, args: Sequence[str], env: Mapping[str, str], *, cwd: Path = PROJECT_ROOT, quiet: bool = False
    ) -> tuple[Path, Path]:
        """Starts the process; with `quiet` its stderr goes nowhere (a log it would write per request)."""
        self.starts += 1
        out = self.log_dir / f"{self.name}-{self.starts}.stdout.log"
        err = self.log_dir / f"{self.name}-{self.starts}.stderr.log"
        self.log_files += [out] if quiet else [out, err]
        with out.open("wb") as stdout, (Path(os.devnull) if quiet else err).open("wb") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                *args,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                cwd=cwd,
                env=dict(env),
                preexec_fn=die_with_parent,
            )
        return out, err

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} was never started")
        return self.process.pid

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL when it has not exited after `timeout_s`."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            process.kill()
            await process.wait()

    def output(self) -> str:
        """Everything every start of the process wrote, stdout and stderr."""
        return "".join(path.read_text(errors="replace") for path in self.log_files if path.exists())

    def tail(self, lines: int = 40) -> str:
        parts = [f"--- {path.name} (last {lines} lines) ---\n{_tail(path, lines)}" for path in self.log_files]
        return "\n".join(parts)
