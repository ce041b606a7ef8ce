"""Rest days in day counting (民法典 第二百零三条): a period whose last day is a statutory holiday,
or a Saturday or Sunday that is not an adjusted working day, ends on the next working day. The
holidays are the State Council's, one file per year (domain/holidays/*.json)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devstack.holidays import calendar_for_tests
from domain.aftercare import AftercareRules, correction_due, follow_up_due
from domain.calendar import (
    CST,
    HolidayCalendar,
    HolidayYear,
    due_after,
    end_of_day,
    period_end,
    period_end_from,
    period_last_day,
    shipped_holiday_years,
    validate_holiday_year,
)
from domain.eligibility import ban_end, check_ban
from domain.errors import DomainError
from domain.facts import Revocation
from domain.publicity import check_objection_window, format_close, notice_window
from domain.rules import CycleRules, calendar_years, check_holiday_calendar
from domain.types import Award

SHIPPED = shipped_holiday_years()
CAL = HolidayCalendar(tuple(SHIPPED.values()))


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


# --- the shipped years ---------------------------------------------------------------------------


def test_shipped_years_cite_their_notice_and_are_valid() -> None:
    assert {2024, 2025} <= set(SHIPPED)
    assert "国办发明电〔2023〕7号" in SHIPPED[2024].source
    assert "国办发明电〔2024〕12号" in SHIPPED[2025].source
    for y in SHIPPED.values():
        assert f"国务院办公厅关于{y.year}年部分节假日安排的通知" in y.source
        assert validate_holiday_year(y) is y
        assert all(d.weekday() >= 5 for d in y.workdays)


def test_2025_spring_festival_and_national_day_as_the_notice_says() -> None:
    y = SHIPPED[2025]
    assert [d for d in y.holidays if date(2025, 1, 2) <= d <= date(2025, 2, 28)] == [
        date(2025, 1, 28) + timedelta(days=i) for i in range(8)
    ]
    assert [d for d in y.holidays if d.month == 10] == [date(2025, 10, i) for i in range(1, 9)]
    assert set(y.workdays) == {
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
    }


# --- the count -----------------------------------------------------------------------------------


@pytest.mark.req("R14.7")
def test_a_7_day_notice_published_24_september_2025_ends_9_october_not_1_october() -> None:
    """Issue 9: without rest days it closed 1 October 24:00, inside the National Day holiday
    (1-8 October 2025); the next working day is Thursday 9 October."""
    assert period_end(date(2025, 9, 24), days=7) == end_of_day(date(2025, 10, 1))  # the plain count
    end = period_end(date(2025, 9, 24), days=7, calendar=CAL)
    assert end == cst(2025, 10, 10, 0, 0) == datetime(2025, 10, 9, 16, 0, tzinfo=UTC)
    published = cst(2025, 9, 24, 10, 0)
    opens, closes = notice_window(published, 7, CAL)
    assert (opens, closes) == (published, end)
    assert format_close(closes) == "2025年10月9日 24:00"
    check_objection_window(published, cst(2025, 10, 5, 12, 0), 7, CAL)  # during the holiday: open
    check_objection_window(published, cst(2025, 10, 9, 23, 59), 7, CAL)
    with pytest.raises(DomainError) as e:
        check_objection_window(published, cst(2025, 10, 10, 0, 0), 7, CAL)
    assert e.value.code == "OBJECTION_WINDOW_CLOSED"
    assert notice_window(published, timedelta(days=7), CAL)[1] == end  # the rules' timedelta form


def test_spring_festival_2025_moves_the_last_day_past_the_holiday() -> None:
    # 21 January + 7 days = 28 January (除夕), holiday until 4 February: ends Wednesday 5 February.
    assert period_last_day(date(2025, 1, 21), days=7, calendar=CAL) == date(2025, 2, 5)
    assert period_end_from(cst(2025, 1, 21, 15, 0), days=7, calendar=CAL) == end_of_day(date(2025, 2, 5))


def test_spring_festival_2024_ends_on_the_adjusted_working_sunday_after_it() -> None:
    # 5 February + 7 = 12 February (holiday 10-17 February); 18 February is a Sunday but a working day.
    assert period_last_day(date(2024, 2, 5), days=7, calendar=CAL) == date(2024, 2, 18)


@pytest.mark.parametrize(
    ("start", "last"),
    [
        (date(2025, 1, 19), date(2025, 1, 26)),  # Sunday 26 January 2025: 调休上班
        (date(2025, 10, 4), date(2025, 10, 11)),  # Saturday 11 October 2025: 调休上班
        (date(2024, 9, 22), date(2024, 9, 29)),  # Sunday 29 September 2024: 调休上班
    ],
)
def test_a_period_ending_on_an_adjusted_working_weekend_day_ends_that_day(start: date, last: date) -> None:
    assert last.weekday() >= 5
    assert period_last_day(start, days=7, calendar=CAL) == last


def test_a_period_ending_on_a_weekend_rolls_over_to_monday() -> None:
    assert date(2025, 3, 15).weekday() == 5  # Saturday
    assert period_last_day(date(2025, 3, 8), days=7, calendar=CAL) == date(2025, 3, 17)
    assert period_last_day(date(2025, 3, 9), days=7, calendar=CAL) == date(2025, 3, 17)  # Sunday
    # a year without data: Saturdays and Sundays are still rest days, holidays unknown
    assert date(2031, 3, 15).weekday() == 5
    assert period_last_day(date(2031, 3, 8), days=7, calendar=CAL) == date(2031, 3, 17)
    assert period_last_day(date(2031, 9, 24), days=7, calendar=CAL) == date(2031, 10, 1)


def test_a_period_ending_on_a_working_day_is_unchanged_and_without_a_calendar_nothing_moves() -> None:
    assert period_last_day(date(2026, 11, 20), days=7, calendar=CAL) == date(2026, 11, 27)  # a Friday
    # rules frozen before rest days were counted keep their plain count (running cycles, histories)
    assert period_last_day(date(2025, 9, 24), days=7) == date(2025, 10, 1)


def test_day_periods_in_due_after_roll_over_and_short_demo_periods_are_exact() -> None:
    start = cst(2025, 9, 24, 10, 0)
    assert due_after(start, timedelta(days=7), CAL) == end_of_day(date(2025, 10, 9))
    assert due_after(start, timedelta(seconds=30), CAL) == start + timedelta(seconds=30)
    assert due_after(start, timedelta(hours=36), CAL) == start + timedelta(hours=36)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31)), st.integers(0, 60))
def test_property_the_last_day_is_the_first_working_day_on_or_after_the_plain_one(
    start: date, days: int
) -> None:
    plain = period_last_day(start, days=days)
    last = period_last_day(start, days=days, calendar=CAL)
    assert last >= plain and not CAL.is_rest_day(last)
    assert all(CAL.is_rest_day(plain + timedelta(days=i)) for i in range((last - plain).days))


# --- every day-counted period of the system uses it ---------------------------------------------------


@pytest.mark.req("R17.1")
def test_the_5_year_ban_ends_after_a_holiday_on_its_last_day() -> None:
    # revoked 1 October 2020: the ban's last day would be 1 October 2025 (National Day)
    r = Revocation(
        "91330302MA2H3K5P7U", Award.QUALITY, 2019, date(2020, 10, 1), "弄虚作假", "鹿政发〔2020〕9号"
    )
    assert ban_end(r) == end_of_day(date(2025, 10, 1))
    assert ban_end(r, CAL) == end_of_day(date(2025, 10, 9))
    during = cst(2025, 10, 8, 17, 0)
    assert check_ban([r], r.credit_code, during).status == "PASS"  # the plain count: over
    banned = check_ban([r], r.credit_code, during, CAL)
    assert banned.status == "FAIL" and "2025年10月9日24时" in banned.finding_zh


@pytest.mark.req("R18.1")
@pytest.mark.req("R19.1")
def test_aftercare_deadlines_roll_over() -> None:
    rules = AftercareRules(holiday_calendar=CAL)
    ordered = cst(2025, 9, 1, 10, 0)  # + 30 days = 1 October 2025
    assert correction_due(ordered, AftercareRules()) == end_of_day(date(2025, 10, 1))
    assert correction_due(ordered, rules) == end_of_day(date(2025, 10, 9))
    opens, due = follow_up_due(cst(2024, 1, 27, 9, 0), rules, 1)  # + 365 days = 26 January 2025, 调休上班
    assert opens == end_of_day(date(2025, 1, 26))
    assert due == end_of_day(date(2025, 2, 26))


# --- which years a cycle needs ----------------------------------------------------------------------


def rules(deadline: datetime, **kw: object) -> CycleRules:
    return dataclasses.replace(CycleRules(year=deadline.year, application_deadline=deadline), **kw)


def test_a_cycle_needs_the_year_of_its_deadline_and_the_next() -> None:
    assert calendar_years(rules(cst(2025, 3, 31, 17, 0))) == (2025, 2026)
    assert calendar_years(rules(cst(2026, 1, 1, 0, 0))) == (2025, 2026)  # 24:00 on 31 December
    check_holiday_calendar(rules(cst(2025, 3, 31, 17, 0)), CAL)


@pytest.mark.req("R7.1")
def test_a_cycle_is_refused_for_a_year_without_data_unless_its_rules_are_demo_rules() -> None:
    late = rules(cst(2035, 3, 31, 17, 0))
    with pytest.raises(DomainError) as e:
        check_holiday_calendar(late, CAL)
    assert (e.value.code, e.value.status) == ("HOLIDAY_CALENDAR_MISSING", 409)
    assert e.value.details["missing_years"] == [2035, 2036]
    assert "2035年、2036年" in e.value.message_zh and "2035, 2036" in e.value.message_en
    check_holiday_calendar(dataclasses.replace(late, demo=True), CAL)
    with_one = HolidayCalendar((*CAL.years, calendar_for_tests(2035)))
    with pytest.raises(DomainError) as e:
        check_holiday_calendar(late, with_one)
    assert e.value.details["missing_years"] == [2036]


# --- what the office may record ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (HolidayYear(2027, (date(2026, 12, 31),), (), "通知"), "HOLIDAY_DATE_OUTSIDE_YEAR"),
        (HolidayYear(2027, (), (date(2028, 1, 2),), "通知"), "HOLIDAY_DATE_OUTSIDE_YEAR"),
        (HolidayYear(2027, (date(2027, 10, 9),), (date(2027, 10, 9),), "通知"), "HOLIDAY_DAY_CONFLICT"),
        (HolidayYear(2027, (date(2027, 1, 1), date(2027, 1, 1)), (), "通知"), "HOLIDAY_DATE_DUPLICATE"),
        (HolidayYear(2027, (), (date(2027, 10, 11),), "通知"), "HOLIDAY_WORKDAY_NOT_WEEKEND"),  # a Monday
        (HolidayYear(2027, (date(2027, 1, 1),), (), "  "), "HOLIDAY_SOURCE_REQUIRED"),
        (HolidayYear(1999, (), (), "通知"), "HOLIDAY_YEAR"),
    ],
)
def test_invalid_holiday_data_is_refused(data: HolidayYear, code: str) -> None:
    with pytest.raises(DomainError) as e:
        validate_holiday_year(data)
    assert (e.value.code, e.value.status) == (code, 422)
    assert e.value.message_zh and e.value.message_en


def test_the_test_calendar_says_what_it_is() -> None:
    y = validate_holiday_year(calendar_for_tests(2027))
    assert "测试日历" in y.source and "非国务院办公厅通知" in y.source
    assert y.workdays == () and date(2027, 10, 1) in y.holidays
