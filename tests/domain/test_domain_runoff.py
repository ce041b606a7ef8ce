"""The run-off ballot among candidates tied across a cut-off (决选投票, R14.6, R3.3)."""

from __future__ import annotations

import random
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ballot import Choice, Tally, Vote, tally
from domain.errors import DomainError
from domain.runoff import reason_tied_again, runoff_result, waiting_text
from domain.selection import Candidate, SelectionRules, preliminary_list
from domain.types import Award

pytestmark = pytest.mark.req("R14.6")


def counted(present: int, approvals: dict[str, int], recused: dict[str, int] | None = None) -> list[Tally]:
    """The tally of a run-off where candidate c got approvals[c] APPROVE marks, the rest REJECT."""
    recused = recused or {}
    votes = []
    for c, n in approvals.items():
        eligible = present - recused.get(c, 0)
        votes += [Vote(c, Choice.APPROVE)] * n + [Vote(c, Choice.REJECT)] * (eligible - n)
    return tally(votes, candidates=sorted(approvals), present=present, recusals=recused)


def test_the_candidate_with_most_approvals_takes_the_one_seat() -> None:
    out = runoff_result(counted(5, {"a": 4, "b": 3}), seats=1)
    assert out.selected == ("a",) and out.settled and out.over == ("b",) and out.vacant == 0
    assert out.rank("b") == 2


def test_a_candidate_below_the_majority_is_never_selected_and_the_seat_stays_vacant() -> None:
    # 5 present: a pass needs more than half, i.e. 3 approvals
    out = runoff_result(counted(5, {"a": 2, "b": 1}), seats=1)
    assert out.selected == () and out.not_passed == ("a", "b") and out.settled and out.vacant == 1


def test_a_tie_again_across_the_seats_is_reported_for_another_run_off() -> None:
    out = runoff_result(counted(5, {"a": 5, "b": 4, "c": 4, "d": 1}), seats=2)
    assert out.selected == ("a",)
    assert out.tied == ("b", "c") and out.seats_left == 1 and not out.settled
    assert out.not_passed == ("d",) and out.vacant == 0


def test_a_tie_within_the_seats_is_no_tie() -> None:
    out = runoff_result(counted(5, {"a": 4, "b": 4, "c": 3}), seats=2)
    assert sorted(out.selected) == ["a", "b"] and out.settled and out.over == ("c",)


def test_everyone_tied_again_for_one_seat() -> None:
    out = runoff_result(counted(5, {"a": 5, "b": 5}), seats=1)
    assert out.selected == () and out.tied == ("a", "b") and out.seats_left == 1


def test_recused_members_do_not_count_for_the_majority() -> None:
    # b: 4 eligible (one recused), 3 approve -> passes; a: 5 eligible, 3 approve -> passes; tie on 3
    out = runoff_result(counted(5, {"a": 3, "b": 3}, {"b": 1}), seats=1)
    assert out.tied == ("a", "b")


def test_no_seats_is_refused() -> None:
    with pytest.raises(DomainError) as e:
        runoff_result(counted(5, {"a": 3}), seats=0)
    assert e.value.code == "RUNOFF_SEATS"


def test_texts() -> None:
    assert waiting_text(Award.QUALITY, 2, 1).startswith(
        "Run-off ballot (决选投票) among 2 tied candidates for 1 seat of QUALITY (区政府质量奖)"
    )
    assert "剩余1个名额" in reason_tied_again(Award.QUALITY, "2027-runoff-1", 4, 1, 1)


def test_the_plenary_tie_is_what_the_run_off_settles() -> None:
    """The plenary's tie (domain.selection) gives the run-off its candidates and seats."""
    pool = [
        Candidate("a", Award.QUALITY, "甲", D("800"), D("800"), 5, True),
        Candidate("b", Award.QUALITY, "乙", D("700"), D("700"), 5, True),
        Candidate("c", Award.QUALITY, "丙", D("700"), D("700"), 5, True),
    ]
    sel = preliminary_list(pool, SelectionRules(2, 5, 600))
    (tie,) = sel.ties
    assert [c.application_id for c in sel.winners[Award.QUALITY]] == ["a"]
    assert tie.application_ids == ("b", "c") and tie.seats == 1
    out = runoff_result(counted(5, {"b": 3, "c": 4}), seats=tie.seats)
    assert out.selected == ("c",)


# --- properties -------------------------------------------------------------------------------
@st.composite
def runoffs(draw: st.DrawFn) -> tuple[int, dict[str, int], dict[str, int], int]:
    present = draw(st.integers(min_value=1, max_value=9))
    n = draw(st.integers(min_value=1, max_value=6))
    recused = {f"c{k}": draw(st.integers(min_value=0, max_value=present)) for k in range(n)}
    approvals = {c: draw(st.integers(min_value=0, max_value=present - r)) for c, r in recused.items()}
    seats = draw(st.integers(min_value=1, max_value=5))
    return present, approvals, recused, seats


@settings(max_examples=300, deadline=None)
@given(runoffs(), st.randoms(use_true_random=False))
@pytest.mark.req("R3.3")
def test_runoff_properties(case: tuple[int, dict[str, int], dict[str, int], int], rnd: random.Random) -> None:
    present, approvals, recused, seats = case
    tallies = counted(present, approvals, recused)
    out = runoff_result(tallies, seats=seats)
    by_id = {t.candidate_id: t for t in tallies}
    # never more winners than seats; with a tie again, the selected and the tied seats fit exactly
    assert len(out.selected) <= seats
    if out.tied:
        assert len(out.selected) + out.seats_left == seats and 0 < out.seats_left < len(out.tied)
        assert len({by_id[c].approve for c in out.tied}) == 1
    # every candidate is accounted for exactly once
    groups = [*out.selected, *out.tied, *out.not_passed, *out.over]
    assert sorted(groups) == sorted(approvals)
    # only candidates that passed the majority rule are selected; each beats everyone not selected
    for c in out.selected:
        assert by_id[c].passed
        assert all(by_id[c].approve > by_id[o].approve for o in [*out.tied, *out.over])
    assert all(not by_id[c].passed for c in out.not_passed)
    # the order of the tally and of the votes is irrelevant
    shuffled = list(tallies)
    rnd.shuffle(shuffled)
    assert runoff_result(shuffled, seats=seats) == out
    votes = [Vote(c, Choice.APPROVE) for c, n in approvals.items() for _ in range(n)]
    rnd.shuffle(votes)
    again = tally(votes, candidates=sorted(approvals), present=present, recusals=recused)
    assert runoff_result(again, seats=seats) == out
