"""`python -m devrun`: database (configured or embedded), migrations, demo charges, the Rutter
stand-in and email sink, and the API; prints a curl to try; Ctrl-C stops everything it started."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import asyncpg

from api.config import Settings
from api.db.migrate import MigrationError, apply_migrations
from api.db.problems import command, database_problem
from devkit.databases import ensure_database
from devkit.demo import BILLABLE_CHARGE_IDS, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from devkit.embedded import DEFAULT_DATA_DIR, start_embedded_server
from devkit.processes import free_port, listens_on, port_in_use, spawn, uvicorn_command
from devkit.sandbox import sandbox_command
from devkit.service import create_api_key
from seed.loader import demo_payload, load_charges

LOCAL_DATABASE = "invoices"
# A server whose port was taken between choosing it and binding it starts again on other ports.
BIND_ATTEMPTS = 5


def say(message: str) -> None:
    print(f"[devrun] {message}", flush=True)


def start_process(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child that writes to this terminal and dies with the runner."""
    say(f"starting {name}: {' '.join(args)}")
    return spawn(args, env=env)


def wait_until_ready(
    url: str, process: subprocess.Popen[bytes], timeout_s: float = 60.0, *, ports: Sequence[int] = ()
) -> None:
    """Until `url` answers (below 500) and the process listens on `ports` (so that whoever else
    may hold one of them is not taken for it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} did not come up: the process exited with {process.returncode}")
        if any(listens_on(process.pid, port) is False for port in ports):
            time.sleep(0.2)
            continue
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status < 500:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


def start_server(
    name: str,
    command_on: Callable[[list[int]], list[str]],
    preferred: Sequence[int],
    ready_path: str,
    env: dict[str, str],
    processes: list[subprocess.Popen[bytes]],
) -> list[int]:
    """Starts a child (added to `processes`) serving on free ports, the preferred ones when free,
    and returns them once the first one answers `ready_path`. A port is free when chosen, not always
    when the child binds it: should another process take one meanwhile, the child exits and starts
    again on other ports."""
    ports = [free_port(port) for port in preferred]
    for attempt in range(1, BIND_ATTEMPTS + 1):
        process = start_process(name, command_on(ports), env)
        processes.append(process)
        try:
            wait_until_ready(f"http://127.0.0.1:{ports[0]}{ready_path}", process, ports=ports)
            return ports
        except RuntimeError:
            clashed = process.poll() is not None and any(port_in_use(port) for port in ports)
            if not clashed or attempt == BIND_ATTEMPTS:
                raise
            processes.remove(process)
            say(f"a port of the {name} was taken meanwhile; starting it on other ports")
            ports = [free_port() for _ in ports]
    raise AssertionError("unreachable")


async def prepare_database(dsn: str) -> None:
    done = await apply_migrations(dsn)
    say(f"migrations: {'; '.join(done) if done else 'up to date'}")
    summary = await load_charges(dsn, demo_payload(), progress=None)
    say(f"demo charges loaded: {summary.charges} charges, {sum(summary.rows().values())} rows")


async def next_uninvoiced_charge(dsn: str) -> str | None:
    """The first billable demo charge that has no running or completed invoice request."""
    connection = await asyncpg.connect(dsn)
    try:
        held = await connection.fetch(
            "SELECT active_charge_id::text AS id FROM invoice_request WHERE active_charge_id IS NOT NULL"
        )
    finally:
        await connection.close()
    taken = {row["id"] for row in held}
    return next((charge for charge in BILLABLE_CHARGE_IDS if charge not in taken), None)


async def development_key(dsn: str) -> str:
    """A new all-organizations API key for this run (printed with the curl, like any key only once)."""
    return await create_api_key(dsn, "make run (development)")


def uses_real_rutter(settings: Settings) -> bool:
    return bool(settings.rutter_client_id and settings.rutter_client_secret)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def supervised(processes: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    """Stops every started process on the way out (Ctrl-C, SIGTERM, or an error)."""
    signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C stops everything, even when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        yield
    except KeyboardInterrupt:
        say("stopping")
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devrun", description=__doc__)
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    parser.add_argument("--rutter-port", type=int, default=int(os.environ.get("SANDBOX_RUTTER_PORT", "8181")))
    parser.add_argument("--email-port", type=int, default=int(os.environ.get("SANDBOX_EMAIL_PORT", "8182")))
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--no-seed", action="store_true", help="do not load the demo charges")
    parser.add_argument(
        "--check", action="store_true", help="start everything, invoice one demo charge, stop"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="embedded database only: start from an empty database"
    )
    args = parser.parse_args(argv)

    settings = Settings()
    if settings.database_url:
        dsn = settings.database_url
        say(f"database: DATABASE_URL ({_host_of(dsn)})")
    else:
        dsn = asyncio.run(
            ensure_database(start_embedded_server(args.data_dir), LOCAL_DATABASE, fresh=args.fresh)
        )
        say(f"database: embedded PostgreSQL in {args.data_dir} (DATABASE_URL is not set)")
    try:
        if args.no_seed:
            asyncio.run(apply_migrations(dsn))
        else:
            asyncio.run(prepare_database(dsn))
    except MigrationError as exc:
        say(f"error: {exc}")
        return 1
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        say(f"error: {database_problem(exc, dsn) or exc}")
        return 1

    env = dict(os.environ, DATABASE_URL=dsn, PYTHONUNBUFFERED="1")
    processes: list[subprocess.Popen[bytes]] = []
    with supervised(processes):
        if uses_real_rutter(settings):
            say("=" * 70)
            say(f"RUTTER: REAL credentials are configured; invoices go to {settings.rutter_base_url}")
            say("=" * 70)
        else:
            rutter_port, email_port = start_server(
                "Rutter stand-in and email sink",
                lambda ports: sandbox_command(rutter_port=ports[0], email_port=ports[1]),
                [args.rutter_port, args.email_port],
                "/_sandbox/requests",
                env,
                processes,
            )
            rutter_url = f"http://127.0.0.1:{rutter_port}"
            email_url = f"http://127.0.0.1:{email_port}"
            env.update(
                RUTTER_BASE_URL=rutter_url,
                RUTTER_CLIENT_ID=SANDBOX_CLIENT_ID,
                RUTTER_CLIENT_SECRET=SANDBOX_CLIENT_SECRET,
                EMAIL_SERVICE_URL=f"{email_url}/sendMessage/{{organization_id}}",
            )
            say("=" * 70)
            say(f"RUTTER: LOCAL STAND-IN at {rutter_url} (requests: {rutter_url}/_sandbox/)")
            say(f"EMAIL:  LOCAL SINK at {email_url} (messages: {email_url}/)")
            say("=" * 70)

        [api_port] = start_server(
            "API",
            lambda ports: uvicorn_command("127.0.0.1", ports[0]),
            [args.api_port],
            "/readyz",
            env,
            processes,
        )
        api_url = f"http://127.0.0.1:{api_port}"
        say(f"API ready at {api_url} (docs: {api_url}/docs)")
        api_key = asyncio.run(development_key(dsn))
        say(f"development API key (all organizations): {api_key}")
        charge_id = asyncio.run(next_uninvoiced_charge(dsn))
        if charge_id is None:
            say(f"every billable demo charge is already invoiced; `{command('devrun --fresh')}` starts over")
        else:
            say("invoice a demo charge:")
            print(f"\n    {curl(api_url, charge_id, api_key)}\n", flush=True)
        if args.check:
            return _check(api_url, charge_id, api_key)
        say("Ctrl-C stops everything.")
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        say("a process exited; stopping the others")
        return 1
    return 0


def curl(api_url: str, charge_id: str, api_key: str) -> str:
    """The command that invoices `charge_id` through the API at `api_url` (printed for the developer)."""
    return (
        f"curl -s -X POST {api_url}/invoices -H 'Authorization: Bearer {api_key}' "
        "-H 'Content-Type: application/json' "
        f'-d \'{{"charge_id": "{charge_id}", "send_email": true}}\''
    )


def post_invoice(api_url: str, charge_id: str, api_key: str) -> tuple[int, str]:
    """POST /invoices for `charge_id` (email on) as that curl does: the status and the body."""
    request = urllib.request.Request(  # noqa: S310 - the local (or compose network's) API
        f"{api_url}/invoices",
        data=json.dumps({"charge_id": charge_id, "send_email": True}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _check(api_url: str, charge_id: str | None, api_key: str) -> int:
    """`--check`: invoice a demo charge once through the running API and report."""
    if charge_id is None:
        return 1
    status, body = post_invoice(api_url, charge_id, api_key)
    say(f"POST /invoices -> {status}")
    print(body)
    return 0 if status == 201 else 1


def _host_of(dsn: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(dsn)
    return f"{parts.hostname or 'socket'}:{parts.port or 5432}{parts.path}"


if __name__ == "__main__":
    sys.exit(main())
