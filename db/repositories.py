"""The common queries (cycles, applications, the audit helper). db/ is the one query layer: every
query of the project is a function in one of its modules; none commits, the unit of work (the
request or the activity) does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from pydantic import TypeAdapter
from sqlalchemy import Row, Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit_log
from db import models as m
from domain import facts as df
from domain import final_list as dl
from domain import supplementary as ds
from domain.progress import Gate, rank
from domain.rules import CycleRules
from domain.selection import final_score
from domain.types import ApplicationStage, Award, DeliveryState, Field, SectorTag


# --- audit -------------------------------------------------------------------------------------
async def audit(
    s: AsyncSession,
    *,
    at: datetime,
    actor: str,
    actor_role: str,
    action: str,
    entity_type: str,
    entity_id: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    """Append an audit row to the hash chain when `s` commits (db/audit_log.py); with a key, a
    second write of the same event is ignored."""
    audit_log.queue(
        s,
        {
            "key": key,
            "at": at,
            "actor": actor,
            "actor_role": actor_role,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "reason": reason,
            "details": details or {},
        },
    )


class Doer(Protocol):
    """Who acts: a signed-in user (api.deps.CurrentUser)."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Named:
    """A doer named outright rather than signed in: the system, the CLI, a workflow's recorded
    actor, an account name at sign-in."""

    username: str
    role: str


SYSTEM = Named("system", "system")


