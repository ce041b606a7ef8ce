"""Request and response bodies.

Every string a request may carry is one of the annotated types below, built on the one text rule of
`domain/text.py` (P6): `Prose` for multi-line text (CRLF becomes LF; tab and newline allowed) and
`Line` for everything else (names, numbers, ids, codes, usernames: no control character at all). A
refused character is a 422 INVALID_INPUT naming the field, the position and the character, before
anything reaches the database or a workflow.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from domain.eligibility import CheckStatus, Condition
from domain.facts import AccidentCategory, AccidentGrade, CreditStatus, SpotCheckResult
from domain.review import ItemComment
from domain.rules import ITEM_COMMENTS_BELOW, AwardCriteria, CycleRules
from domain.text import RefusedCharacter, clean_line, clean_text
from domain.types import Award, DocumentKind, Role, SectorTag
from domain.types import Field as Sector
from domain.undertaking import Clause as UndertakingClause

# the pydantic error type of a refused character
TEXT_RULE_ERROR = "text_character"


def _refused(e: RefusedCharacter) -> PydanticCustomError:
    return PydanticCustomError(
        TEXT_RULE_ERROR,
        "{message_en} / {message_zh}",
        {"message_en": e.message_en, "message_zh": e.message_zh, "codepoint": e.codepoint},
    )


def _prose(value: str) -> str:
    try:
        return clean_text(value)
    except RefusedCharacter as e:
        raise _refused(e) from None


def _line(value: str) -> str:
    try:
        return clean_line(value)
    except RefusedCharacter as e:
        raise _refused(e) from None


# The two text rules; every other string type of a request is one of them with its bounds.
Prose = Annotated[str, AfterValidator(_prose)]  # multi-line: reasons, findings, notes, reports
Line = Annotated[str, AfterValidator(_line)]  # single line: names, numbers, ids, codes, usernames

Text = Annotated[Prose, Field(min_length=1, max_length=2000)]
Name = Annotated[Line, Field(min_length=1, max_length=200)]
Username = Annotated[Line, Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")]
Password = Annotated[Line, Field(min_length=10, max_length=200)]
CreditCode = Annotated[
    Line, Field(max_length=50, description="统一社会信用代码 (18 characters, GB 32100-2015)")
]
Id = Annotated[Line, Field(min_length=1, max_length=64)]  # application, meeting and other record ids
ItemCode = Annotated[Line, Field(min_length=1, max_length=20)]  # a rubric item code, e.g. 4.1.1
Member = Annotated[Line, Field(min_length=1, max_length=100)]  # the username of a committee member
# an e-mail address, checked by domain.mail.normalize_email (EMAIL_INVALID); "" = none
EmailAddress = Annotated[
    Line, Field(max_length=254, description='e-mail address, e.g. "office@example.com"; "" for none')
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- auth and users -----------------------------------------------------------------------------
class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: Role


class UserOut(BaseModel):
    username: str
    display_name: str
    role: Role
    enterprise_id: int | None
    email: str = ""  # where the account's personal notices are e-mailed


class EmailIn(Strict):
    """An account's e-mail for its personal notices ("" removes it)."""

    email: EmailAddress


# The policy (length, common passwords, username) is checked by domain.accounts with stable codes.
NewPassword = Annotated[Line, Field(min_length=1, max_length=1000)]


class TokenPair(Token):
    """A sign-in: a short access token and an opaque refresh token (rotated on each use)."""

    refresh_token: str
    expires_in: int = Field(description="seconds until the access token expires")
    refresh_expires_at: datetime


class RefreshIn(Strict):
    refresh_token: Annotated[Line, Field(min_length=1, max_length=200)]


class PasswordChangeIn(Strict):
    current_password: Annotated[Line, Field(min_length=1, max_length=1000)]
    new_password: NewPassword


class InvitationAcceptIn(Strict):
    token: Annotated[Line, Field(min_length=1, max_length=200)]
    password: NewPassword


class AccountInvite(Strict):
    """A new account: the invitee sets the password with the invitation token (nobody else knows it)."""

    username: Username
    display_name: Person
    role: Role
    enterprise_credit_code: CreditCode | None = Field(None, description="required for role enterprise")
    email: EmailAddress = Field("", description="e-mail for the account's personal notices (optional)")


