"""The experts' undertaking (Art. 20) in the pure rules: an expert who has not signed is never seated,
the draw lists them as skipped with the reason, its record re-runs to the same result, and a draw
with no such expert keeps exactly the hash and record it always had."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.draw_record import encode_inputs, rerun, result_json
from domain.errors import DomainError
from domain.panel import DrawRules, Panel, PanelRequest, PoolExpert, draw_panels, draw_replacement
from domain.undertaking import Clause, check_signing, check_year, default_text, not_signed, text_hash

REQUESTS = [PanelRequest(f"2027-{i:04d}", f"91330302MA2{i:07d}", "INDUSTRY") for i in range(1, 4)]


def pool(n: int, unsigned: set[int] = frozenset()) -> list[PoolExpert]:  # type: ignore[assignment]
    return [PoolExpert(i, ("INDUSTRY",), unsigned=i in unsigned) for i in range(1, n + 1)]


@pytest.mark.req("R20.1")
@pytest.mark.req("R9.1")
@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(min_value=3, max_value=12),
    unsigned=st.sets(st.integers(min_value=1, max_value=12), max_size=8),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_an_expert_who_has_not_signed_is_never_seated_and_is_listed_as_skipped(
    n: int, unsigned: set[int], seed: int
) -> None:
    experts = pool(n, unsigned)
    result = draw_panels(REQUESTS, experts, set(), DrawRules(load_cap=5), seed)
    seated = {x for p in result.panels for x in p.members}
    assert not seated & unsigned
    assert [s.expert_id for s in result.skipped] == sorted(unsigned & set(range(1, n + 1)))
    assert all(s.reason_code == "UNDERTAKING_NOT_SIGNED" and "承诺书" in s.reason_zh for s in result.skipped)
    # the record re-runs to the same result, skipped experts included
    doc = json.loads(json.dumps(encode_inputs(REQUESTS, experts, set(), DrawRules(load_cap=5), {})))
    assert result_json(rerun(doc, seed)) == result_json(result)
    # a seat they would have taken is reported with them counted
    for u in result.unfilled:
        assert dict(u.excluded).get("unsigned", 0) == len(unsigned & set(range(1, n + 1)))


@pytest.mark.req("R20.1")
def test_a_draw_without_unsigned_experts_keeps_the_hash_and_record_it_always_had() -> None:
    experts = pool(6)
    result = draw_panels(REQUESTS, experts, set(), DrawRules(), 7)
    assert result.skipped == ()
    assert "skipped" not in result_json(result)
    assert all("unsigned" not in e for e in encode_inputs(REQUESTS, experts, set(), DrawRules(), {})["pool"])
    # the hash and panels of this draw as the code before undertakings computed them
    assert result.input_hash == "3b68b6e27b75fcea56d5cd1d08cc49b1d7e2c388be4dd4e46237b4b21b68051c"
    assert [p.members for p in result.panels] == [(3, 2, 6), (3, 5, 1), (4, 1, 5)]
    signed_later = draw_panels(
        REQUESTS, [replace(e, unsigned=e.expert_id == 6) for e in experts], set(), DrawRules(), 7
    )
    assert signed_later.input_hash != result.input_hash  # who may be drawn is part of the inputs
    for u in draw_panels(REQUESTS[:1], pool(2), set(), DrawRules(), 1).unfilled:
        assert "unsigned" not in dict(u.excluded) and "承诺书" not in u.reason_zh


@pytest.mark.req("R20.3")
def test_an_alternate_is_never_an_expert_who_has_not_signed() -> None:
    panel = Panel("2027-0001", (1, 2, 3), 1, (1, 2, 3))
    experts = pool(5, unsigned={4})
    result = draw_replacement(panel, 2, REQUESTS[0], experts, set(), DrawRules(), 3)
    assert result.panels[0].members == (1, 5, 3)
    only_unsigned = draw_replacement(panel, 2, REQUESTS[0], pool(4, unsigned={4}), set(), DrawRules(), 3)
    assert only_unsigned.unfilled and only_unsigned.unfilled[0].reason_code == "PANEL_SEAT_NO_ELIGIBLE_EXPERT"
    assert "未签署承诺书1人" in only_unsigned.unfilled[0].reason_zh


@pytest.mark.req("R20.2")
def test_the_undertaking_text_and_the_signing_rules() -> None:
    text = default_text(2027)
    assert "2027年度" in text and text_hash(text) == text_hash(default_text(2027)) != text_hash(
        default_text(2028)
    )
    for clause in Clause:
        assert clause.name_zh
    check_signing(2027, 1, text_hash(text).upper(), current_version=1, current_sha256=text_hash(text))
    with pytest.raises(DomainError) as e:
        check_signing(2027, 1, text_hash(text), current_version=2, current_sha256=text_hash(text))
    assert (e.value.code, e.value.status) == ("UNDERTAKING_TEXT_CHANGED", 409)
    with pytest.raises(DomainError) as e:
        check_year(1999)
    assert (e.value.code, e.value.status) == ("UNDERTAKING_YEAR", 422)
    err = not_signed([2028, 2027, 2028])
    assert (err.code, err.status, err.details["years"]) == ("UNDERTAKING_NOT_SIGNED", 409, [2027, 2028])
