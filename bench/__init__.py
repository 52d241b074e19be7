"""Benchmarks of the invoice service: `python -m bench` (full) and `python -m bench --quick` (smoke).

See bench/run.py for what is measured and how; results go to bench/results/.
"""
