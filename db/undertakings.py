"""Queries of the experts' undertakings (Art. 20): the published versions and the signatures."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from domain.undertaking import DEFAULT_TITLE, default_text, text_hash

SYSTEM = "system"
# pg_advisory_xact_lock(int4, int4): ('un', year); no other lock of the project uses class 0x756E
UNDERTAKING_LOCK = 0x756E


@dataclass(frozen=True)
class Version:
    """The cycle's current undertaking; `published` is False for the default text nobody has
    published or signed yet (it becomes version 1 when it is)."""

    year: int
    version: int
    title: str
    text: str
    text_sha256: str
    published: bool
    published_by: str | None = None
    published_at: datetime | None = None
    note: str = ""


def _of(row: m.UndertakingText) -> Version:
    return Version(
        row.cycle_year,
        row.version,
        row.title,
        row.text,
        row.text_sha256,
        True,
        row.published_by,
        row.published_at,
        row.note,
    )


async def _lock(s: AsyncSession, year: int) -> None:
    """The transaction-level advisory lock of a year's undertaking texts."""
    await s.execute(select(func.pg_advisory_xact_lock(UNDERTAKING_LOCK, year)))


def default_version(year: int) -> Version:
    text = default_text(year)
    return Version(year, 1, DEFAULT_TITLE, text, text_hash(text), False)


async def current(s: AsyncSession, year: int) -> Version:
    row = await s.scalar(
        select(m.UndertakingText)
        .where(m.UndertakingText.cycle_year == year)
        .order_by(m.UndertakingText.version.desc())
        .limit(1)
    )
    return _of(row) if row is not None else default_version(year)


async def publish(
    s: AsyncSession, year: int, *, title: str, text: str, note: str, by: str, at: datetime
) -> Version:
    """Store the next version of the year's text (version 1 if none is stored). The version number
    is taken under a transaction-level advisory lock, so two offices publishing at once get two."""
    await _lock(s, year)
    latest = await s.scalar(
        select(func.max(m.UndertakingText.version)).where(m.UndertakingText.cycle_year == year)
    )
    row = m.UndertakingText(
        cycle_year=year,
        version=int(latest or 0) + 1,
        title=title,
        text=text,
        text_sha256=text_hash(text),
        note=note,
        published_by=by,
        published_at=at,
    )
    s.add(row)
    await s.flush()
    return _of(row)


async def store_default(s: AsyncSession, year: int, at: datetime) -> None:
    """The default text becomes the year's version 1 when it is first signed (if nothing is stored;
    under the lock `publish` takes, so an office's text published meanwhile is never overwritten)."""
    await _lock(s, year)
    d = default_version(year)
    await s.execute(
        insert(m.UndertakingText)
        .values(
            cycle_year=year,
            version=1,
            title=d.title,
            text=d.text,
            text_sha256=d.text_sha256,
            note="",
            published_by=SYSTEM,
            published_at=at,
        )
        .on_conflict_do_nothing(constraint="uq_undertaking_texts_version")
    )


async def signature(
    s: AsyncSession, year: int, expert_id: int, *, version: int | None = None
) -> m.UndertakingSignature | None:
    """The expert's latest signature of the year's undertaking (of `version`, if given), if any."""
    q = select(m.UndertakingSignature).where(
        m.UndertakingSignature.cycle_year == year, m.UndertakingSignature.expert_id == expert_id
    )
    if version is not None:
        q = q.where(m.UndertakingSignature.version == version)
    return await s.scalar(q.order_by(m.UndertakingSignature.version.desc()).limit(1))


async def sign(
    s: AsyncSession, year: int, expert_id: int, v: Version, *, by: str, at: datetime
) -> m.UndertakingSignature | None:
    """Record the signature of version `v`; None if the expert had signed it already."""
    new_id = await s.scalar(
        insert(m.UndertakingSignature)
        .values(
            cycle_year=year,
            expert_id=expert_id,
            version=v.version,
            text_sha256=v.text_sha256,
            signed_by=by,
            signed_at=at,
        )
        .on_conflict_do_nothing(constraint="uq_undertaking_signatures_once")
        .returning(m.UndertakingSignature.id)
    )
    return None if new_id is None else await s.get(m.UndertakingSignature, new_id)


async def signatures(s: AsyncSession, year: int) -> list[m.UndertakingSignature]:
    return list(
        (
            await s.scalars(
                select(m.UndertakingSignature)
                .where(m.UndertakingSignature.cycle_year == year)
                .order_by(m.UndertakingSignature.expert_id, m.UndertakingSignature.version)
            )
        ).all()
    )


async def signed_experts(s: AsyncSession, year: int) -> set[int]:
    """Experts who have signed some version of the year's undertaking."""
    rows = await s.scalars(
        select(m.UndertakingSignature.expert_id).where(m.UndertakingSignature.cycle_year == year).distinct()
    )
    return {int(x) for x in rows.all()}


async def unsigned_years(s: AsyncSession, expert_id: int, years: Collection[int]) -> list[int]:
    """Of `years`, those whose undertaking the expert has not signed."""
    if not years:
        return []
    signed = set(
        (
            await s.scalars(
                select(m.UndertakingSignature.cycle_year).where(
                    m.UndertakingSignature.expert_id == expert_id,
                    m.UndertakingSignature.cycle_year.in_(sorted(set(years))),
                )
            )
        ).all()
    )
    return sorted(set(years) - signed)


async def running_years(s: AsyncSession) -> list[int]:
    """The years whose cycle is not completed: an expert may hold assignments in them."""
    rows = await s.scalars(select(m.Cycle.year).where(m.Cycle.stage != "COMPLETED"))
    return sorted(int(y) for y in rows.all())
