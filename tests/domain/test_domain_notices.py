"""Texts of the notices (R14.4 feedback; R21.1 / R4.2 in the call)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.calendar import CST
from domain.eligibility import CONDITIONS, CheckStatus, Condition, ConditionCheck
from domain.notices import (
    OFFICE_NAME,
    call_for_applications,
    deadline_extended,
    qualification_feedback,
    qualification_passed,
)
from domain.qualification import (
    ConditionDecision,
    FinalCondition,
    QualificationDecision,
    resolve_qualification,
)
from domain.rules import CycleRules
from domain.types import Award

ISSUED = datetime(2027, 4, 20, 10, 0, tzinfo=CST)
ENTERPRISE = "温州鹿城示范机械有限公司"


def failed(cond: Condition, finding: str, reason: str = "", overridden: bool = False) -> FinalCondition:
    return FinalCondition(
        condition=cond,
        auto_status=CheckStatus.PASS if overridden else CheckStatus.FAIL,
        final_status=CheckStatus.FAIL,
        overridden=overridden,
        reason=reason,
        finding_zh=finding,
    )


def feedback(fails: list[FinalCondition], truthful: bool = True, note: str = "") -> str:
    notice = qualification_feedback(
        enterprise_name=ENTERPRISE,
        year=2027,
        award=Award.QUALITY,
        failed=fails,
        material_truthful=truthful,
        truthfulness_note=note,
        issued_at=ISSUED,
    )
    assert notice.title == "2027年度区政府质量奖资格审查情况反馈"
    return notice.body


@pytest.mark.req("R14.4")
def test_feedback_lists_each_failed_condition_with_title_and_clause() -> None:
    fails = [
        failed(Condition.QMS_CERTIFICATION, "质量管理体系认证证书在申报截止日2027年3月31日不在有效期内"),
        failed(Condition.ACCIDENTS, "近3年发生较大以上事故"),
        failed(Condition.NOT_BANNED, "2021年度区政府质量奖于2024年3月31日被撤销"),
    ]
    body = feedback(fails)
    for c in fails:
        assert CONDITIONS[c.condition].title_zh in body
        assert CONDITIONS[c.condition].clause_zh in body
        assert c.finding_zh in body
    assert "一、通过质量管理体系认证" in body
    assert "二、近3年未发生较大以上" in body
    assert "三、未因被撤销" in body
    assert "第十七条" in body
    assert body.startswith(f"{ENTERPRISE}：\n")
    assert "未通过资格审查" in body
    assert body.rstrip().endswith(f"{OFFICE_NAME}\n2027年4月20日")
    assert "真实性" not in body


@pytest.mark.req("R14.4")
def test_feedback_gives_the_offices_reason_over_the_automatic_finding() -> None:
    reason = "所报创新成果为其他单位成果"
    body = feedback([failed(Condition.INNOVATION, "已登记创新成果", reason=reason, overridden=True)])
    assert reason in body
    assert "已登记创新成果" not in body


@pytest.mark.req("R14.4")
def test_feedback_on_untruthful_material_cites_articles_14_and_17() -> None:
    body = feedback(
        [failed(Condition.ACCIDENTS, "近3年发生较大以上事故")], truthful=False, note="销售收入与审计报告不符"
    )
    assert "二、申报内容真实性审查未通过" in body
    assert "第十四条第（一）项、第十七条" in body
    assert "销售收入与审计报告不符" in body
    only_untruthful = feedback([], truthful=False, note="销售收入与审计报告不符")
    assert "一、申报内容真实性审查未通过" in only_untruthful


@pytest.mark.req("R14.4")
def test_feedback_from_a_real_resolution_names_every_failed_condition() -> None:
    auto = [
        ConditionCheck(
            cond,
            CheckStatus.FAIL
            if cond in (Condition.TAX_IN_DISTRICT, Condition.CREDIT_RECORD)
            else CheckStatus.PASS,
            f"自动审查：{cond.value}",
        )
        for cond in Condition
    ]
    result = resolve_qualification(
        auto,
        QualificationDecision(
            decisions=(
                ConditionDecision(
                    Condition.SPOT_CHECKS, CheckStatus.FAIL, "2025年抽查安全指标不合格", fact_ids=(7,)
                ),
            ),
            material_truthful=True,
        ),
    )
    body = feedback(list(result.failed))
    for cond in (Condition.TAX_IN_DISTRICT, Condition.SPOT_CHECKS, Condition.CREDIT_RECORD):
        assert CONDITIONS[cond].title_zh in body
    assert "2025年抽查安全指标不合格" in body
    passed_titles = [
        CONDITIONS[c].title_zh for c in Condition if c not in {f.condition for f in result.failed}
    ]
    for title in passed_titles:
        assert f"、{title}（" not in body


@pytest.mark.req("R14.4")
def test_feedback_numbers_many_conditions() -> None:
    fails = [failed(c, f"自动审查：{c.value}") for c in Condition]
    body = feedback(fails)
    for c in Condition:
        assert CONDITIONS[c].title_zh in body
    assert "十、" in body


@pytest.mark.req("R14.4")
def test_qualification_passed_notice() -> None:
    notice = qualification_passed(
        enterprise_name=ENTERPRISE, year=2027, award=Award.INNOVATION, issued_at=ISSUED
    )
    assert notice.title == "2027年度质量管理创新奖资格审查结果告知"
    assert "已通过资格审查" in notice.body and "资料评审" in notice.body
    assert OFFICE_NAME in notice.body


@pytest.mark.req("R21.1")
@pytest.mark.req("R4.2")
def test_call_for_applications_cites_the_rules_revision_criteria_quota_and_deadline() -> None:
    rules = CycleRules(
        year=2027, application_deadline=datetime(2027, 3, 31, 17, 0, tzinfo=CST), quota_innovation=3
    )
    notice = call_for_applications(rules, datetime(2026, 12, 1, 9, 0, tzinfo=CST))
    assert notice.title == "关于组织申报2027年度鹿城区政府质量奖的通知"
    assert "鹿城区政府质量奖评审管理办法（2023年修订）" in notice.body
    assert "GB/T 19580-2012" in notice.body
    assert "区政府质量奖不超过5家" in notice.body
    assert "质量管理创新奖不超过3家" in notice.body
    assert "2027年3月31日 17:00（北京时间）" in notice.body
    assert "自我评价报告" in notice.body and "申报表" in notice.body
    assert notice.body.endswith(f"{OFFICE_NAME}\n2026年12月1日")


@pytest.mark.req("R13.1")
def test_deadline_extended_notice() -> None:
    old = datetime(2027, 3, 31, 17, 0, tzinfo=CST)
    new = datetime(2027, 4, 7, 17, 0, tzinfo=CST)
    notice = deadline_extended(2027, old, new, "部分企业年度审计报告尚未出具", ISSUED)
    assert "由2027年3月31日 17:00延长至2027年4月7日 17:00" in notice.body
    assert "部分企业年度审计报告尚未出具" in notice.body
    assert date(2027, 4, 20).day == 20 and "2027年4月20日" in notice.body
