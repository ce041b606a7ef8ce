"""Award cycles: the office starts the year's cycle and may extend its deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from temporalio.exceptions import WorkflowAlreadyStartedError

from config.constants import cycle_workflow_id
from contracts.cycle import CycleState, ExtendDeadlineInput, StartCycleInput
from db import committee_reads as cr
from db import models as m
from db import repositories as repo
from db.holidays import freeze_calendar
from domain.errors import DomainError
from domain.progress import Gate
from domain.rules import check_start, cycle_exists, rules_fingerprint, validate_rules
from domain.types import Role
from workflows.cycle import AwardCycleWorkflow
from workflows.cycle import start_cycle as start_cycle_workflow

from .. import workflow_calls
from ..calls import Calls, Workflows
from ..deps import Config, Office, Session, Temporal, User, idempotent
from ..errors import unavailable
from ..resources.cycle import Cycle
from ..schemas import CycleOut, CycleStart, DeadlineExtension

router = APIRouter(tags=["cycles"])


@router.post("/cycles", response_model=CycleOut, status_code=201, summary="Start the year's cycle (R3.1)")
async def start_cycle(
    body: CycleStart, s: Session, office: Office, client: Temporal, cfg: Config
) -> CycleOut:
    rules = validate_rules(body.to_rules(), datetime.now(UTC))
    approved = await cr.rules_approval(s, rules.year)
    check_start(
        rules,
        production=cfg.environment == "production",
        started=await repo.cycle(s, rules.year) is not None,
        approved_fingerprint=approved.rules_hash if approved else None,
        fingerprint=rules_fingerprint(body.document()),
    )
    # The rest days of the years its periods may reach are frozen with the rules (R21.1).
    rules = await freeze_calendar(s, rules)
    timeout = cfg.temporal_rpc_timeout_seconds
    try:
        started = await workflow_calls.reached(
            start_cycle_workflow(
                client,
                StartCycleInput(rules, office.actor),
                task_queue=cfg.task_queue,
                rpc_timeout=timedelta(seconds=timeout),
            ),
            timeout,
        )
    except WorkflowAlreadyStartedError:
        raise cycle_exists(rules.year) from None
    if not started:
        raise unavailable()
    try:  # answer once the call is recorded and published; the workflow does it in any case
        await workflow_calls.cycle_update(
            client,
            cfg,
            rules.year,
            AwardCycleWorkflow.wait_opened,
            None,
            key="opened",
            result_type=CycleState,
        )
    except DomainError as e:
        if e.status != 503:
            raise
    return CycleOut(
        year=rules.year,
        workflow_id=cycle_workflow_id(rules.year),
        stage="CALL_OPEN",
        deadline=rules.application_deadline,
        intake_open=True,
        rules=body.model_dump(mode="json"),
        rules_revision=rules.rules_revision,
        criteria_edition=rules.criteria_edition,
        started_by=office.username,
        started_at=datetime.now(UTC),
        applications=0,
    )


@router.get("/cycles/{year}", response_model=CycleOut)
async def get_cycle(
    user: User,
    c: Cycle,
    s: Session,
    calls: Workflows,
    live: Annotated[bool, Query(description="also ask the workflow itself (the office only)")] = False,
) -> CycleOut:
    """From PostgreSQL, which the cycle keeps current (stage, deadline, intake, what it waits for),
    with its applications counted per stage in one query; answers while Temporal is down.
    `live=true` (the office) adds the workflow's own view."""
    return await _cycle_out(s, c, calls if live and user.role is Role.OFFICE else None)


async def _cycle_out(s: Session, c: m.Cycle, live: Calls | None) -> CycleOut:
    """The cycle as it stands, with the workflow's own view when `live` asks it."""
    stages = await repo.stage_counts(s, c.year)
    waiting = c.waiting_for
    if c.gate:  # what still holds the gate the cycle waits on, counted now
        gate = Gate(c.gate)
        waiting += f" — {gate.outstanding(await repo.gate_pending(s, c.year, gate), sum(stages.values()))}"
    # the row's own columns as they are, then what is counted or asked now
    return CycleOut.model_validate(c, from_attributes=True).model_copy(
        update={
            "waiting_for": waiting or None,
            "gate": c.gate or None,
            "applications": sum(stages.values()),
            "stages": stages,
            "live": await _live(live, c.workflow_id) if live is not None else None,
        }
    )


async def _live(calls: Calls, workflow_id: str) -> dict[str, Any] | None:
    state = await calls.query(workflow_id, AwardCycleWorkflow.state, result_type=CycleState)
    return None if state is None else {"stage": state.stage, "waiting_for": state.waiting_for}


@router.post("/cycles/{year}/deadline", response_model=CycleOut, summary="Extend the application deadline")
async def extend_deadline(
    office: Office,
    c: Cycle,
    body: DeadlineExtension,
    s: Session,
    calls: Workflows,
    op: Annotated[str, idempotent("extend-deadline")],
) -> CycleOut:
    arg = ExtendDeadlineInput(body.new_deadline, body.reason, office.actor)
    await calls.cycle(c.year, AwardCycleWorkflow.extend_deadline, arg, key=op, result_type=datetime)
    return await _cycle_out(s, await cr.reread(s, c), None)  # as the workflow's activity wrote it
