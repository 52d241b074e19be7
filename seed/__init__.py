"""The seed: loads streamOS charges (API shape) into the database. `python -m seed --help`."""

from seed.loader import (
    LoadConflictError,
    LoadSummary,
    PayloadError,
    SeedError,
    TableCount,
    demo_payload,
    load_charges,
    parse_charges,
    read_charges_file,
)

__all__ = [
    "LoadConflictError",
    "LoadSummary",
    "PayloadError",
    "SeedError",
    "TableCount",
    "demo_payload",
    "load_charges",
    "parse_charges",
    "read_charges_file",
]
