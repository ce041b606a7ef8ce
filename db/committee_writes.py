"""The committee's records as the API writes them (roster, rules approval, recusals, the public
notice of the roster, objections, the committee's decisions on findings and on major matters): one
function a write, each building its row and adding it to the session; none of them commits (the
request's unit of work does). db/committee_reads.py holds the reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.decisions import CheckedDecision, MajorDecisionDraft
from domain.notices import NoticeText
from domain.objections import AdmittedObjection
from domain.types import Audience, DeliveryState, NoticeKind

from . import committee_queries as cq
from . import models as m


@dataclass(frozen=True)
class NewMember:
    """A seat of a proposed roster: the member's account, position and post."""

    user: m.User
    position: str
    post: str


async def propose_roster(
    s: AsyncSession,
    year: int,
    roster: m.Roster | None,
    members: Sequence[NewMember],
    *,
    by: str,
    at: datetime,
) -> None:
    """The year's roster proposed (again): its members entered anew, the roster's row (re)proposed."""
    await cq.clear_roster(s, year)
    for x in members:
        s.add(
            m.CommitteeMember(
                cycle_year=year, user_id=x.user.id, name=x.user.display_name, position=x.position, post=x.post
            )
        )
    if roster is None:
        s.add(m.Roster(cycle_year=year, state="PROPOSED", proposed_by=by, proposed_at=at))
    else:
        roster.proposed_by, roster.proposed_at = by, at


def approve_roster(roster: m.Roster, *, by: str, at: datetime, document_no: str) -> None:
    roster.state, roster.approved_by, roster.approved_at, roster.document_no = "APPROVED", by, at, document_no


def publish_notice(
    s: AsyncSession, key: str, kind: NoticeKind, text: NoticeText, year: int, at: datetime
) -> None:
    """A public notice of the cycle, delivered on the portal as it is published."""
    s.add(
        m.Notice(
            key=key,
            kind=kind,
            audience=Audience.PUBLIC,
            cycle_year=year,
            title=text.title,
            body=text.body,
            created_at=at,
            delivery_state=DeliveryState.DELIVERED,
            delivery_channel="portal",
            delivery_attempts=1,
            delivered_at=at,
        )
    )


def approve_rules(
    s: AsyncSession,
    year: int,
    existing: m.RulesApproval | None,
    *,
    digest: str,
    rules: dict[str, Any],
    by: str,
    at: datetime,
    note: str,
) -> None:
    """The committee's approval of the year's rules, recorded or replaced (the note of the first
    approval is kept)."""
    if existing is None:
        s.add(
            m.RulesApproval(
                cycle_year=year, rules_hash=digest, rules=rules, approved_by=by, approved_at=at, note=note
            )
        )
    else:
        existing.rules_hash, existing.rules, existing.approved_by, existing.approved_at = (
            digest,
            rules,
            by,
            at,
        )


def add_recusal(
    s: AsyncSession, year: int, user_id: int, application_id: str, *, reason: str, by: str, at: datetime
) -> None:
    s.add(
        m.CommitteeRecusal(
            cycle_year=year,
            user_id=user_id,
            application_id=application_id,
            reason=reason,
            recorded_by=by,
            recorded_at=at,
        )
    )


def rescope(o: m.Objection, concerns: list[str]) -> list[str]:
    """The candidates objection `o` concerns, as the office scopes it; the answer: those before."""
    before = list(o.concerns)
    o.concerns = concerns
    return before


def add_committee_review(
    s: AsyncSession,
    o: m.Objection,
    application_id: str,
    *,
    decision: str,
    reasons: str,
    by: str,
    at: datetime,
) -> m.CommitteeReview:
    """The committee's decision on a substantiated finding of objection `o` about a candidate."""
    review = m.CommitteeReview(
        cycle_year=o.cycle_year,
        objection_id=o.id,
        application_id=application_id,
        decision=decision,
        reasons=reasons,
        decided_by=by,
        decided_at=at,
    )
    s.add(review)
    return review


def add_objection(
    s: AsyncSession,
    objection_id: str,
    year: int,
    o: AdmittedObjection,
    *,
    filed_at: datetime,
    request_key: str | None,
    notice_id: str | None,
) -> None:
    """An objection as filed and taken (`notice_id`: the supplementary notice it was filed during)."""
    # what is recorded of an objection taken is the record's own columns (none: a problem of the
    # notice itself)
    columns = asdict(o) | {"application_id": o.application_id or None, "state": o.state}
    s.add(
        m.Objection(
            id=objection_id,
            cycle_year=year,
            filed_at=filed_at,
            request_key=request_key,
            notice_id=notice_id,
            **columns,
        )
    )


async def add_major_decision(
    s: AsyncSession,
    year: int,
    d: MajorDecisionDraft,
    checked: CheckedDecision,
    *,
    roster_size: int,
    by: str,
    position: str,
    at: datetime,
    request_key: str | None,
) -> m.MajorDecision:
    """The committee's decision on a major matter, numbered after the year's last one (the caller
    holds the roster's lock), flushed: a second record of the same request fails here."""
    number = await cq.last_decision_number(s, year) + 1
    v = d.votes
    row = m.MajorDecision(
        id=f"{year}-D{number}",
        cycle_year=year,
        number=number,
        subject=d.subject.strip(),
        decision=d.decision,
        roster_size=roster_size,
        present=list(d.present),
        votes_for=v.in_favour if v is not None else None,
        votes_against=v.against if v is not None else None,
        votes_abstain=v.abstain if v is not None else None,
        consenting=list(d.consenting),
        attachments=list(d.attachments),
        recorded_by=by,
        recorded_position=position,
        recorded_at=at,
        request_key=request_key,
        **asdict(checked),  # method, adopted, decided_at, basis
    )
    s.add(row)
    await s.flush()
    return row
