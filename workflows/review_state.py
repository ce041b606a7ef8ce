"""In-workflow state of one panel review (document or on-site) of an application."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.application import PanelSeat
from domain.review import ReviewPurpose


@dataclass
class PanelReview:
    purpose: ReviewPurpose
    draw_id: str
    members: list[PanelSeat]
    assigned_at: datetime
    due: datetime
    visit_date: date | None = None
    scores: dict[int, dict[str, int]] = field(default_factory=dict)  # expert -> percent per item
    set_aside: dict[int, dict[str, int]] = field(default_factory=dict)  # scores of replaced experts
    reminded: set[tuple[int, str]] = field(default_factory=set)  # (expert, due) reminders sent
    escalated_for: str = ""  # due (iso) the office was told about
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

    def seat(self, expert_id: int) -> PanelSeat | None:
        return next((m for m in self.members if m.expert_id == expert_id), None)
