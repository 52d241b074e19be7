"""Prisma's generator protocol: JSON-RPC requests on stdin, one JSON reply per line on stderr."""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path
from typing import Any, TextIO

from api.db.generator.render import render_models

PRETTY_NAME = "Python models (Pydantic)"
DEFAULT_OUTPUT = "../api/db/models.py"
# Overrides the generator block's `output` (api.db.check regenerates into a temporary file with it).
OUTPUT_ENV = "API_DB_GENERATOR_OUTPUT"


def handle(request: dict[str, Any]) -> Any:
    """Answers one request; returns the JSON-RPC `result`."""
    method = request.get("method")
    params = request.get("params") or {}
    if method == "getManifest":
        # No `requiresEngines` key at all: an empty list crashes older CLIs.
        return {"manifest": {"prettyName": PRETTY_NAME, "defaultOutput": DEFAULT_OUTPUT}}
    if method == "generate":
        output = os.environ.get(OUTPUT_ENV) or params["generator"]["output"]["value"]
        write_atomically(Path(output), render_models(params["dmmf"], params.get("schemaPath")))
        return None
    raise ValueError(f"unknown method {method!r}")


def write_atomically(path: Path, text: str) -> None:
    """Writes `text` to `path` through a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def serve(requests: TextIO, replies: TextIO) -> int:
    """Answers requests until the CLI closes stdin."""
    while line := requests.readline():
        if not line.strip():
            continue
        request = json.loads(line)
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
        try:
            reply["result"] = handle(request)
        except Exception as exc:
            reply["error"] = {
                "code": -32000,
                "message": f"{type(exc).__name__}: {exc}",
                "data": {"stack": traceback.format_exc()},
            }
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    return 0
