"""Qualification review, office part (R14.1): confirm or override each automatic check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.eligibility import CONDITIONS, CheckStatus, Condition, ConditionCheck
from domain.errors import DomainError
from domain.qualification import (
    ConditionDecision,
    QualificationDecision,
    QualificationResult,
    resolve_qualification,
)

PASS, FAIL, NEEDS = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.NEEDS_JUDGEMENT


def checks(**statuses: CheckStatus) -> list[ConditionCheck]:
    """One check per condition, PASS unless named: checks(SPOT_CHECKS=FAIL)."""
    return [
        ConditionCheck(
            cond,
            statuses.get(cond.value, PASS),
            f"自动审查结论：{cond.value}",
            evidence=(f"证据：{cond.value}",),
            fact_ids=(i,),
        )
        for i, cond in enumerate(Condition)
    ]


def decide(*decisions: ConditionDecision, truthful: bool = True, note: str = "") -> QualificationDecision:
    return QualificationDecision(decisions=decisions, material_truthful=truthful, truthfulness_note=note)


def refused(code: str, auto: list[ConditionCheck], decision: QualificationDecision) -> DomainError:
    with pytest.raises(DomainError) as info:
        resolve_qualification(auto, decision)
    assert info.value.code == code
    assert info.value.status == 422
    assert info.value.message_zh and info.value.message_en
    return info.value


@pytest.mark.req("R14.1")
def test_all_pass_and_truthful_is_qualified() -> None:
    result = resolve_qualification(checks(), decide())
    assert result.qualified is True
    assert result.failed == ()
    assert [c.condition for c in result.conditions] == list(Condition)
    assert all(c.final_status is PASS and not c.overridden for c in result.conditions)
    assert result.material_truthful is True


@pytest.mark.req("R14.1")
def test_needs_judgement_left_undecided_is_refused() -> None:
    auto = checks(LAWFUL_COMPLIANCE=NEEDS, EXCELLENCE_MODEL=NEEDS)
    err = refused("QUALIFICATION_UNDECIDED", auto, decide())
    assert err.details["conditions"] == ["LAWFUL_COMPLIANCE", "EXCELLENCE_MODEL"]
    assert CONDITIONS[Condition.LAWFUL_COMPLIANCE].title_zh in err.message_zh
    assert CONDITIONS[Condition.EXCELLENCE_MODEL].title_zh in err.message_zh
    # deciding only one of them is still not enough
    one = ConditionDecision(Condition.LAWFUL_COMPLIANCE, PASS, "经核查符合产业政策")
    err = refused("QUALIFICATION_UNDECIDED", auto, decide(one))
    assert err.details["conditions"] == ["EXCELLENCE_MODEL"]


@pytest.mark.req("R14.1")
def test_needs_judgement_decided_with_a_reason() -> None:
    auto = checks(LAWFUL_COMPLIANCE=NEEDS, EXCELLENCE_MODEL=NEEDS)
    result = resolve_qualification(
        auto,
        decide(
            ConditionDecision(Condition.LAWFUL_COMPLIANCE, PASS, "  经核查符合产业政策  "),
            ConditionDecision(Condition.EXCELLENCE_MODEL, PASS, "自评报告显示已实施卓越绩效模式"),
        ),
    )
    assert result.qualified is True
    lawful = result.conditions[list(Condition).index(Condition.LAWFUL_COMPLIANCE)]
    assert lawful.auto_status is NEEDS
    assert lawful.final_status is PASS
    assert lawful.overridden is False  # a judgement, not an override
    assert lawful.reason == "经核查符合产业政策"


@pytest.mark.req("R14.1")
@pytest.mark.parametrize("reason", ["", "   "])
def test_judgement_without_reason_is_refused(reason: str) -> None:
    auto = checks(EXCELLENCE_MODEL=NEEDS)
    err = refused(
        "QUALIFICATION_REASON_REQUIRED",
        auto,
        decide(ConditionDecision(Condition.EXCELLENCE_MODEL, PASS, reason)),
    )
    assert err.details["condition"] == Condition.EXCELLENCE_MODEL


@pytest.mark.req("R14.1")
@pytest.mark.parametrize(("auto_status", "new_status"), [(PASS, FAIL), (FAIL, PASS)])
def test_override_without_reason_is_refused(auto_status: CheckStatus, new_status: CheckStatus) -> None:
    auto = checks(SPOT_CHECKS=auto_status)
    err = refused(
        "QUALIFICATION_REASON_REQUIRED", auto, decide(ConditionDecision(Condition.SPOT_CHECKS, new_status))
    )
    assert err.details["condition"] == Condition.SPOT_CHECKS
    assert CONDITIONS[Condition.SPOT_CHECKS].title_zh in err.message_zh


DOC = "a" * 64  # the sha256 of a document the applicant uploaded


@pytest.mark.req("R14.1")
@pytest.mark.req("R11.7")
def test_override_fail_to_pass_with_the_contradicting_fact_and_a_reason_qualifies() -> None:
    auto = checks(SPOT_CHECKS=FAIL)
    reason = "经复核，该抽查不合格项目为标签标识，非安全或主要性能指标"
    decision = ConditionDecision(Condition.SPOT_CHECKS, PASS, reason, fact_ids=(42,))
    result = resolve_qualification(auto, decide(decision))
    assert result.qualified is True
    spot = next(c for c in result.conditions if c.condition is Condition.SPOT_CHECKS)
    assert (spot.auto_status, spot.final_status, spot.overridden) == (FAIL, PASS, True)
    assert spot.reason == reason
    assert (spot.fact_ids, spot.documents) == ((42,), ())


@pytest.mark.req("R14.1")
@pytest.mark.req("R11.7")
def test_override_pass_to_fail_with_the_contradicting_document_and_a_reason_disqualifies() -> None:
    auto = checks(INNOVATION=PASS)
    reason = "所报创新成果为其他单位成果"
    decision = ConditionDecision(Condition.INNOVATION, FAIL, reason, documents=(DOC,))
    result = resolve_qualification(auto, decide(decision))
    assert result.qualified is False
    assert [c.condition for c in result.failed] == [Condition.INNOVATION]
    assert result.failed[0].overridden is True
    assert result.failed[0].reason == reason
    assert result.failed[0].documents == (DOC,)


@pytest.mark.req("R14.1")
@pytest.mark.req("R11.7")
@pytest.mark.parametrize(("auto_status", "new_status"), [(PASS, FAIL), (FAIL, PASS)])
def test_an_override_on_a_reason_alone_is_refused(auto_status: CheckStatus, new_status: CheckStatus) -> None:
    """Issue 9: "领导同意" is no ground to change an automatic finding; the fact or document that
    contradicts it is."""
    auto = checks(QMS_CERTIFICATION=auto_status)
    err = refused(
        "QUALIFICATION_OVERRIDE_EVIDENCE",
        auto,
        decide(ConditionDecision(Condition.QMS_CERTIFICATION, new_status, "领导同意")),
    )
    assert err.details["condition"] == Condition.QMS_CERTIFICATION
    assert "不能仅凭理由改判" in err.message_zh


@pytest.mark.req("R14.1")
def test_a_judgement_needs_no_contradicting_record_but_keeps_one_given() -> None:
    auto = checks(EXCELLENCE_MODEL=NEEDS)
    judged = ConditionDecision(
        Condition.EXCELLENCE_MODEL, PASS, "自评报告及证明材料显示已实施", documents=(DOC,)
    )
    result = resolve_qualification(auto, decide(judged))
    model = next(c for c in result.conditions if c.condition is Condition.EXCELLENCE_MODEL)
    assert (model.overridden, model.documents) == (False, (DOC,))
    assert resolve_qualification(auto, decide(ConditionDecision(Condition.EXCELLENCE_MODEL, PASS, "已实施")))


@pytest.mark.req("R17.1")
@pytest.mark.req("R14.1")
@pytest.mark.parametrize(("auto_status", "new_status"), [(FAIL, PASS), (PASS, FAIL)])
def test_the_ban_of_art_17_has_no_override(auto_status: CheckStatus, new_status: CheckStatus) -> None:
    """Not with a reason, not with a fact or a document: the ban ends by itself, and a wrong
    registry entry is corrected in the registry."""
    auto = checks(NOT_BANNED=auto_status)
    for decision in (
        ConditionDecision(Condition.NOT_BANNED, new_status, "领导同意"),
        ConditionDecision(
            Condition.NOT_BANNED, new_status, "撤销决定已被复议撤销", fact_ids=(1,), documents=(DOC,)
        ),
    ):
        err = refused("QUALIFICATION_BAN_FINAL", auto, decide(decision))
        assert "第十七条" in err.message_zh and err.details["condition"] == Condition.NOT_BANNED
    # confirming the finding is no override
    confirmed = resolve_qualification(auto, decide(ConditionDecision(Condition.NOT_BANNED, auto_status)))
    assert confirmed.qualified is (auto_status is PASS)


@pytest.mark.req("R14.1")
def test_decision_with_status_needs_judgement_is_refused() -> None:
    auto = checks(EXCELLENCE_MODEL=NEEDS)
    decision = decide(ConditionDecision(Condition.EXCELLENCE_MODEL, NEEDS, "再议"))
    err = refused("QUALIFICATION_UNDECIDED", auto, decision)
    assert "通过或不通过" in err.message_zh


@pytest.mark.req("R14.1")
def test_unknown_condition_is_refused() -> None:
    auto = [c for c in checks() if c.condition is not Condition.NOT_BANNED]
    refused(
        "QUALIFICATION_UNKNOWN_CONDITION",
        auto,
        decide(ConditionDecision(Condition.NOT_BANNED, PASS, "无撤销记录")),
    )


@pytest.mark.req("R14.1")
def test_duplicate_condition_is_refused() -> None:
    auto = checks(EXCELLENCE_MODEL=NEEDS)
    refused(
        "QUALIFICATION_DUPLICATE_CONDITION",
        auto,
        decide(
            ConditionDecision(Condition.EXCELLENCE_MODEL, PASS, "已实施"),
            ConditionDecision(Condition.EXCELLENCE_MODEL, FAIL, "未实施"),
        ),
    )


@pytest.mark.req("R14.1")
@pytest.mark.parametrize("note", ["", "  \n"])
def test_untruthful_without_note_is_refused(note: str) -> None:
    refused("QUALIFICATION_TRUTHFULNESS_NOTE", checks(), decide(truthful=False, note=note))


@pytest.mark.req("R14.1")
def test_untruthful_with_note_is_not_qualified() -> None:
    result = resolve_qualification(
        checks(), decide(truthful=False, note=" 申报表所列销售收入与审计报告不符 ")
    )
    assert result.qualified is False
    assert result.failed == ()  # every condition passed; only the truthfulness review failed
    assert result.material_truthful is False
    assert result.truthfulness_note == "申报表所列销售收入与审计报告不符"


@pytest.mark.req("R14.1")
def test_confirmed_failed_check_is_named_in_failed() -> None:
    auto = checks(QMS_CERTIFICATION=FAIL, ACCIDENTS=FAIL)
    implicit = resolve_qualification(auto, decide())
    explicit = resolve_qualification(auto, decide(ConditionDecision(Condition.QMS_CERTIFICATION, FAIL)))
    for result in (implicit, explicit):
        assert result.qualified is False
        assert [c.condition for c in result.failed] == [Condition.QMS_CERTIFICATION, Condition.ACCIDENTS]
        qms = result.failed[0]
        assert qms.overridden is False
        assert qms.title_zh == CONDITIONS[Condition.QMS_CERTIFICATION].title_zh
        assert "第十一条" in qms.clause_zh
        assert qms.finding_zh == "自动审查结论：QMS_CERTIFICATION"
        assert qms.evidence == ("证据：QMS_CERTIFICATION",)


@pytest.mark.req("R14.1")
def test_invalid_decision_is_refused_before_anything_is_resolved() -> None:
    """Validation order: a malformed decision fails even if other conditions would also be undecided."""
    auto = checks(EXCELLENCE_MODEL=NEEDS)
    refused(
        "QUALIFICATION_REASON_REQUIRED",
        auto,
        decide(ConditionDecision(Condition.SPOT_CHECKS, FAIL), truthful=False),
    )


statuses = st.lists(st.sampled_from([PASS, FAIL]), min_size=len(Condition), max_size=len(Condition))


@pytest.mark.req("R14.1")
@given(statuses, st.booleans())
def test_property_qualified_iff_truthful_and_every_condition_passes(
    auto_statuses: list[CheckStatus], truthful: bool
) -> None:
    auto = checks(**{c.value: s for c, s in zip(Condition, auto_statuses, strict=True)})
    result: QualificationResult = resolve_qualification(auto, decide(truthful=truthful, note="不实"))
    assert result.qualified == (truthful and all(s is PASS for s in auto_statuses))
    assert [c.condition for c in result.failed] == [
        c for c, s in zip(Condition, auto_statuses, strict=True) if s is FAIL
    ]
