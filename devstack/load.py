"""Drive whole award cycles through the HTTP API, concurrently, as their users would, and count
what they cost in Temporal: shared by `make bench` (scripts/bench_cycle.py) and the scale tests.

Every step acts as one of the system's users with their own token (devstack.scenario); the
census reads the workflow histories of a cycle and counts the events Temporal Cloud bills as
actions, and the largest history of each workflow type (P5).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import Client

from devstack.scenario import (
    COMMITTEE,
    Scenario,
    ScenarioError,
    eventually,
    expect,
    password_of,
)
from domain.calendar import cst_date

T = TypeVar("T")
X = TypeVar("X")

# Temporal Cloud bills these history events as actions.
BILLED = (
    "WorkflowExecutionStarted",
    "ActivityTaskScheduled",
    "TimerStarted",
    "SignalExternalWorkflowExecutionInitiated",
    "WorkflowExecutionSignaled",
    "WorkflowExecutionUpdateAccepted",
    "StartChildWorkflowExecutionInitiated",
    "UpsertWorkflowSearchAttributes",
    "MarkerRecorded",
)
FINAL_STAGES = ("NOT_QUALIFIED", "NOT_SHORTLISTED", "AWARDED", "NOT_AWARDED")
_t0 = time.monotonic()
Credentials = tuple[str, str]


QUIET = False  # tests set it: no progress lines


def say(text: str = "") -> None:
    if not QUIET:
        print(f"[{time.monotonic() - _t0:9.1f}s] {text}" if text else "", flush=True)


class RouteNames:
    """Maps a request path to its OpenAPI route template (`/applications/{application_id}`)."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        patterns: list[tuple[int, str, re.Pattern[str], str]] = []
        for path, operations in openapi.get("paths", {}).items():
            segments = path.strip("/").split("/")
            literal = sum(not s.startswith("{") for s in segments)
            rx = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments)
            for method in operations:
                patterns.append((literal, method.upper(), re.compile(f"^/{rx}$"), path))
        self.patterns = sorted(patterns, key=lambda p: -p[0])

    def name(self, method: str, path: str) -> str:
        for _, m, rx, template in self.patterns:
            if m == method and rx.match(path):
                return f"{method} {template}"
        return f"{method} {path}"


