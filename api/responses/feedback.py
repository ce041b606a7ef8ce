"""What the routes of api/routes/feedback.py answer: the application's feedback report (R14.4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class FeedbackReportOut(BaseModel):
    """The report as issued: `content` item by item (band, strengths, opportunities), `text` the
    document the enterprise downloads, `sha256` its hash."""

    model_config = ConfigDict(from_attributes=True)

    application_id: str
    outcome: str
    title: str
    issued_at: datetime
    sha256: str
    content: dict[str, Any]
    text: str
