"""Inputs and results of the misuse case workflow (MisuseCaseWorkflow, Art. 19) and its activities.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.award import AwardFacts
from contracts.common import Actor


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
