"""The document review's durable timers with production durations (days) on the time-skipping
server, driven through the HTTP API: a reminder before the due time, an escalation to the office
once it has passed, and the due time counted by the Civil Code (24:00 CST of the period's last day)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import scores
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from timeskip import award_api, calendar, env, scenario

from config.settings import Settings
from db import models as m
from devstack.scenario import eventually, expect
from domain.calendar import cst_date, due_after, period_end_from
from domain.types import Audience, NoticeKind

CST = ZoneInfo("Asia/Shanghai")
__all__ = ["env"]  # the time-skipping server fixture, shared with the notice-window tests


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


async def user_of(sessions: async_sessionmaker[AsyncSession], expert_id: int) -> int | None:
    async with sessions() as s:
        return await s.scalar(select(m.Expert.user_id).where(m.Expert.id == expert_id))


@pytest.mark.req("R14.2")
@pytest.mark.req("P1")
async def test_document_review_reminds_then_escalates_on_civil_code_days(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        now = await env.get_current_time()
        sc = await scenario(env, api, settings)
        office = sc.office
        await sc.open_cycle(
            application_deadline=(now + timedelta(days=10)).isoformat(),
            document_review_period=timedelta(days=14).total_seconds(),
            review_reminder_before=timedelta(days=2).total_seconds(),
        )
        await sc.enterprise(902, "鹿城评审计时测试有限公司")
        for k in (1, 2, 3):
            await sc.expert(k, fields=("SERVICES",))
        app_id = await sc.apply(902, "INNOVATION")

        async def app() -> dict[str, Any]:
            return expect(await api.get(f"/applications/{app_id}", headers=office), 200)

        # --- the call closes; the office qualifies the application ---------------------------------
        await env.sleep(timedelta(days=10, minutes=1))
        assert (await sc.qualify(app_id))["qualified"] is True
        await sc.wait_cycle("DOCUMENT_REVIEW")

        # --- the office draws the panel; two of three experts score --------------------------------
        before_draw = await env.get_current_time()
        outcome = await sc.draw()
        after_draw = await env.get_current_time()
        assert not outcome["unfilled"]
        seats = outcome["panels"][app_id]
        assert sorted(s["expert_id"] for s in seats) == sorted(sc.experts)
        assert sum(s["leader"] for s in seats) == 1

        a = await sc.wait_stage(app_id, "DOCUMENT_REVIEW")
        due = datetime.fromisoformat(a["due_at"])
        # Civil Code: the day of assignment is not counted; due at 24:00 CST of the 14th day after,
        # or of the first working day after it when that is a rest day (the cycle's calendar).
        cal = await calendar(sc)
        assert due in {
            due_after(before_draw, timedelta(days=14), cal),
            due_after(after_draw, timedelta(days=14), cal),
        }
        local_due = due.astimezone(CST)
        assert local_due.time() == time(0)  # 24:00 of the last day = 00:00 of the next
        fourteenth = {cst_date(before_draw) + timedelta(days=14), cst_date(after_draw) + timedelta(days=14)}
        assert local_due.date() - timedelta(days=1) in {cal.working_day_from(d) for d in fourteenth}
        rolled = max(cal.working_day_from(d) - d for d in fourteenth)
        assert timedelta(days=14) < due - after_draw <= timedelta(days=15) + rolled

        pending, *scorers = sorted(seats, key=lambda s: (not s["leader"], s["expert_id"]))  # the leader waits
        for seat in scorers:
            expect(
                await api.post(
                    f"/applications/{app_id}/scores",
                    headers=sc.expert_heads[seat["expert_id"]],
                    json={"scores": scores(65), "strengths": "", "improvements": ""},
                ),
                200,
            )
        a = await app()
        assert a["scored"]["DOCUMENT"] == sorted(s["expert_id"] for s in scorers)
        assert "OVERDUE" not in a["waiting_for"] and "1 of 3" in a["waiting_for"], a["waiting_for"]

        async def assigned() -> list[m.Notice] | None:
            rows = await notices(sessions, NoticeKind.REVIEW_ASSIGNMENT, app_id)
            return rows if len(rows) >= 3 else None

        assignments = await eventually(assigned)
        users = {s["expert_id"]: await user_of(sessions, s["expert_id"]) for s in seats}
        assert sorted(n.recipient_user_id or 0 for n in assignments) == sorted(u or 0 for u in users.values())

        # --- 11 days on (3 days before the due time): the reminder (2 days before) has not come yet ---
        await env.sleep(due - timedelta(days=3) - await env.get_current_time())
        await env.sleep(timedelta(seconds=3))  # let anything that fired reach the database
        assert await notices(sessions, NoticeKind.REVIEW_REMINDER, app_id) == []
        assert await notices(sessions, NoticeKind.REVIEW_OVERDUE, app_id) == []
        assert datetime.fromisoformat((await app())["due_at"]) == due

        # --- 13 days on (a day before the due time): one reminder, to the expert who has not scored --
        await env.sleep(timedelta(days=2))
        assert due - timedelta(days=2) <= await env.get_current_time() < due

        async def reminded() -> list[m.Notice] | None:
            return await notices(sessions, NoticeKind.REVIEW_REMINDER, app_id) or None

        reminders = await eventually(reminded)
        assert len(reminders) == 1
        assert reminders[0].recipient_user_id == users[pending["expert_id"]]
        assert reminders[0].audience == Audience.EXPERT
        assert await notices(sessions, NoticeKind.REVIEW_OVERDUE, app_id) == []
        assert "OVERDUE" not in (await app())["waiting_for"]

        # --- 15 days on: past the due time, the office is told; the application says OVERDUE -------
        await env.sleep(timedelta(days=2))
        assert await env.get_current_time() > due

        async def escalated() -> list[m.Notice] | None:
            return await notices(sessions, NoticeKind.REVIEW_OVERDUE, app_id) or None

        overdue = await eventually(escalated)
        assert len(overdue) == 1
        assert overdue[0].audience == Audience.OFFICE and overdue[0].recipient_user_id is None

        async def says_overdue() -> dict[str, Any] | None:
            a = await app()
            return a if "OVERDUE" in a["waiting_for"] else None

        a = await eventually(says_overdue)
        assert a["stage"] == "DOCUMENT_REVIEW" and datetime.fromisoformat(a["due_at"]) == due
        assert len(await notices(sessions, NoticeKind.REVIEW_REMINDER, app_id)) == 1  # not reminded again

        # Later days add nothing: one reminder and one escalation per due time.
        await env.sleep(timedelta(days=5))
        assert len(await notices(sessions, NoticeKind.REVIEW_REMINDER, app_id)) == 1
        assert len(await notices(sessions, NoticeKind.REVIEW_OVERDUE, app_id)) == 1


@pytest.mark.req("R14.1")
@pytest.mark.req("P1")
async def test_qualification_decision_is_reminded_before_its_due_date_and_escalated_after(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    """Production rules: 30 days for the decision from the deadline (Civil Code), the office
    reminded 5 days before and told once the date has passed; the decision is still taken."""
    async with award_api(env, settings, sessions, temporal_client) as api:
        sc = await scenario(env, api, settings)
        deadline = await env.get_current_time() + timedelta(days=2)
        await sc.open_cycle(application_deadline=deadline.isoformat())
        await sc.enterprise(903, "鹿城资格审查计时测试有限公司")
        app_id = await sc.apply(903, "QUALITY")
        await env.sleep(timedelta(days=2, minutes=1))  # the call closes
        a = await sc.wait_stage(app_id, "QUALIFICATION_DECISION")
        due = datetime.fromisoformat(a["due_at"])
        assert due == period_end_from(deadline, days=30, calendar=await calendar(sc))

        await env.sleep(due - timedelta(days=5, hours=1) - await env.get_current_time())
        await env.sleep(timedelta(seconds=3))
        assert await notices(sessions, NoticeKind.QUALIFICATION_REMINDER, app_id) == []

        await env.sleep(timedelta(hours=2))  # inside the reminder's window

        async def reminded() -> list[m.Notice] | None:
            return await notices(sessions, NoticeKind.QUALIFICATION_REMINDER, app_id) or None

        [reminder] = await eventually(reminded, what="the reminder to the office")
        assert reminder.audience == Audience.OFFICE and "资格审查决定将于" in reminder.body
        assert await notices(sessions, NoticeKind.QUALIFICATION_OVERDUE, app_id) == []

        await env.sleep(due - await env.get_current_time() + timedelta(minutes=1))  # past the due date

        async def escalated() -> list[m.Notice] | None:
            return await notices(sessions, NoticeKind.QUALIFICATION_OVERDUE, app_id) or None

        [overdue] = await eventually(escalated, what="the escalation to the office")
        assert overdue.audience == Audience.OFFICE and "已于" in overdue.body

        async def says_overdue() -> dict[str, Any] | None:
            a = await sc.app(app_id)
            return a if "OVERDUE" in a["waiting_for"] else None

        await eventually(says_overdue, what="the application's waiting text")
        await env.sleep(timedelta(days=3))  # one reminder and one escalation per due date
        assert len(await notices(sessions, NoticeKind.QUALIFICATION_REMINDER, app_id)) == 1
        assert len(await notices(sessions, NoticeKind.QUALIFICATION_OVERDUE, app_id)) == 1
        assert (await sc.qualify(app_id))["qualified"] is True  # a late decision is still taken
