"""The dev runner: `make run` (python -m devrun) starts the whole system locally."""
