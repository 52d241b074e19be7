"""`python -m api.worker` as a managed child process (tests and bench.scale start and kill them)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from bench.faults import ManagedProcess, _env_value


class WorkerProcess(ManagedProcess):
    """A batch worker process; `settings` become its environment variables (upper-cased)."""

    def __init__(self, name: str, log_dir: Path, env: Mapping[str, str]) -> None:
        super().__init__(name, log_dir)
        self.env = dict(env)

    async def start(self, settings: Mapping[str, object] | None = None) -> None:
        env = {**self.env, **{name.upper(): _env_value(value) for name, value in (settings or {}).items()}}
        await self._spawn([sys.executable, "-m", "api.worker"], env)
