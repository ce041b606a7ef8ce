"""What the routes of api/routes/committee.py answer: the roster and the rules, the plenary and its
ballot, the public notice and objections, the final list and the government's decision, results and
certificates (R6.1, R7.1, R14.6-R14.8, R15.1)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, JsonValue
from sqlalchemy import Row

from db import models as m
from domain.ballot import Tally
from domain.final_list import Decision
from domain.types import Award

# a JSON value as it is stored (the published tally, the preliminary list's parts, a list version's
# winners): answered as it was recorded
Stored = dict[str, JsonValue]


class Record(BaseModel):
    """A model read off a database row: each field from the row's attribute of the same name (a
    year from the row's `cycle_year`), but for the values `given`."""

    @classmethod
    def values(cls, row: Any, given: dict[str, Any]) -> dict[str, Any]:
        return {
            f: given[f] if f in given else getattr(row, "cycle_year" if f == "year" else f)
            for f in cls.model_fields
        }

    @classmethod
    def of(cls, row: Any, **given: Any) -> Self:
        return cls.model_validate(cls.values(row, given))


class _Contract(BaseModel):
    """A model of a workflow's answer (a dataclass of contracts/), field for field."""

    @classmethod
    def of(cls, result: Any) -> Self:
        return cls.model_validate(asdict(result))


# --- roster and rules ----------------------------------------------------------------------------
class RosterSeat(BaseModel):
    username: str
    position: str
    post: str


class RosterProposed(BaseModel):
    year: int
    state: str
    members: list[RosterSeat]


class RosterApproved(BaseModel):
    year: int
    state: str
    document_no: str


class RosterMember(BaseModel):
    name: str
    position: str
    post: str


class Roster(BaseModel):
    """The approved roster, as the public reads it."""

    year: int
    document_no: str
    approved_at: datetime | None
    members: list[RosterMember]


class RulesApproved(BaseModel):
    year: int
    rules_hash: str


class RecusalRecorded(BaseModel):
    member: str
    application_id: str


# --- the plenary ---------------------------------------------------------------------------------
class MeetingConvened(_Contract):
    """contracts.cycle.MeetingOpened: the plenary, or a run-off among tied candidates."""

    meeting_id: str
    candidates: list[str]
    present: int
    roster: int
    award: Award | None
    seats: int


class SeatsVacated(BaseModel):
    year: int
    award: Award | None
    vacant_seats: int
    reason: str


class WorkReport(Record):
    year: int
    text: str
    content: dict[str, JsonValue]
    presented_by: str
    presented_at: datetime


class BallotAccepted(BaseModel):
    meeting_id: str
    accepted: bool
    recused: list[str]


class BallotClosed(BaseModel):
    year: int
    ballots_cast: int


class PreliminaryDecisions(BaseModel):
    """The preliminary list the ballot gave, with the reason each candidate left out was given."""

    winners: list[str]
    excluded: dict[str, str]
    ties: list[str]

    @classmethod
    def of(cls, n: m.PublicNotice | None) -> PreliminaryDecisions | None:
        if n is None:
            return None
        return cls(
            winners=[w["application_id"] for w in n.preliminary["winners"]],
            excluded=dict(n.preliminary.get("excluded", {})),
            ties=list(n.preliminary.get("ties", [])),
        )


class Meeting(Record):
    """Attendance, turnout and, once closed, the published tally."""

    id: str
    kind: str
    award: str | None
    seats: int | None
    state: str
    present: int
    roster: int
    candidates: list[str]
    attendance: list[str]
    voted: int
    tally: list[Stored] | None
    preliminary: PreliminaryDecisions | None


class TallyLine(BaseModel):
    """domain.ballot.Tally: one candidate's count."""

    candidate_id: str
    approve: int
    reject: int
    recused: int
    eligible: int
    passed: bool


class Recount(BaseModel):
    meeting_id: str
    recount: list[TallyLine]
    published: list[Stored]
    equal: bool

    @classmethod
    def of(cls, meeting: m.Meeting, counted: list[Tally]) -> Recount:
        lines = [asdict(t) for t in counted]
        return cls(
            meeting_id=meeting.id,
            recount=[TallyLine.model_validate(x) for x in lines],
            published=meeting.tally,
            equal=lines == meeting.tally,
        )


# --- public notice and objections ----------------------------------------------------------------
class NoticedCandidate(BaseModel):
    application_id: str
    enterprise_name: str
    award: str

    @classmethod
    def of(cls, entry: dict[str, Any]) -> NoticedCandidate:
        return cls(
            application_id=entry["application_id"],
            enterprise_name=entry["enterprise_name"],
            award=entry["award"],
        )


class PreliminaryCandidate(NoticedCandidate):
    runoff: str | None  # the run-off meeting that selected it (R14.6)


class SupplementaryListing(BaseModel):
    """补充公示: candidates noticed after the government returned the proposed list."""

    notice_id: str
    published_at: datetime
    closes_at: datetime
    closed: bool
    list: Sequence[NoticedCandidate]

    @classmethod
    def of(cls, sup: m.SupplementaryNotice) -> SupplementaryListing:
        return cls(
            notice_id=sup.id,
            published_at=sup.published_at,
            closes_at=sup.closes_at,
            closed=sup.closed,
            list=[NoticedCandidate.of(c) for c in sup.candidates],
        )


