"""All configuration comes from environment variables (prefix AWARD_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEV_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AWARD_", extra="ignore")

    environment: str = Field("development", description="development | test | production")
    database_url: str = Field("", description="postgresql+asyncpg://… ; empty = embedded server (make run)")
    temporal_address: str = Field("", description="host:port ; empty = embedded dev server (make run)")
    temporal_namespace: str = "default"
    task_queue: str = "quality-award"

    jwt_secret: str = _DEV_SECRET
    jwt_algorithm: str = "HS256"
    jwt_ttl_minutes: int = 8 * 60

    bootstrap_office_username: str = ""
    bootstrap_office_password: str = ""

    max_document_bytes: int = 20 * 1024 * 1024
    # Upper bound for every API call into Temporal (updates, queries, starts).
    temporal_rpc_timeout_seconds: float = 20.0

    def check(self) -> None:
        """Refuse to run production with development defaults."""
        if self.environment == "production":
            if self.jwt_secret == _DEV_SECRET or len(self.jwt_secret) < 32:
                raise RuntimeError("AWARD_JWT_SECRET must be set to a random value of at least 32 characters")
            if not self.database_url or not self.temporal_address:
                raise RuntimeError("AWARD_DATABASE_URL and AWARD_TEMPORAL_ADDRESS are required in production")


@lru_cache
def get_settings() -> Settings:
    return Settings()
