"""Civil Code day counting (民法典 第二百零一条、第二百零三条): DESIGN.md "Time", R11.2, R17.1."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import (
    CST,
    add_months,
    add_years,
    cst_date,
    end_of_day,
    format_cst,
    format_cst_date,
    full_years_completed,
    lookback_first_day,
    period_end,
    period_end_from,
    period_last_day,
    within_lookback,
)

DEADLINE = datetime(2027, 3, 31, 17, 0, tzinfo=CST)


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


# --- period_end -------------------------------------------------------------------------------


@pytest.mark.req("R11.2")
def test_seven_day_notice_from_20_november_ends_27_november_24_00_cst() -> None:
    end = period_end(date(2026, 11, 20), days=7)
    assert end == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert end.utcoffset() == timedelta(0)
    assert end.astimezone(CST) == cst(2026, 11, 28, 0, 0)
    assert period_last_day(date(2026, 11, 20), days=7) == date(2026, 11, 27)


@pytest.mark.req("R11.2")
def test_end_of_day_is_midnight_cst_of_the_next_day_in_utc() -> None:
    assert end_of_day(date(2027, 3, 31)) == datetime(2027, 3, 31, 16, 0, tzinfo=UTC)
    assert end_of_day(date(2026, 12, 31)) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


@pytest.mark.req("R11.2")
def test_period_end_from_an_instant_counts_from_its_cst_date() -> None:
    # 2026-11-20T20:00Z is 21 November 04:00 CST: the starting day is the 21st.
    assert period_end_from(datetime(2026, 11, 20, 20, 0, tzinfo=UTC), days=7) == datetime(
        2026, 11, 28, 16, 0, tzinfo=UTC
    )
    # 2026-11-20T15:59Z is still 20 November (23:59 CST).
    assert period_end_from(datetime(2026, 11, 20, 15, 59, tzinfo=UTC), days=7) == datetime(
        2026, 11, 27, 16, 0, tzinfo=UTC
    )


@pytest.mark.req("R11.2")
@pytest.mark.parametrize(
    ("start", "months", "last"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2027, 3, 31), 1, date(2027, 4, 30)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2027, 3, 15), 12, date(2028, 3, 15)),
    ],
)
def test_months_end_on_the_corresponding_day_or_the_months_last_day(
    start: date, months: int, last: date
) -> None:
    assert add_months(start, months) == last
    assert period_last_day(start, months=months) == last
    assert period_end(start, months=months) == end_of_day(last)


@pytest.mark.req("R11.2")
def test_add_months_backwards() -> None:
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)
    assert add_months(date(2027, 1, 15), -1) == date(2026, 12, 15)
    assert add_years(date(2028, 2, 29), -3) == date(2025, 2, 28)


@pytest.mark.req("R11.2")
def test_years_from_29_february_clamp_to_28_february() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert period_last_day(date(2024, 2, 29), years=1) == date(2025, 2, 28)
    assert period_end(date(2024, 2, 29), years=1) == datetime(2025, 2, 28, 16, 0, tzinfo=UTC)
    assert period_last_day(date(2024, 2, 29), years=4) == date(2028, 2, 29)


@pytest.mark.req("R11.2")
def test_years_months_and_days_combine() -> None:
    assert period_last_day(date(2024, 3, 31), years=3) == date(2027, 3, 31)
    assert period_last_day(date(2024, 1, 31), years=1, months=1, days=1) == date(2025, 3, 1)


@pytest.mark.req("R11.2")
def test_periods_are_counted_forwards_only() -> None:
    with pytest.raises(ValueError):
        period_last_day(date(2027, 1, 1), days=-1)
    with pytest.raises(ValueError):
        period_end(date(2027, 1, 1), years=-1)


# --- full years (Art. 11(1): 合法经营三年以上) -------------------------------------------------


@pytest.mark.req("R11.2")
@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (cst(2027, 3, 31, 17, 0), False),  # the deadline day itself is the third year's last day
        (cst(2027, 3, 31, 23, 59), False),  # one minute before 24:00
        (cst(2027, 4, 1, 0, 0), True),  # 24:00 on 31 March: three full years
        (datetime(2027, 3, 31, 16, 0, tzinfo=UTC), True),  # the same instant in UTC
        (cst(2026, 12, 31, 12, 0), False),
        (cst(2030, 1, 1, 0, 0), True),
    ],
)
def test_full_years_completed_edges(at: datetime, expected: bool) -> None:
    assert full_years_completed(date(2024, 3, 31), at, 3) is expected


@pytest.mark.req("R11.2")
def test_registered_the_day_before_has_three_full_years_at_a_17_00_deadline() -> None:
    assert full_years_completed(date(2024, 3, 30), DEADLINE, 3) is True


@pytest.mark.req("R17.1")
def test_five_year_ban_edges() -> None:
    revoked = date(2022, 3, 31)
    assert full_years_completed(revoked, DEADLINE, 5) is False
    assert full_years_completed(revoked, cst(2027, 4, 1, 0, 0), 5) is True
    assert full_years_completed(date(2022, 3, 30), DEADLINE, 5) is True


# --- look-back window (近3年) -------------------------------------------------------------------


@pytest.mark.req("R11.6")
def test_lookback_window_edges() -> None:
    assert lookback_first_day(DEADLINE, 3) == date(2024, 4, 1)
    assert within_lookback(date(2024, 4, 1), DEADLINE, 3) is True
    assert within_lookback(date(2024, 3, 31), DEADLINE, 3) is False  # the starting day is not counted
    assert within_lookback(date(2024, 3, 30), DEADLINE, 3) is False
    assert within_lookback(date(2027, 3, 31), DEADLINE, 3) is True  # the deadline day counts
    assert within_lookback(date(2027, 4, 1), DEADLINE, 3) is False  # after the deadline


@pytest.mark.req("R11.6")
def test_lookback_uses_the_cst_date_of_the_instant() -> None:
    # 2027-03-31T16:30Z is already 1 April 00:30 in China.
    at = datetime(2027, 3, 31, 16, 30, tzinfo=UTC)
    assert lookback_first_day(at, 3) == date(2024, 4, 2)
    assert within_lookback(date(2027, 4, 1), at, 3) is True


@pytest.mark.req("R11.6")
def test_lookback_from_29_february() -> None:
    assert lookback_first_day(cst(2028, 2, 29, 12, 0), 3) == date(2025, 3, 1)


# --- time zones and formatting -----------------------------------------------------------------


@pytest.mark.req("R11.2")
def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2027, 3, 31, 17, 0)
    for call in (
        lambda: cst_date(naive),
        lambda: full_years_completed(date(2024, 3, 31), naive, 3),
        lambda: period_end_from(naive, days=7),
        lambda: lookback_first_day(naive, 3),
        lambda: within_lookback(date(2026, 1, 1), naive, 3),
        lambda: format_cst(naive),
        lambda: format_cst_date(naive),
    ):
        with pytest.raises(ValueError, match="naive"):
            call()


@pytest.mark.req("R11.2")
def test_cst_date() -> None:
    assert cst_date(datetime(2027, 3, 31, 15, 59, tzinfo=UTC)) == date(2027, 3, 31)
    assert cst_date(datetime(2027, 3, 31, 16, 0, tzinfo=UTC)) == date(2027, 4, 1)


@pytest.mark.req("R11.2")
def test_format_functions() -> None:
    assert format_cst_date(date(2027, 3, 31)) == "2027年3月31日"
    assert format_cst_date(date(2027, 11, 5)) == "2027年11月5日"
    assert format_cst_date(DEADLINE) == "2027年3月31日"
    assert format_cst_date(datetime(2027, 3, 31, 16, 30, tzinfo=UTC)) == "2027年4月1日"
    assert format_cst(DEADLINE) == "2027年3月31日 17:00"
    assert format_cst(datetime(2027, 3, 31, 1, 5, tzinfo=UTC)) == "2027年3月31日 09:05"
    assert format_cst(datetime(2026, 11, 27, 16, 0, tzinfo=UTC)) == "2026年11月28日 00:00"


# --- properties ---------------------------------------------------------------------------------

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@pytest.mark.req("R11.2")
@given(dates, st.integers(min_value=0, max_value=400))
def test_property_day_periods_end_at_cst_midnight_after_the_last_day(start: date, days: int) -> None:
    end = period_end(start, days=days)
    local = end.astimezone(CST)
    assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    assert local.date() == start + timedelta(days=days + 1)


@pytest.mark.req("R11.2")
@given(dates, st.integers(min_value=1, max_value=10))
def test_property_full_years_switch_exactly_at_period_end(since: date, years: int) -> None:
    end = period_end(since, years=years)
    assert full_years_completed(since, end, years) is True
    assert full_years_completed(since, end - timedelta(microseconds=1), years) is False


@pytest.mark.req("R11.6")
@given(dates, st.integers(min_value=1, max_value=5))
def test_property_lookback_window_holds_years_days(day: date, years: int) -> None:
    at = datetime.combine(day, datetime.min.time(), tzinfo=CST).replace(hour=12)
    first = lookback_first_day(at, years)
    assert within_lookback(first, at, years)
    assert not within_lookback(first - timedelta(days=1), at, years)
    assert within_lookback(day, at, years)
    assert not within_lookback(day + timedelta(days=1), at, years)
    assert 365 * years <= (day - first).days + 1 <= 366 * years
