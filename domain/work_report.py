"""The office's evaluation work report (评审工作报告) to the committee's plenary (Art. 7(3), 14(4))."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from domain.calendar import format_cst_date
from domain.robustness import AwardRobustness, robustness_content, robustness_lines
from domain.types import Award

CONFIRMATION_ZH = {
    "CONFIRMED": "企业已确认",
    "DEEMED_CONFIRMED": "企业逾期未确认，视为无异议",
    "SETTLED": "企业提出异议，已由区评审办处理",
    "DISPUTED": "企业提出异议，尚待处理",
    "": "未确认",
}


@dataclass(frozen=True)
class ReportRow:
    application_id: str
    enterprise_name: str
    award: Award
    document_total: str
    document_opinion: str
    onsite_total: str
    onsite_opinion: str
    confirmation: str
    onsite_categories: dict[str, str] = field(default_factory=dict)
    settlement: str = ""
    # the award's category minimums (Art. 2) its final scores fall short of: "4.7 结果 280.00 < 300"
    criteria_unmet: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AwardCriteriaShown:
    """An award's criteria as the report states them (from the approved rules)."""

    award: Award
    min_total: int
    min_category_points: dict[str, int] = field(default_factory=dict)
    category_names: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        cats = "；".join(
            f"“{code} {self.category_names.get(code, '')}”不低于{points}分"
            for code, points in sorted(self.min_category_points.items())
        )
        return (
            f"【{self.award.name_zh}】最终得分不低于{self.min_total}分" + (f"；{cats}" if cats else "") + "。"
        )


@dataclass(frozen=True)
class CycleFigures:
    year: int
    applications: int
    qualified: int
    document_reviewed: int
    onsite_listed: int
    experts_seated: int
    replacements: int


def compose_work_report(
    figures: CycleFigures,
    rows: Sequence[ReportRow],
    at: datetime,
    *,
    criteria: Sequence[AwardCriteriaShown] = (),
    robustness: Sequence[AwardRobustness] = (),
) -> tuple[dict[str, Any], str]:
    """The report as data (for the record) and as the text presented to the meeting; with
    `robustness`, the non-binding table of how the ranking depends on the aggregation of scores."""
    content: dict[str, Any] = {"figures": asdict(figures), "candidates": [asdict(r) for r in rows]}
    if criteria:
        content["award_criteria"] = [
            {"award": c.award.value, "min_total": c.min_total, "min_category_points": c.min_category_points}
            for c in criteria
        ]
    if robustness:
        content["robustness"] = robustness_content(robustness)
    lines = [
        f"鹿城区政府质量奖{figures.year}年度评审工作报告",
        "",
        "区评委会：",
        f"{figures.year}年度共受理申报{figures.applications}家，经资格审查{figures.qualified}家符合申报条件；"
        f"资料评审{figures.document_reviewed}家，{figures.onsite_listed}家列入现场评审。"
        f"评审共抽取专家{figures.experts_seated}人次，更换专家{figures.replacements}人次，评审组均由3名以上专家组成并实行组长负责制，"
        "抽取过程及利害关系回避情况均有记录可查。",
        "",
    ]
    if criteria:
        lines += [
            "经评委会审定的本年度实施细则，各奖项的评定条件为（办法第二条）：",
            *(c.line() for c in criteria),
            "",
        ]
    lines += ["现将进入审查表决的申报情况报告如下："]
    for award in (Award.QUALITY, Award.INNOVATION):
        group = [r for r in rows if r.award is award]
        lines.append(f"【{award.name_zh}】{len(group)}家")
        for i, r in enumerate(group, 1):
            cats = "、".join(f"{k} {v}分" for k, v in sorted(r.onsite_categories.items()))
            lines.append(
                f"{i}. {r.enterprise_name}（{r.application_id}）：资料评审{r.document_total}分，现场评审{r.onsite_total}分"
                f"（{CONFIRMATION_ZH.get(r.confirmation, r.confirmation)}）。"
                + (f"分类得分：{cats}。" if cats else "")
                + f"资料评审意见：{r.document_opinion} 现场评审意见：{r.onsite_opinion}"
                + (f" 异议处理：{r.settlement}" if r.settlement else "")
                + (f" 未达到本奖项评定条件：{'；'.join(r.criteria_unmet)}。" if r.criteria_unmet else "")
            )
    if robustness:
        lines += ["", *robustness_lines(robustness)]
    lines += ["", "请区评委会审查。", "", "鹿城区政府质量奖评审委员会办公室", format_cst_date(at)]
    return content, "\n".join(lines)
