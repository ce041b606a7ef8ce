"""Queries of the committee: its roster and recusals, the plenary (its candidates, the work
report's figures), the ballot (turnout, key, marks, the count and the recount), the public and
supplementary notices, objections and the committee's decisions on them, certificates. Used by
the API routes and the activities alike; nothing here commits: the request or the activity does."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy import Row, Select, delete, func, inspect, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contracts.cycle import OpenSeats
from db import models as m
from db.ballot_box import MeetingKey
from domain.ballot import Choice, Tally, Vote, tally
from domain.review import ReviewPurpose
from domain.rules import CycleRules
from domain.types import ApplicationStage

T = TypeVar("T")


async def _all(s: AsyncSession, q: Select[T]) -> Sequence[T]:
    """Every row of a query of one entity or one column."""
    return (await s.scalars(q)).all()


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
    return await _all(
        s,
        select(m.CommitteeMember).where(m.CommitteeMember.cycle_year == year).order_by(m.CommitteeMember.id),
    )


async def clear_roster(s: AsyncSession, year: int) -> None:
    """The roster proposed again: its members are entered anew."""
    await s.execute(delete(m.CommitteeMember).where(m.CommitteeMember.cycle_year == year))


async def users_by_name(s: AsyncSession, usernames: Iterable[str]) -> dict[str, m.User]:
    names = list(usernames)
    return {u.username: u for u in await _all(s, select(m.User).where(m.User.username.in_(names)))}


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
        await _all(
            s,
            select(m.CommitteeRecusal.application_id).where(
                m.CommitteeRecusal.cycle_year == year, m.CommitteeRecusal.user_id == user_id
            ),
        )
    )


async def recusals_among(s: AsyncSession, year: int, user_ids: Iterable[int]) -> Counter[str]:
    """How many of these members (those present at a meeting) are recused from each application:
    the count and the recount both take it."""
    return Counter(
        await _all(
            s,
            select(m.CommitteeRecusal.application_id).where(
                m.CommitteeRecusal.cycle_year == year, m.CommitteeRecusal.user_id.in_(list(user_ids))
            ),
        )
    )


async def roster_ids(s: AsyncSession, year: int) -> dict[str, int]:
    """The members on the year's roster: username -> user id."""
    rows = await s.execute(
        select(m.User.username, m.User.id)
        .join(m.CommitteeMember, m.CommitteeMember.user_id == m.User.id)
        .where(m.CommitteeMember.cycle_year == year)
    )
    return {name: user_id for name, user_id in rows.all()}


async def roster_usernames(s: AsyncSession, year: int) -> list[str]:
    """The accounts of the members on the year's roster."""
    return list(await roster_ids(s, year))


async def roster(s: AsyncSession, year: int) -> m.Roster | None:
    """The roster's approval by the district government."""
    return await s.get(m.Roster, year)


# --- the plenary and its work report ---------------------------------------------------------------
async def meeting(s: AsyncSession, meeting_id: str, *, for_update: bool = False) -> m.Meeting | None:
    return await s.get(m.Meeting, meeting_id, with_for_update=for_update)


async def awaiting_committee(s: AsyncSession, year: int) -> list[str]:
    """The applications whose on-site review is confirmed (or settled): the plenary's candidates."""
    rows = await s.scalars(
        select(m.Application.id)
        .where(m.Application.cycle_year == year, m.Application.stage == ApplicationStage.AWAITING_COMMITTEE)
        .order_by(m.Application.id)
    )
    return list(rows.all())


async def work_report(s: AsyncSession, year: int) -> m.WorkReport | None:
    return await s.get(m.WorkReport, year)


async def applications_of(s: AsyncSession, year: int) -> Sequence[m.Application]:
    return await _all(s, select(m.Application).where(m.Application.cycle_year == year))


async def panel_opinions_of(s: AsyncSession, year: int) -> Sequence[m.PanelOpinion]:
    """The panels' opinions (document and on-site) on the year's applications."""
    return await _all(
        s,
        select(m.PanelOpinion)
        .join(m.Application, m.Application.id == m.PanelOpinion.application_id)
        .where(m.Application.cycle_year == year),
    )


async def onsite_opinions(s: AsyncSession, application_ids: Iterable[str]) -> Sequence[m.PanelOpinion]:
    """The on-site panels' opinions on these applications (their final scores)."""
    return await _all(
        s,
        select(m.PanelOpinion).where(
            m.PanelOpinion.application_id.in_(list(application_ids)),
            m.PanelOpinion.purpose == ReviewPurpose.ONSITE,
        ),
    )


