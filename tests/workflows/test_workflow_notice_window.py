"""The 7-day public notice (初选公示, R14.7) at its edges, on the time-skipping server, driven
through the HTTP API the way its users drive it: production rules (a real 7-day notice counted by
the Civil Code, no demo), the clock moved only by `env.sleep`.

The window opens at publication and closes at 24:00 CST of the 7th day after it: an objection one
minute before the close is accepted, one a minute after is refused with the close named in CST; an
objection in the first minute is accepted, and the cycle does not leave the notice until its
investigation has reported; a substantiated objection takes the candidate off the final list (R14.8).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import httpx
import pytest
from conftest import ADMIN, bootstrap_admin, reset_state
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.constants import SEARCH_ATTRIBUTES
from config.settings import Settings
from devstack.scenario import Scenario, eventually, expect
from devstack.temporal import test_server_binary as time_skipping_server
from domain.calendar import CST, cst_date, format_cst_date, period_end_from
from domain.publicity import format_close
from worker.main import build_worker

QUEUE = "time-skipping-notice"


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server per test: its clock starts at the real time, so the API's
    checks against the wall clock (rules year, deadline in the future) agree with the workflows'."""
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


@asynccontextmanager
async def award_api(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    dev_client: Client,
    worker: Callable[
        [Client, async_sessionmaker[AsyncSession], str], AbstractAsyncContextManager[Any]
    ] = build_worker,
) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the time-skipping server with a worker on the same queue, from an empty state."""
    # Terminates the dev server's workflows (other tests') and empties the tables. The time-skipping
    # server cannot list workflows (ListWorkflowExecutions is unimplemented), so reset_state cannot
    # be given env.client: the fixture starts a fresh server per test instead.
    await reset_state(dev_client, sessions)
    # The API's own checks (the call's deadline, the notice's window) use the server's clock.
    app = create_app(
        settings.model_copy(update={"task_queue": QUEUE}), env.client, clock=env.get_current_time
    )
    async with worker(env.client, sessions, QUEUE), app.router.lifespan_context(app):
        await bootstrap_admin(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=60) as api:
            yield api


@dataclass
class Notice:
    scenario: Scenario
    published_at: datetime
    closes_at: datetime
    listed: list[str]  # application ids on the preliminary list


async def cycle(sc: Scenario) -> dict[str, Any]:
    return expect(await sc.api.get(f"/cycles/{sc.year}", headers=sc.office), 200)


async def scenario(env: WorkflowEnvironment, api: httpx.AsyncClient, settings: Settings) -> Scenario:
    """Next year's cycle, driven by the office and the admin of the test installation."""
    now = await env.get_current_time()
    office = await Scenario.login(api, settings.bootstrap_office_username, settings.bootstrap_office_password)
    return Scenario(api=api, office=office, year=now.year + 1, admin=await Scenario.login(api, *ADMIN))


async def to_public_notice(env: WorkflowEnvironment, api: httpx.AsyncClient, settings: Settings) -> Notice:
    """Open a production cycle (1-hour call, real 7-day notice), take two enterprises through the
    reviews and the plenary (all approve), and return the published notice window."""
    now = await env.get_current_time()
    sc = await scenario(env, api, settings)
    await sc.open_cycle(application_deadline=(now + timedelta(hours=1)).isoformat())
    assert sc.rules.get("demo") is None and "public_notice_period" not in sc.rules  # the 7-day default

    await sc.enterprise(1, "鹿城公示测试一号有限公司")
    await sc.enterprise(2, "鹿城公示测试二号有限公司")
    for k in range(1, 7):
        await sc.expert(k)
    a1 = await sc.apply(1, "QUALITY", self_pct=80)
    a2 = await sc.apply(2, "INNOVATION", self_pct=80)

    await env.sleep(timedelta(hours=1, minutes=1))  # the call closes
    for a in (a1, a2):
        assert (await sc.qualify(a))["qualified"] is True
    await sc.wait_cycle("DOCUMENT_REVIEW")
    await sc.draw()
    for a in (a1, a2):
        await sc.document_review(a, 80)
    await sc.onsite_list([a1, a2])
    await sc.wait_cycle("ONSITE_REVIEW")
    visit = cst_date(await env.get_current_time())
    await sc.draw(visits={a1: visit, a2: visit})
    for a in (a1, a2):
        await sc.onsite_review(a, 80)

    meeting = await sc.convene()
    assert sorted(meeting["candidates"]) == sorted([a1, a2])
    for member in sc.committee:
        expect(
            await sc.vote(meeting["meeting_id"], member, dict.fromkeys(meeting["candidates"], "APPROVE")),
            200,
        )
    await sc.wait_cycle("PUBLIC_NOTICE")

    async def window_open() -> dict[str, Any] | None:  # published and the workflow holds the window
        c = await cycle(sc)
        return c if c["waiting_for"].startswith("Public notice (初选公示) until") else None

    await eventually(window_open, what="the notice window in the cycle")
    pub = expect(await api.get(f"/public/preliminary/{sc.year}"), 200)
    return Notice(
        sc,
        datetime.fromisoformat(pub["published_at"]),
        datetime.fromisoformat(pub["closes_at"]),
        [w["application_id"] for w in pub["list"]],
    )


