"""Texts of the notices the office issues, in Chinese as the office would write them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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


def qualification_reminder(
    *, application_id: str, enterprise_name: str, due: datetime, issued_at: datetime
) -> NoticeText:
    """To the office: a qualification decision falls due soon (资格审查到期提醒)."""
    return _signed(
        "资格审查到期提醒",
        f"申报（编号{application_id}，{enterprise_name}）的资格审查决定将于{format_cst(due)}到期，"
        "请及时完成基本条件及申报材料真实性的审查。",
        issued_at,
    )


def qualification_overdue(
    *, application_id: str, enterprise_name: str, due: datetime, issued_at: datetime
) -> NoticeText:
    """To the office: a qualification decision is overdue (资格审查逾期)."""
    return _signed(
        "资格审查逾期告知",
        f"申报（编号{application_id}，{enterprise_name}）的资格审查决定已于{format_cst(due)}逾期，"
        "申报单位仍在等待审查结果，请尽快作出决定。",
        issued_at,
    )


def _sign(issued_at: datetime) -> str:
    return f"\n\n{OFFICE_NAME}\n{format_cst_date(issued_at)}"


def _signed(title: str, body: str, issued_at: datetime) -> NoticeText:
    """A notice of the office: its body signed by the office and dated."""
    return NoticeText(title, body + _sign(issued_at))


def review_assignment(
    *,
    expert_name: str,
    year: int,
    award: Award,
    purpose_zh: str,
    application_id: str,
    due: datetime,
    leader: bool,
    issued_at: datetime,
    visit: str = "",
) -> NoticeText:
    role = "组长" if leader else "组员"
    return _signed(
        f"{year}年度鹿城区政府质量奖{purpose_zh}任务通知",
        f"{expert_name}专家：\n经随机抽取，您被选为{year}年度{award.name_zh}申报（编号{application_id}）{purpose_zh}评审组{role}。"
        + (f"现场评审日期：{visit}。" if visit else "")
        + f"请登录评审系统查阅申报材料，独立评分，并于{format_cst(due)}前提交。"
        "请遵守《鹿城区政府质量奖评审管理办法》第二十条：如与申报单位存在利害关系，请立即申报回避；"
        "不得泄露申报单位的商业和技术秘密及评审信息。",
        issued_at,
    )


def review_reminder(
    *, expert_name: str, application_id: str, purpose_zh: str, due: datetime, issued_at: datetime
) -> NoticeText:
    return _signed(
        f"{purpose_zh}评分提醒",
        f"{expert_name}专家：\n申报（编号{application_id}）的{purpose_zh}评分将于{format_cst(due)}截止，"
        f"系统显示您尚未提交，请按时完成。",
        issued_at,
    )


def review_overdue(
    *, application_id: str, purpose_zh: str, experts: Sequence[str], due: datetime, issued_at: datetime
) -> NoticeText:
    return _signed(
        f"{purpose_zh}逾期未评告知",
        f"申报（编号{application_id}）的{purpose_zh}评分已于{format_cst(due)}截止，"
        f"以下专家尚未提交：{'、'.join(experts)}。请督促或更换专家。",
        issued_at,
    )


def document_review_feedback(
    *, enterprise_name: str, year: int, award: Award, total: str, opinion: str, note: str, issued_at: datetime
) -> NoticeText:
    """R14.4: an application not listed for on-site review learns why, with the panel's opinion."""
    return _signed(
        f"{year}年度{award.name_zh}资料评审情况反馈",
        f"{enterprise_name}：\n贵单位申报的{year}年度{award.name_zh}，经资料评审，未列入现场评审名单。"
        f"现将资料评审情况反馈如下：\n一、资料评审得分：{total}分（满分1000分）。\n二、评审组意见：{opinion}"
        + (f"\n三、区评审办说明：{note}" if note else "")
        + "\n感谢贵单位对鹿城区政府质量奖评审工作的支持。",
        issued_at,
    )


def onsite_notice(
    *, enterprise_name: str, year: int, award: Award, visit: str, issued_at: datetime
) -> NoticeText:
    return _signed(
        f"{year}年度{award.name_zh}现场评审通知",
        f"{enterprise_name}：\n贵单位申报的{year}年度{award.name_zh}已列入现场评审名单，"
        f"评审组将于{visit}到贵单位进行现场评审，请做好准备。",
        issued_at,
    )


def onsite_report(
    *,
    enterprise_name: str,
    year: int,
    award: Award,
    total: str,
    report: str,
    due: datetime,
    issued_at: datetime,
) -> NoticeText:
    return _signed(
        f"{year}年度{award.name_zh}现场评审报告确认",
        f"{enterprise_name}：\n现场评审组已形成现场评审报告（得分{total}分）：\n{report}\n"
        f"请于{format_cst(due)}前登录评审系统确认；如有异议，请在确认时说明理由。逾期未确认的，视为无异议。",
        issued_at,
    )


