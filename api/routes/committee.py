"""The committee (R6.1, R7.1, R14.6) and the government (R14.8) through the API; the public notice
and objections (R14.7); certificates (R15.1).

Secret ballot: a member's ballot is sealed here to the meeting's public key and stored in the
ballot box, in a transaction of its own that shares nothing with the turnout row recording that
the member has voted (db/ballot_box.py). The workflow is told that a ballot was cast, nothing
more; nothing is logged."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from config.constants import cycle_workflow_id
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
from contracts.objection import AssignInvestigatorInput, InvestigationReportInput
from db import award_queries as aq
from db import ballot_box
from db import committee_queries as cq
from db import committee_reads as cr
from db import models as m
from db import repositories as repo
from domain.ballot import encode_ballot, validate_ballot
from domain.errors import DomainError, conflict, invalid
from domain.final_list import compose, undecided
from domain.types import Role
from workflows.cycle import AwardCycleWorkflow
from workflows.objection import ObjectionWorkflow

from .. import workflow_calls
from ..calls import Calls, Workflows
from ..deps import (
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
from ..resources.cycle import OFFICERS_ACT, RecordsReader, may_read_committee_records
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
from ..services import committee
from ..services.committee import lodge_objection as lodge_objection  # the portal's form files with it

router = APIRouter(tags=["committee"])
log = logging.getLogger(__name__)
T = TypeVar("T")
# the readers' check as the routes of exports and printouts import it from here
_may_read_committee_records = may_read_committee_records


# --- roster and rules (before the call) ---------------------------------------------------------------
@router.post("/cycles/{year}/committee", status_code=201, summary="Propose the committee roster (R6.1)")
async def propose_roster(year: int, body: RosterIn, s: Session, office: Office) -> out.RosterProposed:
    return await committee.propose_roster(s, year, body, office)


@router.post(
    "/cycles/{year}/committee/approve",
    summary="The government approves and publishes the roster",
    dependencies=[gate(Role.GOVERNMENT)],
)
async def approve_roster(year: int, body: RosterApprovalIn, s: Session, user: User) -> out.RosterApproved:
    return await committee.approve_roster(s, year, body, user)


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
    return await committee.approve_rules(s, year, body, user)


@router.post(
    "/cycles/{year}/committee/recusals",
    status_code=201,
    summary="A member's interest in a candidate",
    dependencies=[gate(Role.OFFICE, Role.COMMITTEE)],
)
async def recusal(year: int, body: RecusalIn, s: Session, user: User) -> out.RecusalRecorded:
    return await committee.record_recusal(s, year, body, user)


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
    return await committee.scope_objection(s, objection_id, body, office)


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
    return await committee.decide_finding(s, objection_id, body, user)


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
