"""Accounts (R6.1, P7: separation of duties).

Who sets an account's e-mail (where its personal notices are e-mailed): its manager, when inviting
it or later (POST /users/{username}/email), and the account's owner (POST /auth/email).

The administrator (created only by `python -m api.cli create-user --role admin` at install)
invites and deactivates office, committee and government accounts; the office invites and
deactivates enterprise and expert accounts. Nobody chooses another person's password: an account
is created with a one-time invitation token (shown once to its creator, stored as a hash, expiring
after `invitation_hours`) with which the invitee sets their own. Every change is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from db import accounts
from db import models as m
from db import repositories as repo
from domain.accounts import MANAGED_BY, may_manage, role_not_managed
from domain.credit_code import normalize_credit_code
from domain.errors import conflict, invalid
from domain.types import Role

from .. import security
from ..deps import AccountManager, Config, CurrentUser, Session
from ..errors import not_found
from ..schemas import AccountInvite, AccountInvited, AccountOut, DeactivationIn, EmailIn, Invitation
from .enterprises import email_or_none

router = APIRouter(tags=["users"])


def account_out(user: m.User) -> AccountOut:
    status = "DEACTIVATED" if not user.active else "ACTIVE" if accounts.has_password(user) else "INVITED"
    return AccountOut(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        enterprise_id=user.enterprise_id,
        email=user.email,
        status=status,
    )


async def invite(s: AsyncSession, cfg: Settings, user: m.User, by: CurrentUser) -> Invitation:
    """A new one-time invitation for `user`; earlier open ones stop working."""
    now = datetime.now(UTC)
    token = security.new_secret_token()
    expires_at = now + timedelta(hours=cfg.invitation_hours)
    await accounts.add_invitation(
        s,
        user_id=user.id,
        token_hash=security.token_digest(token),
        created_by=by.username,
        now=now,
        expires_at=expires_at,
    )
    return Invitation(token=token, expires_at=expires_at)


async def _audit(
    s: AsyncSession, by: CurrentUser, action: str, user: m.User, reason: str = "", **details: object
) -> None:
    await repo.audit_by(
        s,
        by,
        action,
        "user",
        user.username,
        at=datetime.now(UTC),
        reason=reason,
        details={"role": user.role, **details},
    )


async def managed_account(
    username: Annotated[str, Path(max_length=100)], s: Session, manager: AccountManager
) -> m.User:
    """The account named in the path, if it exists and the caller manages its role."""
    user = await repo.user_by_name(s, username)
    if user is None:
        raise not_found("账号", "Account")
    if not may_manage(manager.role, Role(user.role)):
        raise role_not_managed(manager.role, Role(user.role))
    return user


ManagedAccount = Annotated[m.User, Depends(managed_account)]


@router.post(
    "/users",
    response_model=AccountInvited,
    status_code=201,
    summary="Invite an account (admin: office, committee, government; office: enterprise, expert)",
)
async def invite_account(
    body: AccountInvite, s: Session, manager: AccountManager, cfg: Config
) -> AccountInvited:
    if not may_manage(manager.role, body.role):
        raise role_not_managed(manager.role, body.role)
    enterprise_id = None
    if body.role is Role.ENTERPRISE:
        if not body.enterprise_credit_code:
            raise invalid(
                "ENTERPRISE_REQUIRED",
                "企业账号须关联统一社会信用代码",
                "An enterprise account needs enterprise_credit_code",
            )
        ent = await repo.enterprise_by_code(s, normalize_credit_code(body.enterprise_credit_code))
        if ent is None:
            raise not_found("企业", "Enterprise")
        enterprise_id = ent.id
    elif body.enterprise_credit_code:
        raise invalid(
            "ENTERPRISE_NOT_ALLOWED",
            "只有企业账号可关联企业",
            "Only enterprise accounts belong to an enterprise",
        )
    email = email_or_none(body.email)
    taken = conflict("USERNAME_TAKEN", f"用户名{body.username}已被使用", f"Username {body.username} is taken")
    if await repo.user_by_name(s, body.username):
        raise taken
    user = m.User(
        username=body.username,
        display_name=body.display_name,
        password_hash=accounts.NO_PASSWORD,
        role=body.role,
        enterprise_id=enterprise_id,
        active=True,
        email=email,
    )
    s.add(user)
    try:
        await s.flush()
    except IntegrityError:
        raise taken from None
    invitation = await invite(s, cfg, user, manager)
    await _audit(
        s,
        manager,
        "USER_INVITED",
        user,
        enterprise_id=enterprise_id,
        email=email,
        expires_at=invitation.expires_at.isoformat(),
    )
    return AccountInvited(**account_out(user).model_dump(), invitation=invitation)


@router.get("/users", response_model=list[AccountOut], summary="The accounts I manage")
async def list_accounts(s: Session, manager: AccountManager) -> list[AccountOut]:
    return [account_out(u) for u in await accounts.users_with_roles(s, MANAGED_BY[manager.role])]


@router.post(
    "/users/{username}/invitation",
    response_model=AccountInvited,
    summary="A new invitation: the password is cleared, every sign-in ends, the invitee sets a new one",
)
async def reinvite(user: ManagedAccount, s: Session, manager: AccountManager, cfg: Config) -> AccountInvited:
    if not user.active:
        raise conflict("ACCOUNT_DEACTIVATED", "账号已停用", "The account is deactivated")
    now = datetime.now(UTC)
    user.password_hash = accounts.NO_PASSWORD
    ended = await accounts.revoke_user_sessions(s, user.id, now, "new invitation")
    invitation = await invite(s, cfg, user, manager)
    await _audit(
        s,
        manager,
        "INVITATION_ISSUED",
        user,
        "new invitation; the previous password no longer works",
        sessions_ended=ended,
        expires_at=invitation.expires_at.isoformat(),
    )
    return AccountInvited(**account_out(user).model_dump(), invitation=invitation)


@router.post(
    "/users/{username}/deactivate",
    response_model=AccountOut,
    summary="Deactivate an account: its tokens stop working at once",
)
async def deactivate(
    body: DeactivationIn, user: ManagedAccount, s: Session, manager: AccountManager
) -> AccountOut:
    if user.active:
        now = datetime.now(UTC)
        user.active = False
        ended = await accounts.revoke_user_sessions(s, user.id, now, "account deactivated")
        await accounts.supersede_invitations(s, user.id, now)
        await _audit(s, manager, "USER_DEACTIVATED", user, body.reason, sessions_ended=ended)
    return account_out(user)


async def change_email(s: AsyncSession, by: CurrentUser, user: m.User, value: str) -> None:
    """Set the account's e-mail for its personal notices ("" removes it); audited when it changes."""
    new = email_or_none(value)
    if new != user.email:
        old, user.email = user.email, new
        await _audit(s, by, "USER_EMAIL_CHANGED", user, old=old, new=new)


@router.post(
    "/users/{username}/email",
    response_model=AccountOut,
    summary="Set the e-mail of an account I manage (its personal notices are e-mailed there)",
)
async def set_account_email(
    body: EmailIn, user: ManagedAccount, s: Session, manager: AccountManager
) -> AccountOut:
    await change_email(s, manager, user, body.email)
    return account_out(user)
