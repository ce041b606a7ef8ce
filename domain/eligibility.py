"""Qualification review, automatic part (R11.1–R11.7, R17.1).

Each Art. 11 condition and the Art. 17 ban is checked on its own and recorded as pass, fail
or needs judgement, with the facts it rests on and the clause it applies, so a rejection says
exactly which condition failed and why. Everything is evaluated as of the application deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.calendar import (
    HolidayCalendar,
    cst_date,
    format_cst_date,
    full_years_completed,
    period_end,
    period_last_day,
    within_lookback,
)
from domain.errors import DomainError, conflict
from domain.facts import (
    AccidentGrade,
    CreditStatus,
    EnterpriseProfile,
    Fact,
    FactKind,
    Revocation,
    SpotCheckResult,
)
from domain.rules import LOOKBACK_YEARS, MIN_OPERATING_YEARS, REVOCATION_BAN_YEARS


class CheckStatus(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NEEDS_JUDGEMENT = "NEEDS_JUDGEMENT"


class Condition(StrEnum):
    REGISTERED_IN_DISTRICT = "REGISTERED_IN_DISTRICT"
    TAX_IN_DISTRICT = "TAX_IN_DISTRICT"
    INDEPENDENT_LEGAL_PERSON = "INDEPENDENT_LEGAL_PERSON"
    OPERATING_YEARS = "OPERATING_YEARS"
    LAWFUL_COMPLIANCE = "LAWFUL_COMPLIANCE"
    EXCELLENCE_MODEL = "EXCELLENCE_MODEL"
    QMS_CERTIFICATION = "QMS_CERTIFICATION"
    INNOVATION = "INNOVATION"
    SPOT_CHECKS = "SPOT_CHECKS"
    ACCIDENTS = "ACCIDENTS"
    MAJOR_COMPLAINTS = "MAJOR_COMPLAINTS"
    SERIOUS_VIOLATIONS = "SERIOUS_VIOLATIONS"
    CREDIT_RECORD = "CREDIT_RECORD"
    NOT_BANNED = "NOT_BANNED"


@dataclass(frozen=True)
class ConditionInfo:
    title_zh: str
    clause_zh: str
    requirement: str  # REQUIREMENTS.md id


_MEASURES = "《鹿城区政府质量奖评审管理办法》"
CONDITIONS: dict[Condition, ConditionInfo] = {
    Condition.REGISTERED_IN_DISTRICT: ConditionInfo(
        "在鹿城区行政区域内注册登记", f"{_MEASURES}第十一条第（一）项", "R11.1"
    ),
    Condition.TAX_IN_DISTRICT: ConditionInfo(
        "缴纳税收形成的地方财政收入归属鹿城区", f"{_MEASURES}第十一条第（一）项", "R11.1"
    ),
    Condition.INDEPENDENT_LEGAL_PERSON: ConditionInfo(
        "具有独立法人资格", f"{_MEASURES}第十一条第（一）项", "R11.1"
    ),
    Condition.OPERATING_YEARS: ConditionInfo("合法经营三年以上", f"{_MEASURES}第十一条第（一）项", "R11.2"),
    Condition.LAWFUL_COMPLIANCE: ConditionInfo(
        "生产经营符合法律法规、强制性标准和产业政策要求", f"{_MEASURES}第十一条第（二）项", "R11.3"
    ),
    Condition.EXCELLENCE_MODEL: ConditionInfo(
        "实施卓越绩效模式并取得卓越经营绩效，主要指标处于领先水平", f"{_MEASURES}第十一条第（三）项", "R11.4"
    ),
    Condition.QMS_CERTIFICATION: ConditionInfo(
        "通过质量管理体系认证并有效运行（申报截止日证书有效）", f"{_MEASURES}第十一条第（三）项", "R11.4"
    ),
    Condition.INNOVATION: ConditionInfo(
        "积极开展质量创新、标准创新和品牌创新并取得成效", f"{_MEASURES}第十一条第（四）项", "R11.5"
    ),
    Condition.SPOT_CHECKS: ConditionInfo(
        "近3年各级质量监督抽查中未出现安全指标或主要性能指标不合格", f"{_MEASURES}第十一条第（五）项", "R11.6"
    ),
    Condition.ACCIDENTS: ConditionInfo(
        "近3年未发生较大以上的质量、安全生产、环境污染、公共卫生等事故",
        f"{_MEASURES}第十一条第（五）项",
        "R11.6",
    ),
    Condition.MAJOR_COMPLAINTS: ConditionInfo(
        "近3年无因组织责任导致的重大投诉", f"{_MEASURES}第十一条第（五）项", "R11.6"
    ),
    Condition.SERIOUS_VIOLATIONS: ConditionInfo(
        "近3年无其他严重违法违规行为", f"{_MEASURES}第十一条第（五）项", "R11.6"
    ),
    Condition.CREDIT_RECORD: ConditionInfo(
        "具有良好的信用记录和社会信誉", f"{_MEASURES}第十一条第（五）项", "R11.6"
    ),
    Condition.NOT_BANNED: ConditionInfo(
        "未因被撤销鹿城区政府质量奖而处于5年禁止申报期内", f"{_MEASURES}第十七条", "R17.1"
    ),
}


@dataclass(frozen=True)
class ConditionCheck:
    condition: Condition
    status: CheckStatus
    finding_zh: str
    evidence: tuple[str, ...] = ()
    fact_ids: tuple[int, ...] = ()

    @property
    def info(self) -> ConditionInfo:
        return CONDITIONS[self.condition]


@dataclass(frozen=True)
class EligibilityInput:
    enterprise: EnterpriseProfile
    facts: Sequence[Fact] = ()
    revocations: Sequence[Revocation] = ()
    district: str = "鹿城区"
    extra: dict[str, str] = field(default_factory=dict)
    calendar: HolidayCalendar | None = None  # the cycle's rest days: the ban's end (Art. 17)


def _of(facts: Iterable[Fact], kind: FactKind) -> list[Fact]:
    return sorted((f for f in facts if f.kind is kind), key=lambda f: (f.on, f.fact_id))


def _check(cond: Condition, status: CheckStatus, finding: str, facts: Sequence[Fact] = ()) -> ConditionCheck:
    return ConditionCheck(
        cond, status, finding, tuple(f.describe() for f in facts), tuple(f.fact_id for f in facts)
    )


def _none_found(cond: Condition, found: Sequence[Fact], found_zh: str, none_zh: str) -> ConditionCheck:
    """A condition met when no adverse record is found; the records found are the evidence."""
    return _check(
        cond, CheckStatus.FAIL if found else CheckStatus.PASS, found_zh if found else none_zh, found
    )


def _registry(cond: Condition, ok: bool, finding: str, e: EnterpriseProfile) -> ConditionCheck:
    """A condition decided on the enterprise's registration data: that record is the evidence."""
    source = f"企业登记信息：{e.name}（{e.credit_code}），{finding}"
    return ConditionCheck(cond, CheckStatus.PASS if ok else CheckStatus.FAIL, finding, (source,))


