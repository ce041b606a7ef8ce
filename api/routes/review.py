"""Expert review through the API: panel draws (and their re-verification), expert scores, panel
opinions, replacements, the on-site list, on-site reports and their confirmation (Art. 9, 14, 20).

Confidentiality (R20.2): an expert sees only the applications on whose panel they sit, and no other
member's scores before submitting their own."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from contracts.application import (
    ConfirmationInput,
    ExpertScoreInput,
    PanelOpinionInput,
    PanelSeat,
    ReplaceExpertInput,
    SettlementInput,
)
from contracts.cycle import DrawOutcome, DrawPanelsInput, OnsiteListFixed, OnsiteListInput
from db import models as m
from db import repositories as repo
from db import undertakings
from domain.draw_record import rerun, result_json
from domain.errors import DomainError
from domain.review import ReviewPurpose
from domain.types import Role
from domain.undertaking import not_signed
from workflows.application import ApplicationWorkflow
from workflows.cycle import AwardCycleWorkflow

from .. import workflow_calls
from ..deps import (
    Config,
    CurrentUser,
    EnterpriseUser,
    IdempotencyKey,
    Office,
    OfficeOrAuditor,
    Session,
    Temporal,
    User,
    gate,
)
from ..errors import forbidden, not_found
from ..schemas import (
    ConfirmationIn,
    DrawIn,
    ExpertScoreIn,
    OnsiteListIn,
    PanelOpinionIn,
    ReplaceIn,
    SettlementIn,
)

router = APIRouter(tags=["review"])
DRAW_READERS = (Role.OFFICE, Role.COMMITTEE, Role.GOVERNMENT, Role.AUDITOR)


async def expert_of(s: Session, user: CurrentUser) -> m.Expert:
    """The expert behind `user`; a disqualified expert reads and does nothing any more (R20.3)."""
    e = await s.scalar(select(m.Expert).where(m.Expert.user_id == user.id))
    if e is None or user.role is not Role.EXPERT:
        raise forbidden("当前账号不是评审专家", "This account is not an expert's")
    if e.status == "DISQUALIFIED":
        raise DomainError(
            "EXPERT_DISQUALIFIED",
            "您已被取消评审资格，不能再查阅或评审任何申报",
            "You have been disqualified as an expert: you can no longer read or review any application",
            status=403,
        )
    return e


async def assigned_expert(s: Session, user: CurrentUser, application_id: str) -> m.Expert:
    """The expert behind `user`, if a seat of theirs still grants access to the application
    (held, not disqualified, the cycle not completed; R20.2); else 403."""
    e = await expert_of(s, user)
    await signed_for_application(s, e, application_id)
    if not await repo.expert_sits_on(s, user.id, application_id):
        raise forbidden("您未被分配评审该申报", "You are not assigned to this application")
    return e


async def signed_for_application(s: Session, e: m.Expert, application_id: str) -> None:
    """409 UNDERTAKING_NOT_SIGNED unless the expert has signed the undertaking of the application's
    cycle (Art. 20): before that, no assignment of the cycle is shown."""
    app = await repo.application(s, application_id)
    if app is not None and await undertakings.unsigned_years(s, e.id, [app.cycle_year]):
        raise not_signed([app.cycle_year])


async def _outcome(s: Session, o: DrawOutcome) -> dict[str, Any]:
    """The draw as recorded: its panels are read from PostgreSQL, not carried through Temporal.
    `panels` are the complete ones (announced); `short` those with a seat the pool could not fill,
    seated as far as they go, for a later draw to fill once the pool has changed."""
    complete = await repo.panels_of_draw(s, o.draw_id, complete_only=True)
    every = await repo.panels_of_draw(s, o.draw_id, complete_only=False)
    record = await s.get(m.PanelDraw, o.draw_id)

    def seats(found: dict[str, list[tuple[int, str, int | None, bool]]], apps: Any) -> dict[str, Any]:
        return {a: [{"expert_id": x, "name": n, "leader": lead} for x, n, _u, lead in found[a]] for a in apps}

    return {
        "draw_id": o.draw_id,
        "seed": o.seed,
        "input_hash": o.input_hash,
        "panels": seats(complete, sorted(complete)),
        "short": seats(every, sorted(set(every) - set(complete))),
        "unfilled": [u.__dict__ for u in o.unfilled],
        "unfilled_count": o.unfilled_count,
        # experts the draw left out for not having signed the cycle's undertaking (Art. 20)
        "skipped": record.result.get("skipped", []) if record is not None else [],
    }


# --- the office: draws, lists, replacements, settlements --------------------------------------------
@router.post("/cycles/{year}/panels", summary="Draw the review panels that are due (document or on-site)")
async def draw_panels(
    year: int,
    body: DrawIn,
    s: Session,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    outcome = await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.draw_panels,
        DrawPanelsInput(office.actor, dict(body.visits)),
        key=f"draw-{key or uuid.uuid4()}",
        result_type=DrawOutcome,
    )
    return await _outcome(s, outcome)


@router.get("/draws/{draw_id}", summary="A recorded draw: seed, inputs' hash, inputs and result")
async def get_draw(draw_id: str, s: Session, user: User) -> dict[str, Any]:
    if user.role not in DRAW_READERS:
        raise forbidden()
    d = await s.get(m.PanelDraw, draw_id)
    if d is None:
        raise not_found("抽取记录", "Draw")
    return {
        "id": d.id,
        "cycle_year": d.cycle_year,
        "purpose": d.purpose,
        "seed": d.seed,
        "input_hash": d.input_hash,
        "inputs": d.inputs,
        "result": d.result,
        "drawn_by": d.drawn_by,
        "drawn_at": d.drawn_at,
    }


@router.get("/draws/{draw_id}/verify", summary="Re-run a recorded draw from its inputs and seed")
async def verify_draw(draw_id: str, s: Session, user: User) -> dict[str, Any]:
    """Anyone with the office, committee or government role can show that the recorded panels are
    exactly what the draw gives for the recorded inputs and seed."""
    if user.role not in DRAW_READERS:
        raise forbidden()
    d = await s.get(m.PanelDraw, draw_id)
    if d is None:
        raise not_found("抽取记录", "Draw")
    again = result_json(rerun(d.inputs, d.seed))
    return {
        "draw_id": d.id,
        "seed": d.seed,
        "recorded_hash": d.input_hash,
        "recomputed_hash": again["input_hash"],
        "same_panels": again["panels"] == d.result["panels"] and again["unfilled"] == d.result["unfilled"],
        "matches": again == d.result,
        "panels": again["panels"],
    }


@router.get("/cycles/{year}/document-scores", summary="Consolidated document review scores and the threshold")
async def document_scores(year: int, s: Session, office: OfficeOrAuditor) -> dict[str, Any]:
    c = await repo.cycle(s, year)
    if c is None:
        raise not_found(f"{year}年度评审周期", f"Cycle {year}")
    threshold = int(c.rules.get("onsite_threshold", 550))
    rows = (
        await s.scalars(
            select(m.PanelOpinion)
            .join(m.Application, m.Application.id == m.PanelOpinion.application_id)
            .where(m.Application.cycle_year == year, m.PanelOpinion.purpose == ReviewPurpose.DOCUMENT)
            .order_by(m.PanelOpinion.application_id)
        )
    ).all()
    items = sorted(
        (
            {
                "application_id": o.application_id,
                "total": o.total,
                "opinion": o.opinion,
                "at_or_above_threshold": Decimal(o.total) >= threshold,
            }
            for o in rows
        ),
        key=lambda x: -Decimal(str(x["total"])),
    )
    return {"threshold": threshold, "applications": items}


@router.post("/cycles/{year}/onsite-list", summary="Fix the on-site review list (R14.3)")
async def fix_onsite_list(
    year: int,
    body: OnsiteListIn,
    s: Session,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    await workflow_calls.cycle_update(
        client,
        cfg,
        year,
        AwardCycleWorkflow.fix_onsite_list,
        OnsiteListInput(list(body.application_ids), body.note, office.actor),
        key=f"onsite-list-{key or uuid.uuid4()}",
        result_type=OnsiteListFixed,
    )
    listed, not_listed, _note = await repo.onsite_list(s, year)
    return {"listed": listed, "not_listed": not_listed}


@router.post(
    "/applications/{application_id}/panel/replace", summary="Replace a panel member by a drawn alternate"
)
async def replace_expert(
    application_id: str,
    body: ReplaceIn,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    seats = await workflow_calls.application_update(
        client,
        cfg,
        application_id,
        ApplicationWorkflow.replace_expert,
        ReplaceExpertInput(body.expert_id, body.reason, office.actor),
        key=f"replace-{key or uuid.uuid4()}",
        result_type=list[PanelSeat],
    )
    return {"members": [{"expert_id": x.expert_id, "name": x.name, "leader": x.leader} for x in seats]}


@router.post("/applications/{application_id}/onsite-settlement", summary="Settle the enterprise's dispute")
async def settle(
    application_id: str,
    body: SettlementIn,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    total = await workflow_calls.application_update(
        client,
        cfg,
        application_id,
        ApplicationWorkflow.settle_dispute,
        SettlementInput(body.settlement, office.actor, body.revised_scores),
        key=f"settle-{key or uuid.uuid4()}",
        result_type=str,
    )
    return {"application_id": application_id, "onsite_total": total}


# --- experts ------------------------------------------------------------------------------------------
@router.get("/expert/assignments", summary="The applications on whose panels I sit")
async def my_assignments(s: Session, user: User) -> list[dict[str, Any]]:
    e = await expert_of(s, user)
    unsigned = await undertakings.unsigned_years(s, e.id, await undertakings.running_years(s))
    if unsigned:  # Art. 20: the undertaking of every running cycle comes before its assignments
        raise not_signed(unsigned)
    readable = await repo.expert_seats(s, user.id)
    seats = [
        x
        for x in (
            await s.scalars(
                select(m.PanelMember)
                .where(m.PanelMember.expert_id == e.id, m.PanelMember.active.is_(True))
                .order_by(m.PanelMember.id)
            )
        ).all()
        if (x.application_id, x.purpose) in readable
    ]
    scored = {
        (x.application_id, x.purpose)
        for x in (await s.scalars(select(m.ExpertScore).where(m.ExpertScore.expert_id == e.id))).all()
    }
    return [
        {
            "application_id": x.application_id,
            "purpose": x.purpose,
            "leader": x.leader,
            "scored": (x.application_id, x.purpose) in scored,
            "joined_at": x.joined_at,
        }
        for x in seats
    ]


@router.post(
    "/applications/{application_id}/scores",
    summary="Submit my independent scores (R14.2)",
    dependencies=[gate(Role.EXPERT)],
)
async def submit_scores(
    application_id: str,
    body: ExpertScoreIn,
    s: Session,
    user: User,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    e = await assigned_expert(s, user, application_id)
    total = await workflow_calls.application_update(
        client,
        cfg,
        application_id,
        ApplicationWorkflow.submit_expert_score,
        ExpertScoreInput(
            e.id, dict(body.scores), body.strengths, body.improvements, user.actor, body.comments()
        ),
        key=f"score-{e.id}-{key or uuid.uuid4()}",
        result_type=str,
    )
    return {"application_id": application_id, "expert_id": e.id, "total": total}


@router.get("/applications/{application_id}/scores", summary="Scores of a panel (after submitting one's own)")
async def panel_scores(
    application_id: str, s: Session, user: User, purpose: ReviewPurpose = ReviewPurpose.DOCUMENT
) -> list[dict[str, Any]]:
    rows = (
        await s.scalars(
            select(m.ExpertScore)
            .where(m.ExpertScore.application_id == application_id, m.ExpertScore.purpose == purpose)
            .order_by(m.ExpertScore.expert_id)
        )
    ).all()
    if user.role not in (Role.OFFICE, Role.AUDITOR):
        e = await assigned_expert(s, user, application_id)
        if e.id not in {r.expert_id for r in rows}:
            raise forbidden(
                "提交本人评分前不能查看其他专家的评分",
                "You see other members' scores only after submitting your own",
            )
    return [
        {
            "expert_id": r.expert_id,
            "scores": r.scores,
            "total": r.total,
            "strengths": r.strengths,
            "improvements": r.improvements,
            # per item, what the leader may start the panel's feedback from (R14.4)
            "item_comments": r.item_comments,
            "submitted_at": r.submitted_at,
        }
        for r in rows
    ]


async def _opinion(
    application_id: str,
    body: PanelOpinionIn,
    s: Session,
    user: User,
    client: Temporal,
    cfg: Config,
    key: str | None,
) -> dict[str, Any]:
    e = await assigned_expert(s, user, application_id)
    total = await workflow_calls.application_update(
        client,
        cfg,
        application_id,
        ApplicationWorkflow.submit_panel_opinion,
        PanelOpinionInput(
            e.id, dict(body.scores), body.opinion, user.actor, dict(body.rationales), body.comments()
        ),
        key=f"opinion-{e.id}-{key or uuid.uuid4()}",
        result_type=str,
    )
    return {"application_id": application_id, "total": total}


@router.post(
    "/applications/{application_id}/panel-opinion",
    summary="The leader's consolidated opinion (R9.1)",
    dependencies=[gate(Role.EXPERT)],
)
async def panel_opinion(
    application_id: str,
    body: PanelOpinionIn,
    s: Session,
    user: User,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _opinion(application_id, body, s, user, client, cfg, key)


@router.post(
    "/applications/{application_id}/onsite-report",
    summary="The leader's on-site report (R14.5)",
    dependencies=[gate(Role.EXPERT)],
)
async def onsite_report(
    application_id: str,
    body: PanelOpinionIn,
    s: Session,
    user: User,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _opinion(application_id, body, s, user, client, cfg, key)


# --- the enterprise -------------------------------------------------------------------------------------
@router.post(
    "/applications/{application_id}/onsite-confirmation", summary="Confirm or dispute the on-site report"
)
async def confirm(
    application_id: str,
    body: ConfirmationIn,
    s: Session,
    user: EnterpriseUser,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    app = await repo.application(s, application_id)
    if app is None:
        raise not_found("申报", "Application")
    if app.enterprise_id != user.enterprise_id:
        raise forbidden("只能确认本单位的现场评审报告", "You may only confirm your own organisation's report")
    state = await workflow_calls.application_update(
        client,
        cfg,
        application_id,
        ApplicationWorkflow.confirm_onsite,
        ConfirmationInput(body.confirmed, body.reason, user.actor),
        key=f"confirm-{key or uuid.uuid4()}",
        result_type=str,
    )
    return {"application_id": application_id, "confirmation": state}


@router.get(
    "/applications/{application_id}/reviews", summary="Panel opinions and on-site report of an application"
)
async def reviews(application_id: str, s: Session, user: User) -> list[dict[str, Any]]:
    app = await repo.application(s, application_id)
    if app is None:
        raise not_found("申报", "Application")
    if user.role is Role.ENTERPRISE:
        if app.enterprise_id != user.enterprise_id:
            raise forbidden()
    elif user.role is Role.EXPERT:
        await assigned_expert(s, user, application_id)
    elif user.role not in (Role.OFFICE, Role.AUDITOR):
        raise forbidden()
    rows = (
        await s.scalars(
            select(m.PanelOpinion)
            .where(m.PanelOpinion.application_id == application_id)
            .order_by(m.PanelOpinion.id)
        )
    ).all()
    out = []
    for o in rows:
        item: dict[str, Any] = {
            "purpose": o.purpose,
            "total": o.total,
            "categories": o.category_points,
            "opinion": o.opinion,
            "submitted_at": o.submitted_at,
            "confirmation": o.confirmation,
            "dispute_reason": o.dispute_reason,
            "settlement": o.settlement,
            "visit_date": o.visit_date.isoformat() if isinstance(o.visit_date, date) else None,
        }
        if user.role is not Role.ENTERPRISE:  # the enterprise reads items in its feedback report
            item.update(scores=o.scores, rationales=o.rationales, item_comments=o.item_comments)
        out.append(item)
    return out
