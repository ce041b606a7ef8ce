"""`make bench`: one whole award cycle of N applications through the HTTP API, measured.

    make bench N=100 BENCH_ARGS="--concurrency 32 --json bench.json"
    .venv/bin/python scripts/bench_cycle.py --n 100 [--no-reads] [--json PATH] [--help]

Self-contained: starts its own embedded PostgreSQL, Temporal dev server, migrations, worker
(`python -m worker`) and API (uvicorn on a real TCP port) on free ports under `.data/bench-<pid>/`,
and stops all of it at the end, also on Ctrl-C, SIGTERM or an error. A later run stops what a
SIGKILLed run left behind (see `reap_stale_runs`).

What it measures:
1. Set-up (not timed): enterprises with facts and accounts, experts, committee accounts, roster and
   its approval, the rules' approval (demo rules: periods in seconds, chosen from N).
2. The procedure (timed, per stage), driven only through the public HTTP API with
   `devstack/scenario.py`, concurrently (at most --concurrency requests in flight): call, N
   submissions, qualification (about 10 % fail), document panels, scores and leaders' opinions,
   on-site list, on-site panels, reports and confirmations, plenary ballot, public notice with
   objections and investigations, final list, approval, certificates.
3. API calls per route (count, p50, p99), Temporal actions counted from the histories of every
   workflow of the year as Temporal Cloud bills them, the largest history per workflow type.
4. A bare-Temporal comparator on the same server: its own no-op workflows doing the same number of
   workflow starts, activities, updates, signals, timers, upserts and markers, in the same shape
   (root workflows vs children, which way the signals go, where the updates land), with the same
   concurrency; it does the bare Temporal work only.

A POST answered 503 WORKFLOW_SERVICE_UNAVAILABLE (the API's Temporal call timed out) is sent again
with the same Idempotency-Key, as that answer asks; the retries are counted per route.
5. A read benchmark (--reads): rows seeded straight into PostgreSQL in another year, then
   concurrent office clients reading `GET /applications?year=` pages and `GET /applications/{id}`.

Depends only on the HTTP API, the Temporal client and `python -m worker`; the database is touched
only to seed the read benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402
from temporalio import activity, workflow  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.common import SearchAttributeKey  # noqa: E402
from temporalio.service import RPCError, RPCStatusCode  # noqa: E402
from temporalio.worker import Worker  # noqa: E402
from temporalio.workflow import ParentClosePolicy  # noqa: E402

from api.cli import create_user  # noqa: E402
from config.constants import SA_STAGE, SEARCH_ATTRIBUTES  # noqa: E402
from devstack.load import (  # noqa: E402
    Census,
    Cycle,
    HttpStats,
    Plan,
    RouteNames,
    census,
    first_error,
    http_client,
    pct,
    say,
    settled_census,
)
from devstack.ports import free_port, port_accepts  # noqa: E402
from devstack.postgres import EmbeddedPostgres  # noqa: E402
from devstack.scenario import (  # noqa: E402
    Scenario,
    ScenarioError,
    credit_code,
    eventually,
    expect,
    scores,
)
from devstack.temporal import TemporalDevServer  # noqa: E402
from domain.calendar import cst_date  # noqa: E402
from domain.types import Role  # noqa: E402

T = TypeVar("T")
X = TypeVar("X")

DATA = ROOT / ".data"
SCRIPT = Path(__file__).resolve()
OFFICE = ("office", "bench-office-password")
ADMIN = ("admin", "bench-accounts-key-1")  # created like at install: by the CLI's function
COMPARATOR_QUEUE = "bench-bare"


class BenchError(Exception):
    """The benchmark cannot go on; the message says why and what to do."""


# --- the stack ------------------------------------------------------------------------------------
@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


def _alive(pid: int, created: float) -> psutil.Process | None:
    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - created) < 0.01 and process.status() != psutil.STATUS_ZOMBIE:
            return process
    except psutil.Error:
        pass
    return None


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _stop_group(process: psutil.Process, pid: int, grace: float = 15.0) -> None:
    _kill_group(pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except psutil.TimeoutExpired:
        _kill_group(pid, signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            process.wait(5)


def reap_stale_runs() -> None:
    """Stop servers of earlier bench runs in this checkout whose bench process is gone (SIGKILL) and
    delete their data; their logs stay (`make clean-data` removes them)."""
    for folder in sorted(DATA.glob("bench-*")):
        state = folder / "pids.json"
        try:
            info = json.loads(state.read_text())
        except (OSError, ValueError):
            info = {}
        owner = info.get("owner") or {}
        if owner and _alive(int(owner["pid"]), float(owner["created"])) is not None:
            continue  # another bench run, still going
        for entry in info.get("processes", []):
            process = _alive(int(entry["pid"]), float(entry["created"]))
            if process is not None:
                say(f"stopping {entry['name']} (pid {entry['pid']}) left over by {folder.name}")
                _stop_group(process, int(entry["pid"]))
        if (folder / "pg").exists():
            pg = EmbeddedPostgres(folder / "pg", 0, log_file=folder / "postgres.log")
            if pg.running:
                say(f"stopping PostgreSQL left over by {folder.name}")
            pg.stop()
        shutil.rmtree(folder / "pg", ignore_errors=True)
        for leftover in (state, *folder.glob("temporal.db*")):
            leftover.unlink(missing_ok=True)


class Stack:
    """PostgreSQL, Temporal, migrations, the worker and the API on free ports under .data/bench-<pid>/."""

    def __init__(self, ui: bool, rpc_timeout: float | None, temporal_db: str = "file") -> None:
        self.dir = DATA / f"bench-{os.getpid()}"
        self.ui = ui
        self.temporal_db = temporal_db
        self.rpc_timeout = rpc_timeout
        self.pg: EmbeddedPostgres | None = None
        self.temporal: TemporalDevServer | None = None
        self.children: list[Child] = []
        self.database_url = ""
        self.api_port = 0
        self.env: dict[str, str] = {}

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def address(self) -> str:
        assert self.temporal is not None
        return self.temporal.address

    def _remember(self) -> None:
        me = psutil.Process()
        processes = [
            {"name": c.name, "pid": c.process.pid, "created": psutil.Process(c.process.pid).create_time()}
            for c in self.children
            if c.process.poll() is None
        ]
        if self.temporal is not None and self.temporal.pid is not None:
            with contextlib.suppress(psutil.Error):
                created = psutil.Process(self.temporal.pid).create_time()
                processes.append({"name": "temporal", "pid": self.temporal.pid, "created": created})
        state = {"owner": {"pid": me.pid, "created": me.create_time()}, "processes": processes}
        (self.dir / "pids.json").write_text(json.dumps(state))

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._remember()
        self.pg = EmbeddedPostgres(self.dir / "pg", free_port(), log_file=self.dir / "postgres.log")
        say(f"starting PostgreSQL on 127.0.0.1:{self.pg.port} ({self.dir / 'pg'})…")
        self.pg.start()
        self.database_url = self.pg.create_database("award_bench")
        ui_port = free_port() if self.ui else None
        self.temporal = TemporalDevServer(
            self.dir / "temporal.db" if self.temporal_db == "file" else None,
            free_port(),
            ui_port,
            search_attributes=SEARCH_ATTRIBUTES,
            log_file=self.dir / "temporal.log",
        )
        say(f"starting the Temporal dev server on {self.temporal.address} (state: {self.temporal_db})…")
        self.temporal.start()
        self._remember()
        say("applying migrations…")
        from db.migrate import upgrade

        upgrade(self.database_url)
        # the administrator, created like at install: by the CLI's function, never through the API
        asyncio.run(create_user(self.database_url, ADMIN[0], "系统管理员", Role.ADMIN, ADMIN[1]))
        self.api_port = free_port()
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "AWARD_ENVIRONMENT": "development",
            "AWARD_DATABASE_URL": self.database_url,
            "AWARD_TEMPORAL_ADDRESS": self.temporal.address,
            "AWARD_TEMPORAL_NAMESPACE": "default",
            "AWARD_JWT_SECRET": secrets.token_urlsafe(48),
            "AWARD_BOOTSTRAP_OFFICE_USERNAME": OFFICE[0],
            "AWARD_BOOTSTRAP_OFFICE_PASSWORD": OFFICE[1],
            # a run of N=1,000 outlasts the 15-minute access tokens its users sign in with once
            "AWARD_JWT_TTL_MINUTES": "720",
            "AWARD_SESSION_HOURS": "24",
            # every simulated user comes from 127.0.0.1: the per-IP limits would stop the run
            "AWARD_RATE_LIMIT_SIGN_IN_PER_IP": "100000/minute",
            "AWARD_RATE_LIMIT_OBJECTION_PER_IP": "100000/hour",
            "AWARD_RATE_LIMIT_OBJECTION_PER_APPLICATION": "100000/hour",
        }
        if self.rpc_timeout is not None:
            self.env["AWARD_TEMPORAL_RPC_TIMEOUT_SECONDS"] = str(self.rpc_timeout)
        self.spawn("worker", [sys.executable, "-m", "worker"])
        uvicorn = ["uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(self.api_port)]
        self.spawn("api", [sys.executable, "-m", *uvicorn, "--log-level", "warning", "--no-access-log"])
        deadline = time.monotonic() + 60
        while not port_accepts(self.api_port):
            self.check_alive()
            if time.monotonic() > deadline:
                raise BenchError(f"the API did not open port {self.api_port} in 60 s; see {self.dir}/api.log")
            time.sleep(0.2)
        say(
            f"stack up: API {self.api_url}, Temporal {self.temporal.address}"
            + (f", Web UI {self.temporal.ui_url}" if self.temporal.ui_url else "")
            + f"; logs in {self.dir}"
        )

    def spawn(self, name: str, args: list[str]) -> Child:
        log = self.dir / f"{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                args,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(name, process, log)
        self.children.append(child)
        self._remember()
        return child

    def stop_child(self, child: Child) -> None:
        if child.process.poll() is None:
            _kill_group(child.process.pid, signal.SIGTERM)
            try:
                child.process.wait(15)
            except subprocess.TimeoutExpired:
                say(f"{child.name} did not stop in 15 s: killing it")
        _kill_group(child.process.pid, signal.SIGKILL)  # whatever is left in its group
        child.process.wait()
        if child in self.children:
            self.children.remove(child)
        if self.dir.exists():
            self._remember()

    def check_alive(self) -> None:
        for child in self.children:
            if child.process.poll() is not None:
                tail = "\n".join(child.log.read_text(errors="replace").splitlines()[-25:])
                raise BenchError(
                    f"{child.name} exited with code {child.process.returncode}; {child.log}:\n{tail}"
                )

    def stop(self) -> None:
        for child in reversed(list(self.children)):
            self.stop_child(child)
        if self.temporal is not None:
            self.temporal.stop()
        if self.pg is not None:
            self.pg.stop()
        (self.dir / "pids.json").unlink(missing_ok=True)


# --- HTTP: concurrency limit and latency per route -------------------------------------------------
def make_plan(args: argparse.Namespace) -> Plan:
    n = args.n
    qualified = n - n // 10
    onsite = min(args.onsite if args.onsite is not None else 10, qualified)
    seats = 3 * (n + onsite)
    experts = args.experts or math.ceil(seats * 1.1 / args.load_cap) + 3
    intake = args.intake_seconds if args.intake_seconds is not None else max(20.0, 10 + 0.3 * n)
    wait = args.stage_timeout if args.stage_timeout is not None else 90 + 1.0 * n
    plan = Plan(
        n,
        args.concurrency,
        experts,
        args.load_cap,
        onsite,
        args.objections,
        intake,
        args.notice_seconds,
        wait,
    )
    plan.rules = {
        "demo": True,
        "quota_quality": 5,
        "quota_innovation": 5,
        "min_final_score": 600,
        "panel_size": 3,
        "expert_load_cap": args.load_cap,
        "onsite_threshold": 500,
        # Long enough that nobody is late in a healthy run; a reminder 1 s before the due time.
        "document_review_period": int(180 + 3 * n),
        "review_reminder_before": 1,
        "onsite_confirmation_period": int(180 + 3 * onsite),
        "onsite_reminder_before": 1,
        "public_notice_period": args.notice_seconds,
        "objection_investigation_period": 300,
        "objection_reminder_before": 1,
        "notes": f"性能基准周期（make bench, N={n}）：各期限以秒计",
    }
    return plan


# --- the bare-Temporal comparator ----------------------------------------------------------------
@dataclass
class Work:
    """What one group of bare workflows does, in total: shared out evenly inside the group."""

    activities: int = 0
    timers: int = 0
    upserts: int = 0
    markers: int = 0
    updates: int = 0  # sent by the client
    client_signals: int = 0  # sent by the client
    sent_signals: int = 0  # sent by the workflows themselves (SignalExternalWorkflowExecution)


@dataclass
class BareSpec:
    """The comparator's shape, taken from the procedure's histories. Workflows 0..roots-1 are
    started by the client (like the cycle); each root starts its share of the children (indices
    roots..workflows-1, child c belongs to root (c - roots) % roots) and signals its own children;
    each child signals its root. `lanes`: steps a root runs at once (the API's concurrency: its
    update handlers run side by side); a child runs its steps one after another."""

    workflows: int
    roots: int
    lanes: int
    id_prefix: str
    root_work: Work
    child_work: Work


@dataclass
class BareInput:
    spec: BareSpec
    index: int


@dataclass
class BarePlan:
    steps: int
    activities: int
    timers: int
    upserts: int
    markers: int
    signals: int  # to send
    children: list[int]  # to start (roots)
    signal_targets: list[int]  # one per signal sent
    expect_signals: int
    expect_updates: int


def share(total: int, parts: int, i: int) -> int:
    return total // parts + (1 if i < total % parts else 0) if parts > 0 else 0


def _down_targets(spec: BareSpec, root: int) -> list[int]:
    children = list(range(spec.roots + root, spec.workflows, spec.roots))
    count = share(spec.root_work.sent_signals, spec.roots, root) if children else 0
    return [children[k % len(children)] for k in range(count)]


def bare_plan(spec: BareSpec, i: int) -> BarePlan:
    """What workflow `i` does and receives (a pure function: the client and the workflows agree)."""
    roots, children = spec.roots, spec.workflows - spec.roots
    if i < roots:
        w, parts, rank = spec.root_work, roots, i
        kids = list(range(roots + i, spec.workflows, roots))
        targets = _down_targets(spec, i)
        received = sum(share(spec.child_work.sent_signals, children, c - roots) for c in kids)
    else:
        w, parts, rank = spec.child_work, children, i - roots
        kids = []
        parent = (i - roots) % roots
        targets = [parent] * share(w.sent_signals, parts, rank)
        received = _down_targets(spec, parent).count(i)
    plan = BarePlan(
        steps=0,
        activities=share(w.activities, parts, rank),
        timers=share(w.timers, parts, rank),
        upserts=share(w.upserts, parts, rank),
        markers=share(w.markers, parts, rank),
        signals=len(targets),
        children=kids,
        signal_targets=targets,
        expect_signals=received + share(w.client_signals, parts, rank),
        expect_updates=share(w.updates, parts, rank),
    )
    plan.steps = max(plan.activities, plan.timers, plan.upserts, plan.markers, plan.signals)
    return plan


@activity.defn(name="bare_noop")
async def bare_noop() -> None:
    return None


_BARE_STAGE = SearchAttributeKey.for_keyword(SA_STAGE)


@workflow.defn(name="BareBenchWorkflow", sandboxed=False)
class BareBenchWorkflow:
    def __init__(self) -> None:
        self.signals = 0
        self.updates = 0

    @workflow.run
    async def run(self, inp: BareInput) -> int:
        spec, plan = inp.spec, bare_plan(inp.spec, inp.index)
        for first in range(0, len(plan.children), 100):
            await asyncio.gather(
                *(
                    workflow.start_child_workflow(
                        BareBenchWorkflow.run,
                        BareInput(spec, c),
                        id=f"{spec.id_prefix}{c}",
                        parent_close_policy=ParentClosePolicy.ABANDON,
                    )
                    for c in plan.children[first : first + 100]
                )
            )
        lanes = spec.lanes if inp.index < spec.roots else 1
        await asyncio.gather(*(self._steps(spec, plan, range(k, plan.steps, lanes)) for k in range(lanes)))
        await workflow.wait_condition(
            lambda: self.signals >= plan.expect_signals and self.updates >= plan.expect_updates
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return inp.index

    async def _steps(self, spec: BareSpec, plan: BarePlan, steps: range) -> None:
        for k in steps:
            if k < plan.activities:
                await workflow.execute_activity(bare_noop, start_to_close_timeout=timedelta(seconds=30))
            if k < plan.timers:
                await workflow.sleep(0.001)
            if k < plan.upserts:
                workflow.upsert_search_attributes([_BARE_STAGE.value_set(f"BENCH-{k}")])
            if k < plan.markers:
                workflow.patched(f"bench-marker-{k}")
            if k < plan.signals:
                target = f"{spec.id_prefix}{plan.signal_targets[k]}"
                await workflow.get_external_workflow_handle(target).signal(BareBenchWorkflow.poke)

    @workflow.signal
    def poke(self) -> None:
        self.signals += 1

    @workflow.update
    def ping(self) -> None:
        self.updates += 1


async def comparator_worker(address: str, task_queue: str) -> None:
    """`bench_cycle.py --comparator-worker ADDRESS QUEUE`: the comparator's worker process."""
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(client, task_queue=task_queue, workflows=[BareBenchWorkflow], activities=[bare_noop]):
        await stop.wait()


