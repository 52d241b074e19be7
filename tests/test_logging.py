"""Log lines: JSON with the request id and bound fields, secrets masked."""

from __future__ import annotations

import json
import logging

from api.logging import JsonFormatter, bind_log_fields, install_log_context, redact, set_request_id


def _format(message: str, **extra: object) -> dict[str, object]:
    install_log_context()
    record = logging.getLogRecordFactory()("test", logging.INFO, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    line: dict[str, object] = json.loads(JsonFormatter().format(record))
    return line


def test_line_carries_request_id_and_bound_fields() -> None:
    set_request_id("req-1")
    bind_log_fields(charge_id="charge-9")
    line = _format("invoice_created", status=201)
    assert line["event"] == "invoice_created"
    assert line["request_id"] == "req-1"
    assert line["charge_id"] == "charge-9"
    assert line["status"] == 201


def test_new_request_forgets_the_previous_fields() -> None:
    set_request_id("req-1")
    bind_log_fields(charge_id="charge-9")
    set_request_id("req-2")
    assert "charge_id" not in _format("next")


def test_secret_fields_and_query_values_are_masked() -> None:
    set_request_id(None)
    line = _format(
        "GET https://rutter.test/x?access_token=tok-123&y=1",
        client_secret="s3cret",
        authorization="Basic abc",
        url="https://rutter.test/x?access_token=tok-123",
    )
    text = json.dumps(line)
    assert "tok-123" not in text
    assert "s3cret" not in text
    assert "Basic abc" not in text
    assert line["url"] == "https://rutter.test/x?access_token=***"
    assert redact("a?token=zz&b=1") == "a?token=***&b=1"