class Invitation(BaseModel):
    token: str = Field(description="shown once: hand it to the invitee (POST /auth/invitations/accept)")
    expires_at: datetime


class AccountOut(UserOut):
    status: Literal["INVITED", "ACTIVE", "DEACTIVATED"]


class AccountInvited(AccountOut):
    invitation: Invitation


class DeactivationIn(Strict):
    reason: Text


class InvitationAccepted(BaseModel):
    username: str
    role: Role


# --- enterprises and eligibility facts ----------------------------------------------------------
District = Annotated[Line, Field(min_length=1, max_length=50)]
Person = Annotated[Line, Field(min_length=1, max_length=100)]
DocumentNo = Annotated[Line, Field(min_length=1, max_length=100)]


class EnterpriseIn(Strict):
    credit_code: CreditCode
    name: Name
    registered_district: District
    tax_district: District
    independent_legal_person: bool
    registration_date: date
    field: Sector
    sector_tags: list[SectorTag] = []
    contact_email: EmailAddress = Field("", description="where the enterprise's notices are e-mailed")


class ContactEmailIn(Strict):
    """The enterprise's contact e-mail for its notices ("" removes it)."""

    contact_email: EmailAddress


class EnterpriseOut(EnterpriseIn):
    model_config = ConfigDict(from_attributes=True)
    # an answer shows the record as stored: the text rule is for input (older records included)
    credit_code: str
    name: str
    registered_district: str
    tax_district: str
    contact_email: str = ""
    id: int
    priority_sector: bool = False


class _FactBase(Strict):
    on: date = Field(description="date the fact refers to")
    source: Text = Field(description="where the office got it (authority, register, report)")
    evidence: Text = Field(description="document number, link or reference of the evidence")


class QmsCertificateFact(_FactBase):
    kind: Literal["QMS_CERTIFICATE"]
    number: Name
    body: Name
    valid_from: date
    valid_to: date

    @model_validator(mode="after")
    def _period(self) -> QmsCertificateFact:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from / 证书有效期截止日早于起始日")
        return self


class SpotCheckFact(_FactBase):
    kind: Literal["SPOT_CHECK"]
    product: Name
    result: SpotCheckResult


class AccidentFact(_FactBase):
    kind: Literal["ACCIDENT"]
    category: AccidentCategory
    grade: AccidentGrade
    summary: Text


class ComplaintFact(_FactBase):
    kind: Literal["MAJOR_COMPLAINT"]
    due_to_organisation: bool
    summary: Text


class ViolationFact(_FactBase):
    kind: Literal["SERIOUS_VIOLATION"]
    summary: Text


class CreditFact(_FactBase):
    kind: Literal["CREDIT_STATUS"]
    status: CreditStatus


class InnovationFact(_FactBase):
    kind: Literal["INNOVATION_RESULT"]
    summary: Text


class ExcellenceFact(_FactBase):
    kind: Literal["EXCELLENCE_MODEL"]
    summary: Text


FactIn = Annotated[
    QmsCertificateFact
    | SpotCheckFact
    | AccidentFact
    | ComplaintFact
    | ViolationFact
    | CreditFact
    | InnovationFact
    | ExcellenceFact,
    Field(discriminator="kind"),
]


class FactOut(BaseModel):
    id: int
    kind: str
    on: date
    source: str
    evidence: str
    attrs: dict[str, Any]
    recorded_by: str
    recorded_at: datetime


class RevocationIn(Strict):
    credit_code: CreditCode
    award: Award
    award_year: int = Field(ge=2000, le=2100)
    revoked_on: date
    reason: Text
    document_no: DocumentNo


class RevocationOut(RevocationIn):
    model_config = ConfigDict(from_attributes=True)
    credit_code: str  # as stored (see EnterpriseOut)
    reason: str
    document_no: str
    id: int
    ban_ends_at: datetime


# --- cycles -------------------------------------------------------------------------------------
CategoryCode = Annotated[Line, Field(pattern=r"^[0-9]+(\.[0-9]+)?$", max_length=10)]


