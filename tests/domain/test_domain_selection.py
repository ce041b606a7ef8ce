"""The preliminary list (R3.3, R14.6), the final score, and certificate numbers (R15.1, R2.1)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import CST
from domain.certificates import (
    award_title,
    certificate_number,
    certificate_text,
    parse_certificate_number,
    plaque_text,
)
from domain.errors import DomainError
from domain.rules import LEGAL_MAX_WINNERS, CycleRules
from domain.selection import (
    Candidate,
    ExclusionReason,
    Selection,
    SelectionRules,
    final_score,
    preliminary_list,
)
from domain.types import Award

Q, INNO = Award.QUALITY, Award.INNOVATION
RULES = SelectionRules(quota_quality=3, quota_innovation=2, min_final_score=600)


def cand(
    app: str,
    approve: int = 10,
    score: str = "700",
    doc: str = "650",
    *,
    award: Award = Q,
    passed: bool = True,
) -> Candidate:
    return Candidate(app, award, f"{app}有限公司", Decimal(score), Decimal(doc), approve, passed)


def ids(sel: Selection, award: Award = Q) -> list[str]:
    return [c.application_id for c in sel.winners[award]]


def reasons(sel: Selection) -> dict[str, str]:
    return {e.application_id: e.reason_code for e in sel.excluded}


# --- the list ---------------------------------------------------------------------------------


@pytest.mark.req("R14.6")
def test_ordered_by_votes_then_final_score_then_document_score() -> None:
    sel = preliminary_list(
        [
            cand("a", 9, "900"),
            cand("b", 11, "610"),
            cand("c", 9, "900", "700"),
            cand("d", 10, "650"),
            cand("e", 9, "800"),
        ],
        RULES,
    )
    assert ids(sel) == ["b", "d", "c"]
    assert reasons(sel) == {"a": "OVER_QUOTA", "e": "OVER_QUOTA"}
    assert sel.ties == ()


@pytest.mark.req("R3.3")
def test_only_passed_candidates_that_reach_the_minimum_are_eligible() -> None:
    sel = preliminary_list(
        [
            cand("a", 3, "950", passed=False),
            cand("b", 15, "599.5"),
            cand("c", 8, "600"),
        ],
        RULES,
    )
    assert ids(sel) == ["c"]
    assert reasons(sel) == {"a": "BALLOT_NOT_PASSED", "b": "BELOW_MIN_SCORE"}
    below = next(e for e in sel.excluded if e.application_id == "b")
    assert "599.5" in below.reason_zh and "600" in below.reason_zh


@pytest.mark.req("R3.3")
def test_awards_are_selected_separately() -> None:
    sel = preliminary_list(
        [cand("q1"), cand("i1", 12, award=INNO), cand("i2", 11, award=INNO), cand("i3", 10, award=INNO)],
        RULES,
    )
    assert ids(sel, Q) == ["q1"]
    assert ids(sel, INNO) == ["i1", "i2"]
    assert reasons(sel) == {"i3": "OVER_QUOTA"}


@pytest.mark.req("R3.3")
def test_vacancy_when_nobody_reaches_the_bar() -> None:
    sel = preliminary_list([cand("a", score="500"), cand("b", passed=False)], RULES)
    assert sel.winners == {Q: (), INNO: ()}
    assert sel.is_vacant(Q) and sel.is_vacant(INNO)
    assert reasons(sel) == {"a": "BELOW_MIN_SCORE", "b": "BALLOT_NOT_PASSED"}
    assert preliminary_list([], RULES).winners == {Q: (), INNO: ()}


@pytest.mark.req("R3.3")
def test_a_quota_above_the_legal_maximum_is_capped_at_five() -> None:
    many = [cand(f"a{n:02d}", 20 - n) for n in range(9)]
    sel = preliminary_list(many, SelectionRules(9, 9, 600))
    assert len(sel.winners[Q]) == LEGAL_MAX_WINNERS == 5
    assert ids(sel) == ["a00", "a01", "a02", "a03", "a04"]
    assert SelectionRules(9, 9, 600).seats(Q) == 5


@pytest.mark.req("R3.3")
def test_a_negative_quota_is_an_error_and_zero_means_none() -> None:
    with pytest.raises(DomainError) as e:
        preliminary_list([cand("a")], SelectionRules(-1, 2, 600))
    assert e.value.code == "SELECTION_QUOTA"
    sel = preliminary_list([cand("a")], SelectionRules(0, 2, 600))
    assert ids(sel) == [] and reasons(sel) == {"a": "OVER_QUOTA"} and sel.ties == ()


@pytest.mark.req("R3.3")
def test_tie_across_the_cutoff_selects_none_of_the_tied_group() -> None:
    sel = preliminary_list(
        [cand("a", 12), cand("b", 11), cand("c", 10), cand("d", 10), cand("e", 9)],
        RULES,
    )
    assert ids(sel) == ["a", "b"]  # 3 seats, but c and d tie for the third
    assert reasons(sel) == {"c": "TIE_AT_CUTOFF", "d": "TIE_AT_CUTOFF", "e": "OVER_QUOTA"}
    (tie,) = sel.ties
    assert (tie.award, tie.application_ids, tie.seats) == (Q, ("c", "d"), 1)
    assert (tie.approve, tie.final_score, tie.document_score) == (10, Decimal(700), Decimal(650))
    tied = next(e for e in sel.excluded if e.application_id == "c")
    assert "再次表决" in tied.reason_zh


@pytest.mark.req("R3.3")
def test_a_tie_inside_the_quota_is_no_problem() -> None:
    sel = preliminary_list([cand("a", 10), cand("b", 10), cand("c", 9)], RULES)
    assert sorted(ids(sel)) == ["a", "b", "c"] and sel.ties == ()
    sel = preliminary_list([cand("a", 10), cand("b", 10), cand("c", 10)], RULES)
    assert len(ids(sel)) == 3 and sel.ties == ()


@pytest.mark.req("R3.3")
def test_a_tie_broken_by_document_score_is_not_a_tie() -> None:
    sel = preliminary_list(
        [cand("a", 12), cand("b", 11), cand("c", 10, doc="640"), cand("d", 10, doc="641")], RULES
    )
    assert ids(sel) == ["a", "b", "d"] and sel.ties == ()


@pytest.mark.req("R3.3")
def test_whole_quota_tied_leaves_the_award_vacant() -> None:
    sel = preliminary_list([cand(x, 10, award=INNO) for x in "abc"], RULES)
    assert sel.is_vacant(INNO)
    (tie,) = sel.ties
    assert tie.application_ids == ("a", "b", "c") and tie.seats == 2


@pytest.mark.req("R3.3")
def test_the_application_id_never_decides() -> None:
    pool = [cand("z", 10), cand("y", 10), cand("a", 11), cand("m", 9), cand("n", 10)]
    renamed = [
        cand({"z": "b", "y": "c", "n": "d"}.get(c.application_id, c.application_id), c.approve) for c in pool
    ]
    assert len(ids(preliminary_list(pool, RULES))) == len(ids(preliminary_list(renamed, RULES))) == 1


@pytest.mark.req("R3.3")
def test_duplicate_applications_are_refused() -> None:
    with pytest.raises(DomainError, match="SELECTION_DUPLICATE_CANDIDATE"):
        preliminary_list([cand("a"), cand("a", award=INNO)], RULES)


@pytest.mark.req("R3.3")
def test_rules_come_from_the_cycle() -> None:
    cycle = CycleRules(2027, datetime(2027, 3, 31, 17, 0, tzinfo=CST), quota_quality=4, quota_innovation=3)
    assert SelectionRules.from_cycle(cycle) == SelectionRules(4, 3, 600)


# --- properties -------------------------------------------------------------------------------


@st.composite
def pools(draw: st.DrawFn, *, crowded: bool = False) -> list[Candidate]:
    """Few distinct values so that ties happen; `crowded` pools tie across the cut-off often."""
    n = draw(st.integers(min_value=0, max_value=14))
    scores = [600, 700] if crowded else [580, 599, 600, 650, 700]
    out = []
    for k in range(n):
        out.append(
            Candidate(
                application_id=f"app{k:02d}",
                award=draw(st.sampled_from([Q, INNO])),
                enterprise_name=f"企业{k}",
                final_score=Decimal(draw(st.sampled_from(scores))),
                document_score=Decimal(draw(st.sampled_from([600] if crowded else [600, 620]))),
                approve=draw(st.integers(min_value=0, max_value=2 if crowded else 4)),
                passed=draw(st.booleans()) or crowded,
            )
        )
    return out


rules_st = st.builds(
    SelectionRules,
    quota_quality=st.integers(min_value=0, max_value=12),
    quota_innovation=st.integers(min_value=0, max_value=12),
    min_final_score=st.sampled_from([0, 600, 650, 1000]),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(pools(), pools(crowded=True)), rules_st)
@pytest.mark.req("R3.3")
def test_selection_properties(pool: list[Candidate], rules: SelectionRules) -> None:
    sel = preliminary_list(pool, rules)
    by_id = {c.application_id: c for c in pool}
    # every candidate is either a winner or excluded, exactly once
    chosen = [c.application_id for award in Award for c in sel.winners[award]]
    left = [e.application_id for e in sel.excluded]
    assert sorted(chosen + left) == sorted(by_id)
    for award in Award:
        winners = sel.winners[award]
        # never more than the quota, never more than 5, whatever the quota
        assert len(winners) <= min(rules.quota(award), LEGAL_MAX_WINNERS) <= LEGAL_MAX_WINNERS
        for w in winners:
            assert w.award is award and w.passed and w.final_score >= rules.min_final_score
        # no eligible loser outranks or equals a winner
        losers = [
            by_id[e.application_id]
            for e in sel.excluded
            if e.reason_code in (ExclusionReason.OVER_QUOTA, ExclusionReason.TIE_AT_CUTOFF)
            and by_id[e.application_id].award is award
        ]
        for w in winners:
            assert all(loser.rank_key < w.rank_key for loser in losers)
    # the input order does not matter
    assert preliminary_list(list(reversed(pool)), rules) == sel


tight_rules_st = st.builds(
    SelectionRules,
    quota_quality=st.integers(min_value=1, max_value=6),
    quota_innovation=st.integers(min_value=1, max_value=6),
    min_final_score=st.sampled_from([0, 600]),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(pools(), pools(crowded=True)), st.one_of(rules_st, tight_rules_st))
@pytest.mark.req("R3.3")
def test_tie_at_cutoff_excludes_exactly_the_tied_boundary_group(
    pool: list[Candidate], rules: SelectionRules
) -> None:
    sel = preliminary_list(pool, rules)
    for award in Award:
        seats = min(rules.quota(award), LEGAL_MAX_WINNERS)
        eligible = sorted(
            (c for c in pool if c.award is award and c.passed and c.final_score >= rules.min_final_score),
            key=lambda c: c.rank_key,
            reverse=True,
        )
        ties = [t for t in sel.ties if t.award is award]
        crosses = 0 < seats < len(eligible) and eligible[seats - 1].rank_key == eligible[seats].rank_key
        if not crosses:
            assert ties == []
            assert len(sel.winners[award]) == min(seats, len(eligible))
            continue
        boundary = eligible[seats - 1].rank_key
        group = sorted(c.application_id for c in eligible if c.rank_key == boundary)
        (tie,) = ties
        assert list(tie.application_ids) == group
        assert (tie.approve, tie.final_score, tie.document_score) == boundary
        above = [c for c in eligible if c.rank_key > boundary]
        assert sorted(c.application_id for c in sel.winners[award]) == sorted(c.application_id for c in above)
        assert tie.seats == seats - len(above) < len(group)
        tied_out = {e.application_id for e in sel.excluded if e.reason_code == ExclusionReason.TIE_AT_CUTOFF}
        assert set(group) <= tied_out


@settings(max_examples=100, deadline=None)
@given(
    st.decimals(min_value=0, max_value=Decimal("599.99"), places=2),
    st.integers(min_value=1, max_value=5),
)
@pytest.mark.req("R3.3")
def test_below_the_minimum_is_never_selected_even_with_every_vote(score: Decimal, quota: int) -> None:
    star = cand("star", approve=99, score=str(score))
    sel = preliminary_list([star, cand("other", approve=1)], SelectionRules(quota, quota, 600))
    assert "star" not in ids(sel)
    assert reasons(sel)["star"] == "BELOW_MIN_SCORE"


@settings(max_examples=100, deadline=None)
@given(pools().map(lambda p: [c for c in p if not c.passed or c.final_score < 600]), rules_st)
@pytest.mark.req("R3.3")
def test_vacancy_when_nobody_is_eligible(pool: list[Candidate], rules: SelectionRules) -> None:
    sel = preliminary_list(pool, SelectionRules(rules.quota_quality, rules.quota_innovation, 600))
    assert sel.winners == {Q: (), INNO: ()} and sel.ties == ()


# --- final score ------------------------------------------------------------------------------


@pytest.mark.req("R3.3")
def test_final_score_is_the_confirmed_onsite_score() -> None:
    assert final_score(Decimal("712.5")) == Decimal("712.5")
    for bad in (Decimal("-1"), Decimal("1000.5"), Decimal("NaN")):
        with pytest.raises(DomainError, match="FINAL_SCORE_RANGE"):
            final_score(bad)


# --- certificates (R15.1) ---------------------------------------------------------------------


@pytest.mark.req("R15.1")
def test_certificate_numbers() -> None:
    assert certificate_number(2027, Q, 1) == "鹿质奖证〔2027〕Q01号"
    assert certificate_number(2027, INNO, 1) == "鹿质奖证〔2027〕C01号"
    assert certificate_number(2028, Q, 5) == "鹿质奖证〔2028〕Q05号"
    for bad in ((2027, Q, 0), (2027, Q, 100), (27, Q, 1)):
        with pytest.raises(DomainError):
            certificate_number(*bad)
    with pytest.raises(DomainError, match="CERTIFICATE_NUMBER"):
        parse_certificate_number("鹿质奖证〔2027〕Q00号")


@given(
    st.integers(min_value=2000, max_value=9999),
    st.sampled_from(list(Award)),
    st.integers(min_value=1, max_value=99),
)
@pytest.mark.req("R15.1")
def test_a_certificate_number_identifies_year_award_and_seq(year: int, award: Award, seq: int) -> None:
    assert parse_certificate_number(certificate_number(year, award, seq)) == (year, award, seq)


@pytest.mark.req("R15.1")
def test_certificate_numbers_are_unique_per_year_award_seq() -> None:
    keys = [(y, a, s) for y in (2027, 2028) for a in Award for s in range(1, LEGAL_MAX_WINNERS + 1)]
    assert len({certificate_number(*k) for k in keys}) == len(keys)


@pytest.mark.req("R15.1")
@pytest.mark.req("R2.1")
def test_certificate_and_plaque_wording_for_both_awards() -> None:
    assert award_title(Q) == "鹿城区政府质量奖" and award_title(INNO) == "鹿城区质量管理创新奖"
    text = certificate_text(
        enterprise_name="温州鹿城示范机械有限公司",
        year=2027,
        award=Q,
        number="鹿质奖证〔2027〕Q01号",
        issued_on=date(2027, 12, 20),
    )
    assert text == (
        "证书编号：鹿质奖证〔2027〕Q01号\n温州鹿城示范机械有限公司：\n荣获2027年度鹿城区政府质量奖。\n"
        "特发此证。\n鹿城区人民政府\n2027年12月20日"
    )
    text = certificate_text(
        enterprise_name="某某服务有限公司",
        year=2027,
        award=INNO,
        number="鹿质奖证〔2027〕C02号",
        issued_on=datetime(2027, 12, 20, 23, 30, tzinfo=CST),
    )
    assert "荣获2027年度鹿城区质量管理创新奖。" in text and text.endswith("2027年12月20日")
    assert plaque_text(enterprise_name="某某服务有限公司", year=2027, award=INNO) == (
        "2027年度鹿城区质量管理创新奖\n某某服务有限公司\n鹿城区人民政府"
    )


@pytest.mark.req("R15.1")
def test_certificate_text_checks_its_number_and_name() -> None:
    with pytest.raises(DomainError, match="CERTIFICATE_NUMBER_MISMATCH"):
        certificate_text(
            enterprise_name="甲公司",
            year=2027,
            award=INNO,
            number="鹿质奖证〔2027〕Q01号",
            issued_on=date(2027, 12, 1),
        )
    with pytest.raises(DomainError, match="CERTIFICATE_ENTERPRISE"):
        plaque_text(enterprise_name="  ", year=2027, award=Q)
