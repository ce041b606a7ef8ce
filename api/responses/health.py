"""What GET /health answers: the API is up; the database and Temporal as it sees them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class HealthOut(BaseModel):
    status: str = Field(description="ok, or degraded when the database or Temporal does not answer")
    database: str = Field(description="ok, or error: the kind of error")
    temporal: str = Field(description="ok, or error: the kind of error")