async def enterprise_names(s: AsyncSession) -> dict[int, str]:
    """Every enterprise's name, by id."""
    return {e.id: e.name for e in await _all(s, select(m.Enterprise))}


async def applications_named(
    s: AsyncSession, application_ids: Iterable[str]
) -> Sequence[Row[m.Application, str]]:
    """(application, enterprise name) of each of these applications."""
    return (
        await s.execute(
            select(m.Application, m.Enterprise.name)
            .join(m.Enterprise, m.Enterprise.id == m.Application.enterprise_id)
            .where(m.Application.id.in_(list(application_ids)))
        )
    ).all()


async def panel_seats(s: AsyncSession, year: int) -> tuple[int, int]:
    """How many experts were seated on the year's panels, and how many of them were replaced."""

    async def seats(*where: Any) -> int:
        found = await s.scalar(
            select(func.count())
            .select_from(m.PanelMember)
            .join(m.Application, m.Application.id == m.PanelMember.application_id)
            .where(m.Application.cycle_year == year, *where)
        )
        return int(found or 0)

    return await seats(), await seats(m.PanelMember.active.is_(False))


async def document_totals(s: AsyncSession, year: int) -> Sequence[Row[str, int, str]]:
    """(application id, expert id, total) of each document-review score of the year's applications
    given by an expert who still holds the seat (a replaced or disqualified expert's is left out)."""
    return (
        await s.execute(
            select(m.ExpertScore.application_id, m.ExpertScore.expert_id, m.ExpertScore.total)
            .join(m.Application, m.Application.id == m.ExpertScore.application_id)
            .join(
                m.PanelMember,
                (m.PanelMember.application_id == m.ExpertScore.application_id)
                & (m.PanelMember.purpose == m.ExpertScore.purpose)
                & (m.PanelMember.expert_id == m.ExpertScore.expert_id),
            )
            .where(
                m.Application.cycle_year == year,
                m.ExpertScore.purpose == ReviewPurpose.DOCUMENT,
                m.PanelMember.active.is_(True),
            )
        )
    ).all()


# --- the ballot ------------------------------------------------------------------------------------
async def open_ballot(s: AsyncSession, meeting_id: str, key: MeetingKey, present: Iterable[int]) -> None:
    """The meeting's ballot key pair (the private key only wrapped) and its register: one row a
    member present (by user id), not voted yet."""
    s.add(m.BallotKey(meeting_id=meeting_id, **asdict(key)))
    s.add_all(m.BallotTurnout(meeting_id=meeting_id, user_id=u, voted=False) for u in present)


async def ballot_key(s: AsyncSession, meeting_id: str) -> m.BallotKey | None:
    """The meeting's ballot key, locked for the count (which destroys its private key)."""
    return await s.get(m.BallotKey, meeting_id, with_for_update=True)


async def turnout(s: AsyncSession, meeting_id: str) -> Sequence[m.BallotTurnout]:
    """The register of a meeting: one row a member present, whether the member has voted."""
    return await _all(s, select(m.BallotTurnout).where(m.BallotTurnout.meeting_id == meeting_id))


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
    rows = await _all(s, select(m.BallotVote).where(m.BallotVote.meeting_id == meeting_id))
    return [Vote(v.candidate_id, Choice(v.choice)) for v in rows]


@dataclass(frozen=True)
class BallotCount:
    """What a meeting's ballot is counted with, besides its marks: the candidates, the members
    present and how many of them voted, how many of them are recused from each candidate, the pass
    ratio of the cycle's rules. The count at the close and the recount take the same."""

    candidates: list[str]
    present: int
    voted: int
    recusals: dict[str, int]
    pass_ratio: Fraction

    def of(self, votes: Iterable[Vote]) -> list[Tally]:
        """The tally of these marks (domain.ballot.tally)."""
        return tally(
            votes,
            candidates=self.candidates,
            present=self.present,
            recusals=self.recusals,
            pass_ratio=self.pass_ratio,
        )


