"""Conflicts of interest (利害关系, R20.1): declared, detected, and which of them block a seat.

An expert never reviews an enterprise they have an interest in: one they work for, worked for
recently, or gave consulting to recently, or one that either side declared. Detected conflicts
are suspicions with evidence; the office confirms or dismisses them. A suspected or confirmed
conflict is a hard exclusion from the panel draw; only a dismissed one is not.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.calendar import add_years, format_cst_date
from domain.errors import invalid


class ConflictType(StrEnum):
    DECLARED_BY_EXPERT = "DECLARED_BY_EXPERT"  # 专家申报回避
    DECLARED_BY_ENTERPRISE = "DECLARED_BY_ENTERPRISE"  # 企业申请回避
    CURRENT_EMPLOYER = "CURRENT_EMPLOYER"  # 现任职单位
    PAST_EMPLOYER = "PAST_EMPLOYER"  # 近年曾任职单位
    CONSULTING = "CONSULTING"  # 近年提供咨询服务

    @property
    def name_zh(self) -> str:
        return _TYPE_ZH[self]


_TYPE_ZH = {
    ConflictType.DECLARED_BY_EXPERT: "专家申报回避",
    ConflictType.DECLARED_BY_ENTERPRISE: "企业申请回避",
    ConflictType.CURRENT_EMPLOYER: "现任职单位",
    ConflictType.PAST_EMPLOYER: "曾任职单位",
    ConflictType.CONSULTING: "咨询服务",
}


class ConflictState(StrEnum):
    SUSPECTED = "SUSPECTED"  # 待核实 — blocks until the office dismisses it
    CONFIRMED = "CONFIRMED"  # 已确认
    DISMISSED = "DISMISSED"  # 已排除


class ConflictSource(StrEnum):
    EXPERT = "EXPERT"  # declared by the expert
    ENTERPRISE = "ENTERPRISE"  # declared by the enterprise
    DETECTED = "DETECTED"  # found by detect_conflicts
    OFFICE = "OFFICE"  # recorded by the office


class EngagementKind(StrEnum):
    EMPLOYMENT = "EMPLOYMENT"  # 任职
    CONSULTING = "CONSULTING"  # 咨询服务


@dataclass(frozen=True)
class Engagement:
    """One entry of an expert's employment or consulting history; `end` None means ongoing."""

    enterprise_credit_code: str
    kind: EngagementKind
    start: date
    end: date | None
    note: str = ""

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise invalid(
                "ENGAGEMENT_ENDS_BEFORE_START",
                f"任职或咨询经历的结束日期{format_cst_date(self.end)}早于开始日期{format_cst_date(self.start)}",
                f"An engagement ends ({self.end}) before it starts ({self.start})",
                credit_code=self.enterprise_credit_code,
            )


@dataclass(frozen=True)
class ExpertProfile:
    expert_id: int
    name: str
    current_employer_credit_code: str | None
    engagements: tuple[Engagement, ...] = ()


@dataclass(frozen=True)
class DetectedConflict:
    expert_id: int
    credit_code: str
    type: ConflictType
    evidence_zh: str


@dataclass(frozen=True)
class ConflictRecord:
    """A conflict as recorded for a cycle: declared, detected or entered by the office."""

    expert_id: int
    credit_code: str
    type: ConflictType
    source: ConflictSource
    state: ConflictState
    reason_zh: str = ""


def is_blocking(state: ConflictState) -> bool:
    """Suspected and confirmed conflicts keep the expert off the enterprise's panel; dismissed ones do not."""
    return state is not ConflictState.DISMISSED


def blocking_pairs(records: Iterable[ConflictRecord]) -> frozenset[tuple[int, str]]:
    """The (expert_id, credit_code) pairs the panel draw must never seat."""
    return frozenset((r.expert_id, _code(r.credit_code)) for r in records if is_blocking(r.state))


def _code(raw: str) -> str:
    return raw.strip().upper()


def _period_zh(e: Engagement) -> str:
    end = "至今" if e.end is None else f"至{format_cst_date(e.end)}"
    return f"{format_cst_date(e.start)}{end}"


def detect_conflicts(
    experts: Sequence[ExpertProfile],
    credit_codes: Collection[str],
    *,
    on: date,
    window_years: int,
) -> list[DetectedConflict]:
    """Conflicts between experts and enterprises that follow from the experts' histories.

    - the expert's current employer is the enterprise, or an employment with it is still
      running on `on` (no end, or an end after `on`) → CURRENT_EMPLOYER;
    - an employment with it ended within `window_years` before `on` → PAST_EMPLOYER;
    - consulting for it that is running or ended within the window → CONSULTING.

    The window's first day is the corresponding day `window_years` before `on`
    (`add_years(on, -window_years)`) and it counts: an engagement that ended on that very day
    is still a conflict (doubt excludes). Engagements agreed to start after `on` count as well.
    One result per (expert, enterprise, type), the evidence listing every engagement behind it,
    sorted by expert_id, credit_code, type.
    """
    if window_years < 0:
        raise invalid(
            "CONFLICT_WINDOW_NEGATIVE",
            f"利害关系回溯年限不能为负数：{window_years}",
            f"The conflict look-back window cannot be negative: {window_years}",
        )
    codes = {_code(c) for c in credit_codes}
    window_start = add_years(on, -window_years)
    found: dict[tuple[int, str, ConflictType], list[str]] = {}

    def add(expert: ExpertProfile, code: str, kind: ConflictType, evidence: str) -> None:
        items = found.setdefault((expert.expert_id, code, kind), [])
        if evidence not in items:
            items.append(evidence)

    for expert in experts:
        employer = expert.current_employer_credit_code
        if employer is not None and _code(employer) in codes:
            add(
                expert,
                _code(employer),
                ConflictType.CURRENT_EMPLOYER,
                f"专家{expert.name}现任职于该企业（统一社会信用代码{_code(employer)}）",
            )
        for e in expert.engagements:
            code = _code(e.enterprise_credit_code)
            if code not in codes:
                continue
            note = f"（{e.note}）" if e.note else ""
            if e.kind is EngagementKind.EMPLOYMENT:
                if e.end is None or e.end > on:
                    add(
                        expert,
                        code,
                        ConflictType.CURRENT_EMPLOYER,
                        f"专家{expert.name}{_period_zh(e)}任职于该企业{note}",
                    )
                elif e.end >= window_start:
                    add(
                        expert,
                        code,
                        ConflictType.PAST_EMPLOYER,
                        f"专家{expert.name}{_period_zh(e)}任职于该企业，离职未满{window_years}年{note}",
                    )
            elif e.end is None or e.end >= window_start:
                add(
                    expert,
                    code,
                    ConflictType.CONSULTING,
                    f"专家{expert.name}{_period_zh(e)}为该企业提供咨询服务（近{window_years}年内）{note}",
                )
    return [
        DetectedConflict(expert_id, code, kind, "；".join(evidence))
        for (expert_id, code, kind), evidence in sorted(found.items(), key=lambda kv: kv[0])
    ]
