"""Automatic eligibility checks (Art. 11, Art. 17): R11.1–R11.7, R17.1."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest

from domain.calendar import CST
from domain.eligibility import (
    CONDITIONS,
    CheckStatus,
    Condition,
    ConditionCheck,
    EligibilityInput,
    ban_end,
    check_ban,
    check_eligibility,
)
from domain.facts import (
    AccidentCategory,
    AccidentGrade,
    CreditStatus,
    EnterpriseProfile,
    Fact,
    FactKind,
    Revocation,
    SpotCheckResult,
)
from domain.types import Award, Field

DEADLINE = datetime(2027, 3, 31, 17, 0, tzinfo=CST)  # 2027年3月31日 17:00
CODE = "91330102MA2H3K5P7U"

_ids = itertools.count(1)


def profile(**overrides: Any) -> EnterpriseProfile:
    values: dict[str, Any] = {
        "credit_code": CODE,
        "name": "温州鹿城示范机械有限公司",
        "registered_district": "鹿城区",
        "tax_district": "鹿城区",
        "independent_legal_person": True,
        "registration_date": date(2015, 6, 1),
        "field": Field.INDUSTRY,
    }
    values.update(overrides)
    return EnterpriseProfile(**values)


def fact(kind: FactKind, on: date, **attrs: Any) -> Fact:
    return Fact(next(_ids), kind, on, source="区市场监管局", evidence=f"evidence-{kind}", attrs=attrs)


def qms(valid_from: date, valid_to: date) -> Fact:
    return fact(
        FactKind.QMS_CERTIFICATE,
        valid_from,
        number="00124Q12345R0M",
        body="中国质量认证中心",
        valid_from=valid_from.isoformat(),
        valid_to=valid_to.isoformat(),
    )


def spot_check(on: date, result: SpotCheckResult) -> Fact:
    return fact(FactKind.SPOT_CHECK, on, product="电动阀门", result=result.value)


def accident(on: date, grade: AccidentGrade, category: AccidentCategory = AccidentCategory.QUALITY) -> Fact:
    return fact(FactKind.ACCIDENT, on, grade=grade.value, category=category.value)


def complaint(on: date, due_to_organisation: bool) -> Fact:
    return fact(FactKind.MAJOR_COMPLAINT, on, due_to_organisation=due_to_organisation, summary="批量质量投诉")


def violation(on: date) -> Fact:
    return fact(FactKind.SERIOUS_VIOLATION, on, summary="无证生产被行政处罚")


def credit(on: date, status: CreditStatus) -> Fact:
    return fact(FactKind.CREDIT_STATUS, on, status=status.value)


def innovation(on: date = date(2026, 5, 1)) -> Fact:
    return fact(FactKind.INNOVATION_RESULT, on, summary="主导制定行业标准1项")


def excellence(on: date = date(2025, 9, 1)) -> Fact:
    return fact(FactKind.EXCELLENCE_MODEL, on, summary="导入卓越绩效模式三年")


def good_record() -> list[Fact]:
    return [
        qms(date(2025, 1, 1), date(2028, 1, 1)),
        credit(date(2027, 1, 10), CreditStatus.GOOD),
        innovation(),
        excellence(),
        spot_check(date(2026, 6, 1), SpotCheckResult.PASS),
    ]


def run(
    facts: Sequence[Fact] = (),
    revocations: Sequence[Revocation] = (),
    deadline: datetime = DEADLINE,
    **profile_overrides: Any,
) -> dict[Condition, ConditionCheck]:
    checks = check_eligibility(EligibilityInput(profile(**profile_overrides), facts, revocations), deadline)
    return {c.condition: c for c in checks}


def check(cond: Condition, facts: Sequence[Fact] = (), **kwargs: Any) -> ConditionCheck:
    return run(facts, **kwargs)[cond]


def assert_clause(c: ConditionCheck, article: str = "第十一条") -> None:
    assert article in c.info.clause_zh
    assert "鹿城区政府质量奖评审管理办法" in c.info.clause_zh
    assert c.info.title_zh
    assert c.finding_zh


def assert_fact_fail(c: ConditionCheck, *facts: Fact) -> None:
    """A FAIL resting on recorded facts carries their descriptions and ids as evidence."""
    assert c.status is CheckStatus.FAIL
    assert c.evidence, "a failed condition must show its evidence"
    assert c.fact_ids == tuple(f.fact_id for f in facts)
    assert c.evidence == tuple(f.describe() for f in facts)


def revocation(revoked_on: date, credit_code: str = CODE) -> Revocation:
    return Revocation(
        credit_code=credit_code,
        award=Award.QUALITY,
        award_year=2021,
        revoked_on=revoked_on,
        reason="申报材料弄虚作假",
        document_no="鹿政发〔2024〕12号",
    )


# --- R11.7: every condition, once, in order ------------------------------------------------------


@pytest.mark.req("R11.7")
def test_every_condition_checked_once_in_the_order_of_the_measures() -> None:
    checks = check_eligibility(EligibilityInput(profile(), good_record()), DEADLINE)
    assert [c.condition for c in checks] == list(Condition)
    assert len(checks) == len(set(c.condition for c in checks)) == len(CONDITIONS) == 14


@pytest.mark.req("R11.7")
def test_every_condition_names_its_clause_and_requirement() -> None:
    for cond in Condition:
        info = CONDITIONS[cond]
        expected_article = "第十七条" if cond is Condition.NOT_BANNED else "第十一条"
        assert expected_article in info.clause_zh
        assert info.requirement.startswith(("R11.", "R17."))
    assert CONDITIONS[Condition.NOT_BANNED].requirement == "R17.1"
    assert CONDITIONS[Condition.OPERATING_YEARS].requirement == "R11.2"


@pytest.mark.req("R11.7")
def test_good_record_passes_everything_except_what_needs_judgement() -> None:
    checks = run(good_record())
    statuses = {c: k.status for c, k in checks.items()}
    assert {c for c, s in statuses.items() if s is CheckStatus.NEEDS_JUDGEMENT} == {
        Condition.LAWFUL_COMPLIANCE,
        Condition.EXCELLENCE_MODEL,
    }
    assert CheckStatus.FAIL not in statuses.values()


@pytest.mark.req("R11.7")
def test_no_facts_at_all_fails_qms_and_leaves_the_rest_to_the_office() -> None:
    checks = run([])
    assert checks[Condition.QMS_CERTIFICATION].status is CheckStatus.FAIL
    assert checks[Condition.CREDIT_RECORD].status is CheckStatus.NEEDS_JUDGEMENT
    assert checks[Condition.INNOVATION].status is CheckStatus.NEEDS_JUDGEMENT
    assert checks[Condition.SPOT_CHECKS].status is CheckStatus.PASS


# --- R11.1: district, tax, legal person ------------------------------------------------------------


@pytest.mark.req("R11.1")
def test_registered_in_district() -> None:
    ok = check(Condition.REGISTERED_IN_DISTRICT)
    assert ok.status is CheckStatus.PASS
    assert_clause(ok)
    assert "第（一）项" in ok.info.clause_zh
    bad = check(Condition.REGISTERED_IN_DISTRICT, registered_district="龙湾区")
    assert bad.status is CheckStatus.FAIL
    assert "龙湾区" in bad.finding_zh
    assert_clause(bad)
    missing = check(Condition.REGISTERED_IN_DISTRICT, registered_district="")
    assert missing.status is CheckStatus.FAIL
    assert "未登记" in missing.finding_zh


@pytest.mark.req("R11.1")
def test_tax_in_district() -> None:
    assert check(Condition.TAX_IN_DISTRICT).status is CheckStatus.PASS
    bad = check(Condition.TAX_IN_DISTRICT, tax_district="瓯海区")
    assert bad.status is CheckStatus.FAIL
    assert "瓯海区" in bad.finding_zh
    assert_clause(bad)
    # registered here but taxed elsewhere: only the tax condition fails
    checks = run(good_record(), tax_district="瓯海区")
    assert checks[Condition.REGISTERED_IN_DISTRICT].status is CheckStatus.PASS


@pytest.mark.req("R11.1")
def test_independent_legal_person() -> None:
    assert check(Condition.INDEPENDENT_LEGAL_PERSON).status is CheckStatus.PASS
    bad = check(Condition.INDEPENDENT_LEGAL_PERSON, independent_legal_person=False)
    assert bad.status is CheckStatus.FAIL
    assert "不具有独立法人资格" in bad.finding_zh
    assert_clause(bad)


# --- R11.2: three full years ----------------------------------------------------------------------


@pytest.mark.req("R11.2")
def test_operating_years_pass_when_three_years_ran_out_before_the_deadline() -> None:
    ok = check(Condition.OPERATING_YEARS, registration_date=date(2024, 3, 30))
    assert ok.status is CheckStatus.PASS
    assert "已满3年" in ok.finding_zh
    assert "2024年3月30日" in ok.finding_zh
    assert_clause(ok)


@pytest.mark.req("R11.2")
def test_operating_years_fail_on_the_third_anniversary() -> None:
    bad = check(Condition.OPERATING_YEARS, registration_date=date(2024, 3, 31))
    assert bad.status is CheckStatus.FAIL
    assert "未满3年" in bad.finding_zh
    assert "2027年3月31日24时满3年" in bad.finding_zh
    assert "2027年3月31日" in bad.finding_zh
    assert_clause(bad)


@pytest.mark.req("R11.2")
def test_operating_years_pass_at_a_deadline_of_24_00() -> None:
    midnight = datetime(2027, 4, 1, 0, 0, tzinfo=CST)
    c = check(Condition.OPERATING_YEARS, deadline=midnight, registration_date=date(2024, 3, 31))
    assert c.status is CheckStatus.PASS


# --- R11.3: lawful compliance ---------------------------------------------------------------------


@pytest.mark.req("R11.3")
def test_lawful_compliance_needs_judgement_without_violations() -> None:
    c = check(Condition.LAWFUL_COMPLIANCE, good_record())
    assert c.status is CheckStatus.NEEDS_JUDGEMENT
    assert "区评审办" in c.finding_zh
    assert_clause(c)
    assert "第（二）项" in c.info.clause_zh


@pytest.mark.req("R11.3")
def test_lawful_compliance_fails_on_a_recent_violation() -> None:
    v = violation(date(2026, 1, 5))
    c = check(Condition.LAWFUL_COMPLIANCE, [*good_record(), v])
    assert_fact_fail(c, v)
    assert_clause(c)


@pytest.mark.req("R11.3")
def test_lawful_compliance_ignores_violations_older_than_three_years() -> None:
    c = check(Condition.LAWFUL_COMPLIANCE, [violation(date(2024, 3, 30))])
    assert c.status is CheckStatus.NEEDS_JUDGEMENT


# --- R11.4: excellence model and QMS certificate ----------------------------------------------------


@pytest.mark.req("R11.4")
def test_excellence_model_always_needs_judgement_with_evidence_when_recorded() -> None:
    e = excellence()
    with_proof = check(Condition.EXCELLENCE_MODEL, [e])
    assert with_proof.status is CheckStatus.NEEDS_JUDGEMENT
    assert with_proof.fact_ids == (e.fact_id,)
    assert "导入卓越绩效模式三年" in with_proof.evidence[0]
    assert_clause(with_proof)
    assert "第（三）项" in with_proof.info.clause_zh
    without = check(Condition.EXCELLENCE_MODEL)
    assert without.status is CheckStatus.NEEDS_JUDGEMENT
    assert "未登记" in without.finding_zh


@pytest.mark.req("R11.4")
def test_qms_certificate_valid_through_the_deadline_day_passes() -> None:
    cert = qms(date(2024, 4, 1), date(2027, 3, 31))
    c = check(Condition.QMS_CERTIFICATION, [cert])
    assert c.status is CheckStatus.PASS
    assert c.fact_ids == (cert.fact_id,)
    assert "2027-03-31" in c.evidence[0]
    assert_clause(c)


@pytest.mark.req("R11.4")
def test_qms_certificate_expired_the_day_before_the_deadline_fails() -> None:
    cert = qms(date(2024, 3, 31), date(2027, 3, 30))
    c = check(Condition.QMS_CERTIFICATION, [cert])
    assert_fact_fail(c, cert)
    assert "不在有效期内" in c.finding_zh
    assert "2027年3月31日" in c.finding_zh
    assert_clause(c)


@pytest.mark.req("R11.4")
def test_qms_certificate_issued_after_the_deadline_fails() -> None:
    cert = qms(date(2027, 4, 1), date(2030, 3, 31))
    assert_fact_fail(check(Condition.QMS_CERTIFICATION, [cert]), cert)


@pytest.mark.req("R11.4")
def test_qms_certificate_issued_on_the_deadline_day_passes() -> None:
    c = check(Condition.QMS_CERTIFICATION, [qms(date(2027, 3, 31), date(2030, 3, 30))])
    assert c.status is CheckStatus.PASS


@pytest.mark.req("R11.4")
def test_qms_one_valid_certificate_among_expired_ones_passes_and_shows_the_valid_one() -> None:
    old = qms(date(2020, 1, 1), date(2023, 1, 1))
    current = qms(date(2023, 1, 2), date(2029, 1, 1))
    c = check(Condition.QMS_CERTIFICATION, [old, current])
    assert c.status is CheckStatus.PASS
    assert c.fact_ids == (current.fact_id,)


@pytest.mark.req("R11.4")
def test_qms_no_certificate_fails() -> None:
    c = check(Condition.QMS_CERTIFICATION)
    assert c.status is CheckStatus.FAIL
    assert "未登记质量管理体系认证证书" in c.finding_zh
    assert_clause(c)


# --- R11.5: innovation ------------------------------------------------------------------------------


@pytest.mark.req("R11.5")
def test_innovation() -> None:
    r = innovation()
    ok = check(Condition.INNOVATION, [r])
    assert ok.status is CheckStatus.PASS
    assert ok.fact_ids == (r.fact_id,)
    assert "主导制定行业标准1项" in ok.evidence[0]
    assert_clause(ok)
    assert "第（四）项" in ok.info.clause_zh
    unknown = check(Condition.INNOVATION)
    assert unknown.status is CheckStatus.NEEDS_JUDGEMENT
    assert "区评审办" in unknown.finding_zh


# --- R11.6: spot checks, accidents, complaints, violations, credit ----------------------------------


@pytest.mark.req("R11.6")
@pytest.mark.parametrize("result", [SpotCheckResult.PASS, SpotCheckResult.FAIL_OTHER])
def test_spot_check_pass_or_other_indicator_failure_does_not_bar(result: SpotCheckResult) -> None:
    c = check(Condition.SPOT_CHECKS, [spot_check(date(2026, 6, 1), result)])
    assert c.status is CheckStatus.PASS
    assert c.evidence == ()
    assert_clause(c)


@pytest.mark.req("R11.6")
@pytest.mark.parametrize("result", [SpotCheckResult.FAIL_SAFETY, SpotCheckResult.FAIL_MAIN_PERFORMANCE])
def test_spot_check_safety_or_main_performance_failure_two_years_ago_bars(result: SpotCheckResult) -> None:
    failed = spot_check(date(2025, 3, 31), result)
    c = check(Condition.SPOT_CHECKS, [spot_check(date(2026, 6, 1), SpotCheckResult.PASS), failed])
    assert_fact_fail(c, failed)
    assert "不合格" in c.evidence[0]
    assert "电动阀门" in c.evidence[0]
    assert_clause(c)
    assert "第（五）项" in c.info.clause_zh


@pytest.mark.req("R11.6")
def test_spot_check_failure_three_years_and_one_day_ago_does_not_bar() -> None:
    c = check(Condition.SPOT_CHECKS, [spot_check(date(2024, 3, 30), SpotCheckResult.FAIL_SAFETY)])
    assert c.status is CheckStatus.PASS


@pytest.mark.req("R11.6")
def test_spot_check_window_edges() -> None:
    first_day = spot_check(date(2024, 4, 1), SpotCheckResult.FAIL_SAFETY)
    assert_fact_fail(check(Condition.SPOT_CHECKS, [first_day]), first_day)
    three_years = spot_check(date(2024, 3, 31), SpotCheckResult.FAIL_SAFETY)
    assert check(Condition.SPOT_CHECKS, [three_years]).status is CheckStatus.PASS
    after_deadline = spot_check(date(2027, 4, 1), SpotCheckResult.FAIL_SAFETY)
    assert check(Condition.SPOT_CHECKS, [after_deadline]).status is CheckStatus.PASS


@pytest.mark.req("R11.6")
def test_general_accident_does_not_bar() -> None:
    c = check(Condition.ACCIDENTS, [accident(date(2026, 2, 1), AccidentGrade.GENERAL)])
    assert c.status is CheckStatus.PASS
    assert_clause(c)


@pytest.mark.req("R11.6")
@pytest.mark.parametrize("grade", [AccidentGrade.LARGER, AccidentGrade.MAJOR, AccidentGrade.EXTRAORDINARY])
@pytest.mark.parametrize("category", list(AccidentCategory))
def test_larger_or_worse_accident_bars(grade: AccidentGrade, category: AccidentCategory) -> None:
    a = accident(date(2026, 2, 1), grade, category)
    c = check(Condition.ACCIDENTS, [accident(date(2025, 2, 1), AccidentGrade.GENERAL), a])
    assert_fact_fail(c, a)
    assert "事故" in c.evidence[0]
    assert_clause(c)


@pytest.mark.req("R11.6")
def test_larger_accident_outside_the_window_does_not_bar() -> None:
    c = check(Condition.ACCIDENTS, [accident(date(2024, 3, 30), AccidentGrade.MAJOR)])
    assert c.status is CheckStatus.PASS


@pytest.mark.req("R11.6")
def test_complaint_not_due_to_the_organisation_does_not_bar() -> None:
    c = check(Condition.MAJOR_COMPLAINTS, [complaint(date(2026, 8, 1), due_to_organisation=False)])
    assert c.status is CheckStatus.PASS
    assert_clause(c)


@pytest.mark.req("R11.6")
def test_complaint_due_to_the_organisation_bars() -> None:
    due = complaint(date(2026, 8, 1), due_to_organisation=True)
    c = check(Condition.MAJOR_COMPLAINTS, [complaint(date(2026, 7, 1), due_to_organisation=False), due])
    assert_fact_fail(c, due)
    assert "因组织责任导致" in c.evidence[0]
    assert_clause(c)


@pytest.mark.req("R11.6")
def test_old_complaint_due_to_the_organisation_does_not_bar() -> None:
    c = check(Condition.MAJOR_COMPLAINTS, [complaint(date(2023, 8, 1), due_to_organisation=True)])
    assert c.status is CheckStatus.PASS


@pytest.mark.req("R11.6")
def test_serious_violations() -> None:
    assert check(Condition.SERIOUS_VIOLATIONS).status is CheckStatus.PASS
    v = violation(date(2025, 12, 1))
    c = check(Condition.SERIOUS_VIOLATIONS, [violation(date(2023, 1, 1)), v])
    assert_fact_fail(c, v)
    assert "无证生产" in c.evidence[0]
    assert_clause(c)


@pytest.mark.req("R11.6")
def test_credit_good_passes_and_no_record_needs_judgement() -> None:
    good = credit(date(2027, 1, 10), CreditStatus.GOOD)
    c = check(Condition.CREDIT_RECORD, [good])
    assert c.status is CheckStatus.PASS
    assert c.fact_ids == (good.fact_id,)
    assert_clause(c)
    assert check(Condition.CREDIT_RECORD).status is CheckStatus.NEEDS_JUDGEMENT


@pytest.mark.req("R11.6")
@pytest.mark.parametrize("bad", [CreditStatus.ABNORMAL, CreditStatus.DISHONEST])
def test_credit_latest_status_wins(bad: CreditStatus) -> None:
    earlier_bad = credit(date(2025, 1, 1), bad)
    later_good = credit(date(2026, 1, 1), CreditStatus.GOOD)
    recovered = check(Condition.CREDIT_RECORD, [later_good, earlier_bad])
    assert recovered.status is CheckStatus.PASS
    assert recovered.fact_ids == (later_good.fact_id,)

    earlier_good = credit(date(2025, 1, 1), CreditStatus.GOOD)
    later_bad = credit(date(2026, 1, 1), bad)
    fallen = check(Condition.CREDIT_RECORD, [later_bad, earlier_good])
    assert_fact_fail(fallen, later_bad)
    assert "不良" in fallen.finding_zh


@pytest.mark.req("R11.6")
def test_credit_record_after_the_deadline_is_ignored() -> None:
    good = credit(date(2027, 3, 1), CreditStatus.GOOD)
    c = check(Condition.CREDIT_RECORD, [good, credit(date(2027, 4, 2), CreditStatus.DISHONEST)])
    assert c.status is CheckStatus.PASS
    assert c.fact_ids == (good.fact_id,)


# --- R17.1: five-year ban after revocation -----------------------------------------------------------


@pytest.mark.req("R17.1")
def test_revocation_three_years_before_the_deadline_bars() -> None:
    c = check(Condition.NOT_BANNED, revocations=[revocation(date(2024, 3, 31))])
    assert c.status is CheckStatus.FAIL
    assert c.evidence
    assert "2029年3月31日24时" in c.finding_zh
    assert "鹿政发〔2024〕12号" in c.finding_zh
    assert "区政府质量奖" in c.finding_zh
    assert_clause(c, "第十七条")


@pytest.mark.req("R17.1")
def test_revocation_five_years_and_one_day_before_does_not_bar() -> None:
    c = check(Condition.NOT_BANNED, revocations=[revocation(date(2022, 3, 30))])
    assert c.status is CheckStatus.PASS
    assert_clause(c, "第十七条")


@pytest.mark.req("R17.1")
def test_revocation_exactly_five_years_before_still_bars_on_the_last_day() -> None:
    r = revocation(date(2022, 3, 31))
    assert ban_end(r) == datetime(2027, 4, 1, 0, 0, tzinfo=CST)
    assert check_ban([r], CODE, DEADLINE).status is CheckStatus.FAIL
    assert check_ban([r], CODE, datetime(2027, 4, 1, 0, 0, tzinfo=CST)).status is CheckStatus.PASS


@pytest.mark.req("R17.1")
def test_another_organisations_revocation_or_a_later_one_does_not_bar() -> None:
    other = revocation(date(2025, 1, 1), credit_code="91110000600037341L")
    assert check_ban([other], CODE, DEADLINE).status is CheckStatus.PASS
    assert check_ban([revocation(date(2027, 4, 1))], CODE, DEADLINE).status is CheckStatus.PASS


@pytest.mark.req("R17.1")
def test_the_longest_running_ban_is_reported() -> None:
    c = check_ban([revocation(date(2023, 1, 10)), revocation(date(2025, 6, 1))], CODE, DEADLINE)
    assert c.status is CheckStatus.FAIL
    assert "2030年6月1日24时" in c.finding_zh


# --- R11.7: a rejection says exactly which condition failed ---------------------------------------


@pytest.mark.req("R11.7")
def test_one_bad_fact_fails_only_its_own_conditions() -> None:
    failed = spot_check(date(2026, 6, 1), SpotCheckResult.FAIL_SAFETY)
    checks = run([*good_record(), failed])
    fails = [c for c, k in checks.items() if k.status is CheckStatus.FAIL]
    assert fails == [Condition.SPOT_CHECKS]
    assert checks[Condition.SPOT_CHECKS].fact_ids == (failed.fact_id,)


@pytest.mark.req("R11.7")
def test_many_failures_are_each_recorded() -> None:
    facts = [
        credit(date(2026, 1, 1), CreditStatus.DISHONEST),
        accident(date(2026, 2, 1), AccidentGrade.LARGER, AccidentCategory.PRODUCTION_SAFETY),
        complaint(date(2026, 3, 1), due_to_organisation=True),
        qms(date(2020, 1, 1), date(2023, 1, 1)),
    ]
    checks = run(facts, revocations=[revocation(date(2025, 1, 1))], tax_district="瓯海区")
    fails = {c for c, k in checks.items() if k.status is CheckStatus.FAIL}
    assert fails == {
        Condition.TAX_IN_DISTRICT,
        Condition.QMS_CERTIFICATION,
        Condition.ACCIDENTS,
        Condition.MAJOR_COMPLAINTS,
        Condition.CREDIT_RECORD,
        Condition.NOT_BANNED,
    }


# --- evidence texts --------------------------------------------------------------------------------


@pytest.mark.req("R11.7")
@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (qms(date(2024, 4, 1), date(2027, 3, 31)), "有效期2024-04-01至2027-03-31"),
        (
            spot_check(date(2025, 3, 31), SpotCheckResult.FAIL_SAFETY),
            "2025-03-31质量监督抽查（电动阀门）：安全指标不合格",
        ),
        (spot_check(date(2025, 3, 31), SpotCheckResult.FAIL_OTHER), "一般指标不合格"),
        (
            accident(date(2026, 2, 1), AccidentGrade.LARGER, AccidentCategory.ENVIRONMENTAL),
            "2026-02-01发生较大环境污染事故",
        ),
        (complaint(date(2026, 8, 1), due_to_organisation=False), "非因组织责任"),
        (violation(date(2026, 1, 5)), "严重违法违规行为：无证生产被行政处罚"),
        (credit(date(2026, 1, 1), CreditStatus.DISHONEST), "列入严重违法失信名单"),
        (innovation(), "创新成果：主导制定行业标准1项"),
        (excellence(), "实施卓越绩效模式：导入卓越绩效模式三年"),
    ],
)
def test_fact_descriptions_are_readable_chinese_evidence(f: Fact, expected: str) -> None:
    assert expected in f.describe()
