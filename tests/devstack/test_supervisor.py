"""`make run` supervises its worker and API (issue 8 point 7, P7): a child that exits is started again
after a back-off, with a log line, and the rest of the stack keeps running. Tiny child processes and
a fake clock stand in for the stack."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from devstack.supervisor import Backoff, Program, Supervisor

CRASH = "import sys; print('worker: cannot reach Temporal', flush=True); sys.exit(3)"
SLEEP = "import time; time.sleep(120)"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def program(tmp_path: Path, name: str, code: str) -> Program:
    return Program(name, [sys.executable, "-c", code], dict(os.environ), tmp_path / f"{name}.log", tmp_path)


def test_the_back_off_doubles_up_to_its_cap() -> None:
    backoff = Backoff(initial=1, factor=2, maximum=30)
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


@pytest.mark.req("P7")
def test_a_child_that_exits_is_restarted_after_a_back_off_and_the_others_keep_running(
    tmp_path: Path,
) -> None:
    clock, lines = FakeClock(), list[str]()
    supervisor = Supervisor(
        Backoff(initial=1, factor=2, maximum=4, stable_after=60), clock=clock, say=lines.append, stop_grace=5
    )
    worker = supervisor.start(program(tmp_path, "worker", CRASH))
    api = supervisor.start(program(tmp_path, "api", SLEEP))
    api_pid = api.pid
    try:
        delays = []
        for restart in range(1, 5):
            assert worker.process is not None
            worker.process.wait(30)
            supervisor.poll()  # notices the exit: a log line, and a restart scheduled
            assert worker.process is None and worker.restart_at is not None
            exited = lines[-1]
            assert exited.startswith("worker exited (code 3) after 0.0s")
            assert "cannot reach Temporal" in exited  # the tail of its log
            delays.append(worker.restart_at - clock())
            clock.advance(delays[-1] - 0.1)
            supervisor.poll()
            assert worker.process is None  # not before its back-off is over
            clock.advance(0.1)
            supervisor.poll()
            assert worker.process is not None and worker.restarts == restart
            assert lines[-1] == f"worker restarted (pid {worker.pid}, restart #{restart})"
        assert delays == [1, 2, 4, 4]
        assert worker.exit_codes == [3, 3, 3, 3]
        # the API was never touched, and the worker's log kept every run
        assert api.pid == api_pid and api.process is not None and api.process.poll() is None
        assert worker.program.log.read_text().count("cannot reach Temporal") >= 4
        assert supervisor.pids() == {"api": api_pid, "worker": worker.pid}
    finally:
        supervisor.stop()
    assert worker.process is None and api.process is None


@pytest.mark.req("P7")
def test_after_a_long_healthy_run_the_back_off_starts_again_from_the_beginning(tmp_path: Path) -> None:
    clock, lines = FakeClock(), list[str]()
    supervisor = Supervisor(
        Backoff(initial=1, factor=2, maximum=30, stable_after=60), clock=clock, say=lines.append
    )
    worker = supervisor.start(program(tmp_path, "worker", CRASH))
    try:
        for _ in range(3):  # three quick failures: 1 s, 2 s, 4 s
            assert worker.process is not None
            worker.process.wait(30)
            supervisor.poll()
            assert worker.restart_at is not None
            clock.advance(worker.restart_at - clock())
            supervisor.poll()
        assert worker.failures == 3
        assert worker.process is not None
        worker.process.wait(30)
        clock.advance(120)  # this run "lasted" two minutes before it exited
        supervisor.poll()
        assert worker.failures == 1 and worker.restart_at == clock() + 1
        assert "after 120.0s; restarting it in 1s" in lines[-1]
    finally:
        supervisor.stop()


@pytest.mark.req("P7")
def test_stopping_stops_every_child_and_restarts_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    supervisor = Supervisor(Backoff(initial=1), clock=clock, say=lambda _: None, stop_grace=5)
    worker = supervisor.start(program(tmp_path, "worker", CRASH))
    api = supervisor.start(program(tmp_path, "api", SLEEP))
    process = api.process
    assert worker.process is not None and process is not None
    worker.process.wait(30)
    supervisor.poll()  # the worker's restart is scheduled…
    supervisor.stop()  # …and called off
    assert process.returncode is not None  # the API was stopped
    clock.advance(60)
    supervisor.poll()
    assert worker.process is None and api.process is None and supervisor.pids() == {}
