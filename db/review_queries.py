"""Queries of expert review (Art. 9, 14, 20): the pool as a draw sees it, panel seats, recorded
draws, experts' scores, panels' opinions and the on-site confirmation, the on-site list's inputs
and the feedback report. Used by the API routes and the activities alike; nothing here commits:
the request or the activity does."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from domain.conflicts import ConflictSource, ConflictState, DetectedConflict
from domain.panel import Panel
from domain.review import ReviewPurpose
from domain.types import ApplicationStage


# --- the pool as it stands at a draw ------------------------------------------------------------
async def engagements(s: AsyncSession) -> Sequence[m.ExpertEngagement]:
    """Every expert's engagements (employment, consulting), for the conflict detection of a draw."""
    return (await s.scalars(select(m.ExpertEngagement))).all()


async def record_detected_conflict(s: AsyncSession, d: DetectedConflict, at: datetime) -> None:
    """A conflict the draw detected, recorded as suspected once (a second detection is ignored)."""
    await s.execute(
        insert(m.Conflict)
        .values(
            expert_id=d.expert_id,
            credit_code=d.credit_code,
            type=d.type,
            source=ConflictSource.DETECTED,
            evidence=d.evidence_zh,
            state=ConflictState.SUSPECTED,
            recorded_by="system",
            recorded_at=at,
        )
        .on_conflict_do_nothing(constraint="uq_conflicts_pair_type")
    )


async def all_conflicts(s: AsyncSession) -> Sequence[m.Conflict]:
    return (await s.scalars(select(m.Conflict))).all()


async def panel_load(s: AsyncSession, year: int) -> dict[int, int]:
    """Seats each expert holds on the year's panels (the load cap counts them)."""
    rows = await s.execute(
        select(m.PanelMember.expert_id, func.count())
        .join(m.Application, m.Application.id == m.PanelMember.application_id)
        .where(m.Application.cycle_year == year, m.PanelMember.active.is_(True))
        .group_by(m.PanelMember.expert_id)
    )
    return {int(k): int(v) for k, v in rows.all()}


async def experts_by_id(s: AsyncSession, ids: Iterable[int]) -> dict[int, m.Expert]:
    return {e.id: e for e in (await s.scalars(select(m.Expert).where(m.Expert.id.in_(ids)))).all()}


# --- draws and seats ------------------------------------------------------------------------------
async def draw(s: AsyncSession, draw_id: str) -> m.PanelDraw | None:
    return await s.get(m.PanelDraw, draw_id)


async def awaiting_panel(
    s: AsyncSession, year: int, stage: ApplicationStage, purpose: ReviewPurpose, panel_size: int
) -> list[str]:
    """The year's applications at `stage` whose panel of `purpose` is not complete yet."""
    seated = (  # applications whose panel of this purpose is complete
        select(m.PanelMember.application_id)
        .where(m.PanelMember.purpose == purpose, m.PanelMember.active.is_(True))
        .group_by(m.PanelMember.application_id)
        .having(func.count() >= panel_size)
    )
    return list(
        (
            await s.scalars(
                select(m.Application.id)
                .where(
                    m.Application.cycle_year == year,
                    m.Application.stage == stage,
                    m.Application.id.not_in(seated),
                )
                .order_by(m.Application.id)
            )
        ).all()
    )


async def panel_requests(s: AsyncSession, applications: list[str]) -> list[tuple[str, str, str]]:
    """(application, applicant's credit code, field) of each application, in id order."""
    rows = await s.execute(
        select(m.Application.id, m.Enterprise.credit_code, m.Application.field)
        .join(m.Enterprise, m.Enterprise.id == m.Application.enterprise_id)
        .where(m.Application.id.in_(applications))
        .order_by(m.Application.id)
    )
    return [(a, c, f) for a, c, f in rows.all()]


async def seat_history(
    s: AsyncSession, applications: list[str], purpose: ReviewPurpose | str
) -> list[tuple[str, int, bool]]:
    """(application, expert, held) of every seat ever taken on the applications' panels of
    `purpose`, in seat order."""
    rows = await s.execute(
        select(m.PanelMember.application_id, m.PanelMember.expert_id, m.PanelMember.active)
        .where(m.PanelMember.application_id.in_(applications), m.PanelMember.purpose == purpose)
        .order_by(m.PanelMember.id)
    )
    return [(a, int(x), bool(active)) for a, x, active in rows.all()]


