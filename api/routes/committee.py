"""The committee (R6.1, R7.1, R14.6) and the government (R14.8) through the API; the public notice
and objections (R14.7); certificates (R15.1).

Secret ballot: a member's ballot is sealed here to the meeting's public key and stored in the
ballot box, in a transaction of its own that shares nothing with the turnout row recording that
the member has voted (db/ballot_box.py). The workflow is told that a ballot was cast, nothing
more; nothing is logged."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any, TypeVar

from fastapi import APIRouter, Depends
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from config.constants import cycle_workflow_id
from config.settings import Settings
from config.temporal import start_objection
from contracts.cycle import (
    ConveneInput,
    ConveneRunoffInput,
    FinalList,
    FinalListInput,
    GovernmentDecisionInput,
    MeetingOpened,
    SupplementaryInput,
    SupplementaryNotice,
    VacateSeatsInput,
)
from contracts.objection import AssignInvestigatorInput, InvestigationReportInput, ObjectionWorkflowInput
from db import award_queries as aq
from db import ballot_box
from db import committee_queries as cq
from db import models as m
from db import repositories as repo
from db.holidays import calendar_for_rules
from domain import notices as texts
from domain.ballot import encode_ballot, tally, validate_ballot
from domain.committee import check_recusal, check_roster_accounts, own_interest_only, roster_listing
from domain.errors import DomainError, conflict, invalid
from domain.final_list import Decision, check_ruling, compose, undecided
from domain.publicity import (
    check_objection,
    check_objection_window,
    check_scope,
    duplicate_objection,
    needs_investigation,
    objection_digest,
)
from domain.roster import Position, Seat, validate_roster
from domain.rules import rules_fingerprint, validate_award_criteria, validate_item_comments_band
from domain.supplementary import check_objection_target
from domain.types import Audience, DeliveryState, NoticeKind, Role
from workflows.cycle import AwardCycleWorkflow
from workflows.objection import ObjectionWorkflow

from .. import workflow_calls
from ..deps import (
    Clock,
    Config,
    CurrentUser,
    IdempotencyKey,
    Now,
    Office,
    Session,
    Sessions,
    Temporal,
    User,
    gate,
    update_key,
)
from ..errors import forbidden, not_found
from ..ratelimit import objection_limits
from ..schemas import (
    BallotIn,
    CommitteeDecisionIn,
    FinalListIn,
    GovernmentDecisionIn,
    InvestigationReportIn,
    InvestigatorIn,
    MeetingIn,
    ObjectionIn,
    ObjectionScopeIn,
    RecusalIn,
    RosterApprovalIn,
    RosterIn,
    RulesApprovalIn,
    RunoffIn,
    SupplementaryIn,
    VacancyIn,
)

router = APIRouter(tags=["committee"])
log = logging.getLogger(__name__)
T = TypeVar("T")
# who reads the committee's records (the members only of their own year: `seat`)
COMMITTEE_RECORDS = (Role.OFFICE, Role.GOVERNMENT, Role.COMMITTEE, Role.AUDITOR)  # the auditor reads only


async def _may_read_committee_records(s: Session, year: int, user: CurrentUser) -> None:
    """The office, the government, the auditor, and the members of this year's committee."""
    if user.role is Role.COMMITTEE:
        await seat(s, year, user)
    elif user.role not in (Role.OFFICE, Role.GOVERNMENT, Role.AUDITOR):
        raise forbidden()


async def seat(
    s: Session, year: int, user: CurrentUser, positions: tuple[str, ...] = ()
) -> m.CommitteeMember:
    """The user's seat on the approved committee of the year (optionally one of `positions`)."""
    member = await cq.member(s, year, user.id)
    roster = await s.get(m.Roster, year)
    if user.role is not Role.COMMITTEE or member is None or roster is None or roster.state != "APPROVED":
        raise forbidden("您不是本年度评委会成员", "You are not a member of this year's committee")
    if positions and member.position not in positions:
        raise forbidden(
            "只有评委会主任或副主任可以代表评委会办理",
            "Only the chair or a vice-chair acts for the committee",
        )
    return member


def _public_notice(key: str, kind: NoticeKind, text: texts.NoticeText, year: int, at: datetime) -> m.Notice:
    return m.Notice(
        key=key,
        kind=kind,
        audience=Audience.PUBLIC,
        cycle_year=year,
        title=text.title,
        body=text.body,
        created_at=at,
        delivery_state=DeliveryState.DELIVERED,
        delivery_channel="portal",
        delivery_attempts=1,
        delivered_at=at,
    )


# --- roster and rules (before the call) ---------------------------------------------------------------
@router.post("/cycles/{year}/committee", status_code=201, summary="Propose the committee roster (R6.1)")
async def propose_roster(year: int, body: RosterIn, s: Session, office: Office) -> dict[str, Any]:
    roster = await s.get(m.Roster, year)
    if roster is not None and roster.state == "APPROVED":
        raise conflict(
            "ROSTER_APPROVED",
            "评委会名单已经批准，不能修改",
            "The roster is approved and can no longer change",
        )
    validate_roster([Seat(x.username, Position(x.position), x.post) for x in body.members])  # Art. 6
    usernames = [x.username for x in body.members]
    users = await cq.users_by_name(s, usernames)
    check_roster_accounts(usernames, {name: u.role for name, u in users.items()})
    now = datetime.now(UTC)
    await cq.clear_roster(s, year)
    for x in body.members:
        u = users[x.username]
        s.add(
            m.CommitteeMember(
                cycle_year=year, user_id=u.id, name=u.display_name, position=x.position, post=x.post.strip()
            )
        )
    if roster is None:
        s.add(m.Roster(cycle_year=year, state="PROPOSED", proposed_by=office.username, proposed_at=now))
    else:
        roster.proposed_by, roster.proposed_at = office.username, now
    await repo.audit_by(s, office, "ROSTER_PROPOSED", "cycle", str(year), at=now, details=body.model_dump())
    return {"year": year, "state": "PROPOSED", "members": body.model_dump()["members"]}


