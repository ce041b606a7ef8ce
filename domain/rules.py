"""The rules of one cycle (实施细则): frozen when the cycle starts (R21.1, R4.2).

The measures themselves fix some numbers; those are constants here, not rules, because a
cycle may not change them: at most 5 winners per award (Art. 3), 3 years of lawful operation
and a 3-year look-back (Art. 11), a 5-year ban after revocation (Art. 17), a 7-day notice
(Art. 14(5)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.aftercare import AftercareRules, validate_aftercare
from domain.calendar import HolidayCalendar, cst_date
from domain.errors import DomainError, conflict, invalid
from domain.rubric import available_editions, load_rubric
from domain.types import Award

LEGAL_MAX_WINNERS = 5  # Art. 3
MIN_OPERATING_YEARS = 3  # Art. 11(1)
LOOKBACK_YEARS = 3  # Art. 11(5)
REVOCATION_BAN_YEARS = 5  # Art. 17
PUBLIC_NOTICE_DAYS = 7  # Art. 14(5)

RULES_REVISION = (
    "鹿城区政府质量奖评审管理办法（2023年修订），2023年9月1日起施行，原温鹿政发〔2022〕98号同时停止执行"
)
# The editions are data (domain/rubrics/*.json); the oldest, GB/T 19580-2012, is first (the default).
KNOWN_CRITERIA_EDITIONS: tuple[str, ...] = available_editions()
DISTRICT = "鹿城区"
# R14.4: items scored below this percent need their strengths and opportunities written (the default
# of CycleRules.item_comments_below: the bands under 有系统、有效的方法应对总体要求, GB/Z 19579).
ITEM_COMMENTS_BELOW = 50


@dataclass(frozen=True)
class AwardCriteria:
    """What one award asks beyond the ballot (Art. 2; R2.1, R3.3): 质量奖 goes to enterprises
    处于领先地位 with significant benefits, 创新奖 to those with an innovation demonstration effect —
    so each award may set its own minimum final score and minimum points in chosen categories of the
    rubric (e.g. 4.7 结果 for 质量奖, 4.6 for 创新奖), checked on the final (on-site) scores."""

    min_total: int | None = None  # None: the cycle's min_final_score
    min_category_points: dict[str, int] = field(default_factory=dict)  # category code -> points


@dataclass(frozen=True)
class CycleRules:
    year: int
    application_deadline: datetime
    quota_quality: int = LEGAL_MAX_WINNERS
    quota_innovation: int = LEGAL_MAX_WINNERS
    min_final_score: int = 600
    criteria_edition: str = KNOWN_CRITERIA_EDITIONS[0]
    rules_revision: str = RULES_REVISION
    district: str = DISTRICT
    # Days the office has for the qualification decision once intake closes (shown as a due date).
    qualification_review_days: int = 30
    # The office is reminded this long before the qualification decision falls due.
    qualification_reminder_before: timedelta = timedelta(days=5)
    # Expert panels (Art. 9, 20): seats per panel (never fewer than 3), seats per expert per cycle,
    # how far back past employment or consulting makes a conflict of interest.
    panel_size: int = 3
    expert_load_cap: int = 5
    conflict_window_years: int = 3
    # Document review (Art. 14(2)): time for the experts, reminder before the due time, and the
    # spread (percentage points) between members' item scores that needs the leader's rationale.
    document_review_period: timedelta = timedelta(days=14)
    review_reminder_before: timedelta = timedelta(days=2)
    score_spread_tolerance: int = 20
    # On-site review (Art. 14(3)): the consolidated document score that guides the on-site list,
    # whether document-review members may sit on the on-site panel, the enterprise's confirmation.
    onsite_threshold: int = 550
    onsite_reuse_members: bool = True
    onsite_confirmation_period: timedelta = timedelta(days=7)
    onsite_reminder_before: timedelta = timedelta(days=2)
    # Confidentiality (Art. 20(5)): an expert reads an application through a seat until the cycle is
    # completed; with this rule, a panel's seats stop granting access once its opinion is in.
    expert_access_ends_with_review: bool = False
    # Plenary (Art. 14(4)): quorum and pass mark as fractions of members present.
    quorum_numerator: int = 2
    quorum_denominator: int = 3
    pass_numerator: int = 1
    pass_denominator: int = 2
    # Public notice (Art. 14(5)): 7 calendar days, fixed by the measures; objections investigated
    # within a period from the rules; anonymous objections are investigated like named ones unless the
    # committee approved rules that say otherwise, with the reason (api: RULES_ANONYMOUS_REASON).
    public_notice_period: timedelta = timedelta(days=PUBLIC_NOTICE_DAYS)
    objection_investigation_period: timedelta = timedelta(days=10)
    objection_reminder_before: timedelta = timedelta(days=2)
    investigate_anonymous: bool = True
    # After the award (Art. 17-19): yearly follow-up rounds and their report period, and the
    # deadline to correct a misuse of the title with its reminder.
    follow_up_interval: timedelta = timedelta(days=365)
    follow_up_rounds: int = 3
    follow_up_report_period: timedelta = timedelta(days=30)
    misuse_correction_period: timedelta = timedelta(days=30)
    misuse_reminder_before: timedelta = timedelta(days=5)
    # Art. 17: the period in which the office records a revocation's exposure in the news media.
    media_exposure_period: timedelta = timedelta(days=30)
    media_exposure_reminder_before: timedelta = timedelta(days=5)
    # A demonstration or training cycle may shorten the notice period; production refuses it.
    demo: bool = False
    # Extra fields added later must get defaults: histories months old must still decode.
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # The rest days its day-counted periods are counted with (民法典 第二百零三条), frozen when the
    # cycle starts: the years of `calendar_years` (and any later year known then). None only in
    # rules frozen before rest days were counted: their periods keep the plain count they began with.
    holiday_calendar: HolidayCalendar | None = None
    # Award-specific criteria (Art. 2), approved with the rules; an award absent has none beyond
    # min_final_score. Rules frozen before they existed decode with none.
    award_criteria: dict[Award, AwardCriteria] = field(default_factory=dict)
    # Feedback (R14.2, R14.4): an expert — and the leader in the consolidated opinion — writes the
    # strengths and opportunities for improvement of every item scored below this percentage, the
    # lower bound of a scoring band of the criteria edition (GB/Z 19579: 0, 10, 30, 50, 70, 90; 50
    # asks it of every item below 有系统、有效的方法应对总体要求; 0 of none). Rules frozen before it
    # existed decode with 50.
    item_comments_below: int = ITEM_COMMENTS_BELOW

    def quota(self, award: Award) -> int:
        return self.quota_quality if award is Award.QUALITY else self.quota_innovation

    def criteria(self, award: Award) -> AwardCriteria:
        return self.award_criteria.get(award) or AwardCriteria()

    def min_total(self, award: Award) -> int:
        """The minimum final score of the award: its own, else the cycle's."""
        own = self.criteria(award).min_total
        return self.min_final_score if own is None else own

    def aftercare(self) -> AftercareRules:
        return AftercareRules(
            self.follow_up_interval,
            self.follow_up_rounds,
            self.follow_up_report_period,
            self.misuse_correction_period,
            self.misuse_reminder_before,
            self.holiday_calendar,
            media_exposure_period=self.media_exposure_period,
            media_exposure_reminder_before=self.media_exposure_reminder_before,
        )


