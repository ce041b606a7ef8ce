"""Inputs and results of the application workflow (ApplicationWorkflow) and its activities.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.common import Actor, DeadlineMarks, NoticeInput
from domain.eligibility import ConditionCheck
from domain.qualification import QualificationDecision, QualificationResult
from domain.review import ItemComment, ReviewPurpose
from domain.rules import CycleRules
from domain.types import ApplicationStage, Award, Outcome


@dataclass
class ApplicationInput:
    """What the application's workflow starts with; the submission itself is in PostgreSQL."""

    application_id: str
    year: int
    award: Award
    enterprise_id: int
    credit_code: str
    enterprise_name: str
    rules: CycleRules


@dataclass
class IntakeClosed:
    """Cycle -> application signal: the call closed at `deadline` (conditions are judged then)."""

    deadline: datetime


# --- panels --------------------------------------------------------------------------------------
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
class PanelReview:
    """One panel review (document or on-site) of an application, as its workflow holds it."""

    purpose: ReviewPurpose
    draw_id: str
    members: list[PanelSeat]
    assigned_at: datetime
    due: datetime
    visit_date: date | None = None
    scores: dict[int, dict[str, int]] = field(default_factory=dict)  # expert -> percent per item
    set_aside: dict[int, dict[str, int]] = field(default_factory=dict)  # scores of replaced experts
    reminded: list[tuple[int, str]] = field(default_factory=list)  # (expert, due) reminders sent
    marks: DeadlineMarks = field(default_factory=DeadlineMarks)
    version: int = 0  # bumps when the panel changes
    opinion_total: str | None = None
    opinion_text: str = ""

    @property
    def active(self) -> list[int]:
        return [m.expert_id for m in self.members]

    @property
    def leader(self) -> int | None:
        return next((m.expert_id for m in self.members if m.leader), None)

    def pending(self) -> list[PanelSeat]:
        return [m for m in self.members if m.expert_id not in self.scores]

    def all_scored(self) -> bool:
        return not self.pending()


@dataclass
class OnsiteDecision:
    """Cycle -> application signal: listed for on-site review or not."""

    listed: bool
    note: str = ""


@dataclass
class FinalResult:
    """Cycle -> application signal: the outcome of the year."""

    awarded: bool
    reason: str
    certificate_number: str = ""


# --- updates from the API ------------------------------------------------------------------------
@dataclass
class DecideQualificationInput:
    decision: QualificationDecision
    actor: Actor


@dataclass
class ConfirmationInput:
    """The enterprise confirms the on-site report, or disputes it with reasons (R14.5)."""

    confirmed: bool
    reason: str
    actor: Actor


@dataclass
class ApplicationState:
    """Everything the application's workflow holds (one enterprise's way through Art. 14)."""

    stage: ApplicationStage = ApplicationStage.SUBMITTED
    outcome: Outcome = Outcome.PENDING
    waiting_for: str = "Waiting for the call for applications to close (等待申报截止)"
    deadline: datetime | None = None
    decision_due: datetime | None = None
    decision_marks: DeadlineMarks = field(default_factory=DeadlineMarks)
    checks: list[ConditionCheck] = field(default_factory=list)
    result: QualificationResult | None = None
    decided: bool = False  # the decision is recorded
    reviews: dict[ReviewPurpose, PanelReview] = field(default_factory=dict)
    onsite_decision: OnsiteDecision | None = None
    confirmation: ConfirmationInput | None = None
    confirmation_recorded: bool = False
    confirmation_due: datetime | None = None
    confirmation_marks: DeadlineMarks = field(default_factory=DeadlineMarks)
    settled: bool = False
    final: FinalResult | None = None
    retries: int = 0


@dataclass
class ApplicationView:
    """The live state as the query answers it (who has scored, never the scores)."""

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
    scored: dict[ReviewPurpose, list[int]] = field(default_factory=dict)
    review_due: dict[ReviewPurpose, datetime] = field(default_factory=dict)
    totals: dict[ReviewPurpose, str] = field(default_factory=dict)
    confirmation_due: datetime | None = None


@dataclass
class ApplicationResult:
    application_id: str
    outcome: Outcome
    stage: ApplicationStage


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
    # per item: strengths and opportunities for improvement (R14.2, R14.4)
    item_comments: dict[str, ItemComment] = field(default_factory=dict)


@dataclass
class PanelOpinionInput:
    """The leader's consolidated opinion (document review) or on-site report (on-site review)."""

    expert_id: int
    scores: dict[str, int]
    opinion: str
    actor: Actor
    rationales: dict[str, str] = field(default_factory=dict)
    # the panel's strengths and opportunities per item, for the applicant's feedback report (R14.4)
    item_comments: dict[str, ItemComment] = field(default_factory=dict)


@dataclass
class SettlementInput:
    settlement: str
    actor: Actor
    revised_scores: dict[str, int] | None = None


# --- activities ------------------------------------------------------------------------------------
@dataclass
class Progress:
    """Where the application stands after a step, recorded with the step in one transaction:
    stage (only forward), outcome, what it waits for and until when, and the notices it sends
    (the outbox; the worker's relay delivers them)."""

    application_id: str
    year: int
    stage: ApplicationStage
    outcome: Outcome
    waiting_for: str
    at: datetime
    due_at: datetime | None = None
    notices: list[NoticeInput] = field(default_factory=list)


@dataclass
class QualificationChecksInput:
    application_id: str
    deadline: datetime
    district: str
    at: datetime
    decision_due: datetime | None = None


@dataclass
class RecordDecisionInput:
    application_id: str
    decision: QualificationDecision
    result: QualificationResult
    actor: Actor
    at: datetime
    progress: Progress | None = None


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
class ReplacementOutcome:
    """The panel after a replacement draw, or None with the reason when no alternate was eligible."""

    draw_id: str
    members: list[PanelSeat] | None
    reason_zh: str = ""


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
    progress: Progress | None = None
    item_comments: dict[str, ItemComment] = field(default_factory=dict)


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
    progress: Progress | None = None
    item_comments: dict[str, ItemComment] = field(default_factory=dict)


@dataclass
class RecordConfirmationInput:
    application_id: str
    confirmation: str  # CONFIRMED / DISPUTED / SETTLED / DEEMED_CONFIRMED
    reason: str
    actor: Actor
    at: datetime
    revised_scores: dict[str, int] | None = None
    revised_total: str | None = None
    progress: Progress | None = None
