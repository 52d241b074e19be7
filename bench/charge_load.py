"""Loading a charge through the Prisma client against the hand-written query the service ran
before it (bench/hand_written_charge.py): `python -m bench.charge_load [--quick]`.

On a fresh database on DATABASE_URL's server (dropped afterwards), migrated and seeded with the demo
and two generated charges (1 and 25 lines), it loads each charge with everything the invoice flow
reads (organization, customer, accounting customer and addresses, line items with products,
accounting items and adjustments, the charge's adjustments and its live request) both ways and
prints the process CPU time per load and the ratio (target: the client at most 1.3x). The client's
way is the service's own (`repository.load_charge_state`, one statement); the hand-written statement
also looked up who holds the charge's document number, which the service now does in the request's
insert.
"""

from __future__ import annotations

import random
import sys
from typing import Any

import asyncpg

from api.invoices import repository as repo
from bench import hand_written_charge
from bench.client import iterations_main, per_call
from devkit.charges import generate_charges, seed_charges
from devkit.databases import temporary_database
from prisma import Prisma

TARGET = 1.3


async def run(server_dsn: str, iterations: int) -> dict[str, tuple[float, float]]:
    async with temporary_database(server_dsn, "bench_charge_load", migrated=True) as dsn:
        charges = generate_charges(2, tag="LOAD", rng=random.Random(7), line_counts=(1, 25))
        await seed_charges(dsn, charges)
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
        try:
            db = Prisma(pool=pool)
            results: dict[str, tuple[float, float]] = {}
            for charge in charges:
                charge_id = str(charge["id"])
                lines = len(charge["line_items"])
                by_hand_state = await hand_written_charge.load_charge_state(pool, charge_id)
                state = await repo.load_charge_state(db, charge_id)
                assert by_hand_state is not None and state is not None
                assert [line.line.total_amount for line in by_hand_state.charge.line_items] == [
                    line.line.total_amount for line in state.charge.line_items
                ]
                assert len(state.charge.line_items) == lines

                async def by_hand(charge_id: str = charge_id) -> Any:
                    return await hand_written_charge.load_charge_state(pool, charge_id)

                async def by_client(charge_id: str = charge_id) -> Any:
                    return await repo.load_charge_state(db, charge_id)

                results[f"{lines}_hand"] = await per_call(by_hand, iterations)
                results[f"{lines}_client"] = await per_call(by_client, iterations)
            return results
        finally:
            await pool.close()


def report(results: dict[str, tuple[float, float]]) -> str:
    columns = (
        f"{'CPU client µs':>14}{'by hand µs':>12}{'ratio':>7}   {'wall client µs':>15}{'by hand µs':>12}"
    )
    lines = [f"{'charge':<12}{columns}"]
    for count in sorted({int(key.split("_")[0]) for key in results}):
        (cpu_c, wall_c), (cpu_h, wall_h) = results[f"{count}_client"], results[f"{count}_hand"]
        verdict = "ok" if cpu_c / cpu_h <= TARGET else "OVER"
        label = f"{count} lines"
        lines.append(
            f"{label:<12}{cpu_c * 1e6:>14.1f}{cpu_h * 1e6:>12.1f}{cpu_c / cpu_h:>7.2f} {verdict:<4}"
            f"{wall_c * 1e6:>14.1f}{wall_h * 1e6:>12.1f}{wall_c / wall_h:>7.2f}"
        )
    lines.append(f"CPU target: client <= {TARGET}x by hand")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return iterations_main(argv, doc=__doc__, default_iterations=2000, run=run, report=report)


if __name__ == "__main__":
    sys.exit(main())
