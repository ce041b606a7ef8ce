"""The 7-day public notice of the preliminary list and its objections (R14.7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import CST, period_end_from
from domain.errors import DomainError
from domain.publicity import (
    ObjectionConclusion,
    check_objection_window,
    format_close,
    needs_investigation,
    notice_window,
    objection_open,
)

PUBLISHED = datetime(2026, 11, 20, 10, 0, tzinfo=CST)


@pytest.mark.req("R14.7")
def test_window_closes_at_24_00_cst_of_the_seventh_day() -> None:
    opens, closes = notice_window(PUBLISHED)
    assert opens == PUBLISHED
    assert closes == datetime(2026, 11, 28, 0, 0, tzinfo=CST)
    assert closes == period_end_from(PUBLISHED, days=7)
    assert format_close(closes) == "2026年11月27日 24:00"


@pytest.mark.parametrize(
    ("now", "accepted"),
    [
        (datetime(2026, 11, 20, 10, 0, tzinfo=CST), True),
        (datetime(2026, 11, 20, 9, 59, tzinfo=CST), False),
        (datetime(2026, 11, 27, 23, 59, tzinfo=CST), True),
        (datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=CST), True),
        (datetime(2026, 11, 28, 0, 0, tzinfo=CST), False),
        (datetime(2026, 11, 28, 0, 1, tzinfo=CST), False),
        (datetime(2026, 11, 27, 15, 59, tzinfo=UTC), True),  # = 23:59 CST
        (datetime(2026, 11, 27, 16, 0, tzinfo=UTC), False),  # = 24:00 CST
    ],
)
@pytest.mark.req("R14.7")
def test_objection_window_edges(now: datetime, accepted: bool) -> None:
    assert objection_open(PUBLISHED, now) is accepted


@pytest.mark.req("R14.7")
def test_a_late_objection_is_refused_with_the_close_time_in_cst() -> None:
    check_objection_window(PUBLISHED, datetime(2026, 11, 27, 23, 59, tzinfo=CST))
    for late in (datetime(2026, 11, 28, 0, 0, tzinfo=CST), datetime(2026, 11, 28, 0, 1, tzinfo=CST)):
        with pytest.raises(DomainError) as e:
            check_objection_window(PUBLISHED, late)
        assert e.value.code == "OBJECTION_WINDOW_CLOSED" and e.value.status == 409
        assert "2026年11月27日 24:00" in e.value.message_zh
        assert "2026年11月27日 24:00 CST" in e.value.message_en


@pytest.mark.req("R14.7")
def test_an_objection_before_publication_is_refused() -> None:
    with pytest.raises(DomainError) as e:
        check_objection_window(PUBLISHED, PUBLISHED - timedelta(minutes=1))
    assert e.value.code == "OBJECTION_WINDOW_NOT_OPEN" and e.value.status == 409
    assert "2026年11月20日 10:00" in e.value.message_zh


@pytest.mark.req("R14.7")
def test_publication_late_at_night_still_does_not_count_the_first_day() -> None:
    late = datetime(2026, 11, 20, 23, 30, tzinfo=CST)
    assert notice_window(late)[1] == datetime(2026, 11, 28, 0, 0, tzinfo=CST)
    # 00:30 CST on 21 November is still 20 November in UTC: the CST date counts.
    early = datetime(2026, 11, 21, 0, 30, tzinfo=CST)
    assert notice_window(early)[1] == datetime(2026, 11, 29, 0, 0, tzinfo=CST)


@pytest.mark.req("R14.7")
def test_demo_cycles_may_use_a_short_exact_period() -> None:
    opens, closes = notice_window(PUBLISHED, timedelta(minutes=5))
    assert closes - opens == timedelta(minutes=5)
    assert notice_window(PUBLISHED, timedelta(days=7)) == notice_window(PUBLISHED)
    assert objection_open(PUBLISHED, PUBLISHED + timedelta(minutes=4), timedelta(minutes=5))
    assert not objection_open(PUBLISHED, PUBLISHED + timedelta(minutes=5), timedelta(minutes=5))


@pytest.mark.parametrize("days", [0, -1, timedelta(0)])
@pytest.mark.req("R14.7")
def test_a_notice_period_must_be_positive(days: int | timedelta) -> None:
    with pytest.raises(DomainError, match="NOTICE_PERIOD_INVALID"):
        notice_window(PUBLISHED, days)


@pytest.mark.req("R14.7")
def test_naive_times_are_refused() -> None:
    with pytest.raises(DomainError, match="TIME_ZONE_REQUIRED"):
        objection_open(datetime(2026, 11, 20, 10, 0), PUBLISHED)
    with pytest.raises(DomainError, match="TIME_ZONE_REQUIRED"):
        objection_open(PUBLISHED, datetime(2026, 11, 21, 10, 0))


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(CST)))
@pytest.mark.req("R14.7")
def test_window_always_covers_seven_full_days_after_publication(published: datetime) -> None:
    opens, closes = notice_window(published)
    local = closes.astimezone(CST)
    assert (local.hour, local.minute) == (0, 0)
    assert local.date() - published.date() == timedelta(days=8)
    assert objection_open(published, published)
    assert objection_open(published, closes - timedelta(microseconds=1))
    assert not objection_open(published, closes)


@pytest.mark.req("R14.7")
def test_named_objections_are_always_investigated_anonymous_ones_by_rule() -> None:
    assert needs_investigation(anonymous=False)
    assert needs_investigation(anonymous=False, investigate_anonymous=False)
    # Art. 14(5): every problem raised is investigated; anonymous ones too, unless the committee's
    # rules say otherwise (the default changed from "recorded only" with issue 9)
    assert needs_investigation(anonymous=True)
    assert not needs_investigation(anonymous=True, investigate_anonymous=False)
    assert needs_investigation(anonymous=True, investigate_anonymous=True)


@pytest.mark.req("R14.7")
def test_objection_conclusions() -> None:
    assert [c.value for c in ObjectionConclusion] == ["SUBSTANTIATED", "UNSUBSTANTIATED"]
    assert ObjectionConclusion("SUBSTANTIATED").name_zh == "异议成立"
    assert ObjectionConclusion.UNSUBSTANTIATED.name_zh == "异议不成立"


@pytest.mark.req("R14.7")
def test_an_objection_may_name_no_organisation_and_the_office_scopes_it() -> None:
    from domain.errors import DomainError
    from domain.publicity import check_objection, check_scope

    listed = ["2027-0001", "2027-0002"]
    # about the notice itself: taken
    check_objection(
        application_id="", listed=listed, facts="公示名单中得分有误", anonymous=True, name="", contact=""
    )
    with pytest.raises(DomainError, match="OBJECTION_TARGET"):
        check_objection(
            application_id="2027-0009", listed=listed, facts="x", anonymous=True, name="", contact=""
        )
    check_scope(named="", scope=["2027-0002"], listed=listed, reported=False)
    check_scope(named="", scope=[], listed=listed, reported=False)  # concerns no candidate
    for kwargs, code in (
        ({"scope": ["2027-0009"]}, "OBJECTION_TARGET"),
        ({"named": "2027-0001", "scope": ["2027-0002"]}, "OBJECTION_SCOPE_TARGET"),
        ({"reported": True}, "OBJECTION_REPORTED"),
    ):
        args: dict = {"named": "", "scope": ["2027-0001"], "listed": listed, "reported": False} | kwargs
        with pytest.raises(DomainError) as e:
            check_scope(**args)
        assert e.value.code == code
