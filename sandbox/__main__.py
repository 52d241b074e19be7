"""`python -m sandbox`: the Rutter sandbox and the email sink in one process, on two ports.

Options (each also read from the environment; a flag wins over the variable):
    --host          SANDBOX_HOST           127.0.0.1
    --rutter-port   SANDBOX_RUTTER_PORT    8181
    --email-port    SANDBOX_EMAIL_PORT     8182
    --client-id     SANDBOX_CLIENT_ID      sandbox-client-id
    --client-secret SANDBOX_CLIENT_SECRET  sandbox-client-secret
    --job-latency   SANDBOX_JOB_LATENCY    0.2 (seconds)
    --rate-limit    SANDBOX_RATE_LIMIT     500 (requests per organization per --rate-window)
    --rate-window   SANDBOX_RATE_WINDOW    10 (seconds)
    --public-url    SANDBOX_PUBLIC_URL     base of response_url / pdf_link (default: the request's host)
Logs one line per request to stderr; stops on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from sandbox.email_sink import EmailSinkConfig
from sandbox.runner import running_sandbox
from sandbox.rutter_state import RutterConfig


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=_env("SANDBOX_HOST", "127.0.0.1"))
    parser.add_argument("--rutter-port", type=int, default=int(_env("SANDBOX_RUTTER_PORT", "8181")))
    parser.add_argument("--email-port", type=int, default=int(_env("SANDBOX_EMAIL_PORT", "8182")))
    parser.add_argument("--client-id", default=_env("SANDBOX_CLIENT_ID", RutterConfig.client_id))
    parser.add_argument("--client-secret", default=_env("SANDBOX_CLIENT_SECRET", RutterConfig.client_secret))
    parser.add_argument("--job-latency", type=float, default=float(_env("SANDBOX_JOB_LATENCY", "0.2")))
    parser.add_argument("--rate-limit", type=int, default=int(_env("SANDBOX_RATE_LIMIT", "500")))
    parser.add_argument("--rate-window", type=float, default=float(_env("SANDBOX_RATE_WINDOW", "10")))
    parser.add_argument("--public-url", default=_env("SANDBOX_PUBLIC_URL", "") or None)
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    config = RutterConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        job_latency=args.job_latency,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        public_url=args.public_url,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_sandbox(
        config, EmailSinkConfig(), host=args.host, rutter_port=args.rutter_port, email_port=args.email_port
    ) as sandbox:
        print(
            f"Rutter sandbox: {sandbox.rutter_api_base}  (control: {sandbox.rutter_url}/_sandbox/)",
            flush=True,
        )
        print(f"Email sink:     {sandbox.email_url}/send  (messages: {sandbox.email_url}/)", flush=True)
        await stop.wait()
    print("sandbox stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