def bare_spec(counted: Census, prefix: str, lanes: int) -> BareSpec:
    """The procedure's actions, split between root runs (the cycle) and children (the rest)."""

    def work(root: bool) -> Work:
        markers = counted.part("MarkerRecorded", root=root)
        sent = counted.part("SignalExternalWorkflowExecutionInitiated", root=root)
        # Signals the other group sent arrive here; the rest came from clients (the API).
        arrived = counted.part("SignalExternalWorkflowExecutionInitiated", root=not root)
        return Work(
            activities=counted.part("ActivityTaskScheduled", root=root),
            timers=counted.part("TimerStarted", root=root),
            # The SDK upserts TemporalChangeVersion with each new patch marker: those come with the markers.
            upserts=max(0, counted.part("UpsertWorkflowSearchAttributes", root=root) - markers),
            markers=markers,
            updates=counted.part("WorkflowExecutionUpdateAccepted", root=root),
            client_signals=max(0, counted.part("WorkflowExecutionSignaled", root=root) - arrived),
            sent_signals=sent,
        )

    roots = max(1, sum(r.root for r in counted.runs))
    return BareSpec(
        workflows=max(roots, len(counted.runs)),
        roots=roots,
        lanes=max(1, lanes),
        id_prefix=prefix,
        root_work=work(True),
        child_work=work(False),
    )


