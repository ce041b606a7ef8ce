"""The feedback report (评审反馈报告) of an application that reached document review (R14.4, R14.5).

Every applicant whose path ended after document review — not listed for on-site review, not
awarded, or awarded — learns, item by item of the criteria, how the panel placed it and why: the
scoring band (评分档) of the panel's consolidated percentage, the strengths (优势) and the
opportunities for improvement (改进机会) the leader wrote for the panel, and for an application
reviewed on site the on-site findings. This is what makes applying worthwhile for the many who do
not win, and what the office draws on to 宣传推广 good practice (Art. 8(4)).

Pure composition: the report is built from the panels' consolidated records only. Its inputs carry
no expert's identity and no individual score — so no expert is named in it and no individual score
can appear (Art. 20(5): 评审专家不得泄露评审信息) — and it shows bands, never exact percentages. The
content is structured data (`FeedbackReport.content()`) plus the letter's text (`text`), so that a
renderer (PDF, e-mail) can lay it out as it likes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from domain.calendar import format_cst_date
from domain.notices import OFFICE_NAME, NoticeText
from domain.notices import _numeral as numeral
from domain.review import ItemComment
from domain.rubric import Rubric, band_of
from domain.types import Award, Outcome

# The outcomes that end a path after document review, each with the report it receives.
FEEDBACK_OUTCOMES = (Outcome.NOT_SHORTLISTED, Outcome.NOT_AWARDED, Outcome.AWARDED)

CONFIRMATION_ZH = {
    "CONFIRMED": "贵单位已确认现场评审报告",
    "DEEMED_CONFIRMED": "贵单位逾期未确认，视为对现场评审报告无异议",
    "DISPUTED": "贵单位对现场评审报告提出异议",
    "SETTLED": "贵单位对现场评审报告提出异议，已由区评审办处理",
}
NOT_WRITTEN = "（评审组未另作说明）"


@dataclass(frozen=True)
class PanelFindings:
    """What one panel consolidated (组长负责制): the panel's percentage per item — shown as its band
    only — the strengths and opportunities per item, and the opinion (on site: the report). On-site
    findings also carry the visit date and how the enterprise answered the report."""

    scores: Mapping[str, int]
    comments: Mapping[str, ItemComment]
    opinion: str
    visit_date: date | None = None
    confirmation: str = ""  # CONFIRMED / DEEMED_CONFIRMED / DISPUTED / SETTLED
    settlement: str = ""


@dataclass(frozen=True)
class ItemAssessment:
    """One panel's word on one item: the band its consolidated score falls in, and its comments."""

    band_low: int
    band_high: int
    band_summary_zh: str
    strengths: str
    opportunities: str

    @property
    def band(self) -> str:
        return f"{self.band_low}%–{self.band_high}%"

    def as_dict(self) -> dict[str, Any]:
        return {
            "band": self.band,
            "band_low": self.band_low,
            "band_high": self.band_high,
            "band_summary_zh": self.band_summary_zh,
            "strengths": self.strengths,
            "opportunities": self.opportunities,
        }


@dataclass(frozen=True)
class ItemFeedback:
    code: str
    name_zh: str
    category: str
    category_name_zh: str
    kind: str  # PROCESS / RESULT
    max_points: int
    document: ItemAssessment
    onsite: ItemAssessment | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "category": self.category,
            "category_name_zh": self.category_name_zh,
            "kind": self.kind,
            "max_points": self.max_points,
            "document": self.document.as_dict(),
            "onsite": self.onsite.as_dict() if self.onsite else None,
        }


@dataclass(frozen=True)
class FeedbackReport:
    application_id: str
    year: int
    award: Award
    enterprise_name: str
    outcome: Outcome
    edition: str
    issued_at: datetime
    document_opinion: str
    items: tuple[ItemFeedback, ...]
    onsite: PanelFindings | None
    title: str
    text: str

    def content(self) -> dict[str, Any]:
        """The report as JSON-able data (what `text` says, item by item)."""
        onsite = self.onsite
        return {
            "application_id": self.application_id,
            "year": self.year,
            "award": self.award.value,
            "award_zh": self.award.name_zh,
            "enterprise_name": self.enterprise_name,
            "outcome": self.outcome.value,
            "outcome_zh": outcome_zh(self.outcome, self.year, self.award),
            "criteria_edition": self.edition,
            "issued_at": self.issued_at.isoformat(),
            "issued_on_zh": format_cst_date(self.issued_at),
            "issuer": OFFICE_NAME,
            "document_opinion": self.document_opinion,
            "items": [i.as_dict() for i in self.items],
            "onsite": None
            if onsite is None
            else {
                "visit_date": onsite.visit_date.isoformat() if onsite.visit_date else None,
                "report": onsite.opinion,
                "confirmation": onsite.confirmation,
                "confirmation_zh": CONFIRMATION_ZH.get(onsite.confirmation, ""),
                "settlement": onsite.settlement,
            },
        }


def outcome_zh(outcome: Outcome, year: int, award: Award) -> str:
    return {
        Outcome.NOT_SHORTLISTED: "经资料评审，未列入现场评审名单",
        Outcome.NOT_AWARDED: "经资料评审、现场评审和评审委员会审查表决，未获授奖",
        Outcome.AWARDED: f"经资料评审、现场评审、评审委员会审查表决和区政府审定批准，荣获{year}年度{award.name_zh}",
    }[outcome]


def _assess(rubric: Rubric, code: str, findings: PanelFindings) -> ItemAssessment:
    band = band_of(rubric, code, findings.scores[code])
    comment = findings.comments.get(code) or ItemComment()
    return ItemAssessment(
        band.low, band.high, band.summary_zh, comment.strengths.strip(), comment.opportunities.strip()
    )


