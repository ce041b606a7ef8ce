"""An award by its certificate number (`{number}`, Art. 17-19): the certificate the caller may read
(an enterprise its own only: 404 for another's, which does not reveal that it exists; 403 for a
role that never reads awards), and the award workflow that keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends

from contracts.award import AwardState
from db import award_queries as aq
from db import models as m
from domain.errors import conflict
from domain.types import Role
from workflows.award import AwardWorkflow

from .. import workflow_calls
from ..deps import Config, Session, Temporal, User
from ..errors import forbidden, not_found
from .workflow import KeptBy

T = TypeVar("T")
# who reads awards: the auditor reads only (api.deps), an enterprise its own awards only
READERS = (Role.OFFICE, Role.COMMITTEE, Role.GOVERNMENT, Role.AUDITOR)
AWARD_READERS = (*READERS, Role.ENTERPRISE)


async def certificate(number: str, s: Session, user: User) -> m.Certificate:
    """The certificate `{number}` as the caller may see it."""
    c = await aq.certificate(s, number)
    if c is None or (user.role is Role.ENTERPRISE and user.enterprise_id != c.enterprise_id):
        raise not_found("获奖证书", "Certificate")
    if user.role not in AWARD_READERS:
        raise forbidden()
    return c


Certificate = Annotated[m.Certificate, Depends(certificate)]


@dataclass(frozen=True)
class Award:
    """A certificate the caller may read, with the award workflow that keeps it."""

    certificate: m.Certificate
    workflow: KeptBy

    @property
    def number(self) -> str:
        return self.certificate.number

    async def state(self) -> AwardState | None:
        """The workflow's live state, or None when it cannot be asked right now."""
        return await self.workflow.query(AwardWorkflow.award_state, AwardState)

    async def update(
        self, method: Any, arg: Any, key: str, result_type: type[T], *, exposure_owed: bool = False
    ) -> T:
        """One update of the award workflow (`key`: its idempotent id), refused once nothing more
        can be done on the award."""
        c = self.certificate
        # Revoked, recovered and (when it was owed) exposed in the news media: the workflow has ended.
        if (
            c.status == "REVOKED"
            and c.certificate_recovered_at
            and c.trophy_recovered_at
            and not exposure_owed
        ):
            raise conflict(
                "AWARD_CLOSED",
                "该奖项已撤销，证书和奖杯已收回，办理已经结束",
                "The award is revoked and its certificate and trophy recovered; nothing more can be done on it",
            )
        return await self.workflow.update(method, arg, key, result_type)


async def award(c: Certificate, client: Temporal, cfg: Config) -> Award:
    return Award(
        c, KeptBy(client, cfg, c.workflow_id, ("获奖流程", "Award workflow"), workflow_calls.AWARD_CLOSED)
    )


AwardOf = Annotated[Award, Depends(award)]
