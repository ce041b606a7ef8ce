"""Administration commands: `python -m api.cli create-user --username office --role office`.

The password is read from the AWARD_NEW_PASSWORD environment variable or asked for, never taken
from the command line (it would land in the shell history and the process list).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from datetime import UTC, datetime

from config.settings import get_settings
from db import models as m
from db import repositories as repo
from db.session import make_engine, make_sessionmaker
from domain.types import Role

from .security import hash_password


async def create_user(database_url: str, username: str, display_name: str, role: Role, password: str) -> str:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine).begin() as s:
            if await repo.user_by_name(s, username):
                return f"user {username} already exists; nothing changed"
            s.add(
                m.User(
                    username=username,
                    display_name=display_name,
                    password_hash=hash_password(password),
                    role=role,
                    active=True,
                )
            )
            await repo.audit(
                s,
                at=datetime.now(UTC),
                actor="cli",
                actor_role="system",
                action="USER_CREATED",
                entity_type="user",
                entity_id=username,
                reason="created with api.cli",
                details={"role": role},
            )
        return f"user {username} ({role}) created"
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    cu = sub.add_parser("create-user", help="create an office, committee or government account")
    cu.add_argument("--username", required=True)
    cu.add_argument("--display-name", default="区评审办")
    cu.add_argument(
        "--role", choices=[r.value for r in Role if r is not Role.ENTERPRISE], default=Role.OFFICE.value
    )
    args = parser.parse_args(argv)
    password = os.environ.get("AWARD_NEW_PASSWORD") or getpass.getpass("password: ")
    if len(password) < 10:
        print("the password needs at least 10 characters", file=sys.stderr)
        return 2
    print(
        asyncio.run(
            create_user(
                get_settings().database_url, args.username, args.display_name, Role(args.role), password
            )
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