async def run_comparator(
    client: Client, spec: BareSpec, task_queue: str, concurrency: int, timeout: float, refused: Counter[str]
) -> float:
    """Start, update and signal the bare workflows as the API did; returns the wall time until every
    one has completed. Calls the server refuses as RESOURCE_EXHAUSTED are retried after 0.1 s and
    counted in `refused`, by message."""
    limit = asyncio.Semaphore(concurrency)
    end = time.monotonic() + timeout
    w, roots = spec.workflows, spec.roots

    async def bounded(call: Callable[[], Awaitable[Any]]) -> None:
        while True:
            try:
                async with limit:
                    await call()
                return
            except RPCError as e:  # e.g. the server's limit of 10 updates in flight per workflow
                if e.status != RPCStatusCode.RESOURCE_EXHAUSTED or time.monotonic() > end:
                    raise
                refused[e.message.split("(")[0].strip()] += 1
            await asyncio.sleep(0.1)

    def start(i: int) -> Callable[[], Awaitable[Any]]:
        return lambda: client.start_workflow(
            BareBenchWorkflow.run, BareInput(spec, i), id=f"{spec.id_prefix}{i}", task_queue=task_queue
        )

    def handle(i: int) -> Any:
        return client.get_workflow_handle(f"{spec.id_prefix}{i}")

    def update(i: int) -> Callable[[], Awaitable[Any]]:
        return lambda: handle(i).execute_update(BareBenchWorkflow.ping)

    def poke(i: int) -> Callable[[], Awaitable[Any]]:
        return lambda: handle(i).signal(BareBenchWorkflow.poke)

    def messages(first: int, count: int, work: Work) -> list[Callable[[], Awaitable[Any]]]:
        """Updates and client signals to workflows first..first+count-1, shared out as bare_plan expects."""
        return [
            *(update(first + u % count) for u in range(work.updates)),
            *(poke(first + k % count) for k in range(work.client_signals)),
        ]

    async def run_all(calls: Iterable[Callable[[], Awaitable[Any]]]) -> None:
        async with asyncio.TaskGroup() as group:
            for call in calls:
                group.create_task(bounded(call))

    async def counted(query: str) -> int:
        return (await client.count_workflows(f"TaskQueue = '{task_queue}'{query}")).count

    async def children_then_messages() -> None:
        async def all_started() -> bool | None:
            return True if await counted("") >= w else None

        await eventually(
            all_started, timeout=max(10.0, end - time.monotonic()), every=0.1, what="bare children"
        )
        await run_all(messages(roots, w - roots, spec.child_work))

    begin = time.perf_counter()
    await run_all(start(i) for i in range(roots))
    async with asyncio.TaskGroup() as group:
        group.create_task(run_all(messages(0, roots, spec.root_work)))
        if w > roots:
            group.create_task(children_then_messages())

    async def done() -> bool | None:
        return (
            True
            if await counted("") >= w and await counted(" AND ExecutionStatus = 'Running'") == 0
            else None
        )

    await eventually(
        done, timeout=max(10.0, end - time.monotonic()), every=0.1, what="every bare workflow completed"
    )
    wall = time.perf_counter() - begin
    failed = await counted(" AND ExecutionStatus != 'Completed'")
    if failed:
        raise BenchError(f"{failed} comparator workflows did not complete; see the worker log")
    return wall