class AwardCriteriaIn(Strict):
    """One award's own criteria (Art. 2): a minimum final score and minimum category points."""

    min_total: int | None = Field(
        None, description="the award's minimum final score (default: min_final_score)"
    )
    min_category_points: dict[CategoryCode, int] = Field(
        default={},
        max_length=20,
        description="rubric category code (e.g. 4.7) -> minimum points in the final scores",
    )


# The rules a cycle starts with: every default is the one of domain.rules.CycleRules (written once).
class CycleStart(Strict):
    year: int = Field(ge=2000, le=2100)
    application_deadline: AwareDatetime
    quota_quality: int = CycleRules.quota_quality
    quota_innovation: int = CycleRules.quota_innovation
    min_final_score: int = CycleRules.min_final_score
    criteria_edition: Annotated[Line, Field(max_length=50)] = CycleRules.criteria_edition
    qualification_review_days: int = CycleRules.qualification_review_days
    qualification_reminder_before: timedelta = CycleRules.qualification_reminder_before
    panel_size: int = CycleRules.panel_size
    expert_load_cap: int = CycleRules.expert_load_cap
    conflict_window_years: int = CycleRules.conflict_window_years
    document_review_period: timedelta = Field(
        CycleRules.document_review_period, description="ISO 8601 duration or seconds"
    )
    review_reminder_before: timedelta = CycleRules.review_reminder_before
    score_spread_tolerance: int = CycleRules.score_spread_tolerance
    onsite_threshold: int = CycleRules.onsite_threshold
    onsite_reuse_members: bool = CycleRules.onsite_reuse_members
    onsite_confirmation_period: timedelta = CycleRules.onsite_confirmation_period
    onsite_reminder_before: timedelta = CycleRules.onsite_reminder_before
    expert_access_ends_with_review: bool = CycleRules.expert_access_ends_with_review
    quorum_numerator: int = CycleRules.quorum_numerator
    quorum_denominator: int = CycleRules.quorum_denominator
    pass_numerator: int = CycleRules.pass_numerator
    pass_denominator: int = CycleRules.pass_denominator
    public_notice_period: timedelta = CycleRules.public_notice_period
    objection_investigation_period: timedelta = CycleRules.objection_investigation_period
    objection_reminder_before: timedelta = CycleRules.objection_reminder_before
    follow_up_interval: timedelta = Field(
        CycleRules.follow_up_interval, description="a follow-up round each year (Art. 18)"
    )
    follow_up_rounds: int = Field(CycleRules.follow_up_rounds, ge=0, le=10)
    follow_up_report_period: timedelta = CycleRules.follow_up_report_period
    misuse_correction_period: timedelta = Field(
        CycleRules.misuse_correction_period, description="责令限期改正 (Art. 19)"
    )
    misuse_reminder_before: timedelta = CycleRules.misuse_reminder_before
    media_exposure_period: timedelta = Field(
        CycleRules.media_exposure_period,
        description="the office records a revocation's exposure in the news media (Art. 17)",
    )
    media_exposure_reminder_before: timedelta = CycleRules.media_exposure_reminder_before
    investigate_anonymous: bool = Field(
        CycleRules.investigate_anonymous,
        description="anonymous objections investigated like named ones (False needs the committee's reason)",
    )
    demo: bool = Field(
        CycleRules.demo, description="a demonstration cycle (shortened notice); refused in production"
    )
    notes: Annotated[Prose, Field(max_length=2000)] = CycleRules.notes
    award_criteria: dict[Award, AwardCriteriaIn] = Field(
        default={},
        description="per award (QUALITY, INNOVATION): its own minimum final score and category minimums (Art. 2)",
    )
    item_comments_below: int = Field(
        CycleRules.item_comments_below,
        description="experts (and the leader's consolidated opinion) write the strengths and "
        "opportunities for improvement of every item scored below this percent: the lower bound of "
        "a scoring band of the criteria edition (e.g. 50; 0 for none)",
    )

    def to_rules(self) -> CycleRules:
        doc = self.model_dump(exclude={"award_criteria"})
        criteria = {
            award: AwardCriteria(c.min_total, dict(c.min_category_points))
            for award, c in self.award_criteria.items()
        }
        return CycleRules(**doc, award_criteria=criteria)

    def document(self) -> dict[str, Any]:
        """The rules as the committee approves them (JSON), fingerprinted: without award criteria the
        document is what it was before they existed, so earlier approvals still match."""
        doc = self.model_dump(mode="json")
        if not doc["award_criteria"]:
            del doc["award_criteria"]
        if doc["item_comments_below"] == ITEM_COMMENTS_BELOW:  # likewise the feedback band's default
            del doc["item_comments_below"]
        return doc