def compose_feedback(
    rubric: Rubric,
    *,
    application_id: str,
    year: int,
    award: Award,
    enterprise_name: str,
    outcome: Outcome,
    document: PanelFindings,
    onsite: PanelFindings | None,
    issued_at: datetime,
) -> FeedbackReport:
    """The report of an application whose path ended with `outcome` (one of FEEDBACK_OUTCOMES)."""
    if outcome not in FEEDBACK_OUTCOMES:
        raise ValueError(f"no feedback report ends a path with {outcome}")
    items = tuple(
        ItemFeedback(
            item.code,
            item.name_zh,
            item.category,
            rubric.category(item.category).name_zh,
            item.kind.value,
            item.max_points,
            _assess(rubric, item.code, document),
            _assess(rubric, item.code, onsite) if onsite is not None and item.code in onsite.scores else None,
        )
        for item in rubric.items
    )
    title = f"{year}年度{award.name_zh}评审反馈报告"
    report = FeedbackReport(
        application_id,
        year,
        award,
        enterprise_name,
        outcome,
        rubric.edition,
        issued_at,
        document.opinion.strip(),
        items,
        onsite,
        title,
        "",
    )
    return replace(report, text=_letter(rubric, report))


def _letter(rubric: Rubric, r: FeedbackReport) -> str:
    """The report as the office issues it: 致…, 感谢参评, the result, the panels' overall opinions,
    item by item, the on-site findings, the office and the date."""
    onsite = r.onsite
    reviews = "资料评审和现场评审" if onsite is not None else "资料评审"
    lines = [
        r.title,
        "",
        f"致{r.enterprise_name}：",
        f"感谢贵单位积极参加{r.year}年度鹿城区政府质量奖评审。为帮助贵单位对照{rubric.title}（{r.edition}）"
        f"持续改进，现将{reviews}中评审组对各评分项的评价反馈如下：各评分项列明评审组合议确定的得分率区间"
        "（评分档）及主要优势和改进机会。本报告为评审组的集体意见，不含评审专家个人信息及个人评分。",
        "",
        "一、评审结果",
        f"贵单位申报的{r.year}年度{r.award.name_zh}（申报编号{r.application_id}），"
        f"{outcome_zh(r.outcome, r.year, r.award)}。",
        "",
        "二、评审组总体意见",
        f"资料评审：{r.document_opinion or NOT_WRITTEN}",
    ]
    if onsite is not None:
        lines.append(f"现场评审：{onsite.opinion.strip() or NOT_WRITTEN}")
    lines += ["", "三、各评分项评价"]
    categories = [c.code for c in rubric.categories]
    category = ""
    for item in r.items:
        if item.category != category:
            category = item.category
            lines.append(f"（{numeral(categories.index(category))}）{category} {item.category_name_zh}")
        kind = "过程" if item.kind == "PROCESS" else "结果"
        lines.append(f"{item.code} {item.name_zh}（{item.max_points}分，{kind}评分项）")
        lines.append(f"  资料评审得分率区间：{item.document.band}（{item.document.band_summary_zh}）")
        if item.onsite is not None:
            lines.append(f"  现场评审得分率区间：{item.onsite.band}（{item.onsite.band_summary_zh}）")
        lines.append(f"  优势：{item.document.strengths or NOT_WRITTEN}")
        lines.append(f"  改进机会：{item.document.opportunities or NOT_WRITTEN}")
        if item.onsite is not None and (item.onsite.strengths or item.onsite.opportunities):
            lines.append(f"  现场评审发现的优势：{item.onsite.strengths or NOT_WRITTEN}")
            lines.append(f"  现场评审发现的改进机会：{item.onsite.opportunities or NOT_WRITTEN}")
    if onsite is not None:
        lines += ["", "四、现场评审情况"]
        if onsite.visit_date is not None:
            lines.append(f"现场评审日期：{format_cst_date(onsite.visit_date)}。")
        lines.append(f"现场评审报告：{onsite.opinion.strip() or NOT_WRITTEN}")
        answer = CONFIRMATION_ZH.get(onsite.confirmation, "")
        settlement = onsite.settlement.strip()
        if answer:
            lines.append(f"{answer}{'，处理意见：' + settlement if settlement else ''}。")
    lines += [
        "",
        f"{'五' if onsite is not None else '四'}、说明",
        "得分率区间依据GB/Z 19579《卓越绩效评价准则实施指南》的评分指南划分：过程评分项从方法、展开、"
        "学习、整合四个方面评价，结果评分项从水平、趋势、对比、整合四个方面评价。希望贵单位以本报告为参考，"
        "巩固优势，针对改进机会持续推进卓越绩效管理，欢迎继续参与鹿城区政府质量奖评审。",
        "",
        OFFICE_NAME,
        format_cst_date(r.issued_at),
    ]
    return "\n".join(lines)


def feedback_notice(r: FeedbackReport) -> NoticeText:
    """The letter to the enterprise's inbox that comes with the report (the report is the document)."""
    onsite = "及现场评审情况" if r.onsite is not None else ""
    body = (
        f"{r.enterprise_name}：\n"
        f"感谢贵单位积极参加{r.year}年度鹿城区政府质量奖评审。贵单位申报的{r.year}年度{r.award.name_zh}"
        f"（申报编号{r.application_id}），{outcome_zh(r.outcome, r.year, r.award)}。"
        f"现将《{r.title}》印发给你们。报告逐项列明评审组对各评分项评价的得分率区间、优势和改进机会{onsite}，"
        f"请登录评审系统查阅、下载（申报编号{r.application_id}）。希望贵单位以此为参考，持续推进卓越绩效管理。"
        f"\n\n{OFFICE_NAME}\n{format_cst_date(r.issued_at)}"
    )
    return NoticeText(r.title, body)
