"""Types shared by every workflow, activity and the API: who acts, notices.

One dataclass in and one out for each. Fields added later must have defaults so that
histories recorded months earlier still decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
