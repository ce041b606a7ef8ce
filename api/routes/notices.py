"""Notices: the public reads public notices; an enterprise reads its own; the office reads all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from db import models as m
from db import repositories as repo
from domain.types import Role

from ..deps import OfficeOrEnterprise, Session, User
from ..errors import forbidden, not_found
from ..schemas import NoticeOut

router = APIRouter(tags=["notices"])
PageSize = Annotated[int, Query(ge=1, le=200)]


@router.get("/public/notices", response_model=list[NoticeOut], summary="Public notices (no sign-in)")
async def public_notices(
    s: Session, page: Annotated[int, Query(ge=1)] = 1, page_size: PageSize = 50
) -> list[NoticeOut]:
    rows = await repo.notices_for(
        s, enterprise_id=None, public=True, limit=page_size, offset=(page - 1) * page_size
    )
    return [NoticeOut.model_validate(n) for n in rows]


@router.get("/notices", response_model=list[NoticeOut])
async def my_notices(
    s: Session, user: User, page: Annotated[int, Query(ge=1)] = 1, page_size: PageSize = 50
) -> list[NoticeOut]:
    """My inbox: an enterprise's own notices, an expert's own notices; the office sees every notice."""
    if user.role not in (Role.OFFICE, Role.ENTERPRISE, Role.EXPERT):
        raise forbidden()
    enterprise_id = user.enterprise_id if user.role is Role.ENTERPRISE else None
    rows = await repo.notices_for(
        s,
        enterprise_id=enterprise_id,
        public=False,
        limit=page_size,
        offset=(page - 1) * page_size,
        recipient_user_id=user.id if user.role is Role.EXPERT else None,
    )
    return [NoticeOut.model_validate(n) for n in rows]


@router.post("/notices/{notice_id}/read", response_model=NoticeOut)
async def mark_read(notice_id: int, s: Session, user: OfficeOrEnterprise) -> NoticeOut:
    n = await s.scalar(select(m.Notice).where(m.Notice.id == notice_id))
    if n is None or (user.role is Role.ENTERPRISE and n.enterprise_id != user.enterprise_id):
        raise not_found("通知", "Notice")
    if user.role is Role.ENTERPRISE and n.read_at is None:
        n.read_at = datetime.now(UTC)
        await repo.audit(
            s,
            at=n.read_at,
            actor=user.username,
            actor_role=user.role,
            action="NOTICE_READ",
            entity_type="notice",
            entity_id=str(n.id),
        )
    return NoticeOut.model_validate(n)
