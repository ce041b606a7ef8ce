"""Schemathesis against the API's own OpenAPI schema (P6, R20.2): every operation, as every role and
as nobody, with inputs generated from the schema; path parameters are often the real ids of a small
world (tests/authz_world.py) so that the operations are reached beyond their 404. At least 2,000
requests, and not one server error (5xx).

The API runs in a real uvicorn on a free port, in a thread with its own event loop (the Temporal
worker of the tests keeps the test's loop); schemathesis calls it over HTTP from another thread."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from authz_world import ANONYMOUS, PRINCIPALS, World, build_world
from conftest import bootstrap_admin, reset_state
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from config.settings import Settings
from devstack.ports import free_port

EXAMPLES_PER_OPERATION = 20
STATEFUL_RUNS = 40  # sequences of calls that follow the schema's links (inferred by schemathesis)
STATEFUL_STEPS = 25
MIN_REQUESTS = 2_000
TIME_BUDGET_SECONDS = 90
# sent with a sign-in of the probe's own, or not at all: these end the sign-in they are sent with
SKIPPED = {("POST", "/auth/logout")}


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    # operations that answered other than 401/403/404: the caller and the record passed
    reached: set[tuple[str, str]] = field(default_factory=set)
    stateful: int = 0  # requests of the stateful part
    flaky: str = ""

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


@pytest.fixture(scope="module")
async def served(
    settings: Settings, temporal_client: Client, worker: None, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[str, World]]:
    await reset_state(temporal_client, sessions)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            lifespan="on",
            # leave the process's logging as it is (uvicorn's own config would turn the access
            # logger's propagation off for every later test) and write no access lines
            log_config=None,
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-schemathesis", daemon=True)
    thread.start()
    try:
        for _ in range(300):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started, "uvicorn did not start"
        await bootstrap_admin(settings)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=60) as api:
            yield base, await build_world(api, sessions)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)
    assert not thread.is_alive()


def fuzz(base: str, w: World, tally: Tally) -> None:
    """Every operation of the schema, EXAMPLES_PER_OPERATION generated cases each, each as a random
    caller; a path parameter the world has a real value for gets it half of the time."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    callers = [ANONYMOUS, *PRINCIPALS]
    ids = {**w.ids, **{k: v for k, v in w.other_ids.items() if k not in w.ids}}
    rnd = random.Random(20)
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key in SKIPPED:
            continue

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), caller=st.sampled_from(callers))
        def run(case: Any, caller: str) -> None:
            key = (case.operation.method.upper(), case.operation.path)
            for name in list(case.path_parameters or {}):
                if name in ids and rnd.random() < 0.5:
                    case.path_parameters[name] = ids[name]
            headers = dict(w.heads.get(caller, {}))
            response = case.call(base_url=base, headers=headers, timeout=60)
            tally.statuses[response.status_code] += 1
            if response.status_code not in (401, 403, 404):
                tally.reached.add(key)
            if response.status_code >= 500:
                tally.server_errors.append(
                    f"{key[0]} {key[1]} as {caller} -> {response.status_code}: {response.text[:300]}\n"
                    f"  {case.as_curl_command()}"
                )

        run()


def fuzz_stateful(base: str, w: World, tally: Tally) -> None:
    """Sequences of calls following the links schemathesis infers from the schema (an answer's
    fields feed the next call's parameters: the application a GET returned, then its scores...),
    each call as a random caller, the office half of the time (it may call most operations)."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    callers = [ANONYMOUS, *PRINCIPALS]
    rnd = random.Random(21)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            caller = "office" if rnd.random() < 0.5 else rnd.choice(callers)
            self._caller = caller
            return {"base_url": base, "headers": dict(w.heads.get(caller, {})), "timeout": 60}

        def before_call(self, case: Any) -> None:
            for name in list(case.path_parameters or {}):
                if name in w.ids and rnd.random() < 0.3:
                    case.path_parameters[name] = w.ids[name]

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            key = (case.operation.method.upper(), case.operation.path)
            tally.statuses[response.status_code] += 1
            tally.stateful += 1
            if response.status_code not in (401, 403, 404):
                tally.reached.add(key)
            if response.status_code >= 500:
                tally.server_errors.append(
                    f"{key[0]} {key[1]} as {self._caller} -> {response.status_code}: {response.text[:300]}\n"
                    f"  {case.as_curl_command()}"
                )

    try:
        Workflow.run(
            settings=settings(
                max_examples=STATEFUL_RUNS,
                stateful_step_count=STATEFUL_STEPS,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
        )
    except FlakyStrategyDefinition as e:
        # Hypothesis replays a sequence that raised and finds the links lead elsewhere the second
        # time (the server's state moved on). Server errors are tallied above, not raised, so none
        # is lost; the run just ends early. Known gap: the sequence's own exception is not shown.
        tally.flaky = repr(e)[:200]


@pytest.mark.req("P6")
@pytest.mark.req("R20.2")
async def test_schemathesis_finds_no_server_error(served: tuple[str, World]) -> None:
    base, w = served
    tally = Tally()
    started = time.monotonic()
    await asyncio.to_thread(fuzz, base, w, tally)
    await asyncio.to_thread(fuzz_stateful, base, w, tally)
    took = time.monotonic() - started
    print(
        f"schemathesis: {tally.requests} requests ({tally.stateful} stateful) in {took:.1f}s, "
        f"{len(tally.reached)} operations answered other than 401/403/404, "
        f"statuses {dict(sorted(tally.statuses.items()))}; stateful run ended early: {tally.flaky or 'no'}"
    )
    assert not tally.server_errors, f"{len(tally.server_errors)} server errors:\n" + "\n".join(
        tally.server_errors[:20]
    )
    assert tally.requests >= MIN_REQUESTS
    assert tally.stateful >= STATEFUL_RUNS
    assert len(tally.reached) >= 60, sorted(tally.reached)
    assert took < TIME_BUDGET_SECONDS
