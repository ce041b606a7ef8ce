"""Inputs and results of the award cycle workflow (AwardCycleWorkflow) and its activities.

The cycle carries no per-application data: applications, panels, scores, objections and lists
live in PostgreSQL, and the cycle's state (`CycleState`) is a handful of flags, counters and
small results whatever the number of applications (P5). Fields added later must have defaults
so that histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.common import Actor, NoticeInput
from domain.progress import Gate
from domain.review import ReviewPurpose
from domain.rules import CycleRules
from domain.types import Award, CycleStage


# --- the cycle's state (carried by continue-as-new) ---------------------------------------------
@dataclass
class MeetingOpened:
    meeting_id: str
    candidates: list[str]
    present: int
    roster: int
    # a run-off (决选投票): the award whose open seats it fills, and how many
    award: Award | None = None
    seats: int = 0


@dataclass
class ListEntry:
    application_id: str
    award: Award
    enterprise_name: str
    final_score: str
    approve: int
    runoff: str = ""  # the run-off meeting that selected it ("" when the plenary did)


@dataclass
class OpenSeats:
    """Seats of an award that a tie across its cut-off left open (R14.6): a run-off among the tied
    candidates fills them, or the committee leaves them vacant."""

    award: Award
    application_ids: list[str]  # sorted; the order means nothing
    seats: int
    source: str  # the meeting whose tally left the tie ("2027-plenary-1", "2027-runoff-1")


@dataclass
class Preliminary:
    """The preliminary list (初步入选名单) per award after the ballot (and the run-offs)."""

    winners: list[ListEntry]
    excluded: dict[str, str]  # application id -> reason (Chinese), candidates of the ballot only
    ties: list[str] = field(default_factory=list)
    tally: list[dict[str, int | str | bool]] = field(default_factory=list)
    open_seats: list[OpenSeats] = field(default_factory=list)  # ties still to settle before the notice
    runoffs: list[str] = field(default_factory=list)  # run-off meetings held, in order
    vacated: dict[str, int] = field(default_factory=dict)  # award -> seats the committee left vacant


@dataclass
class NoticeWindow:
    published_at: datetime
    closes_at: datetime


@dataclass
class FinalList:
    winners: list[ListEntry]
    removed: dict[str, str]  # application id -> reason (every preliminary candidate not on it)
    version: int = 0  # 1, 2, ... (0: fixed before versions were kept)
    reinstated: dict[str, str] = field(default_factory=dict)  # after a return: put back -> reason
    kept: dict[str, str] = field(default_factory=dict)  # kept despite a substantiated finding -> reasons
    answers_version: int = 0  # the returned version this one answers (0: none)
    # added after a supplementary notice (补充公示) -> how and why; the notice's id
    supplemented: dict[str, str] = field(default_factory=dict)
    supplementary: str = ""


@dataclass
class SupplementaryNotice:
    """A supplementary notice (补充公示) of candidates proposed after a return (R14.7, R14.8)."""

    notice_id: str  # "2027-SUPP-1"
    seq: int
    answers_version: int  # the returned version it answers
    candidates: list[ListEntry]
    published_at: datetime
    closes_at: datetime


@dataclass
class GovernmentDecisionInput:
    approved: bool
    document_no: str
    reason: str
    actor: Actor
    version: int = 0  # the version decided on; 0: the one pending (refused if another is named)


@dataclass
class CycleState:
    """Everything the cycle workflow holds; independent of the number of applications."""

    year: int
    deadline: datetime
    stage: CycleStage = CycleStage.CALL_OPEN
    step_done: CycleStage | None = None  # the last step finished (continue-as-new resumes after it)
    intake_open: bool = True
    opened: bool = False  # recorded and the call published
    waiting_for: str = ""
    pokes: int = 0  # wake-ups from activities: a gate's last application moved on
    retries: int = 0  # the office asked to retry a step the database refused
    draws: int = 0
    drawing: bool = False
    onsite_fixed: bool = False
    meeting: MeetingOpened | None = None
    ballots_signalled: int = 0
    ballots_cast: int = 0
    ballot_close_requested: bool = False
    preliminary: Preliminary | None = None
    window: NoticeWindow | None = None
    window_closed: bool = False
    final: FinalList | None = None
    approval: GovernmentDecisionInput | None = None
    returns: list[str] = field(default_factory=list)
    certificates: int = 0
    runoff: MeetingOpened | None = None  # the run-off ballot now open (R14.6)
    runoffs: int = 0  # run-offs convened so far: `{year}-runoff-{n}`
    vacancies: int = 0  # open seats the committee has left vacant
    # the last supplementary notice (补充公示) after a return; pending until its investigations end
    supplementary: SupplementaryNotice | None = None
    supplementary_pending: bool = False


@dataclass
class StartCycleInput:
    rules: CycleRules
    started_by: Actor
    state: CycleState | None = None  # set when the cycle continues as new


# --- updates from the API -----------------------------------------------------------------------
@dataclass
class ExtendDeadlineInput:
    new_deadline: datetime
    reason: str
    actor: Actor


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
class ConveneInput:
    """Office -> cycle update: convene the plenary with the members present (attendance is public)."""

    attendees: list[str]  # usernames of the committee members present
    actor: Actor


@dataclass
class ConveneRunoffInput:
    """Office -> cycle update: convene a run-off among the candidates tied for an award's open seats."""

    attendees: list[str]  # usernames of the committee members present
    actor: Actor
    award: Award | None = None  # needed only when both awards have open seats


