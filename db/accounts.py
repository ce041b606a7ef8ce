"""Queries of accounts: invitations, sign-in sessions and sign-in throttling.

Repositories never commit: the unit of work (request) does. Tokens arrive here already hashed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from domain.accounts import Attempts, SignInLimits, admit_attempt, attempt_failed

# An invited account has no password until the invitee sets one; no argon2 hash looks like this.
NO_PASSWORD = "!"


def has_password(user: m.User) -> bool:
    return user.password_hash.startswith("$argon2")


async def user(s: AsyncSession, user_id: int) -> m.User | None:
    return await s.get(m.User, user_id)


async def users_with_roles(s: AsyncSession, roles: Iterable[str]) -> Sequence[m.User]:
    return (
        await s.scalars(
            select(m.User).where(m.User.role.in_(list(roles))).order_by(m.User.role, m.User.username)
        )
    ).all()


# --- invitations ----------------------------------------------------------------------------------
async def supersede_invitations(s: AsyncSession, user_id: int, now: datetime) -> None:
    await s.execute(
        update(m.AccountInvitation)
        .where(
            m.AccountInvitation.user_id == user_id,
            m.AccountInvitation.used_at.is_(None),
            m.AccountInvitation.superseded_at.is_(None),
        )
        .values(superseded_at=now)
    )


async def add_invitation(
    s: AsyncSession, *, user_id: int, token_hash: str, created_by: str, now: datetime, expires_at: datetime
) -> None:
    """The new invitation is the account's only open one."""
    await supersede_invitations(s, user_id, now)
    s.add(
        m.AccountInvitation(
            user_id=user_id,
            token_hash=token_hash,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def invitation(
    s: AsyncSession, token_hash: str, *, for_update: bool = False
) -> tuple[m.AccountInvitation, m.User] | None:
    q = (
        select(m.AccountInvitation, m.User)
        .join(m.User, m.User.id == m.AccountInvitation.user_id)
        .where(m.AccountInvitation.token_hash == token_hash)
    )
    if for_update:
        q = q.with_for_update()
    row = (await s.execute(q)).first()
    return (row[0], row[1]) if row else None


# --- sessions -------------------------------------------------------------------------------------
async def open_session(
    s: AsyncSession, *, session_id: str, user_id: int, refresh_hash: str, now: datetime, expires_at: datetime
) -> None:
    s.add(
        m.AuthSession(
            id=session_id, user_id=user_id, refresh_hash=refresh_hash, created_at=now, expires_at=expires_at
        )
    )


async def session_user(
    s: AsyncSession, session_id: str, username: str
) -> tuple[m.AuthSession, m.User] | None:
    """The session an access token names, with its account (one query per request)."""
    row = (
        await s.execute(
            select(m.AuthSession, m.User)
            .join(m.User, m.User.id == m.AuthSession.user_id)
            .where(m.AuthSession.id == session_id, m.User.username == username)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def session_by_refresh(s: AsyncSession, refresh_hash: str) -> tuple[m.AuthSession, m.User] | None:
    """The session whose current refresh token this is, locked against a concurrent rotation."""
    row = (
        await s.execute(
            select(m.AuthSession, m.User)
            .join(m.User, m.User.id == m.AuthSession.user_id)
            .where(m.AuthSession.refresh_hash == refresh_hash)
            .with_for_update(of=m.AuthSession)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def session_by_replaced_refresh(s: AsyncSession, refresh_hash: str) -> m.AuthSession | None:
    return await s.scalar(select(m.AuthSession).where(m.AuthSession.previous_refresh_hash == refresh_hash))


async def revoke_session(s: AsyncSession, session_id: str, now: datetime, reason: str) -> None:
    await s.execute(
        update(m.AuthSession)
        .where(m.AuthSession.id == session_id, m.AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


async def revoke_user_sessions(s: AsyncSession, user_id: int, now: datetime, reason: str) -> int:
    """End every session of the account: its access and refresh tokens stop working at once."""
    result = await s.execute(
        update(m.AuthSession)
        .where(m.AuthSession.user_id == user_id, m.AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(m.AuthSession.id)
    )
    return len(result.all())


# --- throttling -----------------------------------------------------------------------------------
async def _attempts(s: AsyncSession, key: str, now: datetime) -> m.SignInThrottle:
    """The row of `key`, created when missing, locked until the transaction ends."""
    while True:  # a concurrent success may delete the row between the two statements: again
        await s.execute(
            insert(m.SignInThrottle)
            .values(key=key, attempts=0, window_started_at=now, expires_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = await s.scalar(select(m.SignInThrottle).where(m.SignInThrottle.key == key).with_for_update())
        if row is not None:
            return row


def _save(row: m.SignInThrottle, state: Attempts, limits: SignInLimits) -> None:
    row.attempts = state.attempts
    row.window_started_at = state.window_started_at
    row.locked_until = state.locked_until
    row.expires_at = state.expires_at(limits)


async def admit_sign_in(s: AsyncSession, key: str, now: datetime, limits: SignInLimits) -> datetime | None:
    """Count a sign-in attempt on the account name `key`; when refused, until when (the lock)."""
    await s.execute(delete(m.SignInThrottle).where(m.SignInThrottle.expires_at < now))  # bounded table
    row = await _attempts(s, key, now)
    fresh = row.attempts == 0 and row.locked_until is None
    before = None if fresh else Attempts(row.attempts, row.window_started_at, row.locked_until)
    state, locked_until = admit_attempt(before, now, limits)
    _save(row, state, limits)
    return locked_until


async def sign_in_failed(s: AsyncSession, key: str, now: datetime, limits: SignInLimits) -> Attempts:
    row = await _attempts(s, key, now)
    fresh = row.attempts == 0 and row.locked_until is None  # a concurrent success forgot the attempts
    before = None if fresh else Attempts(row.attempts, row.window_started_at, row.locked_until)
    state = attempt_failed(before, now, limits)
    _save(row, state, limits)
    return state


async def sign_in_succeeded(s: AsyncSession, key: str) -> None:
    await s.execute(delete(m.SignInThrottle).where(m.SignInThrottle.key == key))
