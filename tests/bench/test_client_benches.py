"""The client benchmarks run end to end (a few iterations each) and compare like with like."""

from __future__ import annotations

from bench import charge_load, client


async def test_charge_load_bench_loads_both_charges_both_ways(server_dsn: str) -> None:
    results = await charge_load.run(server_dsn, iterations=5)

    assert set(results) == {"1_client", "1_hand", "25_client", "25_hand"}
    assert all(cpu > 0 and wall > 0 for cpu, wall in results.values())
    assert "25 lines" in charge_load.report(results)


async def test_client_bench_compares_find_unique_and_the_include_tree(server_dsn: str) -> None:
    results = await client.run(server_dsn, iterations=5)

    assert {"find_unique_client", "find_unique_hand", "include_tree_client", "include_tree_hand"} <= set(
        results
    )
    assert "find_unique by id" in client.report(results)
