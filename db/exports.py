"""The queries of the office's and the committee's exports (exports/): what one cycle's review
scores, panels and lists hold, and the audit log. Plain records; exports/sheets.py lays them out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m


@dataclass(frozen=True)
class Candidate:
    application_id: str
    enterprise_name: str
    award: str
    document_score: str | None
    onsite_score: str | None
    stage: str
    outcome: str


async def candidates(s: AsyncSession, year: int) -> dict[str, Candidate]:
    q = (
        select(m.Application, m.Enterprise.name)
        .join(m.Enterprise, m.Enterprise.id == m.Application.enterprise_id)
        .where(m.Application.cycle_year == year)
        .order_by(m.Application.id)
    )
    return {
        a.id: Candidate(a.id, name, a.award, a.document_score, a.onsite_score, a.stage, a.outcome)
        for a, name in (await s.execute(q)).all()
    }


@dataclass(frozen=True)
class Seat:
    """A seat of an application's panel, numbered 1, 2, … per panel in the order of the draw."""

    application_id: str
    purpose: str
    seat_no: int
    expert_id: int
    expert_name: str
    leader: bool
    active: bool
    draw_id: str
    joined_at: datetime
    left_at: datetime | None
    left_reason: str


async def seats(s: AsyncSession, year: int) -> list[Seat]:
    q = (
        select(m.PanelMember, m.Expert.name)
        .join(m.Expert, m.Expert.id == m.PanelMember.expert_id)
        .join(m.Application, m.Application.id == m.PanelMember.application_id)
        .where(m.Application.cycle_year == year)
        .order_by(m.PanelMember.application_id, m.PanelMember.purpose, m.PanelMember.id)
    )
    out: list[Seat] = []
    numbers: dict[tuple[str, str], int] = {}
    for p, name in (await s.execute(q)).all():
        n = numbers[(p.application_id, p.purpose)] = numbers.get((p.application_id, p.purpose), 0) + 1
        out.append(
            Seat(
                p.application_id,
                p.purpose,
                n,
                p.expert_id,
                name,
                p.leader,
                p.active,
                p.draw_id,
                p.joined_at,
                p.left_at,
                p.left_reason,
            )
        )
    return out


@dataclass(frozen=True)
class ScoreSheetRecord:
    """One expert's scores (their `seat_no` on the panel) or the panel's consolidated ones."""

    application_id: str
    purpose: str
    consolidated: bool
    seat_no: int | None  # None: the panel's, or an expert no longer found on the panel's record
    scores: dict[str, int]  # percent per rubric item
    total: str
    strengths: str = ""
    improvements: str = ""
    opinion: str = ""
    submitted_at: datetime | None = None
    visit_date: date | None = None
    confirmation: str = ""


async def score_sheets(s: AsyncSession, year: int, panel_seats: Sequence[Seat]) -> list[ScoreSheetRecord]:
    seat_of = {(x.application_id, x.purpose, x.expert_id): x.seat_no for x in panel_seats}
    expert_q = (
        select(m.ExpertScore)
        .join(m.Application, m.Application.id == m.ExpertScore.application_id)
        .where(m.Application.cycle_year == year)
    )
    out = [
        ScoreSheetRecord(
            e.application_id,
            e.purpose,
            False,
            seat_of.get((e.application_id, e.purpose, e.expert_id)),
            dict(e.scores),
            e.total,
            strengths=e.strengths,
            improvements=e.improvements,
            submitted_at=e.submitted_at,
        )
        for e in await s.scalars(expert_q)
    ]
    opinion_q = (
        select(m.PanelOpinion)
        .join(m.Application, m.Application.id == m.PanelOpinion.application_id)
        .where(m.Application.cycle_year == year)
    )
    out += [
        ScoreSheetRecord(
            o.application_id,
            o.purpose,
            True,
            None,
            dict(o.scores),
            o.total,
            opinion=o.opinion,
            submitted_at=o.submitted_at,
            visit_date=o.visit_date,
            confirmation=o.confirmation,
        )
        for o in await s.scalars(opinion_q)
    ]
    purpose_order = {"DOCUMENT": 0, "ONSITE": 1}
    out.sort(
        key=lambda r: (r.application_id, purpose_order.get(r.purpose, 9), r.consolidated, r.seat_no or 0)
    )
    return out


@dataclass(frozen=True)
class ListsRecord:
    """The ballots (plenary and run-offs) with their published tallies, the preliminary list, the
    latest version of the list proposed to the government, and the certificates issued."""

    meetings: list[m.Meeting]
    preliminary: dict[str, Any] | None  # contracts.cycle.Preliminary as stored
    final: m.FinalListVersion | None
    certificates: dict[str, str] = field(default_factory=dict)  # application id -> number


async def lists(s: AsyncSession, year: int) -> ListsRecord:
    meetings = list(
        await s.scalars(
            select(m.Meeting)
            .where(m.Meeting.cycle_year == year, m.Meeting.state == "CLOSED")
            .order_by(m.Meeting.opened_at, m.Meeting.id)
        )
    )
    notice = await s.get(m.PublicNotice, year)
    final = await s.scalar(
        select(m.FinalListVersion)
        .where(m.FinalListVersion.cycle_year == year)
        .order_by(m.FinalListVersion.version.desc())
        .limit(1)
    )
    certs = await s.execute(
        select(m.Certificate.application_id, m.Certificate.number).where(m.Certificate.cycle_year == year)
    )
    return ListsRecord(
        meetings, notice.preliminary if notice else None, final, {a: n for a, n in certs.all()}
    )


async def audit_entries(
    s: AsyncSession, *, since: datetime | None, until: datetime | None
) -> list[m.AuditEntry]:
    """The audit log in chain order, within [since, until) when given."""
    q = select(m.AuditEntry).order_by(m.AuditEntry.seq)
    if since is not None:
        q = q.where(m.AuditEntry.at >= since)
    if until is not None:
        q = q.where(m.AuditEntry.at < until)
    return list(await s.scalars(q))
