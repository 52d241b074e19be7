"""Once everything has settled: duplicates, lost invoices, unsettled charges; the report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.faults.plan import CRASH_POINTS, SCENARIOS, RunPlan
from devkit.demo import ORGANIZATION_ID
from devkit.sandbox import SandboxControl


@dataclass
class Verdict:
    sandbox_invoices: int
    stored_invoices: int
    duplicates: list[str]
    lost: list[str]
    unsettled: list[str]
    pending_left: int

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.lost or self.unsettled or self.pending_left)


async def verify(control: SandboxControl, pool: asyncpg.Pool, plans: Sequence[RunPlan]) -> Verdict:
    """Counts duplicates, lost invoices and unsettled charges once everything has settled."""
    numbers = {plan.document_number for plan in plans}
    in_rutter = [invoice for invoice in await control.invoices() if invoice["document_number"] in numbers]
    per_number = Counter(invoice["document_number"] for invoice in in_rutter)
    rows = await pool.fetch(
        "SELECT id, document_number, provider_entity_id FROM acc_uac_invoice WHERE organization_id = $1",
        ORGANIZATION_ID,
    )
    stored = [row for row in rows if row["document_number"] in numbers]
    stored_per_number = Counter(row["document_number"] for row in stored)
    stored_ids = {row["provider_entity_id"] for row in stored}
    duplicates = sorted(n for n in numbers if per_number[n] > 1 or stored_per_number[n] > 1)
    lost = [
        f"{invoice['document_number']}: Rutter invoice {invoice['id']} has no acc_uac_invoice row"
        for invoice in in_rutter
        if invoice["id"] not in stored_ids
    ]
    broken = await pool.fetch(
        """
        SELECT r.id, r.charge_id FROM invoice_request r
        LEFT JOIN acc_uac_invoice a ON a.id = r.acc_uac_invoice_id
        WHERE r.status = 'COMPLETED' AND a.id IS NULL
        """
    )
    lost += [
        f"request {row['id']} (charge {row['charge_id']}) is COMPLETED without its row" for row in broken
    ]
    completed = {
        str(row["charge_id"])
        for row in await pool.fetch("SELECT charge_id FROM invoice_request WHERE status = 'COMPLETED'")
    }
    unsettled = sorted(plan.document_number for plan in plans if plan.charge_id not in completed)
    pending = await pool.fetchval("SELECT count(*) FROM invoice_request WHERE status = 'PENDING'")
    return Verdict(len(in_rutter), len(stored), duplicates, lost, unsettled, int(pending))


@dataclass
class Report:
    runs: int
    seed: int
    concurrency: int
    wall_s: float
    scenarios: Counter[str]
    answers: Counter[str]
    kills: int
    interrupted: Counter[str]
    verdict: Verdict
    anomalies: list[str]
    log_dir: str

    def table(self) -> str:
        lines = [
            f"fault runs: {self.runs} (seed {self.seed}, concurrency {self.concurrency})",
            "",
            f"{'scenario':<48}{'runs':>8}",
        ]
        lines += [f"{name:<48}{self.scenarios[name]:>8}" for name in SCENARIOS]
        lines += ["", f"{'answers seen by the clients':<48}{'count':>8}"]
        lines += [f"{name:<48}{count:>8}" for name, count in sorted(self.answers.items())]
        verdict = self.verdict
        lines += [
            "",
            f"{'service SIGKILLs / restarts':<48}{self.kills:>8}",
            *(f"{'  ' + when:<48}{self.interrupted[when]:>8}" for when in CRASH_POINTS),
            f"{'invoices in the sandbox':<48}{verdict.sandbox_invoices:>8}",
            f"{'acc_uac_invoice rows':<48}{verdict.stored_invoices:>8}",
            f"{'unexpected answers':<48}{len(self.anomalies):>8}",
            f"{'unsettled charges':<48}{len(verdict.unsettled):>8}",
            f"{'duplicates':<48}{len(verdict.duplicates):>8}",
            f"{'lost':<48}{len(verdict.lost):>8}",
            f"{'wall time':<48}{self.wall_s:>7.1f}s",
        ]
        for title, items in (
            ("duplicates", verdict.duplicates),
            ("lost", verdict.lost),
            ("unsettled", verdict.unsettled),
            ("unexpected answers", self.anomalies),
        ):
            if items:
                lines += ["", f"{title}:"] + [f"  {item}" for item in items[:20]]
        lines += ["", f"process logs: {self.log_dir}"]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "seed": self.seed,
            "concurrency": self.concurrency,
            "wall_s": round(self.wall_s, 1),
            "scenarios": {name: self.scenarios[name] for name in SCENARIOS},
            "answers": dict(self.answers),
            "kills": self.kills,
            "interrupted": dict(self.interrupted),
            "sandbox_invoices": self.verdict.sandbox_invoices,
            "stored_invoices": self.verdict.stored_invoices,
            "duplicates": self.verdict.duplicates,
            "lost": self.verdict.lost,
            "unsettled": self.verdict.unsettled,
            "pending_left": self.verdict.pending_left,
            "anomalies": self.anomalies,
            "log_dir": self.log_dir,
        }
