"""Qualification review, office part (R14.1): confirm or override each check, attest truthfulness.

An automatic finding (PASS or FAIL) is changed only on the record of what contradicts it: a fact
of the enterprise's eligibility record or a document the applicant uploaded, named with the
reason — never on a reason alone. The Art. 17 ban (NOT_BANNED) is never changed: it ends by
itself, and a wrong registry entry is corrected in the registry, not in one decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.eligibility import CONDITIONS, CheckStatus, Condition, ConditionCheck
from domain.errors import DomainError, conflict, invalid


@dataclass(frozen=True)
class ConditionDecision:
    condition: Condition
    status: CheckStatus  # PASS or FAIL
    reason: str = ""
    # What contradicts an automatic finding the office overrides: ids of the enterprise's
    # eligibility facts, sha256 of documents the applicant uploaded (checked to exist by the API).
    fact_ids: tuple[int, ...] = ()
    documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class QualificationDecision:
    """The office's decision. Conditions left out keep the automatic PASS/FAIL result;
    every NEEDS_JUDGEMENT condition and every override must be decided with a reason."""

    decisions: tuple[ConditionDecision, ...] = ()
    material_truthful: bool = False  # 申报内容真实性审查
    truthfulness_note: str = ""
    note: str = ""


@dataclass(frozen=True)
class FinalCondition:
    condition: Condition
    auto_status: CheckStatus
    final_status: CheckStatus
    overridden: bool
    reason: str
    finding_zh: str
    evidence: tuple[str, ...] = ()
    # the override's record: facts and documents that contradict the automatic finding
    fact_ids: tuple[int, ...] = ()
    documents: tuple[str, ...] = ()

    @property
    def title_zh(self) -> str:
        return CONDITIONS[self.condition].title_zh

    @property
    def clause_zh(self) -> str:
        return CONDITIONS[self.condition].clause_zh


@dataclass(frozen=True)
class QualificationResult:
    qualified: bool
    conditions: tuple[FinalCondition, ...]
    material_truthful: bool
    truthfulness_note: str

    @property
    def failed(self) -> tuple[FinalCondition, ...]:
        return tuple(c for c in self.conditions if c.final_status is CheckStatus.FAIL)


def resolve_qualification(
    checks: Sequence[ConditionCheck], decision: QualificationDecision
) -> QualificationResult:
    """Apply the office's decision to the automatic checks, or raise DomainError saying what is missing."""
    by_condition = {c.condition: c for c in checks}
    seen: set[Condition] = set()
    for d in decision.decisions:
        if d.condition not in by_condition:
            raise invalid(
                "QUALIFICATION_UNKNOWN_CONDITION",
                f"条件{d.condition}不在本申报的资格审查项目中",
                f"Condition {d.condition} is not among this application's checks",
            )
        if d.condition in seen:
            raise invalid(
                "QUALIFICATION_DUPLICATE_CONDITION",
                f"条件{d.condition}重复作出决定",
                f"Condition {d.condition} is decided twice",
            )
        seen.add(d.condition)
        if d.status is CheckStatus.NEEDS_JUDGEMENT:
            raise invalid(
                "QUALIFICATION_UNDECIDED",
                f"条件“{CONDITIONS[d.condition].title_zh}”须确定为通过或不通过",
                f"Condition {d.condition} must be decided as PASS or FAIL",
            )
        auto = by_condition[d.condition].status
        override = auto is not CheckStatus.NEEDS_JUDGEMENT and d.status is not auto
        if override and d.condition is Condition.NOT_BANNED:
            raise invalid(
                "QUALIFICATION_BAN_FINAL",
                "被撤销奖励的企业（组织）5年内不得再次申报（办法第十七条）：禁止申报期的认定不能改判；"
                "撤销登记有误的，应更正撤销登记",
                "An organisation whose award was revoked may not apply for 5 years (Art. 17): the ban "
                "cannot be overridden; a wrong registry entry is corrected in the registry",
                condition=d.condition,
            )
        if (auto is CheckStatus.NEEDS_JUDGEMENT or override) and not d.reason.strip():
            raise invalid(
                "QUALIFICATION_REASON_REQUIRED",
                f"条件“{CONDITIONS[d.condition].title_zh}”的人工判定或改判须说明理由",
                f"A judgement on or an override of {d.condition} needs a reason",
                condition=d.condition,
            )
        if override and not (d.fact_ids or d.documents):
            raise invalid(
                "QUALIFICATION_OVERRIDE_EVIDENCE",
                f"改判条件“{CONDITIONS[d.condition].title_zh}”的自动审查结论，须载明与之相反的事实或材料"
                "（企业资格事实编号或申报单位上传材料的sha256）及理由，不能仅凭理由改判",
                f"Overriding the automatic finding on {d.condition} needs the fact or document that "
                "contradicts it (an eligibility fact id or the sha256 of a document the applicant uploaded) "
                "and the reason; a reason alone is not enough",
                condition=d.condition,
            )
    undecided = [
        c.condition for c in checks if c.status is CheckStatus.NEEDS_JUDGEMENT and c.condition not in seen
    ]
    if undecided:
        raise invalid(
            "QUALIFICATION_UNDECIDED",
            "以下条件需要人工判定：" + "、".join(CONDITIONS[c].title_zh for c in undecided),
            "These conditions need a human judgement: " + ", ".join(undecided),
            conditions=[str(c) for c in undecided],
        )
    if not decision.material_truthful and not decision.truthfulness_note.strip():
        raise invalid(
            "QUALIFICATION_TRUTHFULNESS_NOTE",
            "认定申报材料不真实时须说明情况",
            "Finding the material untruthful needs an explanation",
        )
    decided = {d.condition: d for d in decision.decisions}
    final: list[FinalCondition] = []
    for c in checks:
        chosen = decided.get(c.condition)
        status = chosen.status if chosen else c.status
        final.append(
            FinalCondition(
                condition=c.condition,
                auto_status=c.status,
                final_status=status,
                overridden=chosen is not None
                and c.status is not CheckStatus.NEEDS_JUDGEMENT
                and chosen.status is not c.status,
                reason=chosen.reason.strip() if chosen else "",
                finding_zh=c.finding_zh,
                evidence=c.evidence,
                fact_ids=chosen.fact_ids if chosen else (),
                documents=chosen.documents if chosen else (),
            )
        )
    qualified = decision.material_truthful and all(f.final_status is CheckStatus.PASS for f in final)
    return QualificationResult(
        qualified, tuple(final), decision.material_truthful, decision.truthfulness_note.strip()
    )


def not_ready(stage: str) -> DomainError:
    return conflict(
        "QUALIFICATION_NOT_READY",
        "该申报尚未进入资格审查决定环节（申报截止后自动核查完成方可决定）",
        f"The application is not awaiting a qualification decision (stage {stage})",
    )


def already_decided() -> DomainError:
    return conflict(
        "QUALIFICATION_ALREADY_DECIDED",
        "该申报的资格审查已作出决定，不能重复决定",
        "The qualification of this application has already been decided",
    )
