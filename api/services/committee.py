"""The committee's records written through the API (R6.1, R7.1, R14.6, R14.7): the roster and its
approval, the rules' approval, recusals, objections and the committee's decisions on their
findings and on major matters. One function a route (api/routes/committee.py, decisions.py): the
checks of domain/ on what db/ reads, the row written by db/committee_writes.py, the audit entry and
the answer. Nothing here commits: the request's unit of work does (the objection, filed without
signing in, opens its own)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from config.settings import Settings
from config.temporal import start_objection
from contracts.objection import ObjectionWorkflowInput
from db import committee_queries as cq
from db import committee_reads as cr
from db import committee_writes as cw
from db import models as m
from db import repositories as repo
from db.holidays import calendar_for_rules
from domain import notices as texts
from domain.committee import check_recusal, check_roster_accounts, own_interest_only, roster_listing
from domain.decisions import (
    MajorDecisionDraft,
    VoteCounts,
    check_attachments_stored,
    check_major_decision,
    request_digest,
)
from domain.errors import conflict
from domain.final_list import check_ruling
from domain.objections import (
    NoticeWindow,
    ObjectionDraft,
    admit_objection,
    check_rules_approval,
    finding_candidate,
    listed_candidates,
)
from domain.publicity import check_scope, duplicate_objection
from domain.roster import Position, Seat, validate_roster
from domain.rules import rules_fingerprint, validate_award_criteria, validate_item_comments_band
from domain.types import NoticeKind, Role

from .. import schemas, workflow_calls
from ..deps import Clock, CurrentUser
from ..errors import not_found
from ..resources.cycle import OFFICERS, seat
from ..responses import committee as out
from ..responses.decisions import DECISION_RECORDED, MajorDecision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Anyone:
    """Who files an objection without signing in, as the audit log records them."""

    username: str = "public"
    role: str = "public"


PUBLIC = Anyone()


# --- roster and rules (before the call) ---------------------------------------------------------------
async def propose_roster(
    s: AsyncSession, year: int, body: schemas.RosterIn, office: CurrentUser
) -> out.RosterProposed:
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
    members = [cw.NewMember(users[x.username], x.position, x.post.strip()) for x in body.members]
    await cw.propose_roster(s, year, roster, members, by=office.username, at=now)
    await repo.audit_by(s, office, "ROSTER_PROPOSED", "cycle", str(year), at=now, details=body.model_dump())
    return out.RosterProposed(year=year, state="PROPOSED", members=body.model_dump()["members"])


async def approve_roster(
    s: AsyncSession, year: int, body: schemas.RosterApprovalIn, user: CurrentUser
) -> out.RosterApproved:
    """The government approves the proposed roster, which is published (R6.1)."""
    roster = await cr.roster(s, year)
    if roster is None:
        raise not_found("评委会名单", "Roster")
    if roster.state == "APPROVED":
        raise conflict("ROSTER_APPROVED", "评委会名单已经批准", "The roster is already approved")
    members = await cq.members(s, year)
    # a roster proposed before posts were recorded is proposed again, with them (Art. 6)
    validate_roster([Seat(str(x.user_id), Position(x.position), x.post) for x in members])
    now = datetime.now(UTC)
    cw.approve_roster(roster, by=user.username, at=now, document_no=body.document_no)
    listing = roster_listing([(x.position, x.name, x.post) for x in members])
    text = texts.committee_roster(year, listing, body.document_no, now)
    cw.publish_notice(s, f"roster-{year}", NoticeKind.COMMITTEE_ROSTER, text, year, now)
    await repo.audit_by(
        s, user, "ROSTER_APPROVED", "cycle", str(year), at=now, details={"document_no": body.document_no}
    )
    return out.RosterApproved(year=year, state="APPROVED", document_no=body.document_no)


async def approve_rules(
    s: AsyncSession, year: int, body: schemas.RulesApprovalIn, user: CurrentUser
) -> out.RulesApproved:
    check_rules_approval(
        year, body.rules.year, investigate_anonymous=body.rules.investigate_anonymous, note=body.note
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
    cw.approve_rules(s, year, existing, digest=digest, rules=doc, by=user.username, at=now, note=body.note)
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


async def record_recusal(
    s: AsyncSession, year: int, body: schemas.RecusalIn, user: CurrentUser
) -> out.RecusalRecorded:
    """A member declares their own interest in a candidate, or the office records anyone's."""
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
    cw.add_recusal(s, year, member_user.id, app.id, reason=body.reason, by=user.username, at=now)
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


# --- objections and the committee's decisions ----------------------------------------------------------
async def _objection(s: AsyncSession, objection_id: str) -> m.Objection:
    """The objection, its row locked (404 when there is none)."""
    o = await cr.objection_for_update(s, objection_id)
    if o is None:
        raise not_found("异议", "Objection")
    return o


async def scope_objection(
    s: AsyncSession, objection_id: str, body: schemas.ObjectionScopeIn, office: CurrentUser
) -> out.ObjectionScoped:
    """The office records which listed candidates an objection concerns (before the report)."""
    o = await _objection(s, objection_id)
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
    before = cw.rescope(o, scope)
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


