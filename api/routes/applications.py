"""Applications: submission by the enterprise itself (R3.2, R13.1), reading, the qualification decision."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from config.temporal import start_application
from contracts.application import (
    ApplicationInput,
    ApplicationState,
    ApplicationView,
    DecideQualificationInput,
)
from db import models as m
from db import repositories as repo
from db.jsonable import jsonable
from domain.calendar import HolidayCalendar
from domain.credit_code import normalize_credit_code
from domain.eligibility import active_ban, application_banned
from domain.errors import invalid
from domain.intake import DocumentRef, Submission, validate_submission
from domain.qualification import (
    ConditionDecision,
    QualificationDecision,
    QualificationResult,
    already_decided,
)
from domain.reports import by_sector
from domain.rubric import load_rubric, validate_scores
from domain.types import PRIORITY_SECTORS, ApplicationStage, Award, DocumentKind, Outcome, Role
from workflows.application import ApplicationWorkflow

from .. import workflow_calls
from ..calls import Action, Calls, Workflows, acting
from ..deps import (
    Config,
    CurrentUser,
    EnterpriseUser,
    IdempotencyKey,
    Now,
    OfficeEnterpriseOrAuditor,
    Session,
    Sessions,
    Temporal,
    User,
    gate,
)
from ..errors import not_found
from ..resources.application import ReadableApplication, found
from ..responses.applications import FailedCondition, QualificationDecided, SectorRowOut
from ..schemas import (
    ApplicationOut,
    ApplicationPage,
    ApplicationSubmit,
    ApplicationSummary,
    ConditionOut,
    QualificationDecisionIn,
    SubmitResult,
)

router = APIRouter(tags=["applications"])
log = logging.getLogger(__name__)


@router.post("/cycles/{year}/applications", response_model=SubmitResult, status_code=201)
async def submit(
    year: int,
    body: ApplicationSubmit,
    sessions: Sessions,
    user: EnterpriseUser,
    client: Temporal,
    cfg: Config,
    clock: Now,
    idempotency_key: IdempotencyKey = None,
) -> SubmitResult:
    """Only the enterprise itself submits (申报自愿); documents must have been uploaded by it.

    The application is stored here, under the cycle's lock, before its workflow starts (P5): no
    workflow's history grows with the number of submissions, and the close of intake, which takes
    the same lock, lets no submission in after it. If the workflow cannot be started right now,
    the application is stored all the same and its workflow starts when the call closes."""
    assert user.enterprise_id is not None
    documents = [DocumentRef(d.kind, d.sha256, d.title, tuple(d.conditions)) for d in body.documents]
    async with sessions.begin() as s:
        ent = await repo.enterprise(s, user.enterprise_id)
        assert ent is not None
        hashes = [d.sha256 for d in body.documents]
        missing = sorted(set(hashes) - await repo.owned_documents(s, ent.id, hashes))
        if missing:
            raise invalid(
                "DOCUMENT_NOT_FOUND",
                "以下材料未由本单位上传，请先上传：" + "、".join(missing),
                "These documents were not uploaded by your organisation; upload them first: "
                + ", ".join(missing),
                documents=missing,
            )
        cycle = await repo.cycle_for_intake(s, year)
        if cycle is None:
            raise not_found(f"{year}年度评审周期", f"Cycle {year}")
        earlier = await repo.application_of(s, year, ent.id)
        if earlier is not None and idempotency_key and earlier.submission_key == idempotency_key:
            return SubmitResult(
                application_id=earlier.id, workflow_id=earlier.workflow_id, submitted_at=earlier.submitted_at
            )
        rules = repo.cycle_rules(cycle)
        now = await clock()
        validate_submission(
            Submission(ent.credit_code, body.award, tuple(documents), user.username),
            now=now,
            deadline=cycle.deadline,
            intake_open=cycle.intake_open,
            applicants=[ent.credit_code] if earlier is not None else [],
        )
        validate_scores(load_rubric(rules.criteria_edition), body.self_assessment, complete=True)
        await _refuse_if_banned(s, ent.credit_code, now, rules.holiday_calendar)
        app = await repo.add_application(
            s,
            cycle,
            ent,
            award=body.award,
            documents=[jsonable(asdict(d)) for d in documents],
            self_assessment=dict(body.self_assessment),
            contact_name=body.contact_name,
            contact_phone=body.contact_phone,
            submitted_by=user.username,
            submitted_at=now,
            submission_key=idempotency_key,
            waiting_for=ApplicationState().waiting_for,
        )
        await repo.audit_by(
            s,
            user,
            "APPLICATION_SUBMITTED",
            "application",
            app.id,
            at=now,
            details={"award": body.award, "credit_code": ent.credit_code, "documents": len(documents)},
            key=f"application-submitted-{app.id}",
        )
        inp = ApplicationInput(app.id, year, body.award, ent.id, ent.credit_code, ent.name, rules)
    timeout = cfg.temporal_rpc_timeout_seconds
    start = start_application(client, inp, task_queue=cfg.task_queue, rpc_timeout=timedelta(seconds=timeout))
    if not await workflow_calls.reached(start, timeout):
        log.warning("application %s stored; its workflow starts when the call closes", app.id)
    return SubmitResult(application_id=app.id, workflow_id=app.workflow_id, submitted_at=now)


async def _refuse_if_banned(
    s: Session, credit_code: str, now: datetime, calendar: HolidayCalendar | None
) -> None:
    """Art. 17 (R17.1): while a revocation's 5-year ban is in force the organisation may not apply;
    409 with the registry entry and the instant the ban ends. No one can lift it."""
    rows = await repo.revocations_of(s, credit_code)
    r = active_ban([repo.to_revocation(x) for x in rows], credit_code, now, calendar)
    if r is None:
        return
    row = next(x for x in rows if (x.award, x.award_year) == (r.award, r.award_year))
    entry = {
        "id": row.id,
        "credit_code": row.credit_code,
        "award": row.award,
        "award_year": row.award_year,
        "revoked_on": row.revoked_on.isoformat(),
        "reason": row.reason,
        "document_no": row.document_no,
    }
    raise application_banned(r, calendar, entry)


def _summary(app: m.Application, ent: m.Enterprise) -> ApplicationSummary:
    return ApplicationSummary(
        id=app.id,
        cycle_year=app.cycle_year,
        enterprise_id=ent.id,
        enterprise_name=ent.name,
        credit_code=ent.credit_code,
        award=app.award,
        field=app.field,
        sector_tags=list(app.sector_tags),
        priority_sector=any(t in PRIORITY_SECTORS for t in app.sector_tags),
        stage=app.stage,
        outcome=app.outcome,
        waiting_for=app.waiting_for or None,
        due_at=app.due_at,
        document_score=app.document_score,
        onsite_score=app.onsite_score,
        workflow_id=app.workflow_id,
        submitted_at=app.submitted_at,
        updated_at=app.updated_at,
    )


def _out(app: m.Application, ent: m.Enterprise) -> ApplicationOut:
    return ApplicationOut(
        **_summary(app, ent).model_dump(),
        submitted_by=app.submitted_by,
        documents=list(app.documents),
        self_assessment=dict(app.self_assessment),
    )


@router.get("/applications", response_model=ApplicationPage)
async def list_applications(
    s: Session,
    user: OfficeEnterpriseOrAuditor,
    year: int | None = None,
    award: Award | None = None,
    stage: ApplicationStage | None = None,
    outcome: Outcome | None = None,
    credit_code: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ApplicationPage:
    """The office and the auditor see every application; an enterprise only its own. One query per page."""
    enterprise_id: int | None = None
    if user.role is Role.ENTERPRISE:
        enterprise_id = user.enterprise_id
    elif credit_code:
        ent = await repo.enterprise_by_code(s, normalize_credit_code(credit_code))
        if ent is None:
            return ApplicationPage(total=0, page=page, page_size=page_size, items=[])
        enterprise_id = ent.id
    rows, total = await repo.application_page(
        s,
        limit=page_size,
        offset=(page - 1) * page_size,
        year=year,
        award=award,
        stage=stage,
        outcome=outcome,
        enterprise_id=enterprise_id,
    )
    return ApplicationPage(
        total=total, page=page, page_size=page_size, items=[_summary(a, e) for a, e in rows]
    )


@router.get("/applications/{application_id}", response_model=ApplicationOut)
async def get_application(
    app: ReadableApplication,
    s: Session,
    user: User,
    calls: Workflows,
    live: Annotated[bool, Query(description="also ask the workflow itself (the office only)")] = False,
) -> ApplicationOut:
    """From PostgreSQL, which the workflow keeps current: never replays a workflow, and answers
    while Temporal is down. `live=true` (the office) adds the workflow's own view."""
    return await _detail(s, app, user, calls if live and user.role is Role.OFFICE else None)


