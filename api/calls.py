"""The workflow calls of a request, as one dependency: a route takes `calls: Workflows` instead of
the Temporal client and the settings, and runs an update on a cycle's or an application's workflow
in one line (bounded by the configured timeout, errors mapped as api.workflow_calls does).

A route whose one step is such an update takes `act: Annotated[Action, acting("prefix")]`: who acts,
the update's id from the request's Idempotency-Key (`deps.idempotent`) and the calls, together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from temporalio.client import Client

from config.settings import Settings
from contracts.common import Actor

from . import workflow_calls
from .deps import Config, CurrentUser, Temporal, User, idempotent

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


@dataclass(frozen=True)
class Action:
    """One request's step on a workflow: who takes it, the update's id (`op`; a retry with the same
    Idempotency-Key acts once) and the calls to make it with."""

    user: CurrentUser
    op: str
    calls: Calls

    @property
    def actor(self) -> Actor:
        return self.user.actor

    async def cycle(self, year: int, update: Any, arg: Any, *, result_type: type[T]) -> T:
        return await self.calls.cycle(year, update, arg, key=self.op, result_type=result_type)

    async def application(
        self, application_id: str, update: Any, arg: Any, *, result_type: type[T], by: int | None = None
    ) -> T:
        """The update on the application's workflow; `by` (an expert's id) keeps one member's update
        apart from another's sent with the same key."""
        key = self.op if by is None else f"{self.op}-{by}"
        return await self.calls.application(application_id, update, arg, key=key, result_type=result_type)


def acting(prefix: str) -> Any:
    """Dependency: the request's `Action`, its update id made of `prefix` and the Idempotency-Key."""

    # `op` as a default, not `Annotated[...]`: the annotations are strings here, and FastAPI
    # resolves them in the module's globals, where `prefix` is not
    def action(user: User, workflows: Workflows, op: str = idempotent(prefix)) -> Action:
        return Action(user, op, workflows)

    return Depends(action)
