"""The committee's secret ballot: tally, quorum, one member's ballot (R14.6)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ballot import (
    Choice,
    Tally,
    Vote,
    check_quorum,
    decode_ballot,
    encode_ballot,
    quorum_met,
    tally,
    validate_ballot,
)
from domain.errors import DomainError

A, R = Choice.APPROVE, Choice.REJECT


def votes(candidate: str, approve: int, reject: int) -> list[Vote]:
    return [Vote(candidate, A)] * approve + [Vote(candidate, R)] * reject


# --- secrecy ----------------------------------------------------------------------------------


@pytest.mark.req("R14.6")
def test_a_vote_carries_no_voter_identity() -> None:
    assert [f.name for f in dataclasses.fields(Vote)] == ["candidate_id", "choice"]
    ballot = validate_ballot({"a": "APPROVE", "b": R}, candidates=["a", "b"], recused=[])
    assert ballot == [Vote("a", A), Vote("b", R)]
    assert all(set(vars(v)) == {"candidate_id", "choice"} for v in ballot)


# --- tally ------------------------------------------------------------------------------------


@pytest.mark.req("R14.6")
def test_tally_more_than_half_of_eligible_members_present() -> None:
    ballots = votes("a", 6, 5) + votes("b", 5, 6) + votes("c", 6, 4)
    result = tally(ballots, candidates=["c", "b", "a"], present=11, recusals={"c": 1})
    assert result == [
        Tally("a", approve=6, reject=5, recused=0, eligible=11, passed=True),
        Tally("b", approve=5, reject=6, recused=0, eligible=11, passed=False),
        Tally("c", approve=6, reject=4, recused=1, eligible=10, passed=True),
    ]


@pytest.mark.req("R14.6")
def test_exactly_half_does_not_pass() -> None:
    (t,) = tally(votes("a", 5, 5), candidates=["a"], present=10, recusals={})
    assert (t.approve, t.eligible, t.passed) == (5, 10, False)


@pytest.mark.req("R14.6")
def test_an_unmarked_candidate_counts_as_not_approving() -> None:
    # 11 present, 6 approve and 5 did not mark: 6 > 5.5 passes; 5 approve, 6 blank: fails.
    (t,) = tally(votes("a", 6, 0), candidates=["a"], present=11, recusals={})
    assert t.passed and t.abstain == 5
    (t,) = tally(votes("a", 5, 0), candidates=["a"], present=11, recusals={})
    assert not t.passed


@pytest.mark.req("R14.6")
def test_pass_ratio_is_a_rule() -> None:
    (t,) = tally(votes("a", 7, 3), candidates=["a"], present=10, recusals={}, pass_ratio=Fraction(2, 3))
    assert t.passed  # 7 > 20/3
    (t,) = tally(votes("a", 6, 3), candidates=["a"], present=9, recusals={}, pass_ratio=Fraction(2, 3))
    assert not t.passed  # 6 = 2/3 x 9 is not more


@pytest.mark.req("R14.6")
def test_nobody_eligible_never_passes() -> None:
    (t,) = tally([], candidates=["a"], present=3, recusals={"a": 3}, pass_ratio=Fraction(0))
    assert t == Tally("a", 0, 0, 3, 0, False)


@pytest.mark.req("R14.6")
def test_votes_for_unknown_candidates_are_refused() -> None:
    with pytest.raises(DomainError) as e:
        tally(votes("x", 1, 0), candidates=["a"], present=5, recusals={})
    assert e.value.code == "BALLOT_UNKNOWN_CANDIDATE"
    assert e.value.details["candidates"] == ["x"]


@pytest.mark.req("R14.6")
def test_more_votes_than_eligible_members_is_a_count_mismatch() -> None:
    with pytest.raises(DomainError) as e:
        tally(votes("a", 5, 5), candidates=["a"], present=11, recusals={"a": 2})
    assert e.value.code == "BALLOT_COUNT_MISMATCH"
    assert e.value.details == {"candidate_id": "a", "votes": 10, "eligible": 9}
    assert "9" in e.value.message_zh and "9 eligible" in e.value.message_en


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"present": -1}, "BALLOT_PRESENT_INVALID"),
        ({"recusals": {"a": 6}}, "BALLOT_RECUSAL_COUNT"),
        ({"recusals": {"z": 1}}, "BALLOT_UNKNOWN_CANDIDATE"),
        ({"candidates": ["a", "a"]}, "BALLOT_DUPLICATE_CANDIDATE"),
        ({"pass_ratio": Fraction(1)}, "BALLOT_RULE_RATIO"),
    ],
)
@pytest.mark.req("R14.6")
def test_tally_inputs_are_checked(kwargs: dict[str, object], code: str) -> None:
    args: dict[str, object] = {"candidates": ["a"], "present": 5, "recusals": {}} | kwargs
    with pytest.raises(DomainError) as e:
        tally([], **args)  # type: ignore[arg-type]
    assert e.value.code == code


@pytest.mark.req("R14.6")
def test_a_stored_choice_that_is_not_approve_or_reject_is_refused() -> None:
    with pytest.raises(DomainError) as e:
        tally([Vote("a", "MAYBE")], candidates=["a"], present=5, recusals={})  # type: ignore[arg-type]
    assert e.value.code == "BALLOT_INVALID_CHOICE"


ballots = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(list(Choice))), max_size=18
).map(lambda pairs: [Vote(c, ch) for c, ch in pairs])


@settings(max_examples=100, deadline=None)
@given(ballots, st.data())
@pytest.mark.req("R14.6")
def test_tally_is_independent_of_vote_order(cast: list[Vote], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(cast))
    expected = tally(cast, candidates=["a", "b", "c"], present=20, recusals={"b": 1})
    assert tally(shuffled, candidates=["c", "a", "b"], present=20, recusals={"b": 1}) == expected
    assert tally(reversed(cast), candidates=["b", "c", "a"], present=20, recusals={"b": 1}) == expected


@settings(max_examples=100, deadline=None)
@given(
    present=st.integers(min_value=0, max_value=15),
    data=st.data(),
)
@pytest.mark.req("R14.6")
def test_passed_iff_strictly_more_than_half_of_eligible(present: int, data: st.DataObject) -> None:
    recused = data.draw(st.integers(min_value=0, max_value=present))
    eligible = present - recused
    approve = data.draw(st.integers(min_value=0, max_value=eligible))
    reject = data.draw(st.integers(min_value=0, max_value=eligible - approve))
    (t,) = tally(votes("a", approve, reject), candidates=["a"], present=present, recusals={"a": recused})
    assert t.eligible == eligible
    assert t.passed == (eligible > 0 and 2 * approve > eligible)


# --- quorum -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "roster", "met"),
    [(10, 15, True), (9, 15, False), (14, 21, True), (13, 21, False), (8, 11, True), (7, 11, False)],
)
@pytest.mark.req("R14.6")
def test_quorum_two_thirds_by_default(present: int, roster: int, met: bool) -> None:
    assert quorum_met(present, roster) is met


@pytest.mark.req("R14.6")
def test_quorum_edges() -> None:
    assert not quorum_met(0, 0)
    assert quorum_met(5, 10, Fraction(1, 2))
    with pytest.raises(DomainError) as e:
        check_quorum(9, 15)
    assert e.value.code == "QUORUM_NOT_MET" and e.value.status == 409
    assert e.value.details == {"present": 9, "roster": 15, "needed": 10, "quorum": "2/3"}
    assert "9" in e.value.message_zh and "15" in e.value.message_zh and "10" in e.value.message_zh
    check_quorum(10, 15)
    with pytest.raises(DomainError, match="QUORUM_INVALID"):
        check_quorum(16, 15)


# --- one member's ballot ----------------------------------------------------------------------


@pytest.mark.req("R14.6")
def test_a_member_marks_each_candidate_except_recusals() -> None:
    ballot = validate_ballot({"c": "REJECT", "a": A}, candidates=["a", "b", "c"], recused=["b"])
    assert ballot == [Vote("a", A), Vote("c", R)]


@pytest.mark.parametrize(
    ("choices", "code"),
    [
        ({"a": A, "b": A, "c": A}, "BALLOT_RECUSED_CANDIDATE"),
        ({"a": A, "c": A, "x": R}, "BALLOT_UNKNOWN_CANDIDATE"),
        ({"a": A}, "BALLOT_INCOMPLETE"),
        ({"a": A, "c": "ABSTAIN"}, "BALLOT_INVALID_CHOICE"),
    ],
)
@pytest.mark.req("R14.6")
def test_invalid_ballots_are_refused(choices: dict[str, str], code: str) -> None:
    with pytest.raises(DomainError) as e:
        validate_ballot(choices, candidates=["a", "b", "c"], recused=["b"])
    assert e.value.code == code
    assert e.value.message_zh and e.value.message_en


@pytest.mark.req("R14.6")
def test_incomplete_ballot_names_the_missing_candidates() -> None:
    with pytest.raises(DomainError) as e:
        validate_ballot({"a": A}, candidates=["a", "b", "c"], recused=[])
    assert e.value.details["candidates"] == ["b", "c"]
    assert "b, c" in e.value.message_en and "b、c" in e.value.message_zh


# --- the ballot paper that is sealed --------------------------------------------------------------
CANDIDATES = ["2027-0001", "2027-0002", "2027-0003"]


@pytest.mark.req("R14.6")
@pytest.mark.req("P7")
@given(st.lists(st.sampled_from([A, R, None]), min_size=3, max_size=3))
def test_every_ballot_paper_of_a_meeting_has_the_same_length(marks: list[Choice | None]) -> None:
    """What a ballot says never shows in its size (a sealed ballot is exactly as long as its paper
    plus a constant), and opening the paper gives back the ballot."""
    ballot = [Vote(c, x) for c, x in zip(CANDIDATES, marks, strict=True) if x is not None]
    paper = encode_ballot(ballot, candidates=CANDIDATES)
    assert len(paper) == 1 + len(CANDIDATES)
    assert decode_ballot(paper, candidates=CANDIDATES) == ballot


@pytest.mark.req("R14.6")
@pytest.mark.parametrize(
    "paper",
    [b"", b"\x01AR", b"\x01ARRR", b"\x02ARR", b"\x01AXR", b"\x01ar-"],
    ids=["empty", "short", "long", "format", "mark", "lower-case"],
)
def test_a_paper_of_another_shape_stops_the_count(paper: bytes) -> None:
    with pytest.raises(DomainError) as e:
        decode_ballot(paper, candidates=CANDIDATES)
    assert e.value.code == "BALLOT_PAPER_INVALID"


def test_a_paper_marks_only_candidates_of_the_meeting() -> None:
    with pytest.raises(DomainError) as e:
        encode_ballot([Vote("2026-0009", A)], candidates=CANDIDATES)
    assert e.value.code == "BALLOT_UNKNOWN_CANDIDATE"