def deadline_day(deadline: datetime) -> date:
    """The calendar day (CST) a deadline closes: a deadline at 24:00 belongs to the day it ends."""
    return cst_date(deadline - timedelta(microseconds=1))


def _recent(facts: Iterable[Fact], kind: FactKind, deadline: datetime) -> list[Fact]:
    last = deadline - timedelta(microseconds=1)
    return [f for f in _of(facts, kind) if within_lookback(f.on, last, LOOKBACK_YEARS)]


def check_eligibility(data: EligibilityInput, deadline: datetime) -> list[ConditionCheck]:
    """Every condition, in the order of the measures, evaluated as of `deadline`."""
    e, facts = data.enterprise, data.facts
    d_zh = format_cst_date(deadline_day(deadline))
    results: list[ConditionCheck] = []
    add = results.append

    registry = (
        (
            Condition.REGISTERED_IN_DISTRICT,
            e.registered_district == data.district,
            f"注册地：{e.registered_district or '未登记'}",
        ),
        (
            Condition.TAX_IN_DISTRICT,
            e.tax_district == data.district,
            f"税收归属地：{e.tax_district or '未登记'}",
        ),
        (
            Condition.INDEPENDENT_LEGAL_PERSON,
            e.independent_legal_person,
            "具有独立法人资格" if e.independent_legal_person else "不具有独立法人资格",
        ),
    )
    for cond, ok, finding in registry:
        add(_registry(cond, ok, finding, e))

    full = full_years_completed(e.registration_date, deadline, MIN_OPERATING_YEARS)
    until = format_cst_date(period_last_day(e.registration_date, years=MIN_OPERATING_YEARS))
    years_text = f"成立日期{format_cst_date(e.registration_date)}，" + (
        f"至申报截止日{d_zh}已满{MIN_OPERATING_YEARS}年"
        if full
        else f"至申报截止日{d_zh}未满{MIN_OPERATING_YEARS}年（{until}24时满{MIN_OPERATING_YEARS}年）"
    )
    add(_registry(Condition.OPERATING_YEARS, full, years_text, e))

    violations = _recent(facts, FactKind.SERIOUS_VIOLATION, deadline)
    if violations:
        add(_check(Condition.LAWFUL_COMPLIANCE, CheckStatus.FAIL, "存在违法违规记录", violations))
    else:
        add(
            _check(
                Condition.LAWFUL_COMPLIANCE,
                CheckStatus.NEEDS_JUDGEMENT,
                "未发现违法违规记录；是否符合强制性标准和产业政策由区评审办审查确认",
            )
        )

    model = _of(facts, FactKind.EXCELLENCE_MODEL)
    add(
        _check(
            Condition.EXCELLENCE_MODEL,
            CheckStatus.NEEDS_JUDGEMENT,
            "已登记实施卓越绩效模式的证明，需区评审办结合申报材料确认"
            if model
            else "未登记实施卓越绩效模式的证明，需区评审办结合自我评价报告确认",
            model,
        )
    )

    last_day = deadline_day(deadline)
    certs = _of(facts, FactKind.QMS_CERTIFICATE)
    valid = [c for c in certs if c.attr_date("valid_from") <= last_day <= c.attr_date("valid_to")]
    if valid:
        add(
            _check(
                Condition.QMS_CERTIFICATION,
                CheckStatus.PASS,
                f"申报截止日{d_zh}持有有效的质量管理体系认证证书",
                valid,
            )
        )
    elif certs:
        add(
            _check(
                Condition.QMS_CERTIFICATION,
                CheckStatus.FAIL,
                f"质量管理体系认证证书在申报截止日{d_zh}不在有效期内",
                certs,
            )
        )
    else:
        add(_check(Condition.QMS_CERTIFICATION, CheckStatus.FAIL, "未登记质量管理体系认证证书"))

    innovation = _of(facts, FactKind.INNOVATION_RESULT)
    add(
        _check(
            Condition.INNOVATION,
            CheckStatus.PASS if innovation else CheckStatus.NEEDS_JUDGEMENT,
            "已登记创新成果" if innovation else "未登记创新成果，需区评审办结合申报材料确认",
            innovation,
        )
    )

    failed = [
        f
        for f in _recent(facts, FactKind.SPOT_CHECK, deadline)
        if SpotCheckResult(f.attrs["result"])
        in (SpotCheckResult.FAIL_SAFETY, SpotCheckResult.FAIL_MAIN_PERFORMANCE)
    ]
    add(
        _none_found(
            Condition.SPOT_CHECKS,
            failed,
            "近3年质量监督抽查出现安全指标或主要性能指标不合格",
            "近3年质量监督抽查未发现安全指标或主要性能指标不合格",
        )
    )

    serious = [f for f in _recent(facts, FactKind.ACCIDENT, deadline) if AccidentGrade(f.attrs["grade"]).bars]
    add(_none_found(Condition.ACCIDENTS, serious, "近3年发生较大以上事故", "近3年未发生较大以上事故"))

    complaints = [
        f for f in _recent(facts, FactKind.MAJOR_COMPLAINT, deadline) if f.attrs.get("due_to_organisation")
    ]
    add(
        _none_found(
            Condition.MAJOR_COMPLAINTS,
            complaints,
            "近3年存在因组织责任导致的重大投诉",
            "近3年无因组织责任导致的重大投诉",
        )
    )

    add(
        _none_found(
            Condition.SERIOUS_VIOLATIONS,
            violations,
            "近3年存在严重违法违规行为",
            "近3年无严重违法违规行为记录",
        )
    )

    credit = [f for f in _of(facts, FactKind.CREDIT_STATUS) if f.on <= last_day]
    if not credit:
        add(_check(Condition.CREDIT_RECORD, CheckStatus.NEEDS_JUDGEMENT, "未登记信用记录，需区评审办核实"))
    else:
        latest = credit[-1]
        good = CreditStatus(latest.attrs["status"]) is CreditStatus.GOOD
        add(
            _check(
                Condition.CREDIT_RECORD,
                CheckStatus.PASS if good else CheckStatus.FAIL,
                "截至申报截止日信用记录良好" if good else "截至申报截止日信用记录不良",
                [latest],
            )
        )

    add(check_ban(data.revocations, e.credit_code, deadline, data.calendar))
    return results