def calendar_years(rules: CycleRules) -> tuple[int, int]:
    """The years a cycle's day-counted periods may reach: the year of its application deadline and
    the next. Qualification, reviews, the notice and objections follow the deadline within months;
    a cycle whose call closes late in the year ends early in the next. (Follow-up and misuse
    periods years after the award are counted with the data frozen at the start, and with
    weekends alone in a year it does not cover.)"""
    first = cst_date(rules.application_deadline - timedelta(microseconds=1)).year
    return first, first + 1


def check_holiday_calendar(rules: CycleRules, calendar: HolidayCalendar) -> None:
    """Raise DomainError (409) unless the calendar covers the years the cycle needs. Demo rules,
    counted in seconds, are exempt."""
    if rules.demo:
        return
    missing = calendar.missing(calendar_years(rules))
    if missing:
        zh = "、".join(f"{y}年" for y in missing)
        en = ", ".join(str(y) for y in missing)
        raise conflict(
            "HOLIDAY_CALENDAR_MISSING",
            f"尚未录入{zh}的法定节假日和调休安排（国务院办公厅年度节假日安排通知）。本周期的期限按民法典"
            f"第二百零三条计算，须先有这些年度的数据：请区评审办通过 POST /holiday-calendars/{{年度}} 录入后再审定或启动",
            f"No statutory holiday arrangement is recorded for {en} (the State Council's annual notice). "
            "The cycle's periods are counted by Civil Code Art. 203 and need those years: the office records "
            "them with POST /holiday-calendars/{year}, then approve or start the cycle again",
            missing_years=missing,
        )


