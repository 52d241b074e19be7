"""bench.profile: samples sorted into components, the kernel's share taken from /proc."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from bench import profile
from bench.measure import process_cpu_s, process_times_s

# py-spy's raw format: frames outermost first, then the count.
SAMPLES = [
    "run (asyncio/runners.py:118);create_invoice (api/invoices/router.py:76);write (libc.so.6) 50",
    "run (asyncio/runners.py:118);create_invoice (api/invoices/router.py:76) 30",
    "run (asyncio/runners.py:118);model_validate_json (pydantic/main.py:847) 10",
    "run (asyncio/runners.py:118);epoll_wait (libc.so.6) 500",
]


def test_samples_are_charged_to_their_innermost_component_and_waits_are_left_out() -> None:
    assert profile.shares(SAMPLES) == pytest.approx(
        {profile.SYSCALL: 50 / 90, "service logic": 30 / 90, "pydantic": 10 / 90}
    )


def test_with_the_kernel_share_the_kernel_row_is_it_and_the_others_split_the_rest() -> None:
    shares = profile.shares(SAMPLES, kernel_share=0.1)
    assert shares == pytest.approx({"service logic": 0.9 * 0.75, "pydantic": 0.9 * 0.25, profile.KERNEL: 0.1})
    assert list(shares) == ["service logic", "pydantic", profile.KERNEL]  # largest first
    assert profile.SYSCALL not in shares and sum(shares.values()) == pytest.approx(1.0)


def test_process_times_split_user_and_kernel_time() -> None:
    user, system = process_times_s(os.getpid())
    assert user > 0 and system >= 0
    assert sum(os.times()[:2]) >= user + system - 0.05  # /proc agrees with the process's own count
    assert process_times_s(2**22 + 12345) == (0.0, 0.0)  # no such process


@pytest.mark.skipif(
    not Path("/proc/self/schedstat").exists(), reason="this kernel keeps no /proc/<pid>/schedstat"
)
def test_process_cpu_counts_every_thread_in_nanoseconds() -> None:
    def burn(until: float) -> None:
        while time.thread_time() < until:
            pass

    # Finer than clock ticks (10 ms): not a whole number of them, and two readings taken one after
    # the other differ by the few microseconds the first one cost.
    first, second = process_cpu_s(os.getpid()), process_cpu_s(os.getpid())
    assert first != round(first, 2) and 0 <= second - first < 0.05
    before = process_cpu_s(os.getpid())
    burned, release = threading.Event(), threading.Event()

    def run_and_wait() -> None:
        burn(time.thread_time() + 0.05)
        burned.set()
        release.wait()  # alive while measured: schedstat counts live threads

    worker = threading.Thread(target=run_and_wait)
    worker.start()
    try:
        assert burned.wait(10)
        spent = process_cpu_s(os.getpid()) - before
    finally:
        release.set()
        worker.join()
    assert 0.05 <= spent < 5  # the other thread's time is counted
    assert process_cpu_s(2**22 + 12345) == 0.0


def test_system_call_samples_are_left_to_the_kernel_share() -> None:
    samples = [
        "run (asyncio/runners.py:118);fetch (asyncpg/connection.py:1);__libc_recv (libc.so.6) 40",
        "run (asyncio/runners.py:118);create_invoice (api/x.py:76);__GI___libc_write (libc.so.6) 20",
        "run (asyncio/runners.py:118);create_invoice (api/x.py:76);malloc (libc.so.6) 30",
        "run (asyncio/runners.py:118);fetch (asyncpg/connection.py:1) 10",
    ]
    assert profile.in_system_call("__libc_recv (libc.so.6)")
    assert profile.in_system_call("write (libc.so.6)")
    assert not profile.in_system_call("malloc (libc.so.6)")
    assert not profile.in_system_call("write (api/x.py:1)")
    # Without /proc's share a sample in recv is charged to its caller (asyncpg) ...
    assert profile.shares(samples)["asyncpg"] == pytest.approx(50 / 100)
    # ... with it, recv and write samples are the kernel's, malloc (user time) stays its caller's.
    assert profile.shares(samples, kernel_share=0.2) == pytest.approx(
        {"service logic": 0.8 * 0.75, "asyncpg": 0.8 * 0.25, profile.KERNEL: 0.2}
    )
