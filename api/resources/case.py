"""A misuse case by its id (`{case_id}`, Art. 19): the case the caller may read (an enterprise its
own only: 404 for another's; 403 for a role that never reads awards), and the case's workflow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from config.constants import misuse_workflow_id
from contracts.misuse import MisuseCaseState
from db import award_queries as aq
from db import models as m
from domain.types import Role
from workflows.misuse import MisuseCaseWorkflow

from .. import workflow_calls
from ..deps import Config, Session, Temporal, User
from ..errors import forbidden, not_found
from .award import AWARD_READERS
from .workflow import KeptBy


@dataclass(frozen=True)
class MisuseCase:
    """A misuse case the caller may read, with the workflow that keeps it."""

    record: m.MisuseCase
    workflow: KeptBy

    @property
    def case_id(self) -> str:
        return self.record.id

    async def state(self) -> MisuseCaseState | None:
        """The workflow's live state, or None when it cannot be asked right now."""
        return await self.workflow.query(MisuseCaseWorkflow.case_state, MisuseCaseState)

    async def update(self, method: Any, arg: Any, key: str) -> str:
        """One update of the case's workflow (`key`: its idempotent id); answers the case's state."""
        return await self.workflow.update(method, arg, key, str)


async def misuse_case(case_id: str, s: Session, user: User, client: Temporal, cfg: Config) -> MisuseCase:
    if user.role not in AWARD_READERS:
        raise forbidden()
    x = await aq.misuse_case(s, case_id)
    if x is None or (user.role is Role.ENTERPRISE and x.enterprise_id != user.enterprise_id):
        raise not_found("违规使用称号案件", "Misuse case")
    kept = KeptBy(
        client,
        cfg,
        misuse_workflow_id(x.id),
        ("违规使用称号案件", "Misuse case"),
        workflow_calls.MISUSE_CASE_CLOSED,
    )
    return MisuseCase(x, kept)


CaseOf = Annotated[MisuseCase, Depends(misuse_case)]
