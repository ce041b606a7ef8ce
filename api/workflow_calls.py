"""Calls into Temporal from the API: always bounded by a timeout, errors mapped to 4xx/503."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from config.constants import application_workflow_id, cycle_workflow_id
from config.settings import Settings
from domain.errors import DomainError, conflict

from .errors import from_temporal, not_found, unavailable

T = TypeVar("T")


@dataclass(frozen=True)
class Closed:
    """What a step on an ended workflow answers: 409 with a stable code (the record exists in
    PostgreSQL — the route has read it — but its process has ended, so nothing more can be done)."""

    code: str
    zh: str
    en: str

    def error(self) -> DomainError:
        return conflict(self.code, self.zh, self.en)


APPLICATION_CLOSED = Closed(
    "APPLICATION_CLOSED",
    "该申报的评审流程已经结束，不能再办理此事项",
    "This application's procedure has ended; this step can no longer be taken",
)
OBJECTION_CLOSED = Closed(
    "OBJECTION_CLOSED",
    "该异议的调查已经结束，不能再办理此事项",
    "This objection's investigation has ended; this step can no longer be taken",
)
MISUSE_CASE_CLOSED = Closed(
    "MISUSE_CASE_CLOSED",
    "该违规使用称号案件已经结案，不能再办理此事项",
    "This misuse case is closed; this step can no longer be taken",
)
AWARD_CLOSED = Closed(
    "AWARD_CLOSED",
    "该奖项的办理已经结束，不能再办理此事项",
    "This award's procedure has ended; nothing more can be done on it",
)
CYCLE_CLOSED = Closed(
    "CYCLE_CLOSED",
    "该年度评审已经结束，不能再办理此事项",
    "This year's cycle has ended; this step can no longer be taken",
)


async def update(
    client: Client,
    workflow_id: str,
    update: Any,
    arg: Any,
    *,
    update_id: str,
    timeout: float,
    result_type: type[T],
    missing: tuple[str, str] = ("流程", "Workflow"),
    closed: Closed | None = None,
) -> T:
    """Run an update and wait for its result; `missing` names the thing if the workflow does not
    exist, `closed` what to answer when it has ended (Temporal says NOT_FOUND for both)."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await asyncio.wait_for(
            handle.execute_update(
                update,
                args=[] if arg is None else [arg],
                id=update_id,
                result_type=result_type,
                rpc_timeout=timedelta(seconds=timeout),
            ),
            timeout,
        )
    except WorkflowUpdateFailedError as e:
        raise from_temporal(e) from None
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise unavailable() from None
    except RPCError as e:
        if e.status == RPCStatusCode.NOT_FOUND and closed is not None and await _ended(handle, timeout):
            raise closed.error() from None
        raise _rpc(e, workflow_id, missing) from None
    except RuntimeError as e:  # the client could not (re)connect: Temporal is unreachable
        if unreachable(e):
            raise unavailable() from None
        raise


def unreachable(e: BaseException) -> bool:
    """A lost or refused connection to Temporal (the SDK raises it as a RuntimeError)."""
    return isinstance(e, RuntimeError) and "client connect" in str(e).lower()


async def reached(call: Awaitable[Any], timeout: float) -> bool:
    """Run a call into Temporal bounded by `timeout`; False if Temporal did not answer (a timeout,
    an RPC failure, no connection). A refusal by the workflow's rules is raised as it is."""
    try:
        await asyncio.wait_for(call, timeout)
    except WorkflowAlreadyStartedError:
        raise
    except (TimeoutError, RPCError):
        return False
    except RuntimeError as e:
        if unreachable(e):
            return False
        raise
    return True


async def _ended(handle: Any, timeout: float) -> bool:
    """Whether the workflow exists and has ended (an update on it is NOT_FOUND, as for none)."""
    try:
        await asyncio.wait_for(handle.describe(rpc_timeout=timedelta(seconds=timeout)), timeout)
    except (TimeoutError, RPCError):
        return False
    return True


async def query(
    client: Client, workflow_id: str, query: Any, *, timeout: float, result_type: type[T]
) -> T | None:
    """The live state of a workflow, or None if it cannot be asked right now (no worker, closed)."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await asyncio.wait_for(
            handle.query(query, result_type=result_type, rpc_timeout=timedelta(seconds=timeout)), timeout
        )
    except (TimeoutError, RPCError):
        return None
    except Exception:  # a query failing inside the workflow must not break reading the record
        return None


def _rpc(e: RPCError, workflow_id: str, missing: tuple[str, str]) -> DomainError:
    if e.status == RPCStatusCode.NOT_FOUND:
        return not_found(missing[0], f"{missing[1]} ({workflow_id})")
    if e.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNAVAILABLE, RPCStatusCode.CANCELLED):
        return unavailable()
    return from_temporal(e)


async def workflow_update(
    client: Client,
    cfg: Settings,
    workflow_id: str,
    update_method: Any,
    arg: Any,
    *,
    key: str,
    result_type: type[T],
    missing: tuple[str, str],
    closed: Closed | None = None,
) -> T:
    """An update on behalf of the API, bounded by the configured Temporal timeout. The routes read
    the record first (404 if it does not exist); a workflow that has ended answers `closed`."""
    return await update(
        client,
        workflow_id,
        update_method,
        arg,
        update_id=key,
        timeout=cfg.temporal_rpc_timeout_seconds,
        result_type=result_type,
        missing=missing,
        closed=closed,
    )


async def cycle_update(
    client: Client, cfg: Settings, year: int, update_method: Any, arg: Any, *, key: str, result_type: type[T]
) -> T:
    """An update on the year's cycle workflow, on behalf of the API."""
    return await workflow_update(
        client,
        cfg,
        cycle_workflow_id(year),
        update_method,
        arg,
        key=key,
        result_type=result_type,
        missing=(f"{year}年度评审周期", f"Cycle {year}"),
        closed=CYCLE_CLOSED,
    )


async def application_update(
    client: Client,
    cfg: Settings,
    application_id: str,
    update_method: Any,
    arg: Any,
    *,
    key: str,
    result_type: type[T],
) -> T:
    """An update on one application's workflow, on behalf of the API."""
    return await workflow_update(
        client,
        cfg,
        application_workflow_id(application_id),
        update_method,
        arg,
        key=key,
        result_type=result_type,
        missing=("申报流程", "Application workflow"),
        closed=APPLICATION_CLOSED,
    )
