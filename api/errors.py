"""Every error a user can cause is a 4xx with a stable code and a message in Chinese and English."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import DomainError

log = logging.getLogger(__name__)


def not_found(what_zh: str, what_en: str, **details: Any) -> DomainError:
    return DomainError("NOT_FOUND", f"{what_zh}不存在", f"{what_en} not found", status=404, details=details)


def forbidden(zh: str = "无权访问该资源", en: str = "You may not access this resource") -> DomainError:
    return DomainError("FORBIDDEN", zh, en, status=403)


def unavailable() -> DomainError:
    return DomainError(
        "WORKFLOW_SERVICE_UNAVAILABLE",
        "流程服务暂未应答，请求可能尚未处理或仍在处理中；请稍后查看结果，重试时请使用相同的 Idempotency-Key",
        "The workflow service did not answer in time; the request may or may not have been processed. "
        "Check the result later; to retry, send the same Idempotency-Key",
        status=503,
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


def _body(e: DomainError) -> dict[str, Any]:
    return e.to_dict()


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, e: DomainError) -> JSONResponse:
        return JSONResponse(_body(e), status_code=e.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, e: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg", "")}
            for err in e.errors()
        ]
        where = "; ".join(f"{x['location']}: {x['problem']}" for x in errors[:5])
        body = DomainError(
            "INVALID_INPUT",
            f"请求内容不符合要求，请检查：{where}",
            f"The request is invalid: {where}",
            details={"errors": errors},
        )
        return JSONResponse(_body(body), status_code=422)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, e: IntegrityError) -> JSONResponse:
        # two requests raced for the same record (the check before the write saw neither)
        log.info("integrity conflict: %s", type(e.orig).__name__ if e.orig else "IntegrityError")
        body = DomainError(
            "CONFLICTING_WRITE",
            "该记录已存在或刚被另一请求修改，请刷新后再试",
            "The record already exists or was just changed by another request; reload and try again",
            status=409,
        )
        return JSONResponse(_body(body), status_code=409)

    @app.exception_handler(DBAPIError)
    async def _data(_: Request, e: DBAPIError) -> JSONResponse:
        # a value the database cannot hold (too long, out of range): the input was not acceptable
        log.info("database refused a value: %s", type(e.orig).__name__ if e.orig else "DBAPIError")
        body = DomainError(
            "INVALID_INPUT",
            "输入的数值超出允许范围或长度，请检查后重试",
            "A value is out of range or too long; check the input and try again",
            status=422,
        )
        return JSONResponse(_body(body), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        texts = {
            401: ("UNAUTHENTICATED", "请先登录", "Please sign in"),
            403: ("FORBIDDEN", "无权访问该资源", "You may not access this resource"),
            404: ("NOT_FOUND", "请求的地址不存在", "No such address"),
            405: ("METHOD_NOT_ALLOWED", "不支持该请求方法", "Method not allowed"),
        }
        code, zh, en = texts.get(e.status_code, ("HTTP_ERROR", "请求无法处理", str(e.detail)))
        return JSONResponse(
            {"code": code, "message_zh": zh, "message_en": en, "details": {}},
            status_code=e.status_code,
            headers=getattr(e, "headers", None),
        )
