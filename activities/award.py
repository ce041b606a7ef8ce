"""Activities of the cycle and application workflows: records of the cycle, where each application
stands, the qualification checks and decision. Every write is idempotent (keyed) and carries the
notices its step sends (the outbox, delivered by the worker's relay)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

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
from db import cycle_records as records
from db import models as m
from db import repositories as repo
from db.jsonable import jsonable
from domain.eligibility import (
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
        await repo.audit_by(
            s,
            repo.SYSTEM,
            f"APPLICATION_{p.stage}",
            "application",
            p.application_id,
            at=p.at,
            details={"outcome": p.outcome},
            key=f"application-stage-{p.application_id}-{p.stage}",
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
            await records.add_cycle(
                s,
                year=r.year,
                workflow_id=inp.workflow_id,
                rules=jsonable(asdict(r)),
                rules_revision=r.rules_revision,
                criteria_edition=r.criteria_edition,
                deadline=r.application_deadline,
                started_by=inp.actor.username,
                at=inp.at,
            )
            await repo.audit_by(
                s,
                inp.actor,
                "CYCLE_STARTED",
                "cycle",
                str(r.year),
                at=inp.at,
                reason=f"启动{r.year}年度评审，依据{r.rules_revision}；评价准则{r.criteria_edition}",
                details={"rules": jsonable(asdict(r))},
                key=f"cycle-started-{r.year}",
            )
            await write_notices(s, inp.notices)

    @activity.defn
    async def record_cycle_stage(self, inp: CycleStageInput) -> GateStatus:
        """Record the cycle's stage, what it waits for and the gate it waits on, with the stage's
        notices; answer how much still holds that gate. Closing intake takes the cycle row's lock,
        so a submission being stored finishes first and none is taken after (P5)."""
        async with self.sessions.begin() as s:
            await records.set_cycle_stage(
                s,
                inp.year,
                stage=inp.stage,
                deadline=inp.deadline,
                waiting_for=inp.waiting_for,
                gate=inp.gate or "",
                intake_open=inp.intake_open,
                at=inp.at,
            )
            await repo.audit_by(
                s,
                repo.SYSTEM,
                f"CYCLE_{inp.stage}",
                "cycle",
                str(inp.year),
                at=inp.at,
                details={"deadline": inp.deadline.isoformat(), "gate": inp.gate or ""},
                key=f"cycle-stage-{inp.year}-{inp.stage}-{inp.at.isoformat()}",
            )
            await write_notices(s, inp.notices)
        return await self._gate(inp.year, inp.gate)

    @activity.defn
    async def gate_status(self, inp: GateInput) -> GateStatus:
        return await self._gate(inp.year, inp.gate)

    async def _gate(self, year: int, gate: Any) -> GateStatus:
        async with self.sessions() as s:
            total = await records.applications_count(s, year)
            pending = await repo.gate_pending(s, year, gate) if gate else 0
        return GateStatus(pending, total)

    @activity.defn
    async def record_deadline_extended(self, inp: DeadlineExtendedInput) -> None:
        async with self.sessions.begin() as s:
            await records.set_cycle_deadline(s, inp.year, inp.new_deadline)
            await repo.audit_by(
                s,
                inp.actor,
                "DEADLINE_EXTENDED",
                "cycle",
                str(inp.year),
                at=inp.at,
                reason=inp.reason,
                details={"from": inp.old_deadline.isoformat(), "to": inp.new_deadline.isoformat()},
                key=inp.key,
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
            await records.add_qualification_checks(s, inp.application_id, checks, inp.at)
            await repo.audit_by(
                s,
                repo.SYSTEM,
                "QUALIFICATION_CHECKED",
                "application",
                inp.application_id,
                at=inp.at,
                details={c.condition: c.status for c in checks},
                key=f"qualification-checked-{inp.application_id}",
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
            inserted = await records.add_qualification_decision(
                s, inp.application_id, res, note=inp.decision.note, by=inp.actor.username, at=inp.at
            )
            if inserted:  # else recorded by an earlier attempt of this activity
                await repo.audit_by(
                    s,
                    inp.actor,
                    "QUALIFICATION_DECIDED",
                    "application",
                    inp.application_id,
                    at=inp.at,
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
                    key=f"qualification-decided-{inp.application_id}",
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
            await repo.audit_by(
                s,
                repo.SYSTEM,
                "STEP_FAILED",
                "workflow",
                inp.workflow_id,
                at=inp.at,
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