async def audit_by(
    s: AsyncSession,
    who: Doer,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    at: datetime,
    reason: str = "",
    details: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    """`audit` of what a signed-in user did: the actor and the role are the user's."""
    await audit(
        s,
        at=at,
        actor=who.username,
        actor_role=who.role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        reason=reason,
        details=details,
        key=key,
    )


async def audit_entries(
    s: AsyncSession,
    *,
    entity_id: str | None = None,
    action: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[m.AuditEntry]:
    q = select(m.AuditEntry).order_by(m.AuditEntry.at, m.AuditEntry.id)
    if entity_id:
        q = q.where(m.AuditEntry.entity_id == entity_id)
    if action:
        q = q.where(m.AuditEntry.action == action)
    return (await s.scalars(q.limit(limit).offset(offset))).all()


async def cycle_timeline(s: AsyncSession, year: int, *, limit: int) -> Sequence[m.AuditEntry]:
    """The entries recorded on the cycle itself, oldest first."""
    return (
        await s.scalars(
            select(m.AuditEntry)
            .where(m.AuditEntry.entity_type == "cycle", m.AuditEntry.entity_id == str(year))
            .order_by(m.AuditEntry.at, m.AuditEntry.seq)
            .limit(limit)
        )
    ).all()


# --- enterprises and facts ----------------------------------------------------------------------
async def enterprise_by_code(s: AsyncSession, credit_code: str) -> m.Enterprise | None:
    return await s.scalar(select(m.Enterprise).where(m.Enterprise.credit_code == credit_code))


async def enterprise(s: AsyncSession, enterprise_id: int) -> m.Enterprise | None:
    return await s.get(m.Enterprise, enterprise_id)


async def list_enterprises(s: AsyncSession, *, limit: int, offset: int) -> tuple[Sequence[m.Enterprise], int]:
    total = await s.scalar(select(func.count()).select_from(m.Enterprise)) or 0
    rows = (await s.scalars(select(m.Enterprise).order_by(m.Enterprise.id).limit(limit).offset(offset))).all()
    return rows, total


async def facts_of(s: AsyncSession, enterprise_id: int) -> Sequence[m.EligibilityFact]:
    q = select(m.EligibilityFact).where(m.EligibilityFact.enterprise_id == enterprise_id)
    return (await s.scalars(q.order_by(m.EligibilityFact.on, m.EligibilityFact.id))).all()


async def revocations_of(s: AsyncSession, credit_code: str) -> Sequence[m.Revocation]:
    q = select(m.Revocation).where(m.Revocation.credit_code == credit_code).order_by(m.Revocation.revoked_on)
    return (await s.scalars(q)).all()


def to_profile(e: m.Enterprise) -> df.EnterpriseProfile:
    return df.EnterpriseProfile(
        credit_code=e.credit_code,
        name=e.name,
        registered_district=e.registered_district,
        tax_district=e.tax_district,
        independent_legal_person=e.independent_legal_person,
        registration_date=e.registration_date,
        field=Field(e.field),
        sector_tags=tuple(SectorTag(t) for t in e.sector_tags),
    )


def to_fact(f: m.EligibilityFact) -> df.Fact:
    return df.Fact(f.id, df.FactKind(f.kind), f.on, f.source, f.evidence, dict(f.attrs))


def to_revocation(r: m.Revocation) -> df.Revocation:
    from domain.types import Award

    return df.Revocation(r.credit_code, Award(r.award), r.award_year, r.revoked_on, r.reason, r.document_no)


async def revocation_recorded(s: AsyncSession, credit_code: str, award: str, award_year: int) -> bool:
    found = await s.scalar(
        select(m.Revocation).where(
            m.Revocation.credit_code == credit_code,
            m.Revocation.award == award,
            m.Revocation.award_year == award_year,
        )
    )
    return bool(found)


async def revocations(s: AsyncSession) -> Sequence[m.Revocation]:
    return (await s.scalars(select(m.Revocation).order_by(m.Revocation.revoked_on))).all()


# --- users ---------------------------------------------------------------------------------------
async def user_by_name(s: AsyncSession, username: str) -> m.User | None:
    return await s.scalar(select(m.User).where(m.User.username == username))


# --- cycles and applications ---------------------------------------------------------------------
async def cycle(s: AsyncSession, year: int) -> m.Cycle | None:
    return await s.get(m.Cycle, year)


async def application(s: AsyncSession, application_id: str) -> m.Application | None:
    return await s.get(m.Application, application_id)


async def application_of(s: AsyncSession, year: int, enterprise_id: int) -> m.Application | None:
    q = select(m.Application).where(
        m.Application.cycle_year == year, m.Application.enterprise_id == enterprise_id
    )
    return await s.scalar(q)


def application_query(
    *,
    year: int | None = None,
    award: str | None = None,
    stage: str | None = None,
    outcome: str | None = None,
    enterprise_id: int | None = None,
) -> Select[m.Application]:
    q = select(m.Application)
    if year is not None:
        q = q.where(m.Application.cycle_year == year)
    if award:
        q = q.where(m.Application.award == award)
    if stage:
        q = q.where(m.Application.stage == stage)
    if outcome:
        q = q.where(m.Application.outcome == outcome)
    if enterprise_id is not None:
        q = q.where(m.Application.enterprise_id == enterprise_id)
    return q


async def qualification_checks(s: AsyncSession, application_id: str) -> Sequence[m.QualificationCheck]:
    q = select(m.QualificationCheck).where(m.QualificationCheck.application_id == application_id)
    return (await s.scalars(q.order_by(m.QualificationCheck.id))).all()


async def qualification_decision(
    s: AsyncSession, application_id: str
) -> m.QualificationDecisionRecord | None:
    return await s.get(m.QualificationDecisionRecord, application_id)


# --- documents -----------------------------------------------------------------------------------
async def owned_documents(s: AsyncSession, enterprise_id: int, hashes: Sequence[str]) -> set[str]:
    q = select(m.DocumentOwner.sha256).where(
        m.DocumentOwner.enterprise_id == enterprise_id, m.DocumentOwner.sha256.in_(list(hashes))
    )
    return set((await s.scalars(q)).all())


async def store_document(
    s: AsyncSession,
    *,
    sha256: str,
    content: bytes,
    media_type: str,
    enterprise_id: int,
    filename: str,
    by: str,
) -> None:
    await s.execute(
        insert(m.Document)
        .values(sha256=sha256, size=len(content), media_type=media_type, content=content)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    await s.execute(
        insert(m.DocumentOwner)
        .values(sha256=sha256, enterprise_id=enterprise_id, filename=filename, uploaded_by=by)
        .on_conflict_do_nothing(constraint="uq_document_owners_blob")
    )


async def document(s: AsyncSession, sha256: str) -> m.Document | None:
    return await s.get(m.Document, sha256)


async def document_filename(s: AsyncSession, sha256: str, enterprise_id: int | None) -> str | None:
    """The name the document was uploaded under: by `enterprise_id`, or by its first uploader."""
    q = select(m.DocumentOwner.filename).where(m.DocumentOwner.sha256 == sha256)
    if enterprise_id is not None:
        q = q.where(m.DocumentOwner.enterprise_id == enterprise_id)
    return await s.scalar(q.order_by(m.DocumentOwner.id).limit(1))


async def stored_documents(s: AsyncSession, hashes: Sequence[str]) -> set[str]:
    """Which of these documents are stored (whoever owns them)."""
    return set((await s.scalars(select(m.Document.sha256).where(m.Document.sha256.in_(hashes)))).all())


async def document_owners(s: AsyncSession, sha256: str) -> set[int]:
    """The enterprises that uploaded a document."""
    return set(
        (await s.scalars(select(m.DocumentOwner.enterprise_id).where(m.DocumentOwner.sha256 == sha256))).all()
    )


# --- notices -------------------------------------------------------------------------------------
async def notices_for(
    s: AsyncSession,
    *,
    enterprise_id: int | None,
    public: bool,
    limit: int,
    offset: int,
    recipient_user_id: int | None = None,
) -> Sequence[m.Notice]:
    q = select(m.Notice).where(m.Notice.delivery_state == DeliveryState.DELIVERED)
    if public:
        q = q.where(m.Notice.audience == "PUBLIC")
    elif recipient_user_id is not None:
        q = q.where(m.Notice.recipient_user_id == recipient_user_id)
    elif enterprise_id is not None:
        q = q.where(m.Notice.enterprise_id == enterprise_id, m.Notice.recipient_user_id.is_(None))
    return (await s.scalars(q.order_by(m.Notice.id.desc()).limit(limit).offset(offset))).all()


async def applications_by_sector(s: AsyncSession, year: int) -> list[tuple[str, list[str], str, str]]:
    """(award, sector tags, stage, outcome) of every application of a cycle, for reports (R5.1)."""
    q = select(
        m.Application.award, m.Application.sector_tags, m.Application.stage, m.Application.outcome
    ).where(m.Application.cycle_year == year)
    return [(a, list(t), st, o) for a, t, st, o in (await s.execute(q)).all()]


def _seats_granting_access(user_id: int) -> Select[tuple[str, str, bool, str, dict[str, Any]]]:
    """The seats of the expert account `user_id` that may still grant access to their
    application: the expert is not disqualified, the seat is held (a replaced expert loses it),
    the application's cycle is not completed (R20.2, R20.3), and the expert has signed the cycle's
    undertaking (Art. 20). With the rule
    `expert_access_ends_with_review`, a panel's seats stop granting access once its opinion is in."""
    opinion = (
        select(m.PanelOpinion.id)
        .where(
            m.PanelOpinion.application_id == m.PanelMember.application_id,
            m.PanelOpinion.purpose == m.PanelMember.purpose,
        )
        .exists()
    )
    signed = (  # the expert's undertaking of the cycle (Art. 20) comes before any of its assignments
        select(m.UndertakingSignature.id)
        .where(
            m.UndertakingSignature.expert_id == m.PanelMember.expert_id,
            m.UndertakingSignature.cycle_year == m.Application.cycle_year,
        )
        .exists()
    )
    return (
        select(m.PanelMember.application_id, m.PanelMember.purpose, opinion, m.Cycle.stage, m.Cycle.rules)
        .join(m.Expert, m.Expert.id == m.PanelMember.expert_id)
        .join(m.Application, m.Application.id == m.PanelMember.application_id)
        .join(m.Cycle, m.Cycle.year == m.Application.cycle_year)
        .where(
            m.Expert.user_id == user_id,
            m.Expert.status != "DISQUALIFIED",
            m.PanelMember.active.is_(True),
            m.Cycle.stage != "COMPLETED",
            signed,
        )
    )


_OPEN_REVIEW = {
    "DOCUMENT": ("AWAITING_DOCUMENT_REVIEW", "DOCUMENT_REVIEW"),
    "ONSITE": ("AWAITING_ONSITE", "ONSITE_REVIEW"),
}


async def open_seats(s: AsyncSession, expert_id: int) -> set[str]:
    """Applications on whose still-open panel (its opinion not given) the expert holds a seat."""
    rows = await s.execute(
        select(m.PanelMember.application_id, m.PanelMember.purpose, m.Application.stage)
        .join(m.Application, m.Application.id == m.PanelMember.application_id)
        .where(m.PanelMember.expert_id == expert_id, m.PanelMember.active.is_(True))
    )
    return {a for a, purpose, stage in rows.all() if stage in _OPEN_REVIEW.get(purpose, ())}


def _grants(reviewed: bool, rules: dict[str, Any]) -> bool:
    return not (
        reviewed and rules.get("expert_access_ends_with_review", CycleRules.expert_access_ends_with_review)
    )


async def expert_seats(s: AsyncSession, user_id: int) -> set[tuple[str, str]]:
    """(application, purpose) of every seat through which the expert may read now."""
    rows = (await s.execute(_seats_granting_access(user_id))).all()
    return {(a, p) for a, p, reviewed, _stage, rules in rows if _grants(reviewed, rules)}


async def expert_sits_on(s: AsyncSession, user_id: int, application_id: str) -> bool:
    """Whether the expert account may read the application through a seat on one of its panels."""
    q = _seats_granting_access(user_id).where(m.PanelMember.application_id == application_id)
    return any(_grants(reviewed, rules) for _a, _p, reviewed, _stage, rules in (await s.execute(q)).all())


async def expert_may_read_document(s: AsyncSession, user_id: int, sha256: str) -> bool:
    """An expert reads a document only if it belongs to an application they may read."""
    readable = {a for a, _ in await expert_seats(s, user_id)}
    if not readable:
        return False
    docs = await s.scalars(select(m.Application.documents).where(m.Application.id.in_(sorted(readable))))
    return any(d.get("sha256") == sha256 for documents in docs.all() for d in documents)


async def notice(s: AsyncSession, notice_id: int) -> m.Notice | None:
    return await s.scalar(select(m.Notice).where(m.Notice.id == notice_id))


async def published_years(
    s: AsyncSession,
) -> tuple[Sequence[Row[int, datetime]], set[int], dict[int, m.PublicNotice]]:
    """What the public portal lists by year: the cycles started (year, deadline; newest first),
    the years of an approved roster, the public notices by year."""
    cycles = (await s.execute(select(m.Cycle.year, m.Cycle.deadline).order_by(m.Cycle.year.desc()))).all()
    rosters = set((await s.scalars(select(m.Roster.cycle_year).where(m.Roster.state == "APPROVED"))).all())
    notices = {n.cycle_year: n for n in (await s.scalars(select(m.PublicNotice))).all()}
    return cycles, rosters, notices


async def step_failures(
    s: AsyncSession, *, year: int | None, open_only: bool, limit: int = 500
) -> Sequence[m.StepFailure]:
    """Steps that ended instead of being retried forever (of one year; unresolved only)."""
    q = select(m.StepFailure).order_by(m.StepFailure.id)
    if year is not None:
        q = q.where(m.StepFailure.cycle_year == year)
    if open_only:
        q = q.where(m.StepFailure.resolved_at.is_(None))
    return (await s.scalars(q.limit(limit))).all()


# --- where applications stand and the cycle's gates (P5) ----------------------------------------
_RULES = TypeAdapter(CycleRules)


def cycle_rules(cycle: m.Cycle) -> CycleRules:
    """The frozen rules of a cycle as recorded at its start."""
    return _RULES.validate_python(cycle.rules)


async def set_application_progress(
    s: AsyncSession,
    application_id: str,
    *,
    stage: ApplicationStage,
    outcome: str,
    waiting_for: str,
    due_at: datetime | None,
    at: datetime,
) -> bool:
    """Record where the application stands. Stages only move forward: a write of an earlier stage
    (a late retry) is ignored. True if written."""
    r = rank(stage)
    result = await s.execute(
        update(m.Application)
        .where(m.Application.id == application_id, m.Application.stage_rank <= r)
        .values(
            stage=stage, stage_rank=r, outcome=outcome, waiting_for=waiting_for, due_at=due_at, updated_at=at
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def gate_pending(s: AsyncSession, year: int, gate: Gate) -> int:
    """How many applications (or, for the investigations, objections) still hold the gate."""
    if gate is Gate.INVESTIGATIONS:
        q = (
            select(func.count())
            .select_from(m.Objection)
            .where(
                m.Objection.cycle_year == year,
                m.Objection.investigate.is_(True),
                m.Objection.state != "REPORTED",
            )
        )
    else:
        q = (
            select(func.count())
            .select_from(m.Application)
            .where(m.Application.cycle_year == year, m.Application.stage.in_(sorted(gate.pending)))
        )
    return int(await s.scalar(q) or 0)


async def stage_counts(s: AsyncSession, year: int) -> dict[str, int]:
    """Applications of a cycle per stage (one query)."""
    rows = await s.execute(
        select(m.Application.stage, func.count())
        .where(m.Application.cycle_year == year)
        .group_by(m.Application.stage)
    )
    return {stage: int(n) for stage, n in rows.all()}


async def panels_of_draw(
    s: AsyncSession, draw_id: str, *, complete_only: bool
) -> dict[str, list[tuple[int, str, int | None, bool]]]:
    """The panels a draw made or filled, as their seats stand now: application -> (expert, name,
    user, leader) of each held seat, in seat order. `complete_only`: only panels with every seat
    filled (those are announced; a short one waits for a draw that fills it)."""
    draw = await s.get(m.PanelDraw, draw_id)
    if draw is None:
        return {}
    size = int(draw.inputs.get("rules", {}).get("panel_size", 3))
    applications = [
        p["application_id"] for p in draw.result["panels"] if not complete_only or len(p["members"]) >= size
    ]
    purpose = draw.purpose if draw.purpose != "REPLACEMENT" else None
    q = (
        select(
            m.PanelMember.application_id, m.Expert.id, m.Expert.name, m.Expert.user_id, m.PanelMember.leader
        )
        .join(m.Expert, m.Expert.id == m.PanelMember.expert_id)
        .where(m.PanelMember.application_id.in_(applications), m.PanelMember.active.is_(True))
        .order_by(m.PanelMember.application_id, m.PanelMember.id)
    )
    if purpose is not None:
        q = q.where(m.PanelMember.purpose == purpose)
    panels: dict[str, list[tuple[int, str, int | None, bool]]] = {}
    for app_id, expert_id, name, user_id, leader in (await s.execute(q)).all():
        panels.setdefault(app_id, []).append((int(expert_id), name, user_id, bool(leader)))
    return panels


async def onsite_list(s: AsyncSession, year: int) -> tuple[list[str], list[str], str]:
    """The on-site list the office fixed: listed, not listed (of those reviewed on paper), its note."""
    row = await s.get(m.OnsiteList, year)
    if row is None:
        return [], [], ""
    return list(row.listed), list(row.not_listed), row.note


async def final_results(s: AsyncSession, year: int) -> dict[str, tuple[bool, str, str]]:
    """Each committee candidate's result: (awarded, reason, certificate number)."""
    notice = await s.get(m.PublicNotice, year)
    removed = dict(((notice.final or {}).get("removed") or {}) if notice else {})
    excluded = dict((notice.preliminary.get("excluded") or {}) if notice else {})
    certificates = dict(
        (
            await s.execute(
                select(m.Certificate.application_id, m.Certificate.number).where(
                    m.Certificate.cycle_year == year
                )
            )
        ).all()
    )
    candidates = (
        await s.scalars(
            select(m.Application.id).where(
                m.Application.cycle_year == year,
                m.Application.stage.in_(
                    [
                        ApplicationStage.AWAITING_COMMITTEE,
                        ApplicationStage.AWARDED,
                        ApplicationStage.NOT_AWARDED,
                    ]
                ),
            )
        )
    ).all()
    results: dict[str, tuple[bool, str, str]] = {}
    for app_id in candidates:
        number = certificates.get(app_id, "")
        reason = (
            "经区政府批准授奖"
            if number
            else removed.get(app_id) or excluded.get(app_id) or "未列入拟授奖名单"
        )
        results[app_id] = (bool(number), reason, number)
    return results


# --- the committee's review of the findings and the versions of the list (R14.7, R14.8) ----------
async def substantiated_findings(s: AsyncSession, year: int) -> list[dl.Finding]:
    """Every substantiated finding of the year, one per candidate the objection concerns."""
    rows = (
        await s.scalars(
            select(m.Objection)
            .where(m.Objection.cycle_year == year, m.Objection.conclusion == "SUBSTANTIATED")
            .order_by(m.Objection.reported_at, m.Objection.id)
        )
    ).all()
    return [dl.Finding(o.id, a, o.findings) for o in rows for a in o.concerns]


async def committee_rulings(s: AsyncSession, year: int) -> list[dl.Ruling]:
    rows = (
        await s.scalars(
            select(m.CommitteeReview)
            .where(m.CommitteeReview.cycle_year == year)
            .order_by(m.CommitteeReview.decided_at, m.CommitteeReview.id)
        )
    ).all()
    return [dl.Ruling(r.objection_id, r.application_id, dl.Decision(r.decision), r.reasons) for r in rows]


async def list_versions(s: AsyncSession, year: int) -> Sequence[m.FinalListVersion]:
    return (
        await s.scalars(
            select(m.FinalListVersion)
            .where(m.FinalListVersion.cycle_year == year)
            .order_by(m.FinalListVersion.version)
        )
    ).all()


async def list_version(s: AsyncSession, year: int, version: int) -> m.FinalListVersion | None:
    return await s.scalar(
        select(m.FinalListVersion).where(
            m.FinalListVersion.cycle_year == year, m.FinalListVersion.version == version
        )
    )


def previous_version(versions: Sequence[m.FinalListVersion], before: int) -> dl.Previous | None:
    """The version a new one (number `before`) answers: the latest one below it, if any."""
    earlier = [v for v in versions if v.version < before]
    if not earlier:
        return None
    last = max(earlier, key=lambda v: v.version)
    return dl.Previous(last.version, [w["application_id"] for w in last.winners], dict(last.removed))


# --- the supplementary notice (补充公示) after a return (R14.7, R14.8) ------------------------------
async def supplementary_notices(
    s: AsyncSession, year: int, *, lock_last: bool = False
) -> Sequence[m.SupplementaryNotice]:
    """The supplementary notices of a year, in order (the last one locked if asked: objections are
    taken one at a time under it, and its close waits for one being stored)."""
    rows = (
        await s.scalars(
            select(m.SupplementaryNotice)
            .where(m.SupplementaryNotice.cycle_year == year)
            .order_by(m.SupplementaryNotice.seq)
        )
    ).all()
    if lock_last and rows:
        last = await s.get(m.SupplementaryNotice, rows[-1].id, with_for_update=True, populate_existing=True)
        assert last is not None
        return [*rows[:-1], last]
    return rows


def supplements(rows: Sequence[m.SupplementaryNotice]) -> list[dl.Supplement]:
    return [
        dl.Supplement(
            r.id,
            r.answers_version,
            {c["application_id"]: r.reasons.get(c["application_id"], "") for c in r.candidates},
            dict(r.make_room),
        )
        for r in rows
    ]


async def plenary_standings(s: AsyncSession, notice: m.PublicNotice) -> dict[str, ds.Standing]:
    """Every candidate of the plenary's ballot (the tally published with the preliminary list): its
    award, whether it passed, its final score."""
    tally = {str(t["candidate_id"]): bool(t["passed"]) for t in notice.preliminary.get("tally", [])}
    if not tally:
        return {}
    rows = (await s.scalars(select(m.Application).where(m.Application.id.in_(sorted(tally))))).all()
    return {
        a.id: ds.Standing(a.id, Award(a.award), tally[a.id], final_score(Decimal(a.onsite_score or "0")))
        for a in rows
    }


async def list_composition(s: AsyncSession, year: int, notice: m.PublicNotice) -> dict[str, Any]:
    """What the next version of the list is composed from, besides the revisions asked for
    (domain.final_list.compose): the same for the activity and for the API's early answer."""
    cycle = await s.get(m.Cycle, year)
    rules = cycle_rules(cycle) if cycle is not None else None
    rows = await supplementary_notices(s, year)
    sups = supplements(rows)
    awards = {w["application_id"]: Award(w["award"]) for w in notice.preliminary["winners"]}
    for r in rows:
        awards |= {c["application_id"]: Award(c["award"]) for c in r.candidates}
    return {
        "findings": await substantiated_findings(s, year),
        "rulings": await committee_rulings(s, year),
        "supplements": sups,
        "awards": awards if sups else None,
        "quota": {Award.QUALITY: rules.quota_quality, Award.INNOVATION: rules.quota_innovation}
        if rules is not None and sups
        else None,
    }


# --- intake: applications stored by the API before their workflow starts (P5) ------------------
async def cycle_for_intake(s: AsyncSession, year: int) -> m.Cycle | None:
    """The cycle row, locked: submissions are taken one at a time, and the close of intake (which
    updates this row) waits for a submission being stored and then takes none."""
    return await s.get(m.Cycle, year, with_for_update=True)


async def add_application(
    s: AsyncSession,
    cycle: m.Cycle,
    enterprise: m.Enterprise,
    *,
    award: str,
    documents: list[dict[str, Any]],
    self_assessment: dict[str, int],
    contact_name: str,
    contact_phone: str,
    submitted_by: str,
    submitted_at: datetime,
    submission_key: str | None,
    waiting_for: str,
) -> m.Application:
    """Number and store an application (the caller holds the cycle's lock)."""
    cycle.applications_count += 1
    app_id = f"{cycle.year}-{cycle.applications_count:04d}"
    app = m.Application(
        id=app_id,
        cycle_year=cycle.year,
        enterprise_id=enterprise.id,
        award=award,
        field=enterprise.field,
        sector_tags=list(enterprise.sector_tags),
        documents=documents,
        self_assessment=self_assessment,
        contact_name=contact_name,
        contact_phone=contact_phone,
        stage=ApplicationStage.SUBMITTED,
        stage_rank=rank(ApplicationStage.SUBMITTED),
        outcome="PENDING",
        waiting_for=waiting_for,
        workflow_id=f"application-{app_id}",
        submitted_by=submitted_by,
        submitted_at=submitted_at,
        updated_at=submitted_at,
        submission_key=submission_key,
    )
    s.add(app)
    await s.flush()
    return app


# --- reads: one query per page, no per-row lookups -------------------------------------------------
async def application_page(
    s: AsyncSession, *, limit: int, offset: int, **filters: Any
) -> tuple[list[tuple[m.Application, m.Enterprise]], int]:
    """One page of applications with their enterprises: the page's ids are found on the index
    first (a deep page skips index entries, not joined rows), then only those rows are read."""
    ids = application_query(**filters).with_only_columns(m.Application.id)
    total = await s.scalar(select(func.count()).select_from(ids.subquery())) or 0
    page = ids.order_by(m.Application.id).limit(limit).offset(offset).subquery()
    rows = await s.execute(
        select(m.Application, m.Enterprise)
        .join(page, page.c.id == m.Application.id)
        .join(m.Enterprise, m.Enterprise.id == m.Application.enterprise_id)
        .order_by(m.Application.id)
    )
    return [(a, e) for a, e in rows.all()], total


async def panels_of(s: AsyncSession, application_id: str) -> dict[str, list[dict[str, Any]]]:
    """The seated members of each panel of an application (replaced members are on record only)."""
    rows = await s.execute(
        select(m.PanelMember.purpose, m.Expert.id, m.Expert.name, m.PanelMember.leader)
        .join(m.Expert, m.Expert.id == m.PanelMember.expert_id)
        .where(m.PanelMember.application_id == application_id, m.PanelMember.active.is_(True))
        .order_by(m.PanelMember.purpose, m.PanelMember.id)
    )
    panels: dict[str, list[dict[str, Any]]] = {}
    for purpose, expert_id, name, leader in rows.all():
        panels.setdefault(purpose, []).append({"expert_id": expert_id, "name": name, "leader": leader})
    return panels


async def scored_of(s: AsyncSession, application_id: str) -> dict[str, list[int]]:
    """Which seated members have scored, per panel purpose (never the scores)."""
    rows = await s.execute(
        select(m.ExpertScore.purpose, m.ExpertScore.expert_id)
        .join(
            m.PanelMember,
            (m.PanelMember.application_id == m.ExpertScore.application_id)
            & (m.PanelMember.purpose == m.ExpertScore.purpose)
            & (m.PanelMember.expert_id == m.ExpertScore.expert_id),
        )
        .where(m.ExpertScore.application_id == application_id, m.PanelMember.active.is_(True))
        .order_by(m.ExpertScore.expert_id)
    )
    scored: dict[str, list[int]] = {}
    for purpose, expert_id in rows.all():
        scored.setdefault(purpose, []).append(int(expert_id))
    return scored