# --- the read benchmark --------------------------------------------------------------------------
async def seed_reads(database_url: str, year: int, rows: int) -> None:
    """`rows` enterprises and their applications of `year`, inserted directly (bulk)."""
    from db import bench
    from db.session import make_engine

    engine = make_engine(database_url)
    rng = random.Random(year)
    now = datetime.now(UTC)
    sheet = scores(70)
    stages = [("NOT_QUALIFIED", 10), ("NOT_SHORTLISTED", 80), ("NOT_AWARDED", 7), ("AWARDED", 3)]
    try:
        async with engine.begin() as conn:
            await bench.add_cycle(
                conn,
                year=year,
                workflow_id=f"award-cycle-{year}",
                rules={"year": year, "demo": True, "onsite_threshold": 500},
                rules_revision="鹿城区政府质量奖评审管理办法（2023年修订）",
                criteria_edition="GB/T 19580-2012",
                deadline=now - timedelta(days=200),
                stage="COMPLETED",
                started_by="bench-seed",
                started_at=now - timedelta(days=260),
            )
            for first in range(0, rows, 1000):
                batch = range(first, min(rows, first + 1000))
                fields = {i: rng.choice(("INDUSTRY", "CONSTRUCTION", "SERVICES")) for i in batch}
                enterprises = [
                    {
                        "credit_code": credit_code(1_000_000 + i),
                        "name": f"鹿城读取基准{i:05d}号有限公司",
                        "registered_district": "鹿城区",
                        "tax_district": "鹿城区",
                        "independent_legal_person": True,
                        "registration_date": (now - timedelta(days=1500 + i % 3000)).date(),
                        "field": fields[i],
                        "sector_tags": ["INTELLIGENT_EQUIPMENT"],
                    }
                    for i in batch
                ]
                ids = await bench.add_enterprises(conn, enterprises)
                applications = []
                for i, enterprise_id in zip(batch, ids, strict=True):
                    stage = rng.choices([s for s, _ in stages], [w for _, w in stages])[0]
                    reviewed = stage != "NOT_QUALIFIED"
                    onsite = stage in ("AWARDED", "NOT_AWARDED")
                    application_id = f"{year}-{i + 1:04d}"
                    applications.append(
                        {
                            "id": application_id,
                            "cycle_year": year,
                            "enterprise_id": enterprise_id,
                            "award": "QUALITY" if i % 2 else "INNOVATION",
                            "field": fields[i],
                            "sector_tags": ["INTELLIGENT_EQUIPMENT"],
                            "documents": [
                                {"kind": kind, "sha256": f"{i:064x}", "title": kind}
                                for kind in ("SELF_ASSESSMENT_REPORT", "APPLICATION_FORM", "EVIDENCE")
                            ],
                            "self_assessment": sheet,
                            "document_score": f"{rng.randint(450, 900)}.00" if reviewed else None,
                            "onsite_score": f"{rng.randint(600, 900)}.00" if onsite else None,
                            "contact_name": "申报联系人",
                            "contact_phone": "0577-88000000",
                            "stage": stage,
                            "outcome": stage,
                            "workflow_id": f"application-{application_id}",
                            "submitted_by": f"seed{i}",
                            "submitted_at": now - timedelta(days=220, seconds=i),
                        }
                    )
                await bench.add_applications(conn, applications)
        async with engine.begin() as conn:  # a database of that size has its planner statistics
            await bench.analyze_applications(conn)
    finally:
        await engine.dispose()


