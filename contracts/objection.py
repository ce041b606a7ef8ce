"""Inputs and results of the objection workflow (ObjectionWorkflow) and its activities.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.common import Actor
from domain.rules import CycleRules


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
