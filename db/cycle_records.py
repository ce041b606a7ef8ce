"""What the cycle and application workflows record of a cycle and of an application's qualification
review (activities/award.py). Every write is keyed, so an activity retried after a crash writes
nothing twice. Nothing here commits: the activity does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import models as m
from domain.eligibility import CONDITIONS, ConditionCheck
from domain.qualification import QualificationResult


async def add_cycle(
    s: AsyncSession,
    *,
    year: int,
    workflow_id: str,
    rules: dict[str, Any],
    rules_revision: str,
    criteria_edition: str,
    deadline: datetime,
    started_by: str,
    at: datetime,
) -> None:
    """The cycle's row, open for applications (once: a cycle started again keeps its first row)."""
    await s.execute(
        insert(m.Cycle)
        .values(
            year=year,
            workflow_id=workflow_id,
            rules=rules,
            rules_revision=rules_revision,
            criteria_edition=criteria_edition,
            deadline=deadline,
            stage="CALL_OPEN",
            started_by=started_by,
            started_at=at,
            intake_open=True,
            updated_at=at,
        )
        .on_conflict_do_nothing(index_elements=["year"])
    )


async def set_cycle_stage(
    s: AsyncSession,
    year: int,
    *,
    stage: str,
    deadline: datetime,
    waiting_for: str,
    gate: str,
    intake_open: bool,
    at: datetime,
) -> None:
    """The cycle's stage, what it waits for and the gate it waits on (the update takes the row's lock)."""
    await s.execute(
        update(m.Cycle)
        .where(m.Cycle.year == year)
        .values(
            stage=stage,
            deadline=deadline,
            waiting_for=waiting_for,
            gate=gate,
            intake_open=intake_open,
            updated_at=at,
        )
    )


async def set_cycle_deadline(s: AsyncSession, year: int, deadline: datetime) -> None:
    await s.execute(update(m.Cycle).where(m.Cycle.year == year).values(deadline=deadline))


async def applications_count(s: AsyncSession, year: int) -> int:
    """How many applications the cycle took in (0 for a cycle not recorded)."""
    return int(await s.scalar(select(m.Cycle.applications_count).where(m.Cycle.year == year)) or 0)


async def add_qualification_checks(
    s: AsyncSession, application_id: str, checks: Sequence[ConditionCheck], at: datetime
) -> None:
    """The automatic checks of an application; a condition recorded already keeps its first result."""
    for c in checks:
        info = CONDITIONS[c.condition]
        await s.execute(
            insert(m.QualificationCheck)
            .values(
                application_id=application_id,
                condition=c.condition,
                clause=info.clause_zh,
                requirement=info.requirement,
                auto_status=c.status,
                finding=c.finding_zh,
                evidence=list(c.evidence),
                fact_ids=list(c.fact_ids),
                checked_at=at,
            )
            .on_conflict_do_nothing(constraint="uq_qualification_checks_condition")
        )


async def add_qualification_decision(
    s: AsyncSession, application_id: str, res: QualificationResult, *, note: str, by: str, at: datetime
) -> bool:
    """The office's decision with each condition's final result; False (and nothing written) when
    the application's decision is recorded already."""
    inserted = await s.scalar(
        insert(m.QualificationDecisionRecord)
        .values(
            application_id=application_id,
            qualified=res.qualified,
            material_truthful=res.material_truthful,
            truthfulness_note=res.truthfulness_note,
            note=note,
            decided_by=by,
            decided_at=at,
        )
        .on_conflict_do_nothing(index_elements=["application_id"])
        .returning(m.QualificationDecisionRecord.application_id)
    )
    if inserted is None:
        return False
    for c in res.conditions:
        await s.execute(
            update(m.QualificationCheck)
            .where(
                m.QualificationCheck.application_id == application_id,
                m.QualificationCheck.condition == c.condition,
            )
            .values(
                final_status=c.final_status,
                overridden=c.overridden,
                decision_reason=c.reason,
                decision_fact_ids=list(c.fact_ids),
                decision_documents=list(c.documents),
                decided_by=by,
                decided_at=at,
            )
        )
    return True
