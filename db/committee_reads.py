"""The committee's records as the API reads them (roster, rules approval, work report, meetings,
public notice, objections, decisions, certificates): one function a read, none of them committing
(the request's unit of work commits). db/committee_queries.py holds the queries the activities
share with the routes."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from domain.ballot import Tally
from domain.rules import CycleRules

from . import committee_queries as cq
from . import models as m
from . import repositories as repo

T = TypeVar("T")


async def roster(s: AsyncSession, year: int, *, lock: bool = False) -> m.Roster | None:
    """The year's roster (`lock`: its row locked, so the year's decisions are numbered in turn)."""
    return await s.get(m.Roster, year, with_for_update=lock or None)


async def approved_roster(s: AsyncSession, year: int) -> m.Roster | None:
    r = await roster(s, year)
    return r if r is not None and r.state == "APPROVED" else None


async def rules_approval(s: AsyncSession, year: int) -> m.RulesApproval | None:
    return await s.get(m.RulesApproval, year)


async def work_report(s: AsyncSession, year: int) -> m.WorkReport | None:
    return await s.get(m.WorkReport, year)


async def meeting(s: AsyncSession, meeting_id: str) -> m.Meeting | None:
    return await s.get(m.Meeting, meeting_id)


async def ballot_key(s: AsyncSession, meeting_id: str) -> m.BallotKey | None:
    return await s.get(m.BallotKey, meeting_id)


async def public_notice(s: AsyncSession, year: int, *, lock: bool = False) -> m.PublicNotice | None:
    return await s.get(m.PublicNotice, year, with_for_update=lock or None)


async def supplementary_notice(s: AsyncSession, notice_id: str) -> m.SupplementaryNotice | None:
    return await s.get(m.SupplementaryNotice, notice_id)


async def objection_for_update(s: AsyncSession, objection_id: str) -> m.Objection | None:
    return await s.get(m.Objection, objection_id, with_for_update=True)


async def major_decision(s: AsyncSession, year: int, decision_id: str) -> m.MajorDecision | None:
    """The decision, if it is one of the year's."""
    d = await s.get(m.MajorDecision, decision_id)
    return d if d is not None and d.cycle_year == year else None


async def certificate(s: AsyncSession, number: str) -> m.Certificate | None:
    return await s.get(m.Certificate, number)


async def reread(s: AsyncSession, row: T) -> T:
    """The row as another transaction has just written it (a workflow's activity)."""
    await s.refresh(row)
    return row


async def cycle_or_roster_exists(s: AsyncSession, year: int) -> bool:
    """The year has a cycle, or at least a proposed roster (its timeline starts before the cycle)."""
    return await repo.cycle(s, year) is not None or await roster(s, year) is not None


async def plenary_fractions(s: AsyncSession, year: int) -> tuple[Fraction, Fraction]:
    """The quorum and pass mark of the cycle's rules: frozen at the start, else the rules the
    committee approved for the year, else the defaults (Art. 14(4))."""
    cycle = await repo.cycle(s, year)
    doc: dict[str, Any] | None = cycle.rules if cycle is not None else None
    if doc is None:
        approved = await rules_approval(s, year)
        doc = approved.rules if approved is not None else None
    d = CycleRules
    doc = doc or {}
    quorum = Fraction(
        int(doc.get("quorum_numerator", d.quorum_numerator)),
        int(doc.get("quorum_denominator", d.quorum_denominator)),
    )
    passing = Fraction(
        int(doc.get("pass_numerator", d.pass_numerator)), int(doc.get("pass_denominator", d.pass_denominator))
    )
    return quorum, passing


async def recount(s: AsyncSession, meeting: m.Meeting) -> list[Tally]:
    """The stored marks of a closed meeting counted again, under the cycle's frozen rules
    (repo.cycle_rules) and the recusals of the members present, as the count was taken."""
    cycle = await repo.cycle(s, meeting.cycle_year)
    assert cycle is not None  # a meeting is held in a running cycle
    return await cq.recount(s, meeting, repo.cycle_rules(cycle))
