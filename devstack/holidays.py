"""Rest-day data for test installations: the years the tests reach that have no State Council
notice shipped with the code get an explicit *test calendar*, recorded the way the office records
a year (db.holidays.record_holiday_year: validated and audited), with a note saying what it is.

A test calendar holds only the holidays that 《全国年节及纪念日放假办法》 fixes on Gregorian dates
(元旦 1 January, 劳动节 1-2 May, 国庆节 1-3 October) and no adjusted working day: it is not the
State Council's arrangement, which nobody knows before it is published. Tests that compute expected
dates count them with the cycle's frozen calendar (`calendar_of`), never with their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.holidays import holiday_year, record_holiday_year
from domain.calendar import HolidayCalendar, HolidayYear, holiday_calendar_from_json, holiday_year_from_json

TEST_SOURCE = "测试日历（非国务院办公厅通知）：仅供测试环境使用"
TEST_NOTE = (
    "只含《全国年节及纪念日放假办法》按公历固定的节日（元旦1月1日、劳动节5月1日至2日、国庆节10月1日至3日），"
    "不含春节等农历节日和调休安排；国务院办公厅当年通知发布后，应以通知为准替换（replace=true）"
)


def calendar_for_tests(year: int) -> HolidayYear:
    days = [(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)]
    return HolidayYear(year, tuple(date(year, m, d) for m, d in days), (), TEST_SOURCE, TEST_NOTE)


def calendar_for_tests_body(year: int) -> dict[str, Any]:
    """The same test calendar as a request body of POST /holiday-calendars/{year}."""
    y = calendar_for_tests(year)
    return {"source": y.source, "note": y.note, "holidays": [str(d) for d in y.holidays], "workdays": []}


async def record_test_calendars(
    sessions: async_sessionmaker[AsyncSession], years: Iterable[int], *, actor: str = "office"
) -> list[int]:
    """Record a test calendar for each of `years` that has no data yet; returns those years."""
    recorded: list[int] = []
    async with sessions.begin() as s:
        for year in years:
            if await holiday_year(s, year) is None:
                await record_holiday_year(
                    s,
                    calendar_for_tests(year),
                    actor=actor,
                    actor_role="office",
                    at=datetime.now(UTC),
                    replace_existing=False,
                )
                recorded.append(year)
    return recorded


def calendar_of(rules: Mapping[str, Any]) -> HolidayCalendar | None:
    """The calendar frozen into a cycle's rules as GET /cycles/{year} shows them."""
    return holiday_calendar_from_json(rules.get("holiday_calendar"))


def calendar_from_list(years: Iterable[Mapping[str, Any]]) -> HolidayCalendar:
    """Every year GET /holiday-calendars lists, as one calendar."""
    return HolidayCalendar(tuple(holiday_year_from_json(y) for y in years))