class HolidayCalendarIn(Strict):
    """A year's statutory holidays and adjusted working days, from the State Council's notice
    (国务院办公厅关于…年部分节假日安排的通知)."""

    source: Annotated[
        Prose, Field(min_length=1, max_length=500, description="the notice: title, document number, date")
    ]
    holidays: list[date] = Field(
        default=[], max_length=120, description="every day off of the statutory holidays (放假日)"
    )
    workdays: list[date] = Field(
        default=[], max_length=60, description="Saturdays and Sundays that are working days (调休上班日)"
    )
    note: Annotated[Prose, Field(max_length=2000)] = ""
    replace: bool = Field(False, description="correct a year recorded earlier (cycles started keep theirs)")


class HolidayCalendarOut(BaseModel):
    year: int
    source: str
    note: str
    holidays: list[date]
    workdays: list[date]
    shipped: bool = Field(description="shipped with the system (domain/holidays/{year}.json)")
    recorded_by: str | None = None
    recorded_at: datetime | None = None


class DeadlineExtension(Strict):
    new_deadline: AwareDatetime
    reason: Text


class CycleOut(BaseModel):
    year: int
    workflow_id: str
    stage: str
    deadline: datetime
    intake_open: bool | None = None
    waiting_for: str | None = None
    rules: dict[str, Any]
    rules_revision: str
    criteria_edition: str
    started_by: str
    started_at: datetime
    applications: int | None = None
    gate: str | None = None  # what the cycle waits for before its next stage
    stages: dict[str, int] = {}  # applications per stage
    updated_at: datetime | None = None
    live: dict[str, Any] | None = None  # the workflow's own view, when the office asks (live=true)


# --- documents and applications -----------------------------------------------------------------
class DocumentOut(BaseModel):
    sha256: str
    size: int
    media_type: str
    filename: str


Sha256 = Annotated[Line, Field(pattern=r"^[0-9a-f]{64}$")]


class DocumentRefIn(Strict):
    kind: DocumentKind
    sha256: Sha256
    title: Annotated[Line, Field(max_length=300)] = ""
    conditions: list[Condition] = Field(
        default=[],
        max_length=len(Condition),
        description="an EVIDENCE document: the Art. 11 conditions it supports (R13.1)",
    )


class ApplicationSubmit(Strict):
    award: Award
    documents: Annotated[list[DocumentRefIn], Field(min_length=2, max_length=200)]
    self_assessment: dict[ItemCode, int] = Field(
        description="the enterprise's own score per rubric item, percent in 5 % steps (R13.1)"
    )
    contact_name: Annotated[Line, Field(max_length=100)] = ""
    contact_phone: Annotated[Line, Field(max_length=50)] = ""


class SubmitResult(BaseModel):
    application_id: str
    workflow_id: str
    submitted_at: datetime


class ConditionOut(BaseModel):
    condition: str
    clause: str
    requirement: str
    auto_status: str
    finding: str
    evidence: list[str]
    final_status: str | None
    overridden: bool
    decision_reason: str
    decided_by: str | None
    decided_at: datetime | None
    # an override's record: the facts and documents that contradict the automatic finding
    decision_fact_ids: list[int] = []
    decision_documents: list[str] = []
    # the applicant's evidence documents that name this condition (R13.1)
    supporting_documents: list[dict[str, Any]] = []


class ApplicationSummary(BaseModel):
    """An application as lists show it (one row of a page; the detail has its documents and checks)."""

    id: str
    cycle_year: int
    enterprise_id: int
    enterprise_name: str
    credit_code: str
    award: str
    field: str
    sector_tags: list[str]
    priority_sector: bool
    stage: str
    outcome: str
    waiting_for: str | None = None
    due_at: datetime | None = None
    document_score: str | None = None
    onsite_score: str | None = None
    workflow_id: str
    submitted_at: datetime
    updated_at: datetime | None = None


