"""Queries of the awards after they are granted (Art. 17-19): certificates, revocation and misuse
cases, follow-up rounds, media exposures. Nothing here commits: the request or the activity does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, Select, select
from sqlalchemy.dialects.postgresql import insert
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


async def certificate(s: AsyncSession, number: str, *, for_update: bool = False) -> m.Certificate | None:
    """One certificate (`for_update`: locked until the transaction ends, for its writer)."""
    return await s.get(m.Certificate, number, with_for_update=for_update)


async def misuse_case(s: AsyncSession, case_id: str, *, for_update: bool = False) -> m.MisuseCase | None:
    return await s.get(m.MisuseCase, case_id, with_for_update=for_update)


async def revocation_case(s: AsyncSession, case_id: str) -> m.RevocationCase | None:
    return await s.get(m.RevocationCase, case_id)


async def media_exposure(
    s: AsyncSession, case_id: str, *, for_update: bool = False
) -> m.MediaExposure | None:
    return await s.get(m.MediaExposure, case_id, with_for_update=for_update)


async def follow_up_locked(s: AsyncSession, number: str, round_no: int) -> m.FollowUp | None:
    """One follow-up round of an award, locked until the transaction ends."""
    return await s.scalar(
        select(m.FollowUp)
        .where(m.FollowUp.certificate_number == number, m.FollowUp.round_no == round_no)
        .with_for_update()
    )


async def register_revocation(
    s: AsyncSession,
    *,
    credit_code: str,
    award: str,
    award_year: int,
    revoked_on: date,
    reason: str,
    document_no: str,
    recorded_by: str,
) -> None:
    """Enter a revoked award in the revocation registry (R17.1: it starts the ban), once."""
    await s.execute(
        insert(m.Revocation)
        .values(
            credit_code=credit_code,
            award=award,
            award_year=award_year,
            revoked_on=revoked_on,
            reason=reason,
            document_no=document_no,
            recorded_by=recorded_by,
        )
        .on_conflict_do_nothing(constraint="uq_revocations_award")
    )


@dataclass(frozen=True)
class AwardHistory:
    """What happened to an award after it was granted, each in its order."""

    revocations: Sequence[m.RevocationCase]
    misuse_cases: Sequence[m.MisuseCase]
    follow_ups: Sequence[m.FollowUp]
    media_exposures: Sequence[m.MediaExposure]


async def history(s: AsyncSession, number: str) -> AwardHistory:
    return AwardHistory(
        await revocation_cases(s, number),
        await misuse_cases(s, number),
        await follow_ups(s, number),
        await media_exposures(s, number),
    )
