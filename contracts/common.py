"""Types shared by every workflow, activity and the API: who acts, notices.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.notices import NoticeText
from domain.types import Audience, NoticeKind, Role


@dataclass(frozen=True)
class Actor:
    """Who acts. Carried into workflows so every record says who did it (P4)."""

    username: str
    role: Role
    display_name: str = ""


SYSTEM = Actor("system", Role.OFFICE, "系统")


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

    @classmethod
    def public(cls, key: str, kind: NoticeKind, text: NoticeText, at: datetime, year: int) -> NoticeInput:
        """A notice to the public of a cycle (call, lists on notice, announcements)."""
        return cls(key, kind, Audience.PUBLIC, text.title, text.body, at, year)


@dataclass
class StepFailed:
    """A step the database refused for its data (P6): recorded for the office, which may retry it
    once the cause is mended; the step never retries forever."""

    workflow_id: str
    step: str
    code: str
    error: str
    at: datetime
    cycle_year: int | None = None


@dataclass
class DeadlineMarks:
    """What a wait with a due time has done: the due time (ISO) it reminded for and escalated for,
    so a moved due time reminds and escalates again, and a replayed one never twice."""

    reminded_for: str = ""
    escalated_for: str = ""
