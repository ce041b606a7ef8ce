"""Keep the processes of `make run` running (issue 8 point 7, P7).

A worker or an API that exits is not a reason to stop the stack: it is started again after a
back-off (1 s, 2 s, 4 s … up to 30 s while it keeps failing; back to 1 s once a run has lasted a
minute), with a log line saying what exited, with which code, when it will be back, and the tail of
its log. Each child runs in its own process group, so stopping it stops whatever it started.

The clock and the output are injected, so the logic is tested with tiny child processes and a fake
clock (tests/devstack/test_supervisor.py), not with the whole stack.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

STOP_GRACE = 15.0


@dataclass(frozen=True)
class Backoff:
    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 30.0
    stable_after: float = 60.0  # a run at least this long was healthy: the next delay is `initial`

    def delay(self, failures: int) -> float:
        """The wait before the restart that follows `failures` short runs in a row (1, 2, …)."""
        return float(min(self.maximum, self.initial * self.factor ** max(0, failures - 1)))


@dataclass(frozen=True)
class Program:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path


@dataclass
class Child:
    program: Program
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0  # short runs in a row
    restarts: int = 0
    restart_at: float | None = None  # when a dead child is due to start again
    exit_codes: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.program.name

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def kill_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


class Supervisor:
    def __init__(
        self,
        backoff: Backoff | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        say: Callable[[str], None] = print,
        stop_grace: float = STOP_GRACE,
    ) -> None:
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.say = say
        self.stop_grace = stop_grace
        self.children: list[Child] = []
        self.stopping = False

    def start(self, program: Program) -> Child:
        child = Child(program)
        self.children.append(child)
        self._spawn(child, fresh_log=True)
        return child

    def _spawn(self, child: Child, *, fresh_log: bool) -> None:
        p = child.program
        with open(p.log, "wb" if fresh_log else "ab") as out:
            if not fresh_log:
                out.write(f"\n--- restarted by the supervisor (restart #{child.restarts}) ---\n".encode())
                out.flush()
            child.process = subprocess.Popen(
                p.args,
                cwd=p.cwd,
                env=p.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopping it stops what it started
            )
        child.started_at = self.clock()

    def died(self) -> Child | None:
        """A child whose process has exited and not been noticed yet (for the start-up phase)."""
        return next(
            (c for c in self.children if c.process is not None and c.process.poll() is not None), None
        )

    def poll(self) -> None:
        """One round: notice children that exited and schedule their restart; restart those due."""
        if self.stopping:
            return
        now = self.clock()
        for child in self.children:
            if child.process is not None and (code := child.process.poll()) is not None:
                self._exited(child, code, now)
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                child.restart_at = None
                self._spawn(child, fresh_log=False)
                self.say(f"{child.name} restarted (pid {child.pid}, restart #{child.restarts})")

    def _exited(self, child: Child, code: int, now: float) -> None:
        ran = now - child.started_at
        child.exit_codes.append(code)
        child.failures = 1 if ran >= self.backoff.stable_after else child.failures + 1
        delay = self.backoff.delay(child.failures)
        child.process = None
        child.restart_at = now + delay
        log = child.program.log
        self.say(
            f"{child.name} exited (code {code}) after {ran:.1f}s; restarting it in {delay:.0f}s "
            f"(failure {child.failures} in a row); log {log}:\n{tail(log)}"
        )

    def next_due(self) -> float | None:
        """Seconds until the next scheduled restart (None: nothing scheduled)."""
        due = [c.restart_at for c in self.children if c.restart_at is not None]
        return max(0.0, min(due) - self.clock()) if due else None

    def pids(self) -> dict[str, int]:
        """The running children, in stopping order (the last started first)."""
        return {c.name: c.pid for c in reversed(self.children) if c.pid is not None}

    def stop(self) -> None:
        """Stop every child, the last started first: SIGTERM to its group, SIGKILL after the grace."""
        self.stopping = True
        for child in reversed(self.children):
            child.restart_at = None
            process = child.process
            if process is None:
                continue
            if process.poll() is None:
                self.say(f"stopping {child.name}…")
                kill_group(process.pid, signal.SIGTERM)
                try:
                    process.wait(self.stop_grace)
                except subprocess.TimeoutExpired:
                    self.say(f"{child.name} did not stop within {self.stop_grace:.0f}s, killing it")
            kill_group(process.pid, signal.SIGKILL)  # the leader if still alive, and what it left
            process.wait()
            child.process = None
