"""Several rounds per concurrency: the reported pair is the median's, and the report says so."""

from __future__ import annotations

from typing import Any

from bench.report import _cost_rounds_line, _rounds_line
from bench.run import parse_args
from bench.sections.cost import cpu_ratio
from bench.sections.throughput import median_pair


def _pair(service: float, baseline: float) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"invoices_per_s": service}, {"invoices_per_s": baseline}


def test_the_median_ratio_is_kept() -> None:
    pairs = [_pair(80, 100), _pair(60, 100), _pair(90, 100)]  # ratios 0.8, 0.6, 0.9
    assert median_pair(pairs) == 0
    assert median_pair([_pair(50, 100)]) == 0


def test_of_two_rounds_the_less_flattering_is_kept() -> None:
    assert median_pair([_pair(90, 100), _pair(70, 100)]) == 1


def test_a_baseline_that_invoiced_nothing_counts_as_the_lowest_ratio() -> None:
    assert median_pair([_pair(90, 100), _pair(10, 0), _pair(50, 100)]) == 2


def test_the_report_lists_every_rounds_ratio_only_when_there_were_several() -> None:
    several = [
        {"concurrency": 1, "ratios": [0.7, 0.72, 0.68]},
        {"concurrency": 16, "ratios": [0.8, 0.75, 0.6]},
    ]
    line = _rounds_line(several)[0]
    assert line.startswith("3 rounds per concurrency")
    assert "1: 0.70, 0.72, 0.68; 16: 0.80, 0.75, 0.60" in line
    assert "PostgreSQL" not in line
    assert _rounds_line([{"concurrency": 1, "ratios": [0.7]}]) == []
    assert _rounds_line([]) == []


def test_the_report_lists_postgresqls_ratio_by_round_and_pooled() -> None:
    rounds = [
        {"concurrency": 1, "ratios": [0.7, 0.8], "postgres_cpu_ms_per_invoice": [[1.2, 1.0], [3.0, 2.0]]},
        {"concurrency": 16, "ratios": [0.8, 0.9], "postgres_cpu_ms_per_invoice": [[None, 1.0], [1.1, 1.0]]},
        {"concurrency": 64, "ratios": [0.8, 0.9], "postgres_cpu_ms_per_invoice": [[None, None], [1.0, None]]},
    ]
    line = _rounds_line(rounds)[0]
    # 1: rounds 1.2 and 1.5, pooled (1.2 + 3.0) / (1.0 + 2.0) = 1.4; rounds missing a number are left out.
    assert "PostgreSQL CPU, service / baseline, by round (pooled over the rounds): " in line
    assert "1: 1.20, 1.50 (1.40); " in line
    assert "16: 1.10 (1.10)." in line
    assert "64:" not in line.partition("PostgreSQL")[2]


def test_rounds_are_three_in_a_full_run_one_in_a_quick_one_and_settable() -> None:
    assert parse_args([]).throughput_rounds == 3
    assert parse_args(["--quick"]).throughput_rounds == 1
    assert parse_args(["--rounds", "2"]).throughput_rounds == 2


def test_the_cost_sections_rounds_are_judged_on_the_cpu_ratio() -> None:
    assert cpu_ratio({"cpu_ms_per_invoice": 3.0}, {"cpu_ms_per_invoice": 2.0}) == 1.5
    assert cpu_ratio({"cpu_ms_per_invoice": 3.0}, {"cpu_ms_per_invoice": None}) == float("inf")
    cost = {
        "rounds": 3,
        "by_line_count": {"1": {"cpu_ratio_by_round": [1.5, 1.7, 1.6]}, "25": {"cpu_ratio_by_round": [1.2]}},
    }
    line = _cost_rounds_line(cost)[0]
    assert line.startswith("3 rounds (service, then baseline)")
    assert "1 line(s): 1.50, 1.70, 1.60; 25 line(s): 1.20" in line
    assert _cost_rounds_line({"by_line_count": {"1": {"cpu_ratio_by_round": [1.5]}}}) == []
