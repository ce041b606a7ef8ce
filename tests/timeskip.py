"""The time-skipping server behind the API, shared by the tests whose months pass in seconds:
a fresh server per test (its clock starts at the real time), the API with the server's clock, a
worker on the same queue, and a cycle taken to its public notice the way its users take it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import ADMIN, DATA_CONVERTER, bootstrap_admin, reset_state
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.constants import SEARCH_ATTRIBUTES
from config.settings import Settings
from devstack.holidays import calendar_of
from devstack.ports import free_port
from devstack.scenario import Scenario, eventually, expect
from devstack.temporal import test_server_binary as time_skipping_server
from domain.calendar import HolidayCalendar, cst_date
from worker.main import build_worker

QUEUE = "time-skipping-notice"


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server per test: its clock starts at the real time, so the API's
    checks against the wall clock (rules year, deadline in the future) agree with the workflows'."""
    e = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=str(time_skipping_server())
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
    await reset_state(dev_client, sessions)  # with the rest-day data of the years the tests reach
    # The API's own checks (the call's deadline, the notice's window) use the server's clock.
    app = create_app(
        settings.model_copy(update={"task_queue": QUEUE}), env.client, clock=env.get_current_time
    )
    async with worker(env.client, sessions, QUEUE), app.router.lifespan_context(app):
        await bootstrap_admin(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=60) as api:
            yield api


class _Uvicorn(uvicorn.Server):
    """uvicorn in the test's own event loop, leaving the process's signal handlers alone (pytest
    and .ci/run stop a run with SIGINT, which must reach the fixtures)."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # older uvicorn
        pass


@asynccontextmanager
async def served_award_api(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    dev_client: Client,
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """`award_api`, served on a real port of 127.0.0.1 (for a browser): (base URL, a client of it).
    The server runs in the test's event loop, beside the worker and the time-skipping client."""
    await reset_state(dev_client, sessions)
    app = create_app(
        settings.model_copy(update={"task_queue": QUEUE}), env.client, clock=env.get_current_time
    )
    async with build_worker(env.client, sessions, QUEUE), app.router.lifespan_context(app):
        await bootstrap_admin(settings)
        port = free_port()
        server = _Uvicorn(
            uvicorn.Config(
                app, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False
            )
        )
        serving = asyncio.create_task(server.serve())
        try:
            for _ in range(200):
                if server.started or serving.done():
                    break
                await asyncio.sleep(0.05)
            assert server.started, "uvicorn did not start"
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, timeout=60) as api:
                yield base, api
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, 30)


@dataclass
class Notice:
    scenario: Scenario
    published_at: datetime
    closes_at: datetime
    listed: list[str]  # application ids on the preliminary list
    calendar: HolidayCalendar | None = None  # the rest days frozen into the cycle's rules


async def calendar(sc: Scenario) -> HolidayCalendar:
    """The rest days a production cycle froze into its rules when it started: what every expected
    date of a test is counted with (domain.calendar.period_end, the one function)."""
    frozen = calendar_of((await cycle(sc))["rules"])
    assert frozen is not None and frozen.covers(sc.year)
    return frozen


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
        await calendar(sc),
    )
