"""Rest days per year (民法典 第二百零三条): the statutory holidays and adjusted working days from
the State Council's annual notice. The years known when the system was written ship with it
(domain/holidays/*.json); the office records each later year here, audited. A cycle's rules
freeze the years its periods may reach when it starts; approving or starting a cycle is refused
while they have no data (domain.rules.check_holiday_calendar)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from db import holidays as db_holidays
from db import models as m
from domain.calendar import HolidayYear, shipped_holiday_years

from ..deps import Now, Office, Session, User
from ..errors import not_found
from ..schemas import HolidayCalendarIn, HolidayCalendarOut

router = APIRouter(tags=["holiday calendars"])


def _shipped_out(y: HolidayYear) -> HolidayCalendarOut:
    return HolidayCalendarOut(
        year=y.year,
        source=y.source,
        note=y.note,
        holidays=list(y.holidays),
        workdays=list(y.workdays),
        shipped=True,
    )


def _recorded_out(row: m.HolidayCalendarYear) -> HolidayCalendarOut:
    return HolidayCalendarOut(
        year=row.year,
        source=row.source,
        note=row.note,
        holidays=[date.fromisoformat(d) for d in row.holidays],
        workdays=[date.fromisoformat(d) for d in row.workdays],
        shipped=False,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


@router.get("/holiday-calendars", response_model=list[HolidayCalendarOut], summary="Years with rest-day data")
async def list_holiday_calendars(s: Session, user: User) -> list[HolidayCalendarOut]:
    shipped = shipped_holiday_years()
    out = {y: _shipped_out(data) for y, data in shipped.items()}
    for row in await db_holidays.recorded_years(s):
        out.setdefault(row.year, _recorded_out(row))
    return [out[y] for y in sorted(out)]


@router.get("/holiday-calendars/{year}", response_model=HolidayCalendarOut)
async def get_holiday_calendar(year: int, s: Session, user: User) -> HolidayCalendarOut:
    shipped = shipped_holiday_years().get(year)
    if shipped is not None:
        return _shipped_out(shipped)
    row = await db_holidays.recorded_year(s, year)
    if row is None:
        raise not_found(f"{year}年的节假日安排", f"The {year} holiday arrangement")
    return _recorded_out(row)


@router.post(
    "/holiday-calendars/{year}",
    response_model=HolidayCalendarOut,
    status_code=201,
    summary="The office records a year's holidays and adjusted working days (audited)",
)
async def record_holiday_calendar(
    year: int, body: HolidayCalendarIn, s: Session, office: Office, clock: Now
) -> HolidayCalendarOut:
    """Dates inside the year, no day both a holiday and a working day, adjusted working days on
    Saturdays or Sundays (422 with a stable code otherwise); a shipped year is 409
    HOLIDAY_CALENDAR_SHIPPED, a year recorded already 409 HOLIDAY_CALENDAR_EXISTS unless `replace`."""
    data = HolidayYear(year, tuple(body.holidays), tuple(body.workdays), body.source, body.note)
    await db_holidays.record_holiday_year(
        s,
        data,
        actor=office.username,
        actor_role=office.role,
        at=await clock(),
        replace_existing=body.replace,
    )
    await s.flush()
    row = await db_holidays.recorded_year(s, year)
    assert row is not None
    return _recorded_out(row)
