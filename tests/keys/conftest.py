"""The invoice tests' harness (the app on the run's database and the in-process sandbox)."""

from tests.invoices.conftest import harness, sandbox, settings_overrides

__all__ = ["harness", "sandbox", "settings_overrides"]
