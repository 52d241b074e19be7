"""The benchmark's results as Markdown tables and PNG plots (matplotlib, Agg backend).

`python -m bench.report [results.json]` redraws the plots and prints the tables of an earlier run.
Plots need the optional `bench` extra (`pip install -e '.[bench]'`); without matplotlib the tables
are still written and the plots are skipped with a warning.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from api.paths import PROJECT_ROOT
from bench.profile import table as profile_table

PLOT_FILES = ("throughput.png", "latency.png", "rss.png")


def plot_paths(out_dir: Path) -> list[Path]:
    """The plots an earlier `draw` left in `out_dir`."""
    return [out_dir / name for name in PLOT_FILES if (out_dir / name).is_file()]


def draw(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """Draws throughput vs concurrency, latency percentiles and RSS over time; returns the files."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[bench] matplotlib is not installed (pip install -e '.[bench]'): no plots", file=sys.stderr)
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = _machine_line(results)
    written: list[Path] = []

    throughput = results.get("throughput")
    if throughput:
        levels = [run["concurrency"] for run in throughput["service"]]
        figure, axes = plt.subplots(figsize=(7, 4.5))
        for label, runs, marker in (
            ("service (FastAPI + uvicorn)", throughput["service"], "o"),
            ("baseline (asyncpg + aiohttp script)", throughput["baseline"], "s"),
        ):
            axes.plot(levels, [run["invoices_per_s"] for run in runs], marker=marker, label=label)
        for level, ratio, run in zip(
            levels, throughput["ratio_by_concurrency"].values(), throughput["service"], strict=True
        ):
            if ratio is not None:
                axes.annotate(
                    f"{ratio:.2f}x",
                    (level, run["invoices_per_s"]),
                    textcoords="offset points",
                    xytext=(0, -14),
                    ha="center",
                    fontsize=8,
                )
        axes.set_xscale("log", base=2)
        axes.set_xticks(levels, [str(level) for level in levels])
        axes.set_xlabel("concurrent POST /invoices")
        axes.set_ylabel("invoices per second")
        axes.set_ylim(bottom=0)
        axes.set_title(f"Throughput vs concurrency (service / baseline annotated)\n{machine}", fontsize=9)
        axes.grid(True, alpha=0.3)
        axes.legend()
        figure.tight_layout()
        written.append(_save(figure, out_dir / "throughput.png"))
        plt.close(figure)

        figure, axes = plt.subplots(figsize=(8, 4.5))
        width = 0.13
        series = [
            ("service", "p50", "#1f77b4", 1.0),
            ("service", "p95", "#1f77b4", 0.65),
            ("service", "p99", "#1f77b4", 0.35),
            ("baseline", "p50", "#ff7f0e", 1.0),
            ("baseline", "p95", "#ff7f0e", 0.65),
            ("baseline", "p99", "#ff7f0e", 0.35),
        ]
        for index, (who, quantile, color, alpha) in enumerate(series):
            values = [run["latency_ms"][quantile] or 0.0 for run in throughput[who]]
            positions = [level_index + (index - 2.5) * width for level_index in range(len(levels))]
            axes.bar(positions, values, width, color=color, alpha=alpha, label=f"{who} {quantile}")
        axes.set_xticks(range(len(levels)), [f"concurrency {level}" for level in levels])
        axes.set_yscale("log")
        axes.set_ylabel("latency, ms (log scale)")
        axes.set_title(f"Latency percentiles, one invoice end to end\n{machine}", fontsize=9)
        axes.grid(True, axis="y", alpha=0.3)
        axes.legend(ncol=2, fontsize=8)
        figure.tight_layout()
        written.append(_save(figure, out_dir / "latency.png"))
        plt.close(figure)

    memory = results.get("memory")
    if memory and memory["samples"]:
        times = [row[0] for row in memory["samples"]]
        figure, axes = plt.subplots(figsize=(7, 4.5))
        axes.plot(times, [row[1] for row in memory["samples"]], color="#2ca02c", label="RSS (MiB)")
        axes.axhline(memory["peak_rss_mib"], color="#2ca02c", linestyle=":", label="peak RSS (VmHWM)")
        axes.set_xlabel("seconds")
        axes.set_ylabel("service RSS, MiB")
        axes.set_ylim(bottom=0)
        invoices_axis = axes.twinx()
        invoices_axis.plot(
            times, [row[2] for row in memory["samples"]], color="#7f7f7f", alpha=0.6, label="invoices done"
        )
        invoices_axis.set_ylabel("invoices completed")
        invoices_axis.set_ylim(bottom=0)
        lines = axes.get_legend_handles_labels()
        more = invoices_axis.get_legend_handles_labels()
        axes.legend(lines[0] + more[0], lines[1] + more[1], loc="lower right")
        title = f"Service RSS over {memory['invoices']:,} invoices (concurrency {memory['concurrency']})"
        axes.set_title(f"{title}\n{machine}", fontsize=9)
        axes.grid(True, alpha=0.3)
        figure.tight_layout()
        written.append(_save(figure, out_dir / "rss.png"))
        plt.close(figure)
    return written


