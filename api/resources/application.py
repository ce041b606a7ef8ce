"""The application a route names in its path (`{application_id}`), loaded and its caller
authorised: 404 when there is no such application, 403 when the caller may not act on it — the
office and the auditor (纪检) on any, an enterprise on its own only, an expert through a seat on one
of its panels (R20.2) once they have signed the cycle's undertaking (Art. 20).

Each route keeps its role gate (`dependencies=[gate(...)]`), which runs first: a caller of a role
that may never act is refused before anything is looked up. A route with a body calls the check
itself (`found`, `Access`, `assigned`) rather than taking the dependency: FastAPI solves the
dependencies before it validates the body, and a malformed body is a 422 before any 404 or 403 of
the application (as it always was)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from db import expert_queries as eq
from db import models as m
from db import repositories as repo
from db import undertakings
from domain.errors import DomainError
from domain.types import Role
from domain.undertaking import not_signed

from ..deps import CurrentUser, Session, User
from ..errors import forbidden, not_found

ANY_APPLICATION = (Role.OFFICE, Role.AUDITOR)


async def expert_of(s: Session, user: CurrentUser) -> m.Expert:
    """The expert behind `user`; a disqualified expert reads and does nothing any more (R20.3)."""
    e = await eq.expert_of_user(s, user.id)
    if e is None or user.role is not Role.EXPERT:
        raise forbidden("当前账号不是评审专家", "This account is not an expert's")
    if e.status == "DISQUALIFIED":
        raise DomainError(
            "EXPERT_DISQUALIFIED",
            "您已被取消评审资格，不能再查阅或评审任何申报",
            "You have been disqualified as an expert: you can no longer read or review any application",
            status=403,
        )
    return e


async def _signed_for(s: Session, expert_id: int, app: m.Application | None) -> None:
    """409 UNDERTAKING_NOT_SIGNED unless the expert has signed the undertaking of the application's
    cycle (Art. 20): before that, no assignment of the cycle is shown."""
    if app is not None and await undertakings.unsigned_years(s, expert_id, [app.cycle_year]):
        raise not_signed([app.cycle_year])


@dataclass(frozen=True)
class Assignment:
    """An expert's access to an application through a held seat on one of its panels."""

    application_id: str
    expert: m.Expert


async def assigned(s: Session, user: CurrentUser, application_id: str) -> Assignment:
    """The expert behind `user`, if a seat of theirs still grants access to the application (held,
    not disqualified, the cycle not completed; R20.2); else 403. An application that does not
    exist is one the expert is not assigned to (403, not 404: nothing is revealed)."""
    e = await expert_of(s, user)
    await _signed_for(s, e.id, await repo.application(s, application_id))
    if not await repo.expert_sits_on(s, user.id, application_id):
        raise forbidden("您未被分配评审该申报", "You are not assigned to this application")
    return Assignment(application_id, e)


async def _panel_reader(application_id: str, s: Session, user: User) -> Assignment | None:
    """The office and the auditor read any panel's record (None); anyone else only as an
    assigned expert."""
    return None if user.role in ANY_APPLICATION else await assigned(s, user, application_id)


async def found(s: Session, application_id: str) -> m.Application:
    app = await repo.application(s, application_id)
    if app is None:
        raise not_found("申报", "Application")
    return app


@dataclass(frozen=True)
class Access:
    """Who may act on an application: the office and the auditor, its own enterprise and, with
    `experts`, an expert assigned to it (`assigned`); anyone else is refused with (zh, en)."""

    zh: str = "无权访问该资源"
    en: str = "You may not access this resource"
    experts: bool = False

    async def __call__(self, s: Session, user: CurrentUser, application_id: str) -> m.Application:
        app = await found(s, application_id)
        if user.role is Role.ENTERPRISE:
            if app.enterprise_id != user.enterprise_id:
                raise forbidden(self.zh, self.en)
        elif self.experts and user.role is Role.EXPERT:
            await assigned(s, user, application_id)
        elif user.role not in ANY_APPLICATION:
            raise forbidden(self.zh, self.en)
        return app

    def dependency(self) -> Any:
        """The check as a dependency, for a route without a body."""

        async def load(application_id: str, s: Session, user: User) -> m.Application:
            return await self(s, user, application_id)

        return Depends(load)


async def _readable(application_id: str, s: Session, user: User) -> m.Application:
    """The office and the auditor; the enterprise that applied; an expert on one of its panels
    (R20.2), once they have signed the cycle's undertaking (409 before)."""
    app = await found(s, application_id)
    if user.role in ANY_APPLICATION:
        return app
    if user.role is Role.ENTERPRISE and user.enterprise_id == app.enterprise_id:
        return app
    if user.role is Role.EXPERT:
        e = await eq.expert_of_user(s, user.id)
        if e is not None:
            await _signed_for(s, e.id, app)  # Art. 20: the undertaking first
        if await repo.expert_sits_on(s, user.id, app.id):
            return app
    raise forbidden("无权查看该申报", "You may not see this application")


# The application as its detail shows it: office, auditor, its enterprise, its panels' experts.
ReadableApplication = Annotated[m.Application, Depends(_readable)]
# The panels' opinions: office, auditor, its enterprise, an assigned expert.
ReviewedApplication = Annotated[m.Application, Access(experts=True).dependency()]
# A panel's scores: the office and the auditor (None), else an assigned expert.
PanelReader = Annotated[Assignment | None, Depends(_panel_reader)]