async def object_to(sc: Scenario, application_id: str, facts: str, **who: Any) -> httpx.Response:
    body = {
        "application_id": application_id,
        "facts": facts,
        **(who or {"name": "张三", "contact": "13800000000"}),
    }
    return await sc.api.post(f"/public/objections/{sc.year}", json=body)


def assert_civil_code_window(n: Notice) -> None:
    """Closes at 24:00 CST (00:00 of the next day) of the 7th day after the publication date."""
    assert n.closes_at == period_end_from(n.published_at, days=7)
    local = n.closes_at.astimezone(CST)
    assert local.time() == time(0)
    assert local.date() == cst_date(n.published_at) + timedelta(days=8)
    assert timedelta(days=7) < n.closes_at - n.published_at <= timedelta(days=8)


@pytest.mark.req("R14.7")
async def test_objection_one_minute_before_the_close_is_accepted_one_minute_after_refused(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        a1, a2 = sorted(sc.applications.values())
        assert sorted(n.listed) == [a1, a2]
        assert_civil_code_window(n)
        now = await env.get_current_time()
        assert n.published_at <= now < n.closes_at

        # Six days on, the notice is still open and the cycle waits in it.
        await env.sleep(n.closes_at - now - timedelta(minutes=1))
        now = await env.get_current_time()
        assert n.closes_at - timedelta(minutes=1) <= now < n.closes_at
        c = await cycle(sc)
        assert c["stage"] == "PUBLIC_NOTICE", c

        # 23:59 CST of the last day: accepted, and (named) investigated.
        r = await object_to(sc, a1, "该企业申报材料中的获奖证明与实际不符")
        filed = expect(r, 201)
        assert filed["investigated"] is True
        assert datetime.fromisoformat(filed["closes_at"]) == n.closes_at
        assert await env.get_current_time() < n.closes_at  # it really was filed inside the window

        # 00:01 CST of the next day: refused, the close named in CST.
        await env.sleep(timedelta(minutes=2))
        assert await env.get_current_time() > n.closes_at

        async def notice_closed() -> dict[str, Any] | None:
            c = await cycle(sc)
            return c if c["waiting_for"].startswith("Notice closed") else None

        c = await eventually(notice_closed, what="the notice timer to fire")
        assert c["stage"] == "PUBLIC_NOTICE"  # the named objection is being investigated
        assert "1 investigation" in c["waiting_for"]

        r = await object_to(sc, a2, "公示期满后提出的异议")
        assert r.status_code == 409, r.text
        err = r.json()
        assert err["code"] == "OBJECTION_WINDOW_CLOSED", err
        last_day = n.closes_at.astimezone(CST).date() - timedelta(days=1)
        close_cst = format_close(n.closes_at)
        assert close_cst == f"{format_cst_date(last_day)} 24:00"  # e.g. 2026年12月4日 24:00
        assert f"公示期已于{close_cst}（北京时间）届满" in err["message_zh"], err
        assert f"{close_cst} CST" in err["message_en"], err
        assert datetime.fromisoformat(err["details"]["closes_at"]) == n.closes_at

        objections = (await api.get("/objections", params={"year": sc.year}, headers=sc.office)).json()
        assert [(o["id"], o["application_id"], o["state"]) for o in objections] == [
            (filed["objection_id"], a1, "INVESTIGATING")
        ]  # the refused one left no record


@pytest.mark.req("R14.7")
@pytest.mark.req("R14.8")
async def test_first_minute_objection_holds_the_notice_until_investigated_and_removes_the_candidate(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        a1, a2 = sorted(sc.applications.values())
        assert_civil_code_window(n)

        # The first minute of the notice: a named objection is accepted and investigated; an
        # anonymous one is recorded only (the default rules).
        assert await env.get_current_time() - n.published_at < timedelta(minutes=1)
        filed = expect(await object_to(sc, a1, "该企业近三年发生过质量安全事故，申报时未如实说明"), 201)
        assert filed["investigated"] is True
        anon = expect(await object_to(sc, a2, "匿名反映：该企业存在违规宣传", anonymous=True), 201)
        assert anon["investigated"] is False
        assert await env.get_current_time() - n.published_at < timedelta(minutes=1)

        investigator = await sc.account("investigator1", "office", "investigator-pass-1", "调查人甲")
        before = await env.get_current_time()
        assigned = expect(
            await api.post(
                f"/objections/{filed['objection_id']}/investigator",
                headers=sc.office,
                json={"username": "investigator1"},
            ),
            200,
        )
        assert assigned["investigator"] == "investigator1"
        after = await env.get_current_time()
        due = datetime.fromisoformat(assigned["due_at"])  # 10 days by the Civil Code, after the close
        assert due in {period_end_from(before, days=10), period_end_from(after, days=10)}
        assert due > n.closes_at

        # Past the close: the notice is over but the cycle waits for the report.
        await env.sleep(n.closes_at - await env.get_current_time() + timedelta(minutes=1))

        async def notice_closed() -> dict[str, Any] | None:
            c = await cycle(sc)
            return c if c["waiting_for"].startswith("Notice closed") else None

        c = await eventually(notice_closed, what="the notice timer to fire")
        assert c["stage"] == "PUBLIC_NOTICE" and "1 investigation" in c["waiting_for"], c
        await env.sleep(timedelta(hours=12))  # a while longer: still held
        c = await cycle(sc)
        assert c["stage"] == "PUBLIC_NOTICE", c
        r = await api.post(f"/cycles/{sc.year}/final-list", headers=sc.committee["chair"], json={})
        assert r.status_code == 409 and r.json()["code"] == "FINAL_LIST_NOT_OPEN", r.text

        findings = "经调查核实，该企业2025年发生一般质量安全事故，申报时未如实说明"
        reported = expect(
            await api.post(
                f"/objections/{filed['objection_id']}/report",
                headers=investigator,
                json={"findings": findings, "conclusion": "SUBSTANTIATED"},
            ),
            200,
        )
        assert reported["conclusion"] == "SUBSTANTIATED"
        await sc.wait_cycle("FINAL_LIST")

        final = expect(
            await api.post(
                f"/cycles/{sc.year}/final-list",
                headers=sc.committee["chair"],
                json={"note": "根据异议调查结果确定拟授奖名单"},
            ),
            200,
        )
        assert list(final["removed"]) == [a1]
        assert findings in final["removed"][a1]
        assert [w["application_id"] for w in final["winners"]] == [a2]

        objections = (await api.get("/objections", params={"year": sc.year}, headers=sc.office)).json()
        assert {o["id"]: (o["state"], o["conclusion"]) for o in objections} == {
            filed["objection_id"]: ("REPORTED", "SUBSTANTIATED"),
            anon["objection_id"]: ("RECORDED", ""),
        }

        # The district government approves; the result leaves out the removed candidate.
        expect(
            await api.post(
                f"/cycles/{sc.year}/approval",
                headers=sc.government,
                json={"approved": True, "document_no": f"鹿政发〔{sc.year}〕8号"},
            ),
            200,
        )
        await sc.wait_cycle("COMPLETED")
        result = expect(await api.get(f"/public/results/{sc.year}"), 200)
        assert [w["application_id"] for w in result["winners"]] == [a2]
        assert result["approval_document_no"] == f"鹿政发〔{sc.year}〕8号"


@pytest.mark.req("R14.7")
async def test_notice_without_objections_ends_at_the_close_and_refuses_later_objections(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        a1, _ = sorted(sc.applications.values())
        assert_civil_code_window(n)
        assert (await api.get("/objections", params={"year": sc.year}, headers=sc.office)).json() == []

        # A minute before the close the cycle is still in the notice; a minute after, with nothing
        # to investigate, it has moved on to the final list.
        await env.sleep(n.closes_at - await env.get_current_time() - timedelta(minutes=1))
        c = await cycle(sc)
        assert c["stage"] == "PUBLIC_NOTICE" and c["waiting_for"].startswith("Public notice"), c
        await env.sleep(timedelta(minutes=2))
        await sc.wait_cycle("FINAL_LIST")
        r = await api.post(f"/cycles/{sc.year}/final-list", headers=sc.committee["chair"], json={})
        final = expect(r, 200)
        assert final["removed"] == {} and len(final["winners"]) == 2

        # A late objection is told the notice closed, and when (as it is while an investigation
        # holds the cycle in the notice, see the first test). FAILS today: once the cycle has left
        # PUBLIC_NOTICE, the first check of AwardCycleWorkflow._check_objection (workflows/cycle.py) answers
        # 409 OBJECTION_WINDOW_NOT_OPEN "当前没有进行中的公示" / "No public notice is open" before it
        # ever reaches check_objection_window, i.e. the code that domain.publicity reserves for a
        # notice not yet published, with no close time.
        r = await object_to(sc, a1, "公示期满后提出的异议")
        assert r.status_code == 409, r.text
        err = r.json()
        assert err["code"] == "OBJECTION_WINDOW_CLOSED", err
        assert f"公示期已于{format_close(n.closes_at)}（北京时间）届满" in err["message_zh"], err
        assert f"{format_close(n.closes_at)} CST" in err["message_en"], err
        assert datetime.fromisoformat(err["details"]["closes_at"]) == n.closes_at