async def filling_draws(
    s: AsyncSession, applications: list[str], purpose: ReviewPurpose
) -> dict[str, list[str]]:
    """The draws whose members still hold seats on the applications' panels of `purpose`."""
    rows = await s.execute(
        select(m.PanelMember.application_id, m.PanelMember.draw_id)
        .where(
            m.PanelMember.application_id.in_(applications),
            m.PanelMember.purpose == purpose,
            m.PanelMember.active.is_(True),
        )
        .distinct()
    )
    found: dict[str, list[str]] = {}
    for app_id, draw_id in rows.all():
        found.setdefault(app_id, []).append(draw_id)
    return {a: sorted(ds) for a, ds in found.items()}


async def held_seats(s: AsyncSession, application_id: str, purpose: ReviewPurpose) -> Sequence[m.PanelMember]:
    """The seats held on an application's panel of `purpose`, in seat order."""
    return (
        await s.scalars(
            select(m.PanelMember)
            .where(
                m.PanelMember.application_id == application_id,
                m.PanelMember.purpose == purpose,
                m.PanelMember.active.is_(True),
            )
            .order_by(m.PanelMember.id)
        )
    ).all()


async def former_members(s: AsyncSession, application_id: str, purpose: ReviewPurpose) -> set[int]:
    """The experts who left an application's panel of `purpose` (they never come back)."""
    return set(
        (
            await s.scalars(
                select(m.PanelMember.expert_id).where(
                    m.PanelMember.application_id == application_id,
                    m.PanelMember.purpose == purpose,
                    m.PanelMember.active.is_(False),
                )
            )
        ).all()
    )


async def seat_panel(
    s: AsyncSession, panel: Panel, purpose: ReviewPurpose, kept: Collection[int], draw_id: str, at: datetime
) -> None:
    """Seat the panel's members who are not seated yet, and mark its leader among all held seats."""
    for x in panel.members:
        if x not in kept:
            s.add(
                m.PanelMember(
                    application_id=panel.application_id,
                    purpose=purpose,
                    expert_id=x,
                    leader=False,
                    active=True,
                    draw_id=draw_id,
                    joined_at=at,
                )
            )
    await s.flush()
    await s.execute(
        update(m.PanelMember)
        .where(
            m.PanelMember.application_id == panel.application_id,
            m.PanelMember.purpose == purpose,
            m.PanelMember.active.is_(True),
        )
        .values(leader=m.PanelMember.expert_id == panel.leader)
    )


async def leave_panel(
    s: AsyncSession, application_id: str, purpose: ReviewPurpose, expert_id: int, *, at: datetime, reason: str
) -> None:
    """The expert gives up their seat on the application's panel of `purpose`."""
    await s.execute(
        update(m.PanelMember)
        .where(
            m.PanelMember.application_id == application_id,
            m.PanelMember.purpose == purpose,
            m.PanelMember.expert_id == expert_id,
        )
        .values(active=False, leader=False, left_at=at, left_reason=reason)
    )


async def expert_seats_held(s: AsyncSession, expert_id: int) -> Sequence[m.PanelMember]:
    """Every seat the expert holds, in seat order."""
    return (
        await s.scalars(
            select(m.PanelMember)
            .where(m.PanelMember.expert_id == expert_id, m.PanelMember.active.is_(True))
            .order_by(m.PanelMember.id)
        )
    ).all()


# --- scores, opinions, confirmations -------------------------------------------------------------
async def scored_by(s: AsyncSession, expert_id: int) -> set[tuple[str, str]]:
    """(application, purpose) of every score the expert has submitted."""
    rows = await s.scalars(select(m.ExpertScore).where(m.ExpertScore.expert_id == expert_id))
    return {(x.application_id, x.purpose) for x in rows.all()}


