"""After the award (Art. 17-19): revocation for fraud, misuse of the title, follow-up of winners.

Pure rules shared by the AwardWorkflow, the MisuseCaseWorkflow, the API and the tests:
- **Revocation (R17.2)**: the committee proposes (区评委会提请), the district government approves
  (批准撤销) with its document number or rejects with a reason; on approval the title is revoked,
  the certificate and the trophy are recovered (each recovery recorded by the office), the
  revocation is published, and the 5-year ban of R17.1 starts on the day of the approval.
- **Misuse (R19.1)**: the title may be used in corporate promotion with the award year, never in
  product promotion. A reported misuse opens a case with a correction deadline (责令限期改正);
  the enterprise reports its correction, the office verifies it; silence past the deadline is
  escalated to the office and the case stays open until a correction is accepted.
- **Follow-up (R18.1)**: each year after the award (for a number of rounds from the rules) the
  winner reports how it keeps implementing the excellence model; the office may publish the
  experience it collects (宣传推广).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.calendar import HolidayCalendar, cst_date, due_after
from domain.errors import DomainError, conflict, invalid

MAX_TEXT = 5000


class AwardStatus(StrEnum):
    ACTIVE = "ACTIVE"  # 有效
    REVOCATION_PROPOSED = "REVOCATION_PROPOSED"  # 评委会已提请撤销，待区政府批准
    REVOKED = "REVOKED"  # 已撤销

    @property
    def name_zh(self) -> str:
        return {"ACTIVE": "有效", "REVOCATION_PROPOSED": "撤销审批中", "REVOKED": "已撤销"}[self.value]


class RecoveryItem(StrEnum):
    CERTIFICATE = "CERTIFICATE"  # 证书
    TROPHY = "TROPHY"  # 奖杯

    @property
    def name_zh(self) -> str:
        return "证书" if self is RecoveryItem.CERTIFICATE else "奖杯"


class MisuseKind(StrEnum):
    """The two breaches of Art. 19."""

    PRODUCT_PROMOTION = "PRODUCT_PROMOTION"  # 用于产品宣传
    YEAR_NOT_STATED = "YEAR_NOT_STATED"  # 使用称号未注明获奖年份

    @property
    def name_zh(self) -> str:
        return "将称号用于产品宣传" if self is MisuseKind.PRODUCT_PROMOTION else "使用称号未注明获奖年份"


class MisuseState(StrEnum):
    CORRECTION_ORDERED = "CORRECTION_ORDERED"  # 已责令限期改正
    CORRECTION_REPORTED = "CORRECTION_REPORTED"  # 企业已报告整改，待核实
    OVERDUE = "OVERDUE"  # 逾期未改正
    CORRECTED = "CORRECTED"  # 整改到位，结案


class ExposureState(StrEnum):
    """The exposure of a revocation in the news media (Art. 17)."""

    OWED = "OWED"  # 待曝光
    OVERDUE = "OVERDUE"  # 逾期未登记曝光
    PUBLISHED = "PUBLISHED"  # 已在媒体曝光

    @property
    def rank(self) -> int:
        """States only move forward: a record written late never takes one back."""
        return list(ExposureState).index(self)


class FollowUpState(StrEnum):
    REQUESTED = "REQUESTED"  # 已通知报送
    OVERDUE = "OVERDUE"  # 逾期未报送
    REPORTED = "REPORTED"  # 已报送
    PUBLISHED = "PUBLISHED"  # 经验已推广


@dataclass(frozen=True)
class AftercareRules:
    """Durations after the award, frozen with the cycle's rules (every one from the rules, R21.1)."""

    follow_up_interval: timedelta = timedelta(days=365)  # a follow-up round each year
    follow_up_rounds: int = 3
    follow_up_report_period: timedelta = timedelta(days=30)
    misuse_correction_period: timedelta = timedelta(days=30)
    misuse_reminder_before: timedelta = timedelta(days=5)
    # The cycle's rest days (domain.calendar): None for awards of cycles frozen before they counted.
    holiday_calendar: HolidayCalendar | None = None
    # Art. 17: a revocation is exposed in the district's main news media (在区级主要新闻媒体上予以曝光);
    # the office records the publication within this period (our default), reminded before it.
    media_exposure_period: timedelta = timedelta(days=30)
    media_exposure_reminder_before: timedelta = timedelta(days=5)


