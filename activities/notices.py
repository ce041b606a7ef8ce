"""Notices: the outbox and its relay.

A notice is written in the same transaction as the step that sends it (a decision and its
feedback letter are recorded together or not at all), PENDING. The relay, which runs in every
worker process, hands PENDING notices to their channel and marks them DELIVERED. It claims a
batch with a lease (`next_attempt_at`) so that several workers never hand the same notice over at
the same time; a notice whose hand-over failed is retried with a growing back-off, and one whose
worker died is taken again when its lease ends. Delivery is at least once: a channel that sends
outside the system dedupes on `notice.key`.

The portal channel publishes the notice to its reader's inbox (the API shows DELIVERED notices
only); an SMS or e-mail gateway of the district plugs in as another `NoticeGateway`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.common import MetricMeter

from contracts.common import NoticeInput
from db import models as m
from db import notice_queries as nq
from db import repositories as repo

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # a claimed notice is its relay's for this long; then anyone may retry
MAX_BACKOFF = timedelta(hours=1)


class NoticeGateway(Protocol):
    channel: str

    async def deliver(self, notice: m.Notice) -> None:
        """Hand the notice to the channel; raise to have it retried later. A retry after a crash
        may hand the same notice over again: dedupe on `notice.key`."""


class PortalGateway:
    """Notices are read on the award portal: delivery is publication to the reader's inbox."""

    channel = "portal"

    async def deliver(self, notice: m.Notice) -> None:
        if not notice.title or not notice.body:
            raise ValueError(f"notice {notice.key} has no text")


async def write_notices(s: AsyncSession, notices: Iterable[NoticeInput]) -> None:
    """Write each notice once (keyed), PENDING delivery, in the caller's transaction."""
    for n in notices:
        notice_id = await nq.add_notice(s, n)
        if notice_id is None:
            continue  # written by an earlier attempt
        await repo.audit_by(
            s,
            repo.SYSTEM,
            f"NOTICE_{n.kind}",
            "notice",
            str(notice_id),
            at=n.at,
            reason=n.title,
            details={"application_id": n.application_id, "audience": n.audience},
            key=f"notice-written-{n.key}",
        )


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … up to an hour between failed hand-overs of one notice."""
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class NoticeRelay:
    """Delivers PENDING notices; `run` until `stop` is set (one per worker process)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        gateway: NoticeGateway | None = None,
        *,
        interval: float = 1.0,
        batch: int = 100,
        meter: MetricMeter | None = None,
    ) -> None:
        self.sessions = sessions
        self.gateway = gateway or PortalGateway()
        self.interval = interval
        self.batch = batch
        # the worker's metrics (the Temporal runtime's meter: its Prometheus port when configured)
        meter = meter or MetricMeter.noop
        self.pending = meter.create_gauge("award_notices_pending", "notices not yet handed to their channel")
        self.delivered = meter.create_counter("award_notices_delivered", "notices handed to their channel")
        self.failed = meter.create_counter("award_notice_handover_failures", "failed hand-overs (retried)")

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handed = await self.deliver_due()
            except Exception:  # the database may be down for a while: try again later
                log.exception("notice relay: delivery round failed")
                handed = 0
            if handed < self.batch:
                try:
                    await asyncio.wait_for(stop.wait(), self.interval)
                except TimeoutError:
                    pass

    async def deliver_due(self) -> int:
        """Claim a batch of due notices, hand each over, record each result. Returns how many."""
        now = datetime.now(UTC)
        async with self.sessions.begin() as s:
            self.pending.set(await nq.pending_count(s))
            claimed = await nq.claim_due(s, now, self.batch)
            for n in claimed:  # the attempt is committed before the hand-over: a crash shows
                n.delivery_attempts += 1
                n.next_attempt_at = now + LEASE
            await s.flush()
            s.expunge_all()  # read after the commit, detached
        delivered = [n.id for n in claimed if await self._hand_over(n)]
        self.delivered.add(len(delivered))
        self.failed.add(len(claimed) - len(delivered))
        if delivered:
            async with self.sessions.begin() as s:
                await nq.mark_delivered(s, delivered, self.gateway.channel, datetime.now(UTC))
        return len(claimed)

    async def _hand_over(self, n: m.Notice) -> bool:
        """Hand one notice over; a failure is recorded with its back-off. True if handed over."""
        try:
            await self.gateway.deliver(n)
        except Exception as e:
            log.warning("notice %s: hand-over failed (attempt %s): %s", n.key, n.delivery_attempts, e)
            async with self.sessions.begin() as s:
                await nq.postpone(s, n.id, datetime.now(UTC) + backoff(n.delivery_attempts), str(e)[:1000])
            return False
        return True
