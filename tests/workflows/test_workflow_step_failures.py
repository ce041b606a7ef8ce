"""A step the database refuses for its data ends visibly (P6): never an endless retry that a gate
waits on. Inside a human step the step is refused (422 DATA_REJECTED, nothing stored); in the
workflow's own course the failure is recorded for the office, which may retry it.

The API refuses such input at the door (one text rule for every field), so the bad value is put
where only a defect could put it: into an application workflow's input, started directly."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import expect_list
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from timeskip import QUEUE, award_api, env, scenario

from config.settings import Settings
from config.temporal import start_application
from contracts.application import ApplicationInput
from db import models as m
from db import repositories as repo
from devstack.scenario import eventually, expect
from domain.types import Award

__all__ = ["env"]  # the time-skipping server fixture, shared with the notice-window tests


@pytest.mark.req("P6")
async def test_a_step_the_database_refuses_ends_visibly_and_waits_for_the_office(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        now = await env.get_current_time()
        sc = await scenario(env, api, settings)
        office = sc.office
        await sc.open_cycle(application_deadline=(now + timedelta(days=2)).isoformat())
        await sc.enterprise(931, "鹿城数据测试有限公司")
        app_id = await sc.apply(931, "QUALITY")
        # A defect puts a NUL byte into the workflow's copy of the enterprise name: the workflow is
        # started again under a fresh id with that input (the API itself refuses NUL everywhere).
        async with sessions.begin() as s:
            cycle = await s.get(m.Cycle, sc.year)
            assert cycle is not None
            rules = repo.cycle_rules(cycle)
            app = await repo.application(s, app_id)
            assert app is not None
            ent_id = app.enterprise_id
        # Terminated once its first step is done: an activity still running when its workflow is
        # terminated can keep the time-skipping server's clock locked (seen once in CI).
        handle = env.client.get_workflow_handle(f"application-{app_id}")

        async def idle() -> bool | None:
            return not (await handle.describe()).raw_description.pending_activities or None

        await eventually(idle, what="the application's first step done")
        await handle.terminate("replaced by a defective start")
        bad = ApplicationInput(app_id, sc.year, Award.QUALITY, ent_id, "x", "鹿城数据\x00测试有限公司", rules)
        await start_application(env.client, bad, task_queue=QUEUE, rpc_timeout=timedelta(seconds=10))

        await env.sleep(timedelta(days=2, minutes=1))  # the call closes; the checks are recorded
        await sc.wait_stage(app_id, "QUALIFICATION_DECISION")
        a = await sc.app(app_id)
        assert a["qualification"]

        # A human step whose record the database refuses: 422 DATA_REJECTED, nothing stored.
        judged = [
            {"condition": c["condition"], "status": "PASS", "reason": "经核查申报材料，符合要求"}
            for c in a["qualification"]
            if c["auto_status"] == "NEEDS_JUDGEMENT"
        ]
        r = await api.post(
            f"/applications/{app_id}/qualification-decision",
            headers=office,
            json={"decisions": judged, "material_truthful": True},
        )
        assert r.status_code == 422 and r.json()["code"] == "DATA_REJECTED", r.text
        async with sessions() as s:
            assert await s.get(m.QualificationDecisionRecord, app_id) is None
            assert (await repo.application(s, app_id)).stage == "QUALIFICATION_DECISION"  # type: ignore[union-attr]

        # The workflow's own step (the reminder to the office, 5 days before the 30-day due date,
        # which rest days may move on) is refused: recorded once for the office, and the workflow
        # waits instead of retrying.
        due = datetime.fromisoformat(a["due_at"])
        await env.sleep(due - timedelta(days=5) + timedelta(hours=1) - await env.get_current_time())

        async def failures() -> list[dict[str, Any]] | None:
            return (
                expect_list(await api.get("/step-failures", headers=office, params={"year": sc.year})) or None
            )

        [failure] = await eventually(failures, what="the refused step on record")
        assert failure["workflow_id"] == f"application-{app_id}" and failure["code"] == "DATA_ERROR"
        assert failure["resolved_at"] is None
        handle = env.client.get_workflow_handle(f"application-{app_id}")
        await env.sleep(timedelta(days=3))  # waiting, not retrying: still one failure on record
        described = (await handle.describe()).raw_description
        assert not described.pending_activities, described.pending_activities  # nothing retrying
        assert len(await failures() or []) == 1

        # The office retries (here without mending anything): the step runs once more, fails once
        # more, and is recorded again — never a loop.
        retried = expect(await api.post(f"/step-failures/{failure['id']}/retry", headers=office), 200)
        assert retried["resolved_by"] == "office"
        twice = expect(await api.post(f"/step-failures/{failure['id']}/retry", headers=office), 409)
        assert twice["code"] == "STEP_ALREADY_RETRIED"

        async def failed_again() -> list[dict[str, Any]] | None:
            found = await failures() or []
            return found if found and found[0]["id"] != failure["id"] else None

        [again] = await eventually(failed_again, what="the retried step refused again")
        assert again["workflow_id"] == failure["workflow_id"]
        async with sessions() as s:
            total = await s.scalar(select(func.count()).select_from(m.StepFailure))
            assert total == 2
