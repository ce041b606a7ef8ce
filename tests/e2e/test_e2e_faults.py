"""Honest answers under faults (issue 8 point 7, P7), against real servers: PostgreSQL stopped under a
running API, a connection lost while PostgreSQL commits, a network that swallows connections, and 50
ballots of one member at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN, OFFICE, bootstrap_admin
from fastapi import FastAPI
from pg_proxy import PgProxy
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Receive, Scope, Send
from support import (
    application_documents,
    credit_code,
    enterprise_body,
    in_seconds,
    open_cycle,
    register_enterprise,
    self_assessment,
)
from temporalio.client import Client
from test_e2e_committee import through_review

from api.app import create_app
from config.settings import Settings
from db.migrate import upgrade
from devstack.ports import free_port
from devstack.postgres import EmbeddedPostgres
from devstack.scenario import COMMITTEE, Scenario, expect

# peak number of pool connections one request held at once: (current, peak)
_held: ContextVar[list[int] | None] = ContextVar("held_connections", default=None)


@asynccontextmanager
async def serve(settings: Settings, temporal: Client, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An API of its own (settings changed by `changes`), driven in process like the `api` fixture."""
    app = create_app(settings.model_copy(update=changes), temporal)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=60) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def assert_unavailable(r: httpx.Response, *codes: str) -> None:
    assert r.status_code == 503, (r.request.method, r.request.url.path, r.status_code, r.text)
    body = r.json()
    assert body["code"] in codes, body
    assert body["message_zh"] and body["message_en"]
    assert int(r.headers["retry-after"]) > 0
    assert r.headers["x-content-type-options"] == "nosniff"


# --- PostgreSQL stopped under a running API -------------------------------------------------------------
@pytest.fixture
def own_postgres(run_dir: Path) -> Iterator[tuple[EmbeddedPostgres, str]]:
    """A PostgreSQL server of this test alone, so that stopping it stops nobody else's tests."""
    server = EmbeddedPostgres(run_dir / "pg-outage", free_port())
    server.start()
    try:
        url = server.create_database("award_outage")
        upgrade(url)
        yield server, url
    finally:
        server.stop()


@pytest.mark.req("P7")
@pytest.mark.slow
async def test_while_postgresql_is_down_every_route_answers_503_with_retry_after(
    own_postgres: tuple[EmbeddedPostgres, str], settings: Settings, temporal_client: Client
) -> None:
    server, url = own_postgres
    async with serve(settings, temporal_client, database_url=url, db_connect_timeout_seconds=2) as api:
        office = await Scenario.login(api, *OFFICE)
        expect(await api.post("/enterprises", json=enterprise_body(71), headers=office), 201)
        server.stop()  # a real outage: the server is gone, pooled connections are dead
        calls = [
            ("GET", "/auth/me", {}),
            ("GET", "/applications", {}),
            ("GET", "/cycles/2027", {}),
            ("GET", f"/enterprises/{credit_code(71)}", {}),
            ("POST", "/enterprises", {"json": enterprise_body(72)}),
            ("POST", "/documents", {"files": {"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")}}),
            ("GET", "/public/notices", {"auth": False}),
            ("GET", "/public/results/2027", {"auth": False}),
            (
                "POST",
                "/public/objections/2027",
                {"auth": False, "json": {"application_id": "2027-0001", "facts": "事实", "anonymous": True}},
            ),
            ("POST", "/auth/token", {"auth": False, "data": {"username": "office", "password": OFFICE[1]}}),
        ]
        for method, path, options in calls:
            headers = office if options.pop("auth", True) else {}
            started = time.monotonic()
            r = await api.request(method, path, headers=headers, **options)
            assert_unavailable(r, "DATABASE_UNAVAILABLE")
            assert time.monotonic() - started < 5, path  # an answer, not a stall
        health = await api.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"

        server.start()  # back: the next requests are served again, nothing to restart
        assert expect(await api.get("/auth/me", headers=office), 200)["username"] == OFFICE[0]
        expect(await api.post("/enterprises", json=enterprise_body(72), headers=office), 201)


