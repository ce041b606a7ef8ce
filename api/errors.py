"""Every error a user can cause is a 4xx with a stable code and a message in Chinese and English."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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
        "流程服务暂时不可用，请稍后重试；您的请求未被处理",
        "The workflow service is not answering; your request was not processed, please retry later",
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
