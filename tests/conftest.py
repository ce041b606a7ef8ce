"""Test servers: embedded PostgreSQL and a Temporal dev server on free ports, started once per run
and stopped at the end (stop a run with SIGINT, not SIGKILL, so these teardowns run)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.client import WorkflowExecution as WorkflowExecutionType
from temporalio.service import RPCError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from api.app import create_app
from api.cli import create_user
from api.security import configure_hashing
from config.codec import EncryptionCodec, KeyRing, decrypted_history
from config.constants import SEARCH_ATTRIBUTES
from config.settings import RateLimit, Settings
from config.temporal import connect, data_converter
from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from devstack.holidays import record_test_calendars
from devstack.ports import free_port
from devstack.postgres import EmbeddedPostgres
from devstack.temporal import TemporalDevServer
from domain.types import Role
from worker.main import build_worker

ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = ROOT / ".data" / f"test-{os.getpid()}"
OFFICE = ("office", "office-test-password")
# The administrator: created like at install, by the CLI's function (api.cli.create_user), never
# through the API; it invites the office, committee and government accounts.
ADMIN = ("admin", "test-accounts-key-1")
# Each test terminates what earlier ones left running, and visibility queries of a test look only
# at workflows that were not terminated. A completed workflow keeps its id until the dev server has
# deleted it (20-30 s): rather than wait, a reset that finds one moves the tests on to the next of a
# few namespaces (the server creates them at start), whose deletions were asked tests ago.
LIVE = " AND ExecutionStatus != 'Terminated'"
NAMESPACES = ("default", *(f"award-test-{n}" for n in range(1, 6)))  # six: a return finds its deletions done
# The payload keys of a test run (fresh each run, never written anywhere): an old key that still
# decrypts and a new one that encrypts, as after a rotation. Every client, worker, time-skipping
# environment and replayer of the tests uses DATA_CONVERTER (config.temporal.data_converter).
TEST_KEYS = KeyRing.generate("test-old").rotated("test-new")
DATA_CONVERTER = data_converter(TEST_KEYS)


def readable(history: WorkflowHistory) -> WorkflowHistory:
    """A history as the key holder reads it (payloads decrypted): for checks of what payloads
    hold, and for recordings under tests/histories, which a later run with other keys replays."""
    return decrypted_history(history, EncryptionCodec(TEST_KEYS))


@pytest.fixture(scope="session")
def run_dir() -> Iterator[Path]:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    yield RUN_DIR
    shutil.rmtree(RUN_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server(run_dir: Path) -> Iterator[EmbeddedPostgres]:
    # commit timestamps on: the secret ballot's tests read them as an operator could (R14.6)
    server = EmbeddedPostgres(run_dir / "pg", free_port(), server_settings={"track_commit_timestamp": "on"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def database_url(pg_server: EmbeddedPostgres) -> str:
    url = pg_server.create_database("award_test")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def temporal_server(run_dir: Path) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(
        None,
        free_port(),
        None,
        namespace=NAMESPACES[0],
        extra_namespaces=NAMESPACES[1:],
        search_attributes=SEARCH_ATTRIBUTES,
        log_file=run_dir / "temporal.log",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


class NamespaceRotation:
    """The tests' Temporal client: a stand-in for `Client` that passes every call to the client of
    the namespace the tests are in now. `reset_state` moves it on (and `settings` with it)."""

    def __init__(self, clients: dict[str, Client]) -> None:
        self.clients = clients
        self.order = list(clients)
        self.current = self.order[0]
        self.settings: Settings | None = None  # its temporal_namespace follows the rotation
        # per namespace, the ids of workflows asked to be deleted when the tests left it: their
        # executions may outlive their visibility records, so a return waits until they are gone
        self.left_behind: dict[str, set[str]] = {}

    def rotate(self) -> None:
        self.current = self.order[(self.order.index(self.current) + 1) % len(self.order)]
        if self.settings is not None:
            self.settings.temporal_namespace = self.current

    def __getattr__(self, name: str) -> Any:
        return getattr(self.clients[self.current], name)


@pytest.fixture(scope="session")
async def temporal_clients(temporal_server: TemporalDevServer) -> dict[str, Client]:
    return {ns: await connect(temporal_server.address, ns, TEST_KEYS) for ns in NAMESPACES}


@pytest.fixture(scope="session")
async def temporal_client(temporal_clients: dict[str, Client]) -> Client:
    return cast(Client, NamespaceRotation(temporal_clients))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    e = make_engine(database_url, pool_size=20, max_overflow=20)  # the in-process worker and tests
    yield e
    await e.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture(scope="session")
def settings(database_url: str, temporal_server: TemporalDevServer, temporal_client: Client) -> Settings:
    s = Settings(
        environment="test",
        database_url=database_url,
        temporal_address=temporal_server.address,
        task_queue="award-test",
        jwt_secret="test-secret-0123456789-0123456789-abcdef",
        ballot_secret="test-ballot-secret-0123456789-0123456789",
        payload_keys=",".join(TEST_KEYS.lines()),
        bootstrap_office_username=OFFICE[0],
        bootstrap_office_password=OFFICE[1],
        max_document_bytes=64 * 1024,
        temporal_rpc_timeout_seconds=15,
        # every test client is one IP signing in a whole committee, panel and field of applicants
        # within seconds; the limits themselves are tested in tests/api/test_api_rate_limits.py
        rate_limit_sign_in_per_ip=RateLimit(10_000, 60),
        rate_limit_objection_per_ip=RateLimit(10_000, 3600),
        # cheap argon2 for the many accounts of the tests (production refuses this; the cost is a
        # setting, the code path the same)
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        temporal_namespace=NAMESPACES[0],
        log_format="plain",  # pytest captures the log records as they are
    )
    rotation = cast(NamespaceRotation, temporal_client)
    rotation.settings = s
    s.temporal_namespace = rotation.current
    return s


@pytest.fixture(scope="session")
async def worker(
    temporal_clients: dict[str, Client], sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[None]:
    """One worker per namespace of the rotation, for the whole run; one notice relay (the outbox
    is the database's, whatever the namespace)."""
    async with AsyncExitStack() as stack:
        for n, client in enumerate(temporal_clients.values()):
            await stack.enter_async_context(
                build_worker(
                    client,
                    sessions,
                    settings.task_queue,
                    ballot_secret=settings.ballot_secret,
                    interceptors=[IN_FLIGHT],
                    relay=n == 0,
                )
            )
        yield


class InFlight(Interceptor):
    """Counts the test worker's activities in flight: a reset waits for those of the workflows it
    terminated (an activity runs on after its workflow ends, and would write into the next test)."""

    def __init__(self) -> None:
        self.count = 0

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        owner = self

        class Counted(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> Any:
                owner.count += 1
                try:
                    return await super().execute_activity(input)
                finally:
                    owner.count -= 1

        return Counted(next)

    async def idle(self, timeout: float = 60) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.count and loop.time() < end:  # noqa: ASYNC110 (a counter, polled briefly)
            await asyncio.sleep(0.05)


IN_FLIGHT = InFlight()


async def reset_state(
    client: Client, sessions: async_sessionmaker[AsyncSession], *, holiday_data: bool = True
) -> None:
    """Terminate every running workflow, delete every workflow, wait for the activities still in
    flight, and empty every table: each test starts from nothing but the rest-day data of the
    years the tests reach (`load_holiday_data`), unless told otherwise.

    A terminated workflow's id may be used again at once (ALLOW_DUPLICATE_FAILED_ONLY) and the
    tests' visibility queries leave terminated workflows out (LIVE): its deletion is not waited
    for. A completed one keeps its id (a completed cycle would keep its year's id from being used
    again) and shows in queries until the server has deleted it: with the tests' client
    (`NamespaceRotation`) the reset moves on to the next namespace, emptied the same way (what it
    held was asked to be deleted a few tests ago); with any other client it waits until it is
    gone. RPCs go side by side (bounded)."""
    limit = asyncio.Semaphore(32)

    async def each(calls: list[Awaitable[object]]) -> None:
        async def one(call: Awaitable[object]) -> None:
            async with limit:
                try:
                    await call
                except RPCError:
                    pass  # already ended, or already being deleted

        await asyncio.gather(*(one(c) for c in calls))

    def delete(wf: WorkflowExecutionType) -> Awaitable[object]:
        return client.workflow_service.delete_workflow_execution(
            DeleteWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=wf.id, run_id=wf.run_id),
            )
        )

    async def empty() -> tuple[set[str], set[tuple[str, str]]]:
        """Terminate and delete everything of the current namespace: the ids not terminated (they
        stay taken until deleted) and the executions asked to be deleted."""
        running = [wf async for wf in client.list_workflows("ExecutionStatus='Running'")]
        await each(
            [client.get_workflow_handle(wf.id, run_id=wf.run_id).terminate("test reset") for wf in running]
        )
        await IN_FLIGHT.idle()
        everything = [wf async for wf in client.list_workflows()]
        await each([delete(wf) for wf in everything])  # asked once: asking again slows the deletion
        kept = {wf.id for wf in everything if wf.status is not WorkflowExecutionStatus.TERMINATED}
        return kept, {(wf.id, wf.run_id) for wf in everything}

    kept, asked = await empty()
    if kept and isinstance(client, NamespaceRotation):
        client.left_behind.setdefault(client.current, set()).update(kept)
        client.rotate()
        kept, asked = await empty()
        kept |= client.left_behind.pop(client.current, set())
    # What was not terminated (a completed workflow, or one whose end visibility has not shown yet)
    # keeps its id from being used again: wait until its execution is gone (the dev server takes
    # 20-30 s to delete a completed one; visibility may drop it before the execution is deleted).

    async def gone(workflow_id: str) -> None:
        for _ in range(600):
            try:
                async with limit:
                    await client.get_workflow_handle(workflow_id).describe()
            except RPCError:
                return
            await asyncio.sleep(0.1)

    await asyncio.gather(*(gone(w) for w in kept))
    # And until the tests' queries (LIVE: all but terminated) no longer see any of it.
    for _ in range(300):
        found = [wf async for wf in client.list_workflows("ExecutionStatus != 'Terminated'")]
        if not found:
            break
        late = [wf for wf in found if (wf.id, wf.run_id) not in asked]
        await each([delete(wf) for wf in late])
        asked |= {(wf.id, wf.run_id) for wf in late}
        await asyncio.sleep(0.1)
    async with sessions.begin() as s:
        tables = (
            (
                await s.execute(
                    text(
                        "select tablename from pg_tables where schemaname='public' and tablename <> 'alembic_version'"
                    )
                )
            )
            .scalars()
            .all()
        )
        # The audit log refuses TRUNCATE for every role (migration 0009). The tests connect as the
        # superuser that owns the test database and lift that for this one transaction: the
        # trigger is back on when it commits (and stays on if it does not).
        await s.execute(text("alter table audit_log disable trigger audit_log_no_truncate"))
        await s.execute(text("truncate " + ", ".join(f'"{t}"' for t in tables) + " restart identity cascade"))
        await s.execute(text("alter table audit_log enable trigger audit_log_no_truncate"))
    if holiday_data:
        await load_holiday_data(sessions, datetime.now(UTC).date())


