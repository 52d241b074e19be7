"""The README and docs/ describe the service as it is, and nothing in them points outside the repository."""

from __future__ import annotations

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
