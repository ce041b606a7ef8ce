"""Delivery of notices. The portal channel publishes the notice to its reader's inbox (the API
shows DELIVERED notices only); an SMS or e-mail gateway of the district plugs in here."""

from __future__ import annotations

from typing import Protocol

from db import models as m


class NoticeGateway(Protocol):
    channel: str

    async def deliver(self, notice: m.Notice) -> None:
        """Hand the notice to the channel; raise to have the activity retried. A retry after a
        crash may hand the same notice over again: dedupe on `notice.key`."""


class PortalGateway:
    """Notices are read on the award portal: delivery is publication to the reader's inbox."""

    channel = "portal"

    async def deliver(self, notice: m.Notice) -> None:
        if not notice.title or not notice.body:
            raise ValueError(f"notice {notice.key} has no text")
