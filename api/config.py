"""Settings: environment variables (and `.env` when present), one object for the whole service."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

RutterVersion = Literal["2023-03-14", "2024-08-31"]

# `{organization_id}` is replaced by the charge's organization, as streamOS's own code posts to its
# organization's URL; a URL without the placeholder is used as it is.
DEFAULT_EMAIL_SERVICE_URL = "https://dev.email.streamos.io/sendMessage/{organization_id}"
DEFAULT_RECIPIENT_EMAIL = "billing@example.com"


class Settings(BaseSettings):
    """Every setting the service reads; names match the environment variables (upper-case)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, description="PostgreSQL DSN")
    db_pool_min_size: int = Field(
        default=0, ge=0, description="0 lets the service start while PostgreSQL is down"
    )
    db_pool_max_size: int = Field(default=10, ge=1)
    db_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="bound on acquiring a connection (a new one included) and running a statement; "
        "past it 503 DATABASE_UNAVAILABLE",
    )

    rutter_base_url: str = "https://production.rutterapi.com"
    rutter_client_id: str | None = None
    rutter_client_secret: SecretStr | None = None
    rutter_version: RutterVersion = "2023-03-14"
    rutter_access_token: SecretStr | None = None
    rutter_job_timeout_s: float = Field(default=25.0, gt=0)
    rutter_poll_initial_s: float = Field(default=0.5, gt=0, description="first wait before polling a job")
    rutter_poll_factor: float = Field(default=1.5, ge=1.0)
    rutter_poll_max_s: float = Field(default=5.0, gt=0)
    rutter_request_timeout_s: float = Field(default=30.0, gt=0, description="one HTTP call to Rutter")
    rutter_retry_attempts: int = Field(default=5, ge=1, description="tries of one call, the first included")
    rutter_retry_budget_s: float = Field(
        default=15.0, ge=0, description="time one call may spend on attempts and waits before giving up"
    )
    rutter_retry_initial_s: float = Field(
        default=0.5, gt=0, description="backoff ceiling after the first failure"
    )
    rutter_retry_max_wait_s: float = Field(default=8.0, gt=0, description="backoff ceiling for any one wait")

    # --- the shared Rutter budget (api/rutter/budget.py) ---
    rutter_rate_limit: int = Field(
        default=450,
        ge=0,
        description="Rutter calls per organization per RUTTER_RATE_WINDOW_S, all processes together "
        "(0: no budget)",
    )
    rutter_rate_window_s: float = Field(default=10.0, gt=0)
    rutter_rate_burst: int = Field(
        default=0, ge=0, description="bucket capacity (0: a twentieth of the limit, at least 2)"
    )
    rutter_interactive_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="share of the bucket that batch jobs leave to interactive calls",
    )
    rutter_budget_lease: int = Field(
        default=4, ge=1, description="tokens a process takes at once when the bucket has them"
    )

    db_statement_cache_size: int = Field(
        default=100,
        ge=0,
        description="asyncpg's prepared-statement cache per connection (0 behind PgBouncer)",
    )
    queue_database_url: str | None = Field(
        default=None,
        description="a direct connection for the batch queue (LISTEN/NOTIFY, advisory locks) when "
        "DATABASE_URL goes through PgBouncer's transaction pooling; default DATABASE_URL",
    )

    # --- batches (api/batches/, api/worker.py) ---
    workers_in_process: bool = Field(
        default=True, description="run batch workers inside the API process (python -m api.worker runs more)"
    )
    batch_worker_concurrency: int = Field(default=8, ge=2, description="batch jobs one worker runs at once")
    batch_job_heartbeat_s: float = Field(
        default=30.0, gt=0, description="a picked job without a heartbeat this long is run again elsewhere"
    )

    email_enabled: bool = False
    email_service_url: str = DEFAULT_EMAIL_SERVICE_URL
    email_resend_interval_s: float = Field(
        default=60.0,
        ge=0,
        description="minimum time between two resends of one request's email (POST .../email); 429 sooner",
    )
    recipient_email: str = Field(
        default=DEFAULT_RECIPIENT_EMAIL,
        validation_alias=AliasChoices("RECIPIENT_EMAIL", "RECEPIENT_EMAIL", "recipient_email"),
    )

    streamos_base_url: str | None = None
    streamos_api_key: SecretStr | None = None
    streamos_charge_path: str = Field(
        default="/charges/{charge_id}",
        description="path under STREAMOS_BASE_URL that returns one charge",
    )
    streamos_auth_header: str = Field(default="x-api-key", description="header that carries STREAMOS_API_KEY")

    idempotency_key_ttl_hours: float = Field(default=24.0, gt=0)
    recovery_interval_s: float = Field(
        default=30.0, ge=0, description="how often abandoned requests are finished (0 = only at start-up)"
    )
    invoice_lease_s: float = Field(
        default=30.0,
        gt=0,
        description="a worker's lease on a request; renewed every third of it while the worker lives, so "
        "after a crash another worker may take the request over once it runs out",
    )
    max_body_bytes: int = Field(
        default=1_048_576, gt=0, description="larger bodies get 413 PAYLOAD_TOO_LARGE without being read"
    )
    request_read_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="a connection that has not sent its headers and body by then is answered 408 and closed",
    )
    max_concurrent_requests: int = Field(
        default=1000, ge=1, description="requests in progress beyond this get 503 (probes excepted)"
    )
    max_header_bytes: int = Field(
        default=65_536, ge=1024, description="request line and headers (api.server's protocol): 431 beyond"
    )
    max_connections: int = Field(
        default=0,
        ge=0,
        description="open connections (api.server's protocol) beyond which new ones get 503 and are closed; "
        "0: the open-file limit less a reserve",
    )
    api_key_cache_s: float = Field(
        default=5.0,
        ge=0,
        description="how long a process remembers a valid API key (so a revoked key works at most this long)",
    )
    log_level: str = "INFO"

    @field_validator("email_service_url", mode="before")
    @classmethod
    def _empty_email_url_is_the_default(cls, value: object) -> object:
        # docker-compose passes `${EMAIL_SERVICE_URL:-}` through as "" when the variable is unset.
        return DEFAULT_EMAIL_SERVICE_URL if isinstance(value, str) and not value.strip() else value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
