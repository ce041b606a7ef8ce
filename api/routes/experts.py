"""Expert registry (R10.1), discipline (R20.3) and conflicts of interest (R20.1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from contracts.application import ReplaceExpertInput
from db import accounts, undertakings
from db import expert_queries as eq
from db import models as m
from db import repositories as repo
from domain.conflicts import ConflictSource, ConflictState, ConflictType
from domain.credit_code import normalize_credit_code
from domain.errors import DomainError, conflict, invalid
from domain.types import Role
from domain.undertaking import Clause, breach_without_signature
from workflows.application import ApplicationWorkflow

from .. import workflow_calls
from ..deps import Config, CurrentUser, Office, OfficeOrAuditor, Session, Sessions, Temporal, User, gate
from ..errors import forbidden, not_found
from ..schemas import (
    AvailabilityIn,
    ConflictDeclarationIn,
    ConflictOut,
    ConflictResolutionIn,
    DisciplineIn,
    ExpertIn,
    ExpertOut,
    ExpertRegistered,
    Invitation,
)
from .accounts import invite
from .enterprises import load_enterprise

router = APIRouter(tags=["experts"])


async def expert_out(s: Session, e: m.Expert) -> ExpertOut:
    user = await eq.user_of(s, e)
    engagements = await eq.engagements_of(s, e.id)
    discipline = await eq.discipline_of(s, e.id)
    return ExpertOut(
        id=e.id,
        name=e.name,
        username=user.username if user else None,
        qualifications=list(e.qualifications),
        fields=list(e.fields),
        current_employer_credit_code=e.current_employer_credit_code,
        current_employer_name=e.current_employer_name,
        available=e.available,
        status=e.status,
        engagements=[
            {
                "credit_code": g.credit_code,
                "organisation_name": g.organisation_name,
                "kind": g.kind,
                "start": g.start,
                "end": g.end,
            }
            for g in engagements
        ],
        discipline=[
            {
                "kind": d.kind,
                "reason": d.reason,
                "decided_by": d.decided_by,
                "decided_at": d.decided_at,
                **(
                    {
                        "breach_year": d.breach_year,
                        "breach_clause": d.breach_clause,
                        "breach_clause_zh": Clause(d.breach_clause).name_zh,
                    }
                    if d.breach_clause
                    else {}
                ),
            }
            for d in discipline
        ],
    )


async def _audit_expert(
    s: Session,
    by: CurrentUser,
    action: str,
    e: m.Expert,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """The audit record of what `by` did to expert `e` (at `at`, now by default)."""
    at = datetime.now(UTC) if at is None else at
    await repo.audit_by(s, by, action, "expert", str(e.id), at=at, reason=reason, details=details)


async def load_expert(s: Session, expert_id: int, user: CurrentUser) -> m.Expert:
    e = await eq.expert(s, expert_id)
    if e is None:
        raise not_found("专家", "Expert")
    if user.role not in (Role.OFFICE, Role.AUDITOR) and (
        user.role is not Role.EXPERT or e.user_id != user.id
    ):
        raise forbidden("只能查看本人的专家信息", "You may only see your own expert record")
    return e


@router.post("/experts", response_model=ExpertRegistered, status_code=201)
async def register_expert(body: ExpertIn, s: Session, office: Office, cfg: Config) -> ExpertRegistered:
    if body.password is not None:
        # the expert sets it with the invitation answered here (P7: nobody else knows it)
        raise invalid(
            "PASSWORD_SET_BY_INVITEE",
            "专家账号的密码由专家本人通过邀请设置，登记时不能提供密码",
            "The expert sets the password with the invitation in the answer; do not send one",
        )
    user: m.User | None = None
    invitation: Invitation | None = None
    if body.username:
        if await repo.user_by_name(s, body.username):
            raise conflict(
                "USERNAME_TAKEN", f"用户名{body.username}已被使用", f"Username {body.username} is taken"
            )
        user = m.User(
            username=body.username,
            display_name=body.name,
            password_hash=accounts.NO_PASSWORD,
            role=Role.EXPERT,
            active=True,
        )
        s.add(user)
        await s.flush()
        invitation = await invite(s, cfg, user, office)
        await repo.audit_by(
            s,
            office,
            "USER_INVITED",
            "user",
            user.username,
            at=datetime.now(UTC),
            details={"role": Role.EXPERT, "expires_at": invitation.expires_at.isoformat()},
        )
    user_id = user.id if user else None
    employer = (
        normalize_credit_code(body.current_employer_credit_code)
        if body.current_employer_credit_code
        else None
    )
    e = m.Expert(
        user_id=user_id,
        name=body.name,
        qualifications=body.qualifications,
        fields=[str(f) for f in body.fields],
        current_employer_credit_code=employer,
        current_employer_name=body.current_employer_name,
        available=body.available,
        status="ACTIVE",
    )
    s.add(e)
    await s.flush()
    for g in body.engagements:
        if g.end is not None and g.end < g.start:
            raise invalid(
                "ENGAGEMENT_PERIOD", "任职或咨询的结束日期早于开始日期", "An engagement ends before it starts"
            )
        s.add(
            m.ExpertEngagement(
                expert_id=e.id,
                credit_code=normalize_credit_code(g.credit_code),
                organisation_name=g.organisation_name,
                kind=g.kind,
                start=g.start,
                end=g.end,
            )
        )
    await _audit_expert(
        s, office, "EXPERT_REGISTERED", e, details=body.model_dump(mode="json", exclude={"password"})
    )
    await s.flush()
    return ExpertRegistered(**(await expert_out(s, e)).model_dump(), invitation=invitation)


@router.get("/experts", response_model=list[ExpertOut])
async def list_experts(s: Session, office: OfficeOrAuditor) -> list[ExpertOut]:
    return [await expert_out(s, e) for e in await eq.experts(s)]


@router.get("/experts/{expert_id}", response_model=ExpertOut)
async def get_expert(expert_id: int, s: Session, user: User) -> ExpertOut:
    return await expert_out(s, await load_expert(s, expert_id, user))


@router.post(
    "/experts/{expert_id}/availability",
    response_model=ExpertOut,
    dependencies=[gate(Role.OFFICE, Role.EXPERT)],
)
async def set_availability(expert_id: int, body: AvailabilityIn, s: Session, user: User) -> ExpertOut:
    e = await load_expert(s, expert_id, user)
    e.available = body.available
    await _audit_expert(
        s, user, "EXPERT_AVAILABILITY", e, reason=body.reason, details={"available": body.available}
    )
    return await expert_out(s, e)


@router.post("/experts/{expert_id}/discipline", response_model=ExpertOut)
async def discipline(
    expert_id: int, body: DisciplineIn, sessions: Sessions, office: Office, client: Temporal, cfg: Config
) -> ExpertOut:
    """Criticism, warning or disqualification (R20.3), whatever state the expert's panels are in.
    A disqualified expert is never drawn again, reads nothing any more, and is replaced,
    reproducibly, on every panel still open; finished reviews stay as they were recorded."""
    async with sessions.begin() as s:  # committed before the replacement draws read the registry
        e = await load_expert(s, expert_id, office)
        resuming = e.status == "DISQUALIFIED" and body.kind == "DISQUALIFICATION"
        if e.status == "DISQUALIFIED" and not resuming:
            raise conflict(
                "EXPERT_DISQUALIFIED", "该专家已被取消评审资格", "This expert is already disqualified"
            )
        if not resuming:  # a repeated disqualification only finishes replacing the expert on open panels
            now = datetime.now(UTC)
            breach: dict[str, object] = {}
            if body.breach is not None:  # Art. 20: a breach of the undertaking the expert signed
                signed = await undertakings.signature(s, body.breach.year, e.id)
                if signed is None:
                    raise breach_without_signature(body.breach.year)
                breach = {
                    "breach_year": body.breach.year,
                    "breach_clause": body.breach.clause.value,
                    "undertaking_version": signed.version,
                    "undertaking_sha256": signed.text_sha256,
                }
            s.add(
                m.ExpertDiscipline(
                    expert_id=e.id,
                    kind=body.kind,
                    reason=body.reason,
                    decided_by=office.username,
                    decided_at=now,
                    breach_year=body.breach.year if body.breach else None,
                    breach_clause=body.breach.clause.value if body.breach else None,
                )
            )
            if body.kind == "DISQUALIFICATION":
                e.status = "DISQUALIFIED"
            await _audit_expert(
                s, office, f"EXPERT_{body.kind}", e, at=now, reason=body.reason, details=breach or None
            )
        seats = await repo.open_seats(s, e.id)
    if body.kind == "DISQUALIFICATION":
        for application_id in sorted(seats):
            try:
                await workflow_calls.application_update(
                    client,
                    cfg,
                    application_id,
                    ApplicationWorkflow.replace_expert,
                    ReplaceExpertInput(
                        e.id, f"专家被取消评审资格：{body.reason}", office.actor, disqualified=True
                    ),
                    key=f"disqualify-{e.id}-{application_id}-{uuid.uuid4()}",
                    result_type=list,
                )
            except DomainError as err:
                # a review that finished meanwhile keeps its record as it was
                if err.code not in ("NOT_ON_OPEN_PANEL", "APPLICATION_CLOSED"):
                    raise
    async with sessions() as s:
        return await expert_out(s, await load_expert(s, expert_id, office))


# --- conflicts ------------------------------------------------------------------------------------
async def _record_conflict(
    s: Session,
    *,
    expert_id: int,
    credit_code: str,
    type_: ConflictType,
    source: ConflictSource,
    evidence: str,
    by: CurrentUser,
) -> m.Conflict:
    existing = await eq.conflict_of(s, expert_id, credit_code, type_)
    if existing is not None:
        raise conflict("CONFLICT_EXISTS", "该利害关系已登记", "This conflict of interest is already recorded")
    now = datetime.now(UTC)
    c = m.Conflict(
        expert_id=expert_id,
        credit_code=credit_code,
        type=type_,
        source=source,
        evidence=evidence,
        state=ConflictState.SUSPECTED,
        recorded_by=by.username,
        recorded_at=now,
    )
    s.add(c)
    await s.flush()
    await repo.audit_by(
        s,
        by,
        "CONFLICT_DECLARED",
        "conflict",
        str(c.id),
        at=now,
        reason=evidence,
        details={"expert_id": expert_id, "credit_code": credit_code, "type": type_},
    )
    return c


@router.post(
    "/experts/{expert_id}/conflicts",
    response_model=ConflictOut,
    status_code=201,
    tags=["conflicts"],
    dependencies=[gate(Role.OFFICE, Role.EXPERT)],
)
async def expert_declares(expert_id: int, body: ConflictDeclarationIn, s: Session, user: User) -> ConflictOut:
    """The expert (or the office on the expert's word) declares an interest in an organisation."""
    e = await load_expert(s, expert_id, user)
    if not body.credit_code:
        raise invalid(
            "CREDIT_CODE_REQUIRED",
            "请填写有利害关系单位的统一社会信用代码",
            "Name the organisation's credit code",
        )
    c = await _record_conflict(
        s,
        expert_id=e.id,
        credit_code=normalize_credit_code(body.credit_code),
        type_=ConflictType.DECLARED_BY_EXPERT,
        source=ConflictSource.EXPERT,
        evidence=body.evidence,
        by=user,
    )
    return ConflictOut.model_validate(c)


@router.post(
    "/enterprises/{credit_code}/conflicts",
    response_model=ConflictOut,
    status_code=201,
    tags=["conflicts"],
    dependencies=[gate(Role.OFFICE, Role.ENTERPRISE)],
)
async def enterprise_declares(
    credit_code: str, body: ConflictDeclarationIn, s: Session, user: User
) -> ConflictOut:
    """The enterprise asks that a named expert not review it (回避申请)."""
    refusal = ("只能为本单位提出回避申请", "You may only declare conflicts for your own organisation")
    ent = await load_enterprise(s, credit_code, user, refusal)  # the gate admits no auditor
    if not body.expert_name:
        raise invalid("EXPERT_NAME_REQUIRED", "请填写需回避专家的姓名", "Name the expert")
    matches = await eq.experts_named(s, body.expert_name)
    if not matches:
        raise not_found(f"专家{body.expert_name}", f"Expert {body.expert_name}")
    if len(matches) > 1:
        raise conflict(
            "EXPERT_AMBIGUOUS",
            "同名专家不止一位，请联系区评审办",
            "Several experts have that name; contact the office",
        )
    c = await _record_conflict(
        s,
        expert_id=matches[0].id,
        credit_code=ent.credit_code,
        type_=ConflictType.DECLARED_BY_ENTERPRISE,
        source=ConflictSource.ENTERPRISE,
        evidence=body.evidence,
        by=user,
    )
    return ConflictOut.model_validate(c)


@router.get("/conflicts", response_model=list[ConflictOut], tags=["conflicts"])
async def list_conflicts(s: Session, office: OfficeOrAuditor) -> list[ConflictOut]:
    rows = await eq.conflicts(s)
    return [ConflictOut.model_validate(c) for c in rows]


async def _resolve(
    s: Session, conflict_id: int, state: ConflictState, reason: str, office: CurrentUser
) -> ConflictOut:
    c = await eq.conflict(s, conflict_id)
    if c is None:
        raise not_found("利害关系记录", "Conflict")
    if c.state != ConflictState.SUSPECTED:
        raise conflict("CONFLICT_RESOLVED", "该利害关系已处理", f"This conflict is already {c.state}")
    now = datetime.now(UTC)
    c.state, c.resolved_by, c.resolved_at, c.resolution = state, office.username, now, reason
    await repo.audit_by(s, office, f"CONFLICT_{state}", "conflict", str(c.id), at=now, reason=reason)
    return ConflictOut.model_validate(c)


@router.post("/conflicts/{conflict_id}/confirm", response_model=ConflictOut, tags=["conflicts"])
async def confirm_conflict(
    conflict_id: int, body: ConflictResolutionIn, s: Session, office: Office
) -> ConflictOut:
    return await _resolve(s, conflict_id, ConflictState.CONFIRMED, body.reason, office)


@router.post("/conflicts/{conflict_id}/dismiss", response_model=ConflictOut, tags=["conflicts"])
async def dismiss_conflict(
    conflict_id: int, body: ConflictResolutionIn, s: Session, office: Office
) -> ConflictOut:
    """Only the office dismisses a suspected conflict, with a reason; then it no longer excludes."""
    return await _resolve(s, conflict_id, ConflictState.DISMISSED, body.reason, office)