async def read_benchmark(
    api_url: str, year: int, rows: int, clients: int, seconds: float, page_size: int, rate: float
) -> dict[str, Any]:
    stats = HttpStats()
    async with http_client(api_url, stats, clients) as api:
        office = await Scenario.login(api, *OFFICE)
        total = expect(
            await api.get("/applications", headers=office, params={"year": year, "page_size": 1}), 200
        )
        if total["total"] != rows:
            raise BenchError(
                f"GET /applications?year={year} counts {total['total']} rows, {rows} were seeded"
            )
        pages = max(1, math.ceil(rows / page_size))
        latencies: dict[str, list[float]] = {"list": [], "detail": []}
        errors: list[str] = []
        stop = time.monotonic() + seconds

        async def reader(k: int) -> None:
            rng = random.Random(k)
            turn = k
            while time.monotonic() < stop and not errors:
                turn += 1
                kind = "list" if turn % 2 else "detail"
                if kind == "list":
                    params = {"year": year, "page": rng.randint(1, pages), "page_size": page_size}
                    request = api.get("/applications", headers=office, params=params)
                else:
                    request = api.get(f"/applications/{year}-{rng.randint(1, rows):04d}", headers=office)
                start = time.perf_counter()
                r = await request
                latencies[kind].append(time.perf_counter() - start)
                if r.status_code != 200:
                    errors.append(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text[:300]}")

        begin = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for k in range(clients):
                group.create_task(reader(k))
        elapsed = time.perf_counter() - begin
        if errors:
            raise BenchError(f"read benchmark: {errors[0]}")

        # Open loop: the same clients, each sending at a fixed pace (rate/clients per second) whatever
        # the answers take; latency is measured from each request's scheduled time, so a slow answer
        # delays nothing it should not (no coordinated omission).
        paced: dict[str, list[float]] = {"list": [], "detail": []}
        interval = clients / rate
        paced_stop = time.perf_counter() + seconds

        async def paced_reader(k: int) -> None:
            rng = random.Random(1000 + k)
            due = time.perf_counter() + interval * k / clients
            turn = k
            pending: list[asyncio.Task[None]] = []

            async def one(kind: str, at: float) -> None:
                if kind == "list":
                    params = {"year": year, "page": rng.randint(1, pages), "page_size": page_size}
                    r = await api.get("/applications", headers=office, params=params)
                else:
                    r = await api.get(f"/applications/{year}-{rng.randint(1, rows):04d}", headers=office)
                paced[kind].append(time.perf_counter() - at)
                if r.status_code != 200:
                    errors.append(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text[:300]}")

            while due < paced_stop and not errors:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                turn += 1
                pending.append(asyncio.create_task(one("list" if turn % 2 else "detail", due)))
                due += interval
            await asyncio.gather(*pending)

        begin = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for k in range(clients):
                group.create_task(paced_reader(k))
        paced_elapsed = time.perf_counter() - begin
        if errors:
            raise BenchError(f"read benchmark (paced): {errors[0]}")
    return {
        "rows": rows,
        "clients": clients,
        "seconds": elapsed,
        "page_size": page_size,
        "list": summary(latencies["list"], elapsed),
        "detail": summary(latencies["detail"], elapsed),
        "paced": {
            "rate": rate,
            "seconds": paced_elapsed,
            "list": summary(paced["list"], paced_elapsed),
            "detail": summary(paced["detail"], paced_elapsed),
        },
    }


