"""The committee (R6.1, R7.1, R14.6) and the government (R14.8) through the API; the public notice
and objections (R14.7); certificates (R15.1).

Secret ballot: a member's ballot is sealed here to the meeting's public key and stored in the
ballot box, in a transaction of its own that shares nothing with the turnout row recording that
the member has voted (db/ballot_box.py). The workflow is told that a ballot was cast, nothing
more; nothing is logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

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
from db import committee_reads as cr
from db import models as m
from db import repositories as repo
from db.holidays import calendar_for_rules
from domain import notices as texts
from domain.ballot import encode_ballot, validate_ballot
from domain.committee import check_recusal, check_roster_accounts, own_interest_only, roster_listing
from domain.errors import DomainError, conflict, invalid
from domain.final_list import check_ruling, compose, undecided
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
from ..calls import Calls, Workflows
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
    idempotent,
)
from ..errors import forbidden, not_found
from ..ratelimit import objection_limits
from ..resources.cycle import COMMITTEE_RECORDS as COMMITTEE_RECORDS
from ..resources.cycle import OFFICERS, OFFICERS_ACT, RecordsReader, may_read_committee_records
from ..resources.cycle import seat as seat
from ..resources.meeting import ClosedMeeting, Meeting
from ..responses import committee as out
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
# the readers' check as the routes of exports and printouts import it from here
_may_read_committee_records = may_read_committee_records


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
async def propose_roster(year: int, body: RosterIn, s: Session, office: Office) -> out.RosterProposed:
    roster = await cr.roster(s, year)
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
    return out.RosterProposed(year=year, state="PROPOSED", members=body.model_dump()["members"])


@router.post(
    "/cycles/{year}/committee/approve",
    summary="The government approves and publishes the roster",
    dependencies=[gate(Role.GOVERNMENT)],
)
async def approve_roster(year: int, body: RosterApprovalIn, s: Session, user: User) -> out.RosterApproved:
    roster = await cr.roster(s, year)
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
    return out.RosterApproved(year=year, state="APPROVED", document_no=body.document_no)


@router.get("/cycles/{year}/committee", summary="The committee roster of a cycle (public once approved)")
async def get_roster(year: int, s: Session) -> out.Roster:
    roster = await cr.approved_roster(s, year)
    if roster is None:
        raise not_found("已批准的评委会名单", "Approved roster")
    members = await cq.members(s, year)
    return out.Roster(
        year=year,
        document_no=roster.document_no,
        approved_at=roster.approved_at,
        members=[out.RosterMember(name=x.name, position=x.position, post=x.post) for x in members],
    )


@router.post(
    "/cycles/{year}/rules/approve",
    summary="The committee approves the cycle's rules (R7.1)",
    dependencies=OFFICERS_ACT,
)
async def approve_rules(year: int, body: RulesApprovalIn, s: Session, user: User) -> out.RulesApproved:
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
    existing = await cr.rules_approval(s, year)
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
    return out.RulesApproved(year=year, rules_hash=digest)


@router.post(
    "/cycles/{year}/committee/recusals",
    status_code=201,
    summary="A member's interest in a candidate",
    dependencies=[gate(Role.OFFICE, Role.COMMITTEE)],
)
async def recusal(year: int, body: RecusalIn, s: Session, user: User) -> out.RecusalRecorded:
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
    return out.RecusalRecorded(member=body.username, application_id=app.id)


# --- the plenary -----------------------------------------------------------------------------------
@router.post("/cycles/{year}/meeting", summary="Convene the plenary and present the work report (R14.6)")
async def convene(
    year: int, body: MeetingIn, office: Office, calls: Workflows, op: Annotated[str, idempotent("convene")]
) -> out.MeetingConvened:
    return await _open_meeting(
        calls, year, AwardCycleWorkflow.convene_meeting, ConveneInput(list(body.attendees), office.actor), op
    )


async def _open_meeting(calls: Calls, year: int, update: Any, arg: Any, op: str) -> out.MeetingConvened:
    """The cycle opens a meeting's ballot: the plenary's or a run-off's."""
    opened = await calls.cycle(year, update, arg, key=op, result_type=MeetingOpened)
    return out.MeetingConvened.of(opened)


@router.post(
    "/cycles/{year}/runoff",
    summary="Convene a run-off ballot among candidates tied across an award's cut-off (R14.6)",
)
async def convene_runoff(
    year: int, body: RunoffIn, office: Office, calls: Workflows, op: Annotated[str, idempotent("runoff")]
) -> out.MeetingConvened:
    """Only while the cycle waits in its RUNOFF stage: a meeting `{year}-runoff-{n}` among the tied
    candidates, for the seats left, with the members present (quorum against the roster). Members
    vote through `POST /meetings/{meeting_id}/ballot` as in the plenary."""
    arg = ConveneRunoffInput(list(body.attendees), office.actor, body.award)
    return await _open_meeting(calls, year, AwardCycleWorkflow.convene_runoff, arg, op)


