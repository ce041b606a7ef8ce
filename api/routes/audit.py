"""The audit log (P4, P7; MLPS 2.0 安全审计): who did what, when and why; its hash chain verified;
the whole log exported with its chain. The office and the auditor (纪检) read it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from audit.export import FORMATS, stream
from audit.verify import verify_database
from db import repositories as repo
from db.audit_log import chain_rows
from domain.audit_chain import parse_anchor
from domain.errors import invalid

from ..deps import CurrentUser, OfficeOrAuditor, Session, Sessions
from ..schemas import AuditOut, AuditVerification

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditOut])
async def audit_log(
    s: Session,
    reader: OfficeOrAuditor,
    entity_id: str | None = None,
    action: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    rows = await repo.audit_entries(
        s, entity_id=entity_id, action=action, limit=page_size, offset=(page - 1) * page_size
    )
    return [AuditOut.model_validate(r) for r in rows]


async def _audit_reading(s: Session, reader: CurrentUser, action: str, **details: object) -> None:
    await repo.audit_by(
        s, reader, action, "audit_log", "audit_log", at=datetime.now(UTC), details=dict(details)
    )


@router.get(
    "/audit/verify",
    response_model=AuditVerification,
    summary="Check the audit log's hash chain; name the first broken row",
)
async def verify(
    s: Session,
    reader: OfficeOrAuditor,
    anchor: Annotated[
        list[str] | None,
        Query(description="SEQ:ROW_HASH recorded earlier (the `anchor` of a previous answer); repeatable"),
    ] = None,
) -> AuditVerification:
    """200 with `ok: false` and `first_break` (the row's id and seq, a stable `problem` code and a
    description) when the chain is broken; `anchor` is the head to keep for a later check."""
    try:
        anchors = dict(parse_anchor(a) for a in anchor or [])
    except ValueError as e:
        raise invalid("ANCHOR_INVALID", "锚点格式应为 序号:哈希值", str(e)) from None
    result = await verify_database(s, anchors)
    await _audit_reading(s, reader, "AUDIT_VERIFIED", ok=result.ok, rows=result.rows, anchor=result.anchor)
    return AuditVerification.model_validate(result.to_dict())


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {media: {} for media in FORMATS.values()},
            "description": "The audit log with its chain, as a file (an attachment)",
        }
    },
    summary="The whole audit log with its chain, as JSON Lines or CSV (UTF-8 with BOM, for Excel)",
)
async def export(
    s: Session, sessions: Sessions, reader: OfficeOrAuditor, format: Literal["jsonl", "csv"] = "jsonl"
) -> StreamingResponse:
    """Streamed in chain order from one snapshot; verify it off-line with
    `python -m audit verify --file FILE`. The export itself is audited (AUDIT_EXPORTED)."""
    await _audit_reading(s, reader, "AUDIT_EXPORTED", format=format)

    async def body() -> AsyncIterator[bytes]:
        # its own session: the request's commits when this route returns, before the body is sent
        async with sessions() as rs:
            async for chunk in stream(chain_rows(rs), format):
                yield chunk

    name = f"audit-log-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{format}"
    return StreamingResponse(
        body(), media_type=FORMATS[format], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