def summary(xs: Sequence[float], seconds: float) -> dict[str, float]:
    return {
        "requests": len(xs),
        "p50_ms": pct(xs, 0.5) * 1000,
        "p99_ms": pct(xs, 0.99) * 1000,
        "per_second": len(xs) / seconds if seconds else 0.0,
    }


# --- report -------------------------------------------------------------------------------------
def _print_read_rows(reads: dict[str, Any], stats: dict[str, Any]) -> None:
    """One line per read kind (the list page, one application) of the read benchmark `stats`."""
    for kind, label in (
        ("list", f"GET /applications?year=&page= (page_size {reads['page_size']})"),
        ("detail", "GET /applications/{id}"),
    ):
        x = stats[kind]
        print(
            f"  {label:<52} {x['requests']:6d} req  p50 {x['p50_ms']:7.1f} ms  p99 {x['p99_ms']:7.1f} ms  "
            f"{x['per_second']:7.1f} req/s"
        )


def print_report(result: dict[str, Any]) -> None:
    n = result["n"]
    print(flush=True)
    print(
        f"=== bench_cycle: one award cycle of {n} applications ({result['concurrency']} concurrent requests) ==="
    )
    print("\nStage wall times (idle = waiting for a demo-length timer, no work):")
    for st in result["stages"]:
        flag = "  idle" if st["idle"] else ""
        print(f"  {st['name']:<28} {st['seconds']:8.1f} s{flag}   {st['note']}")
    proc = result["procedure"]
    print(f"  {'TOTAL procedure':<28} {proc['total_seconds']:8.1f} s")
    print(f"  {'  of which active':<28} {proc['active_seconds']:8.1f} s   (without the idle timer waits)")

    print(f"\nAPI calls during the procedure: {sum(r['count'] for r in result['routes'])}")
    print(f"  {'route':<58} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'503 retries':>12}")
    for r in result["routes"]:
        retried = str(r["retries_503"]) if r["retries_503"] else ""
        print(f"  {r['route']:<58} {r['count']:6d} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {retried:>12}")
    if any(r["retries_503"] for r in result["routes"]):
        print(
            "  (503 retries: the API's Temporal call timed out and the request was sent again with the same"
            " Idempotency-Key; latency is the whole exchange)"
        )

    t = result["temporal"]
    print(
        f"\nTemporal actions (history events billed by Temporal Cloud, {t['runs']} workflow runs): "
        f"{t['actions_total']} total, {t['actions_per_application']:.1f} per application"
    )
    for kind, count in t["actions_by_type"].items():
        print(f"  {kind:<44} {count:8d}")
    print("\nLargest history per workflow type:")
    print(f"  {'workflow type':<24} {'runs':>6} {'max events':>11} {'max bytes':>11} {'actions':>9}  largest")
    for row in t["largest"]:
        print(
            f"  {row['workflow_type']:<24} {row['runs']:6d} {row['max_events']:11d} {row['max_bytes']:11d} "
            f"{row['actions']:9d}  {row['largest_workflow_id']}"
        )

    c = result.get("comparator")
    if c:
        print("\nBare-Temporal comparator (same server; its own no-op workflows and activities):")
        print("  NOTE: it does the bare Temporal work only: no API, no database, no business logic.")
        print(
            f"  performed: {c['actions_total']} actions — "
            + ", ".join(f"{k} {v}" for k, v in c["actions_by_type"].items() if v)
        )
        for message, count in c["refused_and_retried"].items():
            print(f"  the server refused {count} calls ({message}); each retried after 0.1 s")
        print(f"  comparator wall time           {c['wall_seconds']:8.1f} s")
        print(f"  procedure / comparator         {c['ratio_total']:8.1f} x   (procedure total)")
        print(f"  active procedure / comparator  {c['ratio_active']:8.1f} x   (without idle timer waits)")
    reads = result.get("reads")
    if reads:
        print(
            f"\nRead benchmark: {reads['rows']} seeded applications (year {reads['year']}), {reads['clients']} "
            f"concurrent office clients for {reads['seconds']:.1f} s"
        )
        _print_read_rows(reads, reads)
        print(
            "  (closed loop: each client sends its next request when the last one is answered — saturation)"
        )
        paced = reads["paced"]
        print(
            f"  open loop: {paced['rate']:.0f} requests/s spread over the {reads['clients']} clients for "
            f"{paced['seconds']:.1f} s (latency from each request's scheduled time)"
        )
        _print_read_rows(reads, paced)
    print(
        f"\nTotal procedure wall time: {proc['total_seconds']:.1f} s ({proc['active_seconds']:.1f} s active)"
    )


