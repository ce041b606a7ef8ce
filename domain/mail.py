"""E-mail of notices: addresses, who receives a notice by e-mail, the message itself, back-off.

Pure and deterministic: the relay (activities/mail.py) looks the addresses up and sends.

Who receives a notice by e-mail (besides its publication in the reader's inbox on the portal):
- a personal notice (an expert's assignment, a reminder to one account): that account's e-mail;
- an enterprise's notice (feedback, result, revocation, correction order …): the enterprise's
  contact e-mail, registered by the office;
- a notice to the office (no named account): the office mailbox of the settings;
- a public notice (call, roster, 公示, announcements): nobody — it is published, not mailed.
A notice whose recipient has no address gets no e-mail: recorded as SKIPPED, not as an error.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from enum import StrEnum

from domain.errors import DomainError, invalid
from domain.notices import OFFICE_NAME
from domain.types import Audience

MAX_ADDRESS = 254  # RFC 5321 path limit
# dot-atom local part (RFC 5322 atext, ASCII only) @ a domain of LDH labels with a letter TLD
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"({_LOCAL})@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})")


def email_invalid(value: str) -> DomainError:
    return invalid(
        "EMAIL_INVALID",
        f"电子邮箱地址格式不正确：{value[:100]}",
        f"Not a valid e-mail address: {value[:100]!r}",
    )


def normalize_email(value: str) -> str:
    """A valid address with its domain in lower case (the local part is the mailbox's own, kept as
    written); anything else is refused with EMAIL_INVALID. No display names, comments, quoted local
    parts or line breaks: the address goes into a header as it is."""
    text = value.strip()
    m = _ADDRESS.fullmatch(text)
    if m is None or len(text) > MAX_ADDRESS or len(m[1]) > 64:
        raise email_invalid(value)
    return f"{m[1]}@{m[2].lower()}"


class MailTarget(StrEnum):
    NONE = "NONE"  # a public notice: no e-mail at all
    USER = "USER"  # a personal notice: that account's e-mail
    ENTERPRISE = "ENTERPRISE"  # the enterprise's contact e-mail
    OFFICE = "OFFICE"  # the office mailbox (settings)


@dataclass(frozen=True)
class NoticeAddressee:
    """Who a notice is addressed to, as the outbox records it."""

    audience: str
    enterprise_id: int | None = None
    recipient_user_id: int | None = None
    recipient_role: str | None = None


def mail_target(n: NoticeAddressee) -> MailTarget:
    if n.audience == Audience.PUBLIC:
        return MailTarget.NONE
    if n.recipient_user_id is not None or n.audience == Audience.EXPERT:
        return MailTarget.USER  # an expert's notice without an account has no address
    if n.enterprise_id is not None and n.audience == Audience.ENTERPRISE:
        return MailTarget.ENTERPRISE
    if n.audience == Audience.OFFICE or n.recipient_role == "office":
        return MailTarget.OFFICE
    return MailTarget.NONE


@dataclass(frozen=True)
class MailRecipient:
    """The address a notice goes to by e-mail ("" when there is none, with the reason why)."""

    address: str
    missing_reason: str = ""


def mail_recipient(
    target: MailTarget, *, enterprise_email: str = "", user_email: str = "", office_mailbox: str = ""
) -> MailRecipient | None:
    """The recipient for `target` with the addresses on record now; None for a public notice."""
    match target:
        case MailTarget.NONE:
            return None
        case MailTarget.USER:
            return MailRecipient(user_email) if user_email else MailRecipient("", "收件账号未登记电子邮箱")
        case MailTarget.ENTERPRISE:
            return (
                MailRecipient(enterprise_email)
                if enterprise_email
                else MailRecipient("", "企业未登记联系电子邮箱")
            )
        case MailTarget.OFFICE:
            return (
                MailRecipient(office_mailbox)
                if office_mailbox
                else MailRecipient("", "未配置评审办公室邮箱（AWARD_SMTP_OFFICE_MAILBOX）")
            )


class MailState(StrEnum):
    PENDING = "PENDING"  # not tried yet, or put back by the office
    FAILED = "FAILED"  # an attempt failed; tried again at next_attempt_at
    SENT = "SENT"  # the SMTP server accepted it
    ABANDONED = "ABANDONED"  # failed `max_attempts` times: the office decides (retry)
    SKIPPED = "SKIPPED"  # no address on record: nothing to send


def retry_after(attempts: int, base: timedelta, cap: timedelta = timedelta(hours=1)) -> timedelta:
    """base, 2·base, 4·base … up to `cap` after the `attempts`-th failed attempt."""
    step: timedelta = base * 2 ** max(attempts - 1, 0)
    return min(step, cap)


def after_failure(attempts: int, max_attempts: int) -> MailState:
    return MailState.ABANDONED if attempts >= max_attempts else MailState.FAILED


def message_id(notice_key: str, address: str, sender: str) -> str:
    """The same for every attempt of one notice to one address: a resend is recognisable (and a
    receiving system that dedupes on Message-ID keeps one)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", notice_key)[:150]
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:10]
    domain = sender.rpartition("@")[2] or "award.invalid"
    return f"<notice.{safe}.{digest}@{domain}>"


def compose(
    *,
    notice_key: str,
    title: str,
    body: str,
    to: str,
    sender: str,
    created_at: datetime,
) -> EmailMessage:
    """The e-mail of a notice: subject its title, text its body (UTF-8, base64; headers encoded
    per RFC 2047 by the SMTP policy), from the award office."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=OFFICE_NAME, addr_spec=sender)
    msg["To"] = to
    msg["Subject"] = title.replace("\r", " ").replace("\n", " ")
    msg["Date"] = format_datetime(created_at)
    msg["Message-ID"] = message_id(notice_key, to, sender)
    msg["X-Award-Notice"] = re.sub(r"[^\x21-\x7e]", "-", notice_key)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a notice
    # base64: 7-bit clean through any relay, with or without 8BITMIME
    msg.set_content(body, charset="utf-8", cte="base64")
    return msg
