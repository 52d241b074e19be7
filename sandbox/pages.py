"""Tiny HTML pages for people looking at the sandbox in a browser (no templates, no scripts)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1.5rem;font-size:.85rem}"
    "th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}pre{margin:0;white-space:pre-wrap;max-width:60rem}"
)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return f"<pre>{escape(json.dumps(value, indent=1))}</pre>"
    return escape(str(value))


def table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{escape(column)}</th>" for column in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(row.get(column))}</td>" for column in columns) + "</tr>" for row in rows
    )
    empty = "" if rows else f"<tr><td colspan='{len(columns)}'>none</td></tr>"
    return f"<h2>{escape(title)} ({len(rows)})</h2><table><tr>{head}</tr>{body}{empty}</table>"


def page(title: str, sections: list[str], note: str = "") -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='5'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(note)}</p>{''.join(sections)}</body></html>"
    )
