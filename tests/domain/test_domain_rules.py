"""The rules of a cycle (实施细则): R3.3 quota, R21.1 rules revision, R4.2 criteria edition."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import CST
from domain.errors import DomainError
from domain.rules import (
    KNOWN_CRITERIA_EDITIONS,
    LEGAL_MAX_WINNERS,
    LOOKBACK_YEARS,
    MIN_OPERATING_YEARS,
    PUBLIC_NOTICE_DAYS,
    REVOCATION_BAN_YEARS,
    CycleRules,
    validate_rules,
)
from domain.types import Award

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=CST)
DEADLINE = datetime(2027, 3, 31, 17, 0, tzinfo=CST)


def rules(**overrides: object) -> CycleRules:
    return dataclasses.replace(CycleRules(year=2027, application_deadline=DEADLINE), **overrides)


def refused(code: str, r: CycleRules, now: datetime = NOW) -> DomainError:
    with pytest.raises(DomainError) as info:
        validate_rules(r, now)
    assert info.value.code == code
    assert info.value.status == 422
    assert info.value.message_zh and info.value.message_en
    return info.value


@pytest.mark.req("R3.3")
def test_default_rules_are_valid_and_returned_unchanged() -> None:
    r = rules()
    assert validate_rules(r, NOW) is r


@pytest.mark.req("R3.3")
def test_legal_constants_of_the_measures() -> None:
    assert LEGAL_MAX_WINNERS == 5
    assert MIN_OPERATING_YEARS == 3
    assert LOOKBACK_YEARS == 3
    assert REVOCATION_BAN_YEARS == 5
    assert PUBLIC_NOTICE_DAYS == 7


@pytest.mark.req("R3.3")
def test_default_quota_is_the_legal_maximum_and_min_score_600() -> None:
    r = rules()
    assert r.quota(Award.QUALITY) == r.quota(Award.INNOVATION) == 5
    assert r.min_final_score == 600
    r = rules(quota_quality=3, quota_innovation=2)
    assert (r.quota(Award.QUALITY), r.quota(Award.INNOVATION)) == (3, 2)


@pytest.mark.req("R3.3")
@pytest.mark.parametrize("field", ["quota_quality", "quota_innovation"])
@pytest.mark.parametrize("quota", [6, 0, -1, 100])
def test_quota_outside_one_to_five_is_refused(field: str, quota: int) -> None:
    err = refused("RULES_QUOTA", rules(**{field: quota}))
    assert "第三条" in err.message_zh
    assert str(quota) in err.message_zh


@pytest.mark.req("R3.3")
@given(st.integers(min_value=-10, max_value=20), st.integers(min_value=-10, max_value=20))
def test_property_quota_accepted_iff_between_one_and_five(q: int, i: int) -> None:
    r = rules(quota_quality=q, quota_innovation=i)
    if 1 <= q <= 5 and 1 <= i <= 5:
        assert validate_rules(r, NOW) is r
    else:
        refused("RULES_QUOTA", r)


@pytest.mark.req("R3.3")
@pytest.mark.parametrize("score", [0, -1, 1001])
def test_min_final_score_outside_the_1000_point_scale_is_refused(score: int) -> None:
    refused("RULES_MIN_SCORE", rules(min_final_score=score))


@pytest.mark.req("R3.3")
@pytest.mark.parametrize("score", [1, 1000])
def test_min_final_score_edges_accepted(score: int) -> None:
    validate_rules(rules(min_final_score=score), NOW)


@pytest.mark.req("P2")
@pytest.mark.parametrize(
    "deadline", [NOW, NOW - timedelta(seconds=1), datetime(2026, 3, 31, 17, 0, tzinfo=CST)]
)
def test_deadline_not_in_the_future_is_refused(deadline: datetime) -> None:
    refused("RULES_DEADLINE_PAST", rules(application_deadline=deadline))


@pytest.mark.req("P2")
def test_naive_deadline_is_refused_with_a_domain_error() -> None:
    err = refused("RULES_DEADLINE_TIMEZONE", rules(application_deadline=datetime(2027, 3, 31, 17, 0)))
    assert "+08:00" in err.message_zh


@pytest.mark.req("P2")
def test_deadline_more_than_400_days_ahead_is_refused() -> None:
    refused("RULES_DEADLINE_TOO_FAR", rules(application_deadline=NOW + timedelta(days=401)))
    validate_rules(rules(application_deadline=NOW + timedelta(days=400)), NOW)


@pytest.mark.req("R3.1")
@pytest.mark.parametrize("year", [2025, 2028])
def test_award_year_must_be_this_year_or_next(year: int) -> None:
    refused("RULES_YEAR", rules(year=year))
    validate_rules(rules(year=2026), NOW)


@pytest.mark.req("P2")
@pytest.mark.parametrize("days", [0, 181])
def test_qualification_review_period_is_bounded(days: int) -> None:
    refused("RULES_DURATION", rules(qualification_review_days=days))


@pytest.mark.req("R4.2")
@pytest.mark.parametrize("edition", ["GB/T 19580-2004", "GB/T 19580-2023", "", "gb/t 19580-2012"])
def test_unknown_criteria_edition_is_refused(edition: str) -> None:
    err = refused("RULES_CRITERIA_EDITION", rules(criteria_edition=edition))
    assert "GB/T 19580-2012" in err.message_zh


@pytest.mark.req("R4.2")
def test_default_criteria_edition_is_gb_t_19580_2012() -> None:
    assert rules().criteria_edition == "GB/T 19580-2012"
    assert "GB/T 19580-2012" in KNOWN_CRITERIA_EDITIONS


@pytest.mark.req("R21.1")
def test_default_rules_revision_names_the_2023_revision() -> None:
    revision = rules().rules_revision
    assert "2023" in revision
    assert "2023年修订" in revision
    assert "2023年9月1日" in revision
    assert "温鹿政发〔2022〕98号" in revision
    assert rules().district == "鹿城区"


@pytest.mark.req("R21.1")
def test_rules_are_frozen() -> None:
    r = rules()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.quota_quality = 4  # type: ignore[misc]


@pytest.mark.req("P2")
def test_utc_deadline_is_accepted() -> None:
    validate_rules(rules(application_deadline=DEADLINE.astimezone(UTC)), NOW)
