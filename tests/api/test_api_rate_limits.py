"""Rate limits of public and abusable routes (P6), counted in PostgreSQL and shared by every API
process: sign-in per client IP, objections per client IP and per target application.

Time is the limiter's injected clock, never a sleep. Each client is an ASGI transport with its own
peer address; X-Forwarded-For counts only when the peer is a trusted proxy.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import OFFICE, bootstrap_admin, reset_state
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from support import expect_list
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from timeskip import env, to_public_notice

from api.app import create_app
from api.ratelimit import RateLimiter, client_ip, client_key, window_of
from config.settings import RateLimit, Settings, parse_rate_limit
from worker.main import build_worker

Sessions = async_sessionmaker[AsyncSession]
# 15 s into a minute and 615 s into an hour: a minute window ends in 45 s, an hour window in 2985 s
T0 = datetime(2027, 5, 20, 8, 10, 15, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def limited_api(
    settings: Settings,
    temporal: Client,
    *,
    purge: bool = False,
    now: Callable[[], Awaitable[datetime]] | None = None,
    **limits: Any,
) -> AsyncIterator[tuple[FastAPI, Clock]]:
    """The API with its own settings, and a limiter whose clock the test moves (`now`: the API's
    own clock, for a time-skipping server)."""
    app = create_app(settings.model_copy(update=limits), temporal, clock=now)
    clock = Clock()
    app.state.rate_limiter = RateLimiter(clock=clock, draw=lambda: 0.0 if purge else 1.0)
    async with app.router.lifespan_context(app):
        yield app, clock


def client(app: FastAPI, ip: str, port: int = 50123) -> httpx.AsyncClient:
    """A client connecting from `ip` (the peer address the API sees)."""
    transport = httpx.ASGITransport(app=app, client=(ip, port))
    return httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=60)


async def sign_in(c: httpx.AsyncClient, password: str = OFFICE[1], **headers: str) -> httpx.Response:
    return await c.post("/auth/token", data={"username": OFFICE[0], "password": password}, headers=headers)


def assert_limited(r: httpx.Response, retry_after: int) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["Retry-After"] == str(retry_after)
    body = r.json()
    assert body["code"] == "RATE_LIMITED" and body["details"] == {"retry_after_seconds": retry_after}
    assert str(retry_after) in body["message_zh"] and str(retry_after) in body["message_en"]


async def buckets(sessions: Sessions) -> list[tuple[str, datetime, int]]:
    async with sessions() as s:
        rows = await s.execute(text("select bucket, window_start, hits from rate_limits order by 1, 2"))
        return [(r.bucket, r.window_start, r.hits) for r in rows]


# --- the parts ---------------------------------------------------------------------------------------


@pytest.mark.req("P6")
def test_default_limits_and_how_they_are_written() -> None:
    cfg = Settings()
    assert cfg.rate_limit_objection_per_ip == RateLimit(10, 3600)
    assert cfg.rate_limit_objection_per_application == RateLimit(300, 3600)
    assert cfg.rate_limit_sign_in_per_ip == RateLimit(30, 60)
    assert cfg.trusted_proxies == []
    assert parse_rate_limit("30/minute") == RateLimit(30, 60)
    assert parse_rate_limit(" 5 / 90s ") == RateLimit(5, 90)
    assert parse_rate_limit("1000/day") == RateLimit(1000, 86400)
    for bad in ["0/hour", "10 per hour", "10/fortnight", "10/0s", ""]:
        with pytest.raises(ValueError):
            parse_rate_limit(bad)
    env = Settings(rate_limit_sign_in_per_ip="3/minute", trusted_proxies="10.0.0.1, 10.1.0.0/16")  # type: ignore[arg-type]
    assert env.rate_limit_sign_in_per_ip == RateLimit(3, 60)
    assert env.trusted_proxies == ["10.0.0.1/32", "10.1.0.0/16"]


@pytest.mark.req("P6")
def test_windows_are_aligned_and_retry_after_counts_to_their_end() -> None:
    assert window_of(T0, RateLimit(3, 60)) == (datetime(2027, 5, 20, 8, 10, tzinfo=UTC), 45)
    assert window_of(T0, RateLimit(3, 3600)) == (datetime(2027, 5, 20, 8, tzinfo=UTC), 2985)
    end = datetime(2027, 5, 20, 8, 10, 59, 500_000, tzinfo=UTC)
    assert window_of(end, RateLimit(3, 60))[1] == 1  # never 0


def request_from(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", f.encode()) for f in forwarded]
    return Request({"type": "http", "headers": headers, "client": (peer, 1234)})


@pytest.mark.req("P6")
def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    plain = Settings()
    assert client_ip(request_from("203.0.113.7", "192.0.2.1"), plain) == "203.0.113.7"
    behind = Settings(trusted_proxies=["10.0.0.0/8"])
    assert client_ip(request_from("203.0.113.7", "192.0.2.1"), behind) == "203.0.113.7"  # not a proxy
    assert client_ip(request_from("10.0.0.5", "192.0.2.1"), behind) == "192.0.2.1"
    assert client_ip(request_from("10.0.0.5", "6.6.6.6, 192.0.2.1, 10.3.3.3"), behind) == "192.0.2.1"
    assert client_ip(request_from("10.0.0.5", "6.6.6.6", "192.0.2.1"), behind) == "192.0.2.1"  # two headers
    assert client_ip(request_from("10.0.0.5"), behind) == "10.0.0.5"  # no header: the proxy itself
    # one IPv6 subscriber holds a /64: counted as one client
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"


# --- sign-in -----------------------------------------------------------------------------------------


@pytest.mark.req("P6")
async def test_sign_in_is_limited_per_client_ip_until_the_window_ends(
    settings: Settings, temporal_client: Client, clean: None, sessions: Sessions
) -> None:
    async with limited_api(settings, temporal_client, rate_limit_sign_in_per_ip=RateLimit(3, 60)) as (
        app,
        clock,
    ):
        a, b = client(app, "203.0.113.7"), client(app, "198.51.100.9")
        assert (await sign_in(a)).status_code == 200
        assert (await sign_in(a, "wrong-password")).status_code == 401  # failures count too
        assert (await sign_in(a)).status_code == 200
        r = await sign_in(a)
        assert_limited(r, 45)
        assert "access_token" not in r.text  # the right password, but no token
        assert (await sign_in(b)).status_code == 200  # another client is not affected
        clock.now += timedelta(seconds=44)
        assert_limited(await sign_in(a), 1)
        clock.now += timedelta(seconds=1)  # the next window
        assert (await sign_in(a)).status_code == 200

        rows = await buckets(sessions)
        assert {r[0] for r in rows} and all(re.fullmatch(r"sign-in:ip:[0-9a-f]{32}", r[0]) for r in rows)
        assert not any("203.0.113" in r[0] or "198.51.100" in r[0] for r in rows)  # no raw address kept
        # the flood beyond the limit did not rewrite the counter: it stopped at the limit
        assert sorted(r[2] for r in rows) == [1, 1, 3]


@pytest.mark.req("P6")
async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    settings: Settings, temporal_client: Client, clean: None
) -> None:
    limit = RateLimit(2, 60)
    async with limited_api(settings, temporal_client, rate_limit_sign_in_per_ip=limit) as (app, _):
        c = client(app, "10.0.0.5")
        for i in range(2):
            assert (await sign_in(c, **{"X-Forwarded-For": f"192.0.2.{i}"})).status_code == 200
        # a fresh X-Forwarded-For per request does not buy a fresh identity
        assert_limited(await sign_in(c, **{"X-Forwarded-For": "192.0.2.99"}), 45)

    async with limited_api(
        settings,
        temporal_client,
        rate_limit_sign_in_per_ip=limit,
        trusted_proxies=["10.0.0.5/32", "10.0.1.0/24"],
    ) as (app, _):
        async with app.state.sessions.begin() as s:  # the counts of the first API above
            await s.execute(text("delete from rate_limits"))
        proxy = client(app, "10.0.0.5")
        for _ in range(2):
            assert (await sign_in(proxy, **{"X-Forwarded-For": "192.0.2.1"})).status_code == 200
        assert_limited(await sign_in(proxy, **{"X-Forwarded-For": "192.0.2.1"}), 45)
        # what the client writes left of its own address is not believed
        assert_limited(await sign_in(proxy, **{"X-Forwarded-For": "6.6.6.6, 192.0.2.1"}), 45)
        # two trusted hops (10.0.1.7, then 10.0.0.5): still the same client
        assert_limited(await sign_in(proxy, **{"X-Forwarded-For": "192.0.2.1, 10.0.1.7"}), 45)
        # another client behind the proxy has its own count
        assert (await sign_in(proxy, **{"X-Forwarded-For": "192.0.2.2"})).status_code == 200
        # a direct client naming 192.0.2.2 is counted as itself, and uses up nothing of 192.0.2.2
        direct = client(app, "198.51.100.9")
        for _ in range(2):
            assert (await sign_in(direct, **{"X-Forwarded-For": "192.0.2.2"})).status_code == 200
        assert_limited(await sign_in(direct, **{"X-Forwarded-For": "192.0.2.2"}), 45)
        assert (await sign_in(proxy, **{"X-Forwarded-For": "192.0.2.2"})).status_code == 200


@pytest.mark.req("P6")
async def test_two_api_processes_share_one_limit(
    settings: Settings, temporal_client: Client, clean: None
) -> None:
    limit = {"rate_limit_sign_in_per_ip": RateLimit(5, 60)}
    async with (
        limited_api(settings, temporal_client, **limit) as (one, _),
        limited_api(settings, temporal_client, **limit) as (two, _),
    ):
        c1, c2 = client(one, "203.0.113.7"), client(two, "203.0.113.7")
        answers = await asyncio.gather(*(sign_in(c, "wrong-password") for c in [c1, c2] * 6))
        assert sorted(r.status_code for r in answers) == [401] * 5 + [429] * 7


@pytest.mark.req("P6")
async def test_ended_windows_are_purged(
    settings: Settings, temporal_client: Client, clean: None, sessions: Sessions
) -> None:
    async with limited_api(settings, temporal_client, purge=True) as (app, clock):
        await sign_in(client(app, "203.0.113.7"))
        await sign_in(client(app, "198.51.100.9"))
        assert len(await buckets(sessions)) == 2
        clock.now += settings.rate_limit_retention + timedelta(minutes=1)
        await sign_in(client(app, "192.0.2.1"))
        rows = await buckets(sessions)
        assert [r[1] for r in rows] == [clock.now.replace(second=0)]  # only the current window is left


# --- objections during the public notice ------------------------------------------------------------

QUEUE = "time-skipping-rate-limits"
__all__ = ["env"]  # the time-skipping server fixture (tests/timeskip.py)


async def stored(sessions: Sessions) -> tuple[int, int]:
    """Objections and their audit rows: what a refused objection must not add to."""
    async with sessions() as s:
        objections = (await s.execute(text("select count(*) from objections"))).scalar_one()
        audit = (
            await s.execute(text("select count(*) from audit_log where action like 'OBJECTION%'"))
        ).scalar_one()
        return objections, audit


@pytest.mark.req("P6")
async def test_objections_are_limited_per_client_ip_and_per_application(
    env: WorkflowEnvironment, settings: Settings, temporal_client: Client, sessions: Sessions
) -> None:
    await reset_state(temporal_client, sessions)  # the dev server's workflows and every table
    await bootstrap_admin(settings)
    cfg = settings.model_copy(
        update={
            "task_queue": QUEUE,
            "rate_limit_objection_per_ip": RateLimit(3, 3600),
            "rate_limit_objection_per_application": RateLimit(4, 3600),
        }
    )
    async with (
        build_worker(env.client, sessions, QUEUE),
        limited_api(cfg, env.client, now=env.get_current_time) as (app, clock),
        client(app, "127.0.0.1") as api,
    ):
        notice = await to_public_notice(env, api, cfg)
        sc = notice.scenario
        a1, a2 = sorted(sc.applications.values())
        a, b = client(app, "203.0.113.7"), client(app, "198.51.100.9")
        n = 0

        async def object_to(c: httpx.AsyncClient, application_id: str) -> httpx.Response:
            nonlocal n
            n += 1
            body = {
                "application_id": application_id,
                "facts": f"第{n}条异议：申报材料与实际不符",
                "anonymous": True,
            }
            return await c.post(f"/public/objections/{sc.year}", json=body)

        for _ in range(3):
            assert (await object_to(a, a1)).status_code == 201
        before = await stored(sessions)
        assert before[0] == 3
        assert_limited(await object_to(a, a1), 2985)  # per client IP
        assert_limited(await object_to(a, a2), 2985)
        assert await stored(sessions) == before  # refused before it reached the workflow

        assert (await object_to(b, a1)).status_code == 201  # the 4th against a1, from anyone
        before = await stored(sessions)
        assert_limited(await object_to(b, a1), 2985)  # per target application
        assert await stored(sessions) == before
        assert (await object_to(b, a2)).status_code == 201  # another application is open

        clock.now += timedelta(seconds=2985)  # the next hour
        assert (await object_to(a, a1)).status_code == 201
        assert (await stored(sessions))[0] == 6
        objections = expect_list(await api.get("/objections", params={"year": sc.year}, headers=sc.office))
        assert sorted(o["application_id"] for o in objections) == sorted([a1] * 5 + [a2])
