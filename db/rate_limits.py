"""Queries of the rate-limit counters (P6). Like the repositories, these never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from . import models as m

W = m.RateLimitWindow


async def count_hit(s: AsyncSession, *, bucket: str, window_start: datetime, limit: int) -> int | None:
    """Count one request in the bucket's window, atomically across processes; the hits so far
    including this one, or None if the window already holds `limit` (then nothing is written, so a
    flood beyond the limit does not rewrite the row)."""
    stmt = (
        insert(W)
        .values(bucket=bucket, window_start=window_start, hits=1)
        .on_conflict_do_update(
            index_elements=[W.bucket, W.window_start],
            set_={"hits": W.hits + 1},
            where=W.hits < limit,
        )
        .returning(W.hits)
    )
    return (await s.execute(stmt)).scalar_one_or_none()


async def purge_before(s: AsyncSession, cutoff: datetime) -> int:
    """Delete the windows that started before `cutoff` (all ended); how many were deleted."""
    result = await s.execute(delete(W).where(W.window_start < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
