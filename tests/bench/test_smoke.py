"""The benchmark's quick mode end to end, so the suite never rots: `python -m bench --quick`.

It runs against the test run's PostgreSQL server (a database of its own, dropped after) and checks
that every section is in the JSON with sane numbers. No assertion is about speed: timings on a
shared CI machine prove nothing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api.paths import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def _quantiles_ordered(latency: dict[str, Any]) -> bool:
    return bool(0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"])


@pytest.fixture(scope="module")
def quick_run(server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "DATABASE_URL": server_dsn}
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, f"python -m bench --quick failed:\n{finished.stderr[-4000:]}"
    assert "### Goals" in finished.stdout
    return json.loads((out / "results.json").read_text()), out


def test_every_section_is_written(quick_run: tuple[dict[str, Any], Path]) -> None:
    results, out = quick_run
    for section in ("machine", "database", "config", "seed", "throughput", "cost", "waiting", "polling"):
        assert section in results, section
    assert {"memory", "goals"} <= results.keys()
    assert results["mode"] == "quick"
    assert results["machine"]["nproc"] >= 1
    assert (out / "summary.md").read_text().startswith("Benchmark (quick run")
    if importlib.util.find_spec("matplotlib") is not None:
        for name in ("throughput.png", "latency.png", "rss.png"):
            assert (out / name).read_bytes().startswith(b"\x89PNG"), name


def test_seed_matches_the_configuration(quick_run: tuple[dict[str, Any], Path]) -> None:
    results, _ = quick_run
    seed, config = results["seed"], results["config"]
    assert seed["charges"] == config["charges"]
    assert config["min_lines"] <= seed["min_lines"] <= seed["max_lines"] <= config["max_lines"]
    assert seed["line_items"] >= seed["charges"]


def test_throughput_and_baseline_invoice_every_charge(quick_run: tuple[dict[str, Any], Path]) -> None:
    results, _ = quick_run
    throughput, charges = results["throughput"], results["seed"]["charges"]
    for who in ("service", "baseline"):
        runs = throughput[who]
        assert [run["concurrency"] for run in runs] == results["config"]["concurrency"]
        for run in runs:
            assert run["errors"] == 0, run["error_samples"]
            assert run["ok"] == charges
            assert run["invoices_per_s"] > 0
            assert _quantiles_ordered(run["latency_ms"])
    for ratio in throughput["ratio_by_concurrency"].values():
        assert ratio > 0
    # Quick runs make one round per concurrency, and the round is the one reported.
    assert [entry["concurrency"] for entry in throughput["rounds"]] == results["config"]["concurrency"]
    for entry in throughput["rounds"]:
        assert len(entry["ratios"]) == 1 and entry["chosen"] == 0
        assert entry["ratios"][0] == throughput["ratio_by_concurrency"][str(entry["concurrency"])]
    assert throughput["service"][0]["cpu"]["ms_per_invoice"]["service"] > 0


def test_cost_is_counted_for_one_and_twenty_five_lines(quick_run: tuple[dict[str, Any], Path]) -> None:
    results, _ = quick_run
    by_lines = results["cost"]["by_line_count"]
    assert set(by_lines) == {"1", "25"}
    for entry in by_lines.values():
        for who in ("service", "baseline"):
            cost = entry[who]
            assert cost["errors"] == 0
            assert 1 <= cost["sql_round_trips_per_invoice"] < 100
            assert cost["sql_statements_per_invoice"] >= 1
            # One create and at least one poll per invoice.
            assert cost["rutter_calls_by_kind"]["create"] == 1
            assert cost["rutter_calls_by_kind"]["poll_job"] >= 1


def test_waiting_and_polling(quick_run: tuple[dict[str, Any], Path]) -> None:
    results, _ = quick_run
    waiting = results["waiting"]
    assert waiting["errors"] == 0
    assert waiting["ok"] == results["config"]["waiting_invoices"]
    # Every invoice waits for a job of waiting_job_latency_s, so the ideal is a floor, whatever the machine.
    assert waiting["ratio_to_ideal"] >= 1.0
    durations = results["polling"]["durations"]
    assert [entry["job_s"] for entry in durations] == results["config"]["poll_durations_s"]
    for entry in durations:
        assert entry["errors"] == 0
        assert len(entry["polls_per_job"]) == entry["invoices"]
        assert all(polls >= 1 for polls in entry["polls_per_job"])
        assert isinstance(entry["met"], bool)


def test_memory_is_sampled(quick_run: tuple[dict[str, Any], Path]) -> None:
    results, _ = quick_run
    memory = results["memory"]
    assert memory["errors"] == 0
    assert memory["invoices"] == results["config"]["memory_invoices"]
    assert len(memory["samples"]) >= 2
    assert 0 < memory["start_rss_mib"] <= memory["peak_rss_mib"]
    assert isinstance(memory["grows"], bool)


def test_goals_are_evaluated(quick_run: tuple[dict[str, Any], Path]) -> None:
    results, _ = quick_run
    goals = results["goals"]
    names = [goal["goal"] for goal in goals]
    # One goal per section that ran, plus issue 15's three (the quick run has concurrency 16 and 64).
    assert len(names) == 8, names
    assert "service / baseline throughput >= 0.75 at concurrency 16 and 64" in names
    assert "PostgreSQL CPU per invoice for the service <= 1.15x the baseline's" in names
    assert "service CPU per 1-line invoice <= 1.6x the baseline's" in names
    assert all(isinstance(goal["met"], bool) for goal in goals)
