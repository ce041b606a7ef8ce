"""A meeting of the committee (`{meeting_id}` in the path: the plenary or a run-off), read by the
readers of its year's committee records (api/resources/cycle.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from db import committee_reads as cr
from db import models as m
from domain.errors import conflict

from ..deps import Session, User
from ..errors import not_found
from .cycle import may_read_committee_records


async def _readable(meeting_id: str, s: Session, user: User) -> m.Meeting | None:
    """The meeting if there is one, once the caller is known to read its year's records."""
    meeting = await cr.meeting(s, meeting_id)
    if meeting is not None:
        await may_read_committee_records(s, meeting.cycle_year, user)
    return meeting


async def readable_meeting(meeting: Annotated[m.Meeting | None, Depends(_readable)]) -> m.Meeting:
    """Dependency: the meeting (404 when there is none)."""
    if meeting is None:
        raise not_found("会议", "Meeting")
    return meeting


async def closed_meeting(meeting: Annotated[m.Meeting | None, Depends(_readable)]) -> m.Meeting:
    """Dependency: the meeting, once its ballot is closed (409 BALLOT_NOT_CLOSED until then, and
    for a meeting that does not exist)."""
    if meeting is None or meeting.state != "CLOSED":
        raise conflict("BALLOT_NOT_CLOSED", "投票尚未结束", "The ballot is not closed")
    return meeting


Meeting = Annotated[m.Meeting, Depends(readable_meeting)]
ClosedMeeting = Annotated[m.Meeting, Depends(closed_meeting)]
