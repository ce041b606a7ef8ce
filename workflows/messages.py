"""Inputs and results of workflows, updates, signals, queries and activities.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.eligibility import ConditionCheck
from domain.intake import DocumentRef
from domain.qualification import QualificationDecision, QualificationResult
from domain.rules import CycleRules
from domain.types import ApplicationStage, Audience, Award, CycleStage, NoticeKind, Outcome, Role


@dataclass(frozen=True)
class Actor:
    """Who acts. Carried into workflows so every record says who did it (P4)."""

    username: str
    role: Role
    display_name: str = ""


SYSTEM = Actor("system", Role.OFFICE, "系统")


# --- cycle -----------------------------------------------------------------------------------
@dataclass
class StartCycleInput:
    rules: CycleRules
    started_by: Actor


@dataclass
class SubmitApplicationInput:
    enterprise_id: int
    credit_code: str
    enterprise_name: str
    award: Award
    field: str
    sector_tags: list[str]
    documents: list[DocumentRef]
    submitted_by: Actor
    contact_name: str = ""
    contact_phone: str = ""


@dataclass
class SubmitApplicationResult:
    application_id: str
    workflow_id: str
    submitted_at: datetime


@dataclass
class ExtendDeadlineInput:
    new_deadline: datetime
    reason: str
    actor: Actor


@dataclass
class ApplicationRef:
    application_id: str
    credit_code: str
    award: Award
    stage: ApplicationStage = ApplicationStage.SUBMITTED
    outcome: Outcome = Outcome.PENDING


@dataclass
class CycleState:
    year: int
    stage: CycleStage
    deadline: datetime
    intake_open: bool
    waiting_for: str
    applications: list[ApplicationRef] = field(default_factory=list)


@dataclass
class ApplicationProgress:
    """Child -> parent signal: an application moved on."""

    application_id: str
    stage: ApplicationStage
    outcome: Outcome


# --- application -----------------------------------------------------------------------------
@dataclass
class ApplicationInput:
    application_id: str
    year: int
    award: Award
    enterprise_id: int
    credit_code: str
    enterprise_name: str
    rules: CycleRules
    cycle_workflow_id: str


@dataclass
class IntakeClosed:
    """Cycle -> application signal: the call closed at `deadline` (conditions are judged then)."""

    deadline: datetime


@dataclass
class DecideQualificationInput:
    decision: QualificationDecision
    actor: Actor


@dataclass
class ApplicationState:
    application_id: str
    year: int
    award: Award
    stage: ApplicationStage
    outcome: Outcome
    waiting_for: str
    deadline: datetime | None = None
    decision_due: datetime | None = None
    checks: list[ConditionCheck] = field(default_factory=list)
    result: QualificationResult | None = None


@dataclass
class ApplicationResult:
    application_id: str
    outcome: Outcome
    stage: ApplicationStage


# --- activities ------------------------------------------------------------------------------
@dataclass
class RecordCycleInput:
    rules: CycleRules
    workflow_id: str
    actor: Actor
    at: datetime


@dataclass
class CycleStageInput:
    year: int
    stage: CycleStage
    deadline: datetime
    at: datetime


@dataclass
class DeadlineExtendedInput:
    year: int
    old_deadline: datetime
    new_deadline: datetime
    reason: str
    actor: Actor
    at: datetime
    key: str


@dataclass
class RecordApplicationInput:
    application_id: str
    year: int
    workflow_id: str
    submission: SubmitApplicationInput
    at: datetime


@dataclass
class QualificationChecksInput:
    application_id: str
    deadline: datetime
    district: str
    at: datetime


@dataclass
class RecordDecisionInput:
    application_id: str
    decision: QualificationDecision
    result: QualificationResult
    actor: Actor
    at: datetime


@dataclass
class ApplicationStageInput:
    application_id: str
    stage: ApplicationStage
    outcome: Outcome
    at: datetime


@dataclass
class NoticeInput:
    key: str  # business id, e.g. "qualification-feedback-2027-0003": one notice per key
    kind: NoticeKind
    audience: Audience
    title: str
    body: str
    at: datetime
    cycle_year: int | None = None
    enterprise_id: int | None = None
    application_id: str | None = None
