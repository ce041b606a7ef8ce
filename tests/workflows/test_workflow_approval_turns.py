"""The committee's list and the government's decision arriving while the cycle is still recording
its entry into their stage (R14.8).

The cycle shows a stage as soon as it enters it, while the activity that records the stage is still
running; a chair or an approver who acts at that moment must be heard. The activity that records
the stage is held open here (a slow database, deterministically), and each step after the first
list is taken inside that gap: the government's return, the committee's second list and the
approval. Each is accepted exactly once and the cycle goes on to publication. (The first list is
given after its stage is recorded: the gate cannot be held while the time-skipping server moves the
clock past the notice's close, which it does only when no activity is running.)
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
from timeskip import award_api, env, to_public_notice

from activities.award import AwardActivities
from config.settings import Settings
from contracts.cycle import CycleStageInput, GateStatus
from devstack.scenario import Scenario, eventually, expect
from worker.main import build_worker

__all__ = ["env"]  # the time-skipping server fixture, shared with the notice-window tests

HELD = ("FINAL_LIST", "GOVERNMENT_APPROVAL")


class SlowStageRecords(AwardActivities):
    """Recording the entry into FINAL_LIST or GOVERNMENT_APPROVAL waits until the test lets it go."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        super().__init__(sessions, client)
        self.entered: asyncio.Queue[str] = asyncio.Queue()
        self.release = asyncio.Event()
        self.armed = False

    @activity.defn(name="record_cycle_stage")
    async def record_cycle_stage(self, inp: CycleStageInput) -> GateStatus:
        if self.armed and str(inp.stage) in HELD:
            self.release.clear()
            await self.entered.put(str(inp.stage))
            await self.release.wait()
        return await super().record_cycle_stage(inp)


async def test_list_and_decision_given_while_their_stage_is_being_recorded(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    slow = SlowStageRecords(sessions, env.client)

    def worker(client: Client, s: async_sessionmaker[AsyncSession], queue: str) -> Any:
        return build_worker(client, s, queue, award_activities=slow)

    async with award_api(env, settings, sessions, temporal_client, worker) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        await env.sleep(n.closes_at - await env.get_current_time() + timedelta(minutes=1))

        async def in_gap(stage: str) -> None:
            """The cycle (the workflow itself: its record is held open) is in `stage`."""
            assert await asyncio.wait_for(slow.entered.get(), 60) == stage
            assert (await cycle_stage(sc)) == stage

        # The first list, once the notice has closed; from now on stage records are held open.
        await sc.wait_cycle("FINAL_LIST")
        chair = sc.committee["chair"]
        slow.armed = True
        first = expect(await api.post(f"/cycles/{sc.year}/final-list", headers=chair, json={}), 200)
        assert len(first["winners"]) == 2

        # The government returns it while GOVERNMENT_APPROVAL is being recorded.
        await in_gap("GOVERNMENT_APPROVAL")
        returned = {"approved": False, "reason": "请补充说明评审依据"}
        expect(await api.post(f"/cycles/{sc.year}/approval", headers=sc.government, json=returned), 200)
        slow.release.set()

        # The committee fixes the list again while FINAL_LIST is being recorded the second time.
        await in_gap("FINAL_LIST")
        again = expect(
            await api.post(f"/cycles/{sc.year}/final-list", headers=chair, json={"note": "已补充评审依据"}),
            200,
        )
        assert again["winners"] == first["winners"]
        slow.release.set()

        # And the government approves while GOVERNMENT_APPROVAL is being recorded the second time.
        await in_gap("GOVERNMENT_APPROVAL")
        approve = {"approved": True, "document_no": f"鹿政发〔{sc.year}〕9号"}
        expect(await api.post(f"/cycles/{sc.year}/approval", headers=sc.government, json=approve), 200)
        slow.release.set()

        await sc.wait_cycle("COMPLETED")
        result = expect(await api.get(f"/public/results/{sc.year}"), 200)
        assert result["approval_document_no"] == approve["document_no"]
        assert len(result["winners"]) == 2

        # Each decision was recorded once: two lists, one return, one approval.
        audit = (await api.get("/audit", headers=sc.office, params={"page_size": 1000})).json()
        actions = [e["action"] for e in audit]
        assert actions.count("FINAL_LIST_FIXED") == 2
        assert actions.count("GOVERNMENT_RETURNED") == 1
        assert actions.count("GOVERNMENT_APPROVED") == 1


async def cycle_stage(sc: Scenario) -> str:
    async def live() -> str | None:  # the workflow's own view: the record of the stage is held open
        r = await sc.api.get(f"/cycles/{sc.year}", headers=sc.office, params={"live": "true"})
        return str(expect(r, 200)["live"]["stage"])

    return await eventually(live)


pytestmark = pytest.mark.req("R14.8")
