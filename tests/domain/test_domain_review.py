"""Document and on-site review rules (domain/review.py) on the real GB/T 19580-2012 rubric:
who may score (R14.2), what the leader must explain (R9.1), the on-site list (R14.3) and the
on-site report (R14.5)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import DomainError
from domain.review import (
    ReviewPurpose,
    check_expert_score,
    check_member,
    check_onsite_list,
    check_onsite_report,
    check_panel_opinion,
)
from domain.rubric import load_rubric

RUBRIC = load_rubric("GB/T 19580-2012")
CODES = RUBRIC.item_codes
PANEL = (11, 12, 13)
LEADER = 11
TOLERANCE = 20


def sheet(pct: int = 70, **overrides: int) -> dict[str, int]:
    """A complete score sheet: every item at `pct`, items named as 4_1_1=... set apart."""
    scores = dict.fromkeys(CODES, pct)
    for key, value in overrides.items():
        scores[key.replace("_", ".")] = value
    return scores


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value
    assert info.value.message_zh and info.value.message_en
    return info.value


def opinion(
    *,
    expert_id: int = LEADER,
    leader: int | None = LEADER,
    active: tuple[int, ...] = PANEL,
    member_scores: Mapping[int, Mapping[str, int]] | None = None,
    scores: Mapping[str, int] | None = None,
    text: str = "该企业卓越绩效管理体系较完善，建议列入现场评审。",
    rationales: Mapping[str, str] | None = None,
    tolerance: int = TOLERANCE,
) -> list[str]:
    return check_panel_opinion(
        RUBRIC,
        expert_id=expert_id,
        leader=leader,
        active_members=active,
        member_scores=member_scores if member_scores is not None else {e: sheet() for e in active},
        scores=scores if scores is not None else sheet(),
        opinion=text,
        rationales=rationales or {},
        tolerance=tolerance,
    )


def test_the_real_rubric_has_23_items() -> None:
    assert len(CODES) == 23 and len(set(CODES)) == 23


# --- membership and expert scores (R14.2) ---------------------------------------------------------


@pytest.mark.req("R14.2")
@pytest.mark.parametrize("purpose", list(ReviewPurpose))
def test_non_member_is_refused_for_either_purpose(purpose: ReviewPurpose) -> None:
    err = refused("NOT_ON_PANEL", check_member, 99, PANEL, purpose=purpose)
    assert err.status == 409
    assert purpose.name_zh in err.message_zh
    check_member(12, PANEL, purpose=purpose)  # a member passes


@pytest.mark.req("R14.2")
def test_member_scores_every_item_once() -> None:
    check_expert_score(RUBRIC, expert_id=12, active_members=PANEL, already_scored=(), scores=sheet())
    check_expert_score(
        RUBRIC, expert_id=13, active_members=PANEL, already_scored=(12,), scores=sheet(0, **{"4_7_1": 100})
    )


@pytest.mark.req("R14.2")
def test_non_member_score_is_refused_before_anything_else() -> None:
    # Even a malformed sheet from an outsider is refused as NOT_ON_PANEL, never validated for them.
    refused(
        "NOT_ON_PANEL",
        check_expert_score,
        RUBRIC,
        expert_id=99,
        active_members=PANEL,
        already_scored=(),
        scores={"4.1.1": 72},
    )


@pytest.mark.req("R14.2")
def test_second_score_of_the_same_expert_is_refused() -> None:
    err = refused(
        "SCORE_ALREADY_SUBMITTED",
        check_expert_score,
        RUBRIC,
        expert_id=12,
        active_members=PANEL,
        already_scored={12: sheet()},
        scores=sheet(),
    )
    assert err.status == 409


@pytest.mark.req("R14.2")
@pytest.mark.parametrize("bad", [72, 1, 99, 33])
def test_off_step_score_is_refused(bad: int) -> None:
    err = refused(
        "SCORE_OFF_STEP",
        check_expert_score,
        RUBRIC,
        expert_id=12,
        active_members=PANEL,
        already_scored=(),
        scores=sheet(**{"4_3_2": bad}),
    )
    assert err.details["item"] == "4.3.2" and err.details["step"] == 5


@pytest.mark.req("R14.2")
def test_incomplete_unknown_or_out_of_range_scores_are_refused() -> None:
    partial = sheet()
    del partial["4.7.6"]
    err = refused(
        "SCORE_MISSING_ITEM",
        check_expert_score,
        RUBRIC,
        expert_id=12,
        active_members=PANEL,
        already_scored=(),
        scores=partial,
    )
    assert err.details["items"] == ["4.7.6"]
    refused(
        "SCORE_UNKNOWN_ITEM",
        check_expert_score,
        RUBRIC,
        expert_id=12,
        active_members=PANEL,
        already_scored=(),
        scores={**sheet(), "4.8.1": 50},
    )
    refused(
        "SCORE_OFF_BAND",
        check_expert_score,
        RUBRIC,
        expert_id=12,
        active_members=PANEL,
        already_scored=(),
        scores=sheet(**{"4_1_1": 105}),
    )


# --- the leader's consolidated opinion (R9.1, R14.2) -------------------------------------------------


@pytest.mark.req("R9.1")
@pytest.mark.parametrize("who,leader", [(12, LEADER), (99, LEADER), (LEADER, None)])
def test_opinion_by_anyone_but_the_leader_is_refused(who: int, leader: int | None) -> None:
    err = refused("NOT_PANEL_LEADER", opinion, expert_id=who, leader=leader)
    assert err.status == 409


@pytest.mark.req("R9.1")
def test_opinion_before_every_member_scored_is_refused() -> None:
    err = refused("SCORES_OUTSTANDING", opinion, member_scores={11: sheet()})
    assert err.details["experts"] == [12, 13]
    assert "2" in err.message_zh
    assert err.status == 409


@pytest.mark.req("R9.1")
def test_scores_of_replaced_experts_do_not_count_and_a_new_member_must_still_score() -> None:
    # 12 left the panel (its sheet is still around), 14 took the seat but has not scored.
    err = refused(
        "SCORES_OUTSTANDING",
        opinion,
        active=(11, 13, 14),
        member_scores={11: sheet(), 12: sheet(), 13: sheet()},
    )
    assert err.details["experts"] == [14]
    # Only the active members' sheets are compared: the departed 12's outlier makes no wide item.
    assert (
        opinion(active=(11, 13, 14), member_scores={11: sheet(), 12: sheet(0), 13: sheet(), 14: sheet()})
        == []
    )


@pytest.mark.req("R9.1")
@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_opinion_is_refused(text: str) -> None:
    refused("OPINION_REQUIRED", opinion, text=text)


@pytest.mark.req("R9.1")
def test_consolidated_scores_must_be_a_complete_valid_sheet() -> None:
    partial = sheet()
    del partial["4.1.1"]
    refused("SCORE_MISSING_ITEM", opinion, scores=partial)
    refused("SCORE_OFF_STEP", opinion, scores=sheet(**{"4_2_1": 62}))


@pytest.mark.req("R9.1")
@pytest.mark.req("R14.2")
def test_spread_beyond_tolerance_without_rationale_is_refused_and_names_the_items() -> None:
    members = {
        11: sheet(70),
        12: sheet(70, **{"4_4_2": 95, "4_7_6": 45}),  # 4.4.2: 25 points apart; 4.7.6: 25 points
        13: sheet(70, **{"4_1_1": 90}),  # 4.1.1: 20 points apart, exactly the tolerance
    }
    err = refused("SPREAD_RATIONALE_REQUIRED", opinion, member_scores=members)
    assert err.details["items"] == ["4.4.2", "4.7.6"]
    assert "4.4.2" in err.message_zh and "4.7.6" in err.message_zh and "4.1.1" not in err.message_zh
    assert "4.4.2" in err.message_en and "4.7.6" in err.message_en
    assert str(TOLERANCE) in err.message_zh
    assert err.status == 422

    # One rationale of two (or a blank one) is not enough: the other item is still named.
    err = refused(
        "SPREAD_RATIONALE_REQUIRED",
        opinion,
        member_scores=members,
        rationales={"4.4.2": "经合议，以组长意见为准", "4.7.6": "  "},
    )
    assert err.details["items"] == ["4.7.6"]


@pytest.mark.req("R9.1")
@pytest.mark.req("R14.2")
def test_spread_equal_to_tolerance_is_accepted_without_rationale() -> None:
    members = {11: sheet(50), 12: sheet(60), 13: sheet(70)}  # every item 20 points apart
    assert opinion(member_scores=members) == []
    assert opinion(member_scores={11: sheet(50), 12: sheet(55), 13: sheet(50)}, tolerance=5) == []
    # With a zero tolerance any difference needs a reason.
    err = refused(
        "SPREAD_RATIONALE_REQUIRED",
        opinion,
        member_scores={11: sheet(50), 12: sheet(50, **{"4_5_1": 55}), 13: sheet(50)},
        tolerance=0,
    )
    assert err.details["items"] == ["4.5.1"]


@pytest.mark.req("R9.1")
@pytest.mark.req("R14.2")
def test_spread_with_rationale_is_accepted_and_the_wide_items_are_returned() -> None:
    members = {
        11: sheet(70, **{"4_7_1": 30}),
        12: sheet(70, **{"4_3_1": 100, "4_7_1": 90}),
        13: sheet(70, **{"4_3_1": 45}),
    }
    rationales = {"4.3.1": "顾客调查数据经现场补充核实", "4.7.1": "结果指标缺少对比数据，合议取中"}
    wide = opinion(member_scores=members, rationales=rationales)
    assert wide == ["4.3.1", "4.7.1"]  # in rubric order
    # A rationale for an item that is not wide is harmless.
    assert opinion(member_scores=members, rationales={**rationales, "4.1.1": "无"}) == wide


# --- the on-site list (R14.3) -------------------------------------------------------------------------

SCORES = {
    "2027-0001": Decimal("612.50"),
    "2027-0002": Decimal("550"),  # exactly at the threshold: belongs on the list
    "2027-0003": Decimal("549.75"),
    "2027-0004": Decimal("480"),
}
THRESHOLD = 550


@pytest.mark.req("R14.3")
def test_list_consistent_with_the_threshold_needs_no_note() -> None:
    check_onsite_list(SCORES, ["2027-0001", "2027-0002"], threshold=THRESHOLD, note="")
    check_onsite_list(SCORES, ["2027-0002", "2027-0001"], threshold=THRESHOLD, note="")  # order is free
    check_onsite_list(SCORES, [], threshold=1000, note="")  # nobody reached it, nobody listed
    check_onsite_list({}, [], threshold=THRESHOLD, note="")


@pytest.mark.req("R14.3")
def test_unknown_application_is_refused() -> None:
    err = refused(
        "ONSITE_UNKNOWN_APPLICATION",
        check_onsite_list,
        SCORES,
        ["2027-0001", "2027-0002", "2027-0099"],
        threshold=THRESHOLD,
        note="有说明也不行",
    )
    assert "2027-0099" in err.message_zh and "2027-0099" in err.message_en


@pytest.mark.req("R14.3")
def test_duplicates_are_refused() -> None:
    refused(
        "ONSITE_DUPLICATE",
        check_onsite_list,
        SCORES,
        ["2027-0001", "2027-0002", "2027-0001"],
        threshold=THRESHOLD,
        note="重复",
    )


@pytest.mark.req("R14.3")
def test_listing_one_below_the_threshold_needs_a_note() -> None:
    listed = ["2027-0001", "2027-0002", "2027-0003"]
    err = refused("ONSITE_REASON_REQUIRED", check_onsite_list, SCORES, listed, threshold=THRESHOLD, note=" ")
    assert err.details["applications"] == ["2027-0003"]
    assert "550" in err.message_zh
    check_onsite_list(SCORES, listed, threshold=THRESHOLD, note="与分数线仅差0.25分，经评审办研究列入")


@pytest.mark.req("R14.3")
def test_leaving_out_one_at_or_above_the_threshold_needs_a_note() -> None:
    for left_out in ("2027-0001", "2027-0002"):
        listed = [a for a in ("2027-0001", "2027-0002") if a != left_out]
        err = refused(
            "ONSITE_REASON_REQUIRED", check_onsite_list, SCORES, listed, threshold=THRESHOLD, note=""
        )
        assert err.details["applications"] == [left_out]
        check_onsite_list(SCORES, listed, threshold=THRESHOLD, note="该企业已书面申请撤回")


@pytest.mark.req("R14.3")
def test_every_deviation_is_named() -> None:
    err = refused(
        "ONSITE_REASON_REQUIRED",
        check_onsite_list,
        SCORES,
        ["2027-0002", "2027-0004"],
        threshold=THRESHOLD,
        note="",
    )
    assert err.details["applications"] == ["2027-0001", "2027-0004"]


# --- the on-site report (R14.5) -------------------------------------------------------------------------


@pytest.mark.req("R14.5")
def test_onsite_report_by_the_leader_with_a_complete_sheet_is_accepted() -> None:
    check_onsite_report(RUBRIC, expert_id=LEADER, leader=LEADER, scores=sheet(75), report="现场评审报告正文")


@pytest.mark.req("R14.5")
@pytest.mark.parametrize("who,leader", [(12, LEADER), (LEADER, None)])
def test_onsite_report_by_anyone_but_the_leader_is_refused(who: int, leader: int | None) -> None:
    err = refused(
        "NOT_PANEL_LEADER",
        check_onsite_report,
        RUBRIC,
        expert_id=who,
        leader=leader,
        scores=sheet(),
        report="现场评审报告",
    )
    assert "现场评审报告" in err.message_zh


@pytest.mark.req("R14.5")
def test_onsite_report_needs_text_and_a_valid_complete_sheet() -> None:
    refused(
        "REPORT_REQUIRED",
        check_onsite_report,
        RUBRIC,
        expert_id=LEADER,
        leader=LEADER,
        scores=sheet(),
        report="  ",
    )
    partial = sheet()
    del partial["4.6.2"]
    refused(
        "SCORE_MISSING_ITEM",
        check_onsite_report,
        RUBRIC,
        expert_id=LEADER,
        leader=LEADER,
        scores=partial,
        report="x",
    )
    refused(
        "SCORE_OFF_STEP",
        check_onsite_report,
        RUBRIC,
        expert_id=LEADER,
        leader=LEADER,
        scores=sheet(**{"4_7_3": 41}),
        report="x",
    )