@router.post(
    "/cycles/{year}/runoff/vacancy",
    summary="The committee leaves the seats of a tie vacant instead of a run-off (宁缺毋滥)",
    dependencies=OFFICERS_ACT,
)
async def leave_seats_vacant(
    year: int,
    body: VacancyIn,
    user: User,
    calls: Workflows,
    op: Annotated[str, idempotent("vacancy")],
) -> out.SeatsVacated:
    arg = VacateSeatsInput(body.reason, user.actor, body.award)
    seats = await calls.cycle(year, AwardCycleWorkflow.leave_seats_vacant, arg, key=op, result_type=int)
    return out.SeatsVacated(year=year, award=body.award, vacant_seats=seats, reason=body.reason.strip())


@router.get("/cycles/{year}/work-report", summary="The office's evaluation work report (R7.1)")
async def work_report(year: int, s: Session, _: RecordsReader) -> out.WorkReport:
    r = await cr.work_report(s, year)
    if r is None:
        raise not_found("评审工作报告", "Work report")
    return out.WorkReport.of(r)


@router.post(
    "/meetings/{meeting_id}/ballot",
    summary="Cast my secret ballot (once)",
    dependencies=[gate(Role.COMMITTEE)],
)
async def cast_ballot(
    meeting_id: str, body: BallotIn, sessions: Sessions, user: User, calls: Workflows
) -> out.BallotAccepted:
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
    timeout = calls.cfg.temporal_rpc_timeout_seconds
    told = calls.client.get_workflow_handle(cycle_workflow_id(meeting.cycle_year)).signal(
        AwardCycleWorkflow.ballot_cast, rpc_timeout=timedelta(seconds=timeout)
    )
    await workflow_calls.reached(told, timeout)
    return out.BallotAccepted(meeting_id=meeting_id, accepted=True, recused=sorted(recused))


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
    meeting = await cr.meeting(s, meeting_id)
    if meeting is None:
        raise not_found("会议", "Meeting")
    turnout = await cq.turnout_of(s, meeting_id, user.id)
    if turnout is None or user.role is not Role.COMMITTEE:
        raise forbidden("您未登记出席本次会议，不能投票", "You are not recorded as present at this meeting")
    if meeting.state != "VOTING":
        raise conflict("BALLOT_CLOSED", "投票已结束", "The ballot is closed")
    if turnout.voted:
        raise _already_voted()
    key = await cr.ballot_key(s, meeting_id)
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
    year: int, office: Office, calls: Workflows, op: Annotated[str, idempotent("close-ballot")]
) -> out.BallotClosed:
    cast = await calls.cycle(year, AwardCycleWorkflow.close_ballot, office.actor, key=op, result_type=int)
    return out.BallotClosed(year=year, ballots_cast=cast)


@router.get(
    "/meetings/{meeting_id}",
    summary="Attendance, turnout and, once closed, the published tally",
    dependencies=[gate(*COMMITTEE_RECORDS)],
)
async def get_meeting(meeting: Meeting, s: Session) -> out.Meeting:
    turnout = await cq.attendance(s, meeting.id)
    closed = meeting.state == "CLOSED"
    # once closed: the published tally, and the preliminary list the ballot gave with the reason
    # each candidate left out was given (ballot, minimum score, the award's own criteria, quota, tie)
    notice = await cr.public_notice(s, meeting.cycle_year) if closed else None
    return out.Meeting.of(
        meeting,
        roster=meeting.roster_size,
        attendance=sorted(u for u, _ in turnout),
        voted=sum(v for _, v in turnout),
        tally=meeting.tally if closed else None,
        preliminary=out.PreliminaryDecisions.of(notice),
    )


@router.get(
    "/meetings/{meeting_id}/recount",
    summary="Recount the stored votes: equals the published tally",
    dependencies=[gate(*COMMITTEE_RECORDS)],
)
async def recount(meeting: ClosedMeeting, s: Session) -> out.Recount:
    return out.Recount.of(meeting, await cr.recount(s, meeting))


