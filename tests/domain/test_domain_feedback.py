"""Per-item feedback (R14.2, R14.4, R14.5): the comments an item scored below the rules' band needs
(domain/review.py), the band itself as a rule (domain/rules.py), and the feedback report composed
from the panels' consolidated records (domain/feedback.py) — bands, not scores; no expert."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from domain.errors import DomainError
from domain.feedback import FeedbackReport, PanelFindings, compose_feedback, feedback_notice
from domain.notices import OFFICE_NAME
from domain.review import (
    ItemComment,
    check_item_comments,
    comments_from_json,
    comments_json,
    items_needing_comments,
)
from domain.rubric import load_rubric
from domain.rules import CycleRules, validate_item_comments_band, validate_rules
from domain.types import Award, Outcome

RUBRIC = load_rubric("GB/T 19580-2012")
CODES = RUBRIC.item_codes
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
RULES = CycleRules(year=2027, application_deadline=NOW + timedelta(days=90))
SAID = ItemComment("高层领导亲自推动质量文化建设", "战略目标向基层的分解和沟通尚不充分")


def sheet(pct: int = 60, **overrides: int) -> dict[str, int]:
    scores = dict.fromkeys(CODES, pct)
    for key, value in overrides.items():
        scores[key.replace("_", ".")] = value
    return scores


def refused(code: str, call: object, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as info:
        call(**kwargs)  # type: ignore[operator]
    assert info.value.code == code, info.value
    assert info.value.message_zh and info.value.message_en
    return info.value


# --- the comments an item needs ---------------------------------------------------------------------
@pytest.mark.req("R14.2")
def test_items_scored_below_the_band_need_strengths_and_opportunities() -> None:
    scores = sheet(60, **{"4_1_1": 45, "4_7_3": 30})
    assert items_needing_comments(RUBRIC, scores, 50) == ["4.1.1", "4.7.3"]
    err = refused(
        "ITEM_COMMENTS_REQUIRED", check_item_comments, rubric=RUBRIC, scores=scores, comments={}, below=50
    )
    assert err.status == 422 and err.details["items"] == ["4.1.1", "4.7.3"]
    assert "4.1.1 高层领导的作用" in err.message_zh and "50%" in err.message_zh
    # half a comment is not a comment: both the strengths and the opportunities are written
    half = {"4.1.1": SAID, "4.7.3": ItemComment("财务指标稳步增长", "  ")}
    err = refused(
        "ITEM_COMMENTS_REQUIRED", check_item_comments, rubric=RUBRIC, scores=scores, comments=half, below=50
    )
    assert err.details["items"] == ["4.7.3"]
    check_item_comments(RUBRIC, scores=scores, comments={"4.1.1": SAID, "4.7.3": SAID}, below=50)


@pytest.mark.req("R14.2")
def test_comments_are_optional_at_and_above_the_band_and_name_only_rubric_items() -> None:
    check_item_comments(RUBRIC, scores=sheet(50), comments={}, below=50)  # 50 % is not below 50 %
    check_item_comments(RUBRIC, scores=sheet(60), comments={"4.2.1": SAID}, below=50)
    check_item_comments(RUBRIC, scores=sheet(0), comments={}, below=0)  # a band of 0: never required
    refused(
        "SCORE_UNKNOWN_ITEM",
        check_item_comments,
        rubric=RUBRIC,
        scores=sheet(60),
        comments={"4.8.1": SAID},
        below=50,
    )


@given(st.fixed_dictionaries({code: st.sampled_from(range(0, 101, 5)) for code in CODES}))
@settings(max_examples=50, deadline=None)
def test_commenting_every_item_always_satisfies_the_rule(scores: dict[str, int]) -> None:
    every = dict.fromkeys(CODES, SAID)
    for below in (0, 10, 30, 50, 70, 90):
        check_item_comments(RUBRIC, scores=scores, comments=every, below=below)
        missing = items_needing_comments(RUBRIC, scores, below)
        assert all(scores[c] < below for c in missing)
        assert all(scores[c] >= below for c in CODES if c not in missing)


# --- the band is a rule the committee approves --------------------------------------------------------
@pytest.mark.req("R14.4")
@pytest.mark.parametrize("below", [0, 10, 30, 50, 70, 90])
def test_the_band_is_the_lower_bound_of_a_scoring_band(below: int) -> None:
    validate_item_comments_band(dataclasses.replace(RULES, item_comments_below=below))


@pytest.mark.req("R14.4")
@pytest.mark.parametrize("below", [-5, 5, 45, 55, 100, 101])
def test_a_band_off_the_rubric_is_refused(below: int) -> None:
    rules = dataclasses.replace(RULES, item_comments_below=below)
    err = refused("RULES_ITEM_COMMENTS_BAND", validate_item_comments_band, rules=rules)
    assert err.details["allowed"] == [0, 10, 30, 50, 70, 90]
    refused("RULES_ITEM_COMMENTS_BAND", validate_rules, rules=rules, now=NOW)


def test_rules_frozen_before_the_band_existed_decode_with_fifty() -> None:
    frozen = TypeAdapter(CycleRules).dump_python(RULES, mode="json")
    del frozen["item_comments_below"]
    assert TypeAdapter(CycleRules).validate_python(frozen).item_comments_below == 50


# --- the report ---------------------------------------------------------------------------------------
def report(outcome: Outcome = Outcome.NOT_AWARDED, *, onsite: bool = True) -> FeedbackReport:
    document = PanelFindings(sheet(60, **{"4_1_1": 40, "4_7_1": 75}), {"4.1.1": SAID}, "体系较完善。")
    site = PanelFindings(
        sheet(70, **{"4_5_1": 45}),
        {"4.5.1": ItemComment("关键过程识别完整", "过程绩效指标未与战略目标挂钩")},
        "现场查看了生产过程与质量记录，情况属实。",
        date(2027, 5, 12),
        "SETTLED",
        "经核实审计报告，调整财务结果评分",
    )
    return compose_feedback(
        RUBRIC,
        application_id="2027-0007",
        year=2027,
        award=Award.QUALITY,
        enterprise_name="温州瓯江智能阀门有限公司",
        outcome=outcome,
        document=document,
        onsite=site if onsite else None,
        issued_at=datetime(2027, 6, 30, 17, 0, tzinfo=UTC),  # 7月1日 in Beijing
    )


@pytest.mark.req("R14.4")
def test_the_report_gives_each_item_its_band_strengths_and_opportunities() -> None:
    r = report()
    content = r.content()
    json.dumps(content, ensure_ascii=False)  # stored as JSON
    items = {i["code"]: i for i in content["items"]}
    assert list(items) == list(CODES)
    first = items["4.1.1"]
    assert first["document"]["band"] == "30%–45%" and first["document"]["band_low"] == 30
    assert first["document"]["strengths"] == SAID.strengths
    assert first["document"]["opportunities"] == SAID.opportunities
    assert items["4.7.1"]["document"]["band"] == "70%–85%" and items["4.7.1"]["kind"] == "RESULT"
    assert items["4.2.1"]["document"]["band"] == "50%–65%" and items["4.2.1"]["document"]["strengths"] == ""
    text = r.text
    assert text.startswith("2027年度区政府质量奖评审反馈报告\n\n致温州瓯江智能阀门有限公司：\n感谢贵单位")
    assert text.rstrip().endswith(f"{OFFICE_NAME}\n2027年7月1日")
    assert "4.1.1 高层领导的作用（50分，过程评分项）" in text
    assert f"优势：{SAID.strengths}" in text and f"改进机会：{SAID.opportunities}" in text
    assert "资料评审得分率区间：30%–45%" in text
    # bands, never the consolidated percentages themselves
    assert "40%" not in text and "75%" not in text and "40%" not in json.dumps(content)


@pytest.mark.req("R14.5")
def test_a_report_after_the_on_site_review_carries_its_findings() -> None:
    r = report()
    content = r.content()
    assert content["onsite"] == {
        "visit_date": "2027-05-12",
        "report": "现场查看了生产过程与质量记录，情况属实。",
        "confirmation": "SETTLED",
        "confirmation_zh": "贵单位对现场评审报告提出异议，已由区评审办处理",
        "settlement": "经核实审计报告，调整财务结果评分",
    }
    item = next(i for i in content["items"] if i["code"] == "4.5.1")
    assert (
        item["onsite"]["band"] == "30%–45%"
        and item["onsite"]["opportunities"] == "过程绩效指标未与战略目标挂钩"
    )
    text = r.text
    assert "四、现场评审情况" in text and "现场评审日期：2027年5月12日" in text
    assert "现场评审发现的改进机会：过程绩效指标未与战略目标挂钩" in text
    assert "现场评审得分率区间：70%–85%" in text


@pytest.mark.req("R14.4")
@pytest.mark.parametrize(
    ("outcome", "onsite", "says"),
    [
        (Outcome.NOT_SHORTLISTED, False, "经资料评审，未列入现场评审名单"),
        (Outcome.NOT_AWARDED, True, "未获授奖"),
        (Outcome.AWARDED, True, "荣获2027年度区政府质量奖"),
    ],
)
def test_each_ending_has_its_letter(outcome: Outcome, onsite: bool, says: str) -> None:
    r = report(outcome, onsite=onsite)
    assert says in r.text
    assert ("现场评审情况" in r.text) is onsite
    notice = feedback_notice(r)
    assert notice.title == "2027年度区政府质量奖评审反馈报告"
    assert notice.body.startswith("温州瓯江智能阀门有限公司：\n感谢贵单位") and says in notice.body
    assert notice.body.endswith(f"{OFFICE_NAME}\n2027年7月1日")


def test_no_report_for_a_path_that_ended_before_document_review() -> None:
    with pytest.raises(ValueError):
        report(Outcome.NOT_QUALIFIED)


def test_stored_comments_read_back_as_written() -> None:
    comments = {"4.1.1": SAID, "4.7.3": ItemComment("", "缺少对比数据")}
    assert comments_from_json(json.loads(json.dumps(comments_json(comments)))) == comments
    assert comments_from_json(None) == {}