def onsite_confirmation_reminder(*, enterprise_name: str, due: datetime, issued_at: datetime) -> NoticeText:
    return _signed(
        "现场评审报告确认提醒",
        f"{enterprise_name}：\n现场评审报告确认将于{format_cst(due)}截止，请及时确认或提出异议；"
        "逾期未确认的，视为无异议。",
        issued_at,
    )


def onsite_dispute(
    *, enterprise_name: str, application_id: str, reason: str, issued_at: datetime
) -> NoticeText:
    return _signed(
        "现场评审报告异议",
        f"{enterprise_name}（申报编号{application_id}）对现场评审报告提出异议：{reason}。请区评审办处理。",
        issued_at,
    )


def committee_roster(
    year: int, members: Sequence[tuple[str, str]], document_no: str, issued_at: datetime
) -> NoticeText:
    """R6.1: the approved roster is published. `members` are (position in Chinese, name)."""
    lines = "\n".join(f"{pos}：{name}" for pos, name in members)
    body = f"经区政府批准（{document_no}），{year}年度鹿城区政府质量奖评审委员会组成如下：\n{lines}" + _sign(
        issued_at
    )
    return NoticeText(f"{year}年度鹿城区政府质量奖评审委员会名单", body)


def preliminary_notice(
    year: int,
    winners: Sequence[Any],
    closes_at: datetime,
    issued_at: datetime,
    *,
    runoffs: Sequence[str] = (),
    vacated: Mapping[str, int] | None = None,
) -> NoticeText:
    """R14.7: the preliminary list with the 7-day window (the last day ends at 24:00). A list
    completed by run-off ballots (决选投票, R14.6) says so, names who they selected and the seats the
    committee left vacant."""
    lines = []
    for award in (Award.QUALITY, Award.INNOVATION):
        names = [
            w.enterprise_name + ("（经决选投票确定）" if getattr(w, "runoff", "") else "")
            for w in winners
            if w.award is award
        ]
        lines.append(f"{award.name_zh}：" + ("、".join(names) if names else "空缺"))
        left = (vacated or {}).get(str(award), 0)
        if left:
            lines.append(f"（{award.name_zh}因得票并列待决的{left}个名额空缺，宁缺毋滥）")
    last = format_cst_date(closes_at - timedelta(microseconds=1))
    how = "全体会议无记名投票" + ("及对并列申报的决选投票" if runoffs else "")
    return _signed(
        f"{year}年度鹿城区政府质量奖初选公示",
        f"经鹿城区政府质量奖评审委员会{how}，{year}年度鹿城区政府质量奖初步入选名单公示如下：\n"
        + "\n".join(lines)
        + f"\n公示期自{format_cst(issued_at)}起至{last}24时止。公示期间，任何单位和个人对名单有异议的，"
        "可通过评审系统实名反映，并提供事实依据；匿名反映予以登记。",
        issued_at,
    )


def supplementary_notice(
    year: int,
    candidates: Sequence[Any],
    closes_at: datetime,
    issued_at: datetime,
    *,
    seq: int = 1,
) -> NoticeText:
    """R14.7, R14.8: after the district government returned the proposed list, candidates of the
    plenary who were not on the published preliminary list are noticed for 7 days of their own
    before the committee may list them (补充公示)."""
    lines = []
    for award in (Award.QUALITY, Award.INNOVATION):
        names = [w.enterprise_name for w in candidates if w.award is award]
        if names:
            lines.append(f"{award.name_zh}：" + "、".join(names))
    last = format_cst_date(closes_at - timedelta(microseconds=1))
    nth = f"（第{_numeral(seq - 1)}次）" if seq > 1 else ""
    return _signed(
        f"{year}年度鹿城区政府质量奖补充公示{nth}",
        f"{year}年度鹿城区政府质量奖拟授奖名单经区政府退回重新审定。经鹿城区政府质量奖评审委员会审议，"
        "以下单位经评委会全体会议无记名投票获半数以上同意、最终得分达到入选分数，但未列入已公示的初选名单，"
        f"拟补充列入拟授奖名单，现予补充公示{nth}：\n"
        + "\n".join(lines)
        + f"\n公示期自{format_cst(issued_at)}起至{last}24时止。公示期间，任何单位和个人对上述补充公示的单位有异议的，"
        "可通过评审系统实名反映，并提供事实依据；匿名反映予以登记。对初选公示名单中其他单位的异议，已于初选公示期间受理，"
        "本次不再受理。",
        issued_at,
    )