def _save(figure: Any, path: Path) -> Path:
    figure.savefig(path, dpi=110)
    return path


def _machine_line(results: dict[str, Any]) -> str:
    machine = results.get("machine", {})
    return (
        f"{machine.get('nproc')} x {machine.get('cpu_model')}, {machine.get('memory_gib')} GiB; "
        f"PostgreSQL {results.get('database', {}).get('server_version')}"
    )


def _value(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(_value(item, digits) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key} s: {_value(item, digits)}" for key, item in value.items())
    return str(value)


def _percent(fraction: Any) -> str:
    return f"{fraction * 100:.0f}%" if isinstance(fraction, int | float) else "-"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _cost_rounds_line(cost: dict[str, Any]) -> list[str]:
    """Every round's CPU ratio of the cost section when it ran more than one (rows are the median's)."""
    ratios_by_lines = {
        lines: entry.get("cpu_ratio_by_round") or [] for lines, entry in cost["by_line_count"].items()
    }
    if not any(len(ratios) > 1 for ratios in ratios_by_lines.values()):
        return []
    listed = "; ".join(
        f"{lines} line(s): " + ", ".join(_value(value, 2) for value in ratios)
        for lines, ratios in ratios_by_lines.items()
    )
    return [
        f"{cost.get('rounds')} rounds (service, then baseline); each row is the round with the median "
        f"CPU ratio. Service / baseline CPU by round: {listed}.",
        "",
    ]


def _rounds_line(rounds: list[dict[str, Any]]) -> list[str]:
    """Every round's ratio when a concurrency was run more than once (the row is the median's)."""
    if not rounds or all(len(entry["ratios"]) < 2 for entry in rounds):
        return []
    by_level = "; ".join(
        f"{entry['concurrency']}: " + ", ".join(_value(value, 2) for value in entry["ratios"])
        for entry in rounds
    )
    line = (
        f"{len(rounds[0]['ratios'])} rounds per concurrency, service and baseline alternated; each row is "
        f"the round with the median ratio. Service / baseline by round: {by_level}."
    )
    postgres = _postgres_rounds(rounds)
    if postgres:
        line += f" PostgreSQL CPU, service / baseline, by round (pooled over the rounds): {postgres}."
    return [line, ""]


def _postgres_rounds(rounds: list[dict[str, Any]]) -> str:
    """Each round's PostgreSQL CPU ratio and the ratio of the rounds' sums, by concurrency: the
    reported round is chosen by its throughput ratio, and PostgreSQL's swings on its own."""
    levels = []
    for entry in rounds:
        pairs = [
            (service, baseline)
            for service, baseline in entry.get("postgres_cpu_ms_per_invoice") or []
            if service and baseline
        ]
        if pairs:
            listed = ", ".join(_value(service / baseline, 2) for service, baseline in pairs)
            pooled = sum(service for service, _ in pairs) / sum(baseline for _, baseline in pairs)
            levels.append(f"{entry['concurrency']}: {listed} ({_value(pooled, 2)})")
    return "; ".join(levels)


def markdown(results: dict[str, Any], plots: list[Path], out_dir: Path) -> str:
    """The results as Markdown: machine, one table per section, the goals, the plots."""
    machine = results.get("machine", {})
    database = results.get("database", {})
    config = results.get("config", {})
    seed = results.get("seed", {})
    run = f"{results.get('mode')} run, {results.get('started_at')}, {results.get('duration_s')} s"
    out: list[str] = [
        f"Benchmark ({run})",
        "",
        f"Machine: {machine.get('nproc')} cores ({machine.get('cpu_model')}), "
        f"{machine.get('memory_gib')} GiB RAM, Linux {machine.get('kernel')}, "
        f"Python {machine.get('python')}; "
        f"PostgreSQL {database.get('server_version')} ({database.get('source')}, "
        f"synchronous_commit={database.get('synchronous_commit')}, "
        f"shared_buffers={database.get('shared_buffers')}). The service, the sandbox, PostgreSQL and the "
        "load generator share these cores; other work kept "
        f"{_percent(machine.get('background_busy_fraction'))} of them busy when the run started.",
        "",
        f"Workload: {seed.get('charges')} charges of {seed.get('min_lines')}-{seed.get('max_lines')} "
        f"line items (mean {seed.get('mean_lines_per_charge')}), each run invoices all of them; service "
        "under uvicorn (1 process, --no-access-log), LOG_LEVEL=WARNING, "
        f"DB_POOL_MAX_SIZE={config.get('db_pool_max_size')}, "
        f"RUTTER_POLL_INITIAL_S={config.get('throughput_poll_initial_s')} for throughput/cost/memory "
        "(the sandbox finishes jobs at once; the deployed 0.5 s would add 0.5 s to every invoice).",
        "",
    ]
    throughput = results.get("throughput")
    if throughput:
        rows = []
        for service, baseline in zip(throughput["service"], throughput["baseline"], strict=True):
            level = service["concurrency"]
            rows.append(
                [
                    str(level),
                    _value(service["invoices_per_s"]),
                    _value(service["latency_ms"]["p50"]),
                    _value(service["latency_ms"]["p95"]),
                    _value(service["latency_ms"]["p99"]),
                    _value(baseline["invoices_per_s"]),
                    _value(baseline["latency_ms"]["p50"]),
                    _value(baseline["latency_ms"]["p99"]),
                    _value(throughput["ratio_by_concurrency"][str(level)], 2),
                    _value(service["cpu"]["ms_per_invoice"]["service"], 2),
                    _value(baseline["baseline_cpu_ms_per_invoice"], 2),
                    _value(service["cpu"]["machine_busy_fraction"], 2),
                    f"{service['errors']}/{baseline['errors']}",
                ]
            )
        out += ["### Throughput, latency and overhead (POST /invoices end to end)", ""]
        out += _table(
            [
                "Concurrency",
                "Service inv/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "Baseline inv/s",
                "Baseline p50 ms",
                "Baseline p99 ms",
                "Service / baseline",
                "Service CPU ms/inv",
                "Baseline CPU ms/inv",
                "Machine busy",
                "Errors (svc/base)",
            ],
            rows,
        )
        out.append("")
        out += _rounds_line(throughput.get("rounds") or [])
    if throughput:
        rows = []
        for service, baseline in zip(throughput["service"], throughput["baseline"], strict=True):
            mine, theirs = service["cpu"]["ms_per_invoice"], baseline["cpu"]["ms_per_invoice"]
            rows.append(
                [
                    str(service["concurrency"]),
                    _value(mine["service"], 2),
                    _value(mine["sandbox"], 2),
                    _value(mine["postgres"], 2),
                    _value(mine["load_generator"], 2),
                    _value(theirs["baseline"], 2),
                    _value(theirs["sandbox"], 2),
                    _value(theirs["postgres"], 2),
                ]
            )
        out += ["### Where the CPU goes (ms per invoice, from /proc)", ""]
        out += _table(
            [
                "Concurrency",
                "Service",
                "Sandbox",
                "PostgreSQL",
                "Load generator",
                "Baseline",
                "Sandbox (baseline run)",
                "PostgreSQL (baseline run)",
            ],
            rows,
        )
        out.append("")
        components = throughput.get("service_cpu_by_component")
        if components:
            title = (
                f"### Where the service's CPU goes (concurrency {components['concurrency']}, "
                f"{components['samples']} py-spy samples, native frames"
                + ("; kernel time from /proc)" if components.get("kernel_share") is not None else ")")
            )
            out += [title, "", profile_table(components["shares"], components["cpu_ms_per_invoice"]), ""]
    cost = results.get("cost")
    if cost:
        rows = []
        for lines, entry in cost["by_line_count"].items():
            service, baseline = entry["service"], entry["baseline"]
            calls = service["rutter_calls_by_kind"]
            rows.append(
                [
                    lines,
                    _value(service["sql_round_trips_per_invoice"], 2),
                    _value(service["sql_statements_per_invoice"], 2),
                    _value(service["sql_simple_queries_per_invoice"], 2),
                    f"{_value(service['rutter_calls_per_invoice'], 2)} ({_value(calls, 2)})",
                    _value(service["cpu_ms_per_invoice"], 2),
                    _value(baseline["sql_round_trips_per_invoice"], 2),
                    _value(baseline["sql_statements_per_invoice"], 2),
                    _value(baseline["cpu_ms_per_invoice"], 2),
                ]
            )
        out += [f"### Cost per invoice (concurrency 1, {cost['invoices_per_line_count']} invoices each)", ""]
        out += _table(
            [
                "Line items",
                "SQL round trips",
                "SQL statements",
                "of which simple queries",
                "Rutter calls",
                "Service CPU ms",
                "Baseline round trips",
                "Baseline statements",
                "Baseline CPU ms",
            ],
            [[cell.replace("s: ", ": ") for cell in row] for row in rows],
        )
        out.append("")
        out += _cost_rounds_line(cost)
    waiting = results.get("waiting")
    if waiting:
        out += ["### Waiting scales (deployed polling: 0.5 s, x1.5, max 5 s)", ""]
        out += _table(
            [
                "Invoices",
                "Concurrency",
                "Job latency",
                "Wall",
                "Ideal",
                "Wall / ideal",
                "Service CPU in the run",
                "Serialised",
                "p50",
                "p99",
                "Errors",
            ],
            [
                [
                    _value(waiting["ok"] + waiting["errors"]),
                    _value(waiting["concurrency"]),
                    f"{waiting['job_latency_s']:g} s",
                    f"{waiting['wall_s']:.2f} s",
                    f"{waiting['ideal_s']:.2f} s",
                    _value(waiting["ratio_to_ideal"], 2),
                    f"{waiting['service_cpu_s']:.2f} s",
                    f"{waiting['serialised_s']:,.0f} s",
                    f"{_value(waiting['latency_ms']['p50'], 0)} ms",
                    f"{_value(waiting['latency_ms']['p99'], 0)} ms",
                    _value(waiting["errors"]),
                ]
            ],
        )
        out.append("")
    polling = results.get("polling")
    if polling:
        out += [f"### Polling efficiency (RUTTER_JOB_TIMEOUT_S={polling['job_timeout_s']:g})", ""]
        out += _table(
            ["Job duration", "Invoices", "Polls per job", "Goal (max)", "Met"],
            [
                [
                    f"{entry['job_s']:g} s",
                    _value(entry["invoices"]),
                    _value(entry["polls_per_job"]),
                    f"≤ {entry['goal_max_polls']}",
                    _value(entry["met"]),
                ]
                for entry in polling["durations"]
            ],
        )
        out.append("")
    memory = results.get("memory")
    if memory:
        title = f"service RSS over {memory['invoices']:,} invoices, concurrency {memory['concurrency']}"
        out += [f"### Memory ({title})", ""]
        out += _table(
            [
                "Start",
                "After first batch",
                "End",
                "Peak (VmHWM)",
                "Growth after first batch",
                "Slope",
                "Grows",
            ],
            [
                [
                    f"{memory['start_rss_mib']:.1f} MiB",
                    f"{memory['rss_after_first_batch_mib']:.1f} MiB",
                    f"{memory['end_rss_mib']:.1f} MiB",
                    f"{memory['peak_rss_mib']:.1f} MiB",
                    f"{memory['growth_after_first_batch_mib']:+.1f} MiB",
                    f"{_value(memory['slope_mib_per_1000_invoices'], 2)} MiB / 1000 invoices",
                    _value(memory["grows"]),
                ]
            ],
        )
        out.append("")
    goals = results.get("goals") or []
    if goals:
        out += ["### Goals", ""]
        out += _table(
            ["Goal", "Measured", "Met"],
            [
                [
                    goal["goal"],
                    _value(goal["measured"], 2) + (f" ({goal['detail']})" if goal.get("detail") else ""),
                    _value(goal["met"]),
                ]
                for goal in goals
            ],
        )
        out.append("")
    if plots:
        out += ["Plots: " + ", ".join(f"`{_relative(path)}`" for path in plots), ""]
        out += [f"![{path.stem}]({_relative(path)})" for path in plots]
    return "\n".join(out).rstrip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="?", default=PROJECT_ROOT / "bench/results/results.json")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    out_dir = args.results.parent
    plots = draw(results, out_dir)
    text = markdown(results, plots, out_dir)
    (out_dir / "summary.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
