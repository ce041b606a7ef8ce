"""Eligibility facts the office records per enterprise, each with date, source and evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from domain.types import Award, Field, SectorTag


class FactKind(StrEnum):
    QMS_CERTIFICATE = "QMS_CERTIFICATE"  # 质量管理体系认证证书
    SPOT_CHECK = "SPOT_CHECK"  # 质量监督抽查
    ACCIDENT = "ACCIDENT"  # 质量、安全生产、环境污染、公共卫生事故
    MAJOR_COMPLAINT = "MAJOR_COMPLAINT"  # 重大投诉
    SERIOUS_VIOLATION = "SERIOUS_VIOLATION"  # 严重违法违规行为
    CREDIT_STATUS = "CREDIT_STATUS"  # 信用记录
    INNOVATION_RESULT = "INNOVATION_RESULT"  # 质量、标准、品牌创新成果
    EXCELLENCE_MODEL = "EXCELLENCE_MODEL"  # 实施卓越绩效模式的证明


class SpotCheckResult(StrEnum):
    PASS = "PASS"
    FAIL_SAFETY = "FAIL_SAFETY"  # 安全指标不合格
    FAIL_MAIN_PERFORMANCE = "FAIL_MAIN_PERFORMANCE"  # 主要性能指标不合格
    FAIL_OTHER = "FAIL_OTHER"  # 其他指标不合格 (does not bar, Art. 11(5))


class AccidentCategory(StrEnum):
    QUALITY = "QUALITY"
    PRODUCTION_SAFETY = "PRODUCTION_SAFETY"
    ENVIRONMENTAL = "ENVIRONMENTAL"
    PUBLIC_HEALTH = "PUBLIC_HEALTH"


class AccidentGrade(StrEnum):
    """Graded under national rules; 较大 (LARGER) and above bar an application (Art. 11(5))."""

    GENERAL = "GENERAL"  # 一般
    LARGER = "LARGER"  # 较大
    MAJOR = "MAJOR"  # 重大
    EXTRAORDINARY = "EXTRAORDINARY"  # 特别重大

    @property
    def bars(self) -> bool:
        return self is not AccidentGrade.GENERAL


class CreditStatus(StrEnum):
    GOOD = "GOOD"  # 良好
    ABNORMAL = "ABNORMAL"  # 经营异常名录
    DISHONEST = "DISHONEST"  # 严重违法失信名单


@dataclass(frozen=True)
class EnterpriseProfile:
    credit_code: str
    name: str
    registered_district: str
    tax_district: str
    independent_legal_person: bool
    registration_date: date
    field: Field
    sector_tags: tuple[SectorTag, ...] = ()


@dataclass(frozen=True)
class Fact:
    """One recorded fact. `attrs` holds the kind's own fields (see FACT_ATTRS)."""

    fact_id: int
    kind: FactKind
    on: date  # the date the fact refers to (check date, accident date, certificate issue, ...)
    source: str
    evidence: str
    attrs: dict[str, Any] = field(default_factory=dict)

    def attr_date(self, name: str) -> date:
        value = self.attrs[name]
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    def describe(self) -> str:
        """Short Chinese description used as evidence in checks and feedback letters."""
        a = self.attrs
        match self.kind:
            case FactKind.QMS_CERTIFICATE:
                return f"质量管理体系认证证书{a.get('number', '')}（{a.get('body', '')}，有效期{a.get('valid_from')}至{a.get('valid_to')}）"
            case FactKind.SPOT_CHECK:
                return f"{self.on}质量监督抽查（{a.get('product', '')}）：{SPOT_CHECK_ZH[SpotCheckResult(a['result'])]}"
            case FactKind.ACCIDENT:
                return f"{self.on}发生{GRADE_ZH[AccidentGrade(a['grade'])]}{CATEGORY_ZH[AccidentCategory(a['category'])]}事故"
            case FactKind.MAJOR_COMPLAINT:
                due = "因组织责任导致" if a.get("due_to_organisation") else "非因组织责任"
                return f"{self.on}重大投诉（{due}）：{a.get('summary', '')}"
            case FactKind.CREDIT_STATUS:
                return f"{self.on}信用状况：{CREDIT_ZH[CreditStatus(a['status'])]}"
            case kind if kind in SUMMARISED_ZH:
                return f"{self.on}{SUMMARISED_ZH[kind]}：{a.get('summary', '')}"
        return str(self.kind)


@dataclass(frozen=True)
class Revocation:
    """Revocation registry entry (R17.1, R17.2)."""

    credit_code: str
    award: Award
    award_year: int
    revoked_on: date
    reason: str
    document_no: str = ""


SPOT_CHECK_ZH = {
    SpotCheckResult.PASS: "合格",
    SpotCheckResult.FAIL_SAFETY: "安全指标不合格",
    SpotCheckResult.FAIL_MAIN_PERFORMANCE: "主要性能指标不合格",
    SpotCheckResult.FAIL_OTHER: "一般指标不合格",
}
GRADE_ZH = {
    AccidentGrade.GENERAL: "一般",
    AccidentGrade.LARGER: "较大",
    AccidentGrade.MAJOR: "重大",
    AccidentGrade.EXTRAORDINARY: "特别重大",
}
CATEGORY_ZH = {
    AccidentCategory.QUALITY: "质量",
    AccidentCategory.PRODUCTION_SAFETY: "安全生产",
    AccidentCategory.ENVIRONMENTAL: "环境污染",
    AccidentCategory.PUBLIC_HEALTH: "公共卫生",
}
CREDIT_ZH = {
    CreditStatus.GOOD: "良好",
    CreditStatus.ABNORMAL: "列入经营异常名录",
    CreditStatus.DISHONEST: "列入严重违法失信名单",
}
# The facts described by what their summary says.
SUMMARISED_ZH = {
    FactKind.SERIOUS_VIOLATION: "严重违法违规行为",
    FactKind.INNOVATION_RESULT: "创新成果",
    FactKind.EXCELLENCE_MODEL: "实施卓越绩效模式",
}
