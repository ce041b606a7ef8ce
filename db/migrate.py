"""Apply the Alembic migrations: `python -m db.migrate` (reads AWARD_DATABASE_URL)."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from db.session import normalize_url

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def main() -> int:
    from config.settings import get_settings

    url = get_settings().database_url
    if not url:
        print("AWARD_DATABASE_URL is not set", file=sys.stderr)
        return 2
    upgrade(url)
    print("migrations applied")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
