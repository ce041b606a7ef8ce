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
    # Connections per API or worker process (no request holds more than one).
    db_pool_size: int = 10
    db_max_overflow: int = 10

    # Worker tuning (P5). Measured with `make bench` on the 2-core development machine; see the
    # README's operators' section. The sticky cache holds every application of a large cycle.
    worker_max_concurrent_activities: int = 64
    worker_max_concurrent_workflow_tasks: int = 64
    worker_max_cached_workflows: int = 12_000
    worker_workflow_task_pollers: int = 4
    worker_activity_task_pollers: int = 4
    # Fan-out: signals sent concurrently to the applications of a stage.
    fan_out_concurrency: int = 64
    # The notice relay's poll interval when it found nothing to deliver.
    notice_relay_interval_seconds: float = 1.0

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
