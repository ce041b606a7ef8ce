"""Activities of the cycle and application workflows: records of the cycle, where each application
stands, the qualification checks and decision. Every write is idempotent (keyed) and carries the
notices its step sends (the outbox, delivered by the worker's relay)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.fanout import Wakeups
from activities.feedback import write_feedback_report
from activities.notices import write_notices
from contracts.application import Progress, QualificationChecksInput, RecordDecisionInput
from contracts.common import NoticeInput, StepFailed
from contracts.cycle import CycleStageInput, DeadlineExtendedInput, GateInput, GateStatus, RecordCycleInput
from db import models as m
from db import repositories as repo
from db.jsonable import jsonable
from domain.eligibility import (
    CONDITIONS,
    CheckStatus,
    Condition,
    ConditionCheck,
    EligibilityInput,
    check_eligibility,
)
from domain.progress import waiting_for_decision
from domain.types import ApplicationStage, Outcome


async def record_progress(s: AsyncSession, p: Progress) -> None:
    """Where the application stands after a step, with the notices the step sends, in the step's
    transaction; audited once per stage."""
    written = await repo.set_application_progress(
        s,
        p.application_id,
        stage=p.stage,
        outcome=p.outcome,
        waiting_for=p.waiting_for,
        due_at=p.due_at,
        at=p.at,
    )
    if written:
        await repo.audit(
            s,
            key=f"application-stage-{p.application_id}-{p.stage}",
            at=p.at,
            actor="system",
            actor_role="system",
            action=f"APPLICATION_{p.stage}",
            entity_type="application",
            entity_id=p.application_id,
            details={"outcome": p.outcome},
        )
    await write_notices(s, p.notices)
    # a path that ends here after document review: its feedback report with the result letter (R14.4)
    await write_feedback_report(s, p)


class AwardActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        self.sessions = sessions
        self.wakeups = Wakeups(sessions, client)

    # --- cycle -------------------------------------------------------------------------------
    @activity.defn
    async def record_cycle_started(self, inp: RecordCycleInput) -> None:
        """Record the cycle with its frozen rules and publish the call (R3.1, R21.1)."""
        r = inp.rules
        async with self.sessions.begin() as s:
            await s.execute(
                insert(m.Cycle)
                .values(
                    year=r.year,
                    workflow_id=inp.workflow_id,
                    rules=jsonable(asdict(r)),
                    rules_revision=r.rules_revision,
                    criteria_edition=r.criteria_edition,
                    deadline=r.application_deadline,
                    stage="CALL_OPEN",
                    started_by=inp.actor.username,
                    started_at=inp.at,
                    intake_open=True,
                    updated_at=inp.at,
                )
                .on_conflict_do_nothing(index_elements=["year"])
            )
            await repo.audit(
                s,
                key=f"cycle-started-{r.year}",
                at=inp.at,
                actor=inp.actor.username,
                actor_role=inp.actor.role,
                action="CYCLE_STARTED",
                entity_type="cycle",
                entity_id=str(r.year),
                reason=f"启动{r.year}年度评审，依据{r.rules_revision}；评价准则{r.criteria_edition}",
                details={"rules": jsonable(asdict(r))},
            )
            await write_notices(s, inp.notices)

    @activity.defn
    async def record_cycle_stage(self, inp: CycleStageInput) -> GateStatus:
        """Record the cycle's stage, what it waits for and the gate it waits on, with the stage's
        notices; answer how much still holds that gate. Closing intake takes the cycle row's lock,
        so a submission being stored finishes first and none is taken after (P5)."""
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.Cycle)
                .where(m.Cycle.year == inp.year)
                .values(
                    stage=inp.stage,
                    deadline=inp.deadline,
                    waiting_for=inp.waiting_for,
                    gate=inp.gate or "",
                    intake_open=inp.intake_open,
                    updated_at=inp.at,
                )
            )
            await repo.audit(
                s,
                key=f"cycle-stage-{inp.year}-{inp.stage}-{inp.at.isoformat()}",
                at=inp.at,
                actor="system",
                actor_role="system",
                action=f"CYCLE_{inp.stage}",
                entity_type="cycle",
                entity_id=str(inp.year),
                details={"deadline": inp.deadline.isoformat(), "gate": inp.gate or ""},
            )
            await write_notices(s, inp.notices)
        return await self._gate(inp.year, inp.gate)

    @activity.defn
    async def gate_status(self, inp: GateInput) -> GateStatus:
        return await self._gate(inp.year, inp.gate)

    async def _gate(self, year: int, gate: Any) -> GateStatus:
        async with self.sessions() as s:
            total = int(await s.scalar(select(m.Cycle.applications_count).where(m.Cycle.year == year)) or 0)
            pending = await repo.gate_pending(s, year, gate) if gate else 0
        return GateStatus(pending, total)

    @activity.defn
    async def record_deadline_extended(self, inp: DeadlineExtendedInput) -> None:
        async with self.sessions.begin() as s:
            await s.execute(update(m.Cycle).where(m.Cycle.year == inp.year).values(deadline=inp.new_deadline))
            await repo.audit(
                s,
                key=inp.key,
                at=inp.at,
                actor=inp.actor.username,
                actor_role=inp.actor.role,
                action="DEADLINE_EXTENDED",
                entity_type="cycle",
                entity_id=str(inp.year),
                reason=inp.reason,
                details={"from": inp.old_deadline.isoformat(), "to": inp.new_deadline.isoformat()},
            )
            await write_notices(s, inp.notices)

    # --- applications ------------------------------------------------------------------------
    @activity.defn
    async def run_qualification_checks(self, inp: QualificationChecksInput) -> list[ConditionCheck]:
        """Load the enterprise's facts, check every condition as of the deadline, store the results."""
        async with self.sessions.begin() as s:
            app = await repo.application(s, inp.application_id)
            if app is None:
                raise ApplicationError(f"application {inp.application_id} not found", non_retryable=True)
            ent = await repo.enterprise(s, app.enterprise_id)
            assert ent is not None
            cycle = await repo.cycle(s, app.cycle_year)
            data = EligibilityInput(
                enterprise=repo.to_profile(ent),
                facts=[repo.to_fact(f) for f in await repo.facts_of(s, ent.id)],
                revocations=[repo.to_revocation(r) for r in await repo.revocations_of(s, ent.credit_code)],
                district=inp.district,
                # the ban's end is counted with the cycle's frozen rest days
                calendar=None if cycle is None else repo.cycle_rules(cycle).holiday_calendar,
            )
            checks = check_eligibility(data, inp.deadline)
            for c in checks:
                info = CONDITIONS[c.condition]
                await s.execute(
                    insert(m.QualificationCheck)
                    .values(
                        application_id=inp.application_id,
                        condition=c.condition,
                        clause=info.clause_zh,
                        requirement=info.requirement,
                        auto_status=c.status,
                        finding=c.finding_zh,
                        evidence=list(c.evidence),
                        fact_ids=list(c.fact_ids),
                        checked_at=inp.at,
                    )
                    .on_conflict_do_nothing(constraint="uq_qualification_checks_condition")
                )
            await repo.audit(
                s,
                key=f"qualification-checked-{inp.application_id}",
                at=inp.at,
                actor="system",
                actor_role="system",
                action="QUALIFICATION_CHECKED",
                entity_type="application",
                entity_id=inp.application_id,
                details={c.condition: c.status for c in checks},
            )
            # What the office decides on is what was recorded first (a retry may see newer facts).
            stored = await repo.qualification_checks(s, inp.application_id)
            recorded = [
                ConditionCheck(
                    Condition(r.condition),
                    CheckStatus(r.auto_status),
                    r.finding,
                    tuple(r.evidence),
                    tuple(r.fact_ids),
                )
                for r in sorted(stored, key=lambda r: list(Condition).index(Condition(r.condition)))
            ]
            undecided = sum(c.status == CheckStatus.NEEDS_JUDGEMENT for c in recorded)
            await record_progress(
                s,
                Progress(
                    inp.application_id,
                    app.cycle_year,
                    ApplicationStage.QUALIFICATION_DECISION,
                    Outcome.PENDING,
                    waiting_for_decision(undecided, inp.decision_due),
                    inp.at,
                    inp.decision_due,
                ),
            )
        return recorded

    @activity.defn
    async def record_qualification_decision(self, inp: RecordDecisionInput) -> None:
        """The office's decision, with where it takes the application and the letter it sends."""
        res = inp.result
        async with self.sessions.begin() as s:
            inserted = await s.scalar(
                insert(m.QualificationDecisionRecord)
                .values(
                    application_id=inp.application_id,
                    qualified=res.qualified,
                    material_truthful=res.material_truthful,
                    truthfulness_note=res.truthfulness_note,
                    note=inp.decision.note,
                    decided_by=inp.actor.username,
                    decided_at=inp.at,
                )
                .on_conflict_do_nothing(index_elements=["application_id"])
                .returning(m.QualificationDecisionRecord.application_id)
            )
            if inserted is not None:  # else recorded by an earlier attempt of this activity
                for c in res.conditions:
                    await s.execute(
                        update(m.QualificationCheck)
                        .where(
                            m.QualificationCheck.application_id == inp.application_id,
                            m.QualificationCheck.condition == c.condition,
                        )
                        .values(
                            final_status=c.final_status,
                            overridden=c.overridden,
                            decision_reason=c.reason,
                            decision_fact_ids=list(c.fact_ids),
                            decision_documents=list(c.documents),
                            decided_by=inp.actor.username,
                            decided_at=inp.at,
                        )
                    )
                await repo.audit(
                    s,
                    key=f"qualification-decided-{inp.application_id}",
                    at=inp.at,
                    actor=inp.actor.username,
                    actor_role=inp.actor.role,
                    action="QUALIFICATION_DECIDED",
                    entity_type="application",
                    entity_id=inp.application_id,
                    reason=inp.decision.note,
                    details={
                        "qualified": res.qualified,
                        "material_truthful": res.material_truthful,
                        "failed": [c.condition for c in res.failed],
                        "overridden": {c.condition: c.reason for c in res.conditions if c.overridden},
                        "override_evidence": {
                            c.condition: {"fact_ids": list(c.fact_ids), "documents": list(c.documents)}
                            for c in res.conditions
                            if c.overridden
                        },
                    },
                )
            if inp.progress is not None:
                await record_progress(s, inp.progress)
        if inp.progress is not None:
            await self.wakeups.after_progress(inp.progress.year)

    @activity.defn
    async def advance(self, p: Progress) -> None:
        """Record where the application stands and send the step's notices (one transaction)."""
        async with self.sessions.begin() as s:
            await record_progress(s, p)
        await self.wakeups.after_progress(p.year)

    @activity.defn
    async def send_notices(self, notices: list[NoticeInput]) -> None:
        """Notices of a step that records nothing else (the outbox; the relay delivers them)."""
        async with self.sessions.begin() as s:
            await write_notices(s, notices)

    # --- steps the database refused (P6) -------------------------------------------------------
    @activity.defn
    async def record_step_failure(self, inp: StepFailed) -> None:
        async with self.sessions.begin() as s:
            s.add(
                m.StepFailure(
                    workflow_id=inp.workflow_id,
                    step=inp.step,
                    code=inp.code,
                    error=inp.error.replace("\x00", "\\x00"),
                    cycle_year=inp.cycle_year,
                    at=inp.at,
                )
            )
            await repo.audit(
                s,
                at=inp.at,
                actor="system",
                actor_role="system",
                action="STEP_FAILED",
                entity_type="workflow",
                entity_id=inp.workflow_id,
                reason=inp.step,
                details={"code": inp.code},
            )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.record_cycle_started,
            self.record_cycle_stage,
            self.gate_status,
            self.record_deadline_extended,
            self.run_qualification_checks,
            self.record_qualification_decision,
            self.advance,
            self.send_notices,
            self.record_step_failure,
        ]
