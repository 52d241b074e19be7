"""Amounts: Decimal inside, strings for 2023-03-14 responses, numbers for 2024-08-31 ones."""

from __future__ import annotations

from decimal import Decimal


def to_decimal(value: float | int) -> Decimal:
    """The decimal a JSON number reads as (12.34 → Decimal("12.34"), not the binary float)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def money_string(value: Decimal) -> str:
    """Like Rutter's 2023-03-14 strings: "14.34", "2", "0"."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def money_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
