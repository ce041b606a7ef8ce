"""The non-binding robustness table of the ranking (Art. 14(4), R14.6): aggregations, ranks, flags."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.robustness import (
    ALTERNATIVES,
    CandidateScores,
    Method,
    competition_ranks,
    median,
    rank_award,
    ranking_robustness,
    robustness_content,
    robustness_lines,
    trimmed_mean,
    z_scores,
)
from domain.types import Award

totals = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def cycles(draw: st.DrawFn) -> tuple[list[CandidateScores], dict[int, dict[str, Decimal]]]:
    """Candidates of one award, each scored by a panel of 3–5 drawn from a pool of experts."""
    n = draw(st.integers(min_value=1, max_value=9))
    pool = draw(st.integers(min_value=3, max_value=8))
    by_expert: dict[int, dict[str, Decimal]] = {}
    candidates = []
    for i in range(n):
        app = f"2027-{i:04d}"
        panel = draw(st.lists(st.integers(1, pool), min_size=3, max_size=5, unique=True))
        members = {e: draw(totals) for e in sorted(panel)}
        for e, t in members.items():
            by_expert.setdefault(e, {})[app] = t
        candidates.append(CandidateScores(app, Award.QUALITY, f"企业{i}", draw(totals), members))
    return candidates, by_expert


@pytest.mark.req("R14.6")
@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=8),
    panel=st.lists(st.integers(1, 6), min_size=3, max_size=5, unique=True),
    score=totals,
    seats=st.integers(min_value=1, max_value=5),
)
def test_identical_scores_give_identical_ranks_under_every_method(
    n: int, panel: list[int], score: Decimal, seats: int
) -> None:
    members = dict.fromkeys(sorted(panel), score)
    candidates = [
        CandidateScores(f"2027-{i:04d}", Award.QUALITY, f"企业{i}", score, members) for i in range(n)
    ]
    by_expert = {e: {c.application_id: score for c in candidates} for e in panel}
    table = rank_award(Award.QUALITY, candidates, seats, by_expert)
    for method in Method:
        assert {r.ranks[method] for r in table.candidates} == {1}
    assert table.flagged == ()


@pytest.mark.req("R14.6")
@settings(max_examples=150, deadline=None)
@given(data=cycles(), seats=st.integers(min_value=1, max_value=5))
def test_two_candidates_scored_alike_by_the_same_experts_share_every_rank(
    data: tuple[list[CandidateScores], dict[int, dict[str, Decimal]]], seats: int
) -> None:
    candidates, by_expert = data
    first = candidates[0]
    twin = CandidateScores("2027-9999", Award.QUALITY, "孪生企业", first.official, dict(first.members))
    for e, t in twin.members.items():
        by_expert[e][twin.application_id] = t
    table = rank_award(Award.QUALITY, [*candidates, twin], seats, by_expert)
    rows = {r.application_id: r for r in table.candidates}
    assert rows[first.application_id].ranks == rows[twin.application_id].ranks
    assert rows[first.application_id].flagged == rows[twin.application_id].flagged


@pytest.mark.req("R14.6")
@settings(max_examples=150, deadline=None)
@given(
    data=cycles(),
    seats=st.integers(min_value=1, max_value=5),
    shift=st.decimals(min_value=-300, max_value=300, places=2, allow_nan=False, allow_infinity=False),
    which=st.integers(min_value=0, max_value=100),
)
def test_a_uniform_shift_of_one_experts_scores_changes_nothing_under_z_normalisation(
    data: tuple[list[CandidateScores], dict[int, dict[str, Decimal]]], seats: int, shift: Decimal, which: int
) -> None:
    candidates, by_expert = data
    expert = sorted(by_expert)[which % len(by_expert)]
    shifted_by_expert = {
        e: {a: t + shift if e == expert else t for a, t in ts.items()} for e, ts in by_expert.items()
    }
    shifted = [
        CandidateScores(
            c.application_id,
            c.award,
            c.enterprise_name,
            c.official,
            {e: t + shift if e == expert else t for e, t in c.members.items()},
        )
        for c in candidates
    ]
    before = rank_award(Award.QUALITY, candidates, seats, by_expert)
    after = rank_award(Award.QUALITY, shifted, seats, shifted_by_expert)
    assert z_scores(by_expert) == z_scores(shifted_by_expert)  # bit for bit
    assert [
        (r.application_id, r.ranks[Method.Z_SCORE], r.scores[Method.Z_SCORE]) for r in before.candidates
    ] == [(r.application_id, r.ranks[Method.Z_SCORE], r.scores[Method.Z_SCORE]) for r in after.candidates]


@pytest.mark.req("R14.6")
@settings(max_examples=150, deadline=None)
@given(data=cycles(), seats=st.integers(min_value=1, max_value=5))
def test_a_candidate_is_flagged_exactly_when_its_side_of_the_cut_off_changes(
    data: tuple[list[CandidateScores], dict[int, dict[str, Decimal]]], seats: int
) -> None:
    candidates, by_expert = data
    table = rank_award(Award.QUALITY, candidates, seats, by_expert)
    assert len(table.candidates) == len(candidates)
    for r in table.candidates:
        sides = {m: r.ranks[m] <= seats for m in Method}
        assert r.inside == sides
        assert r.changed_under == tuple(m for m in ALTERNATIVES if sides[m] != sides[Method.OFFICIAL])
        assert r.flagged == bool(r.changed_under)
    # listed in official order
    assert [r.ranks[Method.OFFICIAL] for r in table.candidates] == sorted(
        r.ranks[Method.OFFICIAL] for r in table.candidates
    )


@pytest.mark.req("R14.6")
def test_one_lenient_expert_is_what_the_z_scores_correct_and_the_table_flags() -> None:
    # Expert 9 scores everything 150 points higher than the others would; they sit only on B's panel.
    # Officially B (the consolidated 760) is inside a cut-off of one; by z-scores A is.
    by_expert = {
        1: {"A": Decimal(780), "B": Decimal(600), "C": Decimal(640)},
        2: {"A": Decimal(770), "B": Decimal(610), "C": Decimal(650)},
        3: {"A": Decimal(760), "C": Decimal(640)},
        9: {"B": Decimal(900), "D": Decimal(700)},
    }
    cands = [
        CandidateScores("A", Award.QUALITY, "甲", Decimal(750), {e: by_expert[e]["A"] for e in (1, 2, 3)}),
        CandidateScores("B", Award.QUALITY, "乙", Decimal(760), {e: by_expert[e]["B"] for e in (1, 2, 9)}),
        CandidateScores("C", Award.QUALITY, "丙", Decimal(640), {e: by_expert[e]["C"] for e in (1, 2, 3)}),
    ]
    (quality, innovation) = ranking_robustness(cands, {Award.QUALITY: 1, Award.INNOVATION: 5}, by_expert)
    assert innovation.candidates == ()
    rows = {r.application_id: r for r in quality.candidates}
    assert rows["B"].ranks[Method.OFFICIAL] == 1 and rows["A"].ranks[Method.OFFICIAL] == 2
    assert rows["A"].ranks[Method.MEDIAN] == 1 and rows["A"].ranks[Method.Z_SCORE] == 1
    assert rows["A"].flagged and rows["B"].flagged and not rows["C"].flagged
    assert Method.MEDIAN in rows["A"].changed_under
    content = robustness_content((quality, innovation))
    assert content["binding"] is False and "无记名投票" in str(content["note_zh"])
    text = "\n".join(robustness_lines((quality, innovation)))
    assert "仅供参考" in text and "△甲（A）" in text and "△乙（B）" in text and "△丙" not in text
    assert f"【{Award.INNOVATION.name_zh}】名额5家" in text


@pytest.mark.req("R14.6")
def test_the_aggregations() -> None:
    assert median([Decimal(1), Decimal(3), Decimal(2)]) == 2
    assert median([Decimal(1), Decimal(4)]) == Fraction(5, 2)
    assert trimmed_mean([Decimal(v) for v in (0, 10, 10, 10, 100)]) == 10  # one dropped at each end
    assert trimmed_mean([Decimal(v) for v in (0, 30, 90)]) == 40  # a panel of 3: the plain mean
    assert competition_ranks({"a": Decimal(5), "b": Decimal(5), "c": Decimal(4)}) == {"a": 1, "b": 1, "c": 3}
    z = z_scores({1: {"a": Decimal(10), "b": Decimal(20)}, 2: {"a": Decimal(7)}})
    assert z[1] == {"a": Decimal(-1), "b": Decimal(1)} and z[2] == {"a": Decimal(0)}
