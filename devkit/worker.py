"""`python -m api.worker` as a managed child process (tests and bench.scale start and kill them)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from devkit.processes import ManagedProcess
from devkit.service import settings_env


class WorkerProcess(ManagedProcess):
    """A batch worker process; `settings` become its environment variables (upper-cased)."""

    def __init__(self, name: str, log_dir: Path, env: Mapping[str, str]) -> None:
        super().__init__(name, log_dir)
        self.env = dict(env)

    async def start(self, settings: Mapping[str, object] | None = None) -> None:
        await self._spawn([sys.executable, "-m", "api.worker"], {**self.env, **settings_env(settings)})