@pytest.mark.req("P7")
async def test_a_database_address_that_swallows_connections_is_a_503_within_the_connect_timeout(
    settings: Settings, temporal_client: Client, database_url: str
) -> None:
    port = int(database_url.split(":")[-1].split("/")[0])
    proxy = PgProxy(port)
    await proxy.start()
    try:
        url = database_url.replace(f":{port}/", f":{proxy.port}/")
        async with serve(settings, temporal_client, database_url=url, db_connect_timeout_seconds=1) as api:
            office = await Scenario.login(api, *OFFICE)
            proxy.hang()  # the connections in the pool are cut, new ones are never answered
            started = time.monotonic()
            assert_unavailable(await api.get("/auth/me", headers=office), "DATABASE_UNAVAILABLE")
            assert time.monotonic() - started < 3
    finally:
        await proxy.close()


# --- a connection lost while PostgreSQL commits ----------------------------------------------------------
@pytest.mark.req("P7")
@pytest.mark.slow
async def test_a_commit_whose_answer_is_lost_is_reported_as_unknown_and_the_same_key_retries_safely(
    api: httpx.AsyncClient, settings: Settings, temporal_client: Client, database_url: str
) -> None:
    office = await Scenario.login(api, *OFFICE)
    _, h = await register_enterprise(api, office, 73)
    year = datetime.now(UTC).year + 1
    await open_cycle(api, office, year, application_deadline=in_seconds(300))
    docs = await application_documents(api, h, "73")

    port = int(database_url.split(":")[-1].split("/")[0])
    proxy = PgProxy(port)
    await proxy.start()
    through_proxy = database_url.replace(f":{port}/", f":{proxy.port}/")
    try:
        async with serve(
            settings, temporal_client, database_url=through_proxy, db_connect_timeout_seconds=1
        ) as faulty:
            # The route's own transaction (sessions.begin()): the application is stored, its answer lost.
            key = {"Idempotency-Key": "lost-commit-73"}
            body = {"award": "QUALITY", "documents": docs, "self_assessment": self_assessment()}
            proxy.cut_next_commit()
            r = await faulty.post(f"/cycles/{year}/applications", headers={**h, **key}, json=body)
            assert proxy.commits_cut == 1
            assert_unavailable(r, "COMMIT_OUTCOME_UNKNOWN")
            assert r.json()["details"]["retry_with_same_idempotency_key"] is True
            assert "Idempotency-Key" in r.json()["message_en"] and "Idempotency-Key" in r.json()["message_zh"]
            stored = expect(await api.get("/applications", headers=office), 200)["items"]
            assert len(stored) == 1  # it was committed: the answer said "unknown", not "refused"
            again = expect(
                await faulty.post(f"/cycles/{year}/applications", headers={**h, **key}, json=body), 201
            )
            assert again["application_id"] == stored[0]["id"]
            assert len(expect(await api.get("/applications", headers=office), 200)["items"]) == 1

            # The request's unit of work (the Session dependency): the same honest answer.
            proxy.cut_next_commit()
            r = await faulty.post("/enterprises", json=enterprise_body(74), headers=office)
            assert proxy.commits_cut == 2
            assert_unavailable(r, "COMMIT_OUTCOME_UNKNOWN")
            expect(await api.get(f"/enterprises/{credit_code(74)}", headers=office), 200)  # committed
            r = await faulty.post("/enterprises", json=enterprise_body(74), headers=office)
            assert r.status_code == 409 and r.json()["code"] == "ENTERPRISE_EXISTS"  # a retry acts once

            # The database lost just after the request committed, before it answered: not "nothing
            # was stored" but "unknown" (the discipline is recorded, the expert's record unread).
            expert = await Scenario(api, office, year).expert(75)
            proxy.go_down_after_next_commit()
            r = await faulty.post(
                f"/experts/{expert['id']}/discipline",
                headers=office,
                json={"kind": "CRITICISM", "reason": "评审意见提交迟延"},
            )
            assert_unavailable(r, "COMMIT_OUTCOME_UNKNOWN")
            recorded = expect(await api.get(f"/experts/{expert['id']}", headers=office), 200)["discipline"]
            assert [d["kind"] for d in recorded] == ["CRITICISM"]
    finally:
        await proxy.close()