class ApplicationPage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[ApplicationSummary]


class ApplicationOut(ApplicationSummary):
    """One application in full: its documents, self-assessment, checks, decision and panels."""

    submitted_by: str
    documents: list[dict[str, Any]] = []
    self_assessment: dict[str, int] = {}
    panels: dict[str, list[dict[str, Any]]] | None = None  # office and panel experts only
    scored: dict[str, list[int]] | None = None
    live: dict[str, Any] | None = None  # the workflow's own view, when the office asks (live=true)
    qualification: list[ConditionOut] | None = None
    decision: dict[str, Any] | None = None


class Page(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[Any]


class ConditionDecisionIn(Strict):
    condition: Condition
    status: Literal[CheckStatus.PASS, CheckStatus.FAIL]
    reason: Annotated[Prose, Field(max_length=2000)] = ""
    fact_ids: list[int] = Field(
        default=[],
        max_length=50,
        description="an override: the enterprise's eligibility facts that contradict the automatic finding",
    )
    documents: list[Sha256] = Field(
        default=[],
        max_length=50,
        description="an override: documents the applicant uploaded that contradict the automatic finding",
    )


class QualificationDecisionIn(Strict):
    decisions: list[ConditionDecisionIn] = Field(
        default=[], description="conditions to confirm or override; NEEDS_JUDGEMENT ones are required"
    )
    material_truthful: bool = Field(description="the office attests that the material is truthful (R14.1)")
    truthfulness_note: Annotated[Prose, Field(max_length=2000)] = ""
    note: Annotated[Prose, Field(max_length=2000)] = ""


# --- notices and audit --------------------------------------------------------------------------
class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    audience: str
    cycle_year: int | None
    application_id: str | None
    title: str
    body: str
    created_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None


class DeliveryAttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    attempt: int
    at: datetime
    ok: bool
    result: str


class NoticeDeliveryOut(BaseModel):
    """One e-mail of a notice to one address, with each attempt and its result."""

    id: int
    notice_id: int
    notice_key: str
    notice_kind: str
    notice_title: str
    cycle_year: int | None
    application_id: str | None
    channel: str
    address: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    sent_at: datetime | None
    message_id: str
    created_at: datetime
    attempt_log: list[DeliveryAttemptOut]


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: str
    reason: str
    details: dict[str, Any]
    seq: int
    prev_hash: str
    row_hash: str


class AuditChainHead(BaseModel):
    seq: int = Field(description="0 for an empty log")
    row_hash: str
    id: int | None


class AuditChainBreak(BaseModel):
    id: int | None = Field(description="the audit row's id (null: rows missing at the end)")
    seq: int
    problem: Literal[
        "SEQUENCE_GAP",
        "PREVIOUS_HASH_MISMATCH",
        "ROW_HASH_MISMATCH",
        "ANCHOR_MISMATCH",
        "ROWS_MISSING_AT_END",
    ]
    detail: str


class AuditVerification(BaseModel):
    ok: bool
    rows: int
    head: AuditChainHead
    anchor: str = Field(description="SEQ:ROW_HASH of the last row: keep it, pass it to a later check")
    first_break: AuditChainBreak | None


# --- experts and conflicts ------------------------------------------------------------------------
class EngagementIn(Strict):
    credit_code: CreditCode
    organisation_name: Name
    kind: Literal["EMPLOYMENT", "CONSULTING"]
    start: date
    end: date | None = None


class ExpertIn(Strict):
    name: Person
    qualifications: list[Name] = Field(min_length=1)
    fields: list[Sector] = Field(min_length=1)
    current_employer_credit_code: CreditCode | None = None
    current_employer_name: Annotated[Line, Field(max_length=200)] = ""
    engagements: list[EngagementIn] = []
    available: bool = True
    username: Username | None = None
    password: Password | None = None


class ExpertOut(BaseModel):
    id: int
    name: str
    username: str | None
    qualifications: list[str]
    fields: list[str]
    current_employer_credit_code: str | None
    current_employer_name: str
    available: bool
    status: str
    engagements: list[dict[str, Any]] = []
    discipline: list[dict[str, Any]] = []


class ExpertRegistered(ExpertOut):
    invitation: Invitation | None = Field(None, description="with a username: the account's invitation")


class AvailabilityIn(Strict):
    available: bool
    reason: Text


class UndertakingBreachIn(Strict):
    """The undertaking a discipline answers (Art. 20): the cycle's year and the clause broken."""

    year: int = Field(ge=2000, le=2100)
    clause: UndertakingClause


class DisciplineIn(Strict):
    kind: Literal["CRITICISM", "WARNING", "DISQUALIFICATION"]
    reason: Text
    breach: UndertakingBreachIn | None = Field(
        None, description="a breach of the expert's signed undertaking of that cycle (承诺书)"
    )


# --- the experts' undertaking (承诺书, Art. 20) ---------------------------------------------------------
class UndertakingPublishIn(Strict):
    title: Annotated[Line, Field(min_length=1, max_length=200)] = "鹿城区政府质量奖评审专家承诺书"
    text: Annotated[Prose, Field(min_length=20, max_length=20000)]
    note: Annotated[Prose, Field(max_length=2000)] = ""


class UndertakingSignIn(Strict):
    """The expert signs the version they read, naming it and the sha256 of its text."""

    version: int = Field(ge=1, le=10000)
    text_sha256: Annotated[Line, Field(pattern=r"^[0-9a-fA-F]{64}$")]
    agree: Literal[True] = Field(description="本人已阅读并同意遵守上述承诺")


class UndertakingSignatureOut(BaseModel):
    year: int
    expert_id: int
    expert_name: str = ""
    version: int
    text_sha256: str
    signed_by: str
    signed_at: datetime


class UndertakingOut(BaseModel):
    year: int
    version: int
    title: str
    text: str
    text_sha256: str
    published: bool = Field(description="False: the default text, not yet published or signed by anyone")
    published_by: str | None = None
    published_at: datetime | None = None
    note: str = ""
    my_signature: UndertakingSignatureOut | None = Field(None, description="the calling expert's, if any")


class ConflictDeclarationIn(Strict):
    """Declared by an expert (credit_code) or by an enterprise (expert_name)."""

    credit_code: CreditCode | None = None
    expert_name: Annotated[Line, Field(max_length=100)] | None = None
    evidence: Text


class ConflictResolutionIn(Strict):
    reason: Text


class ConflictOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    expert_id: int
    credit_code: str
    type: str
    source: str
    evidence: str
    state: str
    recorded_by: str
    recorded_at: datetime
    resolved_by: str | None
    resolution: str


# --- review ---------------------------------------------------------------------------------------
ScoreMap = Annotated[
    dict[ItemCode, int], Field(description="percent per rubric item code, e.g. {'4.1.1': 60}")
]


class DrawIn(Strict):
    visits: dict[Id, date] = Field(default={}, description="on-site panels: visit date per application id")


class ItemCommentIn(Strict):
    """优势 and 改进机会 on one rubric item: what the applicant's feedback report tells it."""

    strengths: Annotated[Prose, Field(max_length=3000)] = ""
    opportunities: Annotated[Prose, Field(max_length=3000)] = ""

    def to_domain(self) -> ItemComment:
        return ItemComment(self.strengths, self.opportunities)


ItemComments = Annotated[
    dict[ItemCode, ItemCommentIn],
    Field(
        max_length=100,
        description="per rubric item code: {strengths, opportunities}; required (both) for every item "
        "scored below the cycle's item_comments_below, optional for the others",
    ),
]


class ExpertScoreIn(Strict):
    scores: ScoreMap
    strengths: Annotated[Prose, Field(max_length=5000)] = ""
    improvements: Annotated[Prose, Field(max_length=5000)] = ""
    item_comments: ItemComments = {}

    def comments(self) -> dict[str, ItemComment]:
        return {code: c.to_domain() for code, c in self.item_comments.items()}


class PanelOpinionIn(Strict):
    scores: ScoreMap
    opinion: Annotated[Prose, Field(min_length=1, max_length=10000)]
    rationales: dict[ItemCode, Annotated[Prose, Field(max_length=2000)]] = {}
    # the panel's strengths and opportunities per item, as the leader writes them for the feedback
    # report (R14.4); the members' comments are the leader's to read (GET …/scores), not copied
    item_comments: ItemComments = {}

    def comments(self) -> dict[str, ItemComment]:
        return {code: c.to_domain() for code, c in self.item_comments.items()}


class ReplaceIn(Strict):
    expert_id: int
    reason: Text


class OnsiteListIn(Strict):
    application_ids: list[Id]
    note: Annotated[Prose, Field(max_length=2000)] = ""


class ConfirmationIn(Strict):
    confirmed: bool
    reason: Annotated[Prose, Field(max_length=5000)] = ""


class SettlementIn(Strict):
    settlement: Text
    revised_scores: ScoreMap | None = None


# --- committee, ballot, notice, approval ----------------------------------------------------------
class RosterMemberIn(Strict):
    username: Member
    position: Literal["CHAIR", "VICE_CHAIR", "MEMBER"]
    post: Annotated[Line, Field(max_length=100)] = Field(
        "",
        description="职务 (Art. 6): the chair is the 区政府分管副区长, the vice-chairs the 区政府办公室联系副主任 "
        "and the 区市场监管局局长; every member is named with a post",
    )


class RosterIn(Strict):
    members: list[RosterMemberIn] = Field(min_length=3)


class RosterApprovalIn(Strict):
    document_no: DocumentNo


class RulesApprovalIn(Strict):
    rules: CycleStart
    note: Annotated[Prose, Field(max_length=2000)] = ""


class VoteCountsIn(Strict):
    in_favour: int = Field(ge=0, le=1000, description="同意")
    against: int = Field(ge=0, le=1000, description="反对")
    abstain: int = Field(ge=0, le=1000, description="弃权")


class MajorDecisionIn(Strict):
    """A decision of the committee on a major matter arising during the review (Art. 7(1))."""

    subject: Annotated[Line, Field(max_length=200, description="事由")]
    decision: Annotated[Prose, Field(max_length=10000, description="决定内容")]
    method: Annotated[Line, Field(max_length=20, description="VOTE (会议表决) or CONSENT (成员书面同意)")]
    present: list[Member] = Field([], max_length=200, description="members present (VOTE): usernames")
    votes: VoteCountsIn | None = Field(None, description="counts of the members present (VOTE)")
    consenting: list[Member] = Field([], max_length=200, description="members who consented (CONSENT)")
    attachments: list[Sha256] = Field([], max_length=20, description="sha256 of stored documents")
    decided_at: AwareDatetime | None = Field(None, description="when it was taken (default: now)")


class RecusalIn(Strict):
    username: Member
    application_id: Id
    reason: Text


class MeetingIn(Strict):
    attendees: list[Member] = Field(min_length=1)


class RunoffIn(Strict):
    """A run-off (决选投票) among the candidates tied for an award's open seats (R14.6)."""

    attendees: list[Member] = Field(min_length=1)
    award: Award | None = Field(default=None, description="needed only when both awards have open seats")


class VacancyIn(Strict):
    """The committee leaves an award's open seats vacant (宁缺毋滥) instead of a run-off."""

    reason: Annotated[Prose, Field(min_length=1, max_length=2000)]
    award: Award | None = Field(default=None, description="needed only when both awards have open seats")


class BallotIn(Strict):
    choices: dict[Id, Literal["APPROVE", "REJECT"]]


class ObjectionIn(Strict):
    application_id: Annotated[
        Line,
        Field(
            max_length=20,
            description="the listed organisation objected to; empty for a problem of the notice itself",
        ),
    ] = ""
    facts: Annotated[Prose, Field(min_length=1, max_length=3000)]
    evidence: Annotated[Prose, Field(max_length=3000)] = ""
    anonymous: bool = False
    name: Annotated[Line, Field(max_length=100)] = ""
    contact: Annotated[Line, Field(max_length=200)] = ""


class InvestigatorIn(Strict):
    username: Member


class InvestigationReportIn(Strict):
    findings: Text
    conclusion: Literal["SUBSTANTIATED", "UNSUBSTANTIATED"]


ListChanges = Annotated[
    dict[Id, Annotated[Prose, Field(min_length=1, max_length=2000)]], Field(max_length=20)
]


class FinalListIn(Strict):
    note: Annotated[Prose, Field(max_length=2000)] = ""
    remove: ListChanges = Field(
        default={}, description="after a return: candidates taken off the returned list -> reason"
    )
    reinstate: ListChanges = Field(
        default={},
        description="after a return: candidates of the published preliminary list put back -> reason",
    )


class SupplementaryIn(Strict):
    """After a return: the committee proposes candidates of the plenary left off the published
    preliminary list, for a supplementary notice (补充公示) of their own."""

    add: ListChanges = Field(description="candidates to notice and add -> the committee's reasons")
    make_room: ListChanges = Field(
        default={}, description="candidates of the returned list taken off to make room -> reasons"
    )
    note: Annotated[Prose, Field(max_length=2000)] = ""


class ObjectionScopeIn(Strict):
    """The office: which candidates of the list an objection concerns (before or during its investigation)."""

    application_ids: list[Id] = Field(max_length=20)
    note: Annotated[Prose, Field(max_length=2000)] = ""


class CommitteeDecisionIn(Strict):
    """审查: the committee's decision on a substantiated finding, given by the chair or a vice-chair."""

    decision: Literal["REMOVE", "KEEP"]
    reasons: Text
    application_id: Annotated[
        Line, Field(max_length=64, description="the candidate; may be left out if the objection concerns one")
    ] = ""


class GovernmentDecisionIn(Strict):
    approved: bool
    document_no: Annotated[Line, Field(max_length=100)] = ""
    reason: Annotated[Prose, Field(max_length=2000)] = ""
    version: int = Field(
        0,
        ge=0,
        le=1000,
        description="the version of the list decided on (0: the one pending); another is a 409",
    )


# --- after the award (Art. 17-19) -----------------------------------------------------------------
class RevocationProposalIn(Strict):
    reason: Annotated[Prose, Field(max_length=5000, description="以不正当手段骗取奖项的事实")]
    evidence: Annotated[Prose, Field(max_length=5000, description="证据材料说明")]


class RevocationDecisionIn(Strict):
    approved: bool
    document_no: Annotated[Line, Field(max_length=100)] = ""
    reason: Annotated[Prose, Field(max_length=2000)] = ""


class RecoveryIn(Strict):
    item: Annotated[Line, Field(max_length=20, description="CERTIFICATE or TROPHY")]
    note: Annotated[Prose, Field(max_length=2000)] = ""


class MediaExposureIn(Strict):
    """The revocation's exposure in a news medium (Art. 17: 在区级主要新闻媒体上予以曝光)."""

    medium: Annotated[
        Line, Field(max_length=200, description="the news medium, e.g. 鹿城新闻、温州日报鹿城版")
    ]
    published_at: AwareDatetime = Field(description="when it appeared")
    place: Annotated[Line, Field(max_length=1000, description="page, section or programme (版面/栏目)")] = ""
    url: Annotated[Line, Field(max_length=1000, description="where it is online")] = ""
    document: Sha256 | None = Field(None, description="sha256 of a stored document: the clipping")
    note: Annotated[Prose, Field(max_length=2000)] = ""


class MisuseReportIn(Strict):
    kind: Annotated[Line, Field(max_length=30, description="PRODUCT_PROMOTION or YEAR_NOT_STATED")]
    facts: Annotated[Prose, Field(max_length=5000)]
    evidence: Annotated[Prose, Field(max_length=5000)] = ""
    source: Annotated[Prose, Field(max_length=500, description="how the office learned of it")] = ""


class CorrectionIn(Strict):
    description: Annotated[Prose, Field(max_length=5000)]


class VerificationIn(Strict):
    accepted: bool
    note: Annotated[Prose, Field(max_length=2000)] = ""


class FollowUpReportIn(Strict):
    text: Annotated[Prose, Field(max_length=5000)]


class ExperienceIn(Strict):
    round_no: Annotated[int, Field(ge=1, le=10)]
    title: Annotated[Line, Field(max_length=200)]
    text: Annotated[Prose, Field(max_length=5000)]