@router.post(
    "/cycles/{year}/committee/approve",
    summary="The government approves and publishes the roster",
    dependencies=[gate(Role.GOVERNMENT)],
)
async def approve_roster(year: int, body: RosterApprovalIn, s: Session, user: User) -> dict[str, Any]:
    roster = await s.get(m.Roster, year)
    if roster is None:
        raise not_found("评委会名单", "Roster")
    if roster.state == "APPROVED":
        raise conflict("ROSTER_APPROVED", "评委会名单已经批准", "The roster is already approved")
    members = await cq.members(s, year)
    # a roster proposed before posts were recorded is proposed again, with them (Art. 6)
    validate_roster([Seat(str(x.user_id), Position(x.position), x.post) for x in members])
    now = datetime.now(UTC)
    roster.state, roster.approved_by, roster.approved_at, roster.document_no = (
        "APPROVED",
        user.username,
        now,
        body.document_no,
    )
    listing = roster_listing([(x.position, x.name, x.post) for x in members])
    s.add(
        _public_notice(
            f"roster-{year}",
            NoticeKind.COMMITTEE_ROSTER,
            texts.committee_roster(year, listing, body.document_no, now),
            year,
            now,
        )
    )
    await repo.audit_by(
        s, user, "ROSTER_APPROVED", "cycle", str(year), at=now, details={"document_no": body.document_no}
    )
    return {"year": year, "state": "APPROVED", "document_no": body.document_no}


@router.get("/cycles/{year}/committee", summary="The committee roster of a cycle (public once approved)")
async def get_roster(year: int, s: Session) -> dict[str, Any]:
    roster = await s.get(m.Roster, year)
    if roster is None or roster.state != "APPROVED":
        raise not_found("已批准的评委会名单", "Approved roster")
    members = await cq.members(s, year)
    return {
        "year": year,
        "document_no": roster.document_no,
        "approved_at": roster.approved_at,
        "members": [{"name": x.name, "position": x.position, "post": x.post} for x in members],
    }


@router.post(
    "/cycles/{year}/rules/approve",
    summary="The committee approves the cycle's rules (R7.1)",
    dependencies=[gate(Role.COMMITTEE)],
)
async def approve_rules(year: int, body: RulesApprovalIn, s: Session, user: User) -> dict[str, Any]:
    await seat(s, year, user, ("CHAIR", "VICE_CHAIR"))
    if body.rules.year != year:
        raise invalid("RULES_YEAR", "细则年度与周期年度不一致", "The rules are for another year")
    if not body.rules.investigate_anonymous and not body.note.strip():
        # Art. 14(5) has every problem raised during the notice investigated; leaving anonymous
        # objections uninvestigated is the committee's choice, recorded with its reason (R14.7)
        raise invalid(
            "RULES_ANONYMOUS_REASON",
            "细则规定匿名异议不予调查的，须由评委会在审定说明中写明理由",
            "Rules that leave anonymous objections uninvestigated need the committee's reason in the note",
        )
    if await repo.cycle(s, year) is not None:
        raise conflict(
            "CYCLE_EXISTS", "评审周期已启动，细则不能再更改", "The cycle has started; its rules are frozen"
        )
    # the years its periods may reach need their rest days (refused with HOLIDAY_CALENDAR_MISSING)
    rules = body.rules.to_rules()
    validate_award_criteria(rules)  # each award's own criteria name the rubric's categories (Art. 2)
    validate_item_comments_band(rules)  # the feedback band is a band of the rubric (R14.4)
    await calendar_for_rules(s, rules)
    doc = body.rules.document()
    digest = rules_fingerprint(doc)
    now = datetime.now(UTC)
    existing = await s.get(m.RulesApproval, year)
    if existing is None:
        s.add(
            m.RulesApproval(
                cycle_year=year,
                rules_hash=digest,
                rules=doc,
                approved_by=user.username,
                approved_at=now,
                note=body.note,
            )
        )
    else:
        existing.rules_hash, existing.rules, existing.approved_by, existing.approved_at = (
            digest,
            doc,
            user.username,
            now,
        )
    await repo.audit_by(
        s,
        user,
        "RULES_APPROVED",
        "cycle",
        str(year),
        at=now,
        reason=body.note,
        details={"rules_hash": digest},
    )
    return {"year": year, "rules_hash": digest}


