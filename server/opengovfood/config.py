"""One typed settings object, read from OPENGOVFOOD_* environment variables.

Every setting has a default that works for local development; production
deployments set OPENGOVFOOD_ENV=production, which makes missing secrets fatal.
The configuration reference in README.md is generated from this class.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from opengovfood.domain.accounts import email_violations, normalize_email, password_violations
from opengovfood.domain.principal import KNOWN_SCOPES, is_known_scope
from opengovfood.inspection.scoring import UnknownSchemeError, get_scheme

MIN_SECRET_KEY_BYTES = 32


class Settings(BaseSettings):
    """OpenGov-Food configuration. Field descriptions feed the README table."""

    # An empty variable means "the default": a Kubernetes ConfigMap lists every
    # setting, and `KEY: ""` there leaves it unset.
    model_config = SettingsConfigDict(
        env_prefix="OPENGOVFOOD_",
        env_file=None,
        extra="ignore",
        frozen=True,
        env_ignore_empty=True,
    )

    # --- server -----------------------------------------------------------------
    env: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses to start without a strong secret key.",
    )
    address: str = Field(
        "127.0.0.1:50051", description="host:port the gRPC server binds (IPv6 as `[::]:50051`)."
    )
    workers: int = Field(
        1, ge=1, le=64, description="Server processes sharing the port (SO_REUSEPORT)."
    )
    grace_period: float = Field(
        10.0, ge=0, description="Seconds in-flight RPCs get to finish on SIGTERM/SIGINT."
    )
    max_message_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="Largest request or response message, in bytes."
    )
    keepalive_time: float = Field(
        60.0, gt=0, description="Seconds between server keepalive pings on idle connections."
    )
    keepalive_timeout: float = Field(
        20.0, gt=0, description="Seconds to wait for a keepalive ack before closing."
    )
    keepalive_min_client_interval: float = Field(
        10.0,
        gt=0,
        description="Keepalive enforcement: a client pinging more often than this (seconds) "
        "is sent GOAWAY (too_many_pings) after two such pings.",
    )
    max_connection_age: float | None = Field(
        300.0,
        gt=0,
        description="Seconds before the server asks a client to reconnect (GOAWAY; gRPC adds "
        "±10% jitter), so connections move to new replicas after a scale-up or rollout. "
        "Unset: connections live forever.",
    )
    max_connection_age_grace: float | None = Field(
        None,
        ge=0,
        description="Seconds the calls still open on an aged connection get before it is "
        "closed. Unset: they finish however long they take (WatchItems streams are never "
        "cut); only new calls move to the new connection.",
    )
    max_concurrent_rpcs: int | None = Field(
        None,
        ge=1,
        description="Load-shedding limit: RPCs beyond it answer RESOURCE_EXHAUSTED. Unset: none.",
    )
    log_format: Literal["json", "console"] = Field(
        "json", description="Log line format: `json` or `console`."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest log level written."
    )
    access_log: bool = Field(True, description="Write one log line per RPC.")
    watch_queue_size: int = Field(
        256,
        ge=1,
        le=100_000,
        description="Events buffered per WatchItems stream; a watcher further behind is "
        "ended with RESOURCE_EXHAUSTED.",
    )
    watch_catch_up_after: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="PostgreSQL: seconds after which any instance announces an item event "
        "that its writer committed but did not (it died first, or fell far behind).",
    )

    # --- database ---------------------------------------------------------------
    database_url: str = Field(
        "sqlite+aiosqlite:///./opengovfood.db",
        description="SQLAlchemy URL: `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`.",
    )
    db_pool_size: int = Field(10, ge=1, description="PostgreSQL connection pool size.")
    db_max_overflow: int = Field(
        10, ge=0, description="PostgreSQL connections allowed above the pool size."
    )
    db_pool_timeout: float = Field(
        5.0, gt=0, description="Seconds to wait for a free connection before UNAVAILABLE."
    )
    db_connect_timeout: float = Field(
        5.0, gt=0, description="Seconds to wait when opening a database connection."
    )
    sqlite_busy_timeout_ms: int = Field(
        5000, ge=0, description="SQLite busy timeout: how long a writer waits for the lock."
    )
    health_check_interval: float = Field(
        2.0, gt=0, description="Seconds between database health checks."
    )
    migrate_on_start: bool = Field(
        False,
        description="`serve` applies pending migrations before it binds (under a PostgreSQL "
        "advisory lock, so replicas starting together do not race). Off: run "
        "`opengov-food db upgrade` (a Kubernetes Job, a compose service) before starting.",
    )

    # --- auth -------------------------------------------------------------------
    secret_key: SecretStr | None = Field(
        None,
        description="HS256 signing key (>= 32 bytes). Development: generated and kept "
        "in `secret_key_file` when unset.",
    )
    secret_key_file: Path = Field(
        Path(".opengovfood-secret"),
        description="Where development keeps its generated signing key (mode 0600).",
    )
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = Field(
        "HS256", description="Access-token signature algorithm."
    )
    jwt_private_key_file: Path | None = Field(
        None, description="PEM private key for RS256/ES256 signing."
    )
    jwt_public_key_file: Path | None = Field(
        None, description="PEM public key for RS256/ES256 verification."
    )
    jwt_issuer: str = Field("opengovfood", description="`iss` claim of issued tokens.")
    jwt_audience: str = Field("opengovfood", description="`aud` claim of issued tokens.")
    access_token_ttl: timedelta = Field(
        timedelta(minutes=30),
        description="Access-token lifetime (seconds or ISO 8601, e.g. `PT30M`).",
    )
    refresh_token_ttl: timedelta = Field(
        timedelta(days=14), description="Refresh-token lifetime (seconds or ISO 8601)."
    )
    bcrypt_rounds: int = Field(12, ge=4, le=16, description="bcrypt cost factor.")
    open_registration: bool = Field(True, description="Allow anyone to Register.")
    first_superuser_email: str | None = Field(
        None, description="Created as superuser at startup when no user exists."
    )
    first_superuser_password: SecretStr | None = Field(
        None, description="Password of the first superuser."
    )
    principal_cache_ttl: float = Field(
        5.0,
        gt=0,
        le=5.0,
        description="Seconds a user's active/superuser state is cached per process "
        "(bounds how long a deactivated user's token works on other workers).",
    )

    # --- rate limits ------------------------------------------------------------
    redis_url: str | None = Field(
        None, description="Share rate limits across workers/instances through Redis."
    )
    login_rate_per_minute: float = Field(
        10.0,
        gt=0,
        description="Login attempts per minute per address and per email+address pair; "
        "Register attempts per address and per email.",
    )
    login_burst: int = Field(10, ge=1, description="Login/Register burst size.")
    login_email_rate_per_minute: float = Field(
        100.0,
        gt=0,
        description="Failed logins per minute one email may take from all addresses "
        "together (a ceiling above the per-pair limit: never locks the owner's address out "
        "by itself).",
    )
    login_email_burst: int = Field(100, ge=1, description="Burst of the per-email ceiling.")
    refresh_rate_per_minute: float = Field(
        120.0, gt=0, description="RefreshToken calls per minute per client address."
    )
    refresh_burst: int = Field(60, ge=1, description="RefreshToken burst per address.")
    rpc_rate_per_second: float | None = Field(
        None, gt=0, description="Optional per-principal limit for all RPCs. Unset: none."
    )
    rpc_burst: int = Field(100, ge=1, description="Burst for the per-principal RPC limit.")
    redis_key_prefix: str = Field(
        "opengovfood:ratelimit:", description="Prefix of the rate-limit keys kept in Redis."
    )

    # --- agent / LLM ------------------------------------------------------------
    llm_provider: Literal["local", "ollama", "openai"] = Field(
        "local", description="Default LLM provider: `local`, `ollama` or `openai`."
    )
    llm_model: str | None = Field(
        None, description="Default model name; unset: the provider's own default."
    )
    local_model_path: Path | None = Field(
        None, description="GGUF file for the local provider; unset: bundled SmolLM2-135M."
    )
    ollama_url: str | None = Field(
        None, description="Ollama base URL, e.g. `http://127.0.0.1:11434`."
    )
    openai_base_url: str | None = Field(
        None, description="OpenAI-compatible base URL, e.g. `http://127.0.0.1:8000/v1`."
    )
    openai_api_key: SecretStr | None = Field(
        None, description="API key for the OpenAI-compatible server."
    )
    llm_timeout: float = Field(120.0, gt=0, description="Seconds an LLM request may take.")
    analysis_model_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds the model may take over an analysis's narrative; past them the "
        "analysis is stored with the rules' findings and score and `narrative_missing` set.",
    )
    scoring_scheme: str = Field(
        "standard",
        description="How analyses are scored: `standard`, `letter-grade`, `pass-fail` or "
        "`risk-factor` (docs/scoring.md).",
    )
    llm_warm_up: bool = Field(
        True,
        description="Load the local model in the background at start, so the first "
        "request does not wait for it.",
    )

    # --- open data (LIVES feed_info.csv) ----------------------------------------
    lives_municipality_name: str = Field(
        "OpenGov-Food",
        description="`municipality_name` of the LIVES export's feed_info.csv: the "
        "department publishing the inspections.",
    )
    lives_municipality_url: str = Field(
        "", description="`municipality_url` of the LIVES export's feed_info.csv."
    )
    lives_contact_email: str = Field(
        "", description="`contact_email` of the LIVES export's feed_info.csv."
    )

    # --- operations -------------------------------------------------------------
    metrics_address: str | None = Field(
        None,
        description="host:port for the Prometheus /metrics endpoint. Unset: off. With "
        "several workers also set `PROMETHEUS_MULTIPROC_DIR` to an empty writable directory.",
    )
    tls_cert: Path | None = Field(
        None,
        description="PEM certificate chain the server presents; with `tls_key` the port "
        "serves TLS only. Re-read on file change or SIGHUP.",
    )
    tls_key: Path | None = Field(None, description="PEM private key for `tls_cert`.")
    tls_client_ca: Path | None = Field(
        None,
        description="PEM CA bundle: when set, every client must present a certificate it "
        "signed (mTLS).",
    )
    tls_client_principals: dict[str, list[str]] = Field(
        default_factory=dict,
        description="JSON map from a client-certificate identity (a SAN, e.g. DNS name or "
        'URI, or the subject CN) to the scopes of its service principal: `{"reports-svc": '
        '["items:read"]}`. Needs `tls_client_ca`; a bearer token, when sent, wins.',
    )

    @field_validator("scoring_scheme")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        try:
            return get_scheme(value).name
        except UnknownSchemeError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("address", "metrics_address")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None:
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("must be host:port")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    otel_endpoint: str | None = Field(
        None,
        description="OTLP/gRPC collector for OpenTelemetry traces, e.g. "
        "`http://127.0.0.1:4317`. Unset: tracing off. Needs `pip install "
        "'opengov-food[otel]'`.",
    )
    otel_service_name: str = Field("opengovfood", description="`service.name` of the spans.")
    otel_sample_ratio: float = Field(
        1.0, ge=0, le=1, description="Share of new traces recorded (callers' choice is kept)."
    )

    @field_validator("otel_endpoint")
    @classmethod
    def _otel_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// (plaintext) or https://")
        return value

    @field_validator("tls_cert", "tls_key", "tls_client_ca")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("tls_client_principals")
    @classmethod
    def _known_scopes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for identity, scopes in value.items():
            if not identity.strip():
                raise ValueError("an identity must not be empty")
            unknown = sorted(scope for scope in scopes if not is_known_scope(scope))
            if unknown:
                raise ValueError(
                    f"unknown scope {unknown[0]!r} for {identity!r}; known: "
                    + ", ".join(sorted(KNOWN_SCOPES))
                    + ", department:<id>"
                )
        return value

    @model_validator(mode="after")
    def _tls_rules(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("OPENGOVFOOD_TLS_CERT and OPENGOVFOOD_TLS_KEY must be set together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ValueError("OPENGOVFOOD_TLS_CLIENT_CA needs OPENGOVFOOD_TLS_CERT and _KEY")
        if self.tls_client_principals and self.tls_client_ca is None:
            raise ValueError(
                "OPENGOVFOOD_TLS_CLIENT_PRINCIPALS needs OPENGOVFOOD_TLS_CLIENT_CA: only "
                "verified client certificates may stand for a principal"
            )
        return self

    @field_validator("first_superuser_email", "first_superuser_password", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `OPENGOVFOOD_FIRST_SUPERUSER_EMAIL=` in an env file means "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("access_token_ttl", "refresh_token_ttl", mode="before")
    @classmethod
    def _seconds_as_text(cls, value: object) -> object:
        # Environment values are text: "7200" means seconds, as documented.
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        return value

    @field_validator("access_token_ttl", "refresh_token_ttl")
    @classmethod
    def _positive_ttl(cls, value: timedelta) -> timedelta:
        if value.total_seconds() < 1:
            raise ValueError("must be at least one second")
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.jwt_algorithm == "HS256":
            key = self.secret_key.get_secret_value() if self.secret_key else None
            if key is not None and len(key.encode()) < MIN_SECRET_KEY_BYTES:
                raise ValueError(
                    f"OPENGOVFOOD_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes"
                )
            if key is None and self.env == "production":
                raise ValueError(
                    "OPENGOVFOOD_SECRET_KEY is required when OPENGOVFOOD_ENV=production"
                )
        elif self.jwt_private_key_file is None:
            # The server signs tokens at Login; the public key alone cannot.
            raise ValueError(
                f"OPENGOVFOOD_JWT_PRIVATE_KEY_FILE is required for {self.jwt_algorithm}"
            )
        if self.env == "production" and self.bcrypt_rounds < 10:
            raise ValueError("OPENGOVFOOD_BCRYPT_ROUNDS must be at least 10 in production")
        self._first_superuser_rules()
        return self

    def _first_superuser_rules(self) -> None:
        email = self.first_superuser_email
        password = self.first_superuser_password
        if (email is None) != (password is None):
            raise ValueError("OPENGOVFOOD_FIRST_SUPERUSER_EMAIL and _PASSWORD must be set together")
        if email is None or password is None:
            return
        for violation in [
            *email_violations(normalize_email(email), "first_superuser_email"),
            *password_violations(password.get_secret_value(), "first_superuser_password"),
        ]:
            raise ValueError(f"OPENGOVFOOD_{violation.field.upper()} {violation.description}")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
