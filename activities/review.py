"""Activities of expert review: panel draws (recorded, re-runnable), scores, opinions, confirmations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

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
from db import expert_queries as eq
from db import models as m
from db import repositories as repo
from db import review_queries as rq
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


ApplicationStep = RecordScoreInput | RecordOpinionInput | RecordConfirmationInput


async def _recorded(
    s: AsyncSession,
    inp: ApplicationStep,
    action: str,
    *,
    key: str,
    reason: str = "",
    details: dict[str, Any],
) -> None:
    """A step on an application: its audit entry (once, by `key`) and where the application
    stands after it, in the step's transaction."""
    await repo.audit_by(
        s,
        inp.actor,
        action,
        "application",
        inp.application_id,
        at=inp.at,
        reason=reason,
        details=details,
        key=key,
    )
    if inp.progress is not None:
        await record_progress(s, inp.progress)


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
        experts = await eq.experts(s)
        by_expert: dict[int, list[Engagement]] = {}
        for g in await rq.engagements(s):
            by_expert.setdefault(g.expert_id, []).append(
                Engagement(g.credit_code, EngagementKind(g.kind), g.start, g.end, g.note)
            )
        profiles = [
            ExpertProfile(e.id, e.name, e.current_employer_credit_code, tuple(by_expert.get(e.id, ())))
            for e in experts
        ]
        for d in detect_conflicts(profiles, credit_codes, on=on, window_years=window_years):
            await rq.record_detected_conflict(s, d, at)
        records = [
            ConflictRecord(
                c.expert_id,
                c.credit_code,
                ConflictType(c.type),
                ConflictSource(c.source),
                ConflictState(c.state),
            )
            for c in await rq.all_conflicts(s)
        ]
        load = await rq.panel_load(s, year)
        signed = await undertakings.signed_experts(s, year)  # Art. 20: no seat before the undertaking
        pool = [
            PoolExpert(e.id, tuple(e.fields), e.available, e.status != "ACTIVE", e.id not in signed)
            for e in experts
        ]
        return pool, blocking_pairs(records), load

    async def _seats(self, s: AsyncSession, members: tuple[int, ...], leader: int | None) -> list[PanelSeat]:
        experts = await rq.experts_by_id(s, members)
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
    async def _short_panels(
        s: AsyncSession, targets: list[str], purpose: ReviewPurpose
    ) -> tuple[dict[str, tuple[int, ...]], dict[str, list[int]]]:
        """Members already seated on the targets' short panels (in seat order), and the experts who
        left those panels (they never come back)."""
        seated: dict[str, list[int]] = {}
        former: dict[str, list[int]] = {}
        for app_id, expert_id, active in await rq.seat_history(s, targets, purpose):
            (seated if active else former).setdefault(app_id, []).append(expert_id)
        return {a: tuple(ms) for a, ms in seated.items()}, former

    async def _targets(self, s: AsyncSession, req: DrawRequest) -> list[str]:
        """The year's applications that wait for a panel of this purpose (PostgreSQL is the truth)."""
        stage = (
            ApplicationStage.AWAITING_DOCUMENT_REVIEW
            if req.purpose is ReviewPurpose.DOCUMENT
            else ApplicationStage.AWAITING_ONSITE
        )
        targets = await rq.awaiting_panel(s, req.year, stage, req.purpose, req.rules.panel_size)
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
            recorded = await rq.draw(s, req.draw_id)
            if recorded is None:
                targets = await self._targets(s, req)
                requests = [PanelRequest(a, c, f) for a, c, f in await rq.panel_requests(s, targets)]
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
                    for app_id, expert_id, _held in await rq.seat_history(s, targets, req.exclude_members_of):
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
                        "fills": await rq.filling_draws(s, sorted(seated), req.purpose),
                    },
                    result=result,
                    by=req.actor.username,
                    at=req.at,
                )
                for p in result.panels:  # a short panel is seated as far as it goes; a later draw fills it
                    await rq.seat_panel(
                        s, p, req.purpose, set(seated.get(p.application_id, ())), req.draw_id, req.at
                    )
                await s.flush()
                recorded = await rq.draw(s, req.draw_id)
                assert recorded is not None
            return self._outcome(recorded, req.rules.panel_size)

    @activity.defn
    async def draw_alternate(self, req: ReplacementRequest) -> ReplacementOutcome:
        """Replace one member of a panel by a reproducibly drawn alternate (recorded as its own draw)."""
        async with self.sessions.begin() as s:
            recorded = await rq.draw(s, req.draw_id)
            if recorded is None:
                seats = await rq.held_seats(s, req.application_id, req.purpose)
                if req.leaving not in {x.expert_id for x in seats}:
                    raise ApplicationError(f"expert {req.leaving} holds no seat", non_retryable=True)
                former = await rq.former_members(s, req.application_id, req.purpose)  # never come back
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
                    recorded = await rq.draw(s, req.draw_id)
                    assert recorded is not None
                    return await self._replacement(s, recorded, req)
                await rq.leave_panel(
                    s, req.application_id, req.purpose, req.leaving, at=req.at, reason=req.reason
                )
                await rq.seat_panel(s, new_panel, req.purpose, set(members), req.draw_id, req.at)
                await repo.audit_by(
                    s,
                    req.actor,
                    "EXPERT_REPLACED",
                    "application",
                    req.application_id,
                    at=req.at,
                    reason=req.reason,
                    details={"leaving": req.leaving, "purpose": req.purpose, "draw_id": req.draw_id},
                    key=f"replaced-{req.draw_id}",
                )
                await s.flush()
                recorded = await rq.draw(s, req.draw_id)
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
    async def _wake(self, inp: ApplicationStep) -> None:
        """After a step that moved the application on, the cycle's gates look again."""
        if inp.progress is not None:
            await self.wakeups.after_progress(inp.progress.year)

    @activity.defn
    async def record_expert_score(self, inp: RecordScoreInput) -> None:
        async with self.sessions.begin() as s:
            await rq.add_expert_score(
                s,
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
            await _recorded(
                s,
                inp,
                "EXPERT_SCORED",
                key=f"score-{inp.application_id}-{inp.purpose}-{inp.expert_id}",
                details={"purpose": inp.purpose, "expert_id": inp.expert_id, "total": inp.total},
            )

    @activity.defn
    async def record_panel_opinion(self, inp: RecordOpinionInput) -> None:
        async with self.sessions.begin() as s:
            await rq.add_panel_opinion(
                s,
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
            await _recorded(
                s,
                inp,
                f"PANEL_OPINION_{inp.purpose}",
                key=f"opinion-{inp.application_id}-{inp.purpose}",
                reason=inp.opinion,
                details={"total": inp.total, "rationales": inp.rationales},
            )
        await self._wake(inp)

    @activity.defn
    async def record_onsite_confirmation(self, inp: RecordConfirmationInput) -> None:
        async with self.sessions.begin() as s:
            opinion = await rq.onsite_opinion(s, inp.application_id)
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
                    await rq.set_score(s, inp.application_id, "onsite_score", inp.revised_total)
            opinion.confirmed_at = inp.at
            await _recorded(
                s,
                inp,
                f"ONSITE_{inp.confirmation}",
                key=f"onsite-{inp.confirmation}-{inp.application_id}",
                reason=inp.reason,
                details={"revised_total": inp.revised_total},
            )
        await self._wake(inp)

    @activity.defn
    async def fix_onsite_list(self, req: OnsiteListRequest) -> OnsiteListFixed:
        """The office fixes the on-site list from the document review opinions (R14.3): checked
        against the consolidated scores, recorded once, the listed applications moved on."""
        async with self.sessions.begin() as s:
            existing = await rq.fixed_onsite_list(s, req.year)
            if existing is None:
                scores = {
                    a: Decimal(score)
                    for a, score in (await rq.document_scores_awaiting_list(s, req.year)).items()
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
                await repo.audit_by(
                    s,
                    req.actor,
                    "ONSITE_LIST_FIXED",
                    "cycle",
                    str(req.year),
                    at=req.at,
                    reason=req.note,
                    details={"listed": listed, "not_listed": existing.not_listed},
                    key=f"onsite-list-{req.year}",
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