def validate_rules(rules: CycleRules, now: datetime) -> CycleRules:
    """Raise DomainError if the rules cannot start a cycle at `now`."""
    deadline = rules.application_deadline
    if deadline.tzinfo is None:
        raise invalid(
            "RULES_DEADLINE_TIMEZONE",
            "申报截止时间必须带时区，例如 2027-03-31T17:00:00+08:00",
            "The application deadline needs a time zone, e.g. 2027-03-31T17:00:00+08:00",
        )
    if deadline <= now:
        raise invalid(
            "RULES_DEADLINE_PAST",
            "申报截止时间必须晚于当前时间",
            "The application deadline must be in the future",
        )
    if deadline - now > timedelta(days=400):
        raise invalid(
            "RULES_DEADLINE_TOO_FAR",
            "申报截止时间不得晚于一年以后",
            "The application deadline may not be more than a year ahead",
        )
    this_year = cst_date(now).year
    if rules.year not in (this_year, this_year + 1):
        raise invalid(
            "RULES_YEAR",
            f"评审年度应为{this_year}或{this_year + 1}年",
            f"The award year must be {this_year} or {this_year + 1}",
        )
    for award, quota in ((Award.QUALITY, rules.quota_quality), (Award.INNOVATION, rules.quota_innovation)):
        if not 1 <= quota <= LEGAL_MAX_WINNERS:
            raise invalid(
                "RULES_QUOTA",
                f"{award.name_zh}名额应为1至{LEGAL_MAX_WINNERS}家（办法第三条），收到{quota}",
                f"The quota for {award.value} must be 1 to {LEGAL_MAX_WINNERS} (Art. 3); got {quota}",
            )
    if not 0 < rules.min_final_score <= 1000:
        raise invalid(
            "RULES_MIN_SCORE",
            "最低入选分数应在1至1000分之间",
            "The minimum final score must be between 1 and 1000",
        )
    if rules.criteria_edition not in KNOWN_CRITERIA_EDITIONS:
        raise invalid(
            "RULES_CRITERIA_EDITION",
            f"未知的评价准则版本：{rules.criteria_edition}；可用：{'、'.join(KNOWN_CRITERIA_EDITIONS)}",
            f"Unknown criteria edition {rules.criteria_edition}; known: {', '.join(KNOWN_CRITERIA_EDITIONS)}",
        )
    _validate_review_rules(rules)
    validate_award_criteria(rules)
    validate_item_comments_band(rules)
    validate_aftercare(rules.aftercare())
    if not 1 <= rules.qualification_review_days <= 180:
        raise invalid(
            "RULES_DURATION",
            "资格审查期限应为1至180天",
            "The qualification review period must be 1 to 180 days",
        )
    reminder = rules.qualification_reminder_before
    if not timedelta(0) <= reminder < timedelta(days=rules.qualification_review_days):
        raise invalid(
            "RULES_REMINDER",
            "资格审查到期提醒须在审查期限之内",
            "The qualification reminder must come before the decision is due",
        )
    return rules


