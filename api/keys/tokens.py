"""Key material: new keys and their stored hashes (the key itself is never stored)."""

from __future__ import annotations

import hashlib
import secrets

# A recognizable prefix lets secret scanners and people tell an invoice-service key at a glance.
KEY_PREFIX = "sosinv_"


def new_key() -> str:
    """A fresh key: the prefix and 32 random bytes, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """SHA-256 of the key, hex. Keys are 256-bit random tokens, so a fast unsalted hash is enough:
    there is nothing to guess, and lookup by hash needs it deterministic."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