# --- main ---------------------------------------------------------------------------------------
async def bench(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    plan = make_plan(args)
    this_year = cst_date(datetime.now(UTC)).year
    year = this_year + 1
    say(
        f"plan: N={plan.n}, {plan.concurrency} concurrent requests, {plan.experts} experts (load cap {plan.load_cap}), "
        f"on-site list {plan.onsite}, {plan.objections} objections, intake {plan.intake_seconds:.0f} s, "
        f"notice {plan.notice_seconds} s, stage time limit {plan.wait_seconds:.0f} s"
    )
    stats = HttpStats()
    result: dict[str, Any] = {"n": plan.n, "concurrency": plan.concurrency, "year": year}
    async with http_client(stack.api_url, stats, plan.concurrency, retry_for=plan.wait_seconds) as api:
        health = expect(await api.get("/health"), 200)
        if health.get("status") != "ok":
            raise BenchError(f"the API is not healthy: {health}")
        stats.routes = RouteNames(expect(await api.get("/openapi.json"), 200))
        cycle = Cycle(api, stats, plan, year, office=OFFICE, admin=ADMIN)
        await cycle.setup()
        await cycle.procedure()
    proc_total, proc_idle = cycle.clock.total, cycle.clock.idle
    result |= {
        "plan": asdict(plan),
        "stages": [asdict(s) for s in cycle.clock.stages],
        "procedure": {
            "total_seconds": proc_total,
            "idle_seconds": proc_idle,
            "active_seconds": proc_total - proc_idle,
        },
        "routes": stats.table(),
        "outcomes": cycle.figures["outcomes"],
    }
    say(
        f"procedure done in {proc_total:.1f} s ({proc_total - proc_idle:.1f} s active); reading the histories…"
    )

    client = await Client.connect(stack.address)
    counted = await settled_census(client, None)
    of_year = [wf.id async for wf in client.list_workflows(f"AwardYear = {year}")]
    if len(of_year) != len(counted.runs):
        say(
            f"   note: {len(counted.runs)} workflow runs on the server, {len(of_year)} carry AwardYear = {year}"
        )
    result["temporal"] = {
        "runs": len(counted.runs),
        "runs_with_award_year": len(of_year),
        "actions_total": counted.total,
        "actions_per_application": counted.total / plan.n,
        "actions_by_type": counted.by_type,
        "largest": counted.largest(),
    }
    say(
        f"   {counted.total} actions in {len(counted.runs)} workflow runs ({counted.total / plan.n:.1f} per application)"
    )

    if args.comparator:
        spec = bare_spec(counted, f"bare-{os.getpid()}-", plan.concurrency)
        say(
            f"comparator: {spec.workflows} workflows ({spec.roots} started by the client), "
            f"root work {spec.root_work}, child work {spec.child_work}…"
        )
        worker = await asyncio.to_thread(
            stack.spawn,
            "comparator-worker",
            [sys.executable, str(SCRIPT), "--comparator-worker", stack.address, COMPARATOR_QUEUE],
        )
        try:
            refused: Counter[str] = Counter()
            wall = await run_comparator(
                client, spec, COMPARATOR_QUEUE, plan.concurrency, timeout=600 + proc_total, refused=refused
            )
        finally:
            await asyncio.to_thread(stack.stop_child, worker)
        bare = await census(client, f"TaskQueue = '{COMPARATOR_QUEUE}'")
        result["comparator"] = {
            "spec": asdict(spec),
            "wall_seconds": wall,
            "actions_total": bare.total,
            "actions_by_type": bare.by_type,
            "ratio_total": proc_total / wall,
            "ratio_active": (proc_total - proc_idle) / wall,
            "refused_and_retried": dict(refused),
            "note": "bare Temporal work only: no API, no database, no business logic",
        }
        say(f"   comparator done in {wall:.1f} s ({bare.total} actions)")
        if bare.total != counted.total:
            say(f"   note: the comparator performed {bare.total} actions, the procedure {counted.total}")

    if args.reads:
        read_year = year - 1
        say(f"reads: seeding {args.read_rows} applications of {read_year} into PostgreSQL…")
        start = time.perf_counter()
        await seed_reads(stack.database_url, read_year, args.read_rows)
        say(
            f"   seeded in {time.perf_counter() - start:.1f} s; {args.read_clients} clients for {args.read_seconds:.0f} s…"
        )
        reads = await read_benchmark(
            stack.api_url,
            read_year,
            args.read_rows,
            args.read_clients,
            args.read_seconds,
            args.read_page_size,
            args.read_rate,
        )
        result["reads"] = {"year": read_year, **reads}
    return result


async def watched(stack: Stack, work: Awaitable[T]) -> T:
    """`work`, failing at once if the worker or the API process dies."""

    async def watch() -> None:
        while True:
            await asyncio.sleep(1)
            stack.check_alive()

    main = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(watch())
    try:
        await asyncio.wait({main, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if watcher.done():
            main.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await main
            watcher.result()  # raises the BenchError
        return main.result()
    finally:
        for task in (main, watcher):
            task.cancel()
        await asyncio.gather(main, watcher, return_exceptions=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="One whole award cycle of N applications through the HTTP API, measured (make bench)."
    )
    p.add_argument("--n", type=int, default=100, help="applications in the cycle (default 100)")
    p.add_argument("--concurrency", type=int, default=32, help="HTTP requests in flight at most (default 32)")
    p.add_argument("--load-cap", type=int, default=5, help="the rules' expert_load_cap (default 5)")
    p.add_argument("--experts", type=int, default=0, help="expert pool (default: enough for every panel)")
    p.add_argument(
        "--onsite",
        type=int,
        default=None,
        help="applications on the on-site list (default min(10, qualified))",
    )
    p.add_argument(
        "--objections", type=int, default=4, help="public objections, named and anonymous alternating"
    )
    p.add_argument(
        "--intake-seconds",
        type=float,
        default=None,
        help="deadline after the rules' approval (default max(20, 10 + 0.3 N))",
    )
    p.add_argument(
        "--notice-seconds", type=int, default=20, help="public notice period in seconds (default 20)"
    )
    p.add_argument(
        "--stage-timeout", type=float, default=None, help="time limit of each wait (default 90 + N s)"
    )
    p.add_argument(
        "--rpc-timeout",
        type=float,
        default=None,
        help="the API's Temporal call timeout (AWARD_TEMPORAL_RPC_TIMEOUT_SECONDS)",
    )
    p.add_argument(
        "--comparator",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the bare-Temporal comparator",
    )
    p.add_argument(
        "--reads", action=argparse.BooleanOptionalAction, default=True, help="run the read benchmark"
    )
    p.add_argument("--read-rows", type=int, default=10000, help="applications seeded for the read benchmark")
    p.add_argument("--read-clients", type=int, default=50, help="concurrent readers (default 50)")
    p.add_argument(
        "--read-seconds", type=float, default=20, help="duration of the read benchmark (default 20 s)"
    )
    p.add_argument("--read-page-size", type=int, default=50, help="page size of the list reads (default 50)")
    p.add_argument(
        "--read-rate",
        type=float,
        default=50,
        help="open-loop phase: requests per second over all clients (default 50: each client one a second)",
    )
    p.add_argument(
        "--temporal-db",
        choices=("file", "memory"),
        default="file",
        help="the dev server's SQLite state: a file as in make run (default) or in memory (less disk noise)",
    )
    p.add_argument("--ui", action="store_true", help="also serve the Temporal Web UI (its URL is printed)")
    p.add_argument(
        "--keep", action="store_true", help="keep .data/bench-<pid>/ (logs, data) after a successful run"
    )
    p.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file too")
    args = p.parse_args(argv)
    if args.n < 1 or args.concurrency < 1 or args.load_cap < 1 or args.read_rows < 1:
        p.error("--n, --concurrency, --load-cap and --read-rows must be positive")
    return args


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--comparator-worker"]:
        asyncio.run(comparator_worker(argv[1], argv[2]))
        return 0
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    DATA.mkdir(exist_ok=True)
    stack = Stack(args.ui, args.rpc_timeout, args.temporal_db)
    code = 1
    try:
        reap_stale_runs()
        stack.start()
        result = asyncio.run(watched(stack, bench(stack, args)))
        print_report(result)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
            print(f"figures written to {args.json}")
        code = 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the stack…", file=sys.stderr, flush=True)
        code = 130
    except BaseException as exc:  # report every failure plainly, then stop the stack
        error = first_error(exc)
        if isinstance(error, KeyboardInterrupt):
            code = 130
            print("\ninterrupted: stopping the stack…", file=sys.stderr, flush=True)
        elif isinstance(error, (BenchError, ScenarioError)):
            print(f"\nbench failed: {error}", file=sys.stderr, flush=True)
        elif isinstance(error, httpx.HTTPError):
            print(
                f"\nbench failed: the API stopped answering ({type(error).__name__}: {error})",
                file=sys.stderr,
            )
        else:
            import traceback

            traceback.print_exception(error)
            print(f"\nbench failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
    finally:
        with contextlib.suppress(KeyboardInterrupt):
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            say("stopping the stack…")
            stack.stop()
            if code == 0 and not args.keep:
                shutil.rmtree(stack.dir, ignore_errors=True)
            else:
                say(f"data and logs kept in {stack.dir}")
    return code


if __name__ == "__main__":
    exit_code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)  # Temporal's runtime sometimes crashes at interpreter exit (STACK.md)
