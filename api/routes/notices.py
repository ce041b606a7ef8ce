"""Notices: the public reads public notices; an enterprise reads its own; the office reads all.
The office sees the notices' e-mails that did not go out and puts one back to be sent again; the
auditor reads that list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from db import mail as maildb
from db import models as m
from db import repositories as repo
from domain.errors import conflict
from domain.mail import MailState
from domain.types import Role

from ..deps import Config, Office, OfficeOrAuditor, OfficeOrEnterprise, Session, User
from ..errors import forbidden, not_found
from ..schemas import DeliveryAttemptOut, NoticeDeliveryOut, NoticeOut

router = APIRouter(tags=["notices"])
PageSize = Annotated[int, Query(ge=1, le=200)]


@router.get("/public/notices", response_model=list[NoticeOut], summary="Public notices (no sign-in)")
async def public_notices(
    s: Session, page: Annotated[int, Query(ge=1)] = 1, page_size: PageSize = 50
) -> list[NoticeOut]:
    rows = await repo.notices_for(
        s, enterprise_id=None, public=True, limit=page_size, offset=(page - 1) * page_size
    )
    return [NoticeOut.model_validate(n) for n in rows]


@router.get("/notices", response_model=list[NoticeOut])
async def my_notices(
    s: Session, user: User, page: Annotated[int, Query(ge=1)] = 1, page_size: PageSize = 50
) -> list[NoticeOut]:
    """My inbox: an enterprise's own notices, an expert's own notices; the office sees every notice."""
    if user.role not in (Role.OFFICE, Role.ENTERPRISE, Role.EXPERT):
        raise forbidden()
    enterprise_id = user.enterprise_id if user.role is Role.ENTERPRISE else None
    rows = await repo.notices_for(
        s,
        enterprise_id=enterprise_id,
        public=False,
        limit=page_size,
        offset=(page - 1) * page_size,
        recipient_user_id=user.id if user.role is Role.EXPERT else None,
    )
    return [NoticeOut.model_validate(n) for n in rows]


@router.post("/notices/{notice_id}/read", response_model=NoticeOut)
async def mark_read(notice_id: int, s: Session, user: OfficeOrEnterprise) -> NoticeOut:
    n = await repo.notice(s, notice_id)
    if n is None or (user.role is Role.ENTERPRISE and n.enterprise_id != user.enterprise_id):
        raise not_found("通知", "Notice")
    if user.role is Role.ENTERPRISE and n.read_at is None:
        n.read_at = datetime.now(UTC)
        await repo.audit_by(s, user, "NOTICE_READ", "notice", str(n.id), at=n.read_at)
    return NoticeOut.model_validate(n)


def delivery_out(
    d: m.NoticeDelivery, n: m.Notice, attempts: list[m.NoticeDeliveryAttempt]
) -> NoticeDeliveryOut:
    return NoticeDeliveryOut(
        id=d.id,
        notice_id=n.id,
        notice_key=n.key,
        notice_kind=n.kind,
        notice_title=n.title,
        cycle_year=n.cycle_year,
        application_id=n.application_id,
        channel=d.channel,
        address=d.address,
        state=d.state,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_error=d.last_error,
        sent_at=d.sent_at,
        message_id=d.message_id,
        created_at=d.created_at,
        attempt_log=[DeliveryAttemptOut.model_validate(a) for a in attempts],
    )


@router.get(
    "/notice-deliveries",
    response_model=list[NoticeDeliveryOut],
    summary="Notice e-mails not delivered (FAILED, ABANDONED, PENDING overdue), or those of one state",
)
async def list_deliveries(
    s: Session,
    reader: OfficeOrAuditor,
    state: MailState | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: PageSize = 50,
) -> list[NoticeDeliveryOut]:
    """Without `state`: the e-mails that have not gone out — being retried (FAILED), given up
    (ABANDONED) or still waiting long after they were due (PENDING: is the worker running?); with
    each its notice, address, last error and every attempt."""
    rows = await maildb.deliveries(
        s, now=datetime.now(UTC), state=state, limit=page_size, offset=(page - 1) * page_size
    )
    attempts = await maildb.attempts_of(s, [d.id for d, _ in rows])
    return [delivery_out(d, n, attempts[d.id]) for d, n in rows]


@router.post(
    "/notice-deliveries/{delivery_id}/retry",
    response_model=NoticeDeliveryOut,
    summary="Send a notice's e-mail again now, to the address on record now (office)",
)
async def retry_delivery(delivery_id: int, s: Session, office: Office, cfg: Config) -> NoticeDeliveryOut:
    """Puts the e-mail back to be sent at once with a fresh count of attempts, to the recipient's
    address on record now (so that a corrected contact e-mail is used, and a SKIPPED one goes out
    once an address is registered). A sent e-mail is not sent again; without an address nothing
    changes."""
    d = await maildb.delivery_locked(s, delivery_id)
    if d is None:
        raise not_found("邮件投递记录", "Delivery")
    n = await repo.notice(s, d.notice_id)
    assert n is not None
    if d.state == MailState.SENT:
        raise conflict("DELIVERY_SENT", "该邮件已发送，无需重发", "This e-mail was sent already")
    to = await maildb.recipient_of(s, n, cfg.smtp_office_mailbox)
    if to is None or not to.address:
        reason = to.missing_reason if to is not None else "公开通知不发送邮件"
        raise conflict(
            "NO_EMAIL_ADDRESS",
            f"无法重发：{reason}",
            "No e-mail address on record for this notice's recipient: register one first",
        )
    if to.address != d.address:
        taken = await maildb.delivery_to(s, n.id, d.channel, to.address)
        if taken is not None:
            raise conflict(
                "DELIVERY_EXISTS",
                "该通知已有发往此地址的邮件投递记录",
                f"Delivery {taken} already sends this notice to that address",
                delivery_id=taken,
            )
    now = datetime.now(UTC)
    before = {"state": d.state, "attempts": d.attempts, "address": d.address, "last_error": d.last_error}
    d.address, d.state, d.attempts = to.address, MailState.PENDING, 0
    d.next_attempt_at, d.last_error, d.updated_at = None, "", now
    await repo.audit_by(
        s,
        office,
        "NOTICE_EMAIL_RETRY",
        "notice",
        str(n.id),
        at=now,
        reason=n.title,
        details={"delivery_id": d.id, "before": before, "address": to.address},
    )
    await s.flush()
    attempts = await maildb.attempts_of(s, [d.id])
    return delivery_out(d, n, attempts[d.id])