async def bootstrap_admin(settings: Settings) -> None:
    """The administrator, as an installer creates it: by the CLI's function, not through the API."""
    configure_hashing(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    await create_user(settings.database_url, ADMIN[0], "系统管理员", Role.ADMIN, ADMIN[1])


def holiday_data_years(today: date) -> range:
    """The years a test's cycle may reach (its deadline's year and the next, from this year on)."""
    return range(today.year, today.year + 3)


async def load_holiday_data(sessions: async_sessionmaker[AsyncSession], today: date) -> None:
    """Rest-day data for the years the tests reach: the shipped State Council notices where they
    exist, otherwise an explicit test calendar the office records with a note (devstack.holidays)."""
    await record_test_calendars(sessions, holiday_data_years(today), actor=OFFICE[0])


@pytest.fixture
async def clean(
    request: pytest.FixtureRequest, temporal_client: Client, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await reset_state(
        temporal_client, sessions, holiday_data=request.node.get_closest_marker("no_holiday_data") is None
    )


@pytest.fixture
async def api(
    settings: Settings, temporal_client: Client, worker: None, clean: None
) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process, on an empty database with rest-day data for the years the tests reach
    (a test marked `no_holiday_data` has only the shipped years)."""
    app = create_app(settings, temporal_client)
    async with app.router.lifespan_context(app):
        await bootstrap_admin(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=60) as client:
            yield client
