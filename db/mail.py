"""E-mail deliveries of notices: the address on record for a notice, the office's list and retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from domain.mail import MailRecipient, MailState, NoticeAddressee, mail_recipient, mail_target

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
