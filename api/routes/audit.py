"""The audit log (P4): who did what, when and why. Office only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from db import repositories as repo

from ..deps import Office, Session
from ..schemas import AuditOut

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditOut])
async def audit_log(
    s: Session,
    office: Office,
    entity_id: str | None = None,
    action: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    rows = await repo.audit_entries(
        s, entity_id=entity_id, action=action, limit=page_size, offset=(page - 1) * page_size
    )
    return [AuditOut.model_validate(r) for r in rows]