# --- public notice and objections ---------------------------------------------------------------------
@router.get("/public/preliminary/{year}", tags=["public"], summary="The preliminary list on public notice")
async def preliminary(year: int, s: Session) -> out.PublicPreliminary:
    n = await cr.public_notice(s, year)
    if n is None:
        raise not_found(f"{year}年度初选公示", f"Public notice {year}")
    return out.PublicPreliminary.of(n, list(await repo.supplementary_notices(s, year)))


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
) -> out.ObjectionFiled:
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
) -> out.ObjectionFiled:
    """File an objection (R14.7): the one code path of the API route above and of the public
    portal's form (api/routes/portal.py). Raises DomainError for what may not be filed."""
    now = await clock()
    async with sessions.begin() as s:
        notice = await cr.public_notice(s, year, lock=True)
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
                return out.ObjectionFiled(
                    objection_id=earlier.id, investigated=earlier.investigate, closes_at=window.closes_at
                )
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
    return out.ObjectionFiled(objection_id=objection_id, investigated=investigate, closes_at=closes_at)


@router.get(
    "/objections",
    summary="Objections of a cycle, their investigation reports and the committee's decisions (R14.7)",
    dependencies=[gate(*COMMITTEE_RECORDS)],
    response_model_exclude_unset=True,  # `name` is left out for the government and the committee
)
async def list_objections(year: int, s: Session, user: RecordsReader) -> list[out.ObjectionRecord]:
    """The office and the auditor, the government, and every member of the year's committee (审查:
    the reports go to the committee). Who objected is shown to the office and the auditor only: the
    committee judges the facts and the findings, not the person."""
    identity = user.role in (Role.OFFICE, Role.AUDITOR)
    rows = await cq.objections(s, year)
    decisions: dict[str, list[m.CommitteeReview]] = {}
    for r in await cq.committee_reviews(s, year):
        decisions.setdefault(r.objection_id, []).append(r)
    notice = await cr.public_notice(s, year)
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
        out.ObjectionRecord.of_objection(
            o,
            decisions.get(o.id, []),
            sorted(a for (oid, a) in waiting if oid == o.id),
            identity=identity,
        )
        for o in rows
    ]


@router.post(
    "/objections/{objection_id}/scope",
    summary="The office records which listed candidates an objection concerns (before the report)",
)
async def scope_objection(
    objection_id: str, body: ObjectionScopeIn, s: Session, office: Office
) -> out.ObjectionScoped:
    o = await cr.objection_for_update(s, objection_id)
    if o is None:
        raise not_found("异议", "Objection")
    notice = await cr.public_notice(s, o.cycle_year)
    assert notice is not None  # an objection is only taken during the notice
    scope = list(dict.fromkeys(body.application_ids))
    listed = [w["application_id"] for w in notice.preliminary["winners"]]
    if o.notice_id:  # filed during a supplementary notice: only its candidates
        sup = await cr.supplementary_notice(s, o.notice_id)
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
    return out.ObjectionScoped(objection_id=o.id, concerns=scope)


@router.post(
    "/objections/{objection_id}/decision",
    status_code=201,
    summary="审查: the committee decides on a substantiated finding (remove or keep the candidate)",
    dependencies=[gate(Role.COMMITTEE)],
)
async def decide_finding(
    objection_id: str, body: CommitteeDecisionIn, s: Session, user: User
) -> out.FindingDecided:
    """The chair or a vice-chair records the committee's decision, with its reasons, on a
    substantiated finding about a candidate of the list (Art. 14(5)): REMOVE takes the candidate off
    the list the committee fixes, KEEP keeps it there. Nothing is removed without it."""
    o = await cr.objection_for_update(s, objection_id)
    if o is None:
        raise not_found("异议", "Objection")
    await seat(s, o.cycle_year, user, OFFICERS)
    notice = await cr.public_notice(s, o.cycle_year)
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
    review = m.CommitteeReview(
        cycle_year=o.cycle_year,
        objection_id=o.id,
        application_id=target,
        decision=body.decision,
        reasons=body.reasons,
        decided_by=user.username,
        decided_at=now,
    )
    s.add(review)
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
    return out.FindingDecided.of_review(review)


async def _objection_update(
    calls: Calls, objection_id: str, method: Any, arg: Any, key: str, result_type: type[T]
) -> T:
    return await workflow_calls.workflow_update(
        calls.client,
        calls.cfg,
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
    calls: Workflows,
    op: Annotated[str, idempotent("assign")],
) -> out.InvestigatorAssigned:
    investigator = await repo.user_by_name(s, body.username)
    if investigator is None or investigator.role != Role.OFFICE:
        raise invalid(
            "INVESTIGATOR_ACCOUNT",
            "调查人须为区评审办工作人员账号",
            "The investigator must be an office account",
        )
    arg = AssignInvestigatorInput(investigator.username, investigator.id, office.actor)
    due = await _objection_update(
        calls, objection_id, ObjectionWorkflow.assign_investigator, arg, op, datetime
    )
    return out.InvestigatorAssigned(objection_id=objection_id, investigator=investigator.username, due_at=due)


