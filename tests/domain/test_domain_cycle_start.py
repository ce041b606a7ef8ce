"""When a cycle may start (R3.1, Art. 7): not a demonstration in production, once a year, and with
exactly the rules the committee approved."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from domain.errors import DomainError
from domain.rules import CycleRules, check_start, cycle_exists

RULES = CycleRules(year=2027, application_deadline=datetime(2027, 6, 30, tzinfo=UTC))


def refused(rules: CycleRules = RULES, **facts: object) -> DomainError:
    given: dict[str, object] = {
        "production": False,
        "started": False,
        "approved_fingerprint": "abc",
        "fingerprint": "abc",
        **facts,
    }
    with pytest.raises(DomainError) as e:
        check_start(rules, **given)  # type: ignore[arg-type]
    return e.value


@pytest.mark.req("R3.1")
def test_a_cycle_starts_with_the_approved_rules_once_a_year() -> None:
    check_start(RULES, production=True, started=False, approved_fingerprint="abc", fingerprint="abc")
    e = refused(started=True)
    assert (e.code, e.status) == ("CYCLE_EXISTS", 409)
    assert "2027年度" in e.message_zh
    assert cycle_exists(2027) == e  # the one answer, whether the record or the workflow service says so


@pytest.mark.req("R3.1")
def test_rules_not_approved_or_changed_since_refuse_the_start() -> None:
    assert refused(approved_fingerprint=None).code == "RULES_NOT_APPROVED"
    assert refused(approved_fingerprint="other").code == "RULES_NOT_APPROVED"


@pytest.mark.req("R3.1")
def test_a_demonstration_cycle_does_not_start_in_production() -> None:
    demo = dataclasses.replace(RULES, demo=True)
    assert refused(demo, production=True, started=True).code == "RULES_DEMO"  # checked first
    check_start(demo, production=False, started=False, approved_fingerprint="abc", fingerprint="abc")