def validate_award_criteria(rules: CycleRules) -> None:
    """Raise DomainError (422) unless every award criterion names a category of the rules' criteria
    edition with a minimum within its points, and every award minimum lies in 1..1000."""
    rubric = (
        load_rubric(rules.criteria_edition) if rules.criteria_edition in KNOWN_CRITERIA_EDITIONS else None
    )
    for award, c in sorted(rules.award_criteria.items()):
        award = Award(award)
        if c.min_total is not None and not 0 < c.min_total <= 1000:
            raise invalid(
                "RULES_AWARD_CRITERIA",
                f"{award.name_zh}的最低入选分数应在1至1000分之间，收到{c.min_total}",
                f"The minimum final score of {award.value} must be 1 to 1000; got {c.min_total}",
                award=award.value,
            )
        if rubric is None:
            continue  # the edition itself is refused by validate_rules
        known = {cat.code: cat for cat in rubric.categories}
        for code, points in sorted(c.min_category_points.items()):
            if code not in known:
                raise invalid(
                    "RULES_AWARD_CRITERIA",
                    f"{award.name_zh}的类目条件中“{code}”不是{rubric.edition}的评价类目；"
                    f"可用：{'、'.join(f'{k} {v.name_zh}' for k, v in known.items())}",
                    f"{code} in the criteria of {award.value} is not a category of {rubric.edition}; "
                    f"known: {', '.join(known)}",
                    award=award.value,
                    category=code,
                )
            cat = known[code]
            if not 0 < points <= cat.max_points:
                raise invalid(
                    "RULES_AWARD_CRITERIA",
                    f"{award.name_zh}对“{code} {cat.name_zh}”的最低得分应在1至{cat.max_points}分之间，收到{points}",
                    f"The minimum of {award.value} for {code} must be 1 to {cat.max_points} points; got {points}",
                    award=award.value,
                    category=code,
                )


def validate_item_comments_band(rules: CycleRules) -> None:
    """Raise DomainError (422 RULES_ITEM_COMMENTS_BAND) unless `item_comments_below` is the lower
    bound of a scoring band of every item kind of the criteria edition, so that "below the band"
    means the same for every item."""
    if rules.criteria_edition not in KNOWN_CRITERIA_EDITIONS:
        return  # the edition itself is refused by validate_rules
    rubric = load_rubric(rules.criteria_edition)
    kinds = {item.kind for item in rubric.items}
    lows = sorted(
        set.intersection(*({b.low for b in rubric.bands_for(kind)} for kind in kinds)) if kinds else set()
    )
    if rules.item_comments_below not in lows:
        shown = "、".join(f"{low}%" for low in lows)
        raise invalid(
            "RULES_ITEM_COMMENTS_BAND",
            f"须逐项写明优势和改进机会的得分率界限应为{rubric.edition}某一评分档的下限（{shown}），"
            f"收到{rules.item_comments_below}",
            f"item_comments_below must be the lower bound of a scoring band of {rubric.edition} "
            f"({', '.join(map(str, lows))}); got {rules.item_comments_below}",
            allowed=lows,
        )


def _validate_committee_rules(rules: CycleRules) -> None:
    if not (
        0 < rules.quorum_numerator <= rules.quorum_denominator
        and 0 < rules.pass_numerator < rules.pass_denominator
    ):
        raise invalid(
            "RULES_QUORUM",
            "法定人数和通过比例须为0到1之间的分数",
            "Quorum and pass mark must be fractions between 0 and 1",
        )
    if rules.quorum_numerator * 2 <= rules.quorum_denominator:
        raise invalid(
            "RULES_QUORUM", "全体会议的法定人数须超过半数", "The plenary quorum must be more than half"
        )
    if rules.pass_numerator * 2 < rules.pass_denominator:
        raise invalid("RULES_PASS_MARK", "通过比例不得低于半数", "The pass mark may not be below half")
    if not rules.demo and rules.public_notice_period != timedelta(days=PUBLIC_NOTICE_DAYS):
        raise invalid(
            "RULES_NOTICE_PERIOD",
            f"公示期为{PUBLIC_NOTICE_DAYS}天（办法第十四条第（五）项），不得更改",
            f"The public notice lasts {PUBLIC_NOTICE_DAYS} days (Art. 14(5)); it cannot be changed",
        )
    if rules.public_notice_period <= timedelta(0):
        raise invalid("RULES_NOTICE_PERIOD", "公示期须大于0", "The notice period must be positive")
    period, reminder = rules.objection_investigation_period, rules.objection_reminder_before
    if period <= timedelta(0) or period > timedelta(days=90) or not timedelta(0) <= reminder < period:
        raise invalid(
            "RULES_DURATION",
            "异议调查期限应大于0且不超过90天，提醒须早于到期",
            "The objection investigation period must be 1 s to 90 days, with the reminder before it",
        )