def validate_aftercare(r: AftercareRules) -> None:
    """Refuse the first broken rule, in this order (code, Chinese and English message)."""
    day, most = timedelta(0), timedelta(days=180)
    broken: list[tuple[bool, str, str, str]] = [
        (
            not day < r.follow_up_interval <= timedelta(days=366 * 3),
            "RULES_DURATION",
            "跟踪回访间隔应大于0且不超过3年",
            "The follow-up interval must be 1 s to 3 years",
        ),
        (
            not 0 <= r.follow_up_rounds <= 10,
            "RULES_FOLLOW_UP_ROUNDS",
            "跟踪回访次数应为0至10次",
            "Follow-up rounds must be 0 to 10",
        ),
        *(
            (
                not day < period <= most,
                "RULES_DURATION",
                f"期限{name}应大于0且不超过180天",
                f"{name} must be positive and at most 180 days",
            )
            for name, period in (
                ("follow_up_report_period", r.follow_up_report_period),
                ("misuse_correction_period", r.misuse_correction_period),
            )
        ),
        (
            bool(r.follow_up_rounds) and r.follow_up_report_period >= r.follow_up_interval,
            "RULES_DURATION",
            "跟踪回访材料报送期限须短于回访间隔",
            "The follow-up report period must be shorter than the follow-up interval",
        ),
        (
            not day <= r.misuse_reminder_before < r.misuse_correction_period,
            "RULES_REMINDER",
            "整改提醒时间须早于整改期限",
            "The correction reminder must come before the correction deadline",
        ),
        (
            not day < r.media_exposure_period <= most,
            "RULES_DURATION",
            "撤销后媒体曝光的登记期限应大于0且不超过180天",
            "The media exposure period must be positive and at most 180 days",
        ),
        (
            not day <= r.media_exposure_reminder_before < r.media_exposure_period,
            "RULES_REMINDER",
            "媒体曝光提醒时间须早于登记期限",
            "The media exposure reminder must come before it is due",
        ),
    ]
    for bad, code, zh, en in broken:
        if bad:
            raise invalid(code, zh, en)


def follow_up_due(issued_at: datetime, rules: AftercareRules, round_no: int) -> tuple[datetime, datetime]:
    """When round `round_no` (1-based) opens and when its report is due: the n-th anniversary of
    the award (by the Civil Code for whole days), then the report period from then."""
    opens = due_after(issued_at, rules.follow_up_interval * round_no, rules.holiday_calendar)
    return opens, due_after(opens, rules.follow_up_report_period, rules.holiday_calendar)


def correction_due(ordered_at: datetime, rules: AftercareRules) -> datetime:
    return due_after(ordered_at, rules.misuse_correction_period, rules.holiday_calendar)


def exposure_due(revoked_at: datetime, rules: AftercareRules) -> datetime:
    """When the office should have recorded the revocation's exposure in the news media."""
    return due_after(revoked_at, rules.media_exposure_period, rules.holiday_calendar)


def ban_starts(approved_at: datetime) -> date:
    """R17.1: the 5-year ban is counted from the day the government approves the revocation."""
    return cst_date(approved_at)


# --- checks --------------------------------------------------------------------------------------
def _text(code: str, value: str, zh: str, en: str) -> None:
    if not value.strip():
        raise invalid(code, f"请填写{zh}", f"The {en} is required")
    if len(value) > MAX_TEXT:
        raise invalid(code, f"{zh}不得超过{MAX_TEXT}字", f"The {en} may not exceed {MAX_TEXT} characters")


def check_revocation_proposal(status: AwardStatus, reason: str, evidence: str) -> None:
    if status is not AwardStatus.ACTIVE:
        raise conflict(
            "REVOCATION_NOT_OPEN",
            f"该奖项当前状态为“{status.name_zh}”，不能再提请撤销",
            f"The award is {status.value}; a revocation cannot be proposed now",
            status=status.value,
        )
    _text("REVOCATION_REASON_REQUIRED", reason, "提请撤销的理由（以不正当手段骗取奖项的事实）", "reason")
    _text("REVOCATION_EVIDENCE_REQUIRED", evidence, "证据材料说明", "evidence")


