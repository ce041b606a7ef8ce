"""The office decides on qualification the moment it sees the automatic checks (R14.1).

The checks activity stores the checks and the stage in PostgreSQL, which the office reads, a moment
before the application's workflow has the activity's result back. A decision sent in that gap must
be heard, not refused as "not awaiting a decision": the update is accepted and waits for the
checks, then is checked like any other. The gap is held open here (a slow activity,
deterministically) and the decision sent inside it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from timeskip import award_api, env, scenario

from activities.award import AwardActivities
from config.settings import Settings
from contracts.application import QualificationChecksInput
from domain.eligibility import ConditionCheck
from worker.main import build_worker

__all__ = ["env"]


class SlowChecks(AwardActivities):
    """The checks are stored, then their result is held back until the test lets it go."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        super().__init__(sessions, client)
        self.stored: asyncio.Queue[str] = asyncio.Queue()
        self.release = asyncio.Event()

    @activity.defn(name="run_qualification_checks")
    async def run_qualification_checks(self, inp: QualificationChecksInput) -> list[ConditionCheck]:
        checks = await super().run_qualification_checks(inp)
        await self.stored.put(inp.application_id)
        await self.release.wait()
        return checks


@pytest.mark.req("R14.1")
async def test_a_decision_sent_while_the_checks_are_being_recorded_is_heard(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    slow = SlowChecks(sessions, env.client)

    def worker(client: Client, s: async_sessionmaker[AsyncSession], queue: str) -> Any:
        return build_worker(client, s, queue, award_activities=slow)

    async with award_api(env, settings, sessions, temporal_client, worker) as api:
        sc = await scenario(env, api, settings)
        now = await env.get_current_time()
        await sc.open_cycle(application_deadline=(now + timedelta(hours=1)).isoformat())
        await sc.enterprise(1, "鹿城决定时机测试有限公司")
        app_id = await sc.apply(1, "QUALITY", self_pct=80)
        # Past the deadline: the checks start and are held, which stops the server's clock there.
        # (The sleep ends only when the clock has moved on: it is awaited after the release, and
        # reaches one second past the deadline, far short of the update's catch-up wait.)
        past_deadline = asyncio.create_task(env.sleep(timedelta(hours=1, seconds=1)))

        # The checks are stored (the office sees them) and the workflow has not had them back yet.
        assert await asyncio.wait_for(slow.stored.get(), 60) == app_id
        decision = asyncio.create_task(sc.qualify(app_id))
        await asyncio.sleep(1)
        assert not decision.done(), "the decision must wait for the checks, not be refused"
        slow.release.set()
        result = await asyncio.wait_for(decision, 60)
        await asyncio.wait_for(past_deadline, 60)
        assert result["qualified"] is True
        assert (await sc.app(app_id))["stage"] == "AWAITING_DOCUMENT_REVIEW"

        # Decided once: a second decision is refused as already made.
        r = await api.post(
            f"/applications/{app_id}/qualification-decision",
            headers=sc.office,
            json={"decisions": [], "material_truthful": True, "note": "再次决定"},
        )
        assert r.status_code == 409 and r.json()["code"] == "QUALIFICATION_ALREADY_DECIDED", r.text