async def ballot_count(s: AsyncSession, meeting: m.Meeting, rules: CycleRules) -> BallotCount:
    """The meeting's register and recusals, for its count or its recount."""
    register = await turnout(s, meeting.id)
    recused = await recusals_among(s, meeting.cycle_year, [t.user_id for t in register])
    return BallotCount(
        candidates=list(meeting.candidates),
        present=meeting.present,
        voted=sum(t.voted for t in register),
        recusals={c: recused.get(c, 0) for c in meeting.candidates},
        pass_ratio=Fraction(rules.pass_numerator, rules.pass_denominator),
    )


async def recount(s: AsyncSession, meeting: m.Meeting, rules: CycleRules) -> list[Tally]:
    """The recount of a closed ballot from the marks kept at its count: equal to the published
    tally unless something was changed."""
    count = await ballot_count(s, meeting, rules)
    return count.of(await ballot_marks(s, meeting.id))


# --- seats left vacant, the public and supplementary notices ---------------------------------------
async def leave_vacant(
    s: AsyncSession, year: int, group: OpenSeats, *, reason: str, by: str, at: datetime
) -> None:
    """Record the committee's decision to leave an award's open seats vacant (once)."""
    await s.execute(
        insert(m.SeatVacancy)
        .values(
            cycle_year=year,
            award=str(group.award),
            seats=group.seats,
            application_ids=list(group.application_ids),
            source=group.source,
            reason=reason,
            decided_by=by,
            decided_at=at,
        )
        .on_conflict_do_nothing(constraint="uq_seat_vacancies_seats")
    )


async def public_notice(s: AsyncSession, year: int, *, for_update: bool = False) -> m.PublicNotice | None:
    return await s.get(m.PublicNotice, year, with_for_update=for_update)


async def open_public_notice(
    s: AsyncSession, year: int, preliminary: dict[str, Any], *, at: datetime, closes_at: datetime
) -> m.PublicNotice:
    """The year's public notice of the preliminary list, published once: a retry gets the notice
    published first."""
    await s.execute(
        insert(m.PublicNotice)
        .values(cycle_year=year, preliminary=preliminary, published_at=at, closes_at=closes_at)
        .on_conflict_do_nothing(index_elements=["cycle_year"])
    )
    n = await public_notice(s, year)
    assert n is not None
    return n


async def supplementary_notice(
    s: AsyncSession, notice_id: str, *, for_update: bool = False
) -> m.SupplementaryNotice | None:
    return await s.get(m.SupplementaryNotice, notice_id, with_for_update=for_update)


# --- objections and the committee's decisions ------------------------------------------------------
async def objection(s: AsyncSession, objection_id: str) -> m.Objection | None:
    return await s.get(m.Objection, objection_id)


async def objections_to(s: AsyncSession, notice_id: str) -> int:
    """How many objections were filed against a (supplementary) notice."""
    filed = await s.scalar(
        select(func.count()).select_from(m.Objection).where(m.Objection.notice_id == notice_id)
    )
    return int(filed or 0)


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
    return await _all(
        s, select(m.Objection).where(m.Objection.cycle_year == year).order_by(m.Objection.filed_at)
    )


async def committee_reviews(s: AsyncSession, year: int) -> Sequence[m.CommitteeReview]:
    return await _all(
        s,
        select(m.CommitteeReview)
        .where(m.CommitteeReview.cycle_year == year)
        .order_by(m.CommitteeReview.decided_at),
    )


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
    return await _all(
        s, select(m.MajorDecision).where(m.MajorDecision.cycle_year == year).order_by(m.MajorDecision.number)
    )


# --- certificates ------------------------------------------------------------------------------------
async def issue_certificate(s: AsyncSession, certificate: m.Certificate) -> None:
    """Record a winner's certificate and plaque, once per application (a retry keeps the first)."""
    state = inspect(certificate)  # the columns set on the new row: the others take their defaults
    columns = {a.key: state.dict[a.key] for a in state.mapper.column_attrs if a.key in state.dict}
    await s.execute(
        insert(m.Certificate).values(**columns).on_conflict_do_nothing(index_elements=["application_id"])
    )


async def certificates_of(s: AsyncSession, application_ids: Iterable[str]) -> Sequence[m.Certificate]:
    return await _all(s, select(m.Certificate).where(m.Certificate.application_id.in_(list(application_ids))))


async def credit_codes(s: AsyncSession, enterprise_ids: Iterable[int]) -> dict[int, str]:
    rows = await s.execute(
        select(m.Enterprise.id, m.Enterprise.credit_code).where(m.Enterprise.id.in_(list(enterprise_ids)))
    )
    return {enterprise_id: code for enterprise_id, code in rows.all()}
