"""Workflows on the time-skipping server: months pass in seconds; histories replay deterministically."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import DATA_CONVERTER, readable
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from timeskip import award_api, env, scenario

from config.settings import Settings
from db import models as m
from devstack.scenario import expect
from worker.main import WORKFLOWS, workflow_runner

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
__all__ = ["env"]  # the time-skipping server fixture, shared with the notice-window tests


@pytest.mark.req("P1")
@pytest.mark.req("R13.1")
@pytest.mark.req("R21.1")
async def test_months_long_call_with_extension(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    """A 90-day call extended by 30 days closes at the new deadline, not the old one; the rules stay frozen."""
    async with award_api(env, settings, sessions, temporal_client) as api:
        now = await env.get_current_time()
        sc = await scenario(env, api, settings)
        office = sc.office
        deadline = now + timedelta(days=90)
        await sc.open_cycle(application_deadline=deadline.isoformat())
        await sc.enterprise(901, "鹿城时间测试有限公司")
        app_id = await sc.apply(901, "INNOVATION")
        new_deadline = deadline + timedelta(days=30)
        expect(
            await api.post(
                f"/cycles/{sc.year}/deadline",
                headers=office,
                json={"new_deadline": new_deadline.isoformat(), "reason": "春节假期顺延"},
            ),
            200,
        )

        await env.sleep(timedelta(days=100))  # past the original deadline: the call is still open
        c = expect(await api.get(f"/cycles/{sc.year}", headers=office, params={"live": "true"}), 200)
        assert c["stage"] == c["live"]["stage"] == "CALL_OPEN" and c["intake_open"] is True
        assert c["deadline"].startswith(new_deadline.isoformat()[:19])

        await env.sleep(timedelta(days=21))  # past the extended deadline
        await sc.wait_stage(app_id, "QUALIFICATION_DECISION")
        live = expect(await api.get(f"/applications/{app_id}", headers=office, params={"live": "true"}), 200)
        # conditions are judged at the extended deadline
        assert live["live"]["deadline"].startswith(new_deadline.isoformat()[:19]), live["live"]
        await sc.wait_cycle("QUALIFICATION_REVIEW")
        async with sessions() as s:
            cycle = await s.get(m.Cycle, sc.year)
            assert cycle is not None and cycle.rules["application_deadline"].startswith(
                deadline.isoformat()[:19]
            )  # the frozen rules keep the original; the extension is its own record
            assert cycle.rules_revision.startswith("鹿城区政府质量奖评审管理办法")

        handles = [
            env.client.get_workflow_handle(w) for w in (f"award-cycle-{sc.year}", f"application-{app_id}")
        ]
        histories = [await h.fetch_history() for h in handles]
    if os.environ.get("AWARD_RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        for h in histories:
            (HISTORIES / f"{h.workflow_id}.json").write_text(readable(h).to_json())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=workflow_runner())
    for h in histories:
        await replayer.replay_workflow(h)


@pytest.mark.req("P1")
async def test_recorded_histories_still_replay() -> None:
    """Histories recorded by earlier versions must replay on this code: a change that would break
    running cycles fails here (record new ones with AWARD_RECORD_HISTORIES=1)."""
    files = sorted(HISTORIES.glob("*.json"))
    assert files, "no recorded histories"
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=workflow_runner())
    for f in files:
        data = json.loads(f.read_text())
        await replayer.replay_workflow(WorkflowHistory.from_json(f.stem, data))
