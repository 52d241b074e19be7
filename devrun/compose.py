"""The two steps of `docker compose up` that make it end like `make run`.

    python -m devrun.compose serve   the API under uvicorn: real Rutter when RUTTER_CLIENT_ID and
                                     RUTTER_CLIENT_SECRET are given, else the local stand-in and
                                     email sink (SANDBOX_URL, SANDBOX_EMAIL_URL); says which
    python -m devrun.compose demo    once the API is up: invoices one demo charge through it (stand-in
                                     only) and prints the curl that invoices the next one

API_URL is where the demo step reaches the API; PUBLIC_API_URL is the one printed for the host.
"""

from __future__ import annotations

import asyncio
import os
import sys
import urllib.error
from collections.abc import Mapping

from api.config import Settings
from devkit.demo import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from devkit.processes import uvicorn_command
from devrun.__main__ import (
    curl,
    development_key,
    next_uninvoiced_charge,
    post_invoice,
    uses_real_rutter,
)

PRODUCTION_RUTTER = "https://production.rutterapi.com"


def say(message: str) -> None:
    print(f"[compose] {message}", flush=True)


def api_environment(environ: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """The API's environment and the line saying which Rutter it talks to."""
    env = {name: value for name, value in environ.items() if value != ""}
    if env.get("RUTTER_CLIENT_ID") and env.get("RUTTER_CLIENT_SECRET"):
        env.setdefault("RUTTER_BASE_URL", PRODUCTION_RUTTER)
        return env, f"RUTTER: REAL credentials are configured; invoices go to {env['RUTTER_BASE_URL']}"
    rutter_url = env.get("SANDBOX_URL", "http://sandbox:8181")
    email_url = env.get("SANDBOX_EMAIL_URL", "http://sandbox:8182")
    env.update(
        RUTTER_BASE_URL=rutter_url,
        RUTTER_CLIENT_ID=SANDBOX_CLIENT_ID,
        RUTTER_CLIENT_SECRET=SANDBOX_CLIENT_SECRET,
    )
    env.setdefault("EMAIL_SERVICE_URL", f"{email_url}/sendMessage/{{organization_id}}")
    return env, f"RUTTER: LOCAL STAND-IN at {rutter_url}; EMAIL: LOCAL SINK at {email_url}"


def serve() -> None:
    env, which = api_environment(os.environ)
    say("=" * 70)
    say(which)
    say("=" * 70)
    port = env.get("API_PORT", "8000")
    args = uvicorn_command("0.0.0.0", int(port))  # noqa: S104 - the container's every interface
    os.execve(sys.executable, args, env)  # noqa: S606 - this Python, running uvicorn


def demo() -> int:
    settings = Settings()
    api_url = os.environ.get("API_URL", "http://api:8000")
    public_url = os.environ.get("PUBLIC_API_URL", "http://localhost:8000")
    if not settings.database_url:
        say("error: DATABASE_URL is not set")
        return 2
    real = uses_real_rutter(settings)
    charge_id = asyncio.run(next_uninvoiced_charge(settings.database_url))
    if charge_id is None:
        say("every billable demo charge is already invoiced; `docker compose down -v` starts over")
        return 0
    api_key = asyncio.run(development_key(settings.database_url))
    say(f"development API key (all organizations): {api_key}")
    if not real:
        try:
            status, body = post_invoice(api_url, charge_id, api_key)
        except (urllib.error.URLError, OSError) as exc:
            say(f"error: the API at {api_url} cannot be reached ({exc}): see `docker compose logs api`")
            return 1
        say(f"POST /invoices for demo charge {charge_id} -> {status}")
        print(body, flush=True)
        if status != 201:
            return 1
        charge_id = asyncio.run(next_uninvoiced_charge(settings.database_url))
    say(f"API ready at {public_url} (docs: {public_url}/docs)")
    if charge_id is None:
        say("every billable demo charge is now invoiced")
        return 0
    say("invoice a demo charge:")
    print(f"\n    {curl(public_url, charge_id, api_key)}\n", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    command = (argv if argv is not None else sys.argv[1:])[:1]
    if command == ["serve"]:
        serve()
        return 0
    if command == ["demo"]:
        return demo()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
