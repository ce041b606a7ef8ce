"""Inputs and results of the application workflow (ApplicationWorkflow) and its activities.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.common import Actor
from domain.eligibility import ConditionCheck
from domain.qualification import QualificationDecision, QualificationResult
from domain.review import ReviewPurpose
from domain.rules import CycleRules
from domain.types import ApplicationStage, Award, Outcome


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
    panels: dict[ReviewPurpose, list[PanelSeat]] = field(default_factory=dict)
    scored: dict[ReviewPurpose, list[int]] = field(default_factory=dict)  # who has scored, never the scores
    review_due: dict[ReviewPurpose, datetime] = field(default_factory=dict)
    totals: dict[ReviewPurpose, str] = field(default_factory=dict)
    confirmation_due: datetime | None = None


@dataclass
class ApplicationResult:
    application_id: str
    outcome: Outcome
    stage: ApplicationStage


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
class PanelSeat:
    expert_id: int
    name: str
    user_id: int | None
    leader: bool = False


@dataclass
class PanelAssignment:
    """Cycle -> application signal: its panel for one purpose, drawn and recorded."""

    purpose: ReviewPurpose
    draw_id: str
    members: list[PanelSeat]
    visit_date: date | None = None


@dataclass
class ReplacementRequest:
    application_id: str
    year: int
    purpose: ReviewPurpose
    draw_id: str
    seed: int
    leaving: int
    reason: str
    rules: CycleRules
    actor: Actor
    at: datetime


@dataclass
class ReplaceExpertInput:
    expert_id: int
    reason: str
    actor: Actor
    disqualified: bool = False


@dataclass
class ExpertScoreInput:
    expert_id: int
    scores: dict[str, int]
    strengths: str
    improvements: str
    actor: Actor


@dataclass
class PanelOpinionInput:
    """The leader's consolidated opinion (document review) or on-site report (on-site review)."""

    expert_id: int
    scores: dict[str, int]
    opinion: str
    actor: Actor
    rationales: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordScoreInput:
    application_id: str
    purpose: ReviewPurpose
    expert_id: int
    scores: dict[str, int]
    total: str
    strengths: str
    improvements: str
    actor: Actor
    at: datetime


@dataclass
class RecordOpinionInput:
    application_id: str
    purpose: ReviewPurpose
    leader_expert_id: int
    scores: dict[str, int]
    total: str
    category_points: dict[str, str]
    opinion: str
    rationales: dict[str, str]
    actor: Actor
    at: datetime
    visit_date: date | None = None


@dataclass
class OnsiteDecision:
    """Cycle -> application signal: listed for on-site review or not."""

    listed: bool
    note: str = ""


@dataclass
class ConfirmationInput:
    """The enterprise confirms the on-site report, or disputes it with reasons (R14.5)."""

    confirmed: bool
    reason: str
    actor: Actor


@dataclass
class SettlementInput:
    settlement: str
    actor: Actor
    revised_scores: dict[str, int] | None = None


@dataclass
class RecordConfirmationInput:
    application_id: str
    confirmation: str  # CONFIRMED / DISPUTED / SETTLED / DEEMED_CONFIRMED
    reason: str
    actor: Actor
    at: datetime
    revised_scores: dict[str, int] | None = None
    revised_total: str | None = None


@dataclass
class FinalResult:
    """Cycle -> application signal: the outcome of the year."""

    awarded: bool
    reason: str
    certificate_number: str = ""
