"""Deadlines and periods counted by the Civil Code (民法典 第二百零一条、第二百零三条).

The day on which a period starts is not counted; a period counted in years or months ends on
the corresponding day (or the month's last day if there is none); the last day ends at 24:00
China Standard Time. All instants are timezone-aware; UTC is stored, Asia/Shanghai is shown.
"""

from __future__ import annotations

import calendar as _cal
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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


def period_last_day(start: date, *, years: int = 0, months: int = 0, days: int = 0) -> date:
    """Last day of a period that starts on `start` (the starting day itself is not counted)."""
    if min(years, months, days) < 0:
        raise ValueError("periods are counted forwards")
    return add_months(start, 12 * years + months) + timedelta(days=days)


def period_end(start: date, *, years: int = 0, months: int = 0, days: int = 0) -> datetime:
    """The instant a period ends: 24:00 CST of its last day, as aware UTC.

    A 7-day notice published on 20 November ends on 27 November at 24:00 CST.
    """
    return end_of_day(period_last_day(start, years=years, months=months, days=days))


def period_end_from(at: datetime, *, years: int = 0, months: int = 0, days: int = 0) -> datetime:
    """`period_end` for a period starting at an instant (its CST date is the starting day)."""
    return period_end(cst_date(at), years=years, months=months, days=days)


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


def due_after(start: datetime, period: timedelta) -> datetime:
    """When something given `period` from `start` is due.

    A period of whole days is counted by the Civil Code (ends at 24:00 CST of its last day);
    a shorter or fractional period (used by demo and test rules) is exact.
    """
    _require_aware(start)
    if period >= timedelta(days=1) and period % timedelta(days=1) == timedelta(0):
        return period_end_from(start, days=period.days)
    return start + period
