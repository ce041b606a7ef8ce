"""All configuration comes from environment variables (prefix AWARD_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.accounts import check_password_policy
from domain.errors import DomainError

_DEV_SECRET = "dev-only-secret-change-me"
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
    # Upper bound for every API call into Temporal (updates, queries, starts).
    temporal_rpc_timeout_seconds: float = 20.0

    def check(self) -> None:
        """Refuse to run production with development defaults."""
        if self.environment == "production":
            lowered = self.jwt_secret.lower()
            if (
                self.jwt_secret == _DEV_SECRET
                or len(self.jwt_secret) < 32
                or any(part in lowered for part in _PLACEHOLDER_SECRET_PARTS)
            ):
                raise RuntimeError("AWARD_JWT_SECRET must be set to a random value of at least 32 characters")
            if self.bootstrap_office_username or self.bootstrap_office_password:
                self._check_bootstrap_password()
            if not self.database_url or not self.temporal_address:
                raise RuntimeError("AWARD_DATABASE_URL and AWARD_TEMPORAL_ADDRESS are required in production")

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