class HttpStats:
    def __init__(self) -> None:
        self.routes: RouteNames | None = None
        self.recording = False
        self.calls: dict[str, list[float]] = {}
        self.retries: Counter[str] = Counter()

    def record(self, method: str, path: str, seconds: float, retries: int = 0) -> None:
        if self.recording:
            name = self.routes.name(method, path) if self.routes else f"{method} {path}"
            self.calls.setdefault(name, []).append(seconds)
            self.retries[name] += retries

    def table(self) -> list[dict[str, Any]]:
        rows = [
            {
                "route": route,
                "count": len(xs),
                "p50_ms": pct(xs, 0.50) * 1000,
                "p99_ms": pct(xs, 0.99) * 1000,
                "retries_503": self.retries[route],
            }
            for route, xs in self.calls.items()
        ]
        return sorted(rows, key=lambda r: (-r["count"], r["route"]))


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class TimedTransport(httpx.AsyncBaseTransport):
    """At most `limit` requests in flight; each timed until its body is read.

    Every POST carries an Idempotency-Key. When the API answers 503 WORKFLOW_SERVICE_UNAVAILABLE
    (its Temporal call timed out; the step may still be running) the request is sent again with
    the same key, as that answer tells a client to, for up to `retry_for` seconds. The latency
    recorded is the whole exchange, as the user sees it; the retries are counted per route."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, stats: HttpStats, limit: int, retry_for: float
    ) -> None:
        self.inner = inner
        self.stats = stats
        self.limit = asyncio.Semaphore(limit)
        self.retry_for = retry_for

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "idempotency-key" not in request.headers:
            request.headers["Idempotency-Key"] = uuid.uuid4().hex
        start = time.perf_counter()
        retries = 0
        while True:
            async with self.limit:
                response = await self.inner.handle_async_request(request)
                try:
                    content = await response.aread()
                finally:
                    await response.aclose()
            unavailable = response.status_code == 503 and b"WORKFLOW_SERVICE_UNAVAILABLE" in content
            if not (
                unavailable and request.method == "POST" and time.perf_counter() - start < self.retry_for
            ):
                break
            retries += 1
            await asyncio.sleep(1)
        self.stats.record(request.method, request.url.path, time.perf_counter() - start, retries)
        skip = {"content-encoding", "transfer-encoding", "content-length"}
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in skip]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=content,
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def http_client(base_url: str, stats: HttpStats, limit: int, retry_for: float = 0.0) -> httpx.AsyncClient:
    inner = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=limit + 8, max_keepalive_connections=limit + 8)
    )
    transport = TimedTransport(inner, stats, limit, retry_for)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=120)


# --- timing and progress ---------------------------------------------------------------------------
@dataclass
class StageTime:
    name: str
    seconds: float
    idle: bool = False  # waiting for a demo timer (deadline, notice period), no work
    note: str = ""


class Clock:
    def __init__(self) -> None:
        self.stages: list[StageTime] = []

    @contextlib.contextmanager
    def stage(self, name: str, *, idle: bool = False, note: str = "") -> Iterator[StageTime]:
        say(f"▶ {name}" + (f" — {note}" if note else ""))
        record = StageTime(name, 0.0, idle, note)
        start = time.perf_counter()
        try:
            yield record
        finally:
            record.seconds = time.perf_counter() - start
        self.stages.append(record)
        say(f"✓ {name}: {record.seconds:.1f} s" + (f" ({record.note})" if record.note != note else ""))

    @property
    def total(self) -> float:
        return sum(s.seconds for s in self.stages)

    @property
    def idle(self) -> float:
        return sum(s.seconds for s in self.stages if s.idle)


class Progress:
    def __init__(self, what: str, total: int, every: float = 5.0) -> None:
        self.what, self.total, self.every = what, total, every
        self.done = 0
        self.last = time.monotonic()

    def tick(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.done == self.total or now - self.last >= self.every:
            self.last = now
            say(f"   {self.what}: {self.done}/{self.total}")


async def each(items: Sequence[X], fn: Callable[[X], Awaitable[T]], what: str) -> list[T]:
    """fn over every item concurrently (the HTTP client bounds the requests in flight); the first
    failure cancels the rest."""
    progress = Progress(what, len(items))

    async def one(x: X) -> T:
        result = await fn(x)
        progress.tick()
        return result

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(x)) for x in items]
    return [t.result() for t in tasks]


def first_error(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


# --- the award cycle through the API ---------------------------------------------------------------
def qms_expired(n: int) -> list[dict[str, Any]]:
    """Facts of an enterprise whose QMS certificate expired before the deadline: not qualified."""
    today = datetime.now(UTC).date()
    return [
        {
            "kind": "QMS_CERTIFICATE",
            "on": str(today - timedelta(days=1100)),
            "number": f"CQC-{n:05d}",
            "body": "中国质量认证中心",
            "valid_from": str(today - timedelta(days=1100)),
            "valid_to": str(today - timedelta(days=5)),
        },
        {"kind": "CREDIT_STATUS", "on": str(today - timedelta(days=20)), "status": "GOOD"},
        {
            "kind": "INNOVATION_RESULT",
            "on": str(today - timedelta(days=200)),
            "summary": "获实用新型专利两项",
        },
    ]


@dataclass
class Plan:
    n: int
    concurrency: int
    experts: int
    load_cap: int
    onsite: int
    objections: int
    intake_seconds: float
    notice_seconds: int
    wait_seconds: float  # time limit of each wait for a stage
    rules: dict[str, Any] = field(default_factory=dict)
    named_objections: int | None = None  # the named (investigated) ones; None: every other one

    @property
    def failing(self) -> set[int]:
        return {n for n in range(1, self.n + 1) if n % 10 == 0}  # about 10 % not qualified

    @staticmethod
    def award(n: int) -> str:
        return "QUALITY" if n % 2 else "INNOVATION"

    @staticmethod
    def document_pct(n: int) -> int:
        return 50 + 5 * ((n * 7) % 9)  # 500..900 points (rubric steps of 5 %), all at or above 500

    @staticmethod
    def onsite_pct(rank: int) -> int:
        return 60 + 5 * (rank % 9)  # 600..1000 points: distinct for the first 9 ranks


class Cycle:
    """One whole award cycle of plan.n applications, driven through the API as its users do."""

    def __init__(
        self,
        api: httpx.AsyncClient,
        stats: HttpStats,
        plan: Plan,
        year: int,
        *,
        office: Credentials,
        admin: Credentials,
    ) -> None:
        self.api = api
        self.credentials = (office, admin)
        self.stats = stats
        self.plan = plan
        self.year = year
        self.clock = Clock()
        self.s: Scenario | None = None
        self.investigator: dict[str, str] = {}
        self.deadline = datetime.now(UTC)  # of intake, fixed by the rules approved in set-up
        self.figures: dict[str, Any] = {}

    @property
    def sc(self) -> Scenario:
        assert self.s is not None
        return self.s

    # --- reading the office's lists ---------------------------------------------------------------
    async def count(self, **filters: Any) -> int:
        r = await self.api.get(
            "/applications", headers=self.sc.office, params={"year": self.year, "page_size": 1, **filters}
        )
        return int(expect(r, 200)["total"])

    async def wait_apps(self, stage: str, expected: int) -> None:
        """Until the office's list shows `expected` applications of the year in `stage`."""

        async def probe() -> int | None:
            found = await self.count(stage=stage)
            return found if found >= expected else None

        await eventually(
            probe, timeout=self.plan.wait_seconds, every=0.5, what=f"{expected} applications in {stage}"
        )

    async def wait_cycle(self, *stages: str, timeout: float | None = None) -> dict[str, Any]:
        return await self.sc.wait_cycle(*stages, timeout=timeout or self.plan.wait_seconds)

    # --- set-up (not timed) ------------------------------------------------------------------------
    async def setup(self) -> None:
        p = self.plan
        office_login, admin_login = self.credentials
        office = await Scenario.login(self.api, *office_login)
        admin = await Scenario.login(self.api, *admin_login)
        self.s = s = Scenario(self.api, office, self.year, admin=admin)
        say(f"set-up: {p.n} enterprises (facts, accounts), {p.experts} experts, committee, roster, rules")

        async def enterprise(n: int) -> None:
            facts = qms_expired(n) if n in p.failing else None
            await s.enterprise(n, f"鹿城基准测试{n:05d}号有限公司", facts=facts)

        await each(list(range(1, p.n + 1)), enterprise, "enterprises registered")
        await each(list(range(1, p.experts + 1)), s.expert, "experts registered")
        await s.committee_accounts()
        self.investigator = await s.account("investigator1", "office", password_of("investigator1"), "调查员")
        await s.appoint_committee()
        self.deadline = datetime.now(UTC) + timedelta(seconds=p.intake_seconds)
        # the load files many anonymous objections that are only recorded: rules the committee approves
        # with its reason (Art. 14(5) has every objection investigated by default)
        s.rules = {
            "year": self.year,
            "application_deadline": self.deadline.isoformat(),
            "investigate_anonymous": False,
            **p.rules,
        }
        note = "负载测试：匿名异议仅登记，不予调查" if not s.rules["investigate_anonymous"] else ""
        expect(
            await self.api.post(
                f"/cycles/{self.year}/rules/approve",
                headers=s.committee["chair"],
                json={"rules": s.rules, "note": note},
            ),
            200,
        )
        say(f"set-up done; intake closes {p.intake_seconds:.0f} s after the rules' approval")

    # --- the procedure (timed) ---------------------------------------------------------------------
    async def procedure(self) -> None:
        s, p, clock = self.sc, self.plan, self.clock
        self.stats.recording = True
        with clock.stage("call"):
            expect(await self.api.post("/cycles", headers=s.office, json=s.rules), 201)

        with clock.stage("intake", note=f"{p.n} enterprises upload 3 documents each and apply") as st:

            async def submit(n: int) -> str:
                try:
                    return await s.apply(n, p.award(n), self_pct=max(p.document_pct(n), 60) + 5)
                except ScenarioError as e:
                    if "INTAKE_CLOSED" not in str(e):
                        raise
                    raise ScenarioError(
                        f"{e}\nintake closed before all {p.n} applications were in: "
                        f"give it more than {p.intake_seconds:.0f} s with --intake-seconds"
                    ) from None

            await each(list(range(1, p.n + 1)), submit, "applications submitted")
            left = (self.deadline - datetime.now(UTC)).total_seconds()
            st.note = f"{p.n} submitted, {max(0.0, left):.0f} s before the deadline"

        with clock.stage("intake close", idle=True, note="waiting for the cycle's deadline timer"):
            await asyncio.sleep(max(0.0, (self.deadline - datetime.now(UTC)).total_seconds()))
            await self.wait_cycle("QUALIFICATION_REVIEW", "DOCUMENT_REVIEW")

        app_ids = sorted(s.applications.values())
        by_app = {a: n for n, a in s.applications.items()}
        with clock.stage("qualification", note="automatic checks, then the office decides each") as st:
            await self.wait_apps("QUALIFICATION_DECISION", p.n)
            decided = await each(app_ids, s.qualify, "qualification decisions")
            qualified = [d["application_id"] for d in decided if d["qualified"]]
            expected_fail = sorted(s.applications[n] for n in p.failing)
            failed = sorted(d["application_id"] for d in decided if not d["qualified"])
            if failed != expected_fail:
                raise ScenarioError(f"not qualified: {failed}; expected exactly {expected_fail}")
            await self.wait_cycle("DOCUMENT_REVIEW")
            st.note = f"{len(qualified)} qualified, {len(failed)} not"

        with clock.stage("document panels", note="the office draws every panel"):
            draw = await s.draw()
            self.check_draw(draw, qualified)

        with clock.stage("document review", note="3 experts score, the leader consolidates"):
            await self.wait_apps("DOCUMENT_REVIEW", len(qualified))

            async def review(app_id: str) -> str:
                return await s.document_review(app_id, p.document_pct(by_app[app_id]))

            await each(qualified, review, "panel opinions")
            await self.wait_cycle("ONSITE_SELECTION")

        with clock.stage("on-site list", note=f"the office lists the top {p.onsite}"):
            sheet = expect(await self.api.get(f"/cycles/{self.year}/document-scores", headers=s.office), 200)
            ranked = [a["application_id"] for a in sheet["applications"]]
            if sorted(ranked) != sorted(qualified):
                raise ScenarioError(
                    f"document scores list {len(ranked)} applications, expected {len(qualified)}"
                )
            listed = ranked[: p.onsite]
            await s.onsite_list(listed, f"按资料评审得分择优确定前{p.onsite}名进入现场评审（性能基准）")
            await self.wait_cycle("ONSITE_REVIEW")

        with clock.stage("on-site panels", note="drawn with visit dates"):
            visit = cst_date(datetime.now(UTC))
            draw = await s.draw(dict.fromkeys(listed, visit))
            self.check_draw(draw, listed)

        with clock.stage("on-site review", note="leaders report, enterprises confirm"):
            await self.wait_apps("ONSITE_REVIEW", len(listed))
            rank = {a: i for i, a in enumerate(listed)}

            async def onsite(app_id: str) -> str:
                return await s.onsite_review(app_id, p.onsite_pct(rank[app_id]))

            await each(listed, onsite, "on-site reviews confirmed")
            await self.wait_cycle("AWAITING_COMMITTEE")

        with clock.stage("plenary ballot", note=f"{len(COMMITTEE)} members vote on {len(listed)} candidates"):
            meeting = await s.convene()
            mid = meeting["meeting_id"]
            # the four best on-site results are approved, the rest rejected: fewer passing candidates
            # than an award's five seats, so no tie at the cut-off sends the cycle to a run-off
            best = set(sorted(meeting["candidates"], key=lambda a: rank[a])[:4])
            choices = {a: "APPROVE" if a in best else "REJECT" for a in meeting["candidates"]}

            async def vote(member: str) -> None:
                expect(await s.vote(mid, member, choices), 200)

            await each([u for u, _ in COMMITTEE], vote, "ballots cast")
            await self.wait_cycle("PUBLIC_NOTICE")

        with clock.stage("objections", note=f"{p.objections} public objections during the notice") as st:
            notice = await eventually(self.preliminary, timeout=p.wait_seconds, what="the preliminary list")
            winners = [w["application_id"] for w in notice["list"]]
            if not winners:
                raise ScenarioError("the preliminary list is empty")
            substantiated = await self.objections(winners)
            st.note = f"{len(winners)} on the preliminary list; {p.objections} objections"

        with clock.stage("notice period", idle=True, note="waiting for the notice timer"):
            closes = datetime.fromisoformat(notice["closes_at"])
            await asyncio.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds()))
            await self.wait_cycle("FINAL_LIST")

        with clock.stage("final list", note="the chair fixes the list"):
            final = await s.fix_final_list(note="公示期满，根据异议调查结论确定拟授奖名单")
            if substantiated and substantiated not in final["removed"]:
                raise ScenarioError(
                    f"{substantiated} was not removed despite a substantiated objection: {final}"
                )
            await self.wait_cycle("GOVERNMENT_APPROVAL")

        with clock.stage("approval and certificates", note="the government approves; certificates") as st:
            await s.decide_approval(approved=True, document_no=f"鹿政发〔{self.year}〕8号")
            await self.wait_cycle("COMPLETED")
            results = expect(await self.api.get(f"/public/results/{self.year}"), 200)
            if len(results["winners"]) != len(final["winners"]):
                raise ScenarioError(
                    f"{len(results['winners'])} certificates for {len(final['winners'])} winners"
                )
            outcomes = await self.final_outcomes()
            st.note = f"{len(results['winners'])} certificates"
        self.stats.recording = False
        self.figures["outcomes"] = outcomes
        self.figures["winners"] = [w["certificate_number"] for w in results["winners"]]
        expected = {
            "NOT_QUALIFIED": len(p.failing),
            "NOT_SHORTLISTED": len(qualified) - len(listed),
            "AWARDED": len(final["winners"]),
            "NOT_AWARDED": len(listed) - len(final["winners"]),
        }
        if outcomes != expected:
            raise ScenarioError(f"final outcomes {outcomes}, expected {expected}")

    def check_draw(self, draw: dict[str, Any], targets: Sequence[str]) -> None:
        if draw["unfilled"]:
            raise ScenarioError(
                f"draw {draw['draw_id']} left seats unfilled: {draw['unfilled']} (more experts: --experts)"
            )
        if sorted(draw["panels"]) != sorted(targets):
            raise ScenarioError(f"draw {draw['draw_id']} has {len(draw['panels'])} panels for {len(targets)}")
        strangers = {m["expert_id"] for seats in draw["panels"].values() for m in seats} - set(
            self.sc.expert_heads
        )
        if strangers:
            raise ScenarioError(
                f"the draw seated experts the benchmark did not register: {sorted(strangers)}"
            )

    async def preliminary(self) -> dict[str, Any] | None:
        r = await self.api.get(f"/public/preliminary/{self.year}")
        return expect(r, 200) if r.status_code != 404 else None

    async def objections(self, winners: Sequence[str]) -> str:
        """Named and anonymous objections, filed concurrently; the named ones are investigated: the
        first is found substantiated, the others not. Returns the application found against."""
        s, p = self.sc, self.plan
        total = p.objections
        named_n = (total + 1) // 2 if p.named_objections is None else min(p.named_objections, total)
        named_at = set(range(0, 2 * named_n, 2)) if p.named_objections is None else set(range(named_n))

        async def file(i: int) -> tuple[str, str, bool]:
            target = winners[i % len(winners)]
            body: dict[str, Any] = {
                "application_id": target,
                "facts": f"第{i + 1}项异议：申报材料与事实不符。",
            }
            if i in named_at:
                body |= {"evidence": "相关证明材料", "name": f"公众{i + 1}", "contact": f"138{i:08d}"}
            else:
                body |= {"anonymous": True}
            filed = expect(await self.api.post(f"/public/objections/{self.year}", json=body), 201)
            if filed["investigated"] != (i in named_at):
                raise ScenarioError(
                    f"objection {filed['objection_id']}: investigated={filed['investigated']}"
                )
            return filed["objection_id"], target, filed["investigated"]

        filed = await each(list(range(total)), file, "objections filed")
        first = min((i for i in named_at), default=None)
        named = [oid for oid, _, investigated in filed if investigated]
        substantiated = filed[first][1] if first is not None else ""
        first_named = filed[first][0] if first is not None else ""

        async def investigate(objection_id: str) -> None:
            await s.assign_investigator(objection_id, "investigator1")
            conclusion = "SUBSTANTIATED" if objection_id == first_named else "UNSUBSTANTIATED"
            r = await s.report_objection(
                objection_id, self.investigator, conclusion, "经调查核实，形成调查结论。"
            )
            if r["conclusion"] != conclusion:
                raise ScenarioError(f"objection {objection_id}: {r}")

        await each(named, investigate, "investigations reported")
        if first_named:  # 审查: the committee decides on the substantiated finding (Art. 14(5))
            await s.decide_objection(first_named, "REMOVE", "经审查，异议反映问题属实，不列入拟授奖名单。")
        return substantiated

    async def final_outcomes(self) -> dict[str, int]:
        async def probe() -> dict[str, int] | None:
            found = {stage: await self.count(stage=stage) for stage in FINAL_STAGES}
            return found if sum(found.values()) == self.plan.n else None

        return await eventually(
            probe, timeout=self.plan.wait_seconds, every=0.5, what="every application ended"
        )