async def scores_of(s: AsyncSession, application_id: str, purpose: ReviewPurpose) -> Sequence[m.ExpertScore]:
    """The scores of an application's panel of `purpose`, by expert."""
    return (
        await s.scalars(
            select(m.ExpertScore)
            .where(m.ExpertScore.application_id == application_id, m.ExpertScore.purpose == purpose)
            .order_by(m.ExpertScore.expert_id)
        )
    ).all()


async def add_expert_score(s: AsyncSession, **values: Any) -> None:
    """An expert's score, once (a second submission of the same panel's score is ignored)."""
    await s.execute(
        insert(m.ExpertScore).values(**values).on_conflict_do_nothing(constraint="uq_expert_scores_once")
    )


async def opinions_of(s: AsyncSession, application_id: str) -> Sequence[m.PanelOpinion]:
    """The panels' opinions (and on-site report) of an application, as submitted."""
    return (
        await s.scalars(
            select(m.PanelOpinion)
            .where(m.PanelOpinion.application_id == application_id)
            .order_by(m.PanelOpinion.id)
        )
    ).all()


async def document_opinions(s: AsyncSession, year: int) -> Sequence[m.PanelOpinion]:
    """The document review opinions of the year's applications, by application."""
    return (
        await s.scalars(
            select(m.PanelOpinion)
            .join(m.Application, m.Application.id == m.PanelOpinion.application_id)
            .where(m.Application.cycle_year == year, m.PanelOpinion.purpose == ReviewPurpose.DOCUMENT)
            .order_by(m.PanelOpinion.application_id)
        )
    ).all()


async def add_panel_opinion(s: AsyncSession, **values: Any) -> None:
    """A panel's opinion, once; the application's score of that review follows it."""
    await s.execute(
        insert(m.PanelOpinion).values(**values).on_conflict_do_nothing(constraint="uq_panel_opinions_once")
    )
    column = "document_score" if values["purpose"] == ReviewPurpose.DOCUMENT else "onsite_score"
    await set_score(s, values["application_id"], column, values["total"])


async def set_score(s: AsyncSession, application_id: str, column: str, total: str) -> None:
    """The application's `document_score` or `onsite_score`."""
    await s.execute(update(m.Application).where(m.Application.id == application_id).values({column: total}))


async def onsite_opinion(s: AsyncSession, application_id: str) -> m.PanelOpinion | None:
    return await s.scalar(
        select(m.PanelOpinion).where(
            m.PanelOpinion.application_id == application_id,
            m.PanelOpinion.purpose == ReviewPurpose.ONSITE,
        )
    )


# --- the on-site list ----------------------------------------------------------------------------
async def fixed_onsite_list(s: AsyncSession, year: int) -> m.OnsiteList | None:
    return await s.get(m.OnsiteList, year)


async def document_scores_awaiting_list(s: AsyncSession, year: int) -> dict[str, str | None]:
    """The document review score of each of the year's applications waiting for the on-site list."""
    rows = await s.execute(
        select(m.Application.id, m.Application.document_score).where(
            m.Application.cycle_year == year,
            m.Application.stage == ApplicationStage.AWAITING_ONSITE_LIST,
        )
    )
    return {a: score for a, score in rows.all()}


# --- the feedback report -------------------------------------------------------------------------
async def feedback_report(s: AsyncSession, application_id: str) -> m.FeedbackReport | None:
    return await s.get(m.FeedbackReport, application_id)


async def application_for_feedback(
    s: AsyncSession, application_id: str
) -> tuple[m.Application, str, str] | None:
    """The application, its enterprise's name and its cycle's criteria edition."""
    row = (
        await s.execute(
            select(m.Application, m.Enterprise.name, m.Cycle.criteria_edition)
            .join(m.Enterprise, m.Enterprise.id == m.Application.enterprise_id)
            .join(m.Cycle, m.Cycle.year == m.Application.cycle_year)
            .where(m.Application.id == application_id)
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


async def add_feedback_report(s: AsyncSession, **values: Any) -> bool:
    """The application's feedback report, once: False if it was written meanwhile."""
    written = await s.scalar(
        insert(m.FeedbackReport)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["application_id"])
        .returning(m.FeedbackReport.application_id)
    )
    return written is not None
