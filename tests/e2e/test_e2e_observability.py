"""Operators' view (P3): the request id of an API request, its access log line and its metrics, and
the same id in the workflow it starts and in the activities that workflow schedules; the worker's
metrics (the Temporal SDK's and the notice relay's) scraped from its own port."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from conftest import ADMIN, OFFICE, TEST_KEYS, bootstrap_admin
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import in_seconds, login
from temporalio.client import Client

from api.app import create_app
from config.constants import cycle_workflow_id
from config.observability import HEADER, JsonFormatter, request_id_from
from config.settings import Settings
from config.temporal import connect, metrics_runtime
from devstack.ports import free_port
from devstack.scenario import Scenario, expect
from worker.main import build_worker

QUEUE = "observability"


async def scrape(port: int) -> str:
    async with httpx.AsyncClient(timeout=10) as http:
        for _ in range(100):
            try:
                r = await http.get(f"http://127.0.0.1:{port}/metrics")
                if r.status_code == 200:
                    return r.text
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"no metrics on port {port}")


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one series of a Prometheus text page (AssertionError when it is missing)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in metrics.splitlines():
        series, _, value = line.rpartition(" ")
        if series == (f"{name}{{{want}}}" if labels else name) or (
            not labels and series.startswith(f"{name}{{")
        ):
            return float(value)
    raise AssertionError(f"no series {name}{{{want}}} in:\n" + "\n".join(metrics.splitlines()[:40]))


@pytest.fixture
async def observed(
    settings: Settings,
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
    clean: None,
) -> AsyncIterator[tuple[httpx.AsyncClient, Client, int, int]]:
    """The API and a worker on their own queue, each with its metrics port; the worker's client on
    a Temporal runtime that exports the SDK's metrics."""
    api_port, worker_port = free_port(), free_port()
    client = await connect(
        settings.temporal_address,
        temporal_client.namespace,
        TEST_KEYS,
        runtime=metrics_runtime("127.0.0.1", worker_port),
    )
    cfg = settings.model_copy(update={"task_queue": QUEUE, "api_metrics_port": api_port})
    app = create_app(cfg, client)
    async with build_worker(client, sessions, QUEUE, ballot_secret=settings.ballot_secret):
        async with app.router.lifespan_context(app):
            await bootstrap_admin(settings)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://award.test", timeout=60
            ) as api:
                yield api, client, api_port, worker_port


@pytest.mark.req("P3")
async def test_request_id_metrics_and_logs(
    observed: tuple[httpx.AsyncClient, Client, int, int], caplog: pytest.LogCaptureFixture
) -> None:
    api, client, api_port, worker_port = observed
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="award.activity")
    year = 2027

    # The request id: a well-formed one is kept and answered; anything else is replaced.
    r = await api.get("/health", headers={"X-Request-ID": "ops-check-0001"})
    assert r.headers["x-request-id"] == "ops-check-0001"
    made = (await api.get("/health", headers={"X-Request-ID": "bad id <script>"})).headers["x-request-id"]
    assert made != "bad id <script>" and len(made) == 24 and request_id_from(made) == made
    assert (await api.get("/health")).headers["x-request-id"] != made

    # The cycle is started by a request with a known id.
    office = await login(api, *OFFICE)
    sc = Scenario(api, office, year, admin=await login(api, *ADMIN))
    await sc.seat_committee()
    rules = {"year": year, "application_deadline": in_seconds(600)}
    expect(
        await api.post(f"/cycles/{year}/rules/approve", headers=sc.committee["chair"], json={"rules": rules}),
        200,
    )
    rid = "start-cycle-2027-abcdef"
    r = await api.post("/cycles", headers={**office, "X-Request-ID": rid}, json=rules)
    assert r.status_code == 201, r.text
    assert r.headers["x-request-id"] == rid

    # The id went with the workflow's start, and the workflow passed it on to the activities it
    # scheduled; as a header, not a payload: readable by operators without the payload keys.
    history = await client.get_workflow_handle(cycle_workflow_id(year)).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert json.loads(started.header.fields[HEADER].data) == rid
    scheduled = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert scheduled and all(json.loads(a.header.fields[HEADER].data) == rid for a in scheduled)

    # The activity ran with the id: its log line carries it.
    ran = [
        rec
        for rec in caplog.records
        if rec.name == "award.activity" and getattr(rec, "request_id", "") == rid
    ]
    assert {rec.__dict__["activity"] for rec in ran} >= {"record_cycle_started"}, [
        (rec.getMessage(), rec.__dict__) for rec in caplog.records if rec.name == "award.activity"
    ]

    # One access line per request, by route template, with the id; JSON when formatted.
    access = [
        rec for rec in caplog.records if rec.name == "award.access" and rec.__dict__.get("request_id") == rid
    ]
    assert (
        len(access) == 1 and access[0].__dict__["route"] == "/cycles" and access[0].__dict__["status"] == 201
    )
    line = json.loads(JsonFormatter().format(access[0]))
    assert line["request_id"] == rid and line["route"] == "/cycles" and line["level"] == "INFO"

    # The API's metrics, on their own port: counted by route template, never by raw path.
    await api.get(f"/public/preliminary/{year}")
    await api.get("/no/such/route")
    metrics = await scrape(api_port)
    assert sample(metrics, "award_http_requests_total", method="POST", route="/cycles", status="201") >= 1
    assert sample(metrics, "award_http_requests_total", method="GET", route="/health", status="200") >= 3
    assert (
        sample(
            metrics,
            "award_http_requests_total",
            method="GET",
            route="/public/preliminary/{year}",
            status="404",
        )
        >= 1
    )
    assert sample(metrics, "award_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert f"/public/preliminary/{year}" not in metrics
    assert sample(metrics, "award_http_request_duration_seconds_count", method="POST", route="/cycles") >= 1
    # and not on the public port
    assert (await api.get("/metrics")).status_code == 404

    # The worker's metrics: the Temporal SDK's own and the notice relay's. (The tests' session
    # worker relays the same outbox and may hand the call over first: the relay's series are
    # checked for being there and well formed, their counts by the relay's own round below.)
    async def exported() -> str:
        for _ in range(100):
            text = await scrape(worker_port)
            if "award_notices_pending" in text and "temporal_activity_execution_latency" in text:
                return text
            await asyncio.sleep(0.2)
        raise AssertionError("the worker's metrics never showed the relay's gauge and the activities")

    worker_metrics = await exported()
    assert "temporal_workflow_task_execution_latency" in worker_metrics
    assert sample(worker_metrics, "award_notices_pending") >= 0


@pytest.mark.req("P3")
def test_json_log_lines() -> None:
    """One JSON object per line, with the request id of the context it was logged in (stamped at
    emit time, formatted later), the call's extra fields and an exception as text."""
    from config.observability import REQUEST_ID, RequestIdFilter

    logger = logging.getLogger("award.test-json")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        token = REQUEST_ID.set("req-json-000001")
        logger.warning("申报 %s 已受理", "2027-0001", extra={"application_id": "2027-0001"})
        REQUEST_ID.reset(token)
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(JsonFormatter().format(r)) for r in records)
    assert first["message"] == "申报 2027-0001 已受理" and first["request_id"] == "req-json-000001"
    assert first["application_id"] == "2027-0001" and first["level"] == "WARNING"
    assert "request_id" not in second and "ValueError: boom" in second["exc"]
    assert request_id_from("short") != "short" and request_id_from("x" * 65) != "x" * 65