def _validate_review_rules(rules: CycleRules) -> None:
    _validate_committee_rules(rules)
    if not 3 <= rules.panel_size <= 15:
        raise invalid(
            "RULES_PANEL_SIZE",
            f"评审组人数应为3至15人（办法第九条，不少于3人），收到{rules.panel_size}",
            f"A panel has 3 to 15 experts (Art. 9: at least 3); got {rules.panel_size}",
        )
    if not 1 <= rules.expert_load_cap <= 50:
        raise invalid(
            "RULES_LOAD_CAP", "每位专家的评审数量上限应为1至50", "The expert load cap must be 1 to 50"
        )
    if not 0 <= rules.conflict_window_years <= 10:
        raise invalid(
            "RULES_CONFLICT_WINDOW",
            "利害关系回溯年限应为0至10年",
            "The conflict look-back must be 0 to 10 years",
        )
    if not 0 <= rules.score_spread_tolerance <= 100:
        raise invalid(
            "RULES_SPREAD_TOLERANCE",
            "评分差异容许值应为0至100个百分点",
            "The score spread tolerance must be 0 to 100",
        )
    if not 0 <= rules.onsite_threshold <= 1000:
        raise invalid(
            "RULES_ONSITE_THRESHOLD",
            "现场评审参考分数线应为0至1000分",
            "The on-site threshold must be 0 to 1000",
        )
    for name, period, reminder in (
        ("document_review_period", rules.document_review_period, rules.review_reminder_before),
        ("onsite_confirmation_period", rules.onsite_confirmation_period, rules.onsite_reminder_before),
    ):
        if period <= timedelta(0) or period > timedelta(days=180):
            raise invalid(
                "RULES_DURATION",
                f"期限{name}应大于0且不超过180天",
                f"{name} must be positive and at most 180 days",
            )
        if not timedelta(0) <= reminder < period:
            raise invalid(
                "RULES_REMINDER",
                f"{name}的提醒时间须早于到期时间",
                f"The reminder for {name} must come before it is due",
            )


def rules_fingerprint(doc: dict[str, object]) -> str:
    """sha256 of a rules document in canonical JSON: what the committee approved is what runs."""
    import hashlib
    import json

    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cycle_exists(year: int) -> DomainError:
    """One cycle a calendar year (R3.1): the answer when the year's cycle has already started,
    whether its record says so or the workflow service does."""
    return conflict(
        "CYCLE_EXISTS",
        f"{year}年度评审周期已经启动，每年只评定一次",
        f"The {year} cycle has already been started; one cycle per year",
    )


def check_start(
    rules: CycleRules, *, production: bool, started: bool, approved_fingerprint: str | None, fingerprint: str
) -> None:
    """Whether a cycle may start with these (validated) rules: not a demonstration in production,
    once a year (R3.1), and with exactly the rules the committee approved (Art. 7; `fingerprint`
    is `rules_fingerprint` of the submitted document, `approved_fingerprint` of the approved one,
    None if none is approved)."""
    if rules.demo and production:
        raise invalid(
            "RULES_DEMO", "生产环境不能启动演示评审周期", "A demonstration cycle cannot run in production"
        )
    if started:
        raise cycle_exists(rules.year)
    if approved_fingerprint != fingerprint:
        raise conflict(
            "RULES_NOT_APPROVED",
            f"{rules.year}年度评审实施细则须先经评委会审定，且启动时的细则须与审定的一致（办法第七条）",
            f"The {rules.year} rules must first be approved by the committee, exactly as submitted (Art. 7)",
        )
