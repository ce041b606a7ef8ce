"""Helpers shared by the workflows: error conversion, search attributes, activity options."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.award import AwardActivities
    from config import constants as c
    from config.temporal import refusal
    from contracts.common import NoticeInput
    from domain.errors import DomainError

T = TypeVar("T")

SA_YEAR = SearchAttributeKey.for_int(c.SA_YEAR)
SA_AWARD = SearchAttributeKey.for_keyword(c.SA_AWARD)
SA_STAGE = SearchAttributeKey.for_keyword(c.SA_STAGE)
SA_CREDIT_CODE = SearchAttributeKey.for_keyword(c.SA_CREDIT_CODE)
SA_OUTCOME = SearchAttributeKey.for_keyword(c.SA_OUTCOME)

# Records are written by idempotent activities: retry them for as long as it takes.
RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
A = TypeVar("A")
R = TypeVar("R")
S = TypeVar("S")


async def record(method: Callable[[S, A], Awaitable[R]], arg: A, summary: str) -> R:
    """Run one of our idempotent record-keeping activities, retried until it succeeds."""
    return await workflow.execute_activity_method(
        method, arg, start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RECORD_RETRY, summary=summary
    )


def rejected(error: DomainError) -> ApplicationError:
    """A domain rule refused a human step: the update fails with the error, the workflow goes on."""
    return refusal(error)


def enforce(check: Callable[[], T]) -> T:
    """Run a domain check inside a validator or handler; a DomainError becomes a rejection."""
    try:
        return check()
    except DomainError as e:
        raise rejected(e) from None


async def publish(notice: NoticeInput) -> None:
    """Outbox: write the notice once, then deliver it (each step retried on its own)."""
    notice_id = await record(AwardActivities.write_notice, notice, f"write notice {notice.key}")
    await record(AwardActivities.deliver_notice, notice_id, f"deliver notice {notice.key}")


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

    @contextmanager
    def running(self, step: str) -> Iterator[None]:
        self.refuse_if_running(step)
        self.steps.add(step)
        try:
            yield
        finally:
            self.steps.discard(step)
