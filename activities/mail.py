"""E-mail of notices: the mail relay beside the notice relay in every worker.

Once a notice is published on the portal (DELIVERED, activities/notices.py), the relay decides who
gets it by e-mail (domain/mail.py) and writes one delivery row per address — PENDING, or SKIPPED
when the recipient has no address on record — and marks the notice planned. It then sends due rows
by SMTP (aiosmtplib) with the same pattern as the notice relay: a batch is claimed with a lease
(`next_attempt_at`, FOR UPDATE SKIP LOCKED, committed before sending), each attempt and its result is
recorded, a failure is retried after 1, 2, 4 … × `retry_base` and after `max_attempts` the row is
ABANDONED for the office (GET /notice-deliveries, POST /notice-deliveries/{id}/retry). Delivery is at
least once: a worker that dies after the server accepted a message and before recording it sends it
again, with the same Message-ID (derived from the notice's key and the address).

E-mail off (AWARD_SMTP_HOST empty): the relay says so once in the log and marks published notices
planned without any delivery row, so that turning e-mail on later does not mail the backlog.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.common import MetricMeter

from config.settings import Settings
from db import mail as maildb
from db import models as m
from db import repositories as repo
from domain.mail import MailState, after_failure, compose, message_id, retry_after

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # longer than one SMTP conversation (timeout) takes


@dataclass(frozen=True)
class MailConfig:
    """The SMTP settings (AWARD_SMTP_*); an empty host is e-mail off."""

    host: str = ""
    port: int = 587
    tls: str = "starttls"  # none | starttls | tls
    username: str = ""
    password: str = ""
    sender: str = ""
    office_mailbox: str = ""
    timeout: float = 30.0
    max_attempts: int = 8
    retry_base: timedelta = timedelta(minutes=1)

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    @classmethod
    def of(cls, s: Settings) -> MailConfig:
        if s.smtp_host and not s.smtp_sender:
            raise RuntimeError("AWARD_SMTP_SENDER is required when AWARD_SMTP_HOST is set")
        return cls(
            host=s.smtp_host,
            port=s.smtp_port,
            tls=s.smtp_tls,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value(),
            sender=s.smtp_sender,
            office_mailbox=s.smtp_office_mailbox,
            timeout=s.smtp_timeout_seconds,
            max_attempts=s.smtp_max_attempts,
            retry_base=timedelta(seconds=s.smtp_retry_base_seconds),
        )

    def describe(self) -> str:
        return f"{self.host}:{self.port} (TLS {self.tls}) from {self.sender}"


def smtp_error(e: BaseException) -> str:
    """The server's reply ("451 …") or the error, for the record."""
    if isinstance(e, aiosmtplib.SMTPRecipientsRefused) and e.recipients:
        e = e.recipients[0]
    if isinstance(e, aiosmtplib.SMTPResponseException):
        return f"{e.code} {e.message}"[:1000]
    return f"{type(e).__name__}: {e}"[:1000]


