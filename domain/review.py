"""Document and on-site review rules (Art. 9, 14(2)(3), 20): who may score, what a leader must
explain, which items need their strengths and opportunities written, how the on-site list relates
to the threshold."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.errors import conflict, invalid, refuse_any
from domain.rubric import Rubric, validate_scores, wide_spread_items


class ReviewPurpose(StrEnum):
    DOCUMENT = "DOCUMENT"  # 资料评审
    ONSITE = "ONSITE"  # 现场评审

    @property
    def name_zh(self) -> str:
        return "资料评审" if self is ReviewPurpose.DOCUMENT else "现场评审"


@dataclass(frozen=True)
class ItemComment:
    """What a reviewer writes on one rubric item (R14.2, R14.4): its strengths (优势) and its
    opportunities for improvement (改进机会) — the substance of the applicant's feedback report."""

    strengths: str = ""
    opportunities: str = ""

    @property
    def complete(self) -> bool:
        return bool(self.strengths.strip() and self.opportunities.strip())


def comments_json(comments: Mapping[str, ItemComment]) -> dict[str, dict[str, str]]:
    """Per-item comments as stored (JSON)."""
    return {
        code: {"strengths": c.strengths, "opportunities": c.opportunities}
        for code, c in sorted(comments.items())
    }


def comments_from_json(stored: Mapping[str, Any] | None) -> dict[str, ItemComment]:
    return {
        code: ItemComment(str(c.get("strengths", "")), str(c.get("opportunities", "")))
        for code, c in (stored or {}).items()
        if isinstance(c, Mapping)
    }


def items_needing_comments(rubric: Rubric, scores: Mapping[str, int], below: int) -> list[str]:
    """The items (in rubric order) scored below `below` percent: the band the cycle's rules name
    (`CycleRules.item_comments_below`) under which a score must say what is strong and what to improve."""
    return [code for code in rubric.item_codes if code in scores and scores[code] < below]


def check_item_comments(
    rubric: Rubric, *, scores: Mapping[str, int], comments: Mapping[str, ItemComment], below: int
) -> None:
    """Comments name items of the rubric; every item scored below `below` percent has both its
    strengths and its opportunities written (422 ITEM_COMMENTS_REQUIRED with the item codes).
    Comments on other items are welcome and optional."""
    for code in comments:
        rubric.item(code)  # SCORE_UNKNOWN_ITEM
    missing = [
        code
        for code in items_needing_comments(rubric, scores, below)
        if code not in comments or not comments[code].complete
    ]
    if missing:
        labels = [rubric.item(code) for code in missing]
        raise invalid(
            "ITEM_COMMENTS_REQUIRED",
            f"得分率低于{below}%的评分项须逐项写明优势和改进机会：{'、'.join(i.label_zh for i in labels)}",
            f"Items scored below {below} % need their strengths and opportunities for improvement: "
            f"{'; '.join(i.label_en for i in labels)}",
            items=missing,
            below=below,
        )


def check_member(expert_id: int, active_members: Collection[int], *, purpose: ReviewPurpose) -> None:
    if expert_id not in active_members:
        raise conflict(
            "NOT_ON_PANEL",
            f"您不是该申报{purpose.name_zh}评审组的成员",
            f"You are not a member of this application's {purpose.value.lower()} review panel",
        )


def check_expert_score(
    rubric: Rubric,
    *,
    expert_id: int,
    active_members: Collection[int],
    already_scored: Collection[int],
    scores: Mapping[str, int],
    purpose: ReviewPurpose = ReviewPurpose.DOCUMENT,
) -> None:
    """An expert scores every item once, independently (R14.2)."""
    check_member(expert_id, active_members, purpose=purpose)
    if expert_id in already_scored:
        raise conflict(
            "SCORE_ALREADY_SUBMITTED", "您已提交评分，不能重复提交", "You have already submitted your scores"
        )
    validate_scores(rubric, scores, complete=True)


def check_panel_opinion(
    rubric: Rubric,
    *,
    expert_id: int,
    leader: int | None,
    active_members: Collection[int],
    member_scores: Mapping[int, Mapping[str, int]],
    scores: Mapping[str, int],
    opinion: str,
    rationales: Mapping[str, str],
    tolerance: int,
) -> list[str]:
    """The leader's consolidated opinion (组长负责制). Returns the wide-spread items it explains."""
    if expert_id != leader:
        raise conflict(
            "NOT_PANEL_LEADER",
            "只有评审组组长可以提交评审组意见",
            "Only the panel leader submits the panel opinion",
        )
    missing = sorted(set(active_members) - set(member_scores))
    if missing:
        raise conflict(
            "SCORES_OUTSTANDING",
            f"尚有{len(missing)}位组员未提交评分，不能形成评审组意见",
            f"{len(missing)} member(s) have not scored yet; the panel opinion must wait",
            experts=missing,
        )
    validate_scores(rubric, scores, complete=True)
    if not opinion.strip():
        raise invalid("OPINION_REQUIRED", "请填写评审组意见", "The panel opinion text is required")
    wide = wide_spread_items([member_scores[e] for e in sorted(active_members)], tolerance)
    unexplained = [item for item in wide if not rationales.get(item, "").strip()]
    if unexplained:
        raise invalid(
            "SPREAD_RATIONALE_REQUIRED",
            f"以下评分项组员评分差异超过{tolerance}个百分点，须说明合议理由：{'、'.join(unexplained)}",
            f"Members' scores differ by more than {tolerance} points on {', '.join(unexplained)}; explain the consolidated score",
            items=unexplained,
        )
    return wide


def check_onsite_list(
    document_scores: Mapping[str, Decimal], listed: Sequence[str], *, threshold: int, note: str
) -> None:
    """The office fixes the on-site list from the document review opinions (R14.3); leaving out an
    application at or above the threshold, or listing one below it, needs a recorded reason."""
    unknown = sorted(set(listed) - set(document_scores))
    refuse_any(
        unknown,
        invalid,
        "ONSITE_UNKNOWN_APPLICATION",
        "以下申报未完成资料评审，不能列入现场评审名单：",
        "These applications have not finished document review: ",
    )
    if len(set(listed)) != len(listed):
        raise invalid("ONSITE_DUPLICATE", "名单中有重复的申报", "The list names an application twice")
    deviations = [a for a, s in document_scores.items() if (s >= threshold) != (a in listed)]
    if deviations and not note.strip():
        raise invalid(
            "ONSITE_REASON_REQUIRED",
            f"名单与参考分数线{threshold}分不一致（{'、'.join(sorted(deviations))}），须说明理由",
            f"The list departs from the {threshold}-point threshold for {', '.join(sorted(deviations))}; give the reason",
            applications=sorted(deviations),
        )


def check_onsite_report(
    rubric: Rubric, *, expert_id: int, leader: int | None, scores: Mapping[str, int], report: str
) -> None:
    """The on-site report (现场评审报告) is submitted by the panel leader with item scores (R14.5)."""
    if expert_id != leader:
        raise conflict(
            "NOT_PANEL_LEADER",
            "只有评审组组长可以提交现场评审报告",
            "Only the panel leader submits the on-site report",
        )
    validate_scores(rubric, scores, complete=True)
    if not report.strip():
        raise invalid("REPORT_REQUIRED", "请填写现场评审报告", "The on-site report text is required")
