"""The run's configuration as recorded, and the issue's goals against what was measured."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench.config import (
    COST_LINE_COUNTS,
    DEPLOYED_POLL_FACTOR,
    DEPLOYED_POLL_INITIAL_S,
    DEPLOYED_POLL_MAX_S,
    SANDBOX_RATE_LIMIT,
    BenchConfig,
)


def config_json(config: BenchConfig) -> dict[str, Any]:
    values = asdict(config)
    values["out_dir"] = str(config.out_dir)
    values["service"] = {
        "command": "uvicorn api.main:app --host 127.0.0.1 --port <free> --no-access-log --log-level warning",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_MAX_SIZE": config.db_pool_max_size,
        "RUTTER_POLL_INITIAL_S (throughput, cost, memory)": config.throughput_poll_initial_s,
        "RUTTER_POLL_INITIAL_S/FACTOR/MAX_S (waiting, polling)": [
            DEPLOYED_POLL_INITIAL_S,
            DEPLOYED_POLL_FACTOR,
            DEPLOYED_POLL_MAX_S,
        ],
        "RUTTER_JOB_TIMEOUT_S (waiting, polling)": config.poll_job_timeout_s,
        "EMAIL_ENABLED": False,
    }
    values["sandbox"] = {"job_latency_s": 0, "rate_limit": SANDBOX_RATE_LIMIT}
    return values


def evaluate_goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's goals against what was measured (only for the sections that ran)."""
    goals: list[dict[str, Any]] = []
    throughput = results.get("throughput")
    if throughput:
        by_level = throughput["ratio_by_concurrency"]
        ratios = [ratio for ratio in by_level.values() if ratio is not None]
        worst = min(ratios) if ratios else None
        goals.append(
            {
                "goal": "service / baseline throughput >= 0.6 at every concurrency",
                "measured": worst,
                "detail": "by concurrency: "
                + ", ".join(f"{level}: {ratio}" for level, ratio in by_level.items()),
                "met": worst is not None and worst >= 0.6,
            }
        )
        goals.extend(_cpu_gap_goals(throughput))
    cost = results.get("cost")
    if cost:
        goals.extend(_one_line_cpu_goal(cost))
        by_lines = cost["by_line_count"]
        service = [
            by_lines[str(lines)]["service"]["sql_round_trips_per_invoice"] for lines in COST_LINE_COUNTS
        ]
        baseline = [
            by_lines[str(lines)]["baseline"]["sql_round_trips_per_invoice"] for lines in COST_LINE_COUNTS
        ]
        goals.append(
            {
                "goal": "SQL round trips per invoice bounded and independent of line count",
                "measured": service,
                "detail": f"for {' and '.join(map(str, COST_LINE_COUNTS))} lines; baseline {baseline}",
                "met": max(service) - min(service) < 0.5,
            }
        )
    waiting = results.get("waiting")
    if waiting:
        goals.append(
            {
                "goal": "waiting scales: wall time within 2x the ideal (a few seconds, not minutes)",
                "measured": waiting["ratio_to_ideal"],
                "detail": (
                    f"{waiting['wall_s']:.1f} s vs ideal {waiting['ideal_s']:.1f} s; the service spent "
                    f"{waiting['service_cpu_s']:.1f} s of CPU; serialised waits would take "
                    f"{waiting['serialised_s']:,.0f} s"
                ),
                "met": waiting["errors"] == 0 and waiting["ratio_to_ideal"] <= 2.0,
            }
        )
    polling = results.get("polling")
    if polling:
        goals.append(
            {
                "goal": "polls per job <= ceil(log1.5(T / 0.5 s)) + 2",
                "measured": {str(d["job_s"]): d["max_polls"] for d in polling["durations"]},
                "detail": "bounds "
                + ", ".join(f"{d['job_s']:g} s: {d['goal_max_polls']}" for d in polling["durations"]),
                "met": all(d["met"] for d in polling["durations"]),
            }
        )
    memory = results.get("memory")
    if memory:
        goals.append(
            {
                "goal": "RSS does not grow with invoices (end within 10% of after the first batch)",
                "measured": memory["growth_after_first_batch_mib"],
                "detail": (
                    f"MiB of growth; peak {memory['peak_rss_mib']:.1f} MiB, {memory['invoices']:,} invoices"
                ),
                "met": not memory["grows"] and memory["errors"] == 0,
            }
        )
    return goals


# Issue 15 ("close the CPU gap"): where the machine is saturated, throughput follows CPU per invoice.
SATURATED_LEVELS = (16, 64)
MIN_SATURATED_RATIO = 0.75
MAX_POSTGRES_CPU_RATIO = 1.15
MAX_ONE_LINE_CPU_RATIO = 1.6


def _cpu_gap_goals(throughput: dict[str, Any]) -> list[dict[str, Any]]:
    """Service / baseline throughput at the saturated levels, and PostgreSQL's CPU per invoice for
    the service against the baseline's at every level (for the levels that ran)."""
    goals: list[dict[str, Any]] = []
    by_level = throughput["ratio_by_concurrency"]
    saturated = {
        level: ratio
        for level, ratio in by_level.items()
        if int(level) in SATURATED_LEVELS and ratio is not None
    }
    if saturated:
        worst = min(saturated.values())
        goals.append(
            {
                "goal": f"service / baseline throughput >= {MIN_SATURATED_RATIO} at concurrency 16 and 64",
                "measured": worst,
                "detail": "by concurrency: "
                + ", ".join(f"{level}: {ratio}" for level, ratio in saturated.items()),
                "met": worst >= MIN_SATURATED_RATIO,
            }
        )
    postgres: dict[str, float] = {}
    for service, baseline in zip(throughput["service"], throughput["baseline"], strict=True):
        service_ms = (service.get("cpu") or {}).get("ms_per_invoice", {}).get("postgres")
        baseline_ms = (baseline.get("cpu") or {}).get("ms_per_invoice", {}).get("postgres")
        if service_ms and baseline_ms:
            postgres[str(service["concurrency"])] = round(service_ms / baseline_ms, 2)
    if postgres:
        worst = max(postgres.values())
        goals.append(
            {
                "goal": (
                    f"PostgreSQL CPU per invoice for the service <= {MAX_POSTGRES_CPU_RATIO}x the baseline's"
                ),
                "measured": worst,
                "detail": "by concurrency: "
                + ", ".join(f"{level}: {ratio}x" for level, ratio in postgres.items()),
                "met": worst <= MAX_POSTGRES_CPU_RATIO,
            }
        )
    return goals


def _one_line_cpu_goal(cost: dict[str, Any]) -> list[dict[str, Any]]:
    """The service's CPU per 1-line invoice against the baseline's (the cost section, concurrency 1)."""
    one_line = cost["by_line_count"].get("1")
    if not one_line:
        return []
    service_ms = one_line["service"].get("cpu_ms_per_invoice")
    baseline_ms = one_line["baseline"].get("cpu_ms_per_invoice")
    if not service_ms or not baseline_ms:
        return []
    ratio = round(service_ms / baseline_ms, 2)
    return [
        {
            "goal": f"service CPU per 1-line invoice <= {MAX_ONE_LINE_CPU_RATIO}x the baseline's",
            "measured": ratio,
            "detail": f"{service_ms} ms against {baseline_ms} ms (concurrency 1)",
            "met": ratio <= MAX_ONE_LINE_CPU_RATIO,
        }
    ]
