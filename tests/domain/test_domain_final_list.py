"""The committee's review of the findings and the versions of the list (Art. 14(5), 14(6); R14.7, R14.8)."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.final_list import (
    Decision,
    Finding,
    Previous,
    Ruling,
    check_pending_version,
    check_ruling,
    compose,
    undecided,
)

LISTED = ["A", "B", "C"]
FINDING_A = Finding("2027-OBJ-1", "A", "事故属实")


@pytest.mark.req("R14.7")
def test_a_substantiated_finding_removes_nobody_by_itself() -> None:
    with pytest.raises(DomainError) as e:
        compose(preliminary=LISTED, findings=[FINDING_A], rulings=[])
    assert e.value.code == "FINDINGS_UNDECIDED" and e.value.status == 409
    assert e.value.details["objections"] == ["2027-OBJ-1"]
    assert undecided([FINDING_A], [], LISTED) == [FINDING_A]
    assert undecided([FINDING_A], [], ["B"]) == []  # not about a listed candidate: nothing to decide


@pytest.mark.req("R14.7")
def test_the_committee_removes_or_keeps_with_its_reasons() -> None:
    remove = Ruling("2027-OBJ-1", "A", Decision.REMOVE, "隐瞒事故")
    out = compose(preliminary=LISTED, findings=[FINDING_A], rulings=[remove])
    assert out.winners == ["B", "C"] and "隐瞒事故" in out.removed["A"] and "2027-OBJ-1" in out.removed["A"]
    keep = Ruling("2027-OBJ-1", "A", Decision.KEEP, "事故轻微，已整改")
    out = compose(preliminary=LISTED, findings=[FINDING_A], rulings=[keep])
    assert out.winners == LISTED and out.removed == {} and "已整改" in out.kept["A"]


@pytest.mark.req("R14.7")
def test_what_a_decision_needs() -> None:
    check_ruling(substantiated=True, in_scope=True, decided=False, reasons="理由")
    for kwargs, code in (
        ({"substantiated": False}, "FINDING_NOT_SUBSTANTIATED"),
        ({"in_scope": False}, "FINDING_NOT_ABOUT_CANDIDATE"),
        ({"decided": True}, "FINDING_DECIDED"),
        ({"reasons": "  "}, "DECISION_REASONS"),
    ):
        args = {"substantiated": True, "in_scope": True, "decided": False, "reasons": "理由"} | kwargs
        with pytest.raises(DomainError) as e:
            check_ruling(**args)  # type: ignore[arg-type]
        assert e.value.code == code


@pytest.mark.req("R14.8")
def test_a_returned_list_is_revised_removal_and_reinstatement() -> None:
    v1 = compose(
        preliminary=LISTED,
        findings=[FINDING_A],
        rulings=[Ruling("2027-OBJ-1", "A", Decision.REMOVE, "隐瞒事故")],
    )
    prev = Previous(1, v1.winners, v1.removed)
    v2 = compose(
        preliminary=LISTED,
        findings=[FINDING_A],
        rulings=[Ruling("2027-OBJ-1", "A", Decision.REMOVE, "隐瞒事故")],
        previous=prev,
        remove={"C": "区政府意见：效益证明不足"},
        reinstate={"A": "事故系供应商责任"},
    )
    assert v2.winners == ["A", "B"]
    assert set(v2.removed) == {"C"} and "效益证明不足" in v2.removed["C"]
    assert "供应商责任" in v2.reinstated["A"]
    # the same list again after a return is a new version without changes
    same = compose(preliminary=LISTED, findings=[], rulings=[], previous=prev)
    assert same.winners == v1.winners and same.removed == v1.removed


@pytest.mark.req("R14.8")
@pytest.mark.parametrize(
    ("previous", "remove", "reinstate", "code", "status"),
    [
        (None, {"B": "x"}, {}, "LIST_REVISION_NOT_OPEN", 409),
        (Previous(1, ["B", "C"], {"A": "r"}), {"B": "x"}, {"B": "y"}, "LIST_REVISION_OVERLAP", 422),
        (Previous(1, ["B", "C"], {"A": "r"}), {"B": " "}, {}, "LIST_REVISION_REASON", 422),
        (Previous(1, ["B", "C"], {"A": "r"}), {"A": "x"}, {}, "LIST_REVISION_NOT_LISTED", 422),
        (Previous(1, ["B", "C"], {"A": "r"}), {}, {"B": "x"}, "LIST_REVISION_ALREADY_LISTED", 422),
        (Previous(1, ["B", "C"], {"A": "r"}), {}, {"Z": "x"}, "SUPPLEMENTARY_NOTICE_REQUIRED", 409),
    ],
)
def test_revisions_the_lists_do_not_allow_are_refused(
    previous: Previous | None, remove: dict[str, str], reinstate: dict[str, str], code: str, status: int
) -> None:
    with pytest.raises(DomainError) as e:
        compose(
            preliminary=LISTED, findings=[], rulings=[], previous=previous, remove=remove, reinstate=reinstate
        )
    assert (e.value.code, e.value.status) == (code, status)


@pytest.mark.req("R14.8")
def test_the_government_decides_on_the_pending_version() -> None:
    check_pending_version(2, 2)
    check_pending_version(2, 0)  # not named: the pending one
    with pytest.raises(DomainError) as e:
        check_pending_version(2, 1)
    assert (e.value.code, e.value.status) == ("LIST_VERSION_NOT_PENDING", 409)
