"""What ships: `pip install .` and the Dockerfile's default target carry the service and nothing of
the development tools (devkit, devrun, seed, sandbox, bench, embedded PostgreSQL), and the service's
code imports none of them."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from setuptools import find_packages

from api.paths import PROJECT_ROOT

DEVELOPMENT = {"devkit", "devrun", "seed", "sandbox", "bench", "tests", "embedded_postgres"}
RUNTIME = {"api", "prisma", "prisma_asyncpg"}
PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_embedded_postgres_is_a_development_extra_not_a_dependency() -> None:
    project = PYPROJECT["project"]
    assert "embedded-postgres" not in _requirement_names(project["dependencies"])
    assert "embedded-postgres" in _requirement_names(project["optional-dependencies"]["local"])


def test_the_distribution_holds_the_service_packages_only() -> None:
    find = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(where=str(PROJECT_ROOT), include=find["include"])
    assert {package.split(".")[0] for package in packages} == RUNTIME
    for package, patterns in PYPROJECT["tool"]["setuptools"].get("package-data", {}).items():
        folder = PROJECT_ROOT / package.replace(".", "/")
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"package-data {package}: {pattern} matches nothing"


def _imported_top_levels(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_service_imports_no_development_package() -> None:
    for package in RUNTIME:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            used = _imported_top_levels(path) & DEVELOPMENT
            assert not used, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(used)}"


def _stages() -> tuple[dict[str, tuple[str, set[str]]], str]:
    """Dockerfile stages by name: (base, folders COPY'd into /app); and the default (last) stage."""
    stages: dict[str, tuple[str, set[str]]] = {}
    current = ""
    for index, line in enumerate((PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()):
        if match := re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE):
            current = match.group(2) or f"stage-{index}"
            stages[current] = (match.group(1), set())
        elif match := re.match(r"COPY\s+(.+)\s+\S+$", line):
            stages[current][1].update(match.group(1).split())
    return stages, current


def _copied(stage: str) -> set[str]:
    stages, _ = _stages()
    base, copied = stages[stage]
    return copied | (_copied(base) if base in stages else set())


def test_the_default_image_is_the_service_and_the_dev_target_adds_the_tools() -> None:
    stages, default = _stages()
    service = _copied(default)
    assert service >= RUNTIME, "the service's image lacks one of its packages"
    assert not service & DEVELOPMENT
    assert _copied("dev") - service == {"seed", "sandbox", "devkit", "devrun"}
    assert "dev" in stages