@router.post(
    "/cycles/{year}/committee/recusals",
    status_code=201,
    summary="A member's interest in a candidate",
    dependencies=[gate(Role.OFFICE, Role.COMMITTEE)],
)
async def recusal(year: int, body: RecusalIn, s: Session, user: User) -> dict[str, Any]:
    if user.role is not Role.OFFICE:
        await seat(s, year, user)
        own_interest_only(user.username, body.username)
    member_user = await repo.user_by_name(s, body.username)
    if member_user is None or await cq.member(s, year, member_user.id) is None:
        raise not_found("评委会成员", "Committee member")
    app = await repo.application(s, body.application_id)
    if app is None or app.cycle_year != year:
        raise not_found("申报", "Application")
    check_recusal(
        meeting_convened=await cq.meeting_convened(s, year),
        recorded=await cq.recusal_recorded(s, year, member_user.id, app.id),
    )
    now = datetime.now(UTC)
    s.add(
        m.CommitteeRecusal(
            cycle_year=year,
            user_id=member_user.id,
            application_id=app.id,
            reason=body.reason,
            recorded_by=user.username,
            recorded_at=now,
        )
    )
    await repo.audit_by(
        s,
        user,
        "COMMITTEE_RECUSAL",
        "application",
        app.id,
        at=now,
        reason=body.reason,
        details={"member": body.username},
    )
    return {"member": body.username, "application_id": app.id}


# --- the plenary -----------------------------------------------------------------------------------
@router.post("/cycles/{year}/meeting", summary="Convene the plenary and present the work report (R14.6)")
async def convene(
    year: int, body: MeetingIn, office: Office, client: Temporal, cfg: Config, key: IdempotencyKey = None
) -> dict[str, Any]:
    opened = await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.convene_meeting,
        ConveneInput(list(body.attendees), office.actor),
        key=update_key("convene", key),
        result_type=MeetingOpened,
    )
    return asdict(opened)