@router.post("/objections/{objection_id}/report", summary="The investigator's report")
async def report(
    objection_id: str,
    body: InvestigationReportIn,
    office: Office,
    calls: Workflows,
    op: Annotated[str, idempotent("report")],
) -> out.ReportSubmitted:
    arg = InvestigationReportInput(body.findings, body.conclusion, office.actor)
    conclusion = await _objection_update(calls, objection_id, ObjectionWorkflow.submit_report, arg, op, str)
    return out.ReportSubmitted(objection_id=objection_id, conclusion=conclusion)


# --- the final list and the government's approval ---------------------------------------------------
@router.post(
    "/cycles/{year}/final-list",
    summary="The committee fixes the list proposed to the government",
    dependencies=OFFICERS_ACT,
)
async def final_list(
    year: int,
    body: FinalListIn,
    s: Session,
    user: User,
    calls: Workflows,
    op: Annotated[str, idempotent("final")],
) -> out.FixedList:
    await _check_list(s, year, body)
    arg = FinalListInput(user.actor, body.note, dict(body.remove), dict(body.reinstate))
    final = await calls.cycle(year, AwardCycleWorkflow.fix_final_list, arg, key=op, result_type=FinalList)
    return out.FixedList.of(final)


async def _check_list(s: Session, year: int, body: FinalListIn) -> None:
    """The answer a person can act on before the workflow is asked (the activity checks the same
    rule again, authoritatively): every substantiated finding decided, revisions that the returned
    version and the published preliminary list allow."""
    notice = await cr.public_notice(s, year)
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
    dependencies=OFFICERS_ACT,
)
async def propose_supplementary(
    year: int,
    body: SupplementaryIn,
    user: User,
    calls: Workflows,
    op: Annotated[str, idempotent("supplementary")],
) -> out.SupplementaryPublished:
    """The chair (or a vice-chair) proposes, with reasons, candidates of the plenary who passed the
    ballot and reach the minimum score but were left off the published preliminary list (by the
    quota, or a run-off), within each award's quota once added (naming, with reasons, any candidate
    of the returned list taken off to make room). The cycle publishes their 7-day supplementary
    notice, takes objections against them only, waits for the investigations, and then the
    committee fixes the next version, which takes them in (Art. 14(5), 14(6))."""
    arg = SupplementaryInput(dict(body.add), user.actor, dict(body.make_room), body.note)
    notice = await calls.cycle(
        year, AwardCycleWorkflow.propose_supplementary, arg, key=op, result_type=SupplementaryNotice
    )
    return out.SupplementaryPublished.of(notice)


@router.get(
    "/cycles/{year}/final-list/versions",
    summary="Every version of the list proposed to the government, with the decision on it (R14.8)",
    dependencies=[gate(*COMMITTEE_RECORDS)],
)
async def list_versions(year: int, s: Session, _: RecordsReader) -> list[out.ListVersion]:
    return [out.ListVersion.of_version(v) for v in await repo.list_versions(s, year)]


@router.post(
    "/cycles/{year}/approval",
    summary="The district government approves or returns the list (R14.8)",
    dependencies=[gate(Role.GOVERNMENT)],
)
async def approval(
    year: int,
    body: GovernmentDecisionIn,
    user: User,
    calls: Workflows,
    op: Annotated[str, idempotent("approval")],
) -> out.GovernmentDecision:
    arg = GovernmentDecisionInput(body.approved, body.document_no, body.reason, user.actor, body.version)
    state = await calls.cycle(year, AwardCycleWorkflow.government_decision, arg, key=op, result_type=str)
    return out.GovernmentDecision(year=year, decision=state, version=body.version or None)


@router.get("/public/results/{year}", tags=["public"], summary="The approved result with certificate numbers")
async def results(year: int, s: Session) -> out.Results:
    n = await cr.public_notice(s, year)
    if n is None or n.approval_state != "APPROVED":
        raise not_found(f"{year}年度评审结果", f"Result {year}")
    return out.Results.of(n, await aq.certificates(s, year=year))


@router.get(
    "/certificates/{number}",
    summary="A certificate and its plaque text",
    dependencies=[gate(Role.OFFICE, Role.COMMITTEE, Role.GOVERNMENT, Role.AUDITOR, Role.ENTERPRISE)],
)
async def certificate(number: str, s: Session, user: User) -> out.Certificate:
    c = await cr.certificate(s, number)
    if c is None or (user.role is Role.ENTERPRISE and user.enterprise_id != c.enterprise_id):
        raise not_found("证书", "Certificate")
    return out.Certificate.of(c)