def ban_end(revocation: Revocation, calendar: HolidayCalendar | None = None) -> datetime:
    """When the 5-year ban ends: 24:00 of its last day by the Civil Code (a rest day moves it on)."""
    return period_end(revocation.revoked_on, years=REVOCATION_BAN_YEARS, calendar=calendar)


def active_ban(
    revocations: Iterable[Revocation], credit_code: str, at: datetime, calendar: HolidayCalendar | None = None
) -> Revocation | None:
    """The revocation whose ban, in force at `at`, ends last; None if no ban is in force."""
    active = [
        r
        for r in revocations
        if r.credit_code == credit_code and r.revoked_on <= deadline_day(at) and at < ban_end(r, calendar)
    ]
    return max(active, key=lambda r: ban_end(r, calendar)) if active else None


def check_ban(
    revocations: Iterable[Revocation],
    credit_code: str,
    deadline: datetime,
    calendar: HolidayCalendar | None = None,
) -> ConditionCheck:
    """Art. 17: 5 years from the revocation (Civil Code count) no new application. No office
    decision overrides it (domain.qualification)."""
    r = active_ban(revocations, credit_code, deadline, calendar)
    if r is None:
        return ConditionCheck(Condition.NOT_BANNED, CheckStatus.PASS, "无处于禁止申报期内的撤销奖励记录")
    text = ban_text(r, calendar)
    return ConditionCheck(Condition.NOT_BANNED, CheckStatus.FAIL, text, (text,))


