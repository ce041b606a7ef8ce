"""Workflows on the time-skipping server: months pass in seconds; histories replay deterministically."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import reset_state
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import credit_code, self_assessment
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from config.constants import SEARCH_ATTRIBUTES
from contracts.common import Actor
from contracts.cycle import ExtendDeadlineInput, StartCycleInput, SubmitApplicationInput
from db import models as m
from devstack.temporal import test_server_binary as time_skipping_server
from domain.intake import DocumentRef
from domain.rules import CycleRules
from domain.types import ApplicationStage, Award, CycleStage, DocumentKind, Role
from worker.main import WORKFLOWS, build_worker, workflow_runner
from workflows.application import ApplicationWorkflow
from workflows.cycle import AwardCycleWorkflow, start_cycle

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
QUEUE = "time-skipping"
OFFICE = Actor("office", Role.OFFICE, "区评审办")


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    e = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(time_skipping_server())
    )
    types = {
        "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
        "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    }
    await e.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=e.client.namespace,
            search_attributes={k: types[v] for k, v in SEARCH_ATTRIBUTES.items()},
        )
    )
    try:
        yield e
    finally:
        await e.shutdown()


@pytest.mark.req("P1")
@pytest.mark.req("R13.1")
@pytest.mark.req("R21.1")
async def test_months_long_call_with_extension(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], temporal_client: object
) -> None:
    """A 90-day call extended by 30 days closes at the new deadline, not the old one; the rules stay frozen."""
    await reset_state(temporal_client, sessions)  # type: ignore[arg-type]
    async with sessions.begin() as s:
        ent = m.Enterprise(
            credit_code=credit_code(901),
            name="鹿城时间测试有限公司",
            registered_district="鹿城区",
            tax_district="鹿城区",
            independent_legal_person=True,
            registration_date=date(2010, 1, 1),
            field="SERVICES",
            sector_tags=[],
        )
        s.add(ent)
        await s.flush()
        enterprise_id = ent.id

    now = await env.get_current_time()
    year = now.year + 1
    rules = CycleRules(year=year, application_deadline=now + timedelta(days=90))
    async with build_worker(env.client, sessions, QUEUE):
        await start_cycle(
            env.client, StartCycleInput(rules, OFFICE), task_queue=QUEUE, rpc_timeout=timedelta(seconds=10)
        )
        handle = env.client.get_workflow_handle(f"award-cycle-{year}")
        await handle.execute_update(AwardCycleWorkflow.wait_opened, result_type=None)
        result = await handle.execute_update(
            AwardCycleWorkflow.submit_application,
            SubmitApplicationInput(
                enterprise_id,
                credit_code(901),
                "鹿城时间测试有限公司",
                Award.INNOVATION,
                "SERVICES",
                [],
                [
                    DocumentRef(DocumentKind.SELF_ASSESSMENT_REPORT, "a" * 64),
                    DocumentRef(DocumentKind.APPLICATION_FORM, "b" * 64),
                ],
                Actor("ent901", Role.ENTERPRISE),
                self_assessment=self_assessment(),
            ),
        )
        new_deadline = rules.application_deadline + timedelta(days=30)
        await handle.execute_update(
            AwardCycleWorkflow.extend_deadline, ExtendDeadlineInput(new_deadline, "春节假期顺延", OFFICE)
        )
        await env.sleep(timedelta(days=100))  # past the original deadline
        state = await handle.query(AwardCycleWorkflow.state)
        assert state.stage is CycleStage.CALL_OPEN and state.intake_open and state.deadline == new_deadline
        await env.sleep(timedelta(days=21))  # past the extended deadline
        child = env.client.get_workflow_handle(f"application-{result.application_id}")
        for _ in range(100):
            app_state = await child.query(ApplicationWorkflow.state)
            if app_state.stage is ApplicationStage.QUALIFICATION_DECISION:
                break
            await env.sleep(timedelta(seconds=1))
        assert app_state.stage is ApplicationStage.QUALIFICATION_DECISION
        assert app_state.deadline == new_deadline  # conditions are judged at the extended deadline
        assert (await handle.query(AwardCycleWorkflow.state)).stage is CycleStage.QUALIFICATION_REVIEW
        async with sessions() as s:
            cycle = await s.get(m.Cycle, year)
            assert cycle is not None and cycle.rules["application_deadline"].startswith(
                rules.application_deadline.isoformat()[:19]
            )  # the frozen rules keep the original; the extension is its own record
            assert cycle.rules_revision == rules.rules_revision

        histories = [await handle.fetch_history(), await child.fetch_history()]
    if os.environ.get("AWARD_RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        for h in histories:
            (HISTORIES / f"{h.workflow_id}.json").write_text(h.to_json())
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=workflow_runner()
    )
    for h in histories:
        await replayer.replay_workflow(h)


@pytest.mark.req("P1")
async def test_recorded_histories_still_replay() -> None:
    """Histories recorded by earlier versions must replay on this code: a change that would break
    running cycles fails here (record new ones with AWARD_RECORD_HISTORIES=1)."""
    files = sorted(HISTORIES.glob("*.json"))
    assert files, "no recorded histories"
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=workflow_runner()
    )
    for f in files:
        data = json.loads(f.read_text())
        await replayer.replay_workflow(WorkflowHistory.from_json(f.stem, data))
