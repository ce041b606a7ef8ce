"""The committee's decisions on major matters (Art. 7(1), R7.1) and the cycle's timeline.

区评委会“研究决定评审过程出现的重大事项”: the chair or a vice-chair records each decision of the
year's committee (subject, decision, a vote of the members present or their recorded consent,
attachments), checked by `domain.decisions` against the approved roster and the cycle's quorum and
pass mark; it is audited on the cycle, so it appears in the cycle's timeline
(`GET /cycles/{year}/timeline`: the cycle's own audit entries in order — rules, roster, start,
stages, work report, lists, approval — and the decisions among them).

Readers: the office, the government, the auditor and the members of that year's committee.
"""

from __future__ import annotations

from fastapi import APIRouter

from db import committee_queries as cq
from db import committee_reads as cr
from db import repositories as repo
from domain.types import Role

from ..deps import IdempotencyKey, Now, Session, User, gate
from ..errors import not_found
from ..resources.cycle import COMMITTEE_RECORDS, OfficerSeat, RecordsReader
from ..responses.decisions import MajorDecision, TimelineEntry
from ..schemas import MajorDecisionIn
from ..services import committee

router = APIRouter(tags=["committee"])

TIMELINE_LIMIT = 2000  # a cycle's own entries: stages, lists, decisions (bounded by people, not input)


@router.post(
    "/cycles/{year}/committee/decisions",
    status_code=201,
    summary="The chair or a vice-chair records the committee's decision on a major matter (Art. 7(1))",
    dependencies=[gate(Role.COMMITTEE)],
)
async def record_decision(
    year: int,
    body: MajorDecisionIn,
    s: Session,
    user: User,
    member: OfficerSeat,
    clock: Now,
    key: IdempotencyKey = None,
) -> MajorDecision:
    return await committee.record_decision(s, year, body, user, member, clock, key)


@router.get(
    "/cycles/{year}/committee/decisions",
    summary="The committee's decisions on major matters of the year (Art. 7(1))",
    dependencies=[gate(*COMMITTEE_RECORDS)],
)
async def decisions(year: int, s: Session, _: RecordsReader) -> list[MajorDecision]:
    return [MajorDecision.of_decision(d) for d in await cq.major_decisions(s, year)]


@router.get(
    "/cycles/{year}/committee/decisions/{decision_id}",
    summary="One decision of the committee on a major matter",
    dependencies=[gate(*COMMITTEE_RECORDS)],
)
async def decision(year: int, decision_id: str, s: Session, _: RecordsReader) -> MajorDecision:
    d = await cr.major_decision(s, year, decision_id)
    if d is None:
        raise not_found("评委会决定", "Committee decision")
    return MajorDecision.of_decision(d)


@router.get(
    "/cycles/{year}/timeline",
    summary="The cycle's timeline: its own recorded steps in order, the committee's decisions among them",
    dependencies=[gate(*COMMITTEE_RECORDS)],
    response_model_exclude_unset=True,  # `decision` on the entries of decisions only
)
async def timeline(year: int, s: Session, _: RecordsReader) -> list[TimelineEntry]:
    """From the audit log (P4): every entry recorded on the cycle itself (rules approved, roster,
    start, stages, deadline, work report, lists, approval, decisions on major matters), oldest
    first. The entries' details are shown for the committee's decisions only."""
    if not await cr.cycle_or_roster_exists(s, year):
        raise not_found(f"{year}年度评审周期", f"Cycle {year}")
    return [TimelineEntry.of(e) for e in await repo.cycle_timeline(s, year, limit=TIMELINE_LIMIT)]
