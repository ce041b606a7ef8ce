"""Build and run the worker (`python -m worker`)."""

from __future__ import annotations

import asyncio
import logging
import signal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.aftercare import AftercareActivities
from activities.award import AwardActivities
from activities.committee import CommitteeActivities
from activities.review import ReviewActivities
from config.settings import Settings, get_settings
from config.temporal import connect
from db.session import make_engine, make_sessionmaker
from workflows.application import ApplicationWorkflow
from workflows.award import AwardWorkflow
from workflows.cycle import AwardCycleWorkflow
from workflows.misuse import MisuseCaseWorkflow
from workflows.objection import ObjectionWorkflow

WORKFLOWS = [AwardCycleWorkflow, ApplicationWorkflow, ObjectionWorkflow, AwardWorkflow, MisuseCaseWorkflow]

# Our own pure modules and the message types are imported once, outside the sandbox: they are
# deterministic (domain/ has no I/O and no clock) and re-importing them per workflow is slow.
PASSTHROUGH = (
    "domain",
    "contracts",
    "workflows.common",
    "activities",
    "db",
    "config",
    "pydantic",
    "pydantic_core",
    "sqlalchemy",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


def build_worker(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    task_queue: str,
    *,
    award_activities: AwardActivities | None = None,
) -> Worker:
    """The worker with every workflow and activity; tests may pass their own AwardActivities."""
    acts = (
        (award_activities or AwardActivities(sessions)).all()
        + ReviewActivities(sessions).all()
        + CommitteeActivities(sessions).all()
        + AftercareActivities(sessions).all()
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=acts,
        workflow_runner=workflow_runner(),
    )


async def run(settings: Settings) -> None:
    settings.check()
    engine = make_engine(settings.database_url)
    client = await connect(settings.temporal_address, settings.temporal_namespace)
    worker = build_worker(client, make_sessionmaker(engine), settings.task_queue)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logging.info("worker polling task queue %s on %s", settings.task_queue, settings.temporal_address)
    async with worker:
        await stop.wait()
    await engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run(get_settings()))


if __name__ == "__main__":
    main()
