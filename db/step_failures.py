"""Steps the database refused (P6), as the office retries them (api/routes/operations.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m


async def step_failure_locked(s: AsyncSession, failure_id: int) -> m.StepFailure | None:
    """One refused step, locked until the transaction ends (one retry at a time)."""
    return await s.get(m.StepFailure, failure_id, with_for_update=True)