# --- 50 ballots of one member at once -------------------------------------------------------------------
def count_connections(app: FastAPI, peaks: list[tuple[str, int]]) -> Any:
    """Wrap `app`: record, for each request, the most pool connections it held at one time."""
    engine: AsyncEngine = app.state.sessions.kw["bind"]

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _out(*_: Any) -> None:
        if (held := _held.get()) is not None:
            held[0] += 1
            held[1] = max(held[1], held[0])

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _in(*_: Any) -> None:
        if (held := _held.get()) is not None:
            held[0] -= 1

    async def counted(scope: Scope, receive: Receive, send: Send) -> None:
        token = _held.set([0, 0])
        try:
            await app(scope, receive, send)
        finally:
            held = _held.get()
            assert held is not None
            peaks.append((f"{scope.get('method', '')} {scope.get('path', '')}", held[1]))
            _held.reset(token)

    return counted


@pytest.mark.req("P7")
@pytest.mark.req("R14.6")
@pytest.mark.slow
async def test_fifty_ballots_of_one_member_at_once_store_one_and_stall_nothing(
    settings: Settings, temporal_client: Client, worker: None, clean: None
) -> None:
    # A small pool on purpose: the pool size is a setting, and 5 connections serve the burst.
    app = create_app(settings.model_copy(update={"db_pool_size": 5, "db_max_overflow": 0}), temporal_client)
    peaks: list[tuple[str, int]] = []
    async with app.router.lifespan_context(app):
        engine: AsyncEngine = app.state.sessions.kw["bind"]
        assert engine.pool.size() == 5  # type: ignore[attr-defined]
        await bootstrap_admin(settings)
        transport = httpx.ASGITransport(app=count_connections(app, peaks))
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=60) as api:
            office = await Scenario.login(api, *OFFICE)
            year = datetime.now(UTC).year + 1
            sc = Scenario(api, office, year, admin=await Scenario.login(api, *ADMIN))
            await through_review(sc, {1: ("QUALITY", 80, 80), 2: ("QUALITY", 75, 75)}, experts=4)
            meeting = await sc.convene()
            ballot = {a: "APPROVE" for a in sorted(sc.applications.values())}

            async def cast() -> tuple[httpx.Response, float]:
                started = time.monotonic()
                r = await sc.vote(meeting["meeting_id"], "member1", ballot)
                return r, time.monotonic() - started

            cheap: list[float] = []
            burst_over = asyncio.Event()

            async def meanwhile() -> None:  # another user reads while the burst goes on
                while not burst_over.is_set():
                    started = time.monotonic()
                    expect(await api.get("/auth/me", headers=office), 200)
                    cheap.append(time.monotonic() - started)
                    await asyncio.sleep(0.01)

            reader = asyncio.create_task(meanwhile())
            await asyncio.sleep(0.05)
            started = time.monotonic()
            answers = await asyncio.gather(*(cast() for _ in range(50)))
            burst = time.monotonic() - started
            burst_over.set()
            await reader

            accepted = [r for r, _ in answers if r.status_code == 200]
            refused = [r for r, _ in answers if r.status_code != 200]
            assert len(accepted) == 1, [r.text for r in accepted]
            assert len(refused) == 49
            for r in refused:
                body = r.json()
                assert r.status_code == 409 and body["code"] == "ALREADY_VOTED", (r.status_code, body)
                assert body["message_zh"] and body["message_en"]
            slowest = max(t for _, t in answers)
            assert burst < 2.0 and slowest < 2.0, (burst, slowest)
            assert cheap and max(cheap) < 1.0, sorted(cheap)[-5:]
            print(
                f"\n50 ballots in {burst:.2f}s (slowest {slowest:.2f}s); GET /auth/me meanwhile: "
                f"{len(cheap)} calls, max {max(cheap) * 1000:.0f} ms"
            )

            # The other members vote; the published tally counts member1 once.
            for member, _ in COMMITTEE:
                if member != "member1":
                    assert (await sc.vote(meeting["meeting_id"], member, ballot)).status_code == 200
            await sc.wait_cycle("PUBLIC_NOTICE")
            closed = expect(await api.get(f"/meetings/{meeting['meeting_id']}", headers=office), 200)
            assert closed["voted"] == len(COMMITTEE)
            assert all(t["approve"] == len(COMMITTEE) for t in closed["tally"]), closed["tally"]
            recount = expect(await api.get(f"/meetings/{meeting['meeting_id']}/recount", headers=office), 200)
            assert recount["equal"] is True

    # No request of the whole cycle, the burst included, held two pool connections at once.
    assert peaks and max(p for _, p in peaks) <= 1, sorted({r for r, p in peaks if p > 1})
    assert sum(1 for r, _ in peaks if r.endswith("/ballot")) == 54