async def _detail(s: Session, app: m.Application, user: CurrentUser, calls: Calls | None) -> ApplicationOut:
    """The application in full, as `user` may see it; with `calls`, the workflow's own view too."""
    ent = await repo.enterprise(s, app.enterprise_id)
    assert ent is not None
    out = _out(app, ent)
    out.qualification = [
        ConditionOut.model_validate(c, from_attributes=True)
        for c in await repo.qualification_checks(s, app.id)
    ] or None
    for c in out.qualification or []:  # the applicant's evidence for each condition (R13.1)
        c.supporting_documents = [
            {"sha256": d["sha256"], "title": d.get("title", "")}
            for d in app.documents
            if d.get("kind") == DocumentKind.EVIDENCE and c.condition in d.get("conditions", ())
        ]
    d = await repo.qualification_decision(s, app.id)
    if d is not None:
        out.decision = {
            "qualified": d.qualified,
            "material_truthful": d.material_truthful,
            "truthfulness_note": d.truthfulness_note,
            "note": d.note,
            "decided_by": d.decided_by,
            "decided_at": d.decided_at,
        }
    if user.role in (Role.OFFICE, Role.EXPERT, Role.AUDITOR):  # enterprises do not learn who reviews them
        out.panels = await repo.panels_of(s, app.id) or None
        out.scored = await repo.scored_of(s, app.id) or None
    if calls is not None:
        view = await calls.query(app.workflow_id, ApplicationWorkflow.state, result_type=ApplicationView)
        out.live = (
            None
            if view is None
            else {"stage": view.stage, "waiting_for": view.waiting_for, "deadline": view.deadline}
        )
    return out


