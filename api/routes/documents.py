"""Documents: immutable, content-addressed (sha256), size-limited uploads of an enterprise.

Safe documents (issue 8 point 6, P6): an upload must be one of the allowed types, told by its
content (domain/documents.py); the stored media type is the detected one, never the uploader's
claim. The size limit is enforced while the body streams in (api.http_security.RequestBodyLimit:
`max_document_bytes` plus room for the multipart framing), so a larger body is refused with 413 as
soon as its bytes pass the limit, or at once from its Content-Length, before it is spooled; the
exact limit on the file itself is checked here. A download is always an attachment under a safe
name, never rendered by the browser."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response, UploadFile

from db import repositories as repo
from domain import documents as kinds
from domain.errors import DomainError, invalid
from domain.types import Role

from ..deps import Config, EnterpriseUser, Session, User, gate
from ..errors import document_too_large
from ..http_security import download_headers
from ..resources.document import Document
from ..schemas import DocumentOut

router = APIRouter(tags=["documents"])

_CHUNK = 1024 * 1024
# The multipart framing around the file (boundaries, part headers, a long file name) on top of
# `max_document_bytes`: the request-body limit of this router.
MULTIPART_ALLOWANCE = 64 * 1024


def type_refused() -> DomainError:
    return DomainError(
        "DOCUMENT_TYPE_REFUSED",
        "只接受PDF、PNG、JPEG图片和Word/Excel/PowerPoint文档（DOCX、XLSX、PPTX，不含宏）；"
        "请将文件另存为其中一种格式后重新上传",
        f"Only these document types are accepted: {kinds.allowed_list()} (no macros); save the file "
        "in one of them and upload it again",
        status=415,
        details={"allowed": [t.media_type for t in kinds.ALLOWED]},
    )


@router.post(
    "/documents",
    response_model=DocumentOut,
    status_code=201,
    summary="Upload a document (PDF, PNG, JPEG, DOCX, XLSX, PPTX; type told by content)",
)
async def upload(file: UploadFile, s: Session, user: EnterpriseUser, cfg: Config) -> DocumentOut:
    limit = cfg.max_document_bytes
    digest, parts, size = hashlib.sha256(), [], 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise document_too_large(limit)
        digest.update(chunk)
        parts.append(chunk)
    if size == 0:
        raise invalid("DOCUMENT_EMPTY", "文件为空", "The file is empty")
    content = b"".join(parts)
    kind = kinds.detect(content)
    if kind is None:
        raise type_refused()
    sha = digest.hexdigest()
    assert user.enterprise_id is not None
    filename = (file.filename or "document")[:300]
    await repo.store_document(
        s,
        sha256=sha,
        content=content,
        media_type=kind.media_type,
        enterprise_id=user.enterprise_id,
        filename=filename,
        by=user.username,
    )
    await repo.audit_by(
        s,
        user,
        "DOCUMENT_UPLOADED",
        "document",
        sha,
        at=datetime.now(UTC),
        details={"filename": filename, "size": size, "media_type": kind.media_type},
    )
    return DocumentOut(sha256=sha, size=size, media_type=kind.media_type, filename=filename)


# what a download may be: an allowed type as itself, anything stored before the type check as bytes
_DOWNLOAD_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            media: {} for media in (*(t.media_type for t in kinds.ALLOWED), "application/octet-stream")
        },
        "description": "The document, as an attachment under a safe name",
    }
}


@router.get(
    "/documents/{sha256}",
    response_class=Response,
    responses=_DOWNLOAD_RESPONSE,
    summary="Download a document (an attachment)",
    dependencies=[gate(Role.OFFICE, Role.AUDITOR, Role.ENTERPRISE, Role.EXPERT)],
)
async def download(doc: Document, s: Session, user: User) -> Response:
    """The office and the auditor read every document; an enterprise its own; an expert those of
    the applications on its panels (R20.2): api/resources/document.py."""
    await repo.audit_by(
        s,
        user,
        "DOCUMENT_DOWNLOADED",
        "document",
        doc.sha256,
        at=datetime.now(UTC),
        details={"size": doc.size, "media_type": doc.media_type},
    )
    # A document stored before the type check may carry any claimed type: only an allowed type is
    # served as itself, anything else as opaque bytes.
    kind = kinds.BY_MEDIA_TYPE.get(doc.media_type)
    owner = user.enterprise_id if user.role is Role.ENTERPRISE else None
    name = kinds.download_name(await repo.document_filename(s, doc.sha256, owner) or "document", kind)
    return Response(
        doc.content,
        media_type=kind.media_type if kind is not None else "application/octet-stream",
        headers=download_headers(name, doc.sha256),
    )
