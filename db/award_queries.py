"""Queries of the awards after they are granted (Art. 17-19): certificates, revocation and misuse
cases, follow-up rounds, media exposures. Nothing here commits: the request or the activity does."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m


def _named_certificates() -> Select[m.Certificate, str]:
    """The base statement: certificates with the name of their enterprise."""
    return select(m.Certificate, m.Enterprise.name).join(
        m.Enterprise, m.Enterprise.id == m.Certificate.enterprise_id
    )


async def certificates(
    s: AsyncSession,
    *,
    year: int | None = None,
    own_only: bool = False,
    enterprise_id: int | None = None,
) -> Sequence[Row[m.Certificate, str]]:
    """Certificates with the name of their enterprise, by number: of one year (`year`), of one
    enterprise only (`own_only`: those of `enterprise_id`, none if it is None)."""
    q = _named_certificates()
    if year is not None:
        q = q.where(m.Certificate.cycle_year == year)
    if own_only:
        q = q.where(m.Certificate.enterprise_id == enterprise_id)
    return (await s.execute(q.order_by(m.Certificate.number))).all()


async def certificate_named(s: AsyncSession, number: str) -> Row[m.Certificate, str] | None:
    """One certificate with the name of its enterprise."""
    return (await s.execute(_named_certificates().where(m.Certificate.number == number))).first()


async def revocation_cases(s: AsyncSession, number: str) -> Sequence[m.RevocationCase]:
    return (
        await s.scalars(
            select(m.RevocationCase)
            .where(m.RevocationCase.certificate_number == number)
            .order_by(m.RevocationCase.proposed_at)
        )
    ).all()


async def misuse_cases(s: AsyncSession, number: str) -> Sequence[m.MisuseCase]:
    return (
        await s.scalars(
            select(m.MisuseCase)
            .where(m.MisuseCase.certificate_number == number)
            .order_by(m.MisuseCase.ordered_at)
        )
    ).all()


async def follow_ups(s: AsyncSession, number: str) -> Sequence[m.FollowUp]:
    return (
        await s.scalars(
            select(m.FollowUp).where(m.FollowUp.certificate_number == number).order_by(m.FollowUp.round_no)
        )
    ).all()


async def media_exposures(s: AsyncSession, number: str) -> Sequence[m.MediaExposure]:
    return (
        await s.scalars(select(m.MediaExposure).where(m.MediaExposure.certificate_number == number))
    ).all()


async def exposure_owed(s: AsyncSession, number: str) -> bool:
    """Whether a media exposure of the award's revocation is still to be published (Art. 17)."""
    owed = await s.scalar(
        select(m.MediaExposure.case_id).where(
            m.MediaExposure.certificate_number == number, m.MediaExposure.state != "PUBLISHED"
        )
    )
    return owed is not None


async def committee_in_office(s: AsyncSession) -> int | None:
    """The year of the newest approved committee roster."""
    return await s.scalar(
        select(m.Roster.cycle_year)
        .where(m.Roster.state == "APPROVED")
        .order_by(m.Roster.cycle_year.desc())
        .limit(1)
    )
