"""Logs and metrics (operators' view).

- One request id per API request: taken from a well-formed `X-Request-ID` header, otherwise made
  here; answered in the response's `X-Request-ID`; kept in a context variable, so every log line
  of the request carries it.
- The id follows the request into Temporal: `RequestIdPropagation` puts it in a header of the
  workflow starts and updates the API sends (never of signals: the plenary's `ballot_cast` signal
  carries nothing at all, R14.6), the worker sets it for the workflow's handler, and the workflow
  passes it on to the activities that handler schedules: an activity's log line names the request
  that caused it. Headers are not payloads of the data converter (not encrypted): the id is a
  random token, never user data.
- Log lines are JSON objects (`JsonFormatter`), one per line, with `request_id` when there is one.
- Metrics in the Prometheus text format on a port of their own, never on the public API port
  (docker-compose does not publish them): the API counts requests by route template and status
  and times them (`RequestMetrics`); the worker exports the Temporal SDK's runtime metrics and its
  own (notices pending, delivered, failed hand-overs) through the SDK's meter on its port.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import temporalio.activity
import temporalio.client
import temporalio.converter
import temporalio.worker
import temporalio.workflow
from prometheus_client import Counter, Histogram
from starlette.types import Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payload

from .asgi import HttpMiddleware

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("award_request_id", default=None)
HEADER = "award-request-id"  # the Temporal header
HTTP_HEADER = "x-request-id"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def request_id_from(header: str | None) -> str:
    """The caller's id if it is well formed (8-64 letters, digits, `._:-`), else a new random one:
    nothing a caller sends reaches a log line or a history unless it has this shape."""
    if header and _WELL_FORMED.match(header):
        return header
    return secrets.token_hex(12)


# --- logs ---------------------------------------------------------------------------------------------
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, and the extra
    fields a call passes (`log.info("…", extra={...})`), an exception as text."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if rid := getattr(record, "request_id", None) or REQUEST_ID.get():
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out and key != "request_id" and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """Stamps each record with the request id of the context it is logged in (a handler may
    format it later, elsewhere)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the whole process (API and worker)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


# --- the API's metrics and request log ---------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "award_http_requests_total",
    "API requests answered, by route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "award_http_request_duration_seconds",
    "API request duration, by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
access_log = logging.getLogger("award.access")


class RequestMetrics(HttpMiddleware):
    """Pure ASGI middleware: the request id (header in, header out, context variable), the
    request's count and duration by route template (never the raw path: ids in paths would make
    a series per record), and one access log line."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = request_id_from(header)
        token = REQUEST_ID.set(rid)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(elapsed)
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "ms": round(elapsed * 1000, 1),
                    "request_id": rid,
                },
            )
            REQUEST_ID.reset(token)


# --- the request id through Temporal ----------------------------------------------------------------
class _HasHeaders(Protocol):
    headers: Mapping[str, Payload]


_CONVERTER = temporalio.converter.PayloadConverter.default


def _put(input: _HasHeaders) -> None:
    if rid := REQUEST_ID.get():
        input.headers = {**input.headers, HEADER: _CONVERTER.to_payload(rid)}


@contextmanager
def _from(input: _HasHeaders) -> Iterator[None]:
    payload = input.headers.get(HEADER)
    token = None
    if payload is not None:
        try:
            token = REQUEST_ID.set(_CONVERTER.from_payload(payload, str))
        except Exception:  # a header of another shape is ignored, never a failed task
            token = None
    try:
        yield
    finally:
        if token is not None:
            REQUEST_ID.reset(token)


class RequestIdPropagation(temporalio.client.Interceptor, temporalio.worker.Interceptor):
    """Client side (API): the request id goes with workflow starts and updates. Worker side: set
    for the workflow's run and handlers, passed on to the activities (and children) they start,
    and set while an activity runs."""

    def intercept_client(
        self, next: temporalio.client.OutboundInterceptor
    ) -> temporalio.client.OutboundInterceptor:
        return _ClientOutbound(next)

    def intercept_activity(
        self, next: temporalio.worker.ActivityInboundInterceptor
    ) -> temporalio.worker.ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: temporalio.worker.WorkflowInterceptorClassInput
    ) -> type[temporalio.worker.WorkflowInboundInterceptor]:
        return _WorkflowInbound


class _ClientOutbound(temporalio.client.OutboundInterceptor):
    async def start_workflow(
        self, input: temporalio.client.StartWorkflowInput
    ) -> temporalio.client.WorkflowHandle[Any, Any]:
        _put(input)
        return await super().start_workflow(input)

    async def start_workflow_update(
        self, input: temporalio.client.StartWorkflowUpdateInput
    ) -> temporalio.client.WorkflowUpdateHandle[Any]:
        _put(input)
        return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: temporalio.client.StartWorkflowUpdateWithStartInput
    ) -> temporalio.client.WorkflowUpdateHandle[Any]:
        _put(input.update_workflow_input)
        _put(input.start_workflow_input)
        return await super().start_update_with_start_workflow(input)


activity_log = logging.getLogger("award.activity")


class _ActivityInbound(temporalio.worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: temporalio.worker.ExecuteActivityInput) -> Any:
        with _from(input):
            info = temporalio.activity.info()
            activity_log.debug(
                "activity %s of %s (attempt %s)",
                info.activity_type,
                info.workflow_id,
                info.attempt,
                extra={
                    "activity": info.activity_type,
                    "workflow_id": info.workflow_id,
                    "attempt": info.attempt,
                    "request_id": REQUEST_ID.get(),
                },
            )
            return await super().execute_activity(input)


class _WorkflowInbound(temporalio.worker.WorkflowInboundInterceptor):
    def init(self, outbound: temporalio.worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound))

    async def execute_workflow(self, input: temporalio.worker.ExecuteWorkflowInput) -> Any:
        with _from(input):
            return await super().execute_workflow(input)

    def handle_update_validator(self, input: temporalio.worker.HandleUpdateInput) -> None:
        with _from(input):
            super().handle_update_validator(input)

    async def handle_update_handler(self, input: temporalio.worker.HandleUpdateInput) -> Any:
        with _from(input):
            return await super().handle_update_handler(input)


class _WorkflowOutbound(temporalio.worker.WorkflowOutboundInterceptor):
    def start_activity(
        self, input: temporalio.worker.StartActivityInput
    ) -> temporalio.workflow.ActivityHandle[Any]:
        _put(input)
        return super().start_activity(input)

    async def start_child_workflow(
        self, input: temporalio.worker.StartChildWorkflowInput
    ) -> temporalio.workflow.ChildWorkflowHandle[Any, Any]:
        _put(input)
        return await super().start_child_workflow(input)