def check_revocation_decision(status: AwardStatus, approved: bool, document_no: str, reason: str) -> None:
    if status is not AwardStatus.REVOCATION_PROPOSED:
        raise conflict(
            "REVOCATION_NOT_PROPOSED",
            "该奖项没有待审批的撤销提请",
            "No revocation of this award is waiting for approval",
            status=status.value,
        )
    if approved and not document_no.strip():
        raise invalid(
            "DOCUMENT_NO_REQUIRED",
            "批准撤销须填写批准文号",
            "Approving a revocation needs the document number",
        )
    if not approved and not reason.strip():
        raise invalid(
            "REJECTION_REASON_REQUIRED", "不予批准须说明理由", "Rejecting a revocation needs a reason"
        )


def check_recovery(status: AwardStatus, item: str, recovered: set[str]) -> RecoveryItem:
    if status is not AwardStatus.REVOKED:
        raise conflict(
            "RECOVERY_NOT_OPEN",
            "奖项未被撤销，无需收回证书和奖杯",
            "The award is not revoked; nothing to recover",
        )
    try:
        what = RecoveryItem(item)
    except ValueError:
        raise invalid(
            "RECOVERY_ITEM",
            "收回物品须为证书（CERTIFICATE）或奖杯（TROPHY）",
            "The item is CERTIFICATE or TROPHY",
        ) from None
    if what.value in recovered:
        raise conflict(
            "ALREADY_RECOVERED", f"{what.name_zh}已登记收回", f"The {what.value.lower()} is already recovered"
        )
    return what


MAX_MEDIUM = 200
EXPOSURE_CLOCK_SKEW = timedelta(minutes=5)  # a publication is recorded after it appeared


def check_media_exposure(
    status: AwardStatus,
    exposed: bool,
    *,
    medium: str,
    published_at: datetime,
    place: str,
    url: str,
    revoked_at: datetime | None,
    now: datetime,
) -> None:
    """The office records that the revocation was published in a named news medium (Art. 17:
    在区级主要新闻媒体上予以曝光): which medium, when, and where in it (page/section or URL)."""
    if status is not AwardStatus.REVOKED:
        raise conflict(
            "EXPOSURE_NOT_OPEN",
            "奖项未被撤销，无需媒体曝光",
            "The award is not revoked; there is nothing to expose",
            status=status.value,
        )
    if exposed:
        raise conflict(
            "EXPOSURE_RECORDED",
            "该撤销决定的媒体曝光已登记",
            "The exposure of this revocation is already recorded",
        )
    if not medium.strip():
        raise invalid(
            "EXPOSURE_MEDIUM_REQUIRED", "请填写刊发曝光的新闻媒体名称", "The news medium is required"
        )
    if len(medium) > MAX_MEDIUM:
        raise invalid(
            "EXPOSURE_MEDIUM_REQUIRED",
            f"媒体名称不得超过{MAX_MEDIUM}字",
            f"The medium's name may not exceed {MAX_MEDIUM} characters",
        )
    if not place.strip() and not url.strip():
        raise invalid(
            "EXPOSURE_PLACE_REQUIRED",
            "请填写曝光刊发的版面、栏目或网址",
            "Say where it was published: the page or section, or the URL",
        )
    if url.strip() and not url.strip().lower().startswith(("https://", "http://")):
        raise invalid(
            "EXPOSURE_URL", "网址须以http://或https://开头", "The URL must start with http:// or https://"
        )
    if max(len(place), len(url)) > 1000:
        raise invalid("EXPOSURE_PLACE_REQUIRED", "版面或网址过长", "The page, section or URL is too long")
    if published_at > now + EXPOSURE_CLOCK_SKEW:
        raise invalid(
            "EXPOSURE_IN_FUTURE",
            "刊发时间不能晚于当前时间：请在曝光刊发后登记",
            "The publication time is in the future: record it once it has appeared",
        )
    if revoked_at is not None and cst_date(published_at) < cst_date(revoked_at):
        raise invalid(
            "EXPOSURE_BEFORE_REVOCATION",
            "刊发日期早于区政府批准撤销的日期，不是对本撤销决定的曝光",
            "The publication predates the government's approval of the revocation",
        )


