"""The workflow that keeps a resource (an award, a misuse case): its queries and updates on behalf
of the API, bounded by the configured Temporal timeout, refused as `missing` when the workflow is
not found and as `closed` once it has ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from temporalio.client import Client

from config.settings import Settings

from .. import workflow_calls
from ..workflow_calls import Closed

T = TypeVar("T")


@dataclass(frozen=True)
class KeptBy:
    client: Client
    cfg: Settings
    workflow_id: str
    missing: tuple[str, str]  # what the resource is called (zh, en), for a 404
    closed: Closed

    async def query(self, query: Any, result_type: type[T]) -> T | None:
        """The workflow's live state, or None when it cannot be asked right now."""
        return await workflow_calls.query(
            self.client,
            self.workflow_id,
            query,
            timeout=self.cfg.temporal_rpc_timeout_seconds,
            result_type=result_type,
        )

    async def update(self, method: Any, arg: Any, key: str, result_type: type[T]) -> T:
        """One update (`key`: its idempotent id)."""
        return await workflow_calls.workflow_update(
            self.client,
            self.cfg,
            self.workflow_id,
            method,
            arg,
            key=key,
            result_type=result_type,
            missing=self.missing,
            closed=self.closed,
        )
