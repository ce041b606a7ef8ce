"""The workflow calls of a request, as one dependency: a route takes `calls: Workflows` instead of
the Temporal client and the settings, and runs an update on a cycle's or an application's workflow
in one line (bounded by the configured timeout, errors mapped as api.workflow_calls does)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from temporalio.client import Client

from config.settings import Settings

from . import workflow_calls
from .deps import Config, Temporal

T = TypeVar("T")


@dataclass(frozen=True)
class Calls:
    client: Client
    cfg: Settings

    async def cycle(self, year: int, update: Any, arg: Any, *, key: str, result_type: type[T]) -> T:
        """An update on the year's cycle workflow (404 for no cycle, 409 CYCLE_CLOSED once it ended)."""
        return await workflow_calls.cycle_update(
            self.client, self.cfg, year, update, arg, key=key, result_type=result_type
        )

    async def application(
        self, application_id: str, update: Any, arg: Any, *, key: str, result_type: type[T]
    ) -> T:
        """An update on an application's workflow (409 APPLICATION_CLOSED once it ended)."""
        return await workflow_calls.application_update(
            self.client, self.cfg, application_id, update, arg, key=key, result_type=result_type
        )

    async def query(self, workflow_id: str, query: Any, *, result_type: type[T]) -> T | None:
        """A workflow's live view, or None if it cannot be asked right now."""
        return await workflow_calls.query(
            self.client,
            workflow_id,
            query,
            timeout=self.cfg.temporal_rpc_timeout_seconds,
            result_type=result_type,
        )


def calls(client: Temporal, cfg: Config) -> Calls:
    return Calls(client, cfg)


Workflows = Annotated[Calls, Depends(calls)]
