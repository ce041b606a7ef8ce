"""Sign-in (OAuth2 password flow) and user accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.exc import IntegrityError

from db import models as m
from db import repositories as repo
from domain.credit_code import normalize_credit_code
from domain.errors import DomainError, conflict, invalid
from domain.types import Role

from ..deps import Config, Office, Session, User
from ..errors import not_found
from ..ratelimit import sign_in_limits
from ..schemas import Token, UserCreate, UserOut
from ..security import create_token, hash_password, verify_password

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=Token,
    summary="Sign in (OAuth2 password flow)",
    dependencies=[Depends(sign_in_limits)],  # P6: per client IP
)
async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], s: Session, cfg: Config) -> Token:
    user = await repo.user_by_name(s, form.username)
    if user is None or not user.active or not verify_password(user.password_hash, form.password):
        raise DomainError("AUTH_FAILED", "用户名或密码错误", "Wrong username or password", status=401)
    access = create_token(
        subject=user.username,
        role=user.role,
        secret=cfg.jwt_secret,
        algorithm=cfg.jwt_algorithm,
        ttl_minutes=cfg.jwt_ttl_minutes,
    )
    return Token(access_token=access, role=Role(user.role))


@router.get("/auth/me", response_model=UserOut)
async def me(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        enterprise_id=user.enterprise_id,
    )


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"])
async def create_user(body: UserCreate, s: Session, office: Office) -> UserOut:
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
    if await repo.user_by_name(s, body.username):
        raise conflict(
            "USERNAME_TAKEN", f"用户名{body.username}已被使用", f"Username {body.username} is taken"
        )
    s.add(
        m.User(
            username=body.username,
            display_name=body.display_name,
            password_hash=hash_password(body.password),
            role=body.role,
            enterprise_id=enterprise_id,
            active=True,
        )
    )
    try:
        await s.flush()
    except IntegrityError:
        raise conflict(
            "USERNAME_TAKEN", f"用户名{body.username}已被使用", f"Username {body.username} is taken"
        ) from None
    await repo.audit(
        s,
        at=datetime.now(UTC),
        actor=office.username,
        actor_role=office.role,
        action="USER_CREATED",
        entity_type="user",
        entity_id=body.username,
        details={"role": body.role, "enterprise_id": enterprise_id},
    )
    return UserOut(
        username=body.username, display_name=body.display_name, role=body.role, enterprise_id=enterprise_id
    )
