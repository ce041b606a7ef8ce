"""Expert review through the API: panel draws (and their re-verification), expert scores, panel
opinions, replacements, the on-site list, on-site reports and their confirmation (Art. 9, 14, 20).

Confidentiality (R20.2): an expert sees only the applications on whose panel they sit, and no other
member's scores before submitting their own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends

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
from db import review_queries as rq
from db import undertakings
from domain.draw_record import rerun, result_json
from domain.review import ReviewPurpose
from domain.types import Role
from domain.undertaking import not_signed
from workflows.application import ApplicationWorkflow
from workflows.cycle import AwardCycleWorkflow

from ..calls import Action, acting
from ..deps import Session, User, gate
from ..errors import forbidden, not_found
from ..resources.application import Access, PanelReader, ReviewedApplication, assigned, expert_of
from ..resources.cycle import Cycle
from ..responses.review import (
    AssignmentOut,
    ConfirmationOut,
    DocumentScore,
    DocumentScores,
    DrawnPanels,
    DrawRecord,
    DrawVerification,
    ExpertScoreOut,
    OnsiteListOut,
    OpinionAccepted,
    PanelMembers,
    ReviewOut,
    ScoreAccepted,
    SeatOut,
    SettlementOut,
    SkippedExpertOut,
    UnfilledSeatOut,
)
from ..schemas import (
    ConfirmationIn,
    DrawIn,
    ExpertScoreIn,
    OnsiteListIn,
    PanelOpinionIn,
    ReplaceIn,
    SettlementIn,
)

__all__ = ["expert_of", "router"]  # expert_of: the undertaking's routes find the expert with it

router = APIRouter(tags=["review"])
DRAW_READERS = (Role.OFFICE, Role.COMMITTEE, Role.GOVERNMENT, Role.AUDITOR)
CONFIRMER = Access("只能确认本单位的现场评审报告", "You may only confirm your own organisation's report")


async def _drawn(s: Session, o: DrawOutcome) -> DrawnPanels:
    """The draw as recorded: its panels are read from PostgreSQL, not carried through Temporal.
    `panels` are the complete ones (announced); `short` those with a seat the pool could not fill,
    seated as far as they go, for a later draw to fill once the pool has changed."""
    complete = await repo.panels_of_draw(s, o.draw_id, complete_only=True)
    every = await repo.panels_of_draw(s, o.draw_id, complete_only=False)
    record = await rq.draw(s, o.draw_id)

    def seats(
        found: dict[str, list[tuple[int, str, int | None, bool]]], apps: list[str]
    ) -> dict[str, list[SeatOut]]:
        return {a: [SeatOut(expert_id=x, name=n, leader=lead) for x, n, _u, lead in found[a]] for a in apps}

    return DrawnPanels(
        draw_id=o.draw_id,
        seed=o.seed,
        input_hash=o.input_hash,
        panels=seats(complete, sorted(complete)),
        short=seats(every, sorted(set(every) - set(complete))),
        unfilled=[UnfilledSeatOut(**u.__dict__) for u in o.unfilled],
        unfilled_count=o.unfilled_count,
        # experts the draw left out for not having signed the cycle's undertaking (Art. 20)
        skipped=[SkippedExpertOut(**x) for x in (record.result.get("skipped", []) if record else [])],
    )


async def _recorded_draw(draw_id: str, s: Session, user: User) -> m.PanelDraw:
    """A recorded draw, for the office, the committee, the government and the auditor."""
    if user.role not in DRAW_READERS:
        raise forbidden()
    d = await rq.draw(s, draw_id)
    if d is None:
        raise not_found("抽取记录", "Draw")
    return d


RecordedDraw = Annotated[m.PanelDraw, Depends(_recorded_draw)]


# --- the office: draws, lists, replacements, settlements --------------------------------------------
@router.post(
    "/cycles/{year}/panels",
    response_model=DrawnPanels,
    summary="Draw the review panels that are due (document or on-site)",
    dependencies=[gate(Role.OFFICE)],
)
async def draw_panels(
    year: int, body: DrawIn, s: Session, act: Annotated[Action, acting("draw")]
) -> DrawnPanels:
    inp = DrawPanelsInput(act.actor, dict(body.visits))
    return await _drawn(
        s, await act.cycle(year, AwardCycleWorkflow.draw_panels, inp, result_type=DrawOutcome)
    )


@router.get(
    "/draws/{draw_id}",
    response_model=DrawRecord,
    summary="A recorded draw: seed, inputs' hash, inputs and result",
)
async def get_draw(d: RecordedDraw) -> DrawRecord:
    return DrawRecord.model_validate(d)


@router.get(
    "/draws/{draw_id}/verify",
    response_model=DrawVerification,
    summary="Re-run a recorded draw from its inputs and seed",
)
async def verify_draw(d: RecordedDraw) -> DrawVerification:
    """Anyone with the office, committee or government role can show that the recorded panels are
    exactly what the draw gives for the recorded inputs and seed."""
    again = result_json(rerun(d.inputs, d.seed))
    return DrawVerification(
        draw_id=d.id,
        seed=d.seed,
        recorded_hash=d.input_hash,
        recomputed_hash=again["input_hash"],
        same_panels=again["panels"] == d.result["panels"] and again["unfilled"] == d.result["unfilled"],
        matches=again == d.result,
        panels=again["panels"],
    )


@router.get(
    "/cycles/{year}/document-scores",
    response_model=DocumentScores,
    summary="Consolidated document review scores and the threshold",
    dependencies=[gate(Role.OFFICE, Role.AUDITOR)],
)
async def document_scores(c: Cycle, s: Session) -> DocumentScores:
    threshold = repo.cycle_rules(c).onsite_threshold
    items = [
        DocumentScore(
            application_id=o.application_id,
            total=o.total,
            opinion=o.opinion,
            at_or_above_threshold=Decimal(o.total) >= threshold,
        )
        for o in await rq.document_opinions(s, c.year)
    ]
    return DocumentScores(
        threshold=threshold, applications=sorted(items, key=lambda x: -Decimal(str(x.total)))
    )


@router.post(
    "/cycles/{year}/onsite-list",
    response_model=OnsiteListOut,
    summary="Fix the on-site review list (R14.3)",
    dependencies=[gate(Role.OFFICE)],
)
async def fix_onsite_list(
    year: int, body: OnsiteListIn, s: Session, act: Annotated[Action, acting("onsite-list")]
) -> OnsiteListOut:
    inp = OnsiteListInput(list(body.application_ids), body.note, act.actor)
    await act.cycle(year, AwardCycleWorkflow.fix_onsite_list, inp, result_type=OnsiteListFixed)
    listed, not_listed, _note = await repo.onsite_list(s, year)
    return OnsiteListOut(listed=listed, not_listed=not_listed)


@router.post(
    "/applications/{application_id}/panel/replace",
    response_model=PanelMembers,
    summary="Replace a panel member by a drawn alternate",
    dependencies=[gate(Role.OFFICE)],
)
async def replace_expert(
    application_id: str, body: ReplaceIn, act: Annotated[Action, acting("replace")]
) -> PanelMembers:
    inp = ReplaceExpertInput(body.expert_id, body.reason, act.actor)
    seats = await act.application(
        application_id, ApplicationWorkflow.replace_expert, inp, result_type=list[PanelSeat]
    )
    return PanelMembers(members=[SeatOut(expert_id=x.expert_id, name=x.name, leader=x.leader) for x in seats])


@router.post(
    "/applications/{application_id}/onsite-settlement",
    response_model=SettlementOut,
    summary="Settle the enterprise's dispute",
    dependencies=[gate(Role.OFFICE)],
)
async def settle(
    application_id: str, body: SettlementIn, act: Annotated[Action, acting("settle")]
) -> SettlementOut:
    inp = SettlementInput(body.settlement, act.actor, body.revised_scores)
    total = await act.application(application_id, ApplicationWorkflow.settle_dispute, inp, result_type=str)
    return SettlementOut(application_id=application_id, onsite_total=total)


# --- experts ------------------------------------------------------------------------------------------
@router.get(
    "/expert/assignments",
    response_model=list[AssignmentOut],
    summary="The applications on whose panels I sit",
)
async def my_assignments(s: Session, user: User) -> list[AssignmentOut]:
    e = await expert_of(s, user)
    unsigned = await undertakings.unsigned_years(s, e.id, await undertakings.running_years(s))
    if unsigned:  # Art. 20: the undertaking of every running cycle comes before its assignments
        raise not_signed(unsigned)
    readable = await repo.expert_seats(s, user.id)
    scored = await rq.scored_by(s, e.id)
    return [
        AssignmentOut(
            application_id=x.application_id,
            purpose=x.purpose,
            leader=x.leader,
            scored=(x.application_id, x.purpose) in scored,
            joined_at=x.joined_at,
        )
        for x in await rq.expert_seats_held(s, e.id)
        if (x.application_id, x.purpose) in readable
    ]


@router.post(
    "/applications/{application_id}/scores",
    response_model=ScoreAccepted,
    summary="Submit my independent scores (R14.2)",
    dependencies=[gate(Role.EXPERT)],
)
async def submit_scores(
    application_id: str, body: ExpertScoreIn, s: Session, act: Annotated[Action, acting("score")]
) -> ScoreAccepted:
    e = (await assigned(s, act.user, application_id)).expert
    inp = ExpertScoreInput(
        e.id, dict(body.scores), body.strengths, body.improvements, act.actor, body.comments()
    )
    total = await act.application(
        application_id, ApplicationWorkflow.submit_expert_score, inp, result_type=str, by=e.id
    )
    return ScoreAccepted(application_id=application_id, expert_id=e.id, total=total)


@router.get(
    "/applications/{application_id}/scores",
    response_model=list[ExpertScoreOut],
    summary="Scores of a panel (after submitting one's own)",
)
async def panel_scores(
    application_id: str, s: Session, reader: PanelReader, purpose: ReviewPurpose = ReviewPurpose.DOCUMENT
) -> list[ExpertScoreOut]:
    rows = await rq.scores_of(s, application_id, purpose)
    if reader is not None and reader.expert.id not in {r.expert_id for r in rows}:
        raise forbidden(
            "提交本人评分前不能查看其他专家的评分",
            "You see other members' scores only after submitting your own",
        )
    return [ExpertScoreOut.model_validate(r) for r in rows]


# The leader's consolidated opinion (R9.1) and the on-site report (R14.5) are one update.
async def submit_opinion(
    application_id: str, body: PanelOpinionIn, s: Session, act: Annotated[Action, acting("opinion")]
) -> OpinionAccepted:
    e = (await assigned(s, act.user, application_id)).expert
    inp = PanelOpinionInput(
        e.id, dict(body.scores), body.opinion, act.actor, dict(body.rationales), body.comments()
    )
    total = await act.application(
        application_id, ApplicationWorkflow.submit_panel_opinion, inp, result_type=str, by=e.id
    )
    return OpinionAccepted(application_id=application_id, total=total)


for _name, _path, _summary in (
    ("panel_opinion", "panel-opinion", "The leader's consolidated opinion (R9.1)"),
    ("onsite_report", "onsite-report", "The leader's on-site report (R14.5)"),
):
    router.post(
        f"/applications/{{application_id}}/{_path}",
        name=_name,
        response_model=OpinionAccepted,
        summary=_summary,
        dependencies=[gate(Role.EXPERT)],
    )(submit_opinion)


# --- the enterprise -------------------------------------------------------------------------------------
@router.post(
    "/applications/{application_id}/onsite-confirmation",
    response_model=ConfirmationOut,
    summary="Confirm or dispute the on-site report",
    dependencies=[gate(Role.ENTERPRISE)],
)
async def confirm(
    application_id: str, body: ConfirmationIn, s: Session, act: Annotated[Action, acting("confirm")]
) -> ConfirmationOut:
    app = await CONFIRMER(s, act.user, application_id)
    inp = ConfirmationInput(body.confirmed, body.reason, act.actor)
    state = await act.application(app.id, ApplicationWorkflow.confirm_onsite, inp, result_type=str)
    return ConfirmationOut(application_id=app.id, confirmation=state)


@router.get(
    "/applications/{application_id}/reviews",
    response_model=list[ReviewOut],
    response_model_exclude_unset=True,  # the enterprise's items: no scores, rationales, comments
    summary="Panel opinions and on-site report of an application",
)
async def reviews(app: ReviewedApplication, s: Session, user: User) -> list[ReviewOut]:
    out = []
    for o in await rq.opinions_of(s, app.id):
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
            item |= {"scores": o.scores, "rationales": o.rationales, "item_comments": o.item_comments}
        out.append(ReviewOut(**item))
    return out
