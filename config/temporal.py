"""One Temporal client factory for API, worker, scripts and tests, and the starts of the workflows
that are not children (applications and objections are started by the API and by activities, so
that no workflow's history grows with their number)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.exceptions import ApplicationError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from config import constants as c
from config.codec import EncryptionCodec, KeyRing
from config.observability import RequestIdPropagation
from contracts.application import ApplicationInput, IntakeClosed
from contracts.objection import ObjectionWorkflowInput
from domain.errors import DomainError
from domain.types import ApplicationStage, Outcome

# A step the database refused for its data (P6): never retried, recorded for the office.
DATA_ERROR = "DATA_ERROR"

SA_YEAR = SearchAttributeKey.for_int(c.SA_YEAR)
SA_AWARD = SearchAttributeKey.for_keyword(c.SA_AWARD)
SA_STAGE = SearchAttributeKey.for_keyword(c.SA_STAGE)
SA_CREDIT_CODE = SearchAttributeKey.for_keyword(c.SA_CREDIT_CODE)
SA_OUTCOME = SearchAttributeKey.for_keyword(c.SA_OUTCOME)


def data_converter(keys: KeyRing) -> DataConverter:
    """The one data converter of API, worker, scripts and tests (clients, workers, test
    environments and replayers alike): pydantic values (date, Decimal, models), encrypted with
    `keys` (config/codec.py); failure messages and stack traces are moved into the encrypted
    attributes too, so a refusal's text is no more readable in a history than its input."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(
    address: str, namespace: str, keys: KeyRing, *, lazy: bool = False, runtime: Runtime | None = None
) -> Client:
    """A client with the data converter and the request id's propagation (a worker built on it
    takes the interceptor too); `runtime` carries the worker's metrics exporter."""
    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=data_converter(keys),
        interceptors=[RequestIdPropagation()],
        lazy=lazy,
        runtime=runtime,
    )


def metrics_runtime(host: str, port: int) -> Runtime:
    """A Temporal runtime exporting the SDK's metrics (and ours, through its meter) for Prometheus."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"{host}:{port}")))


def refusal(error: DomainError) -> ApplicationError:
    """A rule refused a step: a non-retryable failure carrying the bilingual error, which the API
    turns back into the same 4xx (api.errors.from_temporal)."""
    return ApplicationError(
        error.message_en, error.to_dict(), error.status, type=error.code, non_retryable=True
    )


async def start_application(
    client: Client,
    inp: ApplicationInput,
    *,
    task_queue: str,
    rpc_timeout: timedelta,
    intake_closed: IntakeClosed | None = None,
) -> None:
    """Start `application-{id}` (a second start of a running one is a no-op). With `intake_closed`
    it is signal-with-start: the running workflow gets the signal, a missing one starts with it —
    so an application whose start was lost at submission still runs once the call closes."""
    await client.start_workflow(
        "ApplicationWorkflow",
        inp,
        id=c.application_workflow_id(inp.application_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        # signal-with-start always joins a running workflow; a plain start must, too (a retry)
        id_conflict_policy=WorkflowIDConflictPolicy.UNSPECIFIED
        if intake_closed is not None
        else WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(SA_YEAR, inp.year),
                SearchAttributePair(SA_AWARD, str(inp.award)),
                SearchAttributePair(SA_CREDIT_CODE, inp.credit_code),
                SearchAttributePair(SA_STAGE, str(ApplicationStage.SUBMITTED)),
                SearchAttributePair(SA_OUTCOME, str(Outcome.PENDING)),
            ]
        ),
        static_summary=f"{inp.year} {inp.award.name_zh} · {inp.enterprise_name}",
        static_details=f"申报单位 {inp.enterprise_name}（{inp.credit_code}），{inp.year}年度{inp.award.name_zh}",
        start_signal="intake_closed" if intake_closed is not None else None,
        start_signal_args=[intake_closed] if intake_closed is not None else [],
        rpc_timeout=rpc_timeout,
    )


async def start_objection(
    client: Client, inp: ObjectionWorkflowInput, *, task_queue: str, rpc_timeout: timedelta
) -> None:
    """Start the investigation of one objection (`objection-{id}`); only its id and the public facts
    of the notice pass into Temporal, never the objector's words or identity."""
    await client.start_workflow(
        "ObjectionWorkflow",
        inp,
        id=c.objection_workflow_id(inp.objection_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(SA_YEAR, inp.year), SearchAttributePair(SA_STAGE, "INVESTIGATION")]
        ),
        static_summary=f"{inp.year} 公示异议 {inp.objection_id} · {inp.enterprise_name or '初选公示'}",
        rpc_timeout=rpc_timeout,
    )
