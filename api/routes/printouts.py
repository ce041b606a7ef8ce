"""The award's documents as PDF (documents_pdf/): a certificate (R15.1), a notice or letter to its
reader (R14.4, R14.8), a public notice (R14.7, R14.8), the work report (R7.1). Each is a rendering
of the text the system stored, under the same access rules as the JSON route that shows it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from db import models as m
from db import printouts
from documents_pdf import CertificateSheet, letter_from_text, render_certificate, render_letter
from domain.certificates import award_title, parse_certificate_number, revocation_note
from domain.types import Award, Role

from ..deps import Session, User, gate
from ..errors import forbidden, not_found
from .committee import _may_read_committee_records

router = APIRouter(tags=["documents (PDF)"])

PDF = "application/pdf"
F = TypeVar("F", bound=Callable[..., Any])
_PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF: {}}, "description": "The document as PDF"}
}


def _pdf_route(path: str, summary: str, **extra: Any) -> Callable[[F], F]:
    """GET `path` answering a PDF (so the OpenAPI schema says so)."""
    return router.get(path, summary=summary, response_class=Response, responses=_PDF_RESPONSE, **extra)


def pdf_response(content: bytes, ascii_name: str, name: str) -> Response:
    """Shown in the browser (inline) under `name` (UTF-8, RFC 6266 / 5987), `ascii_name` for
    clients that read only the plain parameter."""
    disposition = f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=PDF, headers={"Content-Disposition": disposition})


def _safe(name: str) -> str:
    """A title as a file name: no path separators or characters file systems refuse."""
    return "".join("_" if c in '/\\:*?"<>|' else c for c in name).strip() or "document"


@_pdf_route(
    "/certificates/{number}/pdf",
    "A certificate as PDF (R15.1)",
    dependencies=[gate(Role.OFFICE, Role.COMMITTEE, Role.GOVERNMENT, Role.AUDITOR, Role.ENTERPRISE)],
)
async def certificate_pdf(number: str, s: Session, user: User) -> Response:
    found = await printouts.certificate(s, number)
    if found is None or (
        user.role is Role.ENTERPRISE and user.enterprise_id != found.certificate.enterprise_id
    ):
        raise not_found("证书", "Certificate")
    c = found.certificate
    revoked = ""
    if c.status == "REVOKED" and c.revoked_at is not None:
        revoked = revocation_note(revoked_on=c.revoked_at, document_no=c.revocation_document_no)
    sheet = CertificateSheet(
        text=c.text,
        award_title=award_title(Award(c.award)),
        approval_document_no=found.approval_document_no,
        revoked_note=revoked,
        issued_at=c.issued_at,
    )
    content = await run_in_threadpool(render_certificate, sheet)
    year, award, seq = parse_certificate_number(c.number)
    prefix = "Q" if award is Award.QUALITY else "C"
    return pdf_response(content, f"certificate-{year}-{prefix}{seq:02d}.pdf", f"证书-{c.number}.pdf")


@lru_cache(maxsize=128)
def _render_notice(notice_id: int, title: str, body: str, created_at: datetime) -> bytes:
    """A notice's PDF. A notice never changes once written, and the key is its whole content:
    the public's (anonymous) requests for the same notice render it once per process."""
    letter = letter_from_text(body, title=title, reference=f"通知编号 {notice_id}", issued_at=created_at)
    return render_letter(letter)


async def _notice_pdf(n: m.Notice) -> Response:
    content = await run_in_threadpool(_render_notice, n.id, n.title, n.body, n.created_at)
    return pdf_response(content, f"notice-{n.id}.pdf", f"{_safe(n.title)}.pdf")


@_pdf_route("/notices/{notice_id}/pdf", "A notice or letter of my inbox as PDF")
async def notice_pdf(notice_id: int, s: Session, user: User) -> Response:
    """The reader of the notice: the office (any), an enterprise (its own), an expert (their own)."""
    if user.role not in (Role.OFFICE, Role.ENTERPRISE, Role.EXPERT):
        raise forbidden()
    n = await printouts.notice_for_reader(
        s,
        notice_id,
        office=user.role is Role.OFFICE,
        enterprise_id=user.enterprise_id if user.role is Role.ENTERPRISE else None,
        recipient_user_id=user.id if user.role is Role.EXPERT else None,
    )
    if n is None:
        raise not_found("通知", "Notice")
    return await _notice_pdf(n)


@_pdf_route("/public/notices/{notice_id}/pdf", "A public notice as PDF (no sign-in)", tags=["public"])
async def public_notice_pdf(notice_id: int, s: Session) -> Response:
    n = await printouts.public_notice(s, notice_id)
    if n is None:
        raise not_found("公告", "Public notice")
    return await _notice_pdf(n)


@_pdf_route("/cycles/{year}/work-report/pdf", "The office's evaluation work report as PDF (R7.1)")
async def work_report_pdf(year: int, s: Session, user: User) -> Response:
    await _may_read_committee_records(s, year, user)
    r = await printouts.work_report(s, year)
    if r is None:
        raise not_found("评审工作报告", "Work report")
    letter = letter_from_text(r.text, masthead=False, issued_at=r.presented_at)
    content = await run_in_threadpool(render_letter, letter)
    return pdf_response(content, f"work-report-{year}.pdf", f"{_safe(letter.title)}.pdf")
