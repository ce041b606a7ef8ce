"""The rest-day data of each year (民法典 第二百零三条): the years shipped with the code
(domain/holidays/*.json) and the years the office recorded (table holiday_calendars).

Repositories never commit: the unit of work (request) does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from db import repositories as repo
from domain.calendar import HolidayCalendar, HolidayYear, shipped_holiday_years, validate_holiday_year
from domain.errors import conflict
from domain.rules import CycleRules, calendar_years, check_holiday_calendar


def _to_domain(row: m.HolidayCalendarYear) -> HolidayYear:
    return HolidayYear(
        year=row.year,
        holidays=tuple(date.fromisoformat(d) for d in row.holidays),
        workdays=tuple(date.fromisoformat(d) for d in row.workdays),
        source=row.source,
        note=row.note,
    )


async def recorded_years(s: AsyncSession) -> list[m.HolidayCalendarYear]:
    return list((await s.scalars(select(m.HolidayCalendarYear).order_by(m.HolidayCalendarYear.year))).all())


async def recorded_year(s: AsyncSession, year: int) -> m.HolidayCalendarYear | None:
    """The office's record of a year (None for a shipped year or one not recorded)."""
    return await s.get(m.HolidayCalendarYear, year)


async def holiday_year(s: AsyncSession, year: int) -> HolidayYear | None:
    """A shipped year, else the office's record of it."""
    shipped = shipped_holiday_years().get(year)
    if shipped is not None:
        return shipped
    row = await recorded_year(s, year)
    return None if row is None else _to_domain(row)


async def holiday_calendar(s: AsyncSession, years: Iterable[int] | None = None) -> HolidayCalendar:
    """The known years among `years` (every known year if None), in order."""
    known = dict(shipped_holiday_years())
    for row in await recorded_years(s):
        known.setdefault(row.year, _to_domain(row))
    wanted = set(known) if years is None else set(years)
    return HolidayCalendar(tuple(known[y] for y in sorted(wanted) if y in known))


async def calendar_for_rules(s: AsyncSession, rules: CycleRules) -> HolidayCalendar:
    """The calendar a cycle freezes into its rules: every known year from the year of its
    deadline on; refused (409 HOLIDAY_CALENDAR_MISSING) while the years it needs have no data,
    unless the rules are demo rules."""
    first = calendar_years(rules)[0]
    every = await holiday_calendar(s)
    calendar = HolidayCalendar(tuple(y for y in every.years if y.year >= first))
    check_holiday_calendar(rules, calendar)
    return calendar


async def freeze_calendar(s: AsyncSession, rules: CycleRules) -> CycleRules:
    return replace(rules, holiday_calendar=await calendar_for_rules(s, rules))


async def record_holiday_year(
    s: AsyncSession, y: HolidayYear, *, actor: str, actor_role: str, at: datetime, replace_existing: bool
) -> bool:
    """Record (or, asked to, replace) a year the office took from the State Council's notice,
    audited. Shipped years cannot be changed here. True if an earlier record was replaced.
    Cycles already started keep the copy frozen into their rules."""
    if y.year in shipped_holiday_years():
        raise conflict(
            "HOLIDAY_CALENDAR_SHIPPED",
            f"{y.year}年的节假日安排随系统发布（domain/holidays/{y.year}.json），不能在此修改",
            f"The {y.year} arrangement ships with the system (domain/holidays/{y.year}.json); it cannot be changed here",
        )
    validate_holiday_year(y)
    row = await s.get(m.HolidayCalendarYear, y.year, with_for_update=True)
    if row is not None and not replace_existing:
        raise conflict(
            "HOLIDAY_CALENDAR_EXISTS",
            f"{y.year}年的节假日安排已经录入；如需更正，请以 replace=true 重新提交",
            f"The {y.year} arrangement is already recorded; send it with replace=true to correct it",
        )
    previous = (
        None if row is None else {"source": row.source, "holidays": row.holidays, "workdays": row.workdays}
    )
    values = {
        "holidays": [d.isoformat() for d in sorted(y.holidays)],
        "workdays": [d.isoformat() for d in sorted(y.workdays)],
        "source": y.source.strip(),
        "note": y.note.strip(),
        "recorded_by": actor,
        "recorded_at": at,
    }
    if row is None:
        s.add(m.HolidayCalendarYear(year=y.year, **values))
    else:
        for k, v in values.items():
            setattr(row, k, v)
    await repo.audit(
        s,
        at=at,
        actor=actor,
        actor_role=actor_role,
        action="HOLIDAY_CALENDAR_REPLACED" if row is not None else "HOLIDAY_CALENDAR_RECORDED",
        entity_type="holiday_calendar",
        entity_id=str(y.year),
        reason=y.note.strip(),
        details={
            "source": values["source"],
            "holidays": values["holidays"],
            "workdays": values["workdays"],
            **({"previous": previous} if previous is not None else {}),
        },
    )
    return row is not None
