"""The document review's durable timers with production durations (days) on the time-skipping
server: a reminder before the due time, an escalation to the office once it has passed, and the
due time counted by the Civil Code (24:00 CST of the period's last day)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from conftest import reset_state
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import credit_code, self_assessment
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from config.constants import SEARCH_ATTRIBUTES
from contracts.application import ApplicationState, DecideQualificationInput, ExpertScoreInput
from contracts.common import Actor
from contracts.cycle import CycleState, DrawPanelsInput, StartCycleInput, SubmitApplicationInput
from db import models as m
from devstack.temporal import test_server_binary as time_skipping_server
from domain.calendar import cst_date, due_after
from domain.eligibility import CheckStatus
from domain.intake import DocumentRef
from domain.qualification import ConditionDecision, QualificationDecision
from domain.review import ReviewPurpose
from domain.rules import CycleRules
from domain.types import ApplicationStage, Audience, Award, CycleStage, DocumentKind, NoticeKind, Role
from worker.main import build_worker
from workflows.application import ApplicationWorkflow
from workflows.cycle import AwardCycleWorkflow, start_cycle

QUEUE = "time-skipping-review"
OFFICE = Actor("office", Role.OFFICE, "区评审办")
CST = ZoneInfo("Asia/Shanghai")
ENTERPRISE_NO = 902
T = TypeVar("T")


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


async def until(
    env: WorkflowEnvironment, probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], *, tries: int = 60
) -> T:
    """Poll `probe` (a query or a DB read), moving the clock a second at a time, until `ok` holds."""
    value = await probe()
    for _ in range(tries):
        if ok(value):
            return value
        await env.sleep(timedelta(seconds=1))
        value = await probe()
    assert ok(value), f"condition not reached after {tries} polls; last value: {value!r}"
    return value


async def notices(
    sessions: async_sessionmaker[AsyncSession], kind: NoticeKind, application_id: str
) -> list[m.Notice]:
    async with sessions() as s:
        rows = await s.scalars(
            select(m.Notice)
            .where(m.Notice.kind == kind, m.Notice.application_id == application_id)
            .order_by(m.Notice.id)
        )
        return list(rows.all())


async def seed_people(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, dict[int, int]]:
    """One enterprise and three active, available SERVICES experts with user accounts.
    Returns (enterprise id, {expert id: user id})."""
    async with sessions.begin() as s:
        ent = m.Enterprise(
            credit_code=credit_code(ENTERPRISE_NO),
            name="鹿城评审计时测试有限公司",
            registered_district="鹿城区",
            tax_district="鹿城区",
            independent_legal_person=True,
            registration_date=date(2010, 1, 1),
            field="SERVICES",
            sector_tags=[],
        )
        s.add(ent)
        experts: list[m.Expert] = []
        for n in range(1, 4):
            user = m.User(
                username=f"expert-rt-{n}",
                display_name=f"评审专家{n}",
                password_hash="not-a-real-hash",
                role="expert",
            )
            s.add(user)
            await s.flush()
            expert = m.Expert(
                user_id=user.id,
                name=f"评审专家{n}",
                qualifications=["卓越绩效评价师"],
                fields=["SERVICES"],
                current_employer_credit_code=None,
                current_employer_name="",
                available=True,
                status="ACTIVE",
            )
            s.add(expert)
            experts.append(expert)
        await s.flush()
        return ent.id, {e.id: e.user_id for e in experts if e.user_id is not None}


@pytest.mark.req("R14.2")
@pytest.mark.req("P1")
async def test_document_review_reminds_then_escalates_on_civil_code_days(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], temporal_client: Client
) -> None:
    await reset_state(temporal_client, sessions)
    enterprise_id, users = await seed_people(sessions)
    assert len(users) == 3

    now = await env.get_current_time()
    year = now.year + 1
    rules = CycleRules(
        year=year,
        application_deadline=now + timedelta(days=10),
        document_review_period=timedelta(days=14),
        review_reminder_before=timedelta(days=2),
        panel_size=3,
        expert_load_cap=5,
    )
    async with build_worker(env.client, sessions, QUEUE):
        await start_cycle(
            env.client, StartCycleInput(rules, OFFICE), task_queue=QUEUE, rpc_timeout=timedelta(seconds=10)
        )
        cycle = env.client.get_workflow_handle(f"award-cycle-{year}")
        await cycle.execute_update(AwardCycleWorkflow.wait_opened, result_type=CycleState)
        submitted = await cycle.execute_update(
            AwardCycleWorkflow.submit_application,
            SubmitApplicationInput(
                enterprise_id,
                credit_code(ENTERPRISE_NO),
                "鹿城评审计时测试有限公司",
                Award.INNOVATION,
                "SERVICES",
                [],
                [
                    DocumentRef(DocumentKind.SELF_ASSESSMENT_REPORT, "c" * 64),
                    DocumentRef(DocumentKind.APPLICATION_FORM, "d" * 64),
                ],
                Actor(f"ent{ENTERPRISE_NO}", Role.ENTERPRISE),
                self_assessment=self_assessment(),
            ),
        )
        app_id = submitted.application_id
        app = env.client.get_workflow_handle(f"application-{app_id}")

        async def app_state() -> ApplicationState:
            return await app.query(ApplicationWorkflow.state)

        async def cycle_state() -> CycleState:
            return await cycle.query(AwardCycleWorkflow.state)

        # --- the call closes; the office qualifies the application ---------------------------------
        await env.sleep(timedelta(days=10, minutes=1))
        state = await until(env, app_state, lambda s: s.stage is ApplicationStage.QUALIFICATION_DECISION)
        assert state.checks
        decisions = tuple(
            ConditionDecision(c.condition, CheckStatus.PASS, "经评审办核实，符合条件")
            for c in state.checks
            if c.status is not CheckStatus.PASS
        )
        result = await app.execute_update(
            ApplicationWorkflow.decide_qualification,
            DecideQualificationInput(QualificationDecision(decisions, material_truthful=True), OFFICE),
        )
        assert result.qualified
        await until(env, cycle_state, lambda s: s.stage is CycleStage.DOCUMENT_REVIEW)

        # --- the office draws the panel; two of three experts score --------------------------------
        before_draw = await env.get_current_time()
        outcome = await cycle.execute_update(AwardCycleWorkflow.draw_panels, DrawPanelsInput(OFFICE))
        after_draw = await env.get_current_time()
        assert not outcome.unfilled
        seats = outcome.panels[app_id]
        assert sorted(s.expert_id for s in seats) == sorted(users)
        assert sum(s.leader for s in seats) == 1

        state = await until(
            env,
            app_state,
            lambda s: s.stage is ApplicationStage.DOCUMENT_REVIEW and ReviewPurpose.DOCUMENT in s.review_due,
        )
        due = state.review_due[ReviewPurpose.DOCUMENT]
        # Civil Code: the day of assignment is not counted; due at 24:00 CST of the 14th day after.
        assert due in {due_after(before_draw, timedelta(days=14)), due_after(after_draw, timedelta(days=14))}
        local_due = due.astimezone(CST)
        assert local_due.time() == time(0)  # 24:00 of the last day = 00:00 of the next
        assert local_due.date() - timedelta(days=1) in {
            cst_date(before_draw) + timedelta(days=14),
            cst_date(after_draw) + timedelta(days=14),
        }
        assert timedelta(days=14) < due - after_draw <= timedelta(days=15)

        pending, *scorers = sorted(seats, key=lambda s: (not s.leader, s.expert_id))  # the leader waits
        for seat in scorers:
            await app.execute_update(
                ApplicationWorkflow.submit_expert_score,
                ExpertScoreInput(
                    seat.expert_id,
                    self_assessment(65),
                    "",
                    "",
                    Actor(f"expert-rt-{seat.expert_id}", Role.EXPERT),
                ),
            )
        state = await until(env, app_state, lambda s: len(s.scored.get(ReviewPurpose.DOCUMENT, [])) == 2)
        assert state.scored[ReviewPurpose.DOCUMENT] == sorted(s.expert_id for s in scorers)
        assert "OVERDUE" not in state.waiting_for
        assignments = await until(
            env, lambda: notices(sessions, NoticeKind.REVIEW_ASSIGNMENT, app_id), lambda r: len(r) >= 3
        )
        assert sorted(n.recipient_user_id for n in assignments) == sorted(users.values())

        # --- 11 days on: the reminder (2 days before the due time) has not come yet -----------------
        await env.sleep(timedelta(days=11))
        await env.sleep(timedelta(seconds=3))  # let anything that fired reach the database
        assert await notices(sessions, NoticeKind.REVIEW_REMINDER, app_id) == []
        assert await notices(sessions, NoticeKind.REVIEW_OVERDUE, app_id) == []
        assert (await app_state()).review_due[ReviewPurpose.DOCUMENT] == due

        # --- 13 days on: one reminder, to the expert who has not scored ----------------------------
        await env.sleep(timedelta(days=2))
        assert await env.get_current_time() >= due - rules.review_reminder_before
        assert await env.get_current_time() < due
        reminders = await until(
            env, lambda: notices(sessions, NoticeKind.REVIEW_REMINDER, app_id), lambda r: len(r) >= 1
        )
        assert len(reminders) == 1
        assert reminders[0].recipient_user_id == users[pending.expert_id] == pending.user_id
        assert reminders[0].audience == Audience.EXPERT
        assert await notices(sessions, NoticeKind.REVIEW_OVERDUE, app_id) == []
        assert "OVERDUE" not in (await app_state()).waiting_for

        # --- 15 days on: past the due time, the office is told; the application says OVERDUE -------
        await env.sleep(timedelta(days=2))
        assert await env.get_current_time() > due
        overdue = await until(
            env, lambda: notices(sessions, NoticeKind.REVIEW_OVERDUE, app_id), lambda r: len(r) >= 1
        )
        assert len(overdue) == 1
        assert overdue[0].audience == Audience.OFFICE and overdue[0].recipient_user_id is None
        state = await until(env, app_state, lambda s: "OVERDUE" in s.waiting_for)
        assert state.stage is ApplicationStage.DOCUMENT_REVIEW
        assert state.review_due[ReviewPurpose.DOCUMENT] == due
        assert len(await notices(sessions, NoticeKind.REVIEW_REMINDER, app_id)) == 1  # not reminded again

        # Later days add nothing: one reminder and one escalation per due time.
        await env.sleep(timedelta(days=5))
        assert len(await notices(sessions, NoticeKind.REVIEW_REMINDER, app_id)) == 1
        assert len(await notices(sessions, NoticeKind.REVIEW_OVERDUE, app_id)) == 1
