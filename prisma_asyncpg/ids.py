"""Client-side default values: cuid() and uuid() ids, generated as Prisma's engine generates them."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
import uuid

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int, width: int) -> str:
    digits = []
    while number:
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(reversed(digits)).rjust(width, "0")[-width:]


class _Cuid:
    """cuid v1: 'c', milliseconds, a counter, a host fingerprint and randomness (25 characters)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = secrets.randbelow(36**4)
        host = sum(map(ord, socket.gethostname())) + 36
        self._fingerprint = _base36(os.getpid(), 2) + _base36(host, 2)

    def __call__(self) -> str:
        with self._lock:
            self._counter = (self._counter + 1) % (36**4)
            counter = self._counter
        milliseconds = int(time.time() * 1000)
        random = _base36(secrets.randbelow(36**8), 8)
        return f"c{_base36(milliseconds, 8)}{_base36(counter, 4)}{self._fingerprint}{random}"


cuid = _Cuid()


def uuid4() -> str:
    return str(uuid.uuid4())
