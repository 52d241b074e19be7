"""Where the service's CPU goes, by component: py-spy samples of the running service (native frames
included) sorted into components, each sample counted once, by its innermost recognisable frame.

Time in the kernel is taken from `/proc` instead: py-spy counts a sample wherever the process is
running or runnable, and a write that wakes the process it writes to (PostgreSQL, the stand-in)
drew up to a quarter of the samples at concurrency 16 while the kernel's own count (stime) was
under a tenth of the service's CPU. So the table's kernel row is the stime share measured while
sampling, and the other rows split the user-space share (utime) by the samples not in a system
call.

`python -m bench.profile --pid PID [--seconds S]` prints the table for any running service process;
`python -m bench` adds it to its report (the "Where the service's CPU goes" section) from a sample
taken at concurrency 16 in runs of its own after the measured ones: py-spy stops the process for
each sample, so a sampled run is a slower run. py-spy reads the process from outside (no change to the
service); it needs permission to trace it (root, or ptrace allowed).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from bench.measure import process_times_s

# (component, does this frame belong to it?) in the order a sample is tested, innermost frame first.
# GC is tested on the whole stack first: a collection runs inside whatever allocated.
Matcher = Callable[[str], bool]
SYSCALL = "socket writes (kernel)"
COMPONENTS: list[tuple[str, Matcher]] = [
    (SYSCALL, lambda f: f.startswith(("write (libc", "writev (libc", "send", "__send"))),
    ("JSON", lambda f: "(json/" in f or "scanstring" in f or "encoder_listencode" in f),
    ("pydantic", lambda f: "(pydantic" in f or "pydantic_core" in f),
    ("asyncpg", lambda f: "(asyncpg" in f or "protocol.c" in f or "pgproto" in f),
    ("aiohttp (Rutter calls)", lambda f: "(aiohttp" in f or "(yarl" in f or "(multidict" in f),
    ("Prisma client", lambda f: "(prisma_asyncpg" in f or "(prisma/" in f),
    ("tenacity", lambda f: "(tenacity" in f),
    ("service logic", lambda f: "(api/" in f),
    ("FastAPI / Starlette", lambda f: "(fastapi" in f or "(starlette" in f),
    ("uvicorn", lambda f: "(uvicorn" in f or "httptools" in f),
    ("event loop", lambda f: "(asyncio" in f or "uvloop" in f or "(selectors" in f),
]
GC = "garbage collector"
OTHER = "other"
KERNEL = "kernel (system calls; /proc stime)"

# C library wrappers of system calls, as py-spy names the innermost native frame of a sample taken
# inside one (with or without glibc's `__libc_` / `__GI_` prefixes).
# fmt: off
_SYSCALL_WRAPPERS = frozenset({
    "read", "readv", "pread64", "write", "writev", "pwrite64",  # reading and writing
    "send", "sendto", "sendmsg", "recv", "recvfrom", "recvmsg", "accept", "accept4", "connect",
    "getsockopt", "setsockopt", "getsockname", "getpeername", "shutdown", "socket",  # sockets
    "epoll_ctl", "epoll_wait", "epoll_pwait", "poll", "select", "futex", "futex_wait",
    "futex_abstimed_wait_common", "nanosleep", "clock_nanosleep", "sched_yield",  # waiting
    "openat", "open64", "close", "fstat", "fstat64", "newfstatat", "statx", "ioctl", "fcntl",
    "fcntl64", "madvise", "mmap", "mmap64", "munmap", "mprotect", "brk",  # files and memory
    "syscall", "getrandom", "getpid", "kill", "tgkill",
})
# fmt: on


def in_system_call(frame: str) -> bool:
    """Whether a native frame is a C library system-call wrapper (`write (libc.so.6)`, ...)."""
    name, _, where = frame.partition(" (")
    if "libc" not in where and "libpthread" not in where:
        return False
    for prefix in ("__GI_", "__libc_", "__"):
        name = name.removeprefix(prefix)
    return name in _SYSCALL_WRAPPERS


def _is_gc(frame: str) -> bool:
    return "gc_collect" in frame or "collect_with_callback" in frame


def component_of(stack: list[str]) -> str | None:
    """The component one sample (frames outermost first, as py-spy's raw format) is charged to;
    None for a sample of the event loop waiting (py-spy may count a wait it sees as running)."""
    if stack and stack[-1].startswith(("epoll_wait", "epoll_pwait", "poll (", "select (")):
        return None
    if any(_is_gc(frame) for frame in stack):
        return GC
    for frame in reversed(stack):
        for name, belongs in COMPONENTS:
            if belongs(frame):
                return name
    return OTHER


def shares(raw_lines: Iterable[str], kernel_share: float | None = None) -> dict[str, float]:
    """Each component's share of the samples, from py-spy's raw (collapsed) output: `a;b;c N`.

    With `kernel_share` (stime / (utime + stime) over the sampling, from /proc) the kernel gets
    that share, the samples whose innermost frame is a system call are left out, and the others
    split the rest.
    """
    counts: Counter[str] = Counter()
    for line in raw_lines:
        line = line.strip()
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if kernel_share is not None and frames and in_system_call(frames[-1]):
            continue  # the kernel's time is kernel_share, measured
        component = component_of(frames)
        if component is not None:
            counts[component] += int(count)
    total = sum(counts.values())
    if total == 0:
        return {}
    if kernel_share is None:
        return {name: count / total for name, count in counts.most_common()}
    user = 1.0 - kernel_share
    found = {name: user * count / total for name, count in counts.most_common()}
    return dict(sorted({**found, KERNEL: kernel_share}.items(), key=lambda item: -item[1]))


def table(component_shares: dict[str, float], cpu_ms_per_invoice: float | None) -> str:
    """The markdown table: each component's share of the service's CPU and, given its CPU per invoice, ms."""
    lines = ["| Component | Share of CPU | ms per invoice |", "|---|---|---|"]
    for name, share in component_shares.items():
        ms = f"{share * cpu_ms_per_invoice:.2f}" if cpu_ms_per_invoice is not None else "-"
        lines.append(f"| {name} | {share:.1%} | {ms} |")
    return "\n".join(lines)


def available() -> bool:
    return shutil.which("py-spy") is not None or (Path(sys.executable).parent / "py-spy").exists()


async def sample(pid: int, seconds: float, rate: int = 200) -> list[str]:
    """py-spy's raw samples of `pid` for `seconds` (native frames, idle time left out)."""
    executable = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "samples.txt"
        process = await asyncio.create_subprocess_exec(
            executable,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(rate),
            "--duration",
            str(max(1, round(seconds))),
            "--format",
            "raw",
            "--native",
            "--output",
            str(output),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await process.communicate()
        if process.returncode != 0 or not output.exists():
            raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace').strip()[-300:]}")
        return output.read_text().splitlines()


async def sample_with_kernel_share(pid: int, seconds: float) -> tuple[list[str], float | None]:
    """py-spy's samples of `pid` and the share of its CPU spent in the kernel meanwhile (None
    when it spent none it could count)."""
    user_before, system_before = process_times_s(pid)
    raw = await sample(pid, seconds)
    user_after, system_after = process_times_s(pid)
    user, system = user_after - user_before, system_after - system_before
    return raw, (system / (user + system) if user + system > 0 else None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pid", type=int, required=True, help="the service process to sample")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--cpu-ms-per-invoice", type=float, default=None, help="to print ms per invoice")
    args = parser.parse_args(argv)
    if not available():
        sys.exit("py-spy is not installed: pip install py-spy (it is in the bench extra)")
    raw, kernel_share = asyncio.run(sample_with_kernel_share(args.pid, args.seconds))
    print(table(shares(raw, kernel_share), args.cpu_ms_per_invoice))


if __name__ == "__main__":
    main()
