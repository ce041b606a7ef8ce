"""E-mail deliveries of notices: the address on record for a notice, the office's list and retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from domain.mail import MailRecipient, MailState, NoticeAddressee, mail_recipient, mail_target
from domain.types import DeliveryState

EMAIL = "email"
# a delivery still PENDING this long after it was due counts as undelivered (the relay is down)
OVERDUE = timedelta(minutes=5)


def addressee(n: m.Notice) -> NoticeAddressee:
    return NoticeAddressee(n.audience, n.enterprise_id, n.recipient_user_id, n.recipient_role)


async def recipient_of(s: AsyncSession, n: m.Notice, office_mailbox: str) -> MailRecipient | None:
    """Who gets notice `n` by e-mail with the addresses on record now (None: a public notice)."""
    target = mail_target(addressee(n))
    enterprise_email = user_email = ""
    if n.enterprise_id is not None:
        enterprise_email = (
            await s.scalar(select(m.Enterprise.contact_email).where(m.Enterprise.id == n.enterprise_id))
        ) or ""
    if n.recipient_user_id is not None:
        user_email = (
            await s.scalar(
                select(m.User.email).where(m.User.id == n.recipient_user_id, m.User.active.is_(True))
            )
        ) or ""
    return mail_recipient(
        target, enterprise_email=enterprise_email, user_email=user_email, office_mailbox=office_mailbox
    )


def undelivered(now: datetime) -> object:
    """FAILED (being retried), ABANDONED, and PENDING past due by more than OVERDUE."""
    return or_(
        m.NoticeDelivery.state.in_([MailState.FAILED, MailState.ABANDONED]),
        and_(
            m.NoticeDelivery.state == MailState.PENDING,
            func.coalesce(m.NoticeDelivery.next_attempt_at, m.NoticeDelivery.created_at) < now - OVERDUE,
        ),
    )


async def deliveries(
    s: AsyncSession, *, now: datetime, state: MailState | None, limit: int, offset: int
) -> Sequence[tuple[m.NoticeDelivery, m.Notice]]:
    cond = undelivered(now) if state is None else m.NoticeDelivery.state == state
    rows = await s.execute(
        select(m.NoticeDelivery, m.Notice)
        .join(m.Notice, m.Notice.id == m.NoticeDelivery.notice_id)
        .where(cond)  # type: ignore[arg-type]
        .order_by(m.NoticeDelivery.id)
        .limit(limit)
        .offset(offset)
    )
    return [(d, n) for d, n in rows.all()]


async def attempts_of(
    s: AsyncSession, delivery_ids: Sequence[int]
) -> dict[int, list[m.NoticeDeliveryAttempt]]:
    out: dict[int, list[m.NoticeDeliveryAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        rows = await s.scalars(
            select(m.NoticeDeliveryAttempt)
            .where(m.NoticeDeliveryAttempt.delivery_id.in_(delivery_ids))
            .order_by(m.NoticeDeliveryAttempt.id)
        )
        for a in rows:
            out[a.delivery_id].append(a)
    return out


async def delivery_to(s: AsyncSession, notice_id: int, channel: str, address: str) -> int | None:
    """The delivery that already sends this notice on this channel to this address."""
    return await s.scalar(
        select(m.NoticeDelivery.id).where(
            m.NoticeDelivery.notice_id == notice_id,
            m.NoticeDelivery.channel == channel,
            m.NoticeDelivery.address == address,
        )
    )


async def delivery_locked(s: AsyncSession, delivery_id: int) -> m.NoticeDelivery | None:
    """A delivery, locked for the rest of the transaction (the office's retry changes it)."""
    return await s.scalar(
        select(m.NoticeDelivery).where(m.NoticeDelivery.id == delivery_id).with_for_update()
    )


# --- the mail relay (activities/mail.py) ---------------------------------------------------------
async def notices_to_plan(s: AsyncSession, limit: int) -> Sequence[m.Notice]:
    """Published notices whose e-mail recipients are not decided yet, oldest first, locked; those
    another relay holds are skipped."""
    return (
        await s.scalars(
            select(m.Notice)
            .where(m.Notice.mail_planned_at.is_(None), m.Notice.delivery_state == DeliveryState.DELIVERED)
            .order_by(m.Notice.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def plan_delivery(
    s: AsyncSession,
    notice_id: int,
    *,
    address: str,
    state: MailState,
    last_error: str,
    message_id: str,
    at: datetime,
) -> None:
    """One e-mail delivery of a notice to an address, unless it is planned already."""
    await s.execute(
        insert(m.NoticeDelivery)
        .values(
            notice_id=notice_id,
            channel=EMAIL,
            address=address,
            state=state,
            attempts=0,
            next_attempt_at=None,
            last_error=last_error,
            message_id=message_id,
            created_at=at,
            updated_at=at,
        )
        .on_conflict_do_nothing(constraint="uq_notice_deliveries_target")
    )


async def claim_due(
    s: AsyncSession, now: datetime, limit: int
) -> Sequence[tuple[m.NoticeDelivery, m.Notice]]:
    """The e-mail deliveries due now (PENDING or FAILED, never tried or their lease or back-off
    over) with their notices, the longest waiting first, locked; those another relay holds are
    skipped."""
    rows = await s.execute(
        select(m.NoticeDelivery, m.Notice)
        .join(m.Notice, m.Notice.id == m.NoticeDelivery.notice_id)
        .where(
            m.NoticeDelivery.channel == EMAIL,
            m.NoticeDelivery.state.in_([MailState.PENDING, MailState.FAILED]),
            or_(m.NoticeDelivery.next_attempt_at.is_(None), m.NoticeDelivery.next_attempt_at <= now),
        )
        .order_by(m.NoticeDelivery.next_attempt_at.nulls_first(), m.NoticeDelivery.id)
        .limit(limit)
        .with_for_update(of=m.NoticeDelivery, skip_locked=True)
    )
    return [(d, n) for d, n in rows.all()]


async def record_attempt(
    s: AsyncSession, d: m.NoticeDelivery, *, at: datetime, ok: bool, result: str, **outcome: Any
) -> None:
    """Record the claimed attempt of delivery `d` and its result, and set the delivery's `outcome`
    (state, next attempt …) if it is still that attempt (the office may have put it back
    meanwhile)."""
    s.add(m.NoticeDeliveryAttempt(delivery_id=d.id, attempt=d.attempts, at=at, ok=ok, result=result))
    await s.execute(
        update(m.NoticeDelivery)
        .where(m.NoticeDelivery.id == d.id, m.NoticeDelivery.attempts == d.attempts)
        .values(**outcome)
    )
