"""Section 3: cost per invoice: service CPU, SQL round trips for 1- and 25-line charges (counted on
the wire), Rutter calls."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from bench.config import COST_LINE_COUNTS, say
from bench.database import SqlCounter
from bench.load import drive
from bench.measure import latency_summary_ms, median_index, process_cpu_s

if TYPE_CHECKING:
    from bench.suite import Bench
    from devkit.service import ServiceProcess


async def run(bench: Bench) -> dict[str, Any]:
    config = bench.config
    counter = SqlCounter(bench.database.server_dsn)
    await counter.start()
    proxied_dsn = counter.database_dsn(bench.database.name)
    service = await bench.start_service(
        "counted", {**bench.throughput_settings(), "RECOVERY_INTERVAL_S": "0"}, dsn=proxied_dsn
    )
    by_lines: dict[str, Any] = {}
    try:
        for lines in COST_LINE_COUNTS:
            ids = bench.workload.cost[lines]
            warmup, measured = ids[: config.cost_warmup], ids[config.cost_warmup :]
            rounds = [
                await _round(bench, service, counter, proxied_dsn, warmup, measured)
                for _ in range(config.throughput_rounds)
            ]
            ratios = [cpu_ratio(service_cost, baseline_cost) for service_cost, baseline_cost in rounds]
            service_cost, baseline_cost = rounds[median_index(ratios)]
            by_lines[str(lines)] = {
                "service": service_cost,
                "baseline": baseline_cost,
                "cpu_ratio_by_round": [round(value, 3) for value in ratios],
            }
            say(
                f"cost, {lines}-line charges: service {service_cost['sql_round_trips_per_invoice']} SQL "
                f"round trips, {service_cost['rutter_calls_per_invoice']} Rutter calls, "
                f"{service_cost['cpu_ms_per_invoice']} ms CPU per invoice; baseline "
                f"{baseline_cost['sql_round_trips_per_invoice']} round trips"
            )
    finally:
        await service.stop()
        await counter.close()
    return {
        "invoices_per_line_count": config.cost_invoices,
        "rounds": config.throughput_rounds,
        "concurrency": 1,
        "by_line_count": by_lines,
        "method": (
            "SQL: a proxy in front of PostgreSQL counts the messages the client sends after a warm-up of "
            f"{config.cost_warmup} invoices (round trip = simple Query or Sync; statement = Execute or "
            "Query; prepare = a Sync batch without Execute). pg_stat_statements needs "
            "shared_preload_libraries, which a shared server may not have. Rutter: the sandbox's "
            "/_sandbox/requests after a reset. CPU: utime+stime of the service process "
            "(/proc/<pid>/stat) over the measured invoices. Each line count is measured in rounds "
            "(service, then baseline); the round with the median CPU ratio is reported."
        ),
    }


async def _round(
    bench: Bench,
    service: ServiceProcess,
    counter: SqlCounter,
    proxied_dsn: str,
    warmup: list[str],
    measured: list[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One measurement of the service, then one of the baseline, on the same charges."""
    await bench.rewind()
    await drive(service, warmup, 1)
    await bench.control.reset()
    before_sql = counter.snapshot()
    before_cpu = process_cpu_s(service.pid)
    result = await drive(service, measured, 1)
    cpu_s = process_cpu_s(service.pid) - before_cpu
    sql = counter.snapshot() - before_sql
    requests = await bench.control.requests()
    service_cost = cost_summary(result.created, sql, requests)
    service_cost["errors"] = result.errors
    service_cost["cpu_ms_per_invoice"] = round(cpu_s * 1000 / max(result.created, 1), 3)
    service_cost["latency_ms"] = latency_summary_ms(result.latencies_s)

    await bench.rewind()
    baseline = await bench.run_baseline(
        measured, 1, warmup=warmup, dsn=proxied_dsn, pool_size=1, counter=counter
    )
    requests = await bench.control.requests()
    baseline_cost = cost_summary(baseline["ok"], Counter(baseline["sql"]), requests)
    baseline_cost["errors"] = baseline["errors"]
    baseline_cost["cpu_ms_per_invoice"] = baseline["baseline_cpu_ms_per_invoice"]
    return service_cost, baseline_cost


def cpu_ratio(service_cost: dict[str, Any], baseline_cost: dict[str, Any]) -> float:
    """Service CPU per invoice over the baseline's (infinite when the baseline's is unknown)."""
    baseline_ms = baseline_cost.get("cpu_ms_per_invoice") or 0.0
    return float(service_cost["cpu_ms_per_invoice"] / baseline_ms) if baseline_ms else float("inf")


def cost_summary(invoices: int, sql: Counter[str], requests: list[dict[str, Any]]) -> dict[str, Any]:
    kinds: Counter[str] = Counter()
    for entry in requests:
        if entry["method"] == "POST" and entry["path"].endswith("/accounting/invoices"):
            kinds["create"] += 1
        elif entry["method"] == "GET" and "/jobs/" in entry["path"]:
            kinds["poll_job"] += 1
        else:
            kinds["other"] += 1
    per = max(invoices, 1)
    return {
        "invoices": invoices,
        "sql_round_trips_per_invoice": round(sql["round_trips"] / per, 2),
        "sql_statements_per_invoice": round(sql["statements"] / per, 2),
        "sql_prepare_round_trips_per_invoice": round(sql["prepare_round_trips"] / per, 2),
        "sql_simple_queries_per_invoice": round(sql["simple_queries"] / per, 2),
        "rutter_calls_per_invoice": round(sum(kinds.values()) / per, 2),
        "rutter_calls_by_kind": {kind: round(count / per, 2) for kind, count in sorted(kinds.items())},
    }
