"""All configuration comes from environment variables (prefix AWARD_)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from config.codec import DEV_KEY_FILE, KeyRing, PayloadKeyError, dev_key_file
from domain.accounts import check_password_policy
from domain.errors import DomainError
from domain.mail import normalize_email

_DEV_SECRET = "dev-only-secret-change-me"
_DEV_BALLOT_SECRET = "dev-only-ballot-secret-change-me"
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class RateLimit:
    """At most `hits` requests per fixed window of `seconds`. Written "10/hour", "30/minute", "5/90s"."""

    hits: int
    seconds: int

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        return f"{self.hits}/{self.seconds}s"


def parse_rate_limit(value: Any) -> RateLimit:
    if isinstance(value, RateLimit):
        return value
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(?:(second|minute|hour|day)|(\d+)\s*s)\s*", str(value))
    if not m or int(m[1]) < 1 or (m[3] is not None and int(m[3]) < 1):
        raise ValueError(f"a rate limit is written like 10/hour, 30/minute or 5/90s, not {value!r}")
    return RateLimit(int(m[1]), _UNITS[m[2]] if m[2] else int(m[3]))


def parse_origins(value: Any) -> list[str]:
    """Browser origins (scheme://host[:port]), from a list or a comma-separated string."""
    items = value.split(",") if isinstance(value, str) else list(value)
    origins = [str(i).strip().rstrip("/") for i in items if str(i).strip()]
    for origin in origins:
        if not re.fullmatch(r"https?://[^/\s]+", origin):
            raise ValueError(f"an origin is written like https://temporal-ui.example.org, not {origin!r}")
    return origins


def parse_networks(value: Any) -> list[str]:
    """A list of IP addresses or networks, from a list or a comma-separated string."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(ipaddress.ip_network(str(i).strip(), strict=False)) for i in items if str(i).strip()]


def parse_address(value: Any) -> str:
    """An e-mail address (domain.mail.normalize_email), or "" for none."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        return normalize_email(text)
    except DomainError as e:
        raise ValueError(e.message_en) from None


Rate = Annotated[RateLimit, NoDecode, BeforeValidator(parse_rate_limit)]
# Development credentials printed by `make run` (scripts/run.py) and used by `make demo`: public,
# so production refuses them. The admin is created by the CLI (api.cli), never through the API.
DEV_OFFICE = ("office", "office-dev-password")
DEV_ADMIN = ("admin", "district-accounts-dev")
_DEV_PASSWORDS = frozenset({DEV_OFFICE[1], DEV_ADMIN[1], "office-test-password"})
_PLACEHOLDER_SECRET_PARTS = ("change-me", "changeme", "dev-only", "example", "secret-here")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AWARD_", extra="ignore")

    environment: str = Field("development", description="development | test | production")
    database_url: str = Field("", description="postgresql+asyncpg://… ; empty = embedded server (make run)")
    temporal_address: str = Field("", description="host:port ; empty = embedded dev server (make run)")
    temporal_namespace: str = "default"
    task_queue: str = "quality-award"

    jwt_secret: str = _DEV_SECRET
    # The secret ballot (R14.6): the worker wraps each plenary's private ballot key under a key
    # derived from this secret (db/ballot_box.py). Only the worker needs it; never the API, the
    # database, Temporal or a log. Rotate it after a plenary has closed (nothing stays wrapped).
    ballot_secret: str = _DEV_BALLOT_SECRET
    jwt_algorithm: str = "HS256"
    # Access tokens are short (ASVS V3.3); a refresh token (opaque, stored hashed, rotated on each
    # use) renews them until the session's absolute end or its revocation.
    jwt_ttl_minutes: int = Field(15, ge=1, description="access token lifetime")
    session_hours: int = Field(12, ge=1, description="a sign-in's refresh tokens end this long after it")
    invitation_hours: int = Field(72, ge=1, description="an account invitation expires this long after it")
    # Per-account throttling (ASVS V2.2.1): this many failed sign-ins within the window lock the
    # account name for the lockout period (429 with Retry-After), known or unknown alike.
    sign_in_max_failures: int = Field(5, ge=1)
    sign_in_failure_window_minutes: int = Field(15, ge=1)
    sign_in_lockout_minutes: int = Field(15, ge=1)

    bootstrap_office_username: str = ""
    bootstrap_office_password: str = ""

    max_document_bytes: int = 20 * 1024 * 1024
    # Any other request body (JSON, forms): refused with 413 as soon as it passes this size.
    max_request_bytes: int = Field(1024 * 1024, ge=1024)

    # Rate limits of public and abusable routes (P6), counted in PostgreSQL so that every API
    # process shares them. Client addresses are kept only as a keyed hash (HMAC-SHA256 with
    # rate_limit_secret, or the JWT secret when empty): an IP address is personal data.
    rate_limit_objection_per_ip: Rate = Field(RateLimit(10, 3600), description="objections per client IP")
    rate_limit_objection_per_application: Rate = Field(
        RateLimit(300, 3600), description="objections against one application, from anyone"
    )
    rate_limit_sign_in_per_ip: Rate = Field(RateLimit(30, 60), description="POST /auth/token per client IP")
    rate_limit_secret: str = ""
    # argon2id cost of new password hashes (OWASP: at least 2 passes over 19 MiB); tests lower it.
    password_hash_time_cost: int = Field(3, ge=1)
    password_hash_memory_kib: int = Field(65536, ge=8)
    # Proxies (IPs or networks, comma-separated) whose X-Forwarded-For is believed; with none, the
    # client IP is the peer address of the connection and X-Forwarded-For is ignored.
    trusted_proxies: Annotated[list[str], NoDecode, BeforeValidator(parse_networks)] = []
    # Each rate-limit hit deletes ended windows with this probability (opportunistic purge).
    rate_limit_purge_probability: float = Field(0.02, ge=0, le=1)
    # Encrypted Temporal payloads (config/codec.py): `id:base64key` entries, the first encrypts and
    # all decrypt; given inline (comma-separated) or as a secret file (one per line). Development
    # without either uses a key file made once under .data; production refuses to start without.
    payload_keys: SecretStr = SecretStr("")
    payload_keys_file: str = ""
    # Browser origins of the Temporal Web UI allowed to call the codec server (POST /codec/decode).
    codec_cors_origins: Annotated[list[str], NoDecode, BeforeValidator(parse_origins)] = [
        "http://127.0.0.1:8233",
        "http://localhost:8233",
    ]
    # Upper bound for every API call into Temporal (updates, queries, starts).
    temporal_rpc_timeout_seconds: float = 20.0
    # Connections per API or worker process (no request holds more than one).
    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(10, ge=0)
    # A request that waits longer than this for a free pool connection is answered 503 DATABASE_BUSY;
    # a connection attempt that takes longer is 503 DATABASE_UNAVAILABLE (P7: answers, not stalls).
    db_pool_timeout_seconds: float = Field(30.0, gt=0)
    db_connect_timeout_seconds: float = Field(5.0, gt=0)

    # Worker tuning (P5). Measured with `make bench` on the 2-core development machine; see the
    # README's operators' section. The sticky cache holds every application of a large cycle.
    worker_max_concurrent_activities: int = 32
    worker_max_concurrent_workflow_tasks: int = 64
    worker_max_cached_workflows: int = 12_000
    worker_workflow_task_pollers: int = 4
    worker_activity_task_pollers: int = 4
    # Fan-out: signals sent concurrently to the applications of a stage, and a pause between
    # batches (0: none) to spare a small Temporal server.
    fan_out_concurrency: int = 64
    fan_out_batch_pause_seconds: float = 0.0
    # The notice relay's poll interval when it found nothing to deliver.
    notice_relay_interval_seconds: float = 1.0

    # E-mail of notices (activities/mail.py; README: Notices by e-mail). An empty host turns e-mail
    # off: the worker says so once in its log and records no deliveries. TLS: "tls" (implicit, port
    # 465), "starttls" (port 587) or "none" (a relay on the host itself, the development mailbox).
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: Annotated[str, BeforeValidator(parse_address)] = ""
    smtp_office_mailbox: Annotated[str, BeforeValidator(parse_address)] = ""
    smtp_timeout_seconds: float = Field(30.0, gt=0)
    # a failed e-mail is tried again after 1, 2, 4 … minutes (at most an hour apart), and after this
    # many attempts left to the office (GET /notice-deliveries, POST …/retry)
    smtp_max_attempts: int = Field(8, ge=1)
    smtp_retry_base_seconds: float = Field(60.0, gt=0)

    # Operators (config/observability.py): log lines as JSON objects ("json") or left to the host
    # ("plain": the tests, an embedding process); Prometheus metrics of the API and of the worker on
    # ports of their own on `metrics_host` (0 = none), never on the public API port.
    log_format: Literal["json", "plain"] = "json"
    metrics_host: str = "127.0.0.1"
    api_metrics_port: int = Field(0, ge=0, le=65535)
    worker_metrics_port: int = Field(0, ge=0, le=65535)

    @property
    def rate_limit_key(self) -> bytes:
        return (self.rate_limit_secret or self.jwt_secret).encode()

    @property
    def rate_limit_retention(self) -> timedelta:
        """A window that started longer ago than this has ended, whichever limit it counts."""
        return max(v.window for v in vars(self).values() if isinstance(v, RateLimit))

    def payload_key_ring(self) -> KeyRing:
        """The payload keys (config/codec.py); RuntimeError when they are missing or malformed."""
        try:
            if inline := self.payload_keys.get_secret_value().strip():
                return KeyRing.parse(inline.split(","))
            if self.payload_keys_file:
                return KeyRing.from_file(Path(self.payload_keys_file))
            if self.environment == "production":
                raise RuntimeError(
                    "AWARD_PAYLOAD_KEYS_FILE (or AWARD_PAYLOAD_KEYS) is required in production: Temporal "
                    "payloads are encrypted (python -m config.codec new-key ID makes a key)"
                )
            return KeyRing.from_file(dev_key_file())
        except PayloadKeyError as e:
            raise RuntimeError(f"AWARD_PAYLOAD_KEYS / AWARD_PAYLOAD_KEYS_FILE: {e}") from None

    def check(self) -> None:
        """Refuse to run production with development defaults."""
        if self.environment == "production":
            self.payload_key_ring()
            if self.payload_keys_file and Path(self.payload_keys_file).resolve() == DEV_KEY_FILE:
                raise RuntimeError("AWARD_PAYLOAD_KEYS_FILE points at the development key file")
            lowered = self.jwt_secret.lower()
            if (
                self.jwt_secret == _DEV_SECRET
                or len(self.jwt_secret) < 32
                or any(part in lowered for part in _PLACEHOLDER_SECRET_PARTS)
            ):
                raise RuntimeError("AWARD_JWT_SECRET must be set to a random value of at least 32 characters")
            if self.rate_limit_secret and len(self.rate_limit_secret) < 32:
                raise RuntimeError("AWARD_RATE_LIMIT_SECRET, when set, must be at least 32 random characters")
            if self.bootstrap_office_username or self.bootstrap_office_password:
                self._check_bootstrap_password()
            if self.password_hash_time_cost < 2 or self.password_hash_memory_kib < 19 * 1024:
                raise RuntimeError("password hashing below OWASP's minimum (argon2id, 2 passes, 19 MiB)")
            if not self.database_url or not self.temporal_address:
                raise RuntimeError("AWARD_DATABASE_URL and AWARD_TEMPORAL_ADDRESS are required in production")

    def check_ballot_secret(self) -> None:
        """The worker's check (the API never holds the ballot secret): production refuses the
        development secret, a placeholder and anything shorter than 32 characters."""
        if self.environment == "production":
            lowered = self.ballot_secret.lower()
            if (
                self.ballot_secret == _DEV_BALLOT_SECRET
                or len(self.ballot_secret) < 32
                or any(part in lowered for part in _PLACEHOLDER_SECRET_PARTS)
                or self.ballot_secret == self.jwt_secret
            ):
                raise RuntimeError(
                    "AWARD_BALLOT_SECRET must be set (worker only) to a random value of at least 32 "
                    "characters, different from AWARD_JWT_SECRET"
                )

    def _check_bootstrap_password(self) -> None:
        if self.bootstrap_office_password in _DEV_PASSWORDS:
            raise RuntimeError(
                "AWARD_BOOTSTRAP_OFFICE_PASSWORD is a development password; set a strong one "
                "(or leave both bootstrap variables empty and let the admin invite the office)"
            )
        try:
            check_password_policy(self.bootstrap_office_password, self.bootstrap_office_username)
        except DomainError as e:
            raise RuntimeError(f"AWARD_BOOTSTRAP_OFFICE_PASSWORD: {e.message_en}") from None


@lru_cache
def get_settings() -> Settings:
    return Settings()
