"""Applications: submission by the enterprise itself (R3.2, R13.1), reading, the qualification decision."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.application import ApplicationState, DecideQualificationInput
from contracts.cycle import SubmitApplicationInput, SubmitApplicationResult
from db import models as m
from db import repositories as repo
from domain.credit_code import normalize_credit_code
from domain.errors import invalid
from domain.intake import DocumentRef
from domain.qualification import ConditionDecision, QualificationDecision, QualificationResult
from domain.reports import by_sector
from domain.types import PRIORITY_SECTORS, ApplicationStage, Award, Outcome, Role
from workflows.application import ApplicationWorkflow
from workflows.cycle import AwardCycleWorkflow

from .. import workflow_calls
from ..deps import (
    Config,
    CurrentUser,
    EnterpriseUser,
    IdempotencyKey,
    Office,
    OfficeOrEnterprise,
    Session,
    Temporal,
    User,
)
from ..errors import forbidden, not_found
from ..schemas import (
    ApplicationOut,
    ApplicationSubmit,
    ConditionOut,
    Page,
    QualificationDecisionIn,
    SubmitResult,
)

router = APIRouter(tags=["applications"])


@router.post("/cycles/{year}/applications", response_model=SubmitResult, status_code=201)
async def submit(
    year: int,
    body: ApplicationSubmit,
    s: Session,
    user: EnterpriseUser,
    client: Temporal,
    cfg: Config,
    idempotency_key: IdempotencyKey = None,
) -> SubmitResult:
    """Only the enterprise itself submits (申报自愿); documents must have been uploaded by it."""
    assert user.enterprise_id is not None
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
    result = await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.submit_application,
        SubmitApplicationInput(
            enterprise_id=ent.id,
            credit_code=ent.credit_code,
            enterprise_name=ent.name,
            award=body.award,
            field=ent.field,
            sector_tags=list(ent.sector_tags),
            documents=[DocumentRef(d.kind, d.sha256, d.title) for d in body.documents],
            submitted_by=user.actor,
            contact_name=body.contact_name,
            contact_phone=body.contact_phone,
            self_assessment=dict(body.self_assessment),
        ),
        key=f"submit-{ent.credit_code}-{idempotency_key or uuid.uuid4()}",
        result_type=SubmitApplicationResult,
    )
    return SubmitResult(**asdict(result))


async def _ensure_can_read(s: Session, app: m.Application, user: CurrentUser) -> None:
    """The office; the enterprise that applied; an expert on one of its panels (R20.2)."""
    if user.role is Role.OFFICE:
        return
    if user.role is Role.ENTERPRISE and user.enterprise_id == app.enterprise_id:
        return
    if user.role is Role.EXPERT and await repo.expert_sits_on(s, user.id, app.id):
        return
    raise forbidden("无权查看该申报", "You may not see this application")


async def _out(s: Session, app: m.Application, *, detail: bool = False) -> ApplicationOut:
    ent = await repo.enterprise(s, app.enterprise_id)
    assert ent is not None
    out = ApplicationOut(
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
        workflow_id=app.workflow_id,
        submitted_by=app.submitted_by,
        submitted_at=app.submitted_at,
        documents=list(app.documents),
        self_assessment=dict(app.self_assessment),
        document_score=app.document_score,
        onsite_score=app.onsite_score,
    )
    if detail:
        checks = await repo.qualification_checks(s, app.id)
        out.qualification = [ConditionOut.model_validate(c, from_attributes=True) for c in checks] or None
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
    return out


@router.get("/applications", response_model=Page)
async def list_applications(
    s: Session,
    user: OfficeOrEnterprise,
    year: int | None = None,
    award: Award | None = None,
    stage: ApplicationStage | None = None,
    outcome: Outcome | None = None,
    credit_code: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page:
    """The office sees every application; an enterprise only its own."""
    enterprise_id: int | None = None
    if user.role is Role.ENTERPRISE:
        enterprise_id = user.enterprise_id
    elif credit_code:
        ent = await repo.enterprise_by_code(s, normalize_credit_code(credit_code))
        if ent is None:
            return Page(total=0, page=page, page_size=page_size, items=[])
        enterprise_id = ent.id
    rows, total = await repo.list_applications(
        s,
        limit=page_size,
        offset=(page - 1) * page_size,
        year=year,
        award=award,
        stage=stage,
        outcome=outcome,
        enterprise_id=enterprise_id,
    )
    return Page(total=total, page=page, page_size=page_size, items=[await _out(s, a) for a in rows])


@router.get("/applications/{application_id}", response_model=ApplicationOut)
async def get_application(
    application_id: str, s: Session, user: User, client: Temporal, cfg: Config
) -> ApplicationOut:
    app = await repo.application(s, application_id)
    if app is None:
        raise not_found("申报", "Application")
    await _ensure_can_read(s, app, user)
    out = await _out(s, app, detail=True)
    live = await workflow_calls.query(
        client, app.workflow_id, ApplicationWorkflow.state, timeout=5, result_type=ApplicationState
    )
    if live is not None:
        out.stage, out.outcome, out.waiting_for = live.stage, live.outcome, live.waiting_for
        if user.role in (Role.OFFICE, Role.EXPERT):  # enterprises do not learn who reviews them
            out.panels = {
                str(p): [{"expert_id": x.expert_id, "name": x.name, "leader": x.leader} for x in seats]
                for p, seats in live.panels.items()
            }
            out.scored = {str(p): list(v) for p, v in live.scored.items()}
    del cfg
    return out


@router.post("/applications/{application_id}/qualification-decision", response_model=dict[str, Any])
async def decide_qualification(
    application_id: str,
    body: QualificationDecisionIn,
    s: Session,
    office: Office,
    client: Temporal,
    cfg: Config,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The office confirms or overrides each condition, with reasons, and attests truthfulness (R14.1)."""
    app = await repo.application(s, application_id)
    if app is None:
        raise not_found("申报", "Application")
    decision = QualificationDecision(
        decisions=tuple(ConditionDecision(d.condition, d.status, d.reason) for d in body.decisions),
        material_truthful=body.material_truthful,
        truthfulness_note=body.truthfulness_note,
        note=body.note,
    )
    result = await workflow_calls.application_update(
        client,
        cfg,
        application_id,
        ApplicationWorkflow.decide_qualification,
        DecideQualificationInput(decision, office.actor),
        key=f"qualification-{application_id}-{idempotency_key or uuid.uuid4()}",
        result_type=QualificationResult,
    )
    return {
        "application_id": application_id,
        "qualified": result.qualified,
        "failed": [
            {"condition": c.condition, "clause": c.clause_zh, "reason": c.reason or c.finding_zh}
            for c in result.failed
        ],
        "material_truthful": result.material_truthful,
    }


@router.get(
    "/cycles/{year}/reports/sectors", tags=["reports"], summary="Applications by Art. 5 sector (R5.1)"
)
async def sector_report(year: int, s: Session, office: Office) -> list[dict[str, Any]]:
    return [asdict(r) for r in by_sector(await repo.applications_by_sector(s, year))]
