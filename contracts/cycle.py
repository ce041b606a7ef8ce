"""Inputs and results of the award cycle workflow (AwardCycleWorkflow) and its activities.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.application import PanelSeat
from contracts.common import Actor
from domain.intake import DocumentRef
from domain.review import ReviewPurpose
from domain.rules import CycleRules
from domain.types import ApplicationStage, Award, CycleStage, Outcome


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
class OnsiteListInput:
    application_ids: list[str]
    note: str
    actor: Actor


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