@router.post(
    "/cycles/{year}/runoff",
    summary="Convene a run-off ballot among candidates tied across an award's cut-off (R14.6)",
)
async def convene_runoff(
    year: int, body: RunoffIn, office: Office, client: Temporal, cfg: Config, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Only while the cycle waits in its RUNOFF stage: a meeting `{year}-runoff-{n}` among the tied
    candidates, for the seats left, with the members present (quorum against the roster). Members
    vote through `POST /meetings/{meeting_id}/ballot` as in the plenary."""
    opened = await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.convene_runoff,
        ConveneRunoffInput(list(body.attendees), office.actor, body.award),
        key=update_key("runoff", key),
        result_type=MeetingOpened,
    )
    return asdict(opened)


@router.post(
    "/cycles/{year}/runoff/vacancy",
    summary="The committee leaves the seats of a tie vacant instead of a run-off (宁缺毋滥)",
    dependencies=[gate(Role.COMMITTEE)],
)
async def leave_seats_vacant(
    year: int,
    body: VacancyIn,
    s: Session,
    user: User,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    await seat(s, year, user, ("CHAIR", "VICE_CHAIR"))
    seats = await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.leave_seats_vacant,
        VacateSeatsInput(body.reason, user.actor, body.award),
        key=update_key("vacancy", key),
        result_type=int,
    )
    return {"year": year, "award": body.award, "vacant_seats": seats, "reason": body.reason.strip()}


@router.get("/cycles/{year}/work-report", summary="The office's evaluation work report (R7.1)")
async def work_report(year: int, s: Session, user: User) -> dict[str, Any]:
    await _may_read_committee_records(s, year, user)
    r = await s.get(m.WorkReport, year)
    if r is None:
        raise not_found("评审工作报告", "Work report")
    return {
        "year": year,
        "text": r.text,
        "content": r.content,
        "presented_by": r.presented_by,
        "presented_at": r.presented_at,
    }


@router.post(
    "/meetings/{meeting_id}/ballot",
    summary="Cast my secret ballot (once)",
    dependencies=[gate(Role.COMMITTEE)],
)
async def cast_ballot(
    meeting_id: str, body: BallotIn, sessions: Sessions, user: User, client: Temporal, cfg: Config
) -> dict[str, Any]:
    """The ballot is sealed to the meeting's public key and stored in two transactions that share
    nothing: the register (who has voted), then the box (db/ballot_box.py). Neither is logged."""
    engine: AsyncEngine = sessions.kw["bind"]
    async with engine.connect() as conn:
        if not await _may_vote(conn, meeting_id, user):  # answered before waiting for the box's lock
            raise _already_voted()
        async with ballot_box.holding(conn, meeting_id):
            # 1. the register: the member has voted (every turnout row of the meeting is rewritten)
            async with AsyncSession(bind=conn, expire_on_commit=False) as s, s.begin():
                meeting, sealed, recused = await _seal_ballot(s, meeting_id, body, user)
                await ballot_box.mark_voted(s, meeting_id, user.id)
            # 2. the box: the sealed ballot goes in with all the others, reshuffled
            try:
                async with conn.begin():
                    await ballot_box.put_in_box(conn, meeting_id, sealed)
                stored = True
            except (DBAPIError, OSError):
                stored = False
    if not stored:
        await _not_in_box(engine, meeting_id, user.id, sealed)
    # The cycle learns that one more ballot is in, nothing else. If it cannot be told now, the office
    # can close the ballot; the count is taken from the database in any case.
    timeout = cfg.temporal_rpc_timeout_seconds
    told = client.get_workflow_handle(cycle_workflow_id(meeting.cycle_year)).signal(
        AwardCycleWorkflow.ballot_cast, rpc_timeout=timedelta(seconds=timeout)
    )
    await workflow_calls.reached(told, timeout)
    return {"meeting_id": meeting_id, "accepted": True, "recused": sorted(recused)}


def _already_voted() -> DomainError:
    return conflict(
        "ALREADY_VOTED", "您已投票，每位成员只能投一次", "You have already voted; one ballot per member"
    )


async def _may_vote(conn: AsyncConnection, meeting_id: str, user: CurrentUser) -> bool:
    """False if the member has voted already in this open ballot (a repeated request is answered
    without queueing for the box's lock); every check is made again under the lock."""
    voted = await cq.voted_in_open_ballot(conn, meeting_id, user.id)
    await conn.rollback()
    return not (voted and user.role is Role.COMMITTEE)


async def _seal_ballot(
    s: AsyncSession, meeting_id: str, body: BallotIn, user: CurrentUser
) -> tuple[m.Meeting, bytes, set[str]]:
    """Check that the member may cast this ballot now; the ballot sealed to the meeting's key."""
    meeting = await s.get(m.Meeting, meeting_id)
    if meeting is None:
        raise not_found("会议", "Meeting")
    turnout = await cq.turnout_of(s, meeting_id, user.id)
    if turnout is None or user.role is not Role.COMMITTEE:
        raise forbidden("您未登记出席本次会议，不能投票", "You are not recorded as present at this meeting")
    if meeting.state != "VOTING":
        raise conflict("BALLOT_CLOSED", "投票已结束", "The ballot is closed")
    if turnout.voted:
        raise _already_voted()
    key = await s.get(m.BallotKey, meeting_id)
    if key is None:
        raise conflict(
            "BALLOT_KEY_MISSING",
            "本次会议没有投票密钥，无法密封选票，请联系区评审办",
            "The meeting has no ballot key, so no ballot can be sealed; contact the award office",
        )
    recused = await cq.recused_from(s, meeting.cycle_year, user.id)
    candidates = list(meeting.candidates)
    votes = validate_ballot(dict(body.choices), candidates=candidates, recused=recused)
    paper = encode_ballot(votes, candidates=candidates)
    return meeting, ballot_box.seal(key.public_key, meeting_id, paper), recused


async def _not_in_box(engine: AsyncEngine, meeting_id: str, user_id: int, sealed: bytes) -> None:
    """The box's transaction failed after the register's. Returns if the ballot is in the box after
    all (its commit went through); otherwise takes the member's mark back while the ballot is open,
    so the member may vote again, and answers 503 saying which of the two happened."""
    try:
        async with engine.connect() as conn:
            async with ballot_box.holding(conn, meeting_id):
                async with conn.begin():
                    if await ballot_box.in_box(conn, meeting_id, sealed):
                        return
                    state = await cq.meeting_state(conn, meeting_id)
                    if state == "VOTING":
                        await ballot_box.unmark_voted(conn, meeting_id, user_id)
                        reopened = True
                    else:
                        reopened = False
    except (DBAPIError, OSError):
        log.warning("a ballot's storage failed and could not be checked")
        raise DomainError(
            "BALLOT_UNCERTAIN",
            "数据库暂时不可用，无法确认您的选票是否已存入投票箱；请稍后查看投票情况，或联系区评审办（计票时会核对投票人数与选票数）",
            "The database is unavailable and whether your ballot reached the box cannot be confirmed; "
            "check the meeting later or contact the award office (the count compares ballots with "
            "members who voted)",
            status=503,
        ) from None
    log.warning("a ballot's storage failed; the member's turnout was %s", "reset" if reopened else "kept")
    if reopened:
        raise DomainError(
            "BALLOT_NOT_RECORDED",
            "数据库暂时不可用，您的选票未能存入投票箱，投票记录已撤回；请重新投票",
            "The database was unavailable and your ballot did not reach the box; your turnout was "
            "reset: please vote again",
            status=503,
        )
    raise DomainError(
        "BALLOT_NOT_RECORDED",
        "您的选票未能存入投票箱，而投票已经结束；计票结果注明了未存入的选票数，请联系区评审办",
        "Your ballot did not reach the box and the ballot has closed since; the count records "
        "ballots that did not reach the box: contact the award office",
        status=503,
    )


@router.post("/cycles/{year}/meeting/close", summary="Close the ballot before every member present has voted")
async def close_ballot(
    year: int, office: Office, client: Temporal, cfg: Config, key: IdempotencyKey = None
) -> dict[str, Any]:
    cast = await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.close_ballot,
        office.actor,
        key=update_key("close-ballot", key),
        result_type=int,
    )
    return {"year": year, "ballots_cast": cast}


@router.get(
    "/meetings/{meeting_id}",
    summary="Attendance, turnout and, once closed, the published tally",
    dependencies=[gate(*COMMITTEE_RECORDS)],
)
async def get_meeting(meeting_id: str, s: Session, user: User) -> dict[str, Any]:
    meeting = await s.get(m.Meeting, meeting_id)
    if meeting is not None:
        await _may_read_committee_records(s, meeting.cycle_year, user)
    if meeting is None:
        raise not_found("会议", "Meeting")
    turnout = await cq.attendance(s, meeting_id)
    return {
        "id": meeting.id,
        "kind": meeting.kind,
        "award": meeting.award,
        "seats": meeting.seats,
        "state": meeting.state,
        "present": meeting.present,
        "roster": meeting.roster_size,
        "candidates": meeting.candidates,
        "attendance": sorted(u for u, _ in turnout),
        "voted": sum(v for _, v in turnout),
        "tally": meeting.tally if meeting.state == "CLOSED" else None,
        "preliminary": await _preliminary_decisions(s, meeting.cycle_year)
        if meeting.state == "CLOSED"
        else None,
    }


async def _preliminary_decisions(s: Session, year: int) -> dict[str, Any] | None:
    """The preliminary list the ballot gave, with the reason each candidate left out was given
    (ballot, minimum score, the award's own criteria, quota, tie), once it is published."""
    n = await s.get(m.PublicNotice, year)
    if n is None:
        return None
    return {
        "winners": [w["application_id"] for w in n.preliminary["winners"]],
        "excluded": dict(n.preliminary.get("excluded", {})),
        "ties": list(n.preliminary.get("ties", [])),
    }


@router.get(
    "/meetings/{meeting_id}/recount",
    summary="Recount the stored votes: equals the published tally",
    dependencies=[gate(*COMMITTEE_RECORDS)],
)
async def recount(meeting_id: str, s: Session, user: User) -> dict[str, Any]:
    meeting = await s.get(m.Meeting, meeting_id)
    if meeting is not None:
        await _may_read_committee_records(s, meeting.cycle_year, user)
    if meeting is None or meeting.state != "CLOSED":
        raise conflict("BALLOT_NOT_CLOSED", "投票尚未结束", "The ballot is not closed")
    cycle = await repo.cycle(s, meeting.cycle_year)
    assert cycle is not None
    rules = repo.cycle_rules(cycle)
    votes = await cq.ballot_marks(s, meeting_id)
    present_ids = [t.user_id for t in await cq.turnout(s, meeting_id)]
    recusals = await cq.recusals_among(s, meeting.cycle_year, present_ids)
    counted = [
        asdict(t)
        for t in tally(
            votes,
            candidates=list(meeting.candidates),
            present=meeting.present,
            recusals={c: recusals.get(c, 0) for c in meeting.candidates},
            pass_ratio=Fraction(rules.pass_numerator, rules.pass_denominator),
        )
    ]
    return {
        "meeting_id": meeting_id,
        "recount": counted,
        "published": meeting.tally,
        "equal": counted == meeting.tally,
    }


# --- public notice and objections ---------------------------------------------------------------------
@router.get("/public/preliminary/{year}", tags=["public"], summary="The preliminary list on public notice")
async def preliminary(year: int, s: Session) -> dict[str, Any]:
    n = await s.get(m.PublicNotice, year)
    if n is None:
        raise not_found(f"{year}年度初选公示", f"Public notice {year}")
    return {
        "year": year,
        "published_at": n.published_at,
        "closes_at": n.closes_at,
        "list": [
            {
                "application_id": w["application_id"],
                "enterprise_name": w["enterprise_name"],
                "award": w["award"],
                "runoff": w.get("runoff") or None,  # the run-off meeting that selected it (R14.6)
            }
            for w in n.preliminary["winners"]
        ],
        "runoffs": n.preliminary.get("runoffs", []),
        "vacated": n.preliminary.get("vacated", {}),
        # 补充公示: candidates noticed after the government returned the proposed list
        "supplementary": [
            {
                "notice_id": sup.id,
                "published_at": sup.published_at,
                "closes_at": sup.closes_at,
                "closed": sup.closed,
                "list": [
                    {
                        "application_id": c["application_id"],
                        "enterprise_name": c["enterprise_name"],
                        "award": c["award"],
                    }
                    for c in sup.candidates
                ],
            }
            for sup in await repo.supplementary_notices(s, year)
        ],
        # the committee's list is public once the government has approved it
        "final": [
            {
                "application_id": w["application_id"],
                "enterprise_name": w["enterprise_name"],
                "award": w["award"],
            }
            for w in (n.final or {}).get("winners", [])
        ]
        if n.approval_state == "APPROVED"
        else None,
        "approval_document_no": n.approval_document_no or None,
    }


@router.post(
    "/public/objections/{year}",
    tags=["public"],
    status_code=201,
    summary="Object to the preliminary list during the notice (no sign-in)",
    dependencies=[Depends(objection_limits)],  # P6: per client IP and per target application
)
async def file_objection(
    year: int,
    body: ObjectionIn,
    sessions: Sessions,
    client: Temporal,
    cfg: Config,
    clock: Now,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Anyone may object during the 7-day notice (R14.7). The objection is stored here, under the
    notice's lock, before anything reaches Temporal; its investigation's workflow gets only its id
    and the public facts of the notice (P6). The same objection twice counts once; a request
    retried with its Idempotency-Key answers what the first one did."""
    return await lodge_objection(year, body, sessions=sessions, client=client, cfg=cfg, clock=clock, key=key)


async def lodge_objection(
    year: int,
    body: ObjectionIn,
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    cfg: Settings,
    clock: Clock,
    key: str | None = None,
) -> dict[str, Any]:
    """File an objection (R14.7): the one code path of the API route above and of the public
    portal's form (api/routes/portal.py). Raises DomainError for what may not be filed."""
    now = await clock()
    async with sessions.begin() as s:
        notice = await s.get(m.PublicNotice, year, with_for_update=True)
        cycle = await repo.cycle(s, year)
        if notice is None or cycle is None:
            raise conflict("OBJECTION_WINDOW_NOT_OPEN", "当前没有进行中的公示", "No public notice is open")
        # after a return, the latest supplementary notice (补充公示) is the one running: objections
        # are taken during its window, against its candidates only
        sups = await repo.supplementary_notices(s, year, lock_last=True)
        sup = sups[-1] if sups else None
        window: m.PublicNotice | m.SupplementaryNotice = sup or notice
        if key is not None:
            earlier = await cq.objection_by_request(s, year, key)
            if earlier is not None:
                return {
                    "objection_id": earlier.id,
                    "investigated": earlier.investigate,
                    "closes_at": window.closes_at,
                }
        rules = repo.cycle_rules(cycle)
        period = rules.public_notice_period
        calendar = rules.holiday_calendar
        check_objection_window(window.published_at, now, period, calendar)
        if window.closed:  # the cycle's timer has fired: whatever the clock says, it is closed
            check_objection_window(window.published_at, window.closes_at, period, calendar)
        if sup is None:
            listed = {w["application_id"]: w["enterprise_name"] for w in notice.preliminary["winners"]}
        else:
            listed = {c["application_id"]: c["enterprise_name"] for c in sup.candidates}
            check_objection_target(body.application_id, listed)
        check_objection(
            application_id=body.application_id,
            listed=listed,
            facts=body.facts,
            anonymous=body.anonymous,
            name=body.name,
            contact=body.contact,
        )
        digest = objection_digest(body.application_id, body.facts, body.contact, body.anonymous)
        if await cq.objection_filed(s, year, digest):
            raise duplicate_objection()
        notice.objections_count += 1
        objection_id = f"{year}-OBJ-{notice.objections_count}"
        investigate = needs_investigation(body.anonymous, rules.investigate_anonymous)
        s.add(
            m.Objection(
                id=objection_id,
                cycle_year=year,
                application_id=body.application_id or None,  # none: a problem of the notice itself
                concerns=[body.application_id] if body.application_id else [],
                anonymous=body.anonymous,
                name="" if body.anonymous else body.name,
                contact="" if body.anonymous else body.contact,
                facts=body.facts,
                evidence=body.evidence,
                filed_at=now,
                state="INVESTIGATING" if investigate else "RECORDED",
                investigate=investigate,
                digest=digest,
                request_key=key,
                notice_id=sup.id if sup else None,
            )
        )
        await repo.audit(
            s,
            key=f"objection-{objection_id}",
            at=now,
            actor="public",
            actor_role="public",
            action="OBJECTION_FILED",
            entity_type="application" if body.application_id else "cycle",
            entity_id=body.application_id or str(year),
            details={
                "objection_id": objection_id,
                "anonymous": body.anonymous,
                "investigated": investigate,
                **({"notice_id": sup.id} if sup else {}),
            },
        )
        closes_at = window.closes_at
    if investigate:
        timeout = cfg.temporal_rpc_timeout_seconds
        start = start_objection(
            client,
            ObjectionWorkflowInput(
                objection_id,
                year,
                body.application_id,
                listed.get(body.application_id, ""),
                rules,
                notice_id=sup.id if sup else "",
            ),
            task_queue=cfg.task_queue,
            rpc_timeout=timedelta(seconds=timeout),
        )
        if not await workflow_calls.reached(start, timeout):  # the cycle starts it at the close
            log.warning("objection %s stored; its investigation starts when the notice closes", objection_id)
    return {"objection_id": objection_id, "investigated": investigate, "closes_at": closes_at}


@router.get(
    "/objections",
    summary="Objections of a cycle, their investigation reports and the committee's decisions (R14.7)",
    dependencies=[gate(*COMMITTEE_RECORDS)],
)
async def list_objections(year: int, s: Session, user: User) -> list[dict[str, Any]]:
    """The office and the auditor, the government, and every member of the year's committee (审查:
    the reports go to the committee). Who objected is shown to the office and the auditor only: the
    committee judges the facts and the findings, not the person."""
    await _may_read_committee_records(s, year, user)
    identity = user.role in (Role.OFFICE, Role.AUDITOR)
    rows = await cq.objections(s, year)
    decisions: dict[str, list[m.CommitteeReview]] = {}
    for r in await cq.committee_reviews(s, year):
        decisions.setdefault(r.objection_id, []).append(r)
    notice = await s.get(m.PublicNotice, year)
    listed = [w["application_id"] for w in notice.preliminary["winners"]] if notice else []
    listed += [
        c["application_id"] for sup in await repo.supplementary_notices(s, year) for c in sup.candidates
    ]
    waiting = {
        (f.objection_id, f.application_id)
        for f in undecided(
            await repo.substantiated_findings(s, year), await repo.committee_rulings(s, year), listed
        )
    }
    return [
        {
            "id": o.id,
            "notice_id": o.notice_id,  # the supplementary notice it was filed during (None: the preliminary)
            "application_id": o.application_id,
            "concerns": list(o.concerns),
            "anonymous": o.anonymous,
            **({"name": o.name} if identity else {}),
            "facts": o.facts,
            "evidence": o.evidence,
            "filed_at": o.filed_at,
            "investigated": o.investigate,
            "state": o.state,
            "investigator": o.investigator,
            "due_at": o.due_at,
            "conclusion": o.conclusion,
            "findings": o.findings,
            "reported_at": o.reported_at,
            "decisions": [
                {
                    "application_id": d.application_id,
                    "decision": d.decision,
                    "reasons": d.reasons,
                    "decided_by": d.decided_by,
                    "decided_at": d.decided_at,
                }
                for d in decisions.get(o.id, [])
            ],
            "awaiting_decision": sorted(a for (oid, a) in waiting if oid == o.id),
        }
        for o in rows
    ]


@router.post(
    "/objections/{objection_id}/scope",
    summary="The office records which listed candidates an objection concerns (before the report)",
)
async def scope_objection(
    objection_id: str, body: ObjectionScopeIn, s: Session, office: Office
) -> dict[str, Any]:
    o = await s.get(m.Objection, objection_id, with_for_update=True)
    if o is None:
        raise not_found("异议", "Objection")
    notice = await s.get(m.PublicNotice, o.cycle_year)
    assert notice is not None  # an objection is only taken during the notice
    scope = list(dict.fromkeys(body.application_ids))
    listed = [w["application_id"] for w in notice.preliminary["winners"]]
    if o.notice_id:  # filed during a supplementary notice: only its candidates
        sup = await s.get(m.SupplementaryNotice, o.notice_id)
        listed = [c["application_id"] for c in sup.candidates] if sup else []
    check_scope(
        named=o.application_id or "",
        scope=scope,
        listed=listed,
        reported=o.state == "REPORTED",
    )
    before = list(o.concerns)
    o.concerns = scope
    await repo.audit_by(
        s,
        office,
        "OBJECTION_SCOPED",
        "objection",
        o.id,
        at=datetime.now(UTC),
        reason=body.note,
        details={"concerns": scope, "before": before},
    )
    return {"objection_id": o.id, "concerns": scope}


@router.post(
    "/objections/{objection_id}/decision",
    status_code=201,
    summary="审查: the committee decides on a substantiated finding (remove or keep the candidate)",
    dependencies=[gate(Role.COMMITTEE)],
)
async def decide_finding(
    objection_id: str, body: CommitteeDecisionIn, s: Session, user: User
) -> dict[str, Any]:
    """The chair or a vice-chair records the committee's decision, with its reasons, on a
    substantiated finding about a candidate of the list (Art. 14(5)): REMOVE takes the candidate off
    the list the committee fixes, KEEP keeps it there. Nothing is removed without it."""
    o = await s.get(m.Objection, objection_id, with_for_update=True)
    if o is None:
        raise not_found("异议", "Objection")
    await seat(s, o.cycle_year, user, ("CHAIR", "VICE_CHAIR"))
    notice = await s.get(m.PublicNotice, o.cycle_year)
    if notice is not None and notice.approval_state == "APPROVED":
        raise conflict(
            "FINAL_LIST_APPROVED",
            "拟授奖名单已经区政府批准，不能再作出审查决定",
            "The government has approved the list; no decision can be taken any more",
        )
    target = body.application_id
    if not target and len(o.concerns) == 1:
        target = o.concerns[0]
    if not target and len(o.concerns) > 1:
        raise invalid(
            "DECISION_CANDIDATE_REQUIRED",
            "该异议涉及多个单位，请逐一指明所决定的单位",
            "The objection concerns several candidates: name the one decided",
            concerns=list(o.concerns),
        )
    decided = target != "" and await cq.finding_decided(s, o.id, target)
    check_ruling(
        substantiated=o.state == "REPORTED" and o.conclusion == "SUBSTANTIATED",
        in_scope=target in o.concerns,
        decided=decided,
        reasons=body.reasons,
    )
    now = datetime.now(UTC)
    s.add(
        m.CommitteeReview(
            cycle_year=o.cycle_year,
            objection_id=o.id,
            application_id=target,
            decision=body.decision,
            reasons=body.reasons,
            decided_by=user.username,
            decided_at=now,
        )
    )
    await repo.audit_by(
        s,
        user,
        "COMMITTEE_FINDING_DECIDED",
        "objection",
        o.id,
        at=now,
        reason=body.reasons,
        details={"application_id": target, "decision": body.decision},
    )
    return {
        "objection_id": o.id,
        "application_id": target,
        "decision": body.decision,
        "decision_zh": Decision(body.decision).name_zh,
        "decided_by": user.username,
        "decided_at": now,
    }


async def _objection_update(
    client: Temporal, cfg: Config, objection_id: str, method: Any, arg: Any, key: str, result_type: type[T]
) -> T:
    return await workflow_calls.workflow_update(
        client,
        cfg,
        f"objection-{objection_id.lower()}",
        method,
        arg,
        key=key,
        result_type=result_type,
        missing=("异议", "Objection"),
        closed=workflow_calls.OBJECTION_CLOSED,
    )


@router.post("/objections/{objection_id}/investigator", summary="Assign the investigator")
async def assign(
    objection_id: str,
    body: InvestigatorIn,
    s: Session,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    investigator = await repo.user_by_name(s, body.username)
    if investigator is None or investigator.role != Role.OFFICE:
        raise invalid(
            "INVESTIGATOR_ACCOUNT",
            "调查人须为区评审办工作人员账号",
            "The investigator must be an office account",
        )
    due = await _objection_update(
        client,
        cfg,
        objection_id,
        ObjectionWorkflow.assign_investigator,
        AssignInvestigatorInput(investigator.username, investigator.id, office.actor),
        update_key("assign", key),
        datetime,
    )
    return {"objection_id": objection_id, "investigator": investigator.username, "due_at": due}


@router.post("/objections/{objection_id}/report", summary="The investigator's report")
async def report(
    objection_id: str,
    body: InvestigationReportIn,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    conclusion = await _objection_update(
        client,
        cfg,
        objection_id,
        ObjectionWorkflow.submit_report,
        InvestigationReportInput(body.findings, body.conclusion, office.actor),
        update_key("report", key),
        str,
    )
    return {"objection_id": objection_id, "conclusion": conclusion}


# --- the final list and the government's approval ---------------------------------------------------
@router.post(
    "/cycles/{year}/final-list",
    summary="The committee fixes the list proposed to the government",
    dependencies=[gate(Role.COMMITTEE)],
)
async def final_list(
    year: int,
    body: FinalListIn,
    s: Session,
    user: User,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    await seat(s, year, user, ("CHAIR", "VICE_CHAIR"))
    await _check_list(s, year, body)
    final = await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.fix_final_list,
        FinalListInput(user.actor, body.note, dict(body.remove), dict(body.reinstate)),
        key=update_key("final", key),
        result_type=FinalList,
    )
    return asdict(final)


async def _check_list(s: Session, year: int, body: FinalListIn) -> None:
    """The answer a person can act on before the workflow is asked (the activity checks the same
    rule again, authoritatively): every substantiated finding decided, revisions that the returned
    version and the published preliminary list allow."""
    notice = await s.get(m.PublicNotice, year)
    if notice is None or notice.approval_state == "APPROVED":
        return  # the workflow answers that the list cannot be fixed now
    versions = await repo.list_versions(s, year)
    pending = versions and versions[-1].state == "PENDING"
    if pending:
        return  # a version waits for the government: the workflow answers FINAL_LIST_NOT_OPEN
    sups = await repo.supplementary_notices(s, year)
    if sups and not sups[-1].closed:
        return  # the workflow answers SUPPLEMENTARY_NOTICE_RUNNING
    compose(
        preliminary=[w["application_id"] for w in notice.preliminary["winners"]],
        previous=repo.previous_version(versions, len(versions) + 1),
        remove=body.remove,
        reinstate=body.reinstate,
        **await repo.list_composition(s, year, notice),
    )


@router.post(
    "/cycles/{year}/supplementary-notice",
    status_code=201,
    summary="After a return: propose candidates left off the published list for a 补充公示 (R14.7, R14.8)",
    dependencies=[gate(Role.COMMITTEE)],
)
async def propose_supplementary(
    year: int,
    body: SupplementaryIn,
    s: Session,
    user: User,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The chair (or a vice-chair) proposes, with reasons, candidates of the plenary who passed the
    ballot and reach the minimum score but were left off the published preliminary list (by the
    quota, or a run-off), within each award's quota once added (naming, with reasons, any candidate
    of the returned list taken off to make room). The cycle publishes their 7-day supplementary
    notice, takes objections against them only, waits for the investigations, and then the
    committee fixes the next version, which takes them in (Art. 14(5), 14(6))."""
    await seat(s, year, user, ("CHAIR", "VICE_CHAIR"))
    notice = await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.propose_supplementary,
        SupplementaryInput(dict(body.add), user.actor, dict(body.make_room), body.note),
        key=update_key("supplementary", key),
        result_type=SupplementaryNotice,
    )
    return asdict(notice)


@router.get(
    "/cycles/{year}/final-list/versions",
    summary="Every version of the list proposed to the government, with the decision on it (R14.8)",
    dependencies=[gate(*COMMITTEE_RECORDS)],
)
async def list_versions(year: int, s: Session, user: User) -> list[dict[str, Any]]:
    await _may_read_committee_records(s, year, user)
    return [
        {
            "version": v.version,
            "winners": v.winners,
            "removed": v.removed,
            "reinstated": v.reinstated,
            "kept": v.kept,
            "supplemented": v.supplemented,  # came through a supplementary notice (补充公示) -> how and why
            "supplementary_notice": v.supplementary_notice or None,
            "note": v.note,
            "fixed_by": v.fixed_by,
            "fixed_at": v.fixed_at,
            "answers_version": v.answers_version,
            "answers_reason": v.answers_reason,
            "state": v.state,
            "decided_by": v.decided_by,
            "decided_at": v.decided_at,
            "document_no": v.document_no,
            "return_reason": v.return_reason,
        }
        for v in await repo.list_versions(s, year)
    ]


@router.post(
    "/cycles/{year}/approval",
    summary="The district government approves or returns the list (R14.8)",
    dependencies=[gate(Role.GOVERNMENT)],
)
async def approval(
    year: int,
    body: GovernmentDecisionIn,
    user: User,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    state = await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.government_decision,
        GovernmentDecisionInput(body.approved, body.document_no, body.reason, user.actor, body.version),
        key=update_key("approval", key),
        result_type=str,
    )
    return {"year": year, "decision": state, "version": body.version or None}


@router.get("/public/results/{year}", tags=["public"], summary="The approved result with certificate numbers")
async def results(year: int, s: Session) -> dict[str, Any]:
    n = await s.get(m.PublicNotice, year)
    if n is None or n.approval_state != "APPROVED":
        raise not_found(f"{year}年度评审结果", f"Result {year}")
    certs = await aq.certificates(s, year=year)
    return {
        "year": year,
        "approval_document_no": n.approval_document_no,
        "winners": [
            {
                "certificate_number": c.number,
                "award": c.award,
                "enterprise_name": name,
                "application_id": c.application_id,
            }
            for c, name in certs
        ],
    }


@router.get(
    "/certificates/{number}",
    summary="A certificate and its plaque text",
    dependencies=[gate(Role.OFFICE, Role.COMMITTEE, Role.GOVERNMENT, Role.AUDITOR, Role.ENTERPRISE)],
)
async def certificate(number: str, s: Session, user: User) -> dict[str, Any]:
    c = await s.get(m.Certificate, number)
    if c is None or (user.role is Role.ENTERPRISE and user.enterprise_id != c.enterprise_id):
        raise not_found("证书", "Certificate")
    return {
        "number": c.number,
        "year": c.cycle_year,
        "award": c.award,
        "application_id": c.application_id,
        "text": c.text,
        "plaque_text": c.plaque_text,
        "workflow_id": c.workflow_id,
        "issued_at": c.issued_at,
    }
