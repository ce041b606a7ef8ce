"""Each award's own criteria (Art. 2; R2.1, R3.3): part of the approved rules, checked by the
preliminary list per award with a reason for each candidate they leave out."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from domain.errors import DomainError
from domain.rules import AwardCriteria, CycleRules, validate_award_criteria, validate_rules
from domain.selection import (
    Candidate,
    ExclusionReason,
    SelectionRules,
    preliminary_list,
    unmet_category_minimums,
)
from domain.types import Award

NOW = datetime(2026, 12, 1, tzinfo=UTC)
RULES = CycleRules(year=2027, application_deadline=NOW + timedelta(days=90))


def candidate(app: str, award: Award, final: int, **points: int) -> Candidate:
    cats = {k.replace("_", "."): Decimal(v) for k, v in points.items()}
    return Candidate(app, award, f"企业{app}", Decimal(final), Decimal(final), 5, True, cats)


def rules(**criteria: AwardCriteria) -> SelectionRules:
    return SelectionRules.from_cycle(
        dataclasses.replace(RULES, award_criteria={Award(k): v for k, v in criteria.items()})
    )


@pytest.mark.req("R2.1")
@pytest.mark.req("R3.3")
def test_each_award_is_checked_against_its_own_criteria_with_a_reason() -> None:
    sel = rules(
        QUALITY=AwardCriteria(min_category_points={"4.7": 300}),
        INNOVATION=AwardCriteria(min_total=700, min_category_points={"4.6": 60}),
    )
    result = preliminary_list(
        [
            candidate("Q1", Award.QUALITY, 820, **{"4_7": 320}),
            candidate("Q2", Award.QUALITY, 810, **{"4_7": 290}),  # 结果 short: not 质量奖 material
            candidate("I1", Award.INNOVATION, 720, **{"4_6": 64}),
            candidate("I2", Award.INNOVATION, 760, **{"4_6": 48}),  # 4.6 short
            candidate("I3", Award.INNOVATION, 690, **{"4_6": 80}),  # above 600, below 创新奖's 700
        ],
        sel,
    )
    assert [c.application_id for c in result.winners[Award.QUALITY]] == ["Q1"]
    assert [c.application_id for c in result.winners[Award.INNOVATION]] == ["I1"]
    why = {x.application_id: x for x in result.excluded}
    assert why["Q2"].reason_code == ExclusionReason.BELOW_AWARD_CRITERIA
    assert (
        "“4.7 结果”得分290分，低于要求的300分" in why["Q2"].reason_zh
        and "区政府质量奖" in why["Q2"].reason_zh
    )
    assert why["I2"].reason_code == ExclusionReason.BELOW_AWARD_CRITERIA
    assert "“4.6 测量、分析与改进”得分48分" in why["I2"].reason_zh
    assert why["I3"].reason_code == ExclusionReason.BELOW_MIN_SCORE and "700分" in why["I3"].reason_zh
    assert len(result.excluded) == 3


@pytest.mark.req("R3.3")
@settings(max_examples=200, deadline=None)
@given(
    finals=st.lists(st.integers(min_value=400, max_value=1000), min_size=1, max_size=10),
    results=st.lists(st.integers(min_value=0, max_value=400), min_size=10, max_size=10),
    minimum=st.integers(min_value=1, max_value=400),
    quota=st.integers(min_value=1, max_value=5),
)
def test_no_winner_falls_short_of_its_award_s_criteria_and_none_is_dropped_without_a_reason(
    finals: list[int], results: list[int], minimum: int, quota: int
) -> None:
    cands = [candidate(f"Q{i}", Award.QUALITY, f, **{"4_7": results[i]}) for i, f in enumerate(finals)]
    sel = dataclasses.replace(
        rules(QUALITY=AwardCriteria(min_category_points={"4.7": minimum})), quota_quality=quota
    )
    result = preliminary_list(cands, sel)
    winners = result.winners[Award.QUALITY]
    assert len(winners) <= quota
    assert all(c.category_points["4.7"] >= minimum and c.final_score >= 600 for c in winners)
    decided = {c.application_id for c in winners} | {x.application_id for x in result.excluded}
    assert decided == {c.application_id for c in cands}
    short = {
        x.application_id for x in result.excluded if x.reason_code == ExclusionReason.BELOW_AWARD_CRITERIA
    }
    assert short == {
        c.application_id for c in cands if c.final_score >= 600 and c.category_points["4.7"] < minimum
    }


@pytest.mark.req("R3.3")
def test_without_award_criteria_the_list_is_what_it_always_was() -> None:
    cands = [candidate(f"Q{i}", Award.QUALITY, 900 - 10 * i) for i in range(7)]
    plain = SelectionRules(RULES.quota_quality, RULES.quota_innovation, RULES.min_final_score)
    assert preliminary_list(cands, plain) == preliminary_list(cands, SelectionRules.from_cycle(RULES))
    assert unmet_category_minimums(None, {}) == []
    assert unmet_category_minimums(AwardCriteria(min_category_points={"4.7": 1}), {}) == [
        ("4.7", 1, Decimal(0))
    ]


@pytest.mark.req("R2.1")
@pytest.mark.req("R21.1")
def test_award_criteria_are_validated_and_older_frozen_rules_decode_without_them() -> None:
    for bad in (
        AwardCriteria(min_category_points={"4.9": 10}),
        AwardCriteria(min_category_points={"4.7": 401}),
        AwardCriteria(min_category_points={"4.6": 0}),
        AwardCriteria(min_total=1001),
    ):
        with pytest.raises(DomainError) as e:
            validate_rules(dataclasses.replace(RULES, award_criteria={Award.QUALITY: bad}), NOW)
        assert (e.value.code, e.value.status) == ("RULES_AWARD_CRITERIA", 422)
    good = dataclasses.replace(
        RULES,
        award_criteria={
            Award.QUALITY: AwardCriteria(650, {"4.7": 240}),
            Award.INNOVATION: AwardCriteria(None, {"4.6": 48}),
        },
    )
    validate_award_criteria(good)
    assert good.min_total(Award.QUALITY) == 650 and good.min_total(Award.INNOVATION) == 600
    adapter = TypeAdapter(CycleRules)
    assert adapter.validate_json(adapter.dump_json(good)) == good  # through JSON (workflow payloads, the DB)
    older = adapter.dump_python(RULES, mode="json")
    del older["award_criteria"]  # rules frozen before award criteria existed
    assert adapter.validate_python(older).award_criteria == {}
