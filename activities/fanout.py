"""Messages to many workflows at once, and the cycle's wake-ups (P5).

The cycle never signals its applications one awaited round-trip at a time from workflow code
(that would add two history events per application to the cycle and take N round-trips). A
fan-out activity reads from PostgreSQL who is to be told what, and sends the signals concurrently
in bounded batches, heartbeating its progress so that a retry after a lost worker resumes where
it stopped. Signal handlers are idempotent, so a resent signal changes nothing.

The other direction: an activity that moves applications (or objections) on wakes the cycle only
when the gate the cycle waits on has nothing pending any more — one signal per gate, not one per
application (`Wakeups.after_progress`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.registry import defined_activities
from config.constants import application_workflow_id, cycle_workflow_id
from config.temporal import start_application, start_objection
from contracts.application import (
    ApplicationInput,
    FinalResult,
    IntakeClosed,
    OnsiteDecision,
    PanelAssignment,
    PanelSeat,
)
from contracts.cycle import FanOutInput
from contracts.objection import ObjectionWorkflowInput
from db import fanout_queries as fq
from db import models as m
from db import repositories as repo
from domain.progress import Gate
from domain.review import ReviewPurpose
from domain.types import Award

log = logging.getLogger(__name__)
T = TypeVar("T")
RPC_TIMEOUT = timedelta(seconds=10)


class Wakeups:
    """Wakes the cycle when the gate it waits on is passed (after the caller's commit)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        self.sessions = sessions
        self.client = client

    async def after_progress(self, year: int) -> None:
        async with self.sessions() as s:
            gate = await fq.cycle_gate(s, year)
            if not gate:
                return
            pending = await repo.gate_pending(s, year, Gate(gate))
        if pending == 0:
            await self.poke(year)

    async def poke(self, year: int) -> None:
        try:
            await self.client.get_workflow_handle(cycle_workflow_id(year)).signal(
                "gate_reached", rpc_timeout=RPC_TIMEOUT
            )
        except RPCError as e:
            if e.status != RPCStatusCode.NOT_FOUND:  # a cycle that has ended needs no wake-up
                raise


async def in_batches(
    items: Sequence[T], send: Callable[[T], Awaitable[Any]], *, concurrency: int, pause: float = 0.0
) -> int:
    """Send to every item, `concurrency` at a time (and `pause` seconds between batches, to spare
    the Temporal server), heartbeating after each batch with the number done; a retried activity
    skips what an earlier attempt reported done. Returns how many."""
    details = activity.info().heartbeat_details
    start = int(details[0]) if details else 0
    for i in range(start, len(items), concurrency):
        if pause and i > start:
            await asyncio.sleep(pause)
        await asyncio.gather(*(send(x) for x in items[i : i + concurrency]))
        activity.heartbeat(min(i + concurrency, len(items)))
    return len(items)


class FanOutActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: Client,
        *,
        concurrency: int = 50,
        pause: float = 0.0,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.concurrency = concurrency
        self.pause = pause

    async def _signal(self, application_id: str, name: str, arg: Any) -> None:
        await self.client.get_workflow_handle(application_workflow_id(application_id)).signal(
            name, arg, rpc_timeout=RPC_TIMEOUT
        )

    @activity.defn
    async def announce_intake_closed(self, inp: FanOutInput) -> int:
        """Every application of the year learns the deadline its conditions are judged at. A workflow
        whose start was lost at submission is started here (signal-with-start)."""
        async with self.sessions() as s:
            cycle, rules = await fq.cycle_with_rules(s, inp.year)
            rows = await fq.applicants(s, inp.year)
            deadline = cycle.deadline
        queue = activity.info().task_queue

        async def tell(row: tuple[m.Application, m.Enterprise]) -> None:
            app, ent = row
            await start_application(
                self.client,
                ApplicationInput(
                    app.id, app.cycle_year, Award(app.award), ent.id, ent.credit_code, ent.name, rules
                ),
                task_queue=queue,
                rpc_timeout=RPC_TIMEOUT,
                intake_closed=IntakeClosed(deadline),
            )

        return await in_batches(rows, tell, concurrency=self.concurrency, pause=self.pause)

    @activity.defn
    async def announce_panels(self, draw_id: str) -> int:
        """Each application whose panel the draw completed learns it (the draw is recorded before
        this runs); a panel still short waits for the draw that fills it."""
        async with self.sessions() as s:
            draw = await fq.panel_draw(s, draw_id)
            seated = await repo.panels_of_draw(s, draw_id, complete_only=True)
            visits = dict(draw.inputs.get("visits", {}))
        purpose = ReviewPurpose(draw.purpose)
        panels = {a: [PanelSeat(*seat) for seat in seats] for a, seats in seated.items()}
        items = sorted(panels.items())

        async def tell(item: tuple[str, list[PanelSeat]]) -> None:
            app_id, seats = item
            visit = visits.get(app_id)
            await self._signal(
                app_id,
                "panel_assigned",
                PanelAssignment(
                    purpose, draw_id, seats, None if visit is None else date.fromisoformat(visit)
                ),
            )

        return await in_batches(items, tell, concurrency=self.concurrency, pause=self.pause)

    @activity.defn
    async def announce_onsite_list(self, inp: FanOutInput) -> int:
        """Every application reviewed on paper learns whether it is listed for on-site review."""
        async with self.sessions() as s:
            listed, not_listed, note = await repo.onsite_list(s, inp.year)
        items = [(a, OnsiteDecision(True)) for a in listed] + [
            (a, OnsiteDecision(False, note)) for a in not_listed
        ]

        async def tell(item: tuple[str, OnsiteDecision]) -> None:
            await self._signal(item[0], "onsite_listed", item[1])

        return await in_batches(items, tell, concurrency=self.concurrency, pause=self.pause)

    @activity.defn
    async def announce_results(self, inp: FanOutInput) -> int:
        """Every candidate of the committee learns its result: awarded with its certificate, or not
        with the reason (removed after an objection, not selected, not on the list)."""
        async with self.sessions() as s:
            results = await repo.final_results(s, inp.year)

        async def tell(item: tuple[str, tuple[bool, str, str]]) -> None:
            await self._signal(item[0], "final_result", FinalResult(*item[1]))

        return await in_batches(sorted(results.items()), tell, concurrency=self.concurrency, pause=self.pause)

    @activity.defn
    async def start_investigations(self, inp: FanOutInput) -> int:
        """Every objection to be investigated has its workflow: the API starts it when it stores the
        objection; one whose start was lost then (Temporal unreachable) is started here."""
        async with self.sessions() as s:
            _, rules = await fq.cycle_with_rules(s, inp.year)
            rows = await fq.objections_to_investigate(s, inp.year)
        queue = activity.info().task_queue

        async def start(row: tuple[str, str | None, str | None, str | None]) -> None:
            objection_id, application_id, name, notice_id = row
            try:
                await start_objection(
                    self.client,
                    ObjectionWorkflowInput(
                        objection_id, inp.year, application_id or "", name or "", rules, notice_id or ""
                    ),
                    task_queue=queue,
                    rpc_timeout=RPC_TIMEOUT,
                )
            except WorkflowAlreadyStartedError:
                pass  # it ran and ended meanwhile

        return await in_batches(rows, start, concurrency=self.concurrency, pause=self.pause)

    def all(self) -> list[Callable[..., Any]]:
        return defined_activities(self)
