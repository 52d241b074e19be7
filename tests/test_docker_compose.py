"""docker-compose.yml cannot run here (no Docker engine), so its wiring is checked as data."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import yaml

from api.config import Settings
from api.paths import PROJECT_ROOT


def _compose() -> dict[str, Any]:
    document = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def test_compose_has_database_migration_and_api() -> None:
    services = _compose()["services"]
    assert set(services) >= {"db", "migrate", "api"}
    assert services["migrate"]["command"] == ["python", "-m", "api.db", "migrate"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_database_urls_point_at_the_compose_database() -> None:
    services = _compose()["services"]
    db_env = services["db"]["environment"]
    for name in ("migrate", "api"):
        url = urlsplit(services[name]["environment"]["DATABASE_URL"])
        assert url.hostname == "db"
        assert url.username == db_env["POSTGRES_USER"]
        assert url.password == db_env["POSTGRES_PASSWORD"]
        assert url.path == f"/{db_env['POSTGRES_DB']}"


def test_api_environment_names_are_settings_the_service_reads() -> None:
    api_env = _compose()["services"]["api"]["environment"]
    known = {name.upper() for name in Settings.model_fields}
    unknown = set(api_env) - known
    assert not unknown, f"compose sets variables the service does not read: {sorted(unknown)}"
    # The settings a deployment must be able to give are all wired through.
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
    api_env = _compose()["services"]["api"]["environment"]
    defaults = Settings.model_fields
    for name in ("RUTTER_BASE_URL", "RUTTER_VERSION", "RECIPIENT_EMAIL"):
        value = api_env[name]
        fallback = value.split(":-", 1)[1].rstrip("}")
        assert fallback == defaults[name.lower()].default, name
    # The email URL's default holds braces of its own ({organization_id}), which compose's `${…:-…}`
    # cannot carry: compose passes "" and the settings read that as their default.
    assert api_env["EMAIL_SERVICE_URL"] == "${EMAIL_SERVICE_URL:-}"
    email_url = Settings(_env_file=None, email_service_url="").email_service_url
    assert email_url == defaults["email_service_url"].default