def award_announcement(
    year: int, winners: Sequence[Any], document_no: str, issued_at: datetime
) -> NoticeText:
    """R14.8, R15.1: the result as approved by the district government."""
    lines = []
    for award in (Award.QUALITY, Award.INNOVATION):
        names = [w.enterprise_name for w in winners if w.award is award]
        lines.append(f"{award.name_zh}：" + ("、".join(names) if names else "空缺"))
    body = (
        f"经区政府批准（{document_no}），授予以下单位{year}年度鹿城区政府质量奖：\n"
        + "\n".join(lines)
        + "\n获奖单位可在企业形象宣传中使用该称号并注明获奖年份，但不得用于产品宣传。\n\n鹿城区人民政府\n"
        + format_cst_date(issued_at)
    )
    return NoticeText(f"关于授予{year}年度鹿城区政府质量奖的决定", body)


def award_result(
    *,
    enterprise_name: str,
    year: int,
    award: Award,
    awarded: bool,
    reason: str,
    number: str,
    issued_at: datetime,
) -> NoticeText:
    if awarded:
        body = (
            f"{enterprise_name}：\n经区政府批准，贵单位荣获{year}年度{award.name_zh}，证书编号{number}。"
            "请按通知领取证书和奖牌。" + _sign(issued_at)
        )
    else:
        body = (
            f"{enterprise_name}：\n贵单位申报的{year}年度{award.name_zh}未获授奖。情况说明：{reason}。"
            + _sign(issued_at)
        )
    return NoticeText(f"{year}年度{award.name_zh}评审结果告知", body)


# --- after the award (Art. 17-19) -------------------------------------------------------------------
def _title(year: int, award: Award) -> str:
    return f"{year}年度{award.name_zh}"


def revocation_proposed(
    *, enterprise_name: str, year: int, award: Award, number: str, reason: str, issued_at: datetime
) -> NoticeText:
    return _signed(
        f"关于提请撤销{_title(year, award)}的告知",
        f"{enterprise_name}：\n经查，贵单位在申报{_title(year, award)}（证书编号{number}）过程中涉嫌采用不正当手段骗取奖项："
        f"{reason}。根据《鹿城区政府质量奖评审管理办法》第十七条，区评委会已提请区政府批准撤销贵单位的获奖称号。"
        "贵单位如有异议，可向区评审办书面陈述意见并提交证明材料。",
        issued_at,
    )


def revocation_decision(
    *,
    enterprise_name: str,
    year: int,
    award: Award,
    number: str,
    approved: bool,
    document_no: str,
    reason: str,
    ban_until: datetime | None,
    issued_at: datetime,
) -> NoticeText:
    if approved:
        assert ban_until is not None
        body = (
            f"{enterprise_name}：\n经区政府批准（{document_no}），撤销贵单位{_title(year, award)}称号（证书编号{number}）。"
            f"撤销理由：{reason}。请于接到本通知后将证书、奖杯交回区评审办，并立即停止使用该称号。"
            f"根据办法第十七条，贵单位自撤销之日起5年内（至{format_cst_date(ban_until - timedelta(seconds=1))}）"
            "不得再次申报鹿城区政府质量奖。" + _sign(issued_at)
        )
        return NoticeText(f"撤销{_title(year, award)}称号决定告知", body)
    return _signed(
        f"关于不予撤销{_title(year, award)}称号的告知",
        f"{enterprise_name}：\n区政府对撤销贵单位{_title(year, award)}称号（证书编号{number}）的提请不予批准。"
        f"理由：{reason}。贵单位的获奖称号继续有效。",
        issued_at,
    )


def revocation_announcement(
    *,
    enterprise_name: str,
    year: int,
    award: Award,
    number: str,
    reason: str,
    document_no: str,
    issued_at: datetime,
) -> NoticeText:
    return _signed(
        f"关于撤销{enterprise_name}{_title(year, award)}称号的公告",
        f"经查实，{enterprise_name}在申报{_title(year, award)}过程中采用不正当手段骗取奖项（{reason}）。"
        f"根据《鹿城区政府质量奖评审管理办法》第十七条，经区政府批准（{document_no}），撤销其{_title(year, award)}称号，"
        f"收回奖杯、证书（证书编号{number}，自即日起作废），5年内不得再次申报鹿城区政府质量奖。特此公告。",
        issued_at,
    )


def media_exposure_reminder(
    *, enterprise_name: str, year: int, award: Award, number: str, due: datetime, issued_at: datetime
) -> NoticeText:
    return _signed(
        f"撤销决定媒体曝光到期提醒（{number}）",
        f"区政府已批准撤销{enterprise_name}{_title(year, award)}称号（证书编号{number}）。"
        "根据《鹿城区政府质量奖评审管理办法》第十七条，撤销决定应在区级主要新闻媒体上予以曝光。"
        f"请于{format_cst(due)}（北京时间）前安排刊发，并登记刊发媒体、时间和版面（网址）。",
        issued_at,
    )


