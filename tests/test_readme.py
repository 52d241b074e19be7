"""The README and docs/ describe the service as it is, and nothing in them points outside the repository."""

from __future__ import annotations

import importlib.util
import re

import api.invoices.errors  # noqa: F401 - registers the invoice flow's error classes
from api.errors import ServiceError
from api.paths import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
CONTRACT = (PROJECT_ROOT / "docs" / "contract.md").read_text(encoding="utf-8")


def _codes() -> dict[str, int]:
    codes = {"METHOD_NOT_ALLOWED": 405}  # the framework's own answer, in the same envelope
    pending = [ServiceError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not ServiceError:
            codes[cls.code] = cls.status_code
    return codes


def test_every_error_code_the_service_answers_is_in_the_readme_and_the_contract() -> None:
    for code, status in _codes().items():
        assert f"`{code}` {status}" in README, code
        assert re.search(rf"\| {status} \| `{code}` \|", CONTRACT), code


def test_no_document_points_outside_the_repository() -> None:
    documents = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    for document in documents:
        text = document.read_text(encoding="utf-8")
        for name in ("SERVICE.md", "streamos-model.md", "rutter-contract.md", "PRISMA.md", "../shared"):
            assert name not in text, f"{document.name} mentions {name}"
        for target in re.findall(r"\]\(([^)#]+)", text):
            if not target.startswith("http"):
                assert (document.parent / target).exists(), f"{document.name} links to missing {target}"


def test_every_command_the_readme_shows_exists() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    documents = [README, CONTRACT, (PROJECT_ROOT / "sandbox" / "README.md").read_text(encoding="utf-8")]
    modules = {module for text in documents for module in re.findall(r"python -m ([a-z_.]+[a-z_])", text)}
    assert {"devrun", "seed", "api.db", "sandbox"} <= modules
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module
    made = {target for text in documents for target in re.findall(r"`make ([a-z-]+)", text)}
    assert {"run", "test"} <= made
    assert made <= targets, made - targets
