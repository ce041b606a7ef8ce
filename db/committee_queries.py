"""Queries of the committee: its roster and recusals, the plenary's ballot (turnout, marks),
objections and the committee's decisions on them, certificates. Used by the API routes and the
activities alike; nothing here commits: the request or the activity does."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import Row, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db import models as m
from domain.ballot import Choice, Vote


# --- roster and recusals -------------------------------------------------------------------------
async def member(s: AsyncSession, year: int, user_id: int) -> m.CommitteeMember | None:
    """The user's seat on the committee of the year (approved or only proposed)."""
    return await s.scalar(
        select(m.CommitteeMember).where(
            m.CommitteeMember.cycle_year == year, m.CommitteeMember.user_id == user_id
        )
    )


async def members(s: AsyncSession, year: int) -> Sequence[m.CommitteeMember]:
    """The members on the roster of the year, in the order they were entered."""
    return (
        await s.scalars(
            select(m.CommitteeMember)
            .where(m.CommitteeMember.cycle_year == year)
            .order_by(m.CommitteeMember.id)
        )
    ).all()


async def clear_roster(s: AsyncSession, year: int) -> None:
    """The roster proposed again: its members are entered anew."""
    await s.execute(delete(m.CommitteeMember).where(m.CommitteeMember.cycle_year == year))


async def users_by_name(s: AsyncSession, usernames: Iterable[str]) -> dict[str, m.User]:
    names = list(usernames)
    return {u.username: u for u in (await s.scalars(select(m.User).where(m.User.username.in_(names)))).all()}


async def meeting_convened(s: AsyncSession, year: int) -> bool:
    """Whether any meeting of the year's committee has been convened (the plenary or a run-off)."""
    return await s.scalar(select(m.Meeting.id).where(m.Meeting.cycle_year == year)) is not None


async def recusal_recorded(s: AsyncSession, year: int, user_id: int, application_id: str) -> bool:
    return (
        await s.scalar(
            select(m.CommitteeRecusal.id).where(
                m.CommitteeRecusal.cycle_year == year,
                m.CommitteeRecusal.user_id == user_id,
                m.CommitteeRecusal.application_id == application_id,
            )
        )
        is not None
    )


async def recused_from(s: AsyncSession, year: int, user_id: int) -> set[str]:
    """The applications a member has declared an interest in."""
    return set(
        (
            await s.scalars(
                select(m.CommitteeRecusal.application_id).where(
                    m.CommitteeRecusal.cycle_year == year, m.CommitteeRecusal.user_id == user_id
                )
            )
        ).all()
    )


async def recusals_among(s: AsyncSession, year: int, user_ids: Iterable[int]) -> Counter[str]:
    """How many of these members (those present at a meeting) are recused from each application:
    the count and the recount both take it."""
    return Counter(
        (
            await s.scalars(
                select(m.CommitteeRecusal.application_id).where(
                    m.CommitteeRecusal.cycle_year == year, m.CommitteeRecusal.user_id.in_(list(user_ids))
                )
            )
        ).all()
    )


async def roster_usernames(s: AsyncSession, year: int) -> list[str]:
    """The accounts of the members on the year's roster."""
    return list(
        (
            await s.scalars(
                select(m.User.username)
                .join(m.CommitteeMember, m.CommitteeMember.user_id == m.User.id)
                .where(m.CommitteeMember.cycle_year == year)
            )
        ).all()
    )


# --- the ballot ------------------------------------------------------------------------------------
async def turnout(s: AsyncSession, meeting_id: str) -> Sequence[m.BallotTurnout]:
    """The register of a meeting: one row a member present, whether the member has voted."""
    return (await s.scalars(select(m.BallotTurnout).where(m.BallotTurnout.meeting_id == meeting_id))).all()


async def turnout_of(s: AsyncSession, meeting_id: str, user_id: int) -> m.BallotTurnout | None:
    return await s.scalar(
        select(m.BallotTurnout).where(
            m.BallotTurnout.meeting_id == meeting_id, m.BallotTurnout.user_id == user_id
        )
    )