def check_misuse_report(status: AwardStatus, kind: str, facts: str) -> MisuseKind:
    if status is AwardStatus.REVOKED:
        raise conflict(
            "AWARD_REVOKED",
            "该奖项已被撤销；撤销后继续使用称号不属于限期改正事项，请依法另行处理",
            "The award is revoked; use of the title after revocation is not a correction case",
        )
    try:
        k = MisuseKind(kind)
    except ValueError:
        raise invalid(
            "MISUSE_KIND",
            "违规情形须为：用于产品宣传（PRODUCT_PROMOTION）或未注明获奖年份（YEAR_NOT_STATED）",
            "The misuse is PRODUCT_PROMOTION or YEAR_NOT_STATED (Art. 19)",
        ) from None
    _text("MISUSE_FACTS_REQUIRED", facts, "违规使用称号的事实", "facts")
    return k


def check_correction_report(state: MisuseState, description: str) -> None:
    if state not in (MisuseState.CORRECTION_ORDERED, MisuseState.OVERDUE):
        raise conflict(
            "CORRECTION_NOT_EXPECTED",
            "当前不接受整改报告（已报告待核实或已结案）",
            "No correction report is expected now (one is being verified, or the case is closed)",
            state=state.value,
        )
    _text("CORRECTION_REQUIRED", description, "整改情况", "correction")


def check_verification(state: MisuseState, accepted: bool, note: str) -> None:
    if state is not MisuseState.CORRECTION_REPORTED:
        raise conflict(
            "NOTHING_TO_VERIFY",
            "没有待核实的整改报告",
            "No correction report is waiting for verification",
            state=state.value,
        )
    if not accepted:
        _text("VERIFICATION_NOTE_REQUIRED", note, "未通过核实的理由", "reason the correction is not accepted")


def check_follow_up_report(status: AwardStatus, open_round: int | None, text: str) -> int:
    if status is AwardStatus.REVOKED:
        raise conflict("AWARD_REVOKED", "该奖项已被撤销", "The award is revoked")
    if open_round is None:
        raise conflict(
            "FOLLOW_UP_NOT_OPEN",
            "当前没有需要报送的跟踪回访材料",
            "No follow-up report is requested now",
        )
    _text("FOLLOW_UP_REPORT_REQUIRED", text, "持续实施卓越绩效模式的情况", "follow-up report")
    return open_round


def reported(state: FollowUpState | None) -> bool:
    """A round whose report is in (published or not)."""
    return state in (FollowUpState.REPORTED, FollowUpState.PUBLISHED)


def check_experience(
    status: AwardStatus, round_no: int, round_state: FollowUpState | None, title: str, text: str
) -> None:
    if status is AwardStatus.REVOKED:
        raise conflict(
            "AWARD_REVOKED",
            "该奖项已被撤销，不再宣传推广其经验",
            "The award is revoked; its experience is not published",
        )
    if not reported(round_state):
        raise conflict(
            "FOLLOW_UP_NOT_REPORTED",
            f"第{round_no}次跟踪回访尚未报送，没有可推广的经验材料",
            f"Follow-up round {round_no} has no report to draw the experience from",
        )
    if round_state is FollowUpState.PUBLISHED:
        raise conflict(
            "EXPERIENCE_PUBLISHED",
            f"第{round_no}次跟踪回访的经验已推广",
            f"Round {round_no}'s experience is already published",
        )
    _text("EXPERIENCE_TITLE_REQUIRED", title, "经验推广标题", "title")
    _text("EXPERIENCE_TEXT_REQUIRED", text, "经验推广正文", "text")


__all__ = [
    "AftercareRules",
    "AwardStatus",
    "DomainError",
    "ExposureState",
    "FollowUpState",
    "MisuseKind",
    "MisuseState",
    "RecoveryItem",
]
