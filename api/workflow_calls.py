"""Calls into Temporal from the API: always bounded by a timeout, errors mapped to 4xx/503."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import DomainError

from .errors import from_temporal, not_found, unavailable

T = TypeVar("T")


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
) -> T:
    """Run an update and wait for its result; `missing` names the thing if the workflow does not exist."""
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
        raise _rpc(e, workflow_id, missing) from None


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
