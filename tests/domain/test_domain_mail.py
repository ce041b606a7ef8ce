"""Who receives a notice by e-mail, the addresses accepted, the message and the back-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from domain.errors import DomainError
from domain.mail import (
    MailRecipient,
    MailState,
    MailTarget,
    NoticeAddressee,
    after_failure,
    compose,
    mail_recipient,
    mail_target,
    message_id,
    normalize_email,
    retry_after,
)
from domain.types import Audience


@pytest.mark.req("P6")
@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("office@lucheng.gov.cn", "office@lucheng.gov.cn"),
        ("  Zhang.San+award@QiYe.Example.COM ", "Zhang.San+award@qiye.example.com"),
        ("a_b-c@x-y.cn", "a_b-c@x-y.cn"),
    ],
)
def test_addresses_are_kept_with_their_domain_in_lower_case(given: str, stored: str) -> None:
    assert normalize_email(given) == stored


@pytest.mark.req("P6")
@pytest.mark.parametrize(
    "bad",
    [
        "",
        "office",
        "office@",
        "@lucheng.cn",
        "a@b",
        "a@b.c",
        "a..b@lucheng.cn",
        ".a@lucheng.cn",
        "a@-lucheng.cn",
        "a@lucheng..cn",
        "张三@lucheng.cn",
        "a@鹿城.cn",
        "a b@lucheng.cn",
        '"a"@lucheng.cn',
        "王五 <a@lucheng.cn>",
        "a@lucheng.cn\r\nBcc: x@y.cn",
        "a@lucheng.cn,b@lucheng.cn",
        "x" * 65 + "@lucheng.cn",
        "a@" + "b" * 250 + ".cn",
    ],
)
def test_anything_else_is_refused_with_a_stable_code(bad: str) -> None:
    with pytest.raises(DomainError) as e:
        normalize_email(bad)
    assert e.value.code == "EMAIL_INVALID" and e.value.status == 422


@pytest.mark.req("P4")
def test_who_receives_a_notice_by_email() -> None:
    def target(audience: Audience, **kw: object) -> MailTarget:
        return mail_target(NoticeAddressee(audience, **kw))  # type: ignore[arg-type]

    assert target(Audience.PUBLIC) is MailTarget.NONE
    assert target(Audience.ENTERPRISE, enterprise_id=3) is MailTarget.ENTERPRISE
    assert target(Audience.EXPERT, recipient_user_id=7, recipient_role="expert") is MailTarget.USER
    assert target(Audience.EXPERT, recipient_role="expert") is MailTarget.USER  # no account: no address
    assert target(Audience.OFFICE, recipient_role="office") is MailTarget.OFFICE
    assert target(Audience.OFFICE, recipient_user_id=2, recipient_role="office") is MailTarget.USER
    # an office notice about an enterprise goes to the office, not to the enterprise
    assert target(Audience.OFFICE, enterprise_id=3, recipient_role="office") is MailTarget.OFFICE


@pytest.mark.req("P4")
def test_the_address_on_record_or_the_reason_there_is_none() -> None:
    kw = {"enterprise_email": "e@q.cn", "user_email": "u@q.cn", "office_mailbox": "o@gov.cn"}
    assert mail_recipient(MailTarget.NONE, **kw) is None
    assert mail_recipient(MailTarget.ENTERPRISE, **kw) == MailRecipient("e@q.cn")
    assert mail_recipient(MailTarget.USER, **kw) == MailRecipient("u@q.cn")
    assert mail_recipient(MailTarget.OFFICE, **kw) == MailRecipient("o@gov.cn")
    for t in (MailTarget.ENTERPRISE, MailTarget.USER, MailTarget.OFFICE):
        none = mail_recipient(t)
        assert none is not None and none.address == "" and none.missing_reason


def test_retries_back_off_and_end_abandoned() -> None:
    base = timedelta(minutes=1)
    assert [retry_after(n, base) for n in (1, 2, 3, 4)] == [base, 2 * base, 4 * base, 8 * base]
    assert retry_after(20, base) == timedelta(hours=1)
    assert [after_failure(n, 3) for n in (1, 2, 3, 4)] == [MailState.FAILED] * 2 + [MailState.ABANDONED] * 2


@pytest.mark.req("P4")
def test_the_message_of_a_notice() -> None:
    at = datetime(2027, 6, 1, 1, 0, tzinfo=UTC)
    title, body = "2027年度区政府质量奖评审结果告知", "温州某某有限公司：\n贵单位荣获2027年度区政府质量奖。\n"
    msg = compose(
        notice_key="award-result-2027-0001",
        title=title,
        body=body,
        to="e@q.cn",
        sender="ban@gov.cn",
        created_at=at,
    )
    raw = msg.as_bytes()
    assert raw.isascii()  # everything encoded: any relay carries it
    back = message_from_bytes(raw, policy=default)
    assert isinstance(back, EmailMessage)
    assert back["Subject"] == title and back["To"] == "e@q.cn"
    assert back.get_content().replace("\r\n", "\n") == body
    assert back["Message-ID"] == message_id("award-result-2027-0001", "e@q.cn", "ban@gov.cn")
    assert back["Message-ID"].startswith("<notice.award-result-2027-0001.") and back["Message-ID"].endswith(
        "@gov.cn>"
    )
    # the same notice to the same address always has the same Message-ID; another address another
    assert message_id("k", "e@q.cn", "s@gov.cn") == message_id("k", "E@Q.CN", "s@gov.cn")
    assert message_id("k", "e@q.cn", "s@gov.cn") != message_id("k", "f@q.cn", "s@gov.cn")
    # a key with characters a Message-ID may not carry is made safe
    assert message_id("a b<c>@d", "e@q.cn", "s@gov.cn").startswith("<notice.a-b-c--d.")
