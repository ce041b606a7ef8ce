"""Queries of the expert pool (Art. 8-10): experts, their engagements and discipline, conflicts of
interest. Nothing here commits: the request or the activity does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from domain.conflicts import ConflictType


async def experts(s: AsyncSession) -> Sequence[m.Expert]:
    return (await s.scalars(select(m.Expert).order_by(m.Expert.id))).all()


async def expert(s: AsyncSession, expert_id: int) -> m.Expert | None:
    return await s.get(m.Expert, expert_id)


async def user_of(s: AsyncSession, e: m.Expert) -> m.User | None:
    """The expert's account, if they have one."""
    return await s.get(m.User, e.user_id) if e.user_id else None


async def expert_of_user(s: AsyncSession, user_id: int) -> m.Expert | None:
    """The expert record of an expert's account."""
    return await s.scalar(select(m.Expert).where(m.Expert.user_id == user_id))


async def experts_named(s: AsyncSession, name: str) -> Sequence[m.Expert]:
    return (await s.scalars(select(m.Expert).where(m.Expert.name == name))).all()


async def expert_names(s: AsyncSession, expert_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(expert_ids))
    return {e.id: e.name for e in (await s.scalars(select(m.Expert).where(m.Expert.id.in_(ids)))).all()}


async def engagements_of(s: AsyncSession, expert_id: int) -> Sequence[m.ExpertEngagement]:
    return (
        await s.scalars(select(m.ExpertEngagement).where(m.ExpertEngagement.expert_id == expert_id))
    ).all()


async def discipline_of(s: AsyncSession, expert_id: int) -> Sequence[m.ExpertDiscipline]:
    return (
        await s.scalars(select(m.ExpertDiscipline).where(m.ExpertDiscipline.expert_id == expert_id))
    ).all()


async def conflict_of(
    s: AsyncSession, expert_id: int, credit_code: str, type_: ConflictType
) -> m.Conflict | None:
    """The conflict of interest of this type already recorded between the expert and the enterprise."""
    return await s.scalar(
        select(m.Conflict).where(
            m.Conflict.expert_id == expert_id, m.Conflict.credit_code == credit_code, m.Conflict.type == type_
        )
    )


async def conflict(s: AsyncSession, conflict_id: int) -> m.Conflict | None:
    return await s.get(m.Conflict, conflict_id)


async def conflicts(s: AsyncSession) -> Sequence[m.Conflict]:
    return (await s.scalars(select(m.Conflict).order_by(m.Conflict.id))).all()
