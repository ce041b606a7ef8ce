"""Texts of the notices the office issues, in Chinese as the office would write them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import format_cst, format_cst_date
from domain.qualification import FinalCondition
from domain.rules import CycleRules
from domain.types import Award

OFFICE_NAME = "鹿城区政府质量奖评审委员会办公室"


@dataclass(frozen=True)
class NoticeText:
    title: str
    body: str


def call_for_applications(rules: CycleRules, issued_at: datetime) -> NoticeText:
    title = f"关于组织申报{rules.year}年度鹿城区政府质量奖的通知"
    body = (
        f"各有关单位：\n"
        f"根据{rules.rules_revision.split('，')[0]}，现组织开展{rules.year}年度鹿城区政府质量奖评审工作，有关事项通知如下：\n"
        f"一、奖项设置：{Award.QUALITY.name_zh}不超过{rules.quota_quality}家，"
        f"{Award.INNOVATION.name_zh}不超过{rules.quota_innovation}家，坚持“申报自愿、科学公正、好中选优、宁缺毋滥”原则。\n"
        f"二、申报条件：符合办法第十一条规定的各项基本条件；被撤销奖励未满5年的单位不得申报。\n"
        f"三、评审标准：{rules.criteria_edition}《卓越绩效评价准则》及其实施指南。\n"
        f"四、申报材料：自我评价报告、《鹿城区政府质量奖申报表》及相关证明材料。\n"
        f"五、申报截止时间：{format_cst(rules.application_deadline)}（北京时间），逾期不予受理。\n"
        f"\n{OFFICE_NAME}\n{format_cst_date(issued_at)}"
    )
    return NoticeText(title, body)


def deadline_extended(
    year: int, old: datetime, new: datetime, reason: str, issued_at: datetime
) -> NoticeText:
    title = f"关于延长{year}年度鹿城区政府质量奖申报截止时间的通知"
    body = (
        f"各有关单位：\n因{reason}，{year}年度鹿城区政府质量奖申报截止时间由{format_cst(old)}"
        f"延长至{format_cst(new)}（北京时间）。\n\n{OFFICE_NAME}\n{format_cst_date(issued_at)}"
    )
    return NoticeText(title, body)


_DIGITS = "零一二三四五六七八九"


def _numeral(i: int) -> str:
    """Chinese ordinal for item i (0-based) of a letter: 一, 二, …, 十, 十一, …, 九十九."""
    n = i + 1
    tens, ones = divmod(n, 10)
    if n < 10:
        return _DIGITS[n]
    return (_DIGITS[tens] if tens > 1 else "") + "十" + (_DIGITS[ones] if ones else "")


def qualification_feedback(
    *,
    enterprise_name: str,
    year: int,
    award: Award,
    failed: Sequence[FinalCondition],
    material_truthful: bool,
    truthfulness_note: str,
    issued_at: datetime,
) -> NoticeText:
    """R14.4: the written feedback to an organisation that did not pass qualification review."""
    title = f"{year}年度{award.name_zh}资格审查情况反馈"
    lines = []
    for i, c in enumerate(failed):
        why = c.reason or c.finding_zh
        lines.append(f"{_numeral(i)}、{c.title_zh}（{c.clause_zh}）：{why}。")
    if not material_truthful:
        lines.append(
            f"{_numeral(len(lines))}、申报内容真实性审查未通过（《鹿城区政府质量奖评审管理办法》第十四条第（一）项、第十七条）：{truthfulness_note}。"
        )
    body = (
        f"{enterprise_name}：\n"
        f"贵单位申报的{year}年度{award.name_zh}，经区评审办资格审查，未通过资格审查。具体情况反馈如下：\n"
        + "\n".join(lines)
        + "\n感谢贵单位对鹿城区政府质量奖评审工作的支持，欢迎在符合条件后再次申报。"
        f"\n\n{OFFICE_NAME}\n{format_cst_date(issued_at)}"
    )
    return NoticeText(title, body)


def qualification_passed(*, enterprise_name: str, year: int, award: Award, issued_at: datetime) -> NoticeText:
    title = f"{year}年度{award.name_zh}资格审查结果告知"
    body = (
        f"{enterprise_name}：\n贵单位申报的{year}年度{award.name_zh}已通过资格审查，"
        f"将进入资料评审阶段，请保持联系方式畅通。\n\n{OFFICE_NAME}\n{format_cst_date(issued_at)}"
    )
    return NoticeText(title, body)
