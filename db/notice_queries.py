"""Queries of the notice outbox (activities/notices.py): writing a notice once, and the relay's
claim of due notices and record of each hand-over. Nothing here commits: the caller does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.common import NoticeInput
from db import models as m
from domain.types import DeliveryState


async def add_notice(s: AsyncSession, n: NoticeInput) -> int | None:
    """Write the notice, PENDING delivery, unless one with its key exists: its id, or None when an
    earlier attempt wrote it. The fields of `NoticeInput` are the notice's columns (`at` is its
    `created_at`)."""
    columns = asdict(n)
    created_at = columns.pop("at")
    return await s.scalar(
        insert(m.Notice)
        .values(**columns, created_at=created_at, delivery_state=DeliveryState.PENDING)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(m.Notice.id)
    )


async def pending_count(s: AsyncSession) -> int:
    """How many notices are not yet handed to their channel."""
    pending = await s.scalar(
        select(func.count()).select_from(m.Notice).where(m.Notice.delivery_state == DeliveryState.PENDING)
    )
    return int(pending or 0)


async def claim_due(s: AsyncSession, now: datetime, limit: int) -> Sequence[m.Notice]:
    """The PENDING notices due now (never tried, or their lease or back-off over), oldest first,
    locked; those another relay holds are skipped."""
    return (
        await s.scalars(
            select(m.Notice)
            .where(
                m.Notice.delivery_state == DeliveryState.PENDING,
                or_(m.Notice.next_attempt_at.is_(None), m.Notice.next_attempt_at <= now),
            )
            .order_by(m.Notice.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def mark_delivered(s: AsyncSession, notice_ids: Sequence[int], channel: str, at: datetime) -> None:
    """The notices were handed to `channel` (those delivered meanwhile are left as they are)."""
    await s.execute(
        update(m.Notice)
        .where(m.Notice.id.in_(notice_ids), m.Notice.delivery_state != DeliveryState.DELIVERED)
        .values(
            delivery_state=DeliveryState.DELIVERED,
            delivery_channel=channel,
            delivered_at=at,
            next_attempt_at=None,
            last_error="",
        )
    )


async def postpone(s: AsyncSession, notice_id: int, until: datetime, error: str) -> None:
    """A hand-over failed: the PENDING notice is tried again at `until`."""
    await s.execute(
        update(m.Notice)
        .where(m.Notice.id == notice_id, m.Notice.delivery_state == DeliveryState.PENDING)
        .values(next_attempt_at=until, last_error=error)
    )
