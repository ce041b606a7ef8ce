"""Sign-in (OAuth2 password flow), refresh, sign-out, password change and invitations (P7, ASVS V2/V3).

- Sign-in answers the same `AUTH_FAILED` for an unknown account, an account without a password
  yet, a deactivated account and a wrong password, after the same work: one argon2 verification
  in a worker thread (against a dummy hash when there is no real one).
- Every account name, known or not, is throttled: `sign_in_max_failures` failed attempts within
  the window lock it for `sign_in_lockout_minutes` (429 `ACCOUNT_LOCKED` with `Retry-After`).
- An access token lives `jwt_ttl_minutes` and names its sign-in session (`sid`); the refresh token
  is opaque, stored hashed and replaced on each use. Revoking the session (sign-out, password
  change, deactivation, new invitation) ends both at once.
- Successes and failures are audited, never with the password.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from db import accounts
from db import models as m
from db import repositories as repo
from domain.accounts import SignInLimits, check_password_policy
from domain.errors import DomainError, invalid
from domain.types import Role

from .. import security
from ..deps import Account, Config, Session, Sessions
from ..errors import not_found
from ..ratelimit import sign_in_limits
from ..schemas import (
    EmailIn,
    InvitationAccepted,
    InvitationAcceptIn,
    PasswordChangeIn,
    RefreshIn,
    TokenPair,
    UserOut,
)
from .accounts import change_email

router = APIRouter(tags=["auth"])


class AccountLocked(DomainError):
    """429 with Retry-After: too many failed sign-ins on this account name."""

    def __init__(self, until: datetime, now: datetime) -> None:
        self.retry_after = max(1, math.ceil((until - now).total_seconds()))
        super().__init__(
            "ACCOUNT_LOCKED",
            f"登录失败次数过多，账号已暂时锁定，请{math.ceil(self.retry_after / 60)}分钟后再试",
            f"Too many failed sign-ins: this account is locked; try again in {self.retry_after} s",
            status=429,
            details={"retry_after": self.retry_after},
        )


def install(app: FastAPI) -> None:
    @app.exception_handler(AccountLocked)
    async def _locked(_: Request, e: AccountLocked) -> JSONResponse:
        return JSONResponse(e.to_dict(), status_code=429, headers={"Retry-After": str(e.retry_after)})


def _auth_failed() -> DomainError:
    return DomainError("AUTH_FAILED", "用户名或密码错误", "Wrong username or password", status=401)


def _limits(cfg: Settings) -> SignInLimits:
    return SignInLimits(
        max_failures=cfg.sign_in_max_failures,
        window=timedelta(minutes=cfg.sign_in_failure_window_minutes),
        lockout=timedelta(minutes=cfg.sign_in_lockout_minutes),
    )


def _throttle_key(username: str) -> str:
    return security.token_digest("sign-in:" + username)


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


@dataclass(frozen=True)
class _Candidate:
    """What sign-in needs of the account, read before the (slow) password check."""

    id: int
    username: str
    role: str
    active: bool
    password_hash: str | None  # None: no password yet

    @staticmethod
    def of(user: m.User | None) -> _Candidate | None:
        if user is None:
            return None
        stored = user.password_hash if accounts.has_password(user) else None
        return _Candidate(user.id, user.username, user.role, user.active, stored)


async def _open_session(s: AsyncSession, cfg: Settings, user_id: int, username: str, role: str) -> TokenPair:
    now = datetime.now(UTC)
    session_id, refresh = str(uuid.uuid4()), security.new_secret_token()
    expires_at = now + timedelta(hours=cfg.session_hours)
    await accounts.open_session(
        s,
        session_id=session_id,
        user_id=user_id,
        refresh_hash=security.token_digest(refresh),
        now=now,
        expires_at=expires_at,
    )
    return _tokens(cfg, session_id, username, role, refresh, expires_at)


def _tokens(
    cfg: Settings, session_id: str, username: str, role: str, refresh: str, expires_at: datetime
) -> TokenPair:
    access = security.create_token(
        subject=username,
        role=role,
        secret=cfg.jwt_secret,
        algorithm=cfg.jwt_algorithm,
        ttl_minutes=cfg.jwt_ttl_minutes,
        session_id=session_id,
    )
    return TokenPair(
        access_token=access,
        role=Role(role),
        refresh_token=refresh,
        expires_in=cfg.jwt_ttl_minutes * 60,
        refresh_expires_at=expires_at,
    )


async def _audit_sign_in(
    s: AsyncSession, action: str, username: str, role: str, ip: str, reason: str = "", **details: object
) -> None:
    await repo.audit_by(
        s,
        repo.Named(username[:100], role),
        action,
        "user",
        username[:100],
        at=datetime.now(UTC),
        reason=reason,
        details={"ip": ip, **details},
    )


@router.post(
    "/auth/token",
    response_model=TokenPair,
    summary="Sign in (OAuth2 password flow)",
    dependencies=[Depends(sign_in_limits)],  # P6: per client IP
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, sessions: Sessions, cfg: Config
) -> TokenPair:
    limits, key, ip = _limits(cfg), _throttle_key(form.username), _client(request)
    now = datetime.now(UTC)
    async with sessions.begin() as s:
        locked_until = await accounts.admit_sign_in(s, key, now, limits)
        user = None if locked_until else _Candidate.of(await repo.user_by_name(s, form.username))
    if locked_until:
        raise AccountLocked(locked_until, now)
    # the one slow step, off the event loop and without a database connection held
    ok = await security.check_password(user.password_hash if user else None, form.password)
    if ok and user is not None and user.active:
        rehash = None
        if user.password_hash and security.needs_rehash(user.password_hash):  # argon2 parameters raised
            rehash = await security.hash_password_async(form.password)
        async with sessions.begin() as s:
            await accounts.sign_in_succeeded(s, key)
            if rehash:
                row = await accounts.user(s, user.id)
                assert row is not None
                row.password_hash = rehash
            pair = await _open_session(s, cfg, user.id, user.username, user.role)
            await _audit_sign_in(s, "SIGN_IN_SUCCEEDED", user.username, user.role, ip)
        return pair
    if user is None:
        reason = "unknown account"
    elif user.password_hash is None:
        reason = "no password set yet"
    elif not user.active:
        reason = "account deactivated"
    else:
        reason = "wrong password"
    async with sessions.begin() as s:
        state = await accounts.sign_in_failed(s, key, datetime.now(UTC), limits)
        role = user.role if user else "unknown"
        await _audit_sign_in(s, "SIGN_IN_FAILED", form.username, role, ip, reason, attempts=state.attempts)
        if state.locked_until is not None:
            await repo.audit_by(
                s,
                repo.SYSTEM,
                "ACCOUNT_LOCKED",
                "user",
                form.username[:100],
                at=datetime.now(UTC),
                reason=f"{state.attempts} failed sign-ins",
                details={"ip": ip, "locked_until": state.locked_until.isoformat()},
                key=f"locked:{key}:{state.locked_until.isoformat()}",
            )
    raise _auth_failed()


def _refresh_invalid() -> DomainError:
    return DomainError(
        "REFRESH_INVALID",
        "登录已失效，请重新登录",
        "The refresh token is invalid, used, revoked or expired; sign in again",
        status=401,
    )


@router.post("/auth/refresh", response_model=TokenPair, summary="New tokens for a refresh token (rotated)")
async def refresh(body: RefreshIn, sessions: Sessions, cfg: Config) -> TokenPair:
    digest, now = security.token_digest(body.refresh_token), datetime.now(UTC)
    async with sessions.begin() as s:
        found = await accounts.session_by_refresh(s, digest)
        if found is not None:
            signed_in, user = found
            if signed_in.revoked_at is None and signed_in.expires_at > now and user.active:
                new_refresh = security.new_secret_token()
                signed_in.previous_refresh_hash = signed_in.refresh_hash
                signed_in.refresh_hash = security.token_digest(new_refresh)
                signed_in.refreshed_at = now
                return _tokens(cfg, signed_in.id, user.username, user.role, new_refresh, signed_in.expires_at)
        else:
            replayed = await accounts.session_by_replaced_refresh(s, digest)
            if replayed is not None and replayed.revoked_at is None:
                # a refresh token that was already exchanged: one of its holders is not the user
                await accounts.revoke_session(s, replayed.id, now, "refresh token replayed")
                owner = await accounts.user(s, replayed.user_id)
                await repo.audit_by(
                    s,
                    repo.SYSTEM,
                    "SESSION_REVOKED",
                    "user",
                    owner.username if owner else str(replayed.user_id),
                    at=now,
                    reason="a refresh token was presented again after it had been exchanged",
                    details={"session": replayed.id},
                )
    raise _refresh_invalid()


@router.post("/auth/logout", status_code=204, summary="Sign out: this sign-in's tokens stop working")
async def logout(account: Account, sessions: Sessions) -> Response:
    async with sessions.begin() as s:
        await accounts.revoke_session(s, account.session_id, datetime.now(UTC), "signed out")
        await repo.audit_by(s, account, "SIGNED_OUT", "user", account.username, at=datetime.now(UTC))
    return Response(status_code=204)


@router.get("/auth/me", response_model=UserOut)
async def me(account: Account, s: Session) -> UserOut:
    user = await accounts.user(s, account.id)
    return UserOut(
        username=account.username,
        display_name=account.display_name,
        role=account.role,
        enterprise_id=account.enterprise_id,
        email=user.email if user is not None else "",
    )


@router.post("/auth/email", response_model=UserOut, summary="Set my e-mail for my personal notices")
async def set_my_email(body: EmailIn, account: Account, s: Session) -> UserOut:
    user = await accounts.user(s, account.id)
    if user is None:
        raise not_found("账号", "Account")
    await change_email(s, account, user, body.email)
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        enterprise_id=user.enterprise_id,
        email=user.email,
    )


@router.post(
    "/auth/password",
    status_code=204,
    summary="Change my password (needs the current one); every sign-in of the account ends",
)
async def change_password(
    body: PasswordChangeIn, request: Request, account: Account, sessions: Sessions, cfg: Config
) -> Response:
    check_password_policy(body.new_password, account.username)
    if body.new_password == body.current_password:
        raise invalid("PASSWORD_UNCHANGED", "新密码不能与当前密码相同", "The new password is the current one")
    limits, key, ip = _limits(cfg), _throttle_key(account.username), _client(request)
    now = datetime.now(UTC)
    async with sessions.begin() as s:  # a stolen access token must not become a password oracle
        locked_until = await accounts.admit_sign_in(s, key, now, limits)
        user = _Candidate.of(await accounts.user(s, account.id))
    if locked_until:
        raise AccountLocked(locked_until, now)
    assert user is not None
    if not await security.check_password(user.password_hash, body.current_password):
        async with sessions.begin() as s:
            state = await accounts.sign_in_failed(s, key, datetime.now(UTC), limits)
            await _audit_sign_in(
                s,
                "PASSWORD_CHANGE_FAILED",
                account.username,
                account.role,
                ip,
                "wrong current password",
                attempts=state.attempts,
            )
        raise DomainError(
            "CURRENT_PASSWORD_WRONG", "当前密码不正确", "The current password is wrong", status=403
        )
    new_hash = await security.hash_password_async(body.new_password)
    async with sessions.begin() as s:
        await accounts.sign_in_succeeded(s, key)
        row = await accounts.user(s, account.id)
        assert row is not None
        row.password_hash = new_hash
        ended = await accounts.revoke_user_sessions(s, account.id, datetime.now(UTC), "password changed")
        await _audit_sign_in(
            s,
            "PASSWORD_CHANGED",
            account.username,
            account.role,
            ip,
            "by the account holder",
            sessions_ended=ended,
        )
    return Response(status_code=204)


def _usable_invitation(found: tuple[m.AccountInvitation, m.User] | None, now: datetime) -> m.User:
    if found is None or found[0].superseded_at is not None or not found[1].active:
        raise DomainError(
            "INVITATION_INVALID",
            "邀请无效或已被撤回",
            "This invitation is not valid (unknown, replaced by a newer one, or the account is deactivated)",
            status=404,
        )
    invitation, user = found
    if invitation.used_at is not None:
        raise DomainError(
            "INVITATION_USED",
            "该邀请已使用过，不能再次使用",
            "This invitation has been used already",
            status=409,
        )
    if invitation.expires_at <= now:
        raise DomainError(
            "INVITATION_EXPIRED",
            "邀请已过期，请联系账号管理人重新邀请",
            "This invitation has expired; ask the account's manager for a new one",
            status=410,
        )
    return user


@router.post(
    "/auth/invitations/accept",
    response_model=InvitationAccepted,
    summary="Set my password with my invitation token (once); then sign in",
)
async def accept_invitation(
    body: InvitationAcceptIn, request: Request, sessions: Sessions
) -> InvitationAccepted:
    digest = security.token_digest(body.token)
    async with sessions.begin() as s:
        user = _usable_invitation(await accounts.invitation(s, digest), datetime.now(UTC))
        username = user.username
    check_password_policy(body.password, username)
    new_hash = await security.hash_password_async(body.password)
    async with sessions.begin() as s:
        now = datetime.now(UTC)
        found = await accounts.invitation(s, digest, for_update=True)
        user = _usable_invitation(found, now)  # again: it may have been used meanwhile
        assert found is not None
        found[0].used_at = now
        user.password_hash = new_hash
        await accounts.supersede_invitations(s, user.id, now)
        await accounts.revoke_user_sessions(s, user.id, now, "password set by invitation")
        await _audit_sign_in(
            s, "INVITATION_ACCEPTED", user.username, user.role, _client(request), "password set"
        )
    return InvitationAccepted(username=user.username, role=Role(user.role))
