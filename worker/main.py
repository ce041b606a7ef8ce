"""Build and run the worker (`python -m worker`): the workflows, their activities, the notice
relay and the notice e-mail relay, with the concurrency and cache sizes from the settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Interceptor, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.aftercare import AftercareActivities
from activities.award import AwardActivities
from activities.committee import CommitteeActivities
from activities.errors import DataErrors
from activities.fanout import FanOutActivities
from activities.mail import MailConfig, MailRelay
from activities.notices import NoticeGateway, NoticeRelay
from activities.review import ReviewActivities
from config.observability import configure_logging
from config.settings import Settings, get_settings
from config.temporal import connect, metrics_runtime
from db.ballot_box import BallotKeyring
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


def _setting(name: str, default: Any = MISSING) -> Any:
    """A field of Tuning read from setting `name`; without settings it has the setting's default
    (or `default`), so the numbers measured with `make bench` are written once, in Settings."""
    if default is MISSING:
        default = Settings.model_fields[name].default
    return field(default=default, metadata={"setting": name})


@dataclass(frozen=True)
class Tuning:
    """Worker concurrency and cache (settings `AWARD_WORKER_*`, measured with `make bench`)."""

    max_concurrent_activities: int = _setting("worker_max_concurrent_activities")
    max_concurrent_workflow_tasks: int = _setting("worker_max_concurrent_workflow_tasks")
    max_cached_workflows: int = _setting("worker_max_cached_workflows")
    workflow_task_pollers: int = _setting("worker_workflow_task_pollers")
    activity_task_pollers: int = _setting("worker_activity_task_pollers")
    fan_out_concurrency: int = _setting("fan_out_concurrency")
    relay_interval: float = _setting("notice_relay_interval_seconds", 0.2)  # quicker in the tests
    fan_out_pause: float = _setting("fan_out_batch_pause_seconds")

    @classmethod
    def of(cls, s: Settings) -> Tuning:
        return cls(**{f.name: getattr(s, f.metadata["setting"]) for f in fields(cls)})


@contextlib.asynccontextmanager
async def build_worker(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    task_queue: str,
    *,
    award_activities: AwardActivities | None = None,
    tuning: Tuning | None = None,
    gateway: NoticeGateway | None = None,
    ballot_secret: str | None = None,
    interceptors: Sequence[Interceptor] = (),
    relay: bool = True,
    mail: MailConfig | None = None,
) -> AsyncIterator[Worker]:
    """The worker with every workflow and activity, and the notice relay beside it, running while
    the context is open; tests may pass their own AwardActivities. `ballot_secret` protects the
    plenary's ballot keys (settings `AWARD_BALLOT_SECRET` when not given). `interceptors` run
    inside the data-error interceptor (the tests count activities in flight with one). `relay=False`
    leaves the notices to another worker's relay (the tests' extra namespaces: the outbox is one).
    `mail`: the notice e-mail relay runs beside the notice relay (None: no e-mail at all, as for
    embedders and the tests' shared worker; a config with an empty host: e-mail off, said once in
    the log)."""
    t = tuning or Tuning()
    keyring = BallotKeyring(ballot_secret or get_settings().ballot_secret)
    acts = (
        (award_activities or AwardActivities(sessions, client)).all()
        + ReviewActivities(sessions, client).all()
        + CommitteeActivities(sessions, client, keyring).all()
        + AftercareActivities(sessions).all()
        + FanOutActivities(sessions, client, concurrency=t.fan_out_concurrency, pause=t.fan_out_pause).all()
    )
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=acts,
        workflow_runner=workflow_runner(),
        interceptors=[DataErrors(), *interceptors],
        max_concurrent_activities=t.max_concurrent_activities,
        max_concurrent_workflow_tasks=t.max_concurrent_workflow_tasks,
        max_cached_workflows=t.max_cached_workflows,
        max_concurrent_workflow_task_polls=t.workflow_task_pollers,
        max_concurrent_activity_task_polls=t.activity_task_pollers,
    )
    runtime = client.service_client.config.runtime or Runtime.default()
    relayer = NoticeRelay(sessions, gateway, interval=t.relay_interval, meter=runtime.metric_meter)
    stop = asyncio.Event()
    async with worker:
        relaying = [asyncio.create_task(relayer.run(stop), name="notice-relay")] if relay else []
        if mail is not None:
            mailer = MailRelay(sessions, mail, interval=t.relay_interval, meter=runtime.metric_meter)
            relaying.append(asyncio.create_task(mailer.run(stop), name="notice-mail-relay"))
        try:
            yield worker
        finally:
            stop.set()
            await asyncio.gather(*relaying)


async def run(settings: Settings) -> None:
    settings.check()
    settings.check_ballot_secret()
    engine = make_engine(
        settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )
    runtime = (
        metrics_runtime(settings.metrics_host, settings.worker_metrics_port)
        if settings.worker_metrics_port
        else None
    )
    client = await connect(
        settings.temporal_address, settings.temporal_namespace, settings.payload_key_ring(), runtime=runtime
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logging.info("worker polling task queue %s on %s", settings.task_queue, settings.temporal_address)
    async with build_worker(
        client,
        make_sessionmaker(engine),
        settings.task_queue,
        tuning=Tuning.of(settings),
        ballot_secret=settings.ballot_secret,
        mail=MailConfig.of(settings),
    ):
        await stop.wait()
    await engine.dispose()


def main() -> None:
    settings = get_settings()
    if settings.log_format == "json":
        configure_logging()
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
