"""Local stand-ins for what the invoice service talks to: Rutter's accounting API and an email sink.

    python -m sandbox                      # both apps, ports 8181 (Rutter) and 8182 (email sink)

In-process (tests): `async with running_sandbox() as sb: sb.rutter_url, sb.email_url, sb.rutter, sb.email`.
"""

from sandbox.email_sink import EmailSinkConfig, EmailSinkState, create_email_app
from sandbox.runner import RunningSandbox, running_email_sink, running_rutter, running_sandbox, start_app
from sandbox.rutter import create_rutter_app
from sandbox.rutter_state import ConnectionConfig, CreateFault, JobFailure, RutterConfig, RutterState

__all__ = [
    "ConnectionConfig",
    "CreateFault",
    "EmailSinkConfig",
    "EmailSinkState",
    "JobFailure",
    "RunningSandbox",
    "RutterConfig",
    "RutterState",
    "create_email_app",
    "create_rutter_app",
    "running_email_sink",
    "running_rutter",
    "running_sandbox",
    "start_app",
]