def ban_text(r: Revocation, calendar: HolidayCalendar | None = None) -> str:
    until = format_cst_date(period_last_day(r.revoked_on, years=REVOCATION_BAN_YEARS, calendar=calendar))
    return (
        f"{r.award_year}年度{r.award.name_zh}于{format_cst_date(r.revoked_on)}被撤销"
        f"（{r.document_no or '撤销决定'}：{r.reason}），{REVOCATION_BAN_YEARS}年内不得再次申报，禁止期至{until}24时"
    )


def application_banned(r: Revocation, calendar: HolidayCalendar | None, entry: dict[str, Any]) -> DomainError:
    """The refusal of a submission while a ban is in force (Art. 17, R17.1): 409 with the registry
    entry and the instant the ban ends. No one can lift it: it ends by itself."""
    ends = ban_end(r, calendar)
    return conflict(
        "APPLICATION_BANNED",
        f"{ban_text(r, calendar)}（{CONDITIONS[Condition.NOT_BANNED].clause_zh}），本次申报不予受理",
        f"The {r.award_year} {r.award.value} award of this organisation was revoked on {r.revoked_on}; "
        f"it may not apply for {REVOCATION_BAN_YEARS} years (Art. 17): the ban ends at {ends.isoformat()}",
        revocation=entry,
        ban_ends_at=ends.isoformat(),
    )
