"""E-mail of notices through a real SMTP server in process (aiosmtpd on a free port, its handler
keeping each message and answering real SMTP replies: 451 to try again, 550 to refuse a mailbox).

The notices are written by the outbox's own function and published by the notice relay; the mail
relay (activities/mail.py) plans and sends them; the office reads and retries through the API.
Times are passed to the relay (`now`) so that the back-off is checked to the second."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import default
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.mail import MailConfig, MailRelay
from activities.notices import NoticeRelay, write_notices
from contracts.common import NoticeInput
from db import models as m
from devstack import mailbox
from devstack.ports import free_port
from devstack.scenario import password_of
from domain import notices as texts
from domain.mail import MailState, message_id
from domain.types import Audience, Award, DeliveryState, NoticeKind
from tests.conftest import OFFICE
from tests.support import enterprise_body, login

SENDER = "award-office@lucheng.test"
OFFICE_MAILBOX = "office@lucheng.test"
BASE = timedelta(seconds=30)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class Inbox:
    """The test server's handler: keeps what it accepts; refuses what the test tells it to."""

    received: list[Received] = field(default_factory=list)
    refused_mailboxes: set[str] = field(default_factory=set)  # RCPT → 550
    busy: int = 0  # this many DATA commands answered 451 (try again later)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refused_mailboxes:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.busy > 0:
            self.busy -= 1
            return "451 4.3.2 busy, try again later"
        raw = bytes(envelope.content)
        msg = message_from_bytes(raw, policy=default)
        assert isinstance(msg, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg, raw))
        return "250 2.0.0 queued"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def relay(sessions: async_sessionmaker[AsyncSession], port: int, **overrides: Any) -> MailRelay:
    config = MailConfig(
        host="127.0.0.1",
        port=port,
        tls="none",
        sender=SENDER,
        office_mailbox=OFFICE_MAILBOX,
        timeout=10,
        max_attempts=3,
        retry_base=BASE,
    )
    for k, v in overrides.items():
        config = MailConfig(**{**config.__dict__, k: v})
    return MailRelay(sessions, config)


async def office(api: httpx.AsyncClient) -> dict[str, str]:
    return await login(api, *OFFICE)


