"""The records a printed document (documents_pdf/) is rendered from, read with the same rules as
the JSON routes that show them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from domain.types import DeliveryState


@dataclass(frozen=True)
class CertificateRecord:
    certificate: m.Certificate
    approval_document_no: str  # the district government's approval of the year's result


async def certificate(s: AsyncSession, number: str) -> CertificateRecord | None:
    c = await s.get(m.Certificate, number)
    if c is None:
        return None
    approval = await s.scalar(
        select(m.PublicNotice.approval_document_no).where(m.PublicNotice.cycle_year == c.cycle_year)
    )
    return CertificateRecord(c, approval or "")


async def public_notice(s: AsyncSession, notice_id: int) -> m.Notice | None:
    """A delivered notice to the public (as GET /public/notices lists them)."""
    return await s.scalar(
        select(m.Notice).where(
            m.Notice.id == notice_id,
            m.Notice.audience == "PUBLIC",
            m.Notice.delivery_state == DeliveryState.DELIVERED,
        )
    )


async def notice_for_reader(
    s: AsyncSession,
    notice_id: int,
    *,
    office: bool = False,
    enterprise_id: int | None = None,
    recipient_user_id: int | None = None,
) -> m.Notice | None:
    """A delivered notice in the reader's inbox (as GET /notices lists it): any for the office, an
    expert's own, an enterprise's own (not one addressed to a person); None for anyone else."""
    q = select(m.Notice).where(m.Notice.id == notice_id, m.Notice.delivery_state == DeliveryState.DELIVERED)
    if office:
        pass
    elif recipient_user_id is not None:
        q = q.where(m.Notice.recipient_user_id == recipient_user_id)
    elif enterprise_id is not None:
        q = q.where(m.Notice.enterprise_id == enterprise_id, m.Notice.recipient_user_id.is_(None))
    else:
        return None
    return await s.scalar(q)


async def work_report(s: AsyncSession, year: int) -> m.WorkReport | None:
    """The office's evaluation work report of the year (R7.1)."""
    return await s.get(m.WorkReport, year)
