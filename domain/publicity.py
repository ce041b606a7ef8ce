"""The public notice of the preliminary list (初选公示, Art. 14(5); R14.7).

The notice runs for 7 calendar days counted by the Civil Code (see domain.calendar): the day of
publication is not counted and the last day ends at 24:00 China Standard Time. A notice
published on 20 November at 10:00 accepts objections from that moment until 27 November 24:00
(= 28 November 00:00, which is already closed).

A last day that is a rest day moves to the next working day (第二百零三条) with the cycle's
calendar: a notice published on 24 September 2025 accepts objections until 9 October 24:00, not
until 1 October, inside the National Day holiday.

Demo and test cycles may pass a `timedelta` shorter than a day instead of a number of days; it
is then counted exactly (domain.calendar.due_after).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime, timedelta
from enum import StrEnum

from domain.calendar import CST, HolidayCalendar, due_after, format_cst, format_cst_date, period_end_from
from domain.errors import DomainError, conflict, invalid, refuse_any
from domain.rules import PUBLIC_NOTICE_DAYS


class ObjectionConclusion(StrEnum):
    SUBSTANTIATED = "SUBSTANTIATED"  # 异议成立
    UNSUBSTANTIATED = "UNSUBSTANTIATED"  # 异议不成立

    @property
    def name_zh(self) -> str:
        return "异议成立" if self is ObjectionConclusion.SUBSTANTIATED else "异议不成立"


def _require_aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise invalid(
            "TIME_ZONE_REQUIRED",
            f"{name}必须带时区，例如 2026-11-20T10:00:00+08:00",
            f"{name} needs a time zone, e.g. 2026-11-20T10:00:00+08:00",
        )


def notice_window(
    published_at: datetime,
    days: int | timedelta = PUBLIC_NOTICE_DAYS,
    calendar: HolidayCalendar | None = None,
) -> tuple[datetime, datetime]:
    """(opens, closes) of the notice: it opens at publication and closes at 24:00 CST of the
    `days`-th day after the publication date (an aware UTC instant; objections are accepted
    strictly before it)."""
    _require_aware(published_at, "published_at")
    if isinstance(days, timedelta):
        if days <= timedelta(0):
            raise invalid(
                "NOTICE_PERIOD_INVALID",
                "公示期必须大于0",
                "The notice period must be positive",
            )
        return published_at, due_after(published_at, days, calendar)
    if days < 1:
        raise invalid(
            "NOTICE_PERIOD_INVALID",
            f"公示期应至少为1天，收到{days}天",
            f"The notice period must be at least 1 day; got {days}",
        )
    return published_at, period_end_from(published_at, days=days, calendar=calendar)


def format_close(close: datetime) -> str:
    """The close as people say it: an instant at 00:00 CST is shown as 24:00 of the day before
    (2026年11月27日 24:00)."""
    local = close.astimezone(CST)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return f"{format_cst_date(local.date() - timedelta(days=1))} 24:00"
    return format_cst(close)


def objection_open(
    published_at: datetime,
    now: datetime,
    days: int | timedelta = PUBLIC_NOTICE_DAYS,
    calendar: HolidayCalendar | None = None,
) -> bool:
    """True while objections are accepted: published_at <= now < close."""
    _require_aware(now, "now")
    opens, closes = notice_window(published_at, days, calendar)
    return opens <= now < closes


def check_objection_window(
    published_at: datetime,
    now: datetime,
    days: int | timedelta = PUBLIC_NOTICE_DAYS,
    calendar: HolidayCalendar | None = None,
) -> None:
    """Raise DomainError (409) unless an objection may be lodged at `now`."""
    _require_aware(now, "now")
    opens, closes = notice_window(published_at, days, calendar)
    if now < opens:
        raise conflict(
            "OBJECTION_WINDOW_NOT_OPEN",
            f"初选名单尚未公示（公示自{format_cst(opens)}起，至{format_close(closes)}止），请在公示期内提出异议",
            f"The preliminary list is not yet published (notice from {format_cst(opens)} to "
            f"{format_close(closes)} CST); lodge the objection during the notice",
            opens_at=opens.isoformat(),
            closes_at=closes.isoformat(),
        )
    if now >= closes:
        raise conflict(
            "OBJECTION_WINDOW_CLOSED",
            f"公示期已于{format_close(closes)}（北京时间）届满，不再受理异议",
            f"The public notice closed at {format_close(closes)} CST; objections are no longer accepted",
            opens_at=opens.isoformat(),
            closes_at=closes.isoformat(),
        )


def needs_investigation(anonymous: bool, investigate_anonymous: bool = True) -> bool:
    """Every objection is investigated (Art. 14(5): 对公示期间反映的问题，进行调查核实); an anonymous
    one too, unless the cycle's rules, approved by the committee with their reason, say otherwise
    (R14.7). The anonymous objector just cannot be answered."""
    return not anonymous or investigate_anonymous


def objection_digest(application_id: str, facts: str, contact: str, anonymous: bool) -> str:
    """The same target and facts from the same person (or anonymously) count once: whitespace and
    case of the facts do not make a new objection."""
    text = "\x1f".join((application_id, " ".join(facts.split()).casefold(), contact.strip(), str(anonymous)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_objection(
    *,
    application_id: str,
    listed: Collection[str],
    facts: str,
    anonymous: bool,
    name: str,
    contact: str,
) -> None:
    """What an objection must say to be taken (R14.7): its facts, who files it unless it is
    anonymous, and, if it names an organisation, one on the list. An objection that names none is
    about the notice itself and is taken too; the office scopes it (check_scope). The window and
    duplicates are checked where the objection is stored."""
    if application_id and application_id not in listed:
        raise invalid(
            "OBJECTION_TARGET", "异议对象须为公示名单中的单位", "Object to an organisation on the list"
        )
    if not facts.strip():
        raise invalid("OBJECTION_FACTS", "请说明异议的事实和理由", "State the facts of the objection")
    if not anonymous and (not name.strip() or not contact.strip()):
        raise invalid(
            "OBJECTION_IDENTITY",
            "实名反映须填写姓名和联系方式；也可选择匿名",
            "Give your name and contact, or file anonymously",
        )


def check_scope(*, named: str, scope: Collection[str], listed: Collection[str], reported: bool) -> None:
    """The office records which listed candidates an objection concerns, before or during its
    investigation: only candidates of the list, always the one the objector named."""
    if reported:
        raise conflict(
            "OBJECTION_REPORTED",
            "调查报告已经提交，不能再调整异议涉及的单位",
            "The investigation has reported; what the objection concerns can no longer change",
        )
    strangers = sorted(a for a in scope if a not in listed)
    refuse_any(
        strangers,
        invalid,
        "OBJECTION_TARGET",
        "异议涉及的单位须为公示名单中的单位：",
        "Only organisations on the list: ",
    )
    if named and named not in scope:
        raise invalid(
            "OBJECTION_SCOPE_TARGET",
            "异议人所指的单位须在异议涉及的单位之中",
            "The organisation the objector named stays in the scope",
        )


def duplicate_objection() -> DomainError:
    return conflict("DUPLICATE_OBJECTION", "相同的异议已经受理", "The same objection has already been filed")
