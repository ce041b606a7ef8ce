"""Deadlines and periods counted by the Civil Code (民法典 第二百零一条至第二百零三条).

The day on which a period starts is not counted (第二百零一条); a period counted in years or
months ends on the corresponding day, or the month's last day if there is none (第二百零二条); a
period whose last day is a rest day (法定休假日: a statutory holiday, or a Saturday or Sunday that
is not an adjusted working day 调休上班日) ends on the next day that is not one, and the last day
ends at 24:00 China Standard Time (第二百零三条). All instants are timezone-aware; UTC is stored,
Asia/Shanghai is shown.

The holidays and adjusted working days of a year are data: the State Council's annual notice
(国务院办公厅关于…年部分节假日安排的通知), shipped as `domain/holidays/{year}.json` for the years
known when this code was written and recorded by the office for later years. A cycle freezes the
years its periods may reach into its rules (`HolidayCalendar`): `period_end` is the one function
that counts every day-counted period with it.
"""

from __future__ import annotations

import calendar as _cal
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

from domain.errors import invalid

CST = ZoneInfo("Asia/Shanghai")


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware instant")


def cst_date(at: datetime) -> date:
    """The calendar date in China Standard Time of an instant."""
    _require_aware(at)
    return at.astimezone(CST).date()


def end_of_day(d: date) -> datetime:
    """24:00 CST of day d, as an aware UTC instant (= 00:00 CST of the next day)."""
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=CST).astimezone(UTC)


def add_months(d: date, months: int) -> date:
    """The corresponding day `months` later (or earlier); the month's last day if there is none."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


# --- rest days: statutory holidays and adjusted working days, one year at a time -------------------
@dataclass(frozen=True)
class HolidayYear:
    """The rest-day arrangement of one year, from the State Council's notice for that year."""

    year: int
    holidays: tuple[date, ...] = ()  # days off of the statutory holidays (放假), as the notice lists them
    workdays: tuple[date, ...] = ()  # Saturdays and Sundays that are working days (调休上班)
    source: str = ""  # the notice: title, document number, date
    note: str = ""


@dataclass(frozen=True)
class HolidayCalendar:
    """The years of rest-day data a cycle counts its periods with (frozen into its rules).

    In a year it has no data for, only Saturdays and Sundays are rest days: the best that can be
    said before the State Council publishes that year's notice (a cycle is refused unless the years
    of its procedure are covered; see domain.rules.calendar_years)."""

    years: tuple[HolidayYear, ...] = ()

    def year(self, year: int) -> HolidayYear | None:
        return next((y for y in self.years if y.year == year), None)

    def covers(self, year: int) -> bool:
        return self.year(year) is not None

    def missing(self, years: Iterable[int]) -> list[int]:
        return sorted({y for y in years if not self.covers(y)})

    def is_rest_day(self, d: date) -> bool:
        data = self.year(d.year)
        if data is not None:
            if d in data.holidays:
                return True
            if d in data.workdays:
                return False
        return d.weekday() >= 5

    def working_day_from(self, d: date) -> date:
        """`d` itself if it is a working day, else the first working day after it."""
        while self.is_rest_day(d):
            d += timedelta(days=1)
        return d


def validate_holiday_year(y: HolidayYear) -> HolidayYear:
    """Raise DomainError unless the data can be a year's arrangement: every date inside the year,
    no date twice, no day both a holiday and a working day, adjusted working days on weekends."""
    if not 2000 <= y.year <= 2100:
        raise invalid("HOLIDAY_YEAR", "年度应在2000至2100年之间", "The year must be 2000 to 2100")
    if not y.source.strip():
        raise invalid(
            "HOLIDAY_SOURCE_REQUIRED",
            "请注明节假日安排的来源（国务院办公厅通知的标题、文号和日期）",
            "Name the source of the arrangement (the State Council notice: title, number, date)",
        )
    outside = sorted({d for d in (*y.holidays, *y.workdays) if d.year != y.year})
    if outside:
        raise invalid(
            "HOLIDAY_DATE_OUTSIDE_YEAR",
            f"以下日期不在{y.year}年内：" + "、".join(map(str, outside)),
            f"These dates are not in {y.year}: " + ", ".join(map(str, outside)),
            dates=[str(d) for d in outside],
        )
    for name_zh, name_en, days in (
        ("放假日", "holidays", y.holidays),
        ("调休上班日", "workdays", y.workdays),
    ):
        twice = sorted({d for d in days if days.count(d) > 1})
        if twice:
            raise invalid(
                "HOLIDAY_DATE_DUPLICATE",
                f"{name_zh}中有重复日期：" + "、".join(map(str, twice)),
                f"Dates listed twice among the {name_en}: " + ", ".join(map(str, twice)),
                dates=[str(d) for d in twice],
            )
    both = sorted(set(y.holidays) & set(y.workdays))
    if both:
        raise invalid(
            "HOLIDAY_DAY_CONFLICT",
            "以下日期既是放假日又是调休上班日：" + "、".join(map(str, both)),
            "These days are both a holiday and a working day: " + ", ".join(map(str, both)),
            dates=[str(d) for d in both],
        )
    weekdays = sorted(d for d in y.workdays if d.weekday() < 5)
    if weekdays:
        raise invalid(
            "HOLIDAY_WORKDAY_NOT_WEEKEND",
            "调休上班日应为周六或周日，以下日期本来就是工作日：" + "、".join(map(str, weekdays)),
            "Adjusted working days are Saturdays or Sundays; these are weekdays already: "
            + ", ".join(map(str, weekdays)),
            dates=[str(d) for d in weekdays],
        )
    return y


