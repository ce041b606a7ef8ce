"""What the routes of api/routes/review.py answer: draws and their re-verification, the document
review scores and the on-site list, panels, experts' scores, panels' opinions and confirmations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class SeatOut(BaseModel):
    """A held seat on a panel."""

    expert_id: int
    name: str
    leader: bool


class UnfilledSeatOut(BaseModel):
    """A seat the pool could not fill, and why."""

    application_id: str
    seat: int
    reason_code: str
    reason_zh: str
    reason_en: str


class SkippedExpertOut(BaseModel):
    """An expert of the pool the draw left out (not having signed the undertaking, Art. 20)."""

    expert_id: int
    reason_code: str
    reason_zh: str
    reason_en: str


class DrawnPanels(BaseModel):
    """A draw as recorded: `panels` the complete ones (announced), `short` those with a seat the
    pool could not fill, seated as far as they go."""

    draw_id: str
    seed: int
    input_hash: str
    panels: dict[str, list[SeatOut]]
    short: dict[str, list[SeatOut]]
    unfilled: list[UnfilledSeatOut]
    unfilled_count: int
    skipped: list[SkippedExpertOut]


class DrawRecord(BaseModel):
    """A recorded draw: its seed, the hash of its inputs, the inputs and the result."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    cycle_year: int
    purpose: str
    seed: int
    input_hash: str
    inputs: dict[str, Any]
    result: dict[str, Any]
    drawn_by: str
    drawn_at: datetime


class DrawVerification(BaseModel):
    """A recorded draw run again from its inputs and seed."""

    draw_id: str
    seed: int
    recorded_hash: str
    recomputed_hash: str
    same_panels: bool
    matches: bool
    panels: list[dict[str, Any]]


class DocumentScore(BaseModel):
    application_id: str
    total: str
    opinion: str
    at_or_above_threshold: bool


class DocumentScores(BaseModel):
    """The consolidated document review scores, highest first, and the on-site threshold."""

    threshold: int
    applications: list[DocumentScore]


class OnsiteListOut(BaseModel):
    listed: list[str]
    not_listed: list[str]


class PanelMembers(BaseModel):
    members: list[SeatOut]


class SettlementOut(BaseModel):
    application_id: str
    onsite_total: str


class AssignmentOut(BaseModel):
    """A seat of mine on an application's panel."""

    application_id: str
    purpose: str
    leader: bool
    scored: bool
    joined_at: datetime


class ScoreAccepted(BaseModel):
    application_id: str
    expert_id: int
    total: str


class ExpertScoreOut(BaseModel):
    """An expert's scores as submitted."""

    model_config = ConfigDict(from_attributes=True)
    expert_id: int
    scores: dict[str, int]
    total: str
    strengths: str
    improvements: str
    # per item, what the leader may start the panel's feedback from (R14.4)
    item_comments: dict[str, dict[str, str]]
    submitted_at: datetime


class OpinionAccepted(BaseModel):
    application_id: str
    total: str


class ConfirmationOut(BaseModel):
    application_id: str
    confirmation: str


class ReviewOut(BaseModel):
    """A panel's opinion or on-site report. The enterprise reads the items in its feedback
    report: for it the scores, rationales and comments are left out (not sent as null)."""

    purpose: str
    total: str
    categories: dict[str, str]
    opinion: str
    submitted_at: datetime
    confirmation: str
    dispute_reason: str
    settlement: str
    visit_date: str | None
    scores: dict[str, int] | None = None
    rationales: dict[str, str] | None = None
    item_comments: dict[str, dict[str, str]] | None = None
