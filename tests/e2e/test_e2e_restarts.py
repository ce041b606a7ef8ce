"""Crashes (P1): a worker killed with SIGKILL in the middle of the qualification review, and the
Temporal dev server killed and restarted on its database file. The process goes on where it stood and
nothing is written twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN, OFFICE, ROOT, TEST_KEYS, bootstrap_admin, reset_state
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import (
    add_fact,
    application_documents,
    eventually,
    login,
    open_cycle,
    register_enterprise,
    self_assessment,
    valid_certificate,
)
from temporalio.api.enums.v1 import EventType, PendingActivityState, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.worker import Worker

from api.app import create_app
from config.constants import SEARCH_ATTRIBUTES, cycle_workflow_id
from config.settings import Settings
from config.temporal import connect
from contracts.common import Actor
from contracts.cycle import CycleState, StartCycleInput
from db import models as m
from devstack.ports import free_port
from devstack.scenario import Scenario
from devstack.temporal import TemporalDevServer
from domain.calendar import cst_date
from domain.rules import CycleRules
from domain.types import CycleStage, Role
from worker.main import build_worker
from workflows.cycle import AwardCycleWorkflow, start_cycle

pytestmark = [pytest.mark.asyncio]

RESTART_QUEUE = "restart-test"
SERVER_RESTART_QUEUE = "server-restart"
FINAL_STAGES = {"NOT_QUALIFIED", "AWAITING_DOCUMENT_REVIEW"}


# --- worker subprocesses ----------------------------------------------------------------------------
class WorkerProcesses:
    """`python -m worker` subprocesses, each in its own process group; every one is killed at the end."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log_file = self.log_dir / f"worker-{len(self.started) + 1}.log"
        with open(log_file, "ab") as log:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                [sys.executable, "-m", "worker"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker's whole process group (a crash: no graceful shutdown at all)."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)

    def kill_all(self) -> None:
        for proc in self.started:
            self.kill(proc)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name} ---\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.log_dir.glob("worker-*.log"))
        )


@pytest.fixture
def worker_processes(settings: Settings, tmp_path: Path) -> Iterator[WorkerProcesses]:
    env = {
        **os.environ,
        "AWARD_ENVIRONMENT": "test",
        "AWARD_DATABASE_URL": settings.database_url,
        "AWARD_TEMPORAL_ADDRESS": settings.temporal_address,
        "AWARD_TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "AWARD_TASK_QUEUE": RESTART_QUEUE,
        "AWARD_PAYLOAD_KEYS": settings.payload_keys.get_secret_value(),  # the tests' keys
        "PYTHONUNBUFFERED": "1",
    }
    workers = WorkerProcesses(env, tmp_path)
    try:
        yield workers
    finally:
        workers.kill_all()


