"""`python -m bench` runs the full benchmark; `python -m bench --quick` the smoke run (see bench/run.py)."""

from bench.run import main

main()