class PublicPreliminary(BaseModel):
    """The preliminary list on public notice (R14.7), its supplementary notices and, once approved,
    the final list."""

    year: int
    published_at: datetime
    closes_at: datetime
    list: list[PreliminaryCandidate]
    runoffs: builtins.list[JsonValue]
    vacated: dict[str, JsonValue]
    supplementary: builtins.list[SupplementaryListing]
    final: builtins.list[NoticedCandidate] | None  # the committee's list is public once approved
    approval_document_no: str | None

    @classmethod
    def of(cls, n: m.PublicNotice, sups: builtins.list[m.SupplementaryNotice]) -> PublicPreliminary:
        approved = n.approval_state == "APPROVED"
        return cls(
            year=n.cycle_year,
            published_at=n.published_at,
            closes_at=n.closes_at,
            list=[
                PreliminaryCandidate(**NoticedCandidate.of(w).model_dump(), runoff=w.get("runoff") or None)
                for w in n.preliminary["winners"]
            ],
            runoffs=n.preliminary.get("runoffs", []),
            vacated=n.preliminary.get("vacated", {}),
            supplementary=[SupplementaryListing.of(sup) for sup in sups],
            final=[NoticedCandidate.of(w) for w in (n.final or {}).get("winners", [])] if approved else None,
            approval_document_no=n.approval_document_no or None,
        )


class ObjectionFiled(BaseModel):
    objection_id: str
    investigated: bool
    closes_at: datetime


class FindingDecision(Record):
    application_id: str
    decision: str
    reasons: str
    decided_by: str
    decided_at: datetime


class ObjectionRecord(Record):
    """An objection, its investigation report and the committee's decisions. `name` (who
    objected) is answered to the office and the auditor only, and left out for anyone else."""

    id: str
    notice_id: str | None  # the supplementary notice it was filed during (None: the preliminary)
    application_id: str | None
    concerns: list[str]
    anonymous: bool
    name: str | None = None
    facts: str
    evidence: str
    filed_at: datetime
    investigated: bool
    state: str
    investigator: str | None
    due_at: datetime | None
    conclusion: str
    findings: str
    reported_at: datetime | None
    decisions: list[FindingDecision]
    awaiting_decision: list[str]

    @classmethod
    def of_objection(
        cls, o: m.Objection, decisions: list[m.CommitteeReview], awaiting: list[str], *, identity: bool
    ) -> ObjectionRecord:
        values = cls.values(
            o,
            {
                "investigated": o.investigate,
                "decisions": [FindingDecision.of(d) for d in decisions],
                "awaiting_decision": awaiting,
            },
        )
        if not identity:
            del values["name"]
        return cls.model_validate(values)


class ObjectionScoped(BaseModel):
    objection_id: str
    concerns: list[str]


class FindingDecided(Record):
    objection_id: str
    application_id: str
    decision: str
    decision_zh: str
    decided_by: str
    decided_at: datetime

    @classmethod
    def of_review(cls, r: m.CommitteeReview) -> FindingDecided:
        return cls.of(r, decision_zh=Decision(r.decision).name_zh)


class InvestigatorAssigned(BaseModel):
    objection_id: str
    investigator: str
    due_at: datetime


class ReportSubmitted(BaseModel):
    objection_id: str
    conclusion: str


# --- the final list and the government's approval -----------------------------------------------
class ListEntry(BaseModel):
    """contracts.cycle.ListEntry."""

    application_id: str
    award: Award
    enterprise_name: str
    final_score: str
    approve: int
    runoff: str


class FixedList(_Contract):
    """contracts.cycle.FinalList: the version the committee fixed."""

    winners: list[ListEntry]
    removed: dict[str, str]
    version: int
    reinstated: dict[str, str]
    kept: dict[str, str]
    answers_version: int
    supplemented: dict[str, str]
    supplementary: str


class SupplementaryPublished(_Contract):
    """contracts.cycle.SupplementaryNotice: the supplementary notice (补充公示) published."""

    notice_id: str
    seq: int
    answers_version: int
    candidates: list[ListEntry]
    published_at: datetime
    closes_at: datetime


class ListVersion(Record):
    """A version of the list proposed to the government, with the decision on it (R14.8)."""

    version: int
    winners: list[Stored]
    removed: dict[str, str]
    reinstated: dict[str, str]
    kept: dict[str, str]
    supplemented: dict[str, str]  # came through a supplementary notice (补充公示) -> how and why
    supplementary_notice: str | None
    note: str
    fixed_by: str
    fixed_at: datetime
    answers_version: int | None
    answers_reason: str
    state: str
    decided_by: str | None
    decided_at: datetime | None
    document_no: str
    return_reason: str

    @classmethod
    def of_version(cls, v: m.FinalListVersion) -> ListVersion:
        return cls.of(v, supplementary_notice=v.supplementary_notice or None)


class GovernmentDecision(BaseModel):
    year: int
    decision: str
    version: int | None


class Winner(BaseModel):
    certificate_number: str
    award: str
    enterprise_name: str
    application_id: str


class Results(BaseModel):
    """The approved result with certificate numbers."""

    year: int
    approval_document_no: str
    winners: list[Winner]

    @classmethod
    def of(cls, n: m.PublicNotice, certs: Sequence[Row[m.Certificate, str]]) -> Results:
        return cls(
            year=n.cycle_year,
            approval_document_no=n.approval_document_no,
            winners=[
                Winner(
                    certificate_number=c.number,
                    award=c.award,
                    enterprise_name=name,
                    application_id=c.application_id,
                )
                for c, name in certs
            ],
        )


class Certificate(Record):
    """A certificate and its plaque text."""

    number: str
    year: int
    award: str
    application_id: str
    text: str
    plaque_text: str
    workflow_id: str
    issued_at: datetime
