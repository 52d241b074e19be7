"""Low-level rules about values, each written once: canonical UUIDs, zone-less times, JSON numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

# A canonical 8-4-4-4-12 hexadecimal UUID, any letter case (ids in paths, bodies and columns).
CANONICAL_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_CANONICAL_UUID = re.compile(CANONICAL_UUID)


def is_canonical_uuid(value: str | None) -> bool:
    """True for a canonical UUID string; None, blank or malformed values are not."""
    return value is not None and _CANONICAL_UUID.fullmatch(value) is not None


def as_utc(moment: datetime) -> datetime:
    """The moment in UTC: a time without a zone is UTC (streamOS's and Prisma's convention)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: an int when whole, else the float with the Decimal's digits
    (`float(Decimal("19.99"))` serializes as `19.99`)."""
    return int(value) if value == value.to_integral_value() else float(value)
