"""Steps the database refused (P6): the office sees them and may retry one once its cause is mended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from db import repositories as repo
from db import step_failures as failures
from domain.errors import conflict

from .. import workflow_calls
from ..deps import Config, Office, Session, Temporal
from ..errors import not_found, unavailable

router = APIRouter(tags=["operations"])


class StepFailureOut(BaseModel):
    id: int
    workflow_id: str
    step: str
    code: str
    error: str
    cycle_year: int | None
    at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


@router.get("/step-failures", response_model=list[StepFailureOut], summary="Steps the database refused")
async def step_failures(
    s: Session,
    office: Office,
    year: int | None = None,
    open_only: Annotated[bool, Query(alias="open")] = True,
) -> list[StepFailureOut]:
    """Each one ended its step instead of being retried forever; its workflow waits for a retry."""
    return [
        StepFailureOut.model_validate(f, from_attributes=True)
        for f in await repo.step_failures(s, year=year, open_only=open_only)
    ]


@router.post(
    "/step-failures/{failure_id}/retry",
    response_model=StepFailureOut,
    summary="Retry a refused step (after mending its cause)",
)
async def retry_step(
    failure_id: int, s: Session, office: Office, client: Temporal, cfg: Config
) -> StepFailureOut:
    f = await failures.step_failure_locked(s, failure_id)
    if f is None:
        raise not_found("失败的流程步骤", "Step failure")
    if f.resolved_at is not None:
        raise conflict("STEP_ALREADY_RETRIED", "该步骤已重试", "This step has already been retried")
    timeout = cfg.temporal_rpc_timeout_seconds
    signal = client.get_workflow_handle(f.workflow_id).signal(
        "retry_step", rpc_timeout=timedelta(seconds=timeout)
    )
    if not await workflow_calls.reached(signal, timeout):
        raise unavailable()
    f.resolved_at, f.resolved_by = datetime.now(UTC), office.username
    await repo.audit_by(s, office, "STEP_RETRIED", "workflow", f.workflow_id, at=f.resolved_at, reason=f.step)
    return StepFailureOut.model_validate(f, from_attributes=True)
