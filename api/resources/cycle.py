"""A cycle (`{year}` in the path) and the committee of its year: the cycle itself (404 when the
year has none), a seat on the year's approved committee (403 for anyone else) and the readers of
the committee's records (the office, the government, the auditor and the year's members)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from db import committee_queries as cq
from db import committee_reads as cr
from db import models as m
from db import repositories as repo
from domain.types import Role

from ..deps import CurrentUser, Session, User, gate
from ..errors import forbidden, not_found

# who reads the committee's records (the members only of their own year: `seat`)
COMMITTEE_RECORDS = (Role.OFFICE, Role.GOVERNMENT, Role.COMMITTEE, Role.AUDITOR)  # the auditor reads only
# the committee's officers: they act for it (the chair and the vice-chairs)
OFFICERS = ("CHAIR", "VICE_CHAIR")


async def seat(
    s: Session, year: int, user: CurrentUser, positions: tuple[str, ...] = ()
) -> m.CommitteeMember:
    """The user's seat on the approved committee of the year (optionally one of `positions`)."""
    member = await cq.member(s, year, user.id)
    approved = await cr.approved_roster(s, year)
    if user.role is not Role.COMMITTEE or member is None or approved is None:
        raise forbidden("您不是本年度评委会成员", "You are not a member of this year's committee")
    if positions and member.position not in positions:
        raise forbidden(
            "只有评委会主任或副主任可以代表评委会办理",
            "Only the chair or a vice-chair acts for the committee",
        )
    return member


async def may_read_committee_records(s: Session, year: int, user: CurrentUser) -> None:
    """The office, the government, the auditor, and the members of this year's committee."""
    if user.role is Role.COMMITTEE:
        await seat(s, year, user)
    elif user.role not in (Role.OFFICE, Role.GOVERNMENT, Role.AUDITOR):
        raise forbidden()


async def committee_records_reader(year: int, s: Session, user: User) -> CurrentUser:
    """Dependency: the caller, who may read the committee's records of `{year}`."""
    await may_read_committee_records(s, year, user)
    return user


async def officer_seat(year: int, s: Session, user: User) -> m.CommitteeMember:
    """Dependency: the caller's seat as chair or vice-chair of `{year}`'s approved committee."""
    return await seat(s, year, user, OFFICERS)


async def cycle(year: int, s: Session) -> m.Cycle:
    """Dependency: the cycle of `{year}` (404 when the year has none)."""
    c = await repo.cycle(s, year)
    if c is None:
        raise not_found(f"{year}年度评审周期", f"Cycle {year}")
    return c


# a route on which the chair or a vice-chair acts for the committee: the role, then the seat, both
# before the body is read
OFFICERS_ACT = [gate(Role.COMMITTEE), Depends(officer_seat)]
RecordsReader = Annotated[CurrentUser, Depends(committee_records_reader)]
OfficerSeat = Annotated[m.CommitteeMember, Depends(officer_seat)]
Cycle = Annotated[m.Cycle, Depends(cycle)]
