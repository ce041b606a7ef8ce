"""Calls into Temporal from the API: always bounded by a timeout, errors mapped to 4xx/503."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from config.constants import application_workflow_id, cycle_workflow_id
from config.settings import Settings
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
) -> T:
    """An update on behalf of the API, bounded by the configured Temporal timeout."""
    return await update(
        client,
        workflow_id,
        update_method,
        arg,
        update_id=key,
        timeout=cfg.temporal_rpc_timeout_seconds,
        result_type=result_type,
        missing=missing,
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
    )