def media_exposure_overdue(
    *, enterprise_name: str, year: int, award: Award, number: str, due: datetime, issued_at: datetime
) -> NoticeText:
    return _signed(
        f"撤销决定媒体曝光逾期（{number}）",
        f"撤销{enterprise_name}{_title(year, award)}称号（证书编号{number}）的决定，"
        f"应于{format_cst(due)}（北京时间）前在区级主要新闻媒体上予以曝光（办法第十七条），"
        "至今未登记刊发情况。请区评审办督办，刊发后及时登记。",
        issued_at,
    )


def misuse_correction_order(
    *,
    enterprise_name: str,
    year: int,
    award: Award,
    case_id: str,
    misuse: str,
    facts: str,
    due: datetime,
    issued_at: datetime,
) -> NoticeText:
    return _signed(
        f"责令限期改正通知书（{case_id}）",
        f"{enterprise_name}：\n经核查，贵单位存在{misuse}的情形：{facts}。"
        f"根据《鹿城区政府质量奖评审管理办法》第十九条，获奖企业（组织）可在企业（组织）形象宣传中使用"
        f"“{_title(year, award)}”称号并注明获奖年份，但不得用于产品宣传。现责令贵单位于{format_cst(due)}（北京时间）前改正，"
        f"并将整改情况报送区评审办（案件编号{case_id}）。",
        issued_at,
    )


def misuse_deadline(
    *, enterprise_name: str, case_id: str, due: datetime, passed: bool, issued_at: datetime
) -> NoticeText:
    """The correction term of a misuse case: to the enterprise before it ends (a reminder); to the
    office once it has passed without an accepted correction."""
    term = f"违规使用获奖称号一案（{case_id}）的整改期限{'已' if passed else '将'}于{format_cst(due)}（北京时间）届满，"
    if passed:
        return _signed(
            f"逾期未改正（{case_id}）",
            f"{enterprise_name}{term}企业未改正或整改未经核实通过，请区评审办督办。",
            issued_at,
        )
    return _signed(
        f"整改期限提醒（{case_id}）",
        f"{enterprise_name}：\n贵单位{term}请按时改正并报送整改情况。",
        issued_at,
    )


def misuse_verified(
    *, enterprise_name: str, case_id: str, accepted: bool, note: str, due: datetime, issued_at: datetime
) -> NoticeText:
    if accepted:
        body = f"{enterprise_name}：\n经核实，贵单位已按要求改正（{case_id}），本案结案。{note}" + _sign(
            issued_at
        )
        return NoticeText(f"整改核实结果：已改正（{case_id}）", body)
    return _signed(
        f"整改核实结果：未通过（{case_id}）",
        f"{enterprise_name}：\n经核实，贵单位报送的整改情况未达到要求（{case_id}）：{note}。"
        f"请于{format_cst(due)}（北京时间）前继续改正并重新报送；逾期的，区评审办将督办。",
        issued_at,
    )


def follow_up_request(
    *, enterprise_name: str, year: int, award: Award, round_no: int, due: datetime, issued_at: datetime
) -> NoticeText:
    return _signed(
        f"{_title(year, award)}获奖企业跟踪回访通知（第{round_no}次）",
        f"{enterprise_name}：\n根据《鹿城区政府质量奖评审管理办法》第十八条，获奖企业（组织）应持续实施卓越绩效质量管理模式。"
        f"现开展{_title(year, award)}获奖企业第{round_no}次跟踪回访，请于{format_cst(due)}（北京时间）前报送"
        "持续实施卓越绩效模式、采用质量管理新理论新方法及创新成效的情况，以及可供宣传推广的质量管理经验。",
        issued_at,
    )


def follow_up_overdue(
    *, enterprise_name: str, number: str, round_no: int, due: datetime, issued_at: datetime
) -> NoticeText:
    return _signed(
        f"跟踪回访材料逾期（{number}，第{round_no}次）",
        f"{enterprise_name}（证书编号{number}）第{round_no}次跟踪回访材料已于{format_cst(due)}（北京时间）逾期未报送，"
        "请区评审办联系督促。",
        issued_at,
    )


def experience(
    *, enterprise_name: str, year: int, award: Award, title: str, text: str, issued_at: datetime
) -> NoticeText:
    return _signed(
        f"质量管理先进经验推广：{title}",
        f"{enterprise_name}（{_title(year, award)}获奖企业）质量管理先进经验：\n{text}\n"
        "欢迎各企业（组织）学习借鉴，发挥质量管理标杆企业的示范作用。",
        issued_at,
    )