@router.post(
    "/applications/{application_id}/qualification-decision",
    response_model=QualificationDecided,
    dependencies=[gate(Role.OFFICE)],
)
async def decide_qualification(
    application_id: str,
    body: QualificationDecisionIn,
    s: Session,
    act: Annotated[Action, acting("qualification")],
) -> QualificationDecided:
    """The office confirms or overrides each condition, with reasons, and attests truthfulness (R14.1)."""
    app = await found(s, application_id)
    if await repo.qualification_decision(s, app.id) is not None:
        raise already_decided()
    await _check_override_evidence(s, app, body)
    decision = QualificationDecision(
        decisions=tuple(
            ConditionDecision(
                d.condition,
                d.status,
                d.reason,
                tuple(dict.fromkeys(d.fact_ids)),
                tuple(dict.fromkeys(d.documents)),
            )
            for d in body.decisions
        ),
        material_truthful=body.material_truthful,
        truthfulness_note=body.truthfulness_note,
        note=body.note,
    )
    inp = DecideQualificationInput(decision, act.actor)
    result = await act.application(
        app.id, ApplicationWorkflow.decide_qualification, inp, result_type=QualificationResult
    )
    return QualificationDecided(
        application_id=app.id,
        qualified=result.qualified,
        failed=[
            FailedCondition(condition=c.condition, clause=c.clause_zh, reason=c.reason or c.finding_zh)
            for c in result.failed
        ],
        material_truthful=result.material_truthful,
    )


async def _check_override_evidence(s: Session, app: m.Application, body: QualificationDecisionIn) -> None:
    """What an override cites must be on record: facts of this enterprise's eligibility record,
    documents this applicant uploaded (R11.7). Whether an override cites anything at all is the
    domain's rule (domain.qualification.resolve_qualification)."""
    fact_ids = {i for d in body.decisions for i in d.fact_ids}
    hashes = sorted({h for d in body.decisions for h in d.documents})
    if not fact_ids and not hashes:
        return
    known_facts = {f.id for f in await repo.facts_of(s, app.enterprise_id)}
    unknown_facts = sorted(fact_ids - known_facts)
    unknown_docs = sorted(set(hashes) - await repo.owned_documents(s, app.enterprise_id, hashes))
    if unknown_facts or unknown_docs:
        raise invalid(
            "QUALIFICATION_EVIDENCE_NOT_FOUND",
            "改判所依据的事实或材料不属于该申报单位：" + "、".join(map(str, [*unknown_facts, *unknown_docs])),
            "These facts or documents are not on the applicant's record: "
            + ", ".join(map(str, [*unknown_facts, *unknown_docs])),
            fact_ids=unknown_facts,
            documents=unknown_docs,
        )


@router.get(
    "/cycles/{year}/reports/sectors",
    response_model=list[SectorRowOut],
    tags=["reports"],
    summary="Applications by Art. 5 sector (R5.1)",
    dependencies=[gate(Role.OFFICE, Role.AUDITOR)],
)
async def sector_report(year: int, s: Session) -> list[SectorRowOut]:
    return [SectorRowOut(**asdict(r)) for r in by_sector(await repo.applications_by_sector(s, year))]
