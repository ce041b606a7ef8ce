"""Activities of the cycle and application workflows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notices import NoticeGateway, PortalGateway
from contracts.application import ApplicationStageInput, QualificationChecksInput, RecordDecisionInput
from contracts.common import NoticeInput
from contracts.cycle import CycleStageInput, DeadlineExtendedInput, RecordApplicationInput, RecordCycleInput
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
from domain.types import ApplicationStage, DeliveryState, Outcome


class AwardActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], gateway: NoticeGateway | None = None
    ) -> None:
        self.sessions = sessions
        self.gateway = gateway or PortalGateway()

    # --- cycle -------------------------------------------------------------------------------
    @activity.defn
    async def record_cycle_started(self, inp: RecordCycleInput) -> None:
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

    @activity.defn
    async def record_cycle_stage(self, inp: CycleStageInput) -> None:
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.Cycle).where(m.Cycle.year == inp.year).values(stage=inp.stage, deadline=inp.deadline)
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
                details={"deadline": inp.deadline.isoformat()},
            )

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

    # --- applications ------------------------------------------------------------------------
    @activity.defn
    async def record_application(self, inp: RecordApplicationInput) -> None:
        sub = inp.submission
        async with self.sessions.begin() as s:
            await s.execute(
                insert(m.Application)
                .values(
                    id=inp.application_id,
                    cycle_year=inp.year,
                    enterprise_id=sub.enterprise_id,
                    award=sub.award,
                    field=sub.field,
                    sector_tags=list(sub.sector_tags),
                    documents=[jsonable(asdict(d)) for d in sub.documents],
                    self_assessment=dict(sub.self_assessment),
                    contact_name=sub.contact_name,
                    contact_phone=sub.contact_phone,
                    stage=ApplicationStage.SUBMITTED,
                    outcome=Outcome.PENDING,
                    workflow_id=inp.workflow_id,
                    submitted_by=sub.submitted_by.username,
                    submitted_at=inp.at,
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
            await repo.audit(
                s,
                key=f"application-submitted-{inp.application_id}",
                at=inp.at,
                actor=sub.submitted_by.username,
                actor_role=sub.submitted_by.role,
                action="APPLICATION_SUBMITTED",
                entity_type="application",
                entity_id=inp.application_id,
                details={"award": sub.award, "credit_code": sub.credit_code, "documents": len(sub.documents)},
            )

    @activity.defn
    async def run_qualification_checks(self, inp: QualificationChecksInput) -> list[ConditionCheck]:
        """Load the enterprise's facts, check every condition as of the deadline, store the results."""
        async with self.sessions.begin() as s:
            app = await repo.application(s, inp.application_id)
            if app is None:
                raise ApplicationError(f"application {inp.application_id} not found", non_retryable=True)
            ent = await repo.enterprise(s, app.enterprise_id)
            assert ent is not None
            data = EligibilityInput(
                enterprise=repo.to_profile(ent),
                facts=[repo.to_fact(f) for f in await repo.facts_of(s, ent.id)],
                revocations=[repo.to_revocation(r) for r in await repo.revocations_of(s, ent.credit_code)],
                district=inp.district,
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
            await repo.set_application_stage(
                s,
                inp.application_id,
                stage=ApplicationStage.QUALIFICATION_DECISION,
                outcome=Outcome.PENDING,
                at=inp.at,
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
        return [
            ConditionCheck(
                Condition(r.condition),
                CheckStatus(r.auto_status),
                r.finding,
                tuple(r.evidence),
                tuple(r.fact_ids),
            )
            for r in sorted(stored, key=lambda r: list(Condition).index(Condition(r.condition)))
        ]

    @activity.defn
    async def record_qualification_decision(self, inp: RecordDecisionInput) -> None:
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
            if inserted is None:
                return  # recorded by an earlier attempt of this activity
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
                },
            )

    @activity.defn
    async def set_application_stage(self, inp: ApplicationStageInput) -> None:
        async with self.sessions.begin() as s:
            await repo.set_application_stage(
                s, inp.application_id, stage=inp.stage, outcome=inp.outcome, at=inp.at
            )
            await repo.audit(
                s,
                key=f"application-stage-{inp.application_id}-{inp.stage}",
                at=inp.at,
                actor="system",
                actor_role="system",
                action=f"APPLICATION_{inp.stage}",
                entity_type="application",
                entity_id=inp.application_id,
                details={"outcome": inp.outcome},
            )

    # --- notices (outbox) --------------------------------------------------------------------
    @activity.defn
    async def write_notice(self, inp: NoticeInput) -> int:
        """Write the notice once (keyed), PENDING delivery. Returns its id."""
        async with self.sessions.begin() as s:
            await s.execute(
                insert(m.Notice)
                .values(
                    key=inp.key,
                    kind=inp.kind,
                    audience=inp.audience,
                    cycle_year=inp.cycle_year,
                    enterprise_id=inp.enterprise_id,
                    application_id=inp.application_id,
                    recipient_user_id=inp.recipient_user_id,
                    recipient_role=inp.recipient_role,
                    title=inp.title,
                    body=inp.body,
                    created_at=inp.at,
                    delivery_state=DeliveryState.PENDING,
                )
                .on_conflict_do_nothing(index_elements=["key"])
            )
            notice_id = await s.scalar(select(m.Notice.id).where(m.Notice.key == inp.key))
            await repo.audit(
                s,
                key=f"notice-written-{inp.key}",
                at=inp.at,
                actor="system",
                actor_role="system",
                action=f"NOTICE_{inp.kind}",
                entity_type="notice",
                entity_id=str(notice_id),
                reason=inp.title,
                details={"application_id": inp.application_id, "audience": inp.audience},
            )
        assert notice_id is not None
        return int(notice_id)

    @activity.defn
    async def deliver_notice(self, notice_id: int) -> None:
        """Hand the notice to its channel. The attempt is committed before the hand-over and the
        delivery after it, so a crash in between is visible (attempts > 1) and the retry resends
        with the same key: a channel that sends outside the system dedupes on `notice.key`."""
        async with self.sessions.begin() as s:
            notice = await s.get(m.Notice, notice_id, with_for_update=True)
            if notice is None:
                raise ApplicationError(f"notice {notice_id} not found", non_retryable=True)
            if notice.delivery_state == DeliveryState.DELIVERED:
                return
            notice.delivery_attempts += 1
        await self.gateway.deliver(notice)
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.Notice)
                .where(m.Notice.id == notice_id, m.Notice.delivery_state != DeliveryState.DELIVERED)
                .values(
                    delivery_state=DeliveryState.DELIVERED,
                    delivery_channel=self.gateway.channel,
                    delivered_at=func.now(),
                )
            )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.record_cycle_started,
            self.record_cycle_stage,
            self.record_deadline_extended,
            self.record_application,
            self.run_qualification_checks,
            self.record_qualification_decision,
            self.set_application_stage,
            self.write_notice,
            self.deliver_notice,
        ]