async def decide_finding(
    s: AsyncSession, objection_id: str, body: schemas.CommitteeDecisionIn, user: CurrentUser
) -> out.FindingDecided:
    o = await _objection(s, objection_id)
    await seat(s, o.cycle_year, user, OFFICERS)
    notice = await cr.public_notice(s, o.cycle_year)
    if notice is not None and notice.approval_state == "APPROVED":
        raise conflict(
            "FINAL_LIST_APPROVED",
            "拟授奖名单已经区政府批准，不能再作出审查决定",
            "The government has approved the list; no decision can be taken any more",
        )
    target = finding_candidate(body.application_id, o.concerns)
    decided = target != "" and await cq.finding_decided(s, o.id, target)
    check_ruling(
        substantiated=o.state == "REPORTED" and o.conclusion == "SUBSTANTIATED",
        in_scope=target in o.concerns,
        decided=decided,
        reasons=body.reasons,
    )
    now = datetime.now(UTC)
    review = cw.add_committee_review(
        s, o, target, decision=body.decision, reasons=body.reasons, by=user.username, at=now
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
    return out.FindingDecided.of_review(review)


async def record_decision(
    s: AsyncSession,
    year: int,
    body: schemas.MajorDecisionIn,
    user: CurrentUser,
    member: m.CommitteeMember,
    clock: Clock,
    key: str | None,
) -> MajorDecision:
    """The chair or a vice-chair (`member`) records the committee's decision on a major matter."""
    request_key = request_digest(year, user.username, key)
    if request_key is not None:
        done = await cq.major_decision_by_request(s, request_key)
        if done is not None:  # a retried request: the decision it recorded, recorded once
            return MajorDecision.of_decision(done)
    # The approved roster's row, locked: the year's decisions are numbered one after another.
    await cr.roster(s, year, lock=True)
    roster = await cq.roster_usernames(s, year)
    quorum, passing = await cr.plenary_fractions(s, year)
    now = await clock()
    # the draft's fields are the body's, the counts of a vote among them
    v = body.votes
    votes = VoteCounts(**v.model_dump()) if v is not None else None
    draft = MajorDecisionDraft(**body.model_dump(exclude={"votes"}), votes=votes)
    checked = check_major_decision(draft, roster=roster, quorum=quorum, pass_ratio=passing, now=now)
    if body.attachments:
        check_attachments_stored(body.attachments, await repo.stored_documents(s, body.attachments))
    row = await cw.add_major_decision(
        s,
        year,
        draft,
        checked,
        roster_size=len(roster),
        by=user.username,
        position=member.position,
        at=now,
        request_key=request_key,
    )
    await repo.audit_by(
        s,
        user,
        DECISION_RECORDED,
        "cycle",
        str(year),
        at=now,
        reason=row.subject,
        details={
            "decision_id": row.id,
            "method": row.method,
            "adopted": row.adopted,
            "basis": row.basis,
            "attachments": row.attachments,
            "decided_at": row.decided_at.isoformat(),
        },
    )
    return MajorDecision.of_decision(row)


async def lodge_objection(
    year: int,
    body: schemas.ObjectionIn,
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    cfg: Settings,
    clock: Clock,
    key: str | None = None,
) -> out.ObjectionFiled:
    """File an objection (R14.7): the one code path of `POST /public/objections/{year}` and of the
    public portal's form (api/routes/portal.py). Stored under the notice's lock, in a transaction
    of its own, before anything reaches Temporal. Raises DomainError for what may not be filed."""
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
        listed = listed_candidates(notice.preliminary["winners"] if sup is None else sup.candidates)
        admitted = admit_objection(
            ObjectionDraft(
                body.application_id, body.facts, body.evidence, body.anonymous, body.name, body.contact
            ),
            NoticeWindow(window.published_at, window.closes_at, window.closed, sup is not None, listed),
            rules,
            now,
        )
        if await cq.objection_filed(s, year, admitted.digest):
            raise duplicate_objection()
        notice.objections_count += 1
        objection_id = f"{year}-OBJ-{notice.objections_count}"
        notice_id = sup.id if sup else None
        cw.add_objection(s, objection_id, year, admitted, filed_at=now, request_key=key, notice_id=notice_id)
        await repo.audit_by(
            s,
            PUBLIC,
            "OBJECTION_FILED",
            "application" if body.application_id else "cycle",
            body.application_id or str(year),
            at=now,
            key=f"objection-{objection_id}",
            details={
                "objection_id": objection_id,
                "anonymous": body.anonymous,
                "investigated": admitted.investigate,
                **({"notice_id": notice_id} if notice_id else {}),
            },
        )
        closes_at = window.closes_at
    if admitted.investigate:
        timeout = cfg.temporal_rpc_timeout_seconds
        start = start_objection(
            client,
            ObjectionWorkflowInput(
                objection_id,
                year,
                body.application_id,
                listed.get(body.application_id, ""),
                rules,
                notice_id=notice_id or "",
            ),
            task_queue=cfg.task_queue,
            rpc_timeout=timedelta(seconds=timeout),
        )
        if not await workflow_calls.reached(start, timeout):  # the cycle starts it at the close
            log.warning("objection %s stored; its investigation starts when the notice closes", objection_id)
    return out.ObjectionFiled(
        objection_id=objection_id, investigated=admitted.investigate, closes_at=closes_at
    )
