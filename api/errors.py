"""Every error a user can cause is a 4xx with a stable code and a message in Chinese and English."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from db import repositories as repo
from domain.errors import DomainError
from domain.text import printable

log = logging.getLogger(__name__)


@dataclass
class RateLimited(DomainError):
    """429 with a Retry-After header (P6)."""

    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Unavailable(DomainError):
    """503 with a Retry-After header (P7): a service the request needs did not answer."""

    headers: dict[str, str] = field(default_factory=dict)


WORKFLOW_RETRY_AFTER = 5  # seconds


def too_many_requests(retry_after: int) -> RateLimited:
    return RateLimited(
        "RATE_LIMITED",
        f"请求过于频繁，请{retry_after}秒后再试",
        f"Too many requests; try again in {retry_after} seconds",
        status=429,
        details={"retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def data_rejected() -> DomainError:
    return DomainError(
        "DATA_REJECTED",
        "数据库拒绝了输入的值（超出允许的范围或长度，或含有无效字符），该项更改未保存，请检查后重试",
        "The database refused a value (out of range, too long or an invalid character) and did not "
        "store the change; check the input and try again",
        status=422,
    )


# SQLSTATE classes (PostgreSQL Appendix A): 22 data exception (string too long, numeric out of range,
# invalid byte sequence, division by zero, ...); 23514 check violation. Both mean: this input cannot be
# stored. The other classes (a lost connection, a busy server) are answered in api/faults.py.
_DATA_REJECTED = ("22", "23514")


def sqlstate(e: DBAPIError) -> str:
    """The SQLSTATE of a database error ('' when the driver gave none). asyncpg's own client-side
    refusals (an argument it cannot encode: int32 overflow, a lone surrogate) are DataError, 22000."""
    for err in (e.orig, getattr(e.orig, "__cause__", None)):
        code = getattr(err, "sqlstate", None)
        if isinstance(code, str) and code:
            return code
    return ""


def is_data_error(e: DBAPIError) -> bool:
    return sqlstate(e).startswith(_DATA_REJECTED)


def document_too_large(limit: int) -> DomainError:
    return DomainError(
        "DOCUMENT_TOO_LARGE",
        f"文件超过大小上限{limit // (1024 * 1024)}MB",
        f"The file exceeds the size limit of {limit} bytes",
        status=413,
        details={"max_bytes": limit},
    )


def request_too_large(limit: int) -> DomainError:
    return DomainError(
        "REQUEST_TOO_LARGE",
        f"请求内容超过大小上限（{limit}字节）",
        f"The request body exceeds the size limit of {limit} bytes",
        status=413,
        details={"max_bytes": limit},
    )


def not_found(what_zh: str, what_en: str, **details: Any) -> DomainError:
    return DomainError("NOT_FOUND", f"{what_zh}不存在", f"{what_en} not found", status=404, details=details)


def forbidden(zh: str = "无权访问该资源", en: str = "You may not access this resource") -> DomainError:
    return DomainError("FORBIDDEN", zh, en, status=403)


def unavailable() -> Unavailable:
    return Unavailable(
        "WORKFLOW_SERVICE_UNAVAILABLE",
        "流程服务暂未应答，请求可能尚未处理或仍在处理中；请稍后查看结果，重试时请使用相同的 Idempotency-Key",
        "The workflow service did not answer in time; the request may or may not have been processed. "
        "Check the result later; to retry, send the same Idempotency-Key",
        status=503,
        headers={"Retry-After": str(WORKFLOW_RETRY_AFTER)},
    )


def from_temporal(exc: BaseException) -> DomainError:
    """Turn a refusal from a workflow (validator or handler) back into the domain error it was."""
    cause = exc.cause if isinstance(exc, WorkflowUpdateFailedError) else exc
    if isinstance(cause, ApplicationError) and cause.details and isinstance(cause.details[0], dict):
        d = cause.details[0]
        status = cause.details[1] if len(cause.details) > 1 and isinstance(cause.details[1], int) else 409
        return DomainError(
            d["code"], d["message_zh"], d["message_en"], status=status, details=d.get("details", {})
        )
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        return not_found("流程", "Workflow")
    log.warning("unexpected workflow failure: %r", exc)
    return DomainError(
        "WORKFLOW_REJECTED", "流程拒绝了该操作", f"The workflow refused the request: {cause}", status=409
    )


def invalid_input(errors: list[dict[str, str]]) -> DomainError:
    """422 INVALID_INPUT listing each problem as {location, problem} (the shape of validation errors)."""
    where = "; ".join(f"{x['location']}: {x['problem']}" for x in errors[:5])
    return DomainError(
        "INVALID_INPUT",
        f"请求内容不符合要求，请检查：{where}",
        f"The request is invalid: {where}",
        details={"errors": errors},
    )


def _body(e: DomainError) -> dict[str, Any]:
    return e.to_dict()


async def audit_denied(request: Request, code: str, why: str, *, status: int = 403) -> None:
    """Every refusal for want of a right goes into the audit log (P4, MLPS 2.0 安全审计): who, which
    route, why — a 403, and a 404 that hides someone else's record (R20.2, `status` 404). In a
    transaction of its own, as the request's is rolled back; a failure to write it is logged and
    never turns the refusal into another answer."""
    account = getattr(request.state, "account", None)  # set by api.deps.current_account
    route = getattr(request.scope.get("route"), "path", "") or "(no route)"
    try:
        from .ratelimit import client_ip  # here: api.ratelimit imports this module

        ip = client_ip(request, request.app.state.settings)
        async with request.app.state.sessions.begin() as s:
            await repo.audit(
                s,
                at=datetime.now(UTC),
                actor=account.username if account else "anonymous",
                actor_role=account.role if account else "anonymous",
                action="ACCESS_DENIED",
                entity_type="route",
                entity_id=f"{request.method} {route}"[:100],
                reason=why[:500],
                details={
                    "code": code,
                    "status": status,
                    "path": printable(request.url.path)[:500],
                    "ip": ip,
                },
            )
    except Exception:
        log.warning("could not audit a refused request (%s %s)", request.method, route, exc_info=True)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, e: DomainError) -> JSONResponse:
        if e.status == 403:
            await audit_denied(request, e.code, e.message_en)
        return JSONResponse(_body(e), status_code=e.status, headers=getattr(e, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, e: RequestValidationError) -> JSONResponse:
        # a location may hold the offending input itself (a dict key): shown escaped, never raw
        errors = [
            {
                "location": printable(".".join(str(p) for p in err.get("loc", ()))),
                "problem": printable(str(err.get("msg", ""))),
            }
            for err in e.errors()
        ]
        return JSONResponse(_body(invalid_input(errors)), status_code=422)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, e: IntegrityError) -> JSONResponse:
        if is_data_error(e):  # a check constraint refused the value
            log.info("database refused a value: check violation")
            return JSONResponse(_body(data_rejected()), status_code=422)
        # two requests raced for the same record (the check before the write saw neither)
        log.info("integrity conflict: %s", type(e.orig).__name__ if e.orig else "IntegrityError")
        body = DomainError(
            "CONFLICTING_WRITE",
            "该记录已存在或刚被另一请求修改，请刷新后再试",
            "The record already exists or was just changed by another request; reload and try again",
            status=409,
        )
        return JSONResponse(_body(body), status_code=409)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException) -> JSONResponse:
        if isinstance(too_large := getattr(e, "error", None), DomainError):  # api.http_security.BodyTooLarge
            return JSONResponse(_body(too_large), status_code=e.status_code, headers={"Connection": "close"})
        texts = {
            401: ("UNAUTHENTICATED", "请先登录", "Please sign in"),
            403: ("FORBIDDEN", "无权访问该资源", "You may not access this resource"),
            404: ("NOT_FOUND", "请求的地址不存在", "No such address"),
            405: ("METHOD_NOT_ALLOWED", "不支持该请求方法", "Method not allowed"),
        }
        code, zh, en = texts.get(e.status_code, ("HTTP_ERROR", "请求无法处理", str(e.detail)))
        if e.status_code == 403:
            await audit_denied(request, code, en)
        return JSONResponse(
            {"code": code, "message_zh": zh, "message_en": en, "details": {}},
            status_code=e.status_code,
            headers=getattr(e, "headers", None),
        )