# --- Temporal actions from the histories ---------------------------------------------------------
def event_name(event_type: int) -> str:
    name = EventType.Name(event_type).removeprefix("EVENT_TYPE_")  # type: ignore[arg-type]
    return "".join(part.capitalize() for part in name.split("_"))


@dataclass
class RunCensus:
    workflow_id: str
    run_id: str
    workflow_type: str
    events: int
    bytes: int
    actions: dict[str, int]
    root: bool  # started by a client, not as a child


@dataclass
class Census:
    runs: list[RunCensus]

    @property
    def by_type(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for r in self.runs:
            total.update(r.actions)
        return {k: total.get(k, 0) for k in BILLED}

    @property
    def total(self) -> int:
        return sum(self.by_type.values())

    def part(self, kind: str, *, root: bool) -> int:
        """Events of `kind` in the root runs (started by a client) or in the others (children)."""
        return sum(r.actions.get(kind, 0) for r in self.runs if r.root == root)

    def largest(self) -> list[dict[str, Any]]:
        kinds: dict[str, list[RunCensus]] = {}
        for r in self.runs:
            kinds.setdefault(r.workflow_type, []).append(r)
        rows = []
        for kind, runs in sorted(kinds.items()):
            top = max(runs, key=lambda r: (r.events, r.bytes))
            rows.append(
                {
                    "workflow_type": kind,
                    "runs": len(runs),
                    "max_events": top.events,
                    "max_bytes": max(r.bytes for r in runs),
                    "largest_workflow_id": top.workflow_id,
                    "actions": sum(sum(r.actions.values()) for r in runs),
                }
            )
        return rows


async def census(client: Client, query: str | None, concurrency: int = 16) -> Census:
    listed = [wf async for wf in client.list_workflows(query)]
    limit = asyncio.Semaphore(concurrency)

    async def one(wf: Any) -> RunCensus:
        async with limit:
            history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        counts = Counter(event_name(e.event_type) for e in history.events)
        return RunCensus(
            wf.id,
            wf.run_id,
            wf.workflow_type,
            len(history.events),
            History(events=history.events).ByteSize(),
            {k: counts.get(k, 0) for k in BILLED if counts.get(k, 0)},
            not wf.parent_id,
        )

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(wf)) for wf in listed]
    return Census([t.result() for t in tasks])


async def settled_census(client: Client, query: str | None, timeout: float = 60) -> Census:
    """Count until two censuses 2 s apart agree (the award workflows are still starting up)."""
    end = time.monotonic() + timeout
    last = await census(client, query)
    while time.monotonic() < end:
        await asyncio.sleep(2)
        now = await census(client, query)
        if now.total == last.total and len(now.runs) == len(last.runs):
            return now
        last = now
    say("   (histories still growing at the time limit; counting what is there)")
    return last
