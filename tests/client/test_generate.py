"""The generator: the committed client matches the schema (drift check), and output is safe to share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api.paths import PROJECT_ROOT
from prisma_asyncpg.generator.check import drift, regenerate
from prisma_asyncpg.generator.check import main as check_main
from prisma_asyncpg.generator.protocol import MANIFEST, OutputError, write_package
from prisma_asyncpg.generator.render import MARKER, GeneratorError, render_package

from .conftest import PRISMA_CLI, SCHEMA
from .generated.client_db import types

GENERATED = Path(__file__).parent / "generated" / "client_db"


def generate_into(directory: Path) -> None:
    regenerate([str(PRISMA_CLI)], SCHEMA, "client", directory)


def test_committed_client_is_what_prisma_generate_writes(tmp_path: Path) -> None:
    generate_into(tmp_path)
    assert drift(GENERATED, tmp_path) == []


def test_drift_is_reported_file_by_file(tmp_path: Path) -> None:
    generate_into(tmp_path / "fresh")
    stale = tmp_path / "stale"
    stale.mkdir()
    for path in (tmp_path / "fresh").iterdir():
        (stale / path.name).write_bytes(path.read_bytes())
    (stale / "models.py").write_text("# edited\n")
    (stale / "types.py").unlink()
    (stale / "schema.prisma").write_text("// not the generator's: never compared\n")
    problems = drift(stale, tmp_path / "fresh")
    assert problems[0] == "missing: types.py"
    assert len(problems) == 2 and problems[1].startswith("--- committed/models.py")


def test_check_command_passes_on_the_committed_client() -> None:
    assert check_main(["--schema", str(SCHEMA), "--output", str(GENERATED), "--prisma", str(PRISMA_CLI)]) == 0


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


def one_model(name: str, field: str = "id") -> dict[str, Any]:
    """A `generate` request's params for a schema with one model (the DMMF fields the renderer reads)."""
    column = {"name": field, "kind": "scalar", "type": "Int", "isList": False, "isRequired": True}
    column |= {"isId": True, "isUnique": False, "hasDefaultValue": False}
    model = {"name": name, "dbName": None, "fields": [column], "primaryKey": None, "uniqueIndexes": []}
    return {"dmmf": {"datamodel": {"models": [model], "enums": []}}, "schemaPath": "/x/schema.prisma"}


def test_renders_a_package_for_a_minimal_schema() -> None:
    files = render_package(one_model("Thing"))
    modules = "__init__ actions aggregates bases client enums errors fields models schema types"
    assert sorted(files) == [f"{module}.py" for module in modules.split()]
    assert all(text.startswith(MARKER) for text in files.values())
    assert "class ThingActions(" in files["actions.py"] and "self.thing = " in files["client.py"]


def test_aggregate_types_load_on_first_use() -> None:
    """count/group_by's types are a third of types.py's: importing the client does not build them."""
    package = "tests.client.generated.client_db"
    script = (
        f"import sys\nfrom {package} import Prisma, types\n"
        f"print('{package}.aggregates' in sys.modules)\n"
        "print(types.UserGroupByOutput.__name__, types.RoleWithAggregatesFilter.__name__)\n"
        f"print('{package}.aggregates' in sys.modules)\n"
    )
    command = [sys.executable, "-c", script]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.split("\n") == ["False", "UserGroupByOutput RoleWithAggregatesFilter", "True", ""]
    with pytest.raises(AttributeError, match="no attribute 'UserNoSuchType'"):
        _ = types.UserNoSuchType  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (one_model("List"), "clash"),
        (one_model("Connect"), "accessor"),
        (one_model("Thing", field="model_config"), "not usable"),
        (one_model("Thing", field="class"), "not usable"),
    ],
)
def test_names_the_client_cannot_use_are_refused(params: dict[str, Any], message: str) -> None:
    with pytest.raises(GeneratorError, match=message):
        render_package(params)
