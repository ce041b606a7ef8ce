"""Helpers shared by the workflows: record activities, refusals, the remind → due → escalate wait,
and the office's retry of a step the database refused."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, ParamSpec, Protocol, TypedDict, TypeVar, cast

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.award import AwardActivities
    from config.temporal import DATA_ERROR, refusal
    from contracts.common import DeadlineMarks, NoticeInput, StepFailed
    from domain.errors import DomainError
    from domain.types import Award

T = TypeVar("T")

# Our records are single short transactions (milliseconds; a few seconds at worst on a worker
# saturated by a large cycle, measured with `make bench`): a worker lost in the middle of one is
# noticed after this timeout (it was 30 s) and the record is retried elsewhere.
RECORD_TIMEOUT = timedelta(seconds=15)
RECORD_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
# Fan-outs signal every application of a stage in bounded batches and heartbeat their progress:
# a lost worker is noticed after the heartbeat timeout, and the retry resumes where it stopped.
FAN_OUT_TIMEOUT = timedelta(hours=2)
FAN_OUT_HEARTBEAT = timedelta(seconds=5)
A = TypeVar("A")
R = TypeVar("R")
S = TypeVar("S")


async def record(
    method: Callable[[S, A], Awaitable[R]],
    arg: A,
    summary: str,
    *,
    fan_out: bool = False,
) -> R:
    """Run one of our idempotent activities, retried until it succeeds.

    A step the database refuses for its data (P6: an invalid byte, a value too long) is not
    retried: inside an update the human step is refused with DATA_REJECTED; in the workflow's own
    course the failure is recorded for the office (GET /step-failures) and the step waits for the
    office to retry it once the cause is mended, instead of retrying forever unseen."""
    while True:
        try:
            return await workflow.execute_activity_method(
                method,
                arg,
                start_to_close_timeout=FAN_OUT_TIMEOUT if fan_out else RECORD_TIMEOUT,
                heartbeat_timeout=FAN_OUT_HEARTBEAT if fan_out else None,
                retry_policy=RECORD_RETRY,
                summary=summary,
            )
        except ActivityError as e:
            cause = e.cause
            if not (isinstance(cause, ApplicationError) and cause.type == DATA_ERROR):
                raise
            if workflow.current_update_info() is not None:
                raise rejected(
                    DomainError(
                        "DATA_REJECTED",
                        "提交的内容无法保存（含有不允许的字符或超出长度），请修改后重试",
                        "The content cannot be stored (a character that is not allowed, or too long); "
                        "change it and try again",
                        status=422,
                    )
                ) from None
            await _wait_for_retry(summary, str(cause.message))


async def _wait_for_retry(step: str, error: str) -> None:
    info = workflow.info()
    instance: Any = workflow.instance()
    seen = int(getattr(instance, "step_retries", 0))
    await workflow.execute_activity_method(
        AwardActivities.record_step_failure,
        StepFailed(info.workflow_id, step, DATA_ERROR, error[:2000], workflow.now(), _year(info.workflow_id)),
        start_to_close_timeout=RECORD_TIMEOUT,
        retry_policy=RECORD_RETRY,
        summary=f"record failed step: {step}",
    )
    workflow.set_current_details(
        f"BLOCKED: the database refused '{step}' ({error[:200]}); the office may retry"
    )
    await workflow.wait_condition(lambda: int(getattr(instance, "step_retries", 0)) != seen)


def _year(workflow_id: str) -> int | None:
    for part in workflow_id.split("-"):
        if part.isdigit() and len(part) == 4:
            return int(part)
    return None


class StepRetries:
    """Mixin of every workflow: the office's signal to retry a step the database refused."""

    step_retries = 0

    @workflow.signal
    def retry_step(self) -> None:
        self.step_retries += 1


def rejected(error: DomainError) -> ApplicationError:
    """A domain rule refused a human step: the update fails with the error, the workflow goes on."""
    return refusal(error)


def enforce(check: Callable[[], T]) -> T:
    """Run a domain check inside a validator or handler; a DomainError becomes a rejection."""
    try:
        return check()
    except DomainError as e:
        raise rejected(e) from None


async def refusable(call: Awaitable[T]) -> T:
    """An activity refused the step by a rule: fail the update with the same error, not the workflow."""
    try:
        return await call
    except ActivityError as e:
        if isinstance(e.cause, ApplicationError) and e.cause.non_retryable:
            raise e.cause from None
        raise


