"""Inputs and results of the objection workflow (ObjectionWorkflow) and its activities.

An objection's content (facts, evidence, the objector's name and contact) is stored by the API
in PostgreSQL before its workflow starts; only its id and the public facts of the notice (the
application on the list and its name) pass through Temporal (P6).
Fields added later must have defaults so that histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from contracts.common import Actor, DeadlineMarks, NoticeInput
from domain.rules import CycleRules


@dataclass
class ObjectionWorkflowInput:
    objection_id: str
    year: int
    application_id: str
    enterprise_name: str
    rules: CycleRules
    notice_id: str = ""  # filed during this supplementary notice (补充公示); "": the preliminary list's


@dataclass
class AssignInvestigatorInput:
    investigator: str  # username of an office account
    investigator_user_id: int
    actor: Actor


@dataclass
class InvestigationReportInput:
    findings: str
    conclusion: str  # SUBSTANTIATED / UNSUBSTANTIATED
    actor: Actor


@dataclass
class ObjectionConcluded:
    objection_id: str
    application_id: str
    conclusion: str


@dataclass
class InvestigationState:
    """Everything the objection's workflow holds."""

    stage: str = "AWAITING_INVESTIGATOR"
    investigator: AssignInvestigatorInput | None = None
    due: datetime | None = None
    report: InvestigationReportInput | None = None
    marks: DeadlineMarks = field(default_factory=DeadlineMarks)
    waiting_for: str = "Waiting for the office to assign an investigator (指定调查人)"
    retries: int = 0


@dataclass
class RecordInvestigationInput:
    objection_id: str
    state: str
    at: datetime
    investigator: str | None = None
    due_at: datetime | None = None
    findings: str = ""
    conclusion: str = ""
    actor: Actor | None = None
    notices: list[NoticeInput] = field(default_factory=list)


@dataclass
class ObjectionState:
    objection_id: str
    application_id: str
    stage: str
    investigator: str | None
    due_at: datetime | None
    conclusion: str
    waiting_for: str
