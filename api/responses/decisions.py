"""What the routes of api/routes/decisions.py answer: the committee's decisions on major matters
(Art. 7(1), R7.1) and the cycle's timeline."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from db import models as m

from .committee import Record

DECISION_RECORDED = "MAJOR_DECISION_RECORDED"


class Votes(BaseModel):
    in_favour: int | None
    against: int | None
    abstain: int | None


class MajorDecision(Record):
    """A decision of the committee on a major matter, as recorded (a vote or the recorded consent)."""

    id: str
    year: int
    number: int
    subject: str
    decision: str
    method: str
    adopted: bool
    basis: str
    roster_size: int
    present: list[str]
    votes: Votes | None  # a vote's counts (None: taken by consent)
    consenting: list[str]
    attachments: list[str]
    decided_at: datetime
    recorded_by: str
    recorded_position: str
    recorded_at: datetime

    @classmethod
    def of_decision(cls, d: m.MajorDecision) -> MajorDecision:
        votes = Votes(in_favour=d.votes_for, against=d.votes_against, abstain=d.votes_abstain)
        return cls.of(d, votes=votes if d.method == "VOTE" else None)


class DecisionSummary(BaseModel):
    """The recorded outline of a decision on a major matter, as its timeline entry shows it."""

    decision_id: str | None
    method: str | None
    adopted: bool | None
    basis: str | None


class TimelineEntry(BaseModel):
    """One recorded step of the cycle; `decision` only on a decision on a major matter (left out
    on every other entry)."""

    at: datetime
    action: str
    actor: str
    actor_role: str
    summary: str
    decision: DecisionSummary | None = None

    @classmethod
    def of(cls, e: m.AuditEntry) -> TimelineEntry:
        outline = (
            {"decision": DecisionSummary(**{k: e.details.get(k) for k in DecisionSummary.model_fields})}
            if e.action == DECISION_RECORDED
            else {}
        )
        return cls(
            at=e.at,
            action=e.action,
            actor=e.actor,
            actor_role=e.actor_role,
            summary=e.reason,
            **outline,
        )
