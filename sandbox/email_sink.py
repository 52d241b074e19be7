"""An email sink: accepts "send this email" calls, stores them, shows them; failures on demand.

    POST /send                 {to: str | [str], subject: str, text?: str, html?: str,
    POST /sendMessage/{any}     attachments?: [{filename: str, path: str}], ...other keys kept}
                               → 200 {"ok": true, "id": "<uuid>"}; invalid → 400 {"ok": false, "error"}
    GET  /messages             {"count", "failed_attempts", "messages": [...]}  (?to= filters)
    GET  /                     HTML list of the messages
    POST /_sink/fail           {"count"?: N, "always"?: bool, "status"?: 500} next N sends (or all,
                               while "always" is true) answer `status` without storing; {} = next one
    POST /_sink/reset          forgets messages and failures

An attachment `path` that is an http(s) URL is fetched once when the message arrives (for example
the Rutter sandbox's pdf_link) and a local path is looked at; what was found is stored beside the
attachment as `fetched: {ok, status, size, content_type, is_pdf, error}`. A failed fetch does not
fail the send. Set `EmailSinkConfig(fetch_attachments=False)` to skip it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sandbox.pages import page, table
from sandbox.rutter_state import iso, utc_now

logger = logging.getLogger("sandbox.email")
_NOTE: contextvars.ContextVar[str | None] = contextvars.ContextVar("email_request_note", default=None)


@dataclass
class EmailSinkConfig:
    fetch_attachments: bool = True
    fetch_timeout: float = 5.0


@dataclass
class EmailSinkState:
    config: EmailSinkConfig = field(default_factory=EmailSinkConfig)
    messages: list[dict[str, Any]] = field(default_factory=list)
    failed_attempts: int = 0
    fail_next: int = 0
    fail_always: bool = False
    fail_status: int = 500

    def fail(self, count: int = 1, *, always: bool | None = None, status: int = 500) -> None:
        """The next `count` sends fail (`always` toggles failing every send)."""
        if always is not None:
            self.fail_always = always
        else:
            self.fail_next += count
        self.fail_status = status

    def reset(self) -> None:
        self.messages.clear()
        self.failed_attempts = 0
        self.fail_next = 0
        self.fail_always = False
        self.fail_status = 500


EMAIL_STATE = web.AppKey("email_state", EmailSinkState)
HTTP_SESSION = web.AppKey("email_http_session", aiohttp.ClientSession)


class Attachment(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    filename: str = Field(min_length=1)
    path: str = Field(min_length=1)


class SendBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    to: str | list[str]
    subject: str = Field(min_length=1)
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: str | list[str]) -> str | list[str]:
        addresses = [value] if isinstance(value, str) else value
        if not addresses or any("@" not in address for address in addresses):
            raise ValueError("must be an email address or a non-empty list of them")
        return value


class FailBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(default=1, ge=0, le=10_000)
    always: bool | None = None
    status: int = Field(default=500, ge=400, le=599)


def _problems(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())


async def _inspect_attachment(app: web.Application, path: str) -> dict[str, Any]:
    config = app[EMAIL_STATE].config
    if path.startswith(("http://", "https://")):
        try:
            timeout = aiohttp.ClientTimeout(total=config.fetch_timeout)
            async with app[HTTP_SESSION].get(path, timeout=timeout) as response:
                content = await response.read()
                return {
                    "ok": response.status == 200,
                    "status": response.status,
                    "size": len(content),
                    "content_type": response.content_type,
                    "is_pdf": content.startswith(b"%PDF-"),
                    "error": None,
                }
        except (aiohttp.ClientError, TimeoutError) as error:
            return _inspection(False, error=f"{type(error).__name__}: {error}")
    return await asyncio.to_thread(_inspect_local_file, Path(path))


def _inspect_local_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return _inspection(False, error="no such file")
    with path.open("rb") as file:
        head = file.read(5)
    return _inspection(True, size=path.stat().st_size, is_pdf=head == b"%PDF-")


def _inspection(
    ok: bool, *, size: int | None = None, is_pdf: bool = False, error: str | None = None
) -> dict[str, Any]:
    return {"ok": ok, "status": None, "size": size, "content_type": None, "is_pdf": is_pdf, "error": error}


async def send(request: web.Request) -> web.Response:
    state = request.app[EMAIL_STATE]
    if state.fail_always or state.fail_next > 0:
        if not state.fail_always:
            state.fail_next -= 1
        state.failed_attempts += 1
        _NOTE.set("injected failure")
        return web.json_response({"ok": False, "error": "sandbox-injected failure"}, status=state.fail_status)
    try:
        raw = json.loads(await request.read() or b"null")
        body = SendBody.model_validate(raw)
    except ValueError as error:  # ValidationError is a ValueError
        message = _problems(error) if isinstance(error, ValidationError) else "body: not valid JSON"
        return web.json_response({"ok": False, "error": message}, status=400)
    attachments = []
    for attachment in body.attachments:
        stored = attachment.model_dump()
        if state.config.fetch_attachments:
            stored["fetched"] = await _inspect_attachment(request.app, attachment.path)
        attachments.append(stored)
    message_id = str(uuid.uuid4())
    state.messages.append(
        {
            **body.model_dump(exclude={"attachments"}),
            "id": message_id,
            "received_at": iso(utc_now()),
            "endpoint": request.path,
            "attachments": attachments,
        }
    )
    return web.json_response({"ok": True, "id": message_id})


def _addressed_to(message: dict[str, Any], address: str) -> bool:
    to = message["to"]
    return address in to if isinstance(to, list) else address == to


async def list_messages(request: web.Request) -> web.Response:
    state = request.app[EMAIL_STATE]
    wanted = request.query.get("to")
    messages = [message for message in state.messages if wanted is None or _addressed_to(message, wanted)]
    return web.json_response(
        {"count": len(messages), "failed_attempts": state.failed_attempts, "messages": messages}
    )


def _attachment_label(attachment: dict[str, Any]) -> str:
    fetched = attachment.get("fetched") or {}
    return f"{attachment['filename']} ({attachment['path']})" + (" [PDF ok]" if fetched.get("is_pdf") else "")


async def index(request: web.Request) -> web.Response:
    state = request.app[EMAIL_STATE]
    rows = [
        {**message, "attachments": [_attachment_label(a) for a in message["attachments"]]}
        for message in reversed(state.messages)
    ]
    note = (
        f"Failed attempts: {state.failed_attempts}; next {state.fail_next} sends fail"
        + ("; every send fails" if state.fail_always else "")
        + ". JSON: /messages."
    )
    sections = [
        table("Messages, newest first", rows, ["received_at", "to", "subject", "text", "attachments", "id"])
    ]
    return web.Response(text=page("Email sink", sections, note), content_type="text/html")


async def post_fail(request: web.Request) -> web.Response:
    state = request.app[EMAIL_STATE]
    try:
        body = FailBody.model_validate_json(await request.read() or b"{}")
    except ValidationError as error:
        return web.json_response({"error": _problems(error)}, status=400)
    state.fail(body.count, always=body.always, status=body.status)
    return web.json_response(
        {"fail_next": state.fail_next, "fail_always": state.fail_always, "status": state.fail_status}
    )


async def post_reset(request: web.Request) -> web.Response:
    request.app[EMAIL_STATE].reset()
    return web.json_response({"reset": True})


@web.middleware
async def _log_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    _NOTE.set(None)
    response: web.StreamResponse = await handler(request)
    note = _NOTE.get()
    logger.info(
        "email %s %s -> %s%s", request.method, request.path, response.status, f" [{note}]" if note else ""
    )
    return response


async def _open_session(app: web.Application) -> AsyncIterator[None]:
    app[HTTP_SESSION] = aiohttp.ClientSession()
    yield
    await app[HTTP_SESSION].close()


def create_email_app(config: EmailSinkConfig | None = None) -> web.Application:
    """The email sink; its state is `app[EMAIL_STATE]`."""
    app = web.Application(middlewares=[_log_middleware])
    app[EMAIL_STATE] = EmailSinkState(config=config or EmailSinkConfig())
    app.cleanup_ctx.append(_open_session)
    app.router.add_post("/send", send)
    app.router.add_post("/sendMessage/{tail:.*}", send)
    app.router.add_get("/messages", list_messages)
    app.router.add_get("/", index)
    app.router.add_post("/_sink/fail", post_fail)
    app.router.add_post("/_sink/reset", post_reset)
    return app
