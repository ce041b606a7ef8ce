"""Documents: immutable, content-addressed (sha256), size-limited uploads of an enterprise."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response, UploadFile
from sqlalchemy import select

from db import models as m
from db import repositories as repo
from domain.errors import DomainError, invalid
from domain.types import Role

from ..deps import Config, EnterpriseUser, Session, User
from ..errors import audit_denied, not_found
from ..schemas import DocumentOut

router = APIRouter(tags=["documents"])

_CHUNK = 1024 * 1024


@router.post("/documents", response_model=DocumentOut, status_code=201)
async def upload(file: UploadFile, s: Session, user: EnterpriseUser, cfg: Config) -> DocumentOut:
    limit = cfg.max_document_bytes
    digest, parts, size = hashlib.sha256(), [], 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise DomainError(
                "DOCUMENT_TOO_LARGE",
                f"文件超过大小上限{limit // (1024 * 1024)}MB",
                f"The file exceeds the size limit of {limit} bytes",
                status=413,
            )
        digest.update(chunk)
        parts.append(chunk)
    if size == 0:
        raise invalid("DOCUMENT_EMPTY", "文件为空", "The file is empty")
    sha = digest.hexdigest()
    assert user.enterprise_id is not None
    filename = (file.filename or "document")[:300]
    await repo.store_document(
        s,
        sha256=sha,
        content=b"".join(parts),
        media_type=file.content_type or "application/octet-stream",
        enterprise_id=user.enterprise_id,
        filename=filename,
        by=user.username,
    )
    await repo.audit(
        s,
        at=datetime.now(UTC),
        actor=user.username,
        actor_role=user.role,
        action="DOCUMENT_UPLOADED",
        entity_type="document",
        entity_id=sha,
        details={"filename": filename, "size": size},
    )
    return DocumentOut(
        sha256=sha, size=size, media_type=file.content_type or "application/octet-stream", filename=filename
    )


@router.get("/documents/{sha256}", response_class=Response)
async def download(sha256: str, request: Request, s: Session, user: User) -> Response:
    """The office and the auditor read every document; an enterprise its own; an expert those of
    the applications on its panels (R20.2). Anyone else gets 404, which does not reveal that the
    document exists — and the refusal is audited (P4), as a 403 would be."""
    if user.role is Role.EXPERT:
        if not await repo.expert_may_read_document(s, user.id, sha256):
            await audit_denied(request, "NOT_FOUND", "not a document of a panel of this expert", status=404)
            raise not_found("材料", "Document")
    elif user.role not in (Role.OFFICE, Role.AUDITOR):
        owners = set(
            (
                await s.scalars(select(m.DocumentOwner.enterprise_id).where(m.DocumentOwner.sha256 == sha256))
            ).all()
        )
        if user.enterprise_id is None or user.enterprise_id not in owners:
            await audit_denied(request, "NOT_FOUND", "not a document of this enterprise", status=404)
            raise not_found("材料", "Document")  # do not reveal that someone else's document exists
    doc = await repo.document(s, sha256)
    if doc is None:
        raise not_found("材料", "Document")
    await repo.audit(  # who read which document, and when (P4, MLPS 2.0 审计)
        s,
        at=datetime.now(UTC),
        actor=user.username,
        actor_role=user.role,
        action="DOCUMENT_DOWNLOADED",
        entity_type="document",
        entity_id=sha256,
        details={"size": doc.size, "media_type": doc.media_type},
    )
    return Response(doc.content, media_type=doc.media_type, headers={"ETag": f'"{doc.sha256}"'})
