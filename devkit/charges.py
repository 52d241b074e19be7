"""Charges in the streamOS API shape `load_charges` reads, built from demo charge 1 (clean, fully
reconciled): `clone_charge` copies it as a charge of its own (new ids and document number; the
tests and the fault runs), `generate_charges` makes any number with random lines (the benchmark).

For generated charges the demo charges are loaded first (they bring the organization, its stream
and accounting customers and the two reconciled products); every generated charge refers to those
by id, so the payload
stays small and `load_charges` validates it quickly. Every generated line is billable (a product,
`suppress_line_item` false), so a charge of n lines becomes a Rutter invoice of n lines.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg

from devkit.demo import CLEAN_CHARGE_ID
from seed.loader import demo_payload, load_charges

LINE_DESCRIPTIONS = (
    "Platform fee",
    "Usage - API calls",
    "Usage - storage (GB-month)",
    "Usage - data egress (GB)",
    "Seats",
    "Premium support",
    "Overage - API calls",
    "Onboarding services",
)
_CENT = Decimal("0.01")
# load_charges writes one transaction per call; batches keep each one (and its memory) modest.
LOAD_BATCH = 500


def template_charge() -> dict[str, Any]:
    """Demo charge 1 from seed/data/demo_charges.json; its billable lines use two products."""
    for charge in demo_payload():
        if charge["id"] == CLEAN_CHARGE_ID:
            return dict(charge)
    raise LookupError(f"demo charge {CLEAN_CHARGE_ID} is missing from the demo payload")


def clone_charge(
    template: Mapping[str, Any], *, document_number: str, charge_id: str | None = None
) -> dict[str, Any]:
    """A copy of `template` as a charge of its own: new ids (charge, pricer invoice, line items) and
    document number; organization, customer, products and items stay shared."""
    charge = copy.deepcopy(dict(template))
    charge["id"] = charge_id or str(uuid.uuid4())
    charge["document_number"] = document_number
    charge["pricer_invoice_id"] = str(uuid.uuid4())
    for line in charge["line_items"]:
        line["id"] = str(uuid.uuid4())
        line["uac_invoice_id"] = charge["id"]
        if line.get("invoice_adjustment_line_item"):
            raise ValueError("clone_charge does not copy invoice adjustments")
    return charge


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _billable_products(template: dict[str, Any]) -> list[str]:
    products = [
        line["product_id"]
        for line in template["line_items"]
        if line.get("product_id") and line.get("suppress_line_item") is False
    ]
    return list(dict.fromkeys(products))


def generate_charges(
    count: int,
    *,
    tag: str,
    rng: random.Random,
    min_lines: int = 1,
    max_lines: int = 25,
    line_counts: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """`count` charges shaped like demo charge 1, in the streamOS API shape `load_charges` reads.

    Each has a new id and pricer_invoice_id, the document number `{tag}-{index:06d}` (distinct per
    tag), `line_counts[i]` lines (else a uniform random count in [min_lines, max_lines]) with random
    quantities and unit prices, and totals that add up.
    """
    template = template_charge()
    products = _billable_products(template)
    line_template = next(line for line in template["line_items"] if line.get("product_id") in products)
    head = {
        key: value
        for key, value in template.items()
        if key not in {"organization", "stream_customer", "line_items", "invoice_adjustment", "adjustments"}
    }
    charges: list[dict[str, Any]] = []
    for index in range(count):
        charge_id = _uuid(rng)
        lines_wanted = line_counts[index] if line_counts is not None else rng.randint(min_lines, max_lines)
        lines: list[dict[str, Any]] = []
        total = Decimal(0)
        for position in range(lines_wanted):
            quantity = rng.choice((1, 1, 1, rng.randint(2, 50), rng.randint(100, 250_000)))
            if quantity > 1000:
                unit = Decimal(rng.randint(1, 500)) / Decimal(10_000)  # sub-cent usage prices
            else:
                unit = Decimal(rng.randint(500, 250_000)) / Decimal(100)
            line_total = (unit * quantity).quantize(_CENT, rounding=ROUND_HALF_UP)
            total += line_total
            line = copy.deepcopy(line_template)
            line.pop("product", None)
            line.update(
                id=_uuid(rng),
                uac_invoice_id=charge_id,
                description=rng.choice(LINE_DESCRIPTIONS),
                quantity=quantity,
                unit_amount=float(unit),
                total_amount=str(line_total),
                product_id=products[position % len(products)],
                suppress_line_item=False,
                sort_order=str(position),
                pricer_index=position,
                invoice_adjustment_line_item=[],
            )
            lines.append(line)
        charge = dict(head)
        charge.update(
            id=charge_id,
            pricer_invoice_id=_uuid(rng),
            document_number=f"{tag}-{index:06d}",
            memo=f"Benchmark charge {index} ({lines_wanted} line{'s' if lines_wanted != 1 else ''})",
            amount_due=str(total),
            total_amount=str(total),
            sub_total=str(total),
            tax_amount="0",
            total_discount="0",
            line_items=lines,
        )
        charges.append(charge)
    return charges


async def seed_charges(dsn: str, charges: Sequence[dict[str, Any]]) -> None:
    """Loads the demo charges (the rows the generated ones refer to), then `charges`, in batches."""
    await load_charges(dsn, demo_payload(), progress=None)
    connection = await asyncpg.connect(dsn)
    try:
        for start in range(0, len(charges), LOAD_BATCH):
            await load_charges(connection, list(charges[start : start + LOAD_BATCH]), progress=None)
    finally:
        await connection.close()