class MailRelay:
    """Plans and sends the e-mail of published notices; `run` until `stop` is set."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        config: MailConfig,
        *,
        interval: float = 1.0,
        batch: int = 50,
        meter: MetricMeter | None = None,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.interval = interval
        self.batch = batch
        meter = meter or MetricMeter.noop
        self.sent = meter.create_counter(
            "award_notice_emails_sent", "notice e-mails accepted by the SMTP server"
        )
        self.failed = meter.create_counter("award_notice_email_failures", "failed e-mail attempts")
        self.abandoned = meter.create_counter(
            "award_notice_emails_abandoned", "notice e-mails given up after the last attempt"
        )

    async def run(self, stop: asyncio.Event) -> None:
        if self.config.enabled:
            log.info("notice e-mail: sending through %s", self.config.describe())
        else:
            log.info("notice e-mail off (AWARD_SMTP_HOST is empty): notices are published on the portal only")
        while not stop.is_set():
            busy = False
            try:
                planned = await self.plan_due()
                sent = await self.send_due() if self.config.enabled else 0
                busy = planned >= self.batch or sent >= self.batch
            except Exception:  # the database may be down for a while: try again later
                log.exception("notice e-mail: round failed")
            if not busy:
                try:
                    await asyncio.wait_for(stop.wait(), self.interval)
                except TimeoutError:
                    pass

    async def plan_due(self, now: datetime | None = None) -> int:
        """Decide the e-mail recipients of published notices not yet planned. Returns how many."""
        now = now or datetime.now(UTC)
        async with self.sessions.begin() as s:
            notices = await maildb.notices_to_plan(s, self.batch)
            for n in notices:
                n.mail_planned_at = now
                if not self.config.enabled:
                    continue
                to = await maildb.recipient_of(s, n, self.config.office_mailbox)
                if to is None:
                    continue  # a public notice: published, not mailed
                await maildb.plan_delivery(
                    s,
                    n.id,
                    address=to.address,
                    state=MailState.PENDING if to.address else MailState.SKIPPED,
                    last_error=to.missing_reason,
                    message_id=message_id(n.key, to.address, self.config.sender) if to.address else "",
                    at=now,
                )
        return len(notices)

    async def send_due(self, now: datetime | None = None) -> int:
        """Claim due deliveries, send each, record each result. Returns how many were tried."""
        now = now or datetime.now(UTC)
        async with self.sessions.begin() as s:
            claimed = await maildb.claim_due(s, now, self.batch)
            for d, _ in claimed:  # the attempt is committed before the sending: a crash shows
                d.attempts += 1
                d.next_attempt_at = now + LEASE
                d.updated_at = now
            await s.flush()
            s.expunge_all()
        for d, n in claimed:
            await self._send(d, n, now)
        return len(claimed)

    async def _send(self, d: m.NoticeDelivery, n: m.Notice, now: datetime) -> None:
        c = self.config
        msg = compose(
            notice_key=n.key,
            title=n.title,
            body=n.body,
            to=d.address,
            sender=c.sender,
            created_at=n.created_at,
        )
        try:
            _, reply = await aiosmtplib.send(
                msg,
                sender=c.sender,
                recipients=[d.address],
                hostname=c.host,
                port=c.port,
                username=c.username or None,
                password=c.password or None,
                use_tls=c.tls == "tls",
                start_tls=True if c.tls == "starttls" else False,
                timeout=c.timeout,
            )
        except Exception as e:  # every SMTP or network failure is one failed attempt
            await self._failed(d, n, now, smtp_error(e))
            return
        await self._sent(d, n, now, f"250 {reply}".strip(), str(msg["Message-ID"]))

    async def _sent(self, d: m.NoticeDelivery, n: m.Notice, now: datetime, reply: str, mid: str) -> None:
        at = datetime.now(UTC)
        async with self.sessions.begin() as s:
            await maildb.record_attempt(
                s,
                d,
                at=now,
                ok=True,
                result=reply[:1000],
                state=MailState.SENT,
                sent_at=at,
                next_attempt_at=None,
                last_error="",
                message_id=mid,
                updated_at=at,
            )
            await repo.audit_by(
                s,
                repo.SYSTEM,
                "NOTICE_EMAIL_SENT",
                "notice",
                str(n.id),
                at=at,
                reason=n.title,
                details={"delivery_id": d.id, "attempt": d.attempts, "message_id": mid, "reply": reply[:200]},
                key=f"notice-email-sent-{d.id}-{d.attempts}",
            )
        self.sent.add(1)

    async def _failed(self, d: m.NoticeDelivery, n: m.Notice, now: datetime, error: str) -> None:
        state = after_failure(d.attempts, self.config.max_attempts)
        log.warning("notice %s: e-mail attempt %s failed (%s): %s", n.key, d.attempts, state, error)
        async with self.sessions.begin() as s:
            await maildb.record_attempt(
                s,
                d,
                at=now,
                ok=False,
                result=error,
                state=state,
                next_attempt_at=(
                    now + retry_after(d.attempts, self.config.retry_base)
                    if state is MailState.FAILED
                    else None
                ),
                last_error=error,
                updated_at=datetime.now(UTC),
            )
            if state is MailState.ABANDONED:
                await repo.audit_by(
                    s,
                    repo.SYSTEM,
                    "NOTICE_EMAIL_ABANDONED",
                    "notice",
                    str(n.id),
                    at=datetime.now(UTC),
                    reason=error,
                    details={"delivery_id": d.id, "attempts": d.attempts},
                    key=f"notice-email-abandoned-{d.id}-{d.attempts}",
                )
        self.failed.add(1)
        if state is MailState.ABANDONED:
            self.abandoned.add(1)
