"""Art. 17: a revocation is exposed in the district's main news media; the office records where and
when, after the approval, within the rules' period (R17.2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.aftercare import (
    AftercareRules,
    AwardStatus,
    ExposureState,
    check_media_exposure,
    exposure_due,
    validate_aftercare,
)
from domain.calendar import end_of_day
from domain.errors import DomainError

REVOKED = datetime(2028, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 CST
NOW = REVOKED + timedelta(days=3)


def check(**kw: object) -> None:
    args: dict[str, object] = {
        "medium": "鹿城新闻",
        "published_at": REVOKED + timedelta(days=2),
        "place": "第2版 要闻",
        "url": "",
        "revoked_at": REVOKED,
        "now": NOW,
    }
    args.update(kw)
    status = args.pop("status", AwardStatus.REVOKED)
    exposed = args.pop("exposed", False)
    check_media_exposure(status, exposed, **args)  # type: ignore[arg-type]


def code(**kw: object) -> str:
    with pytest.raises(DomainError) as e:
        check(**kw)
    return e.value.code


@pytest.mark.req("R17.2")
def test_a_publication_names_the_medium_and_where_it_appeared() -> None:
    check()
    check(place="", url="https://www.lucheng.gov.cn/news/2028/0303.html")
    assert code(medium=" ") == "EXPOSURE_MEDIUM_REQUIRED"
    assert code(place="", url="") == "EXPOSURE_PLACE_REQUIRED"
    assert code(url="ftp://example.org/x") == "EXPOSURE_URL"
    assert code(url="javascript:alert(1)") == "EXPOSURE_URL"


@pytest.mark.req("R17.2")
def test_only_after_the_approval_and_not_in_the_future_and_once() -> None:
    assert code(status=AwardStatus.ACTIVE) == "EXPOSURE_NOT_OPEN"
    assert code(status=AwardStatus.REVOCATION_PROPOSED) == "EXPOSURE_NOT_OPEN"
    assert code(exposed=True) == "EXPOSURE_RECORDED"
    assert code(published_at=NOW + timedelta(hours=1)) == "EXPOSURE_IN_FUTURE"
    assert code(published_at=REVOKED - timedelta(days=1)) == "EXPOSURE_BEFORE_REVOCATION"
    check(published_at=REVOKED - timedelta(hours=1))  # earlier the same day (CST) is the same day


@pytest.mark.req("R17.2")
def test_the_exposure_is_due_within_the_rules_period_counted_by_the_civil_code() -> None:
    rules = AftercareRules()
    # 30 days from 1 March 2028 end on 31 March 2028 (a Friday) at 24:00 CST
    assert exposure_due(REVOKED, rules) == end_of_day(datetime(2028, 3, 31).date())
    quick = AftercareRules(
        media_exposure_period=timedelta(hours=2), media_exposure_reminder_before=timedelta(0)
    )
    assert exposure_due(REVOKED, quick) == REVOKED + timedelta(hours=2)
    validate_aftercare(rules)
    with pytest.raises(DomainError) as e:
        validate_aftercare(AftercareRules(media_exposure_period=timedelta(0)))
    assert e.value.code == "RULES_DURATION"
    with pytest.raises(DomainError) as e:
        validate_aftercare(AftercareRules(media_exposure_reminder_before=timedelta(days=30)))
    assert e.value.code == "RULES_REMINDER"
    assert [s.rank for s in ExposureState] == [0, 1, 2]