def holiday_year_from_json(doc: Mapping[str, Any]) -> HolidayYear:
    """A year's arrangement from its JSON form (the shipped files, a cycle's frozen rules)."""
    return HolidayYear(
        year=int(doc["year"]),
        holidays=tuple(date.fromisoformat(str(d)) for d in doc.get("holidays", ())),
        workdays=tuple(date.fromisoformat(str(d)) for d in doc.get("workdays", ())),
        source=str(doc.get("source", "")),
        note=str(doc.get("note", "")),
    )


def holiday_calendar_from_json(doc: Mapping[str, Any] | None) -> HolidayCalendar | None:
    """The calendar of a cycle's rules as stored or shown (`rules["holiday_calendar"]`)."""
    if doc is None:
        return None
    return HolidayCalendar(tuple(holiday_year_from_json(y) for y in doc.get("years", ())))


@cache
def shipped_holiday_years() -> dict[int, HolidayYear]:
    """The years shipped with the code (domain/holidays/{year}.json), each checked."""
    shipped: dict[int, HolidayYear] = {}
    for f in files("domain").joinpath("holidays").iterdir():
        if not f.name.endswith(".json"):
            continue
        y = validate_holiday_year(holiday_year_from_json(json.loads(f.read_text(encoding="utf-8"))))
        if f.name != f"{y.year}.json":
            raise ValueError(f"domain/holidays/{f.name} holds the year {y.year}")
        shipped[y.year] = y
    return dict(sorted(shipped.items()))


# --- periods --------------------------------------------------------------------------------------
def period_last_day(
    start: date,
    *,
    years: int = 0,
    months: int = 0,
    days: int = 0,
    calendar: HolidayCalendar | None = None,
) -> date:
    """Last day of a period that starts on `start` (the starting day itself is not counted).

    With a calendar, a last day that is a rest day moves to the next working day (第二百零三条).
    Without one (rules frozen before rest days were counted) the count is the plain one."""
    if min(years, months, days) < 0:
        raise ValueError("periods are counted forwards")
    last = add_months(start, 12 * years + months) + timedelta(days=days)
    return last if calendar is None else calendar.working_day_from(last)


def period_end(
    start: date,
    *,
    years: int = 0,
    months: int = 0,
    days: int = 0,
    calendar: HolidayCalendar | None = None,
) -> datetime:
    """The instant a period ends: 24:00 CST of its last day, as aware UTC. The one function that
    counts every day-counted period (deadlines, notice windows, bans).

    A 7-day notice published on 20 November 2026 (a Friday) ends on 27 November at 24:00 CST; one
    published on 24 September 2025 would end on 1 October, inside the National Day holiday, so it
    ends on 9 October at 24:00 (2025 calendar).
    """
    return end_of_day(period_last_day(start, years=years, months=months, days=days, calendar=calendar))


def period_end_from(
    at: datetime,
    *,
    years: int = 0,
    months: int = 0,
    days: int = 0,
    calendar: HolidayCalendar | None = None,
) -> datetime:
    """`period_end` for a period starting at an instant (its CST date is the starting day)."""
    return period_end(cst_date(at), years=years, months=months, days=days, calendar=calendar)


def full_years_completed(since: date, at: datetime, years: int) -> bool:
    """True if `years` full years counted from `since` have run out by the instant `at`."""
    _require_aware(at)
    return period_end(since, years=years) <= at


def lookback_first_day(at: datetime, years: int) -> date:
    """First day of the `years` before the instant `at` ("近3年").

    Counted backwards from the CST date of `at`: the corresponding day `years` earlier is the
    starting day and is not counted, so the window is (that day, date of `at`].
    """
    return add_years(cst_date(at), -years) + timedelta(days=1)


def within_lookback(event: date, at: datetime, years: int) -> bool:
    return lookback_first_day(at, years) <= event <= cst_date(at)


def format_cst_date(at: datetime | date) -> str:
    """Chinese date as printed on notices: 2027年3月31日."""
    d = at if not isinstance(at, datetime) else cst_date(at)
    return f"{d.year}年{d.month}月{d.day}日"


def format_cst(at: datetime) -> str:
    """Chinese date and time in CST: 2027年3月31日 17:00."""
    _require_aware(at)
    local = at.astimezone(CST)
    return f"{format_cst_date(local.date())} {local:%H:%M}"


def due_after(start: datetime, period: timedelta, calendar: HolidayCalendar | None = None) -> datetime:
    """When something given `period` from `start` is due.

    A period of whole days is counted by the Civil Code (`period_end`: ends at 24:00 CST of its
    last day, moved past rest days with the calendar); a shorter or fractional period (used by
    demo and test rules) is exact.
    """
    _require_aware(start)
    if period >= timedelta(days=1) and period % timedelta(days=1) == timedelta(0):
        return period_end_from(start, days=period.days, calendar=calendar)
    return start + period
