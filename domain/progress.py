"""Where an application stands, in order, and the gates of the cycle (P5).

The cycle does not count its applications in memory: each application records its stage in
PostgreSQL, and a gate of the cycle is passed when no application of the year is in one of the
gate's pending stages any more. Stages only move forward, so a write that arrives late (a retried
activity) never takes an application back: a write carries the stage's rank and is ignored when
the stored rank is higher.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from domain.calendar import format_cst
from domain.types import ApplicationStage, CycleStage

CYCLE_ORDER: dict[CycleStage, int] = {stage: i for i, stage in enumerate(CycleStage)}

S = ApplicationStage

# Every path through the procedure visits stages in this order (the enum's order).
RANK: dict[ApplicationStage, int] = {stage: i for i, stage in enumerate(ApplicationStage)}

FINAL_STAGES = frozenset({S.NOT_QUALIFIED, S.NOT_SHORTLISTED, S.AWARDED, S.NOT_AWARDED})


def rank(stage: ApplicationStage) -> int:
    return RANK[stage]


class Gate(StrEnum):
    """What the cycle waits for before its next stage."""

    QUALIFICATION = "QUALIFICATION"  # every application decided (资格审查)
    DOCUMENT_REVIEW = "DOCUMENT_REVIEW"  # every qualified application has its panel opinion
    ONSITE_REVIEW = "ONSITE_REVIEW"  # every listed application's on-site report confirmed or settled
    INVESTIGATIONS = "INVESTIGATIONS"  # every objection under investigation reported (R14.7)
    RESULTS = "RESULTS"  # every candidate told its result (awarded or not)

    @property
    def pending(self) -> frozenset[ApplicationStage]:
        """The application stages that hold this gate (none for the investigations gate)."""
        return _PENDING[self]

    def outstanding(self, pending: int, total: int) -> str:
        """What still holds the gate, for operators: "3 applications not yet decided (of 120)"."""
        return f"{pending} {_OUTSTANDING[self]} (of {total} applications)"


_PENDING: dict[Gate, frozenset[ApplicationStage]] = {
    Gate.QUALIFICATION: frozenset({S.SUBMITTED, S.QUALIFICATION_CHECK, S.QUALIFICATION_DECISION}),
    Gate.DOCUMENT_REVIEW: frozenset({S.AWAITING_DOCUMENT_REVIEW, S.DOCUMENT_REVIEW}),
    Gate.ONSITE_REVIEW: frozenset(
        {S.AWAITING_ONSITE, S.ONSITE_REVIEW, S.ONSITE_CONFIRMATION, S.ONSITE_DISPUTED}
    ),
    Gate.INVESTIGATIONS: frozenset(),
    Gate.RESULTS: frozenset({S.AWAITING_COMMITTEE}),
}

_OUTSTANDING: dict[Gate, str] = {
    Gate.QUALIFICATION: "applications not yet decided",
    Gate.DOCUMENT_REVIEW: "qualified applications without a panel opinion",
    Gate.ONSITE_REVIEW: "listed applications without a confirmed report",
    Gate.INVESTIGATIONS: "investigation reports outstanding",
    Gate.RESULTS: "candidates not yet told their result",
}


def waiting_for_decision(undecided: int, due: datetime | None) -> str:
    """What an application waits for after its automatic checks (operators' text)."""
    by = f", due {format_cst(due)} CST" if due is not None else ""
    return (
        "Waiting for the office's qualification decision (资格审查决定), "
        f"{undecided} conditions need judgement{by}"
    )
