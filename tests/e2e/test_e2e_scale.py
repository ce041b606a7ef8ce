"""One cycle of any size (P5, P6): the largest history of each workflow type is the same for 300
applications and 2,000 public objections as for 20 applications and 20 objections.

Two whole cycles are driven through the HTTP API as their users drive them (devstack.load, the
driver of `make bench`), concurrently, with demo rules counted in seconds: intake, qualification,
document review with every panel drawn and scored, the on-site list, on-site review, the plenary,
the public notice with its objections (a few named ones investigated, the rest anonymous), the
final list, approval and certificates. Then every history of each year is read back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest
from conftest import ADMIN, OFFICE, bootstrap_admin, reset_state
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import bootstrap_office, create_app
from config.settings import RateLimit, Settings
from db import models as m
from devstack import load
from devstack.load import Census, Cycle, HttpStats, Plan, settled_census
from domain.calendar import cst_date

MAX_EVENTS = 10_240  # Temporal's warning threshold: no run may come near it
MAX_BYTES = 10 * 1024 * 1024


def plan(n: int, objections: int, notice_seconds: int) -> Plan:
    experts = 3 * (n + 4) // 30 + 4  # every expert sits on at most 30 panels (the rules' cap)
    p = Plan(
        n=n,
        concurrency=24,
        experts=experts,
        load_cap=30,
        onsite=4,
        objections=objections,
        intake_seconds=5 + 0.1 * n,  # 35 s for 300: submissions take ~0.06 s each on an idle 2-core machine
        notice_seconds=notice_seconds,
        wait_seconds=120 + n,
        named_objections=4,
    )
    p.rules = {
        "demo": True,
        "panel_size": 3,
        "expert_load_cap": p.load_cap,
        "onsite_threshold": 500,
        # long enough that nobody is reminded or late: the histories compare like for like
        "document_review_period": 3600,
        "review_reminder_before": 60,
        "onsite_confirmation_period": 3600,
        "onsite_reminder_before": 60,
        "public_notice_period": notice_seconds,
        "objection_investigation_period": 3600,
        "objection_reminder_before": 60,
    }
    return p


@pytest.fixture
async def scale_api(
    settings: Settings, temporal_client: Client, worker: None, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[httpx.AsyncClient, Callable[[], Awaitable[None]]]]:
    """The API, and a way back to an empty installation (no workflows, no records, the first
    accounts); the objection limits let 2,000 objections in from one test client (the limits
    themselves are tested in tests/api/test_api_rate_limits.py)."""
    cfg = settings.model_copy(
        update={
            "rate_limit_objection_per_ip": RateLimit(100_000, 3600),
            "rate_limit_objection_per_application": RateLimit(100_000, 3600),
        }
    )
    app = create_app(cfg, temporal_client)

    async def empty() -> None:
        await reset_state(temporal_client, sessions)
        await bootstrap_office(app)
        await bootstrap_admin(settings)

    async with app.router.lifespan_context(app):
        await empty()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=120) as api:
            yield api, empty


async def whole_cycle(api: httpx.AsyncClient, client: Client, year: int, p: Plan) -> Census:
    cycle = Cycle(api, HttpStats(), p, year, office=OFFICE, admin=ADMIN)
    started = time.perf_counter()
    await cycle.setup()
    setup = time.perf_counter() - started
    await cycle.procedure()
    found = await settled_census(client, f"AwardYear = {year} AND ExecutionStatus != 'Terminated'")
    stages = ", ".join(f"{s.name} {s.seconds:.1f}s" for s in cycle.clock.stages)
    print(f"N={p.n}: set-up {setup:.1f}s; {stages}; largest histories {largest(found)}")
    return found


def largest(census: Census) -> dict[str, tuple[int, int]]:
    return {row["workflow_type"]: (row["max_events"], row["max_bytes"]) for row in census.largest()}


@pytest.mark.req("P5")
@pytest.mark.req("P6")
@pytest.mark.req("P1")
@pytest.mark.req("P3")
@pytest.mark.slow
async def test_histories_are_as_long_for_300_applications_and_2000_objections_as_for_20(
    scale_api: tuple[httpx.AsyncClient, Callable[[], Awaitable[None]]],
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    load.QUIET = True
    api, empty = scale_api
    year = cst_date(datetime.now(UTC)).year + 1
    small = await whole_cycle(api, temporal_client, year, plan(20, 20, notice_seconds=8))
    await empty()  # the same year again, from nothing: only the size differs
    large = await whole_cycle(api, temporal_client, year, plan(300, 2000, notice_seconds=35))

    s, big = largest(small), largest(large)
    assert (
        set(s)
        == set(big)
        == {"AwardCycleWorkflow", "ApplicationWorkflow", "ObjectionWorkflow", "AwardWorkflow"}
    )
    report = {kind: (s[kind], big[kind]) for kind in s}
    for (events_20, bytes_20), (events_300, bytes_300) in report.values():
        # the same path gives the same history: a few events of margin for wake-ups that two
        # concurrent last commits may both send, and for timers of a slower machine
        assert events_300 <= events_20 + max(12, events_20 // 20), report
        assert bytes_300 <= bytes_20 * 1.1 + 4096, report
        assert events_300 <= MAX_EVENTS and bytes_300 <= MAX_BYTES, report
    # the counts the comparison rests on: 300 applications and 2,000 objections went through
    async with sessions() as db:
        stored = await db.scalar(
            select(func.count()).select_from(m.Objection).where(m.Objection.cycle_year == year)
        )
    assert stored == 2000
    runs = {kind: sum(1 for r in large.runs if r.workflow_type == kind) for kind in big}
    assert runs["ApplicationWorkflow"] == 300 and runs["ObjectionWorkflow"] == 4, runs
    assert large.total / 300 <= 40, f"{large.total / 300:.1f} actions per application"