@dataclass
class VacateSeatsInput:
    """Committee (chair or vice-chair) -> cycle update: leave an award's open seats vacant (宁缺毋滥)."""

    reason: str
    actor: Actor
    award: Award | None = None  # needed only when both awards have open seats


@dataclass
class FinalListInput:
    actor: Actor  # the committee chair (or a vice-chair) for the committee
    note: str = ""
    # after a return (R14.8): candidates taken off the returned list / put back on it -> reason
    remove: dict[str, str] = field(default_factory=dict)
    reinstate: dict[str, str] = field(default_factory=dict)


@dataclass
class SupplementaryInput:
    """Committee (chair or vice-chair) -> cycle update, after a return: add candidates of the plenary
    left off the published list by a supplementary notice (补充公示)."""

    add: dict[str, str]  # application id -> the committee's reasons
    actor: Actor
    make_room: dict[str, str] = field(default_factory=dict)  # taken off the returned list -> reasons
    note: str = ""


# --- activities ------------------------------------------------------------------------------------
@dataclass
class RecordCycleInput:
    rules: CycleRules
    workflow_id: str
    actor: Actor
    at: datetime
    notices: list[NoticeInput] = field(default_factory=list)


@dataclass
class CycleStageInput:
    """Record the cycle's stage, what it waits for and the gate it waits on (reads come from here)."""

    year: int
    stage: CycleStage
    deadline: datetime
    at: datetime
    waiting_for: str = ""
    gate: Gate | None = None
    intake_open: bool = True
    notices: list[NoticeInput] = field(default_factory=list)


@dataclass
class GateInput:
    year: int
    gate: Gate


@dataclass
class GateStatus:
    pending: int
    total: int


@dataclass
class FanOutInput:
    """Tell every application of the year that waits for it (signals sent in bounded batches)."""

    year: int
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
    notices: list[NoticeInput] = field(default_factory=list)


@dataclass
class UnfilledSeatInfo:
    application_id: str
    seat: int
    reason_code: str
    reason_zh: str
    reason_en: str


@dataclass
class DrawRequest:
    """Activity input: draw (or return the recorded) panels of the year's applications that wait
    for one; the activity finds them in PostgreSQL."""

    year: int
    purpose: ReviewPurpose
    draw_id: str
    seed: int
    rules: CycleRules
    actor: Actor
    at: datetime
    visits: dict[str, date] = field(default_factory=dict)
    # on-site panels without document-review members when the rules do not allow reuse
    exclude_members_of: ReviewPurpose | None = None


@dataclass
class DrawOutcome:
    """A draw's summary: its panels are recorded in PostgreSQL (GET /draws/{id} reads them)."""

    draw_id: str
    seed: int
    input_hash: str
    seated: int  # applications whose panel was seated
    unfilled: list[UnfilledSeatInfo] = field(default_factory=list)  # the first few, for the reply
    unfilled_count: int = 0


@dataclass
class OnsiteListRequest:
    year: int
    listed: list[str]
    note: str
    threshold: str  # Decimal as text: the rules' on-site threshold
    actor: Actor
    at: datetime


@dataclass
class OnsiteListFixed:
    listed: int
    not_listed: int


@dataclass
class OpenMeetingRequest:
    year: int
    meeting_id: str
    attendees: list[str]
    rules: CycleRules
    actor: Actor
    at: datetime
    runoff: OpenSeats | None = None  # a run-off among these tied candidates (not the plenary)


@dataclass
class CloseRunoffRequest:
    """Tally a run-off and complete the preliminary list with its outcome."""

    year: int
    meeting_id: str
    rules: CycleRules
    at: datetime
    preliminary: Preliminary
    seats: OpenSeats


@dataclass
class VacateSeatsRequest:
    year: int
    preliminary: Preliminary
    seats: OpenSeats
    reason: str
    actor: Actor
    at: datetime


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
class PublishPreliminaryRequest:
    year: int
    preliminary: Preliminary
    rules: CycleRules
    at: datetime


@dataclass
class FixFinalListRequest:
    """The committee fixes the list proposed to the government from the preliminary list and the
    investigation reports recorded in PostgreSQL."""

    year: int
    actor: Actor
    at: datetime
    note: str = ""
    version: int = 0  # the version to fix (returns so far + 1); 0: the next one
    remove: dict[str, str] = field(default_factory=dict)
    reinstate: dict[str, str] = field(default_factory=dict)


@dataclass
class PublishSupplementaryRequest:
    year: int
    seq: int
    answers_version: int
    add: dict[str, str]
    make_room: dict[str, str]
    note: str
    rules: CycleRules
    actor: Actor
    at: datetime


@dataclass
class RecordApprovalInput:
    year: int
    decision: GovernmentDecisionInput
    at: datetime
    version: int = 0  # the version decided on (0: the latest)


@dataclass
class IssueCertificatesRequest:
    year: int
    winners: list[ListEntry]
    document_no: str
    at: datetime
    notices: list[NoticeInput] = field(default_factory=list)  # the announcement


@dataclass
class CertificateIssued:
    application_id: str
    number: str
    award: Award
    enterprise_name: str
    workflow_id: str
    enterprise_id: int = 0
    credit_code: str = ""
