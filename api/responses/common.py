"""Types shared by the response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer

# An instant as the routes answered it before they had response models (FastAPI's encoder:
# `isoformat()`, "+00:00" for UTC), not pydantic's "Z": a client comparing strings sees no change.
Instant = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json")]