async def enterprise(api: httpx.AsyncClient, headers: dict[str, str], n: int, email: str) -> dict[str, Any]:
    r = await api.post("/enterprises", json=enterprise_body(n, contact_email=email), headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def feedback_notice(ent: dict[str, Any], n: int = 1) -> NoticeInput:
    text = texts.document_review_feedback(
        enterprise_name=ent["name"],
        year=2027,
        award=Award.QUALITY,
        total="612.5",
        opinion="领导作用和过程管理方面的证据不足，结果指标缺少对比数据。",
        note="",
        issued_at=datetime(2027, 6, 1, 9, 0, tzinfo=UTC),
    )
    return NoticeInput(
        f"document-feedback-2027-{n:04d}",
        NoticeKind.DOCUMENT_REVIEW_FEEDBACK,
        Audience.ENTERPRISE,
        text.title,
        text.body,
        datetime.now(UTC),
        cycle_year=2027,
        enterprise_id=ent["id"],
        application_id=f"2027-{n:04d}",
    )


async def publish(sessions: async_sessionmaker[AsyncSession], *notices: NoticeInput) -> list[m.Notice]:
    """Written by the outbox, published by the notice relay (this one or the test worker's)."""
    async with sessions.begin() as s:
        await write_notices(s, notices)
    await NoticeRelay(sessions).deliver_due()
    keys = [n.key for n in notices]
    for _ in range(200):
        async with sessions() as s:
            rows = (await s.scalars(select(m.Notice).where(m.Notice.key.in_(keys)))).all()
        if len(rows) == len(keys) and all(r.delivery_state == DeliveryState.DELIVERED for r in rows):
            return sorted(rows, key=lambda r: keys.index(r.key))
        await asyncio.sleep(0.05)
    raise AssertionError("the notices were never published")


async def deliveries(sessions: async_sessionmaker[AsyncSession], notice_id: int) -> list[m.NoticeDelivery]:
    async with sessions() as s:
        return list(
            (await s.scalars(select(m.NoticeDelivery).where(m.NoticeDelivery.notice_id == notice_id))).all()
        )


async def audit_actions(sessions: async_sessionmaker[AsyncSession], entity_id: str) -> list[str]:
    async with sessions() as s:
        return list(
            (
                await s.scalars(
                    select(m.AuditEntry.action)
                    .where(m.AuditEntry.entity_id == entity_id)
                    .order_by(m.AuditEntry.id)
                )
            ).all()
        )


@pytest.mark.req("R14.4", "P4")
async def test_feedback_notice_arrives_by_email_to_the_enterprise_contact(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    h = await office(api)
    ent = await enterprise(api, h, 1, "Lianxi.Ren@Qiye-Example.COM")
    assert ent["contact_email"] == "Lianxi.Ren@qiye-example.com"  # the domain in lower case
    notice_in = feedback_notice(ent)
    (notice,) = await publish(sessions, notice_in)
    mail = relay(sessions, port)
    assert await mail.plan_due() == 1
    assert await mail.send_due() == 1

    (got,) = inbox.received
    assert got.rcpt_tos == ["Lianxi.Ren@qiye-example.com"]
    assert got.mail_from == SENDER
    msg = got.message
    assert msg["Subject"] == notice_in.title == "2027年度区政府质量奖资料评审情况反馈"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    # text in MIME's canonical form: CRLF line ends
    assert msg.get_content().replace("\r\n", "\n").rstrip("\n") == notice_in.body
    assert "领导作用和过程管理方面的证据不足" in msg.get_content()
    # (decoded as a mail reader does: the stdlib's address parser puts a space between encoded words)
    raw_from = message_from_bytes(got.raw)["From"]
    assert parseaddr(str(make_header(decode_header(raw_from)))) == (texts.OFFICE_NAME, SENDER)
    assert msg["Message-ID"] == message_id(notice_in.key, "Lianxi.Ren@qiye-example.com", SENDER)
    assert msg["Auto-Submitted"] == "auto-generated"
    # the headers travel as 7-bit ASCII, the Chinese encoded (RFC 2047), the text as base64
    head = got.raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"=?utf-8?" in head
    assert msg["Content-Transfer-Encoding"] == "base64"

    (d,) = await deliveries(sessions, notice.id)
    assert (d.state, d.attempts, d.address, d.last_error) == (MailState.SENT, 1, got.rcpt_tos[0], "")
    assert d.sent_at is not None and d.message_id == msg["Message-ID"]
    # kept with who, when and why (P4): the attempt with the server's reply, and the audit log
    r = await api.get("/notice-deliveries", params={"state": "SENT"}, headers=h)
    assert r.status_code == 200, r.text
    (listed,) = r.json()
    assert listed["notice_title"] == notice_in.title and listed["notice_key"] == notice_in.key
    (attempt,) = listed["attempt_log"]
    assert attempt["ok"] is True and attempt["result"].startswith("250")
    assert await audit_actions(sessions, str(notice.id)) == [
        "NOTICE_DOCUMENT_REVIEW_FEEDBACK",
        "NOTICE_EMAIL_SENT",
    ]
    # nothing is sent twice, and the inbox on the portal is as before
    assert await mail.plan_due() == 0 and await mail.send_due() == 0
    assert len(inbox.received) == 1
    ent_headers = await enterprise_account(api, h, ent)
    r = await api.get("/notices", headers=ent_headers)
    assert [n["title"] for n in r.json()] == [notice_in.title]


async def enterprise_account(
    api: httpx.AsyncClient, h: dict[str, str], ent: dict[str, Any]
) -> dict[str, str]:
    username = f"ent-{ent['id']}"
    r = await api.post(
        "/users",
        json={
            "username": username,
            "display_name": "申报联系人",
            "role": "enterprise",
            "enterprise_credit_code": ent["credit_code"],
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    password = password_of(username)
    r = await api.post(
        "/auth/invitations/accept", json={"token": r.json()["invitation"]["token"], "password": password}
    )
    assert r.status_code == 200, r.text
    return await login(api, username, password)


@pytest.mark.req("R14.4", "P4")
async def test_a_temporary_refusal_is_retried_after_the_back_off_and_then_sent(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    inbox.busy = 1  # the server answers the first DATA with 451
    ent = await enterprise(api, await office(api), 2, "zhiliang@qiye2.example.cn")
    (notice,) = await publish(sessions, feedback_notice(ent, 2))
    mail = relay(sessions, port)
    await mail.plan_due()
    t0 = datetime.now(UTC)
    assert await mail.send_due(t0) == 1
    (d,) = await deliveries(sessions, notice.id)
    assert d.state == MailState.FAILED and d.attempts == 1
    assert d.last_error.startswith("451 4.3.2 busy")
    assert d.next_attempt_at == t0 + BASE
    assert inbox.received == []
    # not before its time …
    assert await mail.send_due(t0 + BASE - timedelta(seconds=1)) == 0
    # … then sent, with the same Message-ID
    assert await mail.send_due(t0 + BASE) == 1
    (got,) = inbox.to("zhiliang@qiye2.example.cn")
    (d,) = await deliveries(sessions, notice.id)
    assert (d.state, d.attempts) == (MailState.SENT, 2)
    assert got.message["Message-ID"] == d.message_id
    r = await api.get("/notice-deliveries", params={"state": "SENT"}, headers=await office(api))
    log = r.json()[0]["attempt_log"]
    assert [(a["attempt"], a["ok"], a["result"][:3]) for a in log] == [(1, False, "451"), (2, True, "250")]


@pytest.mark.req("R14.4", "P4")
async def test_a_refused_mailbox_ends_abandoned_the_office_sees_it_corrects_the_address_and_retries(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    wrong, right = "wrong@qiye3.example.cn", "right@qiye3.example.cn"
    inbox.refused_mailboxes.add(wrong)
    h = await office(api)
    ent = await enterprise(api, h, 3, wrong)
    notice_in = feedback_notice(ent, 3)
    (notice,) = await publish(sessions, notice_in)
    mail = relay(sessions, port)  # 3 attempts at most
    await mail.plan_due()
    now = datetime.now(UTC)
    tried = []
    for _ in range(3):
        assert await mail.send_due(now) == 1
        (d,) = await deliveries(sessions, notice.id)
        tried.append(d.state)
        now = d.next_attempt_at or now
    assert tried == [MailState.FAILED, MailState.FAILED, MailState.ABANDONED]
    assert d.next_attempt_at is None and d.last_error.startswith("550 5.1.1")
    assert await mail.send_due(now + timedelta(days=1)) == 0  # given up: the office decides
    assert inbox.received == []

    # the office (and the auditor, read-only) sees the undelivered e-mail with its last error
    auditor = await auditor_headers(api)
    for reader in (h, auditor):
        r = await api.get("/notice-deliveries", headers=reader)
        assert r.status_code == 200, r.text
        (listed,) = r.json()
        assert (listed["state"], listed["address"], listed["attempts"]) == ("ABANDONED", wrong, 3)
        assert listed["notice_title"] == notice_in.title and listed["last_error"].startswith("550")
    r = await api.post(f"/notice-deliveries/{d.id}/retry", headers=auditor)
    assert r.status_code == 403

    # the office corrects the contact e-mail and sends it again: to the address on record now
    r = await api.post(
        f"/enterprises/{ent['credit_code']}/contact-email", json={"contact_email": right}, headers=h
    )
    assert r.status_code == 200 and r.json()["contact_email"] == right
    r = await api.post(f"/notice-deliveries/{d.id}/retry", headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["address"], r.json()["attempts"]) == ("PENDING", right, 0)
    assert await mail.send_due() == 1
    (got,) = inbox.received
    assert got.rcpt_tos == [right] and got.message["Subject"] == notice_in.title
    (d,) = await deliveries(sessions, notice.id)
    assert (d.state, d.attempts) == (MailState.SENT, 1)
    r = await api.get("/notice-deliveries", headers=h)
    assert r.json() == []  # nothing left undelivered
    r = await api.post(f"/notice-deliveries/{d.id}/retry", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "DELIVERY_SENT"
    assert await audit_actions(sessions, str(notice.id)) == [
        "NOTICE_DOCUMENT_REVIEW_FEEDBACK",
        "NOTICE_EMAIL_ABANDONED",
        "NOTICE_EMAIL_RETRY",
        "NOTICE_EMAIL_SENT",
    ]
    assert "ENTERPRISE_CONTACT_EMAIL_CHANGED" in await audit_actions(sessions, ent["credit_code"])


async def auditor_headers(api: httpx.AsyncClient) -> dict[str, str]:
    admin = await login(api, "admin", "test-accounts-key-1")
    r = await api.post(
        "/users", json={"username": "jijian", "display_name": "纪检", "role": "auditor"}, headers=admin
    )
    assert r.status_code == 201, r.text
    password = password_of("jijian")
    r = await api.post(
        "/auth/invitations/accept", json={"token": r.json()["invitation"]["token"], "password": password}
    )
    assert r.status_code == 200, r.text
    return await login(api, "jijian", password)


@pytest.mark.req("P4")
async def test_who_gets_an_email_personal_office_public_and_no_address(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    h = await office(api)
    ent = await enterprise(api, h, 4, "")  # no contact e-mail
    # an expert invited by the office with an e-mail, who changes it; another without one
    r = await api.post(
        "/users",
        json={
            "username": "zhuanjia1",
            "display_name": "王专家",
            "role": "expert",
            "email": "wang@old.example.cn",
        },
        headers=h,
    )
    assert r.status_code == 201 and r.json()["email"] == "wang@old.example.cn", r.text
    password = password_of("zhuanjia1")
    await api.post(
        "/auth/invitations/accept", json={"token": r.json()["invitation"]["token"], "password": password}
    )
    expert = await login(api, "zhuanjia1", password)
    r = await api.post("/auth/email", json={"email": "wang@expert.example.cn"}, headers=expert)
    assert r.status_code == 200 and r.json()["email"] == "wang@expert.example.cn", r.text
    assert (await api.get("/auth/me", headers=expert)).json()["email"] == "wang@expert.example.cn"
    r = await api.post(
        "/users", json={"username": "zhuanjia2", "display_name": "李专家", "role": "expert"}, headers=h
    )
    assert r.status_code == 201 and r.json()["email"] == ""
    async with sessions() as s:
        ids = {u: i for u, i in (await s.execute(select(m.User.username, m.User.id))).all()}

    now = datetime.now(UTC)

    def notice(key: str, audience: Audience, **kw: Any) -> NoticeInput:
        return NoticeInput(
            key, NoticeKind.REVIEW_ASSIGNMENT, audience, f"标题{key}", f"正文{key}", now, 2027, **kw
        )

    published = await publish(
        sessions,
        notice("to-expert-1", Audience.EXPERT, recipient_user_id=ids["zhuanjia1"], recipient_role="expert"),
        notice("to-expert-2", Audience.EXPERT, recipient_user_id=ids["zhuanjia2"], recipient_role="expert"),
        notice("to-office", Audience.OFFICE, recipient_role="office"),
        notice("to-enterprise", Audience.ENTERPRISE, enterprise_id=ent["id"]),
        notice("to-public", Audience.PUBLIC),
    )
    mail = relay(sessions, port)
    assert await mail.plan_due() == 5
    rows = {n.key: await deliveries(sessions, n.id) for n in published}
    assert rows["to-public"] == []  # published, never mailed
    states = {k: [(d.state, d.address) for d in v] for k, v in rows.items() if v}
    assert states == {
        "to-expert-1": [(MailState.PENDING, "wang@expert.example.cn")],
        "to-expert-2": [(MailState.SKIPPED, "")],
        "to-office": [(MailState.PENDING, OFFICE_MAILBOX)],
        "to-enterprise": [(MailState.SKIPPED, "")],
    }
    assert rows["to-enterprise"][0].last_error == "企业未登记联系电子邮箱"
    assert await mail.send_due() == 2
    assert sorted(r.rcpt_tos[0] for r in inbox.received) == [OFFICE_MAILBOX, "wang@expert.example.cn"]
    # SKIPPED is no failure: not in the office's list of undelivered e-mails, but listed by state
    assert (await api.get("/notice-deliveries", headers=h)).json() == []
    skipped = (await api.get("/notice-deliveries", params={"state": "SKIPPED"}, headers=h)).json()
    assert sorted(d["notice_key"] for d in skipped) == ["to-enterprise", "to-expert-2"]
    # a retry without an address changes nothing; once the office registers one, it goes out
    (ent_row,) = [d for d in skipped if d["notice_key"] == "to-enterprise"]
    r = await api.post(f"/notice-deliveries/{ent_row['id']}/retry", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "NO_EMAIL_ADDRESS"
    await api.post(
        f"/enterprises/{ent['credit_code']}/contact-email",
        json={"contact_email": "a@qiye4.example.cn"},
        headers=h,
    )
    r = await api.post(f"/notice-deliveries/{ent_row['id']}/retry", headers=h)
    assert r.status_code == 200, r.text
    assert await mail.send_due() == 1
    assert inbox.to("a@qiye4.example.cn")[0].message["Subject"] == "标题to-enterprise"
    assert "USER_EMAIL_CHANGED" in await audit_actions(sessions, "zhuanjia1")


@pytest.mark.req("P6", "P4")
async def test_addresses_are_validated_and_bad_input_changes_nothing(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    h = await office(api)
    for bad in ("no-at-sign", "a@b", "a@@b.cn", "张三@qiye.cn", "a b@qiye.cn", "<a@qiye.cn>", "a@-qiye.cn"):
        r = await api.post("/enterprises", json=enterprise_body(5, contact_email=bad), headers=h)
        assert r.status_code == 422 and r.json()["code"] == "EMAIL_INVALID", (bad, r.text)
    r = await api.post(
        "/enterprises", json=enterprise_body(5, contact_email="a@qiye.cn\r\nBcc: x@y.cn"), headers=h
    )
    assert r.status_code == 422  # a line break is refused by the text rule before anything else
    assert (await api.get("/enterprises", headers=h)).json()["total"] == 0
    ent = await enterprise(api, h, 5, "ok@qiye5.example.cn")
    r = await api.post(
        f"/enterprises/{ent['credit_code']}/contact-email", json={"contact_email": "bad"}, headers=h
    )
    assert r.status_code == 422 and r.json()["code"] == "EMAIL_INVALID"
    r = await api.post(
        "/users", json={"username": "zj9", "display_name": "专家", "role": "expert", "email": "x@"}, headers=h
    )
    assert r.status_code == 422 and r.json()["code"] == "EMAIL_INVALID"
    assert (await api.get(f"/enterprises/{ent['credit_code']}", headers=h)).json()[
        "contact_email"
    ] == "ok@qiye5.example.cn"
    assert "zj9" not in {u["username"] for u in (await api.get("/users", headers=h)).json()}
    # removing the address is allowed ("" = none), and audited
    r = await api.post(
        f"/enterprises/{ent['credit_code']}/contact-email", json={"contact_email": ""}, headers=h
    )
    assert r.status_code == 200 and r.json()["contact_email"] == ""
    assert (await audit_actions(sessions, ent["credit_code"]))[-1] == "ENTERPRISE_CONTACT_EMAIL_CHANGED"
    # only the office sets an enterprise's contact e-mail
    ent_headers = await enterprise_account(api, h, ent)
    r = await api.post(
        f"/enterprises/{ent['credit_code']}/contact-email",
        json={"contact_email": "me@qiye5.example.cn"},
        headers=ent_headers,
    )
    assert r.status_code == 403


@pytest.mark.req("P4")
async def test_email_off_records_nothing_and_does_not_mail_the_backlog_later(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    ent = await enterprise(api, await office(api), 6, "off@qiye6.example.cn")
    (notice,) = await publish(sessions, feedback_notice(ent, 6))
    off = MailRelay(sessions, MailConfig())  # AWARD_SMTP_HOST empty
    assert not off.config.enabled
    assert await off.plan_due() == 1
    assert await deliveries(sessions, notice.id) == []
    on = relay(sessions, port)  # turned on later: only what is published from then on is mailed
    assert await on.plan_due() == 0 and await on.send_due() == 0
    assert inbox.received == []


@pytest.mark.req("P4")
async def test_the_development_mailbox_keeps_the_messages_for_the_office_to_read(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    port = free_port()
    server = mailbox.start(tmp_path / "mail", port)
    try:
        ent = await enterprise(api, await office(api), 7, "dev@qiye7.example.cn")
        notice_in = feedback_notice(ent, 7)
        await publish(sessions, notice_in)
        mail = relay(sessions, port)
        await mail.plan_due()
        assert await mail.send_due() == 1
    finally:
        server.stop()
    (got,) = mailbox.read(tmp_path / "mail")
    assert (got.to, got.subject) == ("dev@qiye7.example.cn", notice_in.title)
    assert got.text.rstrip("\n") == notice_in.body
    assert mailbox.main(["--dir", str(tmp_path / "mail"), "show", "1"]) == 0