async def wait_with_deadline(
    done: Callable[[], bool],
    *,
    due: Callable[[], datetime],
    remind_before: timedelta,
    marks: DeadlineMarks,
    remind: Callable[[datetime], Awaitable[None]] | None,
    escalate: Callable[[datetime], Awaitable[bool]],
    watch: Callable[[], object] = lambda: None,
    owed: Callable[[], bool] = lambda: True,
    what: str,
) -> None:
    """Wait until `done()`: remind before the due time, escalate once it has passed.

    The one shape of every human step with a due time (qualification decision, expert scores,
    on-site confirmation, investigation report, correction of a misuse). The due time may move
    (a replaced expert, an extension): a new due time reminds and escalates again. `escalate`
    returns True when the step is settled by it (silence counts as confirmation), False to keep
    waiting past the due time. `watch` names state whose change re-evaluates the wait (e.g. a
    score that came in); `owed` says whether the step is owed right now (a correction reported
    and awaiting verification is not: no reminder, no escalation); `marks` keep what was done
    across replays and continue-as-new (clear `escalated_for` to escalate the same due again).
    """
    while not done():
        d = due()
        key = d.isoformat()
        now = workflow.now()
        wake: datetime | None
        if now >= d:
            if owed() and marks.escalated_for != key:
                marks.escalated_for = key
                if await escalate(d):
                    return
                continue
            wake = None
        elif now >= d - remind_before:
            if remind is not None and owed() and marks.reminded_for != key:
                marks.reminded_for = key
                await remind(d)
                continue
            wake = d
        else:
            wake = d - remind_before
        before = watch()
        timeout = None if wake is None else wake - workflow.now()
        if timeout is not None and timeout <= timedelta(0):
            continue
        try:
            await workflow.wait_condition(
                lambda before=before, d=d: done() or watch() != before or due() != d,  # type: ignore[misc]
                timeout=timeout,
                timeout_summary=f"{what} {'due' if wake == d else 'reminder'}",
            )
        except TimeoutError:
            pass


async def publish(*notices: NoticeInput) -> None:
    """Send notices through the outbox (one activity; the worker's relay delivers them)."""
    await record(AwardActivities.send_notices, list(notices), f"send {', '.join(n.key for n in notices)}")


class AwardNames(TypedDict):
    """Who holds which award: the names every notice about an award carries."""

    enterprise_name: str
    year: int
    award: Award


class HasAwardNames(Protocol):
    @property
    def enterprise_name(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def award(self) -> Award: ...


def award_names(of: HasAwardNames) -> AwardNames:
    """The names of an application or an award (ApplicationInput, AwardFacts), as notice texts take them."""
    return AwardNames(enterprise_name=of.enterprise_name, year=of.year, award=of.award)


class InProgress:
    """Human steps that are being recorded right now. A step's handler marks itself before its first
    await and its validator refuses a second, concurrent request for the same step (e.g. a POST
    retried after a timeout without its idempotency key) instead of letting both act."""

    def __init__(self) -> None:
        self.steps: set[str] = set()

    def refuse_if_running(self, step: str) -> None:
        if step in self.steps:
            raise rejected(
                DomainError(
                    "STEP_IN_PROGRESS",
                    "该操作正在处理中，请稍后查看结果，不要重复提交",
                    "This step is being recorded; check its result shortly instead of sending it again",
                    status=409,
                )
            )

    def guard(self, step: str, check: Callable[[], T]) -> T:
        """A step's validator: refuse a concurrent request for the step, then run the step's own
        check (a DomainError it raises becomes the update's rejection)."""
        self.refuse_if_running(step)
        return enforce(check)

    @contextmanager
    def running(self, step: str, check: Callable[[], T]) -> Iterator[T]:
        """A step's handler: refuse a concurrent request for the step, mark it running, and run the
        step's own check (the same as its validator's: the handler repeats it, as validators do not
        run on replay); the step is unmarked when the handler ends, also when the check refuses."""
        self.refuse_if_running(step)
        self.steps.add(step)
        try:
            yield enforce(check)
        finally:
            self.steps.discard(step)


class Busy(Protocol):
    busy: InProgress


P = ParamSpec("P")


def guarded(check: Callable[P, object], *steps: str) -> Callable[P, None]:
    """The validator of an update whose handler runs `check` (a method taking the update's input)
    inside `busy.running(...)`: refuse a concurrent request for any of `steps`, then the same check.
    It keeps the check's signature, which Temporal compares with the update's:
    `_validate_x = update_x.validator(guarded(_check_x, "x"))`."""

    @functools.wraps(check)
    def validate(*args: P.args, **kwargs: P.kwargs) -> None:
        busy = cast(Busy, args[0]).busy  # args[0]: the workflow
        for step in steps[:-1]:
            busy.refuse_if_running(step)
        busy.guard(steps[-1], lambda: check(*args, **kwargs))

    return validate
