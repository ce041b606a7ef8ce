"""Queries of the fan-outs and the cycle's wake-ups (activities/fanout.py): who is to be told
what. Read only."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from db import repositories as repo
from domain.rules import CycleRules


async def cycle_gate(s: AsyncSession, year: int) -> str | None:
    """The gate the cycle of the year waits on ("" or None: none)."""
    return await s.scalar(select(m.Cycle.gate).where(m.Cycle.year == year))


async def cycle_with_rules(s: AsyncSession, year: int) -> tuple[m.Cycle, CycleRules]:
    """The cycle of the year (it exists: a fan-out runs inside it) and its frozen rules."""
    cycle = await repo.cycle(s, year)
    assert cycle is not None
    return cycle, repo.cycle_rules(cycle)


async def applicants(s: AsyncSession, year: int) -> Sequence[Row[m.Application, m.Enterprise]]:
    """Every application of the year with its enterprise, by application id."""
    return (
        await s.execute(
            select(m.Application, m.Enterprise)
            .join(m.Enterprise, m.Enterprise.id == m.Application.enterprise_id)
            .where(m.Application.cycle_year == year)
            .order_by(m.Application.id)
        )
    ).all()


async def objections_to_investigate(
    s: AsyncSession, year: int
) -> Sequence[Row[str, str | None, str | None, str | None]]:
    """(objection id, application id, enterprise name, notice id) of each objection of the year to be
    investigated and not yet reported, by id. An objection about the notice itself names no
    organisation."""
    return (
        await s.execute(
            select(m.Objection.id, m.Objection.application_id, m.Enterprise.name, m.Objection.notice_id)
            .outerjoin(m.Application, m.Application.id == m.Objection.application_id)
            .outerjoin(m.Enterprise, m.Enterprise.id == m.Application.enterprise_id)
            .where(
                m.Objection.cycle_year == year,
                m.Objection.investigate.is_(True),
                m.Objection.state != "REPORTED",
            )
            .order_by(m.Objection.id)
        )
    ).all()


async def panel_draw(s: AsyncSession, draw_id: str) -> m.PanelDraw:
    """A recorded draw (a fan-out of its panels runs only after the draw is recorded)."""
    draw = await s.get(m.PanelDraw, draw_id)
    assert draw is not None
    return draw
