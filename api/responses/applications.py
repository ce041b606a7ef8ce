"""What the routes of api/routes/applications.py answer besides the application itself
(api.schemas.ApplicationOut, ApplicationPage, SubmitResult): the qualification decision's result
and the report by sector."""

from __future__ import annotations

from pydantic import BaseModel


class FailedCondition(BaseModel):
    """A condition the application does not meet, with its clause and the reason."""

    condition: str
    clause: str
    reason: str


class QualificationDecided(BaseModel):
    application_id: str
    qualified: bool
    failed: list[FailedCondition]
    material_truthful: bool


class SectorRowOut(BaseModel):
    """The year's applications of one Art. 5 sector (an application with several tags counts under
    each), by award and by outcome."""

    sector: str
    priority: bool
    applications: int
    by_award: dict[str, int]
    by_outcome: dict[str, int]
