"""Inputs and results of workflows, updates, signals, queries and activities.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

from domain.aftercare import AftercareRules
from domain.eligibility import ConditionCheck
from domain.intake import DocumentRef
from domain.qualification import QualificationDecision, QualificationResult
from domain.review import ReviewPurpose
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
    # `field` above shadows dataclasses.field inside this class body
    self_assessment: dict[str, int] = dataclasses.field(default_factory=dict)


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
    recipient_user_id: int | None = None
    recipient_role: str | None = None


# --- expert panels (document and on-site review) ----------------------------------------------
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
class DrawRequest:
    """Activity input: draw (or return the recorded) panels for applications of a cycle."""

    year: int
    purpose: ReviewPurpose
    draw_id: str
    seed: int
    application_ids: list[str]
    rules: CycleRules
    actor: Actor
    at: datetime
    exclude: dict[str, list[int]] = field(default_factory=dict)
    # on-site panels without document-review members when the rules do not allow reuse
    exclude_members_of: ReviewPurpose | None = None


@dataclass
class UnfilledSeatInfo:
    application_id: str
    seat: int
    reason_code: str
    reason_zh: str
    reason_en: str


@dataclass
class DrawOutcome:
    draw_id: str
    seed: int
    input_hash: str
    panels: dict[str, list[PanelSeat]]
    unfilled: list[UnfilledSeatInfo] = field(default_factory=list)


@dataclass
class DrawPanelsInput:
    """Office -> cycle update: draw the panels for the applications that wait for one."""

    actor: Actor
    visits: dict[str, date] = field(default_factory=dict)  # on-site only: visit date per application


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
class OnsiteListInput:
    application_ids: list[str]
    note: str
    actor: Actor


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
class ReviewProgress:
    """Child -> parent signal: the consolidated score of a review stage."""

    application_id: str
    purpose: ReviewPurpose
    total: str


@dataclass
class OnsiteListRecord:
    year: int
    listed: list[str]
    not_listed: list[str]
    note: str
    actor: Actor
    at: datetime


# --- committee, ballot, public notice, approval, certificates -----------------------------------
@dataclass
class ConveneInput:
    """Office -> cycle update: convene the plenary with the members present (attendance is public)."""

    attendees: list[str]  # usernames of the committee members present
    actor: Actor


@dataclass
class OpenMeetingRequest:
    year: int
    meeting_id: str
    attendees: list[str]
    candidates: list[str]
    rules: CycleRules
    actor: Actor
    at: datetime


@dataclass
class MeetingOpened:
    meeting_id: str
    candidates: list[str]
    present: int
    roster: int


@dataclass
class BallotStatus:
    present: int
    voted: int


@dataclass
class CloseBallotRequest:
    year: int
    meeting_id: str
    rules: CycleRules
    at: datetime


@dataclass
class ListEntry:
    application_id: str
    award: Award
    enterprise_name: str
    final_score: str
    approve: int


@dataclass
class Preliminary:
    """The preliminary list (初步入选名单) per award after the ballot."""

    winners: list[ListEntry]
    excluded: dict[str, str]  # application id -> reason (Chinese)
    ties: list[str] = field(default_factory=list)
    tally: list[dict[str, int | str | bool]] = field(default_factory=list)


@dataclass
class PublishPreliminaryRequest:
    year: int
    preliminary: Preliminary
    rules: CycleRules
    at: datetime


@dataclass
class NoticeWindow:
    published_at: datetime
    closes_at: datetime


@dataclass
class ObjectionInput:
    """The public files an objection during the notice (R14.7)."""

    application_id: str
    facts: str
    evidence: str = ""
    anonymous: bool = False
    name: str = ""
    contact: str = ""


@dataclass
class ObjectionFiled:
    objection_id: str
    investigated: bool
    closes_at: datetime


@dataclass
class RecordObjectionInput:
    objection_id: str
    year: int
    objection: ObjectionInput
    investigated: bool
    at: datetime


@dataclass
class ObjectionWorkflowInput:
    objection_id: str
    year: int
    application_id: str
    enterprise_name: str
    rules: CycleRules
    cycle_workflow_id: str


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
    findings: str


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


@dataclass
class ObjectionState:
    objection_id: str
    application_id: str
    stage: str
    investigator: str | None
    due_at: datetime | None
    conclusion: str
    waiting_for: str


@dataclass
class FinalListInput:
    actor: Actor  # the committee chair (or a vice-chair) for the committee
    note: str = ""


@dataclass
class FinalList:
    winners: list[ListEntry]
    removed: dict[str, str]  # application id -> reason


@dataclass
class RecordFinalListInput:
    year: int
    final: FinalList
    actor: Actor
    at: datetime
    note: str = ""


@dataclass
class GovernmentDecisionInput:
    approved: bool
    document_no: str
    reason: str
    actor: Actor


@dataclass
class RecordApprovalInput:
    year: int
    decision: GovernmentDecisionInput
    at: datetime


@dataclass
class IssueCertificatesRequest:
    year: int
    winners: list[ListEntry]
    document_no: str
    at: datetime


@dataclass
class CertificateIssued:
    application_id: str
    number: str
    award: Award
    enterprise_name: str
    workflow_id: str


@dataclass
class FinalResult:
    """Cycle -> application signal: the outcome of the year."""

    awarded: bool
    reason: str
    certificate_number: str = ""


@dataclass
class AwardFacts:
    year: int
    award: Award
    application_id: str
    enterprise_id: int
    enterprise_name: str
    credit_code: str
    certificate_number: str
    approval_document_no: str
    issued_at: datetime
    # Added with Art. 17-19 support; awards started before it run the defaults.
    aftercare: AftercareRules = field(default_factory=AftercareRules)


# --- after the award (Art. 17-19) ---------------------------------------------------------------
@dataclass
class RevocationProposalInput:
    reason: str
    evidence: str
    actor: Actor


@dataclass
class RevocationDecisionInput:
    approved: bool
    document_no: str
    reason: str
    actor: Actor


@dataclass
class RecoveryInput:
    item: str  # RecoveryItem
    note: str
    actor: Actor


@dataclass
class MisuseReportInput:
    kind: str  # MisuseKind
    facts: str
    evidence: str
    source: str  # who reported it (a complaint, the office's own inspection, ...)
    actor: Actor


@dataclass
class MisuseOpened:
    case_id: str
    workflow_id: str
    due_at: datetime


@dataclass
class MisuseCaseInput:
    case_id: str
    award: AwardFacts
    kind: str
    facts: str
    evidence: str
    source: str
    actor: Actor
    ordered_at: datetime


@dataclass
class CorrectionInput:
    description: str
    actor: Actor


@dataclass
class VerificationInput:
    accepted: bool
    note: str
    actor: Actor


@dataclass
class MisuseCaseState:
    case_id: str
    certificate_number: str
    state: str
    due_at: datetime
    waiting_for: str


@dataclass
class FollowUpReportInput:
    text: str
    actor: Actor


@dataclass
class ExperienceInput:
    round_no: int
    title: str
    text: str
    actor: Actor


@dataclass
class FollowUpRound:
    round_no: int
    state: str  # FollowUpState
    requested_at: datetime
    due_at: datetime


@dataclass
class AwardState:
    certificate_number: str
    status: str  # AwardStatus
    rounds: list[FollowUpRound]
    misuse_cases: list[str]
    recovered: list[str]
    waiting_for: str
    revoked_at: datetime | None = None


@dataclass
class RecordRevocationInput:
    case_id: str
    award: AwardFacts
    state: str  # PROPOSED, APPROVED, REJECTED
    reason: str
    evidence: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str = ""
    decided_at: datetime | None = None
    document_no: str = ""
    decision_reason: str = ""


@dataclass
class RecordRecoveryInput:
    certificate_number: str
    item: str
    note: str
    actor: str
    at: datetime


@dataclass
class RecordMisuseInput:
    case_id: str
    workflow_id: str
    award: AwardFacts
    kind: str
    facts: str
    evidence: str
    source: str
    state: str
    opened_by: str
    ordered_at: datetime
    due_at: datetime
    at: datetime
    actor: str
    correction: str = ""
    verification_note: str = ""
    version: int = 1  # records of one case are numbered; an older one never overwrites a newer


@dataclass
class RecordFollowUpInput:
    certificate_number: str
    round_no: int
    state: str
    requested_at: datetime
    due_at: datetime
    at: datetime
    actor: str = "system"
    report: str = ""
    experience_title: str = ""
    version: int = 1  # records of one award's rounds are numbered; an older one never overwrites a newer
