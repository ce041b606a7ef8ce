"""What the public portal (api/routes/portal.py) reads beside what the public API reads."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m


async def public_notice(s: AsyncSession, year: int) -> m.PublicNotice | None:
    """The year's public notice of the preliminary list (初选公示, Art. 14(5))."""
    return await s.get(m.PublicNotice, year)