async def attendance(s: AsyncSession, meeting_id: str) -> Sequence[Row[str, bool]]:
    """(username, voted) of every member present at a meeting."""
    return (
        await s.execute(
            select(m.User.username, m.BallotTurnout.voted)
            .join(m.BallotTurnout, m.BallotTurnout.user_id == m.User.id)
            .where(m.BallotTurnout.meeting_id == meeting_id)
        )
    ).all()


async def voted_in_open_ballot(conn: AsyncConnection, meeting_id: str, user_id: int) -> bool | None:
    """Whether the member has voted in the meeting's ballot while it is open (None: not present,
    or the ballot is not open)."""
    return await conn.scalar(
        select(m.BallotTurnout.voted)
        .join(m.Meeting, m.Meeting.id == m.BallotTurnout.meeting_id)
        .where(
            m.BallotTurnout.meeting_id == meeting_id,
            m.BallotTurnout.user_id == user_id,
            m.Meeting.state == "VOTING",
        )
    )


async def meeting_state(conn: AsyncConnection, meeting_id: str) -> str | None:
    return await conn.scalar(select(m.Meeting.state).where(m.Meeting.id == meeting_id))


async def ballot_marks(s: AsyncSession, meeting_id: str) -> list[Vote]:
    """The marks of a counted ballot, kept for the recount (db/ballot_box.py `keep_marks`); before
    the count, the marks of a ballot cast before sealed ballots existed."""
    rows = (await s.scalars(select(m.BallotVote).where(m.BallotVote.meeting_id == meeting_id))).all()
    return [Vote(v.candidate_id, Choice(v.choice)) for v in rows]


# --- objections and the committee's decisions ------------------------------------------------------
async def objection_by_request(s: AsyncSession, year: int, request_key: str) -> m.Objection | None:
    """The objection filed earlier with this Idempotency-Key."""
    return await s.scalar(
        select(m.Objection).where(m.Objection.cycle_year == year, m.Objection.request_key == request_key)
    )


async def objection_filed(s: AsyncSession, year: int, digest: str) -> bool:
    """Whether the same objection (same digest) has been filed already."""
    found = await s.scalar(
        select(m.Objection.id).where(m.Objection.cycle_year == year, m.Objection.digest == digest)
    )
    return bool(found)


async def objections(s: AsyncSession, year: int) -> Sequence[m.Objection]:
    return (
        await s.scalars(
            select(m.Objection).where(m.Objection.cycle_year == year).order_by(m.Objection.filed_at)
        )
    ).all()


async def committee_reviews(s: AsyncSession, year: int) -> Sequence[m.CommitteeReview]:
    return (
        await s.scalars(
            select(m.CommitteeReview)
            .where(m.CommitteeReview.cycle_year == year)
            .order_by(m.CommitteeReview.decided_at)
        )
    ).all()


async def finding_decided(s: AsyncSession, objection_id: str, application_id: str) -> bool:
    return (
        await s.scalar(
            select(m.CommitteeReview.id).where(
                m.CommitteeReview.objection_id == objection_id,
                m.CommitteeReview.application_id == application_id,
            )
        )
        is not None
    )


# --- the committee's decisions on major matters (Art. 7(1)) --------------------------------------
async def major_decision_by_request(s: AsyncSession, request_key: str) -> m.MajorDecision | None:
    return await s.scalar(select(m.MajorDecision).where(m.MajorDecision.request_key == request_key))


async def last_decision_number(s: AsyncSession, year: int) -> int:
    """The number of the year's latest decision (0: none yet)."""
    found = await s.scalar(
        select(func.coalesce(func.max(m.MajorDecision.number), 0)).where(m.MajorDecision.cycle_year == year)
    )
    return int(found or 0)


async def major_decisions(s: AsyncSession, year: int) -> Sequence[m.MajorDecision]:
    return (
        await s.scalars(
            select(m.MajorDecision).where(m.MajorDecision.cycle_year == year).order_by(m.MajorDecision.number)
        )
    ).all()
