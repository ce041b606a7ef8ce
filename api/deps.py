"""Request dependencies: database session (unit of work), current user, roles, Temporal client."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import jwt
from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import UploadFile
from temporalio.client import Client

from config.settings import Settings
from contracts.common import Actor
from db import accounts
from domain.accounts import MANAGED_BY
from domain.errors import DomainError
from domain.text import RefusedCharacter, clean_line, clean_text, printable
from domain.types import Role

from .errors import forbidden, invalid_input
from .security import decode_token

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    async with request.app.state.sessions() as s, s.begin():
        yield s


def session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    """For a route that must commit before it calls a workflow (the workflow reads what it wrote)."""
    return request.app.state.sessions  # type: ignore[no-any-return]


def clock(request: Request) -> Callable[[], Awaitable[datetime]]:
    return request.app.state.clock  # type: ignore[no-any-return]


_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


async def text_rule(request: Request) -> None:
    """The text rule (P6, domain/text.py) on what the request schemas do not see: every path and
    query parameter and the Idempotency-Key header (single line), and every form field (multi-line
    text; an uploaded file's name is a single line). Installed on the whole app, before any route's
    own dependencies, so a NUL in `/awards/{number}` is a 422 and never reaches the database."""
    values: list[tuple[str, str, bool]] = [(f"path.{k}", v, True) for k, v in request.path_params.items()]
    values += [(f"query.{k}", v, True) for k, v in request.query_params.multi_items()]
    if (key := request.headers.get("idempotency-key")) is not None:
        values.append(("header.Idempotency-Key", key, True))
    if request.headers.get("content-type", "").startswith(_FORMS):
        # FastAPI has parsed the form of a form route already: this reads the cached copy
        for k, v in (await request.form()).multi_items():
            if isinstance(v, UploadFile):
                values.append((f"form.{k}.filename", v.filename or "", True))
            else:
                values.append((f"form.{k}", v, False))
    problems = []
    for where, value, single_line in values:
        check = clean_line if single_line else clean_text
        try:
            check(str(value))
        except RefusedCharacter as e:
            problems.append({"location": printable(where), "problem": str(e)})  # a name may be hostile too
    if problems:
        raise invalid_input(problems)


def temporal(request: Request) -> Client:
    return request.app.state.temporal  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: Role
    enterprise_id: int | None
    session_id: str = ""

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.display_name)


def _unauthenticated(zh: str, en: str) -> DomainError:
    return DomainError("UNAUTHENTICATED", zh, en, status=401)


async def current_account(
    request: Request,
    token: Annotated[str | None, Depends(oauth2)],
) -> CurrentUser:
    """The signed-in account, any role. Every request re-reads the account and its session, so a
    deactivation, a password change or a sign-out ends its tokens at once (ASVS V3.3). It reads
    them on a connection of its own, given back at once: no request holds two pool connections."""
    if not token:
        raise _unauthenticated("请先登录", "Please sign in (Bearer token missing)")
    cfg: Settings = request.app.state.settings
    try:
        claims = decode_token(token, secret=cfg.jwt_secret, algorithm=cfg.jwt_algorithm)
    except jwt.PyJWTError:
        raise _unauthenticated(
            "登录已失效，请重新登录", "The token is invalid or expired; sign in again"
        ) from None
    async with request.app.state.sessions() as s:
        found = await accounts.session_user(s, str(claims["sid"]), str(claims["sub"]))
    if found is None or not found[1].active:
        raise _unauthenticated("账号不存在或已停用", "The account does not exist or is disabled")
    signed_in, user = found
    if signed_in.revoked_at is not None or signed_in.expires_at <= datetime.now(UTC):
        raise _unauthenticated("登录已结束，请重新登录", "This sign-in has ended; sign in again")
    account = CurrentUser(
        user.id, user.username, user.display_name, Role(user.role), user.enterprise_id, signed_in.id
    )
    request.state.account = account  # who it was, should the request be refused (api.errors, a 403)
    return account


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def current_user(
    request: Request, account: Annotated[CurrentUser, Depends(current_account)]
) -> CurrentUser:
    """The signed-in user of the award's procedure: the administrator manages accounts and nothing
    else (separation of duties), so every other route refuses it; the auditor (纪检) reads and
    never writes, so every route of the procedure but a read refuses it, whatever the route's own
    checks say."""
    if account.role is Role.ADMIN:
        raise forbidden(
            "系统管理员账号只能管理账号，不能办理评审业务",
            "The administrator account manages accounts only; it takes no part in the award's procedure",
        )
    if account.role is Role.AUDITOR and request.method not in READ_METHODS:
        raise forbidden(
            "纪检账号只能查阅，不能办理或修改任何事项",
            "The auditor's account reads only; it may not act on or change anything",
        )
    return account


async def account_manager(account: Annotated[CurrentUser, Depends(current_account)]) -> CurrentUser:
    """The administrator (office, committee and government accounts) or the office (enterprise
    and expert accounts): see domain.accounts.MANAGED_BY."""
    if account.role not in MANAGED_BY:
        raise forbidden("当前账号无权管理账号", f"Your role ({account.role}) does not manage accounts")
    return account


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """Dependency: the current user must have one of `roles`."""

    async def check(user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
        if user.role not in roles:
            raise forbidden(
                "当前账号角色无权执行该操作",
                f"Your role ({user.role}) may not do this; needed: {', '.join(roles)}",
            )
        return user

    return check


# scope="function": the transaction commits when the route returns, before the response is sent,
# so a client that got 201 finds the record on its very next request.
Session = Annotated[AsyncSession, Depends(session, scope="function")]
User = Annotated[CurrentUser, Depends(current_user)]
Account = Annotated[CurrentUser, Depends(current_account)]  # any role, the administrator included
AccountManager = Annotated[CurrentUser, Depends(account_manager)]
Office = Annotated[CurrentUser, Depends(require(Role.OFFICE))]
EnterpriseUser = Annotated[CurrentUser, Depends(require(Role.ENTERPRISE))]
OfficeOrEnterprise = Annotated[CurrentUser, Depends(require(Role.OFFICE, Role.ENTERPRISE))]
# the office's records of decisions, which the auditor (纪检) reads too (read routes only)
OfficeOrAuditor = Annotated[CurrentUser, Depends(require(Role.OFFICE, Role.AUDITOR))]
OfficeEnterpriseOrAuditor = Annotated[
    CurrentUser, Depends(require(Role.OFFICE, Role.ENTERPRISE, Role.AUDITOR))
]
Temporal = Annotated[Client, Depends(temporal)]
Clock = Callable[[], Awaitable[datetime]]
Now = Annotated[Clock, Depends(clock)]
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(session_factory)]
Config = Annotated[Settings, Depends(settings)]

# the text rule applies to this header too (`text_rule`, installed on the app)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=100,
        description="repeat the same key to retry a request safely; it acts once",
    ),
]


def update_key(prefix: str, key: str | None) -> str:
    """The id of a workflow update: the client's Idempotency-Key (a retry with the same key acts
    once) or, without one, a fresh id (the request acts once, a repeat acts again)."""
    return f"{prefix}-{key or uuid.uuid4()}"


def idempotent(prefix: str) -> Any:
    """Dependency: the id of the one workflow update (or the one record) a request makes, from
    its Idempotency-Key header (`update_key`). A route takes it as
    `op: Annotated[str, idempotent("revocation")]` instead of the header and a call of its own."""

    def op_id(key: IdempotencyKey = None) -> str:
        return update_key(prefix, key)

    return Depends(op_id)


def gate(*roles: Role) -> Any:
    """A route's role gate, for `dependencies=[gate(...)]`: a caller of another role is refused
    with 403 before the body is read or a record looked up (so the answer does not depend on the
    input or reveal whether the record exists); the route still makes its own finer checks (own
    organisation, assigned panel, seat on this year's committee)."""
    return Depends(require(*roles))
