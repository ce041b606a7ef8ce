"""Activities of expert review: panel draws (recorded, re-runnable), scores, opinions, confirmations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.award import record_progress
from activities.fanout import Wakeups
from config.temporal import refusal
from contracts.application import (
    PanelSeat,
    Progress,
    RecordConfirmationInput,
    RecordOpinionInput,
    RecordScoreInput,
    ReplacementOutcome,
    ReplacementRequest,
)
from contracts.cycle import DrawOutcome, DrawRequest, OnsiteListFixed, OnsiteListRequest, UnfilledSeatInfo
from db import models as m
from db import repositories as repo
from db import undertakings
from domain.calendar import cst_date
from domain.conflicts import (
    ConflictRecord,
    ConflictSource,
    ConflictState,
    ConflictType,
    Engagement,
    EngagementKind,
    ExpertProfile,
    blocking_pairs,
    detect_conflicts,
)
from domain.draw_record import encode_inputs, result_json
from domain.errors import DomainError, conflict, invalid
from domain.panel import DrawResult, DrawRules, Panel, PanelRequest, PoolExpert, draw_panels, draw_replacement
from domain.review import ReviewPurpose, check_onsite_list, comments_json
from domain.types import ApplicationStage, Outcome


def _rules(r: Any) -> DrawRules:
    return DrawRules(panel_size=r.panel_size, load_cap=r.expert_load_cap)


UNFILLED_SHOWN = 20  # unfilled seats listed in a draw's reply; all of them are in its record

LISTED_WAITING = "Listed for on-site review; waiting for the on-site panel and visit date"


class ReviewActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        self.sessions = sessions
        self.wakeups = Wakeups(sessions, client)

    # --- the pool as it stands at the draw --------------------------------------------------------
    async def _snapshot(
        self,
        s: AsyncSession,
        *,
        year: int,
        credit_codes: list[str],
        on: date,
        window_years: int,
        at: datetime,
    ) -> tuple[list[PoolExpert], frozenset[tuple[int, str]], dict[int, int]]:
        experts = (await s.scalars(select(m.Expert).order_by(m.Expert.id))).all()
        engagements = (await s.scalars(select(m.ExpertEngagement))).all()
        by_expert: dict[int, list[Engagement]] = {}
        for g in engagements:
            by_expert.setdefault(g.expert_id, []).append(
                Engagement(g.credit_code, EngagementKind(g.kind), g.start, g.end, g.note)
            )
        profiles = [
            ExpertProfile(e.id, e.name, e.current_employer_credit_code, tuple(by_expert.get(e.id, ())))
            for e in experts
        ]
        for d in detect_conflicts(profiles, credit_codes, on=on, window_years=window_years):
            await s.execute(
                insert(m.Conflict)
                .values(
                    expert_id=d.expert_id,
                    credit_code=d.credit_code,
                    type=d.type,
                    source=ConflictSource.DETECTED,
                    evidence=d.evidence_zh,
                    state=ConflictState.SUSPECTED,
                    recorded_by="system",
                    recorded_at=at,
                )
                .on_conflict_do_nothing(constraint="uq_conflicts_pair_type")
            )
        records = [
            ConflictRecord(
                c.expert_id,
                c.credit_code,
                ConflictType(c.type),
                ConflictSource(c.source),
                ConflictState(c.state),
            )
            for c in (await s.scalars(select(m.Conflict))).all()
        ]
        load_rows = await s.execute(
            select(m.PanelMember.expert_id, func.count())
            .join(m.Application, m.Application.id == m.PanelMember.application_id)
            .where(m.Application.cycle_year == year, m.PanelMember.active.is_(True))
            .group_by(m.PanelMember.expert_id)
        )
        signed = await undertakings.signed_experts(s, year)  # Art. 20: no seat before the undertaking
        pool = [
            PoolExpert(e.id, tuple(e.fields), e.available, e.status != "ACTIVE", e.id not in signed)
            for e in experts
        ]
        return pool, blocking_pairs(records), {int(k): int(v) for k, v in load_rows.all()}

    async def _seats(self, s: AsyncSession, members: tuple[int, ...], leader: int | None) -> list[PanelSeat]:
        experts = {e.id: e for e in (await s.scalars(select(m.Expert).where(m.Expert.id.in_(members)))).all()}
        return [PanelSeat(x, experts[x].name, experts[x].user_id, x == leader) for x in members]

    async def _record_draw(
        self,
        s: AsyncSession,
        *,
        draw_id: str,
        year: int,
        purpose: str,
        seed: int,
        inputs: dict[str, Any],
        result: DrawResult,
        by: str,
        at: datetime,
    ) -> None:
        s.add(
            m.PanelDraw(
                id=draw_id,
                cycle_year=year,
                purpose=purpose,
                seed=seed,
                input_hash=result.input_hash,
                inputs=inputs,
                result=result_json(result),
                drawn_by=by,
                drawn_at=at,
            )
        )
        await repo.audit(
            s,
            key=f"draw-{draw_id}",
            at=at,
            actor=by,
            actor_role="office",
            action="PANEL_DRAWN",
            entity_type="draw",
            entity_id=draw_id,
            details={
                "seed": seed,
                "input_hash": result.input_hash,
                "purpose": purpose,
                "panels": len(result.panels),
                "unfilled": len(result.unfilled),
                **({"skipped": [x.expert_id for x in result.skipped]} if result.skipped else {}),
            },
        )

    @staticmethod
    def _outcome(record: m.PanelDraw, panel_size: int) -> DrawOutcome:
        seated = sum(
            len(p["members"]) >= panel_size
            and not (record.purpose == "REPLACEMENT" and record.result["unfilled"])
            for p in record.result["panels"]
        )
        unfilled = [
            UnfilledSeatInfo(u["application_id"], u["seat"], u["reason_code"], u["reason_zh"], u["reason_en"])
            for u in record.result["unfilled"]
        ]
        return DrawOutcome(
            record.id, record.seed, record.input_hash, seated, unfilled[:UNFILLED_SHOWN], len(unfilled)
        )

    @staticmethod
    async def _seat(
        s: AsyncSession, panel: Panel, purpose: ReviewPurpose, kept: set[int], draw_id: str, at: datetime
    ) -> None:
        """Seat the panel's members who are not seated yet, and mark its leader among all held seats."""
        for x in panel.members:
            if x not in kept:
                s.add(
                    m.PanelMember(
                        application_id=panel.application_id,
                        purpose=purpose,
                        expert_id=x,
                        leader=False,
                        active=True,
                        draw_id=draw_id,
                        joined_at=at,
                    )
                )
        await s.flush()
        await s.execute(
            update(m.PanelMember)
            .where(
                m.PanelMember.application_id == panel.application_id,
                m.PanelMember.purpose == purpose,
                m.PanelMember.active.is_(True),
            )
            .values(leader=m.PanelMember.expert_id == panel.leader)
        )

    @staticmethod
    async def _short_panels(
        s: AsyncSession, targets: list[str], purpose: ReviewPurpose
    ) -> tuple[dict[str, tuple[int, ...]], dict[str, list[int]]]:
        """Members already seated on the targets' short panels (in seat order), and the experts who
        left those panels (they never come back)."""
        rows = await s.execute(
            select(m.PanelMember.application_id, m.PanelMember.expert_id, m.PanelMember.active)
            .where(m.PanelMember.application_id.in_(targets), m.PanelMember.purpose == purpose)
            .order_by(m.PanelMember.id)
        )
        seated: dict[str, list[int]] = {}
        former: dict[str, list[int]] = {}
        for app_id, expert_id, active in rows.all():
            (seated if active else former).setdefault(app_id, []).append(int(expert_id))
        return {a: tuple(ms) for a, ms in seated.items()}, former

    @staticmethod
    async def _seated_by(
        s: AsyncSession, applications: list[str], purpose: ReviewPurpose
    ) -> dict[str, list[str]]:
        rows = await s.execute(
            select(m.PanelMember.application_id, m.PanelMember.draw_id)
            .where(
                m.PanelMember.application_id.in_(applications),
                m.PanelMember.purpose == purpose,
                m.PanelMember.active.is_(True),
            )
            .distinct()
        )
        found: dict[str, list[str]] = {}
        for app_id, draw_id in rows.all():
            found.setdefault(app_id, []).append(draw_id)
        return {a: sorted(ds) for a, ds in found.items()}

    async def _targets(self, s: AsyncSession, req: DrawRequest) -> list[str]:
        """The year's applications that wait for a panel of this purpose (PostgreSQL is the truth)."""
        stage = (
            ApplicationStage.AWAITING_DOCUMENT_REVIEW
            if req.purpose is ReviewPurpose.DOCUMENT
            else ApplicationStage.AWAITING_ONSITE
        )
        seated = (  # applications whose panel of this purpose is complete
            select(m.PanelMember.application_id)
            .where(m.PanelMember.purpose == req.purpose, m.PanelMember.active.is_(True))
            .group_by(m.PanelMember.application_id)
            .having(func.count() >= req.rules.panel_size)
        )
        targets = list(
            (
                await s.scalars(
                    select(m.Application.id)
                    .where(
                        m.Application.cycle_year == req.year,
                        m.Application.stage == stage,
                        m.Application.id.not_in(seated),
                    )
                    .order_by(m.Application.id)
                )
            ).all()
        )
        try:
            if not targets:
                raise conflict(
                    "NOTHING_TO_DRAW", "所有申报均已抽取评审组", "Every application already has its panel"
                )
            if req.purpose is ReviewPurpose.ONSITE:
                missing = [a for a in targets if a not in req.visits]
                if missing:
                    raise invalid(
                        "VISIT_DATE_REQUIRED",
                        "请为以下申报安排现场评审日期：" + "、".join(missing),
                        "Schedule the visit date of: " + ", ".join(missing),
                    )
        except DomainError as e:
            raise refusal(e) from None
        return targets

    # --- draws ------------------------------------------------------------------------------------
    @activity.defn
    async def draw_review_panels(self, req: DrawRequest) -> DrawOutcome:
        """Draw the panels of every application that waits for one, once; a retry returns the
        recorded draw. The panels are recorded here; `announce_panels` tells the applications."""
        async with self.sessions.begin() as s:
            recorded = await s.get(m.PanelDraw, req.draw_id)
            if recorded is None:
                targets = await self._targets(s, req)
                rows = (
                    await s.execute(
                        select(m.Application.id, m.Enterprise.credit_code, m.Application.field)
                        .join(m.Enterprise, m.Enterprise.id == m.Application.enterprise_id)
                        .where(m.Application.id.in_(targets))
                        .order_by(m.Application.id)
                    )
                ).all()
                requests = [PanelRequest(a, c, f) for a, c, f in rows]
                pool, conflicts, load = await self._snapshot(
                    s,
                    year=req.year,
                    credit_codes=[r.credit_code for r in requests],
                    on=cst_date(req.at),
                    window_years=req.rules.conflict_window_years,
                    at=req.at,
                )
                rules = _rules(req.rules)
                seated, former = await self._short_panels(s, targets, req.purpose)
                exclude: dict[str, set[int]] = {a: set(ids) for a, ids in former.items()}
                if req.exclude_members_of is not None:
                    earlier = await s.execute(
                        select(m.PanelMember.application_id, m.PanelMember.expert_id).where(
                            m.PanelMember.application_id.in_(targets),
                            m.PanelMember.purpose == req.exclude_members_of,
                        )
                    )
                    for app_id, expert_id in earlier.all():
                        exclude.setdefault(app_id, set()).add(expert_id)
                result = draw_panels(
                    requests,
                    pool,
                    conflicts,
                    rules,
                    req.seed,
                    existing_load=load,
                    exclude=exclude,
                    seated=seated,
                )
                await self._record_draw(
                    s,
                    draw_id=req.draw_id,
                    year=req.year,
                    purpose=req.purpose,
                    seed=req.seed,
                    inputs={
                        **encode_inputs(requests, pool, conflicts, rules, load, exclude, seated=seated),
                        "visits": {a: d.isoformat() for a, d in sorted(req.visits.items()) if a in targets},
                        # the draws whose members a short panel keeps (this draw fills their seats)
                        "fills": await self._seated_by(s, sorted(seated), req.purpose),
                    },
                    result=result,
                    by=req.actor.username,
                    at=req.at,
                )
                for p in result.panels:  # a short panel is seated as far as it goes; a later draw fills it
                    await self._seat(
                        s, p, req.purpose, set(seated.get(p.application_id, ())), req.draw_id, req.at
                    )
                await s.flush()
                recorded = await s.get(m.PanelDraw, req.draw_id)
                assert recorded is not None
            return self._outcome(recorded, req.rules.panel_size)

    @activity.defn
    async def draw_alternate(self, req: ReplacementRequest) -> ReplacementOutcome:
        """Replace one member of a panel by a reproducibly drawn alternate (recorded as its own draw)."""
        async with self.sessions.begin() as s:
            recorded = await s.get(m.PanelDraw, req.draw_id)
            if recorded is None:
                seats = (
                    await s.scalars(
                        select(m.PanelMember)
                        .where(
                            m.PanelMember.application_id == req.application_id,
                            m.PanelMember.purpose == req.purpose,
                            m.PanelMember.active.is_(True),
                        )
                        .order_by(m.PanelMember.id)
                    )
                ).all()
                if req.leaving not in {x.expert_id for x in seats}:
                    raise ApplicationError(f"expert {req.leaving} holds no seat", non_retryable=True)
                former = set(
                    (
                        await s.scalars(
                            select(m.PanelMember.expert_id).where(
                                m.PanelMember.application_id == req.application_id,
                                m.PanelMember.purpose == req.purpose,
                                m.PanelMember.active.is_(False),
                            )
                        )
                    ).all()
                )  # who left this panel never comes back
                app = await repo.application(s, req.application_id)
                assert app is not None
                ent = await repo.enterprise(s, app.enterprise_id)
                assert ent is not None
                request = PanelRequest(app.id, ent.credit_code, app.field)
                pool, conflicts, load = await self._snapshot(
                    s,
                    year=req.year,
                    credit_codes=[ent.credit_code],
                    on=cst_date(req.at),
                    window_years=req.rules.conflict_window_years,
                    at=req.at,
                )
                fields = {e.expert_id: set(e.fields) for e in pool}
                members = tuple(x.expert_id for x in seats)
                leader = next((x.expert_id for x in seats if x.leader), None)
                panel = Panel(
                    app.id, members, leader, tuple(x for x in members if app.field in fields.get(x, ()))
                )
                rules = _rules(req.rules)
                result = draw_replacement(
                    panel,
                    req.leaving,
                    request,
                    pool,
                    conflicts,
                    rules,
                    req.seed,
                    existing_load=load,
                    exclude=former,
                )
                await self._record_draw(
                    s,
                    draw_id=req.draw_id,
                    year=req.year,
                    purpose="REPLACEMENT",
                    seed=req.seed,
                    inputs=encode_inputs(
                        [request],
                        pool,
                        conflicts,
                        rules,
                        load,
                        {app.id: former},
                        replacing=(panel, req.leaving),
                    ),
                    result=result,
                    by=req.actor.username,
                    at=req.at,
                )
                new_panel = result.panels[0] if result.panels and not result.unfilled else None
                if new_panel is None:  # no eligible alternate: the panel stays as it is
                    await s.flush()
                    recorded = await s.get(m.PanelDraw, req.draw_id)
                    assert recorded is not None
                    return await self._replacement(s, recorded, req)
                await s.execute(
                    update(m.PanelMember)
                    .where(
                        m.PanelMember.application_id == req.application_id,
                        m.PanelMember.purpose == req.purpose,
                        m.PanelMember.expert_id == req.leaving,
                    )
                    .values(active=False, leader=False, left_at=req.at, left_reason=req.reason)
                )
                await self._seat(s, new_panel, req.purpose, set(members), req.draw_id, req.at)
                await repo.audit(
                    s,
                    key=f"replaced-{req.draw_id}",
                    at=req.at,
                    actor=req.actor.username,
                    actor_role=req.actor.role,
                    action="EXPERT_REPLACED",
                    entity_type="application",
                    entity_id=req.application_id,
                    reason=req.reason,
                    details={"leaving": req.leaving, "purpose": req.purpose, "draw_id": req.draw_id},
                )
                await s.flush()
                recorded = await s.get(m.PanelDraw, req.draw_id)
                assert recorded is not None
            return await self._replacement(s, recorded, req)

    async def _replacement(
        self, s: AsyncSession, record: m.PanelDraw, req: ReplacementRequest
    ) -> ReplacementOutcome:
        if record.result["unfilled"] or not record.result["panels"]:
            u = record.result["unfilled"][0] if record.result["unfilled"] else {}
            return ReplacementOutcome(record.id, None, u.get("reason_zh", ""))
        p = record.result["panels"][0]
        return ReplacementOutcome(record.id, await self._seats(s, tuple(p["members"]), p["leader"]))

    # --- scores, opinions, confirmations ----------------------------------------------------------
    @activity.defn
    async def record_expert_score(self, inp: RecordScoreInput) -> None:
        async with self.sessions.begin() as s:
            await s.execute(
                insert(m.ExpertScore)
                .values(
                    application_id=inp.application_id,
                    purpose=inp.purpose,
                    expert_id=inp.expert_id,
                    scores=inp.scores,
                    total=inp.total,
                    strengths=inp.strengths,
                    improvements=inp.improvements,
                    item_comments=comments_json(inp.item_comments),
                    submitted_at=inp.at,
                )
                .on_conflict_do_nothing(constraint="uq_expert_scores_once")
            )
            await repo.audit(
                s,
                key=f"score-{inp.application_id}-{inp.purpose}-{inp.expert_id}",
                at=inp.at,
                actor=inp.actor.username,
                actor_role=inp.actor.role,
                action="EXPERT_SCORED",
                entity_type="application",
                entity_id=inp.application_id,
                details={"purpose": inp.purpose, "expert_id": inp.expert_id, "total": inp.total},
            )
            if inp.progress is not None:
                await record_progress(s, inp.progress)

    @activity.defn
    async def record_panel_opinion(self, inp: RecordOpinionInput) -> None:
        async with self.sessions.begin() as s:
            await s.execute(
                insert(m.PanelOpinion)
                .values(
                    application_id=inp.application_id,
                    purpose=inp.purpose,
                    leader_expert_id=inp.leader_expert_id,
                    scores=inp.scores,
                    total=inp.total,
                    category_points=inp.category_points,
                    opinion=inp.opinion,
                    rationales=inp.rationales,
                    item_comments=comments_json(inp.item_comments),
                    submitted_at=inp.at,
                    visit_date=inp.visit_date,
                )
                .on_conflict_do_nothing(constraint="uq_panel_opinions_once")
            )
            column = "document_score" if inp.purpose == ReviewPurpose.DOCUMENT else "onsite_score"
            await s.execute(
                update(m.Application)
                .where(m.Application.id == inp.application_id)
                .values({column: inp.total})
            )
            await repo.audit(
                s,
                key=f"opinion-{inp.application_id}-{inp.purpose}",
                at=inp.at,
                actor=inp.actor.username,
                actor_role=inp.actor.role,
                action=f"PANEL_OPINION_{inp.purpose}",
                entity_type="application",
                entity_id=inp.application_id,
                reason=inp.opinion,
                details={"total": inp.total, "rationales": inp.rationales},
            )
            if inp.progress is not None:
                await record_progress(s, inp.progress)
        if inp.progress is not None:
            await self.wakeups.after_progress(inp.progress.year)

    @activity.defn
    async def record_onsite_confirmation(self, inp: RecordConfirmationInput) -> None:
        async with self.sessions.begin() as s:
            opinion = await s.scalar(
                select(m.PanelOpinion).where(
                    m.PanelOpinion.application_id == inp.application_id,
                    m.PanelOpinion.purpose == ReviewPurpose.ONSITE,
                )
            )
            if opinion is None:
                raise ApplicationError("no on-site report to confirm", non_retryable=True)
            if inp.confirmation in ("CONFIRMED", "DISPUTED", "DEEMED_CONFIRMED"):
                opinion.confirmation = inp.confirmation
                opinion.dispute_reason = (
                    inp.reason if inp.confirmation == "DISPUTED" else opinion.dispute_reason
                )
            else:  # SETTLED
                opinion.confirmation, opinion.settlement = "SETTLED", inp.reason
                if inp.revised_scores is not None and inp.revised_total is not None:
                    opinion.scores, opinion.total = inp.revised_scores, inp.revised_total
                    await s.execute(
                        update(m.Application)
                        .where(m.Application.id == inp.application_id)
                        .values(onsite_score=inp.revised_total)
                    )
            opinion.confirmed_at = inp.at
            await repo.audit(
                s,
                key=f"onsite-{inp.confirmation}-{inp.application_id}",
                at=inp.at,
                actor=inp.actor.username,
                actor_role=inp.actor.role,
                action=f"ONSITE_{inp.confirmation}",
                entity_type="application",
                entity_id=inp.application_id,
                reason=inp.reason,
                details={"revised_total": inp.revised_total},
            )
            if inp.progress is not None:
                await record_progress(s, inp.progress)
        if inp.progress is not None:
            await self.wakeups.after_progress(inp.progress.year)

    @activity.defn
    async def fix_onsite_list(self, req: OnsiteListRequest) -> OnsiteListFixed:
        """The office fixes the on-site list from the document review opinions (R14.3): checked
        against the consolidated scores, recorded once, the listed applications moved on."""
        async with self.sessions.begin() as s:
            existing = await s.get(m.OnsiteList, req.year)
            if existing is None:
                scores = {
                    a: Decimal(score)
                    for a, score in (
                        await s.execute(
                            select(m.Application.id, m.Application.document_score).where(
                                m.Application.cycle_year == req.year,
                                m.Application.stage == ApplicationStage.AWAITING_ONSITE_LIST,
                            )
                        )
                    ).all()
                    if score is not None
                }
                try:
                    check_onsite_list(
                        scores, req.listed, threshold=int(Decimal(req.threshold)), note=req.note
                    )
                except DomainError as e:
                    raise refusal(e) from None
                listed = sorted(req.listed)
                existing = m.OnsiteList(
                    cycle_year=req.year,
                    listed=listed,
                    not_listed=sorted(set(scores) - set(listed)),
                    note=req.note,
                    fixed_by=req.actor.username,
                    fixed_at=req.at,
                )
                s.add(existing)
                for app_id in listed:  # moved on here, so the on-site gate counts them at once
                    await record_progress(
                        s,
                        Progress(
                            app_id,
                            req.year,
                            ApplicationStage.AWAITING_ONSITE,
                            Outcome.SHORTLISTED,
                            LISTED_WAITING,
                            req.at,
                        ),
                    )
                await repo.audit(
                    s,
                    key=f"onsite-list-{req.year}",
                    at=req.at,
                    actor=req.actor.username,
                    actor_role=req.actor.role,
                    action="ONSITE_LIST_FIXED",
                    entity_type="cycle",
                    entity_id=str(req.year),
                    reason=req.note,
                    details={"listed": listed, "not_listed": existing.not_listed},
                )
            return OnsiteListFixed(len(existing.listed), len(existing.not_listed))

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.draw_review_panels,
            self.draw_alternate,
            self.record_expert_score,
            self.record_panel_opinion,
            self.record_onsite_confirmation,
            self.fix_onsite_list,
        ]
