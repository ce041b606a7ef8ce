"""A document by its hash (`{sha256}`): the office and the auditor read every document; an
enterprise its own; an expert those of the applications on its panels (R20.2). Anyone else gets
404, which does not reveal that the document exists — and the refusal is audited (P4), as a 403
would be."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from db import models as m
from db import repositories as repo
from domain.types import Role

from ..deps import Session, User
from ..errors import audit_denied, not_found


async def document(sha256: str, request: Request, s: Session, user: User) -> m.Document:
    """The document `{sha256}` if the caller may read it."""
    if user.role is Role.EXPERT:
        if not await repo.expert_may_read_document(s, user.id, sha256):
            await audit_denied(request, "NOT_FOUND", "not a document of a panel of this expert", status=404)
            raise not_found("材料", "Document")
    elif user.role not in (Role.OFFICE, Role.AUDITOR):
        owners = await repo.document_owners(s, sha256)
        if user.enterprise_id is None or user.enterprise_id not in owners:
            await audit_denied(request, "NOT_FOUND", "not a document of this enterprise", status=404)
            raise not_found("材料", "Document")  # do not reveal that someone else's document exists
    doc = await repo.document(s, sha256)
    if doc is None:
        raise not_found("材料", "Document")
    return doc


Document = Annotated[m.Document, Depends(document)]