@pytest.fixture
async def restart_api(
    settings: Settings, temporal_client: Client, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    """The API on its own task queue, served by worker subprocesses instead of the in-process worker."""
    await reset_state(temporal_client, sessions)
    app = create_app(settings.model_copy(update={"task_queue": RESTART_QUEUE}), temporal_client)
    async with app.router.lifespan_context(app):
        await bootstrap_admin(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=60) as client:
            yield client


async def polling(client: Client, task_queue: str, proc: subprocess.Popen[bytes]) -> bool:
    """True once the worker process `proc` polls `task_queue` (its identity is `pid@host`)."""
    assert proc.poll() is None, f"worker {proc.pid} exited with {proc.returncode}"
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return any(p.identity.startswith(f"{proc.pid}@") for p in resp.pollers)


async def pending_activities(client: Client, workflow_ids: list[str]) -> list[str]:
    found = []
    for wf_id in workflow_ids:
        desc = await client.get_workflow_handle(wf_id).describe()
        found += [
            f"{wf_id}:{a.activity_type.name} ({PendingActivityState.Name(a.state)}, attempt {a.attempt})"
            for a in desc.raw_description.pending_activities
        ]
    return found


# --- test 1: the worker crashes twice -------------------------------------------------------------
@pytest.mark.req("P1")
@pytest.mark.slow
async def test_worker_killed_during_qualification_review_nothing_written_twice(
    restart_api: httpx.AsyncClient,
    worker_processes: WorkerProcesses,
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    api = restart_api
    try:
        await _worker_crash_scenario(api, worker_processes, temporal_client, sessions)
    except BaseException:
        print(worker_processes.logs())
        raise


async def _worker_crash_scenario(
    api: httpx.AsyncClient,
    workers: WorkerProcesses,
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    t0 = asyncio.get_running_loop().time()

    def lap(what: str) -> None:  # phase timings, shown with -s or on failure
        print(f"[{asyncio.get_running_loop().time() - t0:5.1f}s] {what}")

    first = workers.start()  # it imports while the office registers the enterprises
    office = await login(api, *OFFICE)
    today = datetime.now(UTC).date()
    # This year's cycle: the other end-to-end tests use next year's, and terminated workflows of the
    # same ids and year stay visible to their search-attribute queries on the shared server.
    year = cst_date(datetime.now(UTC)).year

    ents: dict[int, dict[str, Any]] = {}
    heads: dict[int, dict[str, str]] = {}
    for n in (1, 2, 3):
        ents[n], heads[n] = await register_enterprise(api, office, n, name=f"鹿城重启测试{n}号有限公司")
        cert = valid_certificate(today)
        if n == 2:  # the QMS certificate expired before the deadline
            cert = {
                **cert,
                "on": str(today - timedelta(days=1100)),
                "valid_from": str(today - timedelta(days=1100)),
                "valid_to": str(today - timedelta(days=2)),
            }
        code = ents[n]["credit_code"]
        await add_fact(api, office, code, cert)
        await add_fact(
            api,
            office,
            code,
            {"kind": "CREDIT_STATUS", "on": str(today - timedelta(days=30)), "status": "GOOD"},
        )
        await add_fact(
            api,
            office,
            code,
            {
                "kind": "INNOVATION_RESULT",
                "on": str(today - timedelta(days=90)),
                "summary": "主导制定团体标准1项",
            },
        )
    docs = {n: await application_documents(api, heads[n], f"restart-{n}") for n in heads}
    await eventually(lambda: polling(temporal_client, RESTART_QUEUE, first), timeout=30)

    lap("enterprises registered, first worker polling")
    # Roster and rules approved by the committee first (creating those accounts takes a moment).
    deadline = datetime.now(UTC) + timedelta(seconds=8)
    await open_cycle(api, office, year, application_deadline=deadline.isoformat())
    lap("cycle open")
    ids: dict[int, str] = {}
    for n in heads:
        r = await api.post(
            f"/cycles/{year}/applications",
            headers={**heads[n], "Idempotency-Key": f"restart-{n}"},
            json={
                "award": "QUALITY",
                "documents": docs[n],
                "contact_name": "张三",
                "self_assessment": self_assessment(),
            },
        )
        assert r.status_code == 201, r.text
        ids[n] = r.json()["application_id"]
    app_workflows = [f"application-{i}" for i in ids.values()]

    # Crash 1: the worker dies while the applications wait for the deadline.
    assert datetime.now(UTC) < deadline - timedelta(seconds=1), "setup too slow: the deadline is too close"
    workers.kill(first)
    lap("3 submitted; first worker killed")
    await asyncio.sleep((deadline - datetime.now(UTC)).total_seconds() + 1.0)
    async with sessions() as s:
        # Nobody has processed the deadline: the records still show the call open.
        assert await s.scalar(select(m.Cycle.stage).where(m.Cycle.year == year)) == "CALL_OPEN"
        stages = (await s.scalars(select(m.Application.stage))).all()
        assert sorted(stages) == ["SUBMITTED"] * 3
        assert await s.scalar(select(func.count()).select_from(m.QualificationCheck)) == 0

    second = workers.start()
    lap("deadline passed; second worker started")

    async def awaiting_decision(app_id: str) -> dict[str, Any] | None:
        a = (await api.get(f"/applications/{app_id}", headers=office)).json()
        # waiting_for is only set when the workflow itself answered the query
        ok = a["stage"] == "QUALIFICATION_DECISION" and a["qualification"] and a["waiting_for"]
        return a if ok else None

    apps = {n: await eventually(lambda i=i: awaiting_decision(i), timeout=60) for n, i in ids.items()}
    lap("all three await the qualification decision")
    assert {n: len(a["qualification"]) for n, a in apps.items()} == {1: 14, 2: 14, 3: 14}
    auto = {n: {c["condition"]: c["auto_status"] for c in a["qualification"]} for n, a in apps.items()}
    assert auto[1]["QMS_CERTIFICATION"] == "PASS" and auto[3]["QMS_CERTIFICATION"] == "PASS"
    assert auto[2]["QMS_CERTIFICATION"] == "FAIL"

    judgement = [
        {"condition": c, "status": "PASS", "reason": "经核查材料，符合要求"}
        for c in ("LAWFUL_COMPLIANCE", "EXCELLENCE_MODEL")
    ]

    async def decide(n: int) -> httpx.Response:
        return await api.post(
            f"/applications/{ids[n]}/qualification-decision",
            headers={**office, "Idempotency-Key": f"restart-decision-{n}"},
            json={"decisions": judgement, "material_truthful": True, "note": "资格审查"},
        )

    responses = await asyncio.gather(*(decide(n) for n in ids))
    # Crash 2: right after the decisions are recorded, while notices are being written and delivered.
    workers.kill(second)
    for n, r in zip(ids, responses, strict=True):
        assert r.status_code == 200, r.text
        assert r.json()["qualified"] is (n != 2)
    in_flight = await pending_activities(temporal_client, app_workflows)
    print(f"activities pending when the second worker was killed: {in_flight}")

    workers.start()
    lap("decided; second worker killed, third started")

    async def inbox(h: dict[str, str], kind: str) -> list[dict[str, Any]] | None:
        return [x for x in (await api.get("/notices", headers=h)).json() if x["kind"] == kind] or None

    # Activities that were running on the dead worker are retried after their start-to-close timeout.
    feedback = await eventually(lambda: inbox(heads[2], "QUALIFICATION_FEEDBACK"), timeout=90)
    lap("feedback notice delivered")
    assert "质量管理体系认证" in feedback[0]["body"]

    async def final_records() -> dict[str, str] | None:
        async with sessions() as s:
            rows = {i: st for i, st in (await s.execute(select(m.Application.id, m.Application.stage))).all()}
        return rows if set(rows.values()) <= FINAL_STAGES else None

    stages_now = await eventually(final_records, timeout=90)
    assert stages_now == {
        ids[1]: "AWAITING_DOCUMENT_REVIEW",
        ids[2]: "NOT_QUALIFIED",
        ids[3]: "AWAITING_DOCUMENT_REVIEW",
    }
    for n, want in ((1, "AWAITING_DOCUMENT_REVIEW"), (2, "NOT_QUALIFIED"), (3, "AWAITING_DOCUMENT_REVIEW")):
        a = (await api.get(f"/applications/{ids[n]}", headers=office)).json()
        assert a["stage"] == want and a["waiting_for"], a

    async def cycle_recorded_in_document_review() -> bool:
        async with sessions() as s:
            return await s.scalar(select(m.Cycle.stage).where(m.Cycle.year == year)) == "DOCUMENT_REVIEW"

    await eventually(cycle_recorded_in_document_review, timeout=30)

    lap("all final, cycle in document review")
    # Nothing was written twice.
    await _assert_written_once(sessions, ids)


async def _assert_written_once(sessions: async_sessionmaker[AsyncSession], ids: dict[int, str]) -> None:
    async with sessions() as s:
        assert sorted((await s.scalars(select(m.Application.id))).all()) == sorted(ids.values())

        checks = (await s.execute(select(m.QualificationCheck))).scalars().all()
        per_app = Counter(c.application_id for c in checks)
        assert per_app == {i: 14 for i in ids.values()}, per_app
        assert len({(c.application_id, c.condition) for c in checks}) == 42
        assert all(c.final_status is not None and c.decided_by == "office" for c in checks)

        decisions = (await s.execute(select(m.QualificationDecisionRecord))).scalars().all()
        assert {d.application_id: d.qualified for d in decisions} == {
            ids[1]: True,
            ids[2]: False,
            ids[3]: True,
        }
        assert len(decisions) == 3

        kinds_here = ("CALL_FOR_APPLICATIONS", "QUALIFICATION_FEEDBACK", "QUALIFICATION_PASSED")
        notices = (await s.execute(select(m.Notice).where(m.Notice.kind.in_(kinds_here)))).scalars().all()
        kinds = Counter(n.kind for n in notices)
        assert kinds == {
            "CALL_FOR_APPLICATIONS": 1,
            "QUALIFICATION_FEEDBACK": 1,
            "QUALIFICATION_PASSED": 2,
        }, kinds
        by_kind = {(n.kind, n.application_id) for n in notices}
        assert ("QUALIFICATION_FEEDBACK", ids[2]) in by_kind
        assert {("QUALIFICATION_PASSED", ids[1]), ("QUALIFICATION_PASSED", ids[3])} <= by_kind
        for n in notices:
            assert n.delivery_state == "DELIVERED" and n.delivered_at is not None, (n.key, n.delivery_state)
            # One row per notice, delivered once; a hand-over cut short by the kill is counted
            # (deliver_notice commits the attempt before handing over), so at most one retry shows.
            assert 1 <= n.delivery_attempts <= 2, (n.key, n.delivery_attempts)

        audit = Counter(
            (a.action, a.entity_id) for a in (await s.execute(select(m.AuditEntry))).scalars().all()
        )
        for app_id in ids.values():
            for action in ("APPLICATION_SUBMITTED", "QUALIFICATION_CHECKED", "QUALIFICATION_DECIDED"):
                assert audit[(action, app_id)] == 1, (action, app_id, audit[(action, app_id)])
        actions = Counter(action for action, _ in audit.elements())
        assert actions["CYCLE_STARTED"] == 1
        assert actions["APPLICATION_SUBMITTED"] == 3
        assert actions["QUALIFICATION_CHECKED"] == 3
        assert actions["QUALIFICATION_DECIDED"] == 3
        assert actions["CYCLE_QUALIFICATION_REVIEW"] == 1 and actions["CYCLE_DOCUMENT_REVIEW"] == 1
        assert actions["NOTICE_QUALIFICATION_FEEDBACK"] == 1 and actions["NOTICE_QUALIFICATION_PASSED"] == 2
        assert actions["NOTICE_CALL_FOR_APPLICATIONS"] == 1


# --- test 1b: a heartbeating fan-out is lost with its worker ------------------------------------
@pytest.mark.req("P1")
@pytest.mark.slow
async def test_a_fan_out_lost_with_its_worker_is_taken_up_within_its_heartbeat_timeout(
    restart_api: httpx.AsyncClient,
    worker_processes: WorkerProcesses,
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The call closes and the cycle tells its applications, one at a time with a pause (settings),
    heartbeating; the worker is killed in the middle. A new worker takes the fan-out up once its
    heartbeat timeout has passed (seconds, not the old 30 s start-to-close) and finishes it."""
    api, workers = restart_api, worker_processes
    workers.env |= {"AWARD_FAN_OUT_CONCURRENCY": "1", "AWARD_FAN_OUT_BATCH_PAUSE_SECONDS": "1.5"}
    first = workers.start()
    try:
        office = await login(api, *OFFICE)
        year = cst_date(datetime.now(UTC)).year
        sc = Scenario(api, office, year, admin=await login(api, *ADMIN))
        deadline = datetime.now(UTC) + timedelta(seconds=25)
        await sc.open_cycle(application_deadline=deadline.isoformat(), demo=True)
        for n in range(1, 7):
            await sc.enterprise(90 + n, f"鹿城心跳测试{n}号有限公司")
            await sc.apply(90 + n, "QUALITY")
        await eventually(lambda: polling(temporal_client, RESTART_QUEUE, first), timeout=30)
        cycle = temporal_client.get_workflow_handle(cycle_workflow_id(year))

        async def fan_out() -> Any:
            pending = (await cycle.describe()).raw_description.pending_activities
            return next((a for a in pending if a.activity_type.name == "announce_intake_closed"), None)

        async def heartbeating() -> Any:
            a = await fan_out()
            return a if a is not None and a.heartbeat_details.payloads else None

        await eventually(heartbeating, timeout=60, every=0.2, what="the fan-out heartbeating")
        workers.kill(first)
        killed = datetime.now(UTC)
        workers.start()

        async def retried() -> Any:
            a = await fan_out()
            return a if a is not None and a.attempt >= 2 and a.last_started_time.seconds else None

        again = await eventually(retried, timeout=60, every=0.2, what="the fan-out's second attempt")
        started = again.last_started_time.ToDatetime(tzinfo=UTC)
        # the heartbeat timeout (5 s) from the last heartbeat, a retry back-off of 1 s, a worker start
        assert started - killed < timedelta(seconds=15), (killed, started)

        async def all_checked() -> bool:
            async with sessions() as s:
                stages = (
                    await s.scalars(select(m.Application.stage).where(m.Application.cycle_year == year))
                ).all()
            return sorted(stages) == ["QUALIFICATION_DECISION"] * 6

        await eventually(all_checked, timeout=60, what="every application told and checked")
    except BaseException:
        print(workers.logs())
        raise


# --- test 2: the Temporal server crashes and comes back ----------------------------------------------
@asynccontextmanager
async def running(worker: Worker, shutdown_timeout: float) -> AsyncIterator[Worker]:
    """`async with worker`, but its shutdown may not hang the test for more than `shutdown_timeout` s."""
    await worker.__aenter__()
    try:
        yield worker
    finally:
        try:
            await asyncio.wait_for(worker.__aexit__(None, None, None), shutdown_timeout)
        except TimeoutError:
            raise AssertionError(f"the worker did not shut down within {shutdown_timeout}s") from None


async def _call(fn: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(fn)


def _at_or_after(stage: str | None, reference: CycleStage) -> bool:
    order = [str(s) for s in CycleStage]
    return stage in order and order.index(stage) >= order.index(reference)


async def _only(probe: Callable[[], Any], want: str) -> bool:
    return bool(await probe() == want)


async def _diagnose(handle: Any, server_log: Path) -> str:
    """What the workflow waits for, its last history events, and the server's log tail."""
    out = []
    try:
        desc = (await handle.describe(rpc_timeout=timedelta(seconds=5))).raw_description
        out.append(f"pending activities: {list(desc.pending_activities)}")
        out.append(f"pending workflow task: {desc.pending_workflow_task}")
        events = [e async for e in handle.fetch_history_events(rpc_timeout=timedelta(seconds=5))]
        out.append("last events: " + ", ".join(EventType.Name(e.event_type) for e in events[-15:]))
    except Exception as e:
        out.append(f"describe failed: {type(e).__name__}: {e}")
    out.append(
        "--- temporal.log (tail) ---\n"
        + (await asyncio.to_thread(server_log.read_text, errors="replace"))[-3000:]
    )
    return "\n".join(out)


@pytest.mark.req("P1")
@pytest.mark.slow
async def test_deadline_timer_fires_after_temporal_server_restart(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    server = TemporalDevServer(
        db_file=tmp_path / "temporal.db",
        port=free_port(),
        ui_port=None,
        search_attributes=SEARCH_ATTRIBUTES,
        log_file=tmp_path / "temporal.log",
    )
    await _call(server.start)
    try:
        client = await connect(server.address, "default", TEST_KEYS)
        await reset_state(client, sessions)  # this server is new: it only empties the tables
        year = cst_date(datetime.now(UTC)).year + 1
        rules = CycleRules(year=year, application_deadline=datetime.now(UTC) + timedelta(seconds=8))
        async with running(build_worker(client, sessions, SERVER_RESTART_QUEUE), shutdown_timeout=30):
            await start_cycle(
                client,
                StartCycleInput(rules, Actor("office", Role.OFFICE)),
                task_queue=SERVER_RESTART_QUEUE,
                rpc_timeout=timedelta(seconds=10),
            )
            handle = client.get_workflow_handle(cycle_workflow_id(year))

            async def stage() -> str | None:
                try:
                    st = await handle.query(
                        AwardCycleWorkflow.state, result_type=CycleState, rpc_timeout=timedelta(seconds=3)
                    )
                except Exception as e:  # server down or restarting
                    return f"query failed: {type(e).__name__}: {e}"
                return str(st.stage)

            async def recorded_stage() -> str | None:
                async with sessions() as s:
                    return await s.scalar(select(m.Cycle.stage).where(m.Cycle.year == year))

            assert await eventually(lambda: _only(stage, "CALL_OPEN"), timeout=20)
            assert await eventually(recorded_stage, timeout=20) == "CALL_OPEN"
            assert datetime.now(UTC) < rules.application_deadline, "setup too slow: deadline already passed"

            await _call(server.kill)
            print(
                f"server killed {(rules.application_deadline - datetime.now(UTC)).total_seconds():.1f}s before the deadline"
            )
            await asyncio.sleep(3)
            await _call(server.start)  # same db file, same port
            print(
                f"server restarted; deadline in {(rules.application_deadline - datetime.now(UTC)).total_seconds():.1f}s"
            )

            seen: list[tuple[str | None, str | None]] = []

            async def in_document_review() -> bool:
                # With no applications the cycle passes through QUALIFICATION_REVIEW to DOCUMENT_REVIEW
                # (and, where the process goes further, on to the next stage that needs the office).
                seen.append((live := await stage(), await recorded_stage()))
                return live == seen[-1][1] and _at_or_after(live, CycleStage.DOCUMENT_REVIEW)

            try:
                await eventually(in_document_review, timeout=60, every=0.5)
            except AssertionError:
                changes = [x for i, x in enumerate(seen) if i == 0 or x != seen[i - 1]]
                raise AssertionError(
                    f"(query stage, recorded stage) over time: {changes}\n"
                    + await _diagnose(handle, tmp_path / "temporal.log")
                ) from None
            print(
                f"document review {(datetime.now(UTC) - rules.application_deadline).total_seconds():.1f}s after the deadline"
            )

        # The cycle was recorded and its call published once, whatever the restart replayed.
        async with sessions() as s:
            actions = Counter((await s.scalars(select(m.AuditEntry.action))).all())
            notices = (await s.scalars(select(m.Notice))).all()
        assert actions["CYCLE_STARTED"] == 1
        assert actions["CYCLE_QUALIFICATION_REVIEW"] == 1 and actions["CYCLE_DOCUMENT_REVIEW"] == 1
        assert all(n == 1 for a, n in actions.items() if a.startswith("CYCLE_")), actions
        assert [(n.kind, n.delivery_state) for n in notices] == [("CALL_FOR_APPLICATIONS", "DELIVERED")]
    finally:
        await _call(server.stop)
