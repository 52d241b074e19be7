"""The benchmark's goal table: issue 15's goals computed from a run's results."""

from __future__ import annotations

from typing import Any

from bench.goals import evaluate_goals


def _level(concurrency: int, postgres_ms: float, **extra: Any) -> dict[str, Any]:
    return {"concurrency": concurrency, "cpu": {"ms_per_invoice": {"postgres": postgres_ms}}, **extra}


def _results(
    ratios: dict[str, float], postgres: list[tuple[float, float]], one_line: tuple[float, float]
) -> dict[str, Any]:
    levels = [int(level) for level in ratios]
    return {
        "throughput": {
            "ratio_by_concurrency": ratios,
            "service": [_level(level, service) for level, (service, _) in zip(levels, postgres, strict=True)],
            "baseline": [
                _level(level, baseline) for level, (_, baseline) in zip(levels, postgres, strict=True)
            ],
        },
        "cost": {
            "by_line_count": {
                "1": {
                    "service": {"sql_round_trips_per_invoice": 4.0, "cpu_ms_per_invoice": one_line[0]},
                    "baseline": {"sql_round_trips_per_invoice": 12.0, "cpu_ms_per_invoice": one_line[1]},
                },
                "25": {
                    "service": {"sql_round_trips_per_invoice": 4.0, "cpu_ms_per_invoice": 3.0},
                    "baseline": {"sql_round_trips_per_invoice": 36.0, "cpu_ms_per_invoice": 2.0},
                },
            }
        },
    }


def _by_goal(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {goal["goal"]: goal for goal in evaluate_goals(results)}


def test_the_cpu_gap_goals_are_judged_from_the_run() -> None:
    goals = _by_goal(
        _results({"1": 0.9, "16": 0.58, "64": 0.71}, [(1.8, 2.7), (2.9, 2.2), (2.8, 2.2)], (2.4, 1.8))
    )

    saturated = goals["service / baseline throughput >= 0.75 at concurrency 16 and 64"]
    assert (saturated["measured"], saturated["met"]) == (0.58, False)  # concurrency 1 does not count
    postgres = goals["PostgreSQL CPU per invoice for the service <= 1.15x the baseline's"]
    assert (postgres["measured"], postgres["met"]) == (1.32, False)  # the worst level: 2.9 / 2.2
    one_line = goals["service CPU per 1-line invoice <= 1.6x the baseline's"]
    assert (one_line["measured"], one_line["met"]) == (1.33, True)


def test_the_cpu_gap_goals_are_met_when_the_run_meets_them() -> None:
    goals = _by_goal(_results({"16": 0.8, "64": 0.76}, [(2.0, 2.0), (2.2, 2.0)], (2.0, 1.9)))

    assert all(goal["met"] for name, goal in goals.items() if "0.6 at every" not in name)
    assert goals["service CPU per 1-line invoice <= 1.6x the baseline's"]["measured"] == 1.05


def test_levels_without_the_saturated_ones_give_no_saturation_goal() -> None:
    goals = _by_goal(_results({"1": 0.9}, [(1.8, 2.7)], (2.4, 1.8)))

    assert "service / baseline throughput >= 0.75 at concurrency 16 and 64" not in goals
    assert goals["PostgreSQL CPU per invoice for the service <= 1.15x the baseline's"]["met"] is True
