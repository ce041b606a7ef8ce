"""补充公示: who may be proposed after a return, and the version that follows the notice (R14.7, R14.8)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import DomainError
from domain.final_list import Decision, Finding, Previous, Ruling, Supplement, compose
from domain.supplementary import Standing, check_objection_target, check_proposal
from domain.types import Award

Q, I = Award.QUALITY, Award.INNOVATION  # noqa: E741
STANDINGS = {
    "a1": Standing("a1", Q, True, Decimal(850)),  # on the preliminary list
    "a2": Standing("a2", Q, True, Decimal(800)),  # passed, over the quota
    "a3": Standing("a3", Q, False, Decimal(800)),  # failed the ballot
    "a4": Standing("a4", Q, True, Decimal(550)),  # passed, below the minimum score
    "b1": Standing("b1", I, True, Decimal(700)),  # on the preliminary list
    "b2": Standing("b2", I, True, Decimal(690)),  # passed, over the quota
}
QUOTA = {Q: 1, I: 2}


def propose(add: dict[str, str], make_room: dict[str, str] | None = None, **kw: object) -> None:
    args: dict[str, object] = {
        "add": add,
        "make_room": make_room or {},
        "standings": STANDINGS,
        "published": ["a1", "b1"],
        "listed": {"a1": Q, "b1": I},
        "quota": QUOTA,
        "min_final_score": 600,
    }
    check_proposal(**(args | kw))  # type: ignore[arg-type]


def code_of(call: object) -> tuple[int, str]:
    with pytest.raises(DomainError) as e:
        call()  # type: ignore[operator]
    return e.value.status, e.value.code


@pytest.mark.req("R14.8")
def test_a_candidate_left_out_by_the_quota_may_be_proposed_within_the_quota() -> None:
    propose({"b2": "递补"})  # INNOVATION has a second seat
    propose({"a2": "递补"}, {"a1": "质量事故"})  # replaces a1


@pytest.mark.req("R14.8")
@pytest.mark.parametrize(
    ("add", "make_room", "expected"),
    [
        ({}, {}, (422, "SUPPLEMENTARY_CANDIDATES_REQUIRED")),
        ({"a2": " "}, {}, (422, "SUPPLEMENTARY_REASON")),
        ({"a2": "x"}, {"a1": ""}, (422, "SUPPLEMENTARY_REASON")),
        ({"zz": "x"}, {}, (422, "SUPPLEMENTARY_NOT_A_CANDIDATE")),
        ({"a1": "x"}, {}, (409, "SUPPLEMENTARY_ALREADY_PUBLISHED")),
        ({"a3": "x"}, {"a1": "x"}, (409, "SUPPLEMENTARY_BALLOT_NOT_PASSED")),
        ({"a4": "x"}, {"a1": "x"}, (409, "SUPPLEMENTARY_BELOW_MIN_SCORE")),
        ({"a2": "x"}, {}, (409, "SUPPLEMENTARY_OVER_QUOTA")),
        ({"a2": "x"}, {"b1": "x"}, (409, "SUPPLEMENTARY_OVER_QUOTA")),  # room in the other award
        ({"a2": "x"}, {"b2": "x"}, (422, "LIST_REVISION_NOT_LISTED")),
    ],
)
def test_a_proposal_is_refused_with_a_clear_code(
    add: dict[str, str], make_room: dict[str, str], expected: tuple[int, str]
) -> None:
    assert code_of(lambda: propose(add, make_room)) == expected


@pytest.mark.req("R14.8")
def test_a_candidate_of_an_earlier_supplementary_notice_is_not_noticed_again() -> None:
    assert code_of(lambda: propose({"b2": "x"}, published=["a1", "b1", "b2"])) == (
        409,
        "SUPPLEMENTARY_ALREADY_PUBLISHED",
    )


@pytest.mark.req("R14.7")
def test_during_a_supplementary_notice_only_its_candidates_can_be_objected_to() -> None:
    check_objection_target("a2", ["a2"])
    check_objection_target("", ["a2"])  # about the notice itself: taken, scoped by the office
    assert code_of(lambda: check_objection_target("a1", ["a2"])) == (
        422,
        "OBJECTION_NOT_IN_SUPPLEMENTARY_NOTICE",
    )


SUP = Supplement("2027-SUPP-1", 1, {"a2": "递补"}, {"a1": "质量事故"})
RETURNED = Previous(1, ["a1", "b1"], {})
AWARDS = {a: s.award for a, s in STANDINGS.items()}


def next_version(**kw: object) -> object:
    args: dict[str, object] = {
        "preliminary": ["a1", "b1"],
        "findings": [],
        "rulings": [],
        "previous": RETURNED,
        "supplements": [SUP],
        "awards": AWARDS,
        "quota": QUOTA,
    }
    return compose(**(args | kw))  # type: ignore[arg-type]


@pytest.mark.req("R14.8")
def test_the_version_after_the_notice_takes_the_candidate_in_and_records_how() -> None:
    v = next_version()
    assert v.winners == ["b1", "a2"]  # type: ignore[attr-defined]
    assert "2027-SUPP-1" in v.supplemented["a2"] and "递补" in v.supplemented["a2"]  # type: ignore[attr-defined]
    assert "质量事故" in v.removed["a1"] and v.supplementary == "2027-SUPP-1"  # type: ignore[attr-defined]


@pytest.mark.req("R14.7")
def test_a_finding_about_the_added_candidate_waits_for_the_committee_and_remove_keeps_it_off() -> None:
    finding = Finding("2027-OBJ-3", "a2", "属实")
    assert code_of(lambda: next_version(findings=[finding])) == (409, "FINDINGS_UNDECIDED")
    ruling = Ruling("2027-OBJ-3", "a2", Decision.REMOVE, "弄虚作假")
    v = next_version(findings=[finding], rulings=[ruling])
    assert v.winners == ["b1"] and "弄虚作假" in v.removed["a2"] and v.supplemented == {}  # type: ignore[attr-defined]
    keep = Ruling("2027-OBJ-3", "a2", Decision.KEEP, "情节轻微")
    v = next_version(findings=[finding], rulings=[keep])
    assert v.winners == ["b1", "a2"] and "情节轻微" in v.kept["a2"]  # type: ignore[attr-defined]


@pytest.mark.req("R14.8")
def test_the_quota_holds_when_the_replaced_candidate_is_reinstated_and_a_later_version_starts_from_it() -> (
    None
):
    assert code_of(lambda: next_version(reinstate={"a1": "更正"})) == (409, "FINAL_LIST_OVER_QUOTA")
    v = next_version(reinstate={"a1": "更正"}, remove={"a2": "放弃"})
    assert v.winners == ["a1", "b1"] and "放弃" in v.removed["a2"]  # type: ignore[attr-defined]
    # a third version, after a second return: a2 was published, so it is reinstated, not noticed again
    later = next_version(previous=Previous(2, ["b1"], {"a1": "x", "a2": "y"}), reinstate={"a2": "再议"})
    assert later.winners == ["b1", "a2"] and later.supplemented == {}  # type: ignore[attr-defined]


@pytest.mark.req("R14.8")
def test_without_a_supplementary_notice_the_list_is_composed_as_before() -> None:
    plain = compose(preliminary=["a1", "b1"], findings=[], rulings=[], previous=RETURNED, remove={"a1": "x"})
    assert plain.winners == ["b1"] and plain.supplemented == {} and plain.supplementary == ""
    r = code_of(
        lambda: compose(preliminary=["a1"], findings=[], rulings=[], previous=RETURNED, reinstate={"a2": "x"})
    )
    assert r == (409, "SUPPLEMENTARY_NOTICE_REQUIRED")
