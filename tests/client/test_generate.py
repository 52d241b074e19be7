"""The generator: the committed client matches the schema (drift check), and output is safe to share."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from api.paths import PROJECT_ROOT
from prisma_asyncpg.generator.protocol import MANIFEST, OUTPUT_ENV, OutputError, write_package
from prisma_asyncpg.generator.render import MARKER

from .conftest import PRISMA_CLI, SCHEMA

GENERATED = Path(__file__).parent / "generated" / "client_db"


def generate_into(directory: Path) -> None:
    subprocess.run(
        [str(PRISMA_CLI), "generate", "--schema", str(SCHEMA)],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            OUTPUT_ENV: str(directory),
            "DATABASE_URL": "postgresql://unused@127.0.0.1/unused",
        },
        capture_output=True,
        check=True,
        timeout=120,
    )


def test_committed_client_is_what_prisma_generate_writes(tmp_path: Path) -> None:
    generate_into(tmp_path)
    fresh = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    committed = {path.name: path.read_bytes() for path in GENERATED.iterdir() if path.name != "__pycache__"}
    assert sorted(fresh) == sorted(committed)
    for name, content in fresh.items():
        assert content == committed[name], (
            f"{name} differs: run prisma/tools/prisma.sh generate --schema {SCHEMA}"
        )


def test_generating_twice_gives_identical_bytes(tmp_path: Path) -> None:
    generate_into(tmp_path / "a")
    generate_into(tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


def test_output_keeps_files_it_did_not_write_and_drops_its_stale_ones(tmp_path: Path) -> None:
    (tmp_path / "schema.prisma").write_text("// not ours\n")
    write_package(tmp_path, {"a.py": f"{MARKER}\n", "b.py": f"{MARKER}\n"})
    write_package(tmp_path, {"a.py": f"{MARKER} v2\n"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "a.py", "schema.prisma"]
    assert (tmp_path / "a.py").read_text() == f"{MARKER} v2\n"
    assert (tmp_path / "schema.prisma").read_text() == "// not ours\n"


def test_output_refuses_to_replace_a_file_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text("handwritten = True\n")
    with pytest.raises(OutputError):
        write_package(tmp_path, {"client.py": f"{MARKER}\n"})
    assert (tmp_path / "client.py").read_text() == "handwritten = True\n"
