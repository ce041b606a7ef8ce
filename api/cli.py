"""Administration commands: `python -m api.cli create-user --username admin --role admin`.

At install, this creates the system administrator (role `admin`), the only account that can
create office, committee and government accounts (through invitations, POST /users); no route
creates an administrator. It can also create a first office account where configuration
bootstrap (AWARD_BOOTSTRAP_OFFICE_*) is not used. `make run` and the tests create their
administrator with the same function, `create_user`.

The password is read from the AWARD_NEW_PASSWORD environment variable or asked for, never taken
from the command line (it would land in the shell history and the process list), and must pass
the password policy (domain.accounts).
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
from domain.accounts import check_password_policy
from domain.errors import DomainError
from domain.types import Role

from .security import hash_password_async

CLI_ROLES = (Role.ADMIN, Role.OFFICE)  # everyone else is invited through the API


async def create_user(database_url: str, username: str, display_name: str, role: Role, password: str) -> str:
    """Create the account unless it exists (then nothing changes). A password that the policy
    refuses raises DomainError (PASSWORD_TOO_SHORT, PASSWORD_TOO_COMMON, …)."""
    check_password_policy(password, username)
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine).begin() as s:
            if await repo.user_by_name(s, username):
                return f"user {username} already exists; nothing changed"
            s.add(
                m.User(
                    username=username,
                    display_name=display_name,
                    password_hash=await hash_password_async(password),
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
    cu = sub.add_parser("create-user", help="create the administrator (or a first office account)")
    cu.add_argument("--username", required=True)
    cu.add_argument("--display-name", default="")
    cu.add_argument("--role", choices=[r.value for r in CLI_ROLES], default=Role.ADMIN.value)
    args = parser.parse_args(argv)
    role = Role(args.role)
    display_name = args.display_name or ("系统管理员" if role is Role.ADMIN else "区评审办")
    password = os.environ.get("AWARD_NEW_PASSWORD") or getpass.getpass("password: ")
    try:
        print(
            asyncio.run(create_user(get_settings().database_url, args.username, display_name, role, password))
        )
    except DomainError as e:
        print(f"{e.message_en} ({e.code})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
