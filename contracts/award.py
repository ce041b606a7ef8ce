"""Inputs and results of the award workflow (AwardWorkflow, Art. 17-19) and its activities.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from contracts.common import Actor
from domain.aftercare import AftercareRules
from domain.types import Award


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
    media_exposure: str = ""  # ExposureState of the revocation's exposure (Art. 17), "" before one is owed


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


@dataclass
class MediaExposureInput:
    """The office records the revocation's exposure in a news medium (Art. 17)."""

    medium: str
    published_at: datetime
    place: str
    url: str
    document_sha256: str | None
    note: str
    actor: Actor


@dataclass
class RecordMediaExposureInput:
    case_id: str
    certificate_number: str
    state: str  # ExposureState
    due_at: datetime | None
    at: datetime
    actor: str = "system"
    medium: str = ""
    published_at: datetime | None = None
    place: str = ""
    url: str = ""
    document_sha256: str | None = None
    note: str = ""
