"""The codec server (Temporal's remote codec protocol): the Temporal Web UI and the `temporal` CLI
send encrypted payloads here and get them back readable, for authorised operators only.

`POST /codec/decode` and `POST /codec/encode` take and answer `{"payloads": [{"metadata": {k:
base64}, "data": base64}, …]}` (the protobuf JSON form of temporal.api.common.v1.Payloads).

Who may read: the office (区评审办), which runs the procedure and reads every record through the
API already. The administrator is refused, as on every route of the procedure (separation of
duties: it manages accounts and reads no scores, comments or objections); experts, enterprises,
the committee and the government are refused too (403), an anonymous caller gets 401.

The caller proves it with the office's access token, either as `Authorization: Bearer …` (the CLI:
`temporal workflow show --codec-endpoint …/codec --codec-auth "Bearer …"`) or as the HttpOnly
cookie that `POST /codec/session` sets (the Web UI, whose codec requests carry cookies when its
"include cross-origin credentials" option is on). CORS admits only the UI's origins
(AWARD_CODEC_CORS_ORIGINS)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer
from google.protobuf import json_format
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from config.codec import EncryptionCodec, PayloadDecryptError
from domain.errors import DomainError
from domain.types import Role

from ..deps import Config, CurrentUser, current_account
from ..errors import forbidden
from ..responses.codec import Payloads as PayloadsOut

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
router = APIRouter(prefix="/codec", tags=["codec"])
PREFIX = "/codec"
COOKIE = "award_codec_token"
MAX_BODY_BYTES = 8 * 1024 * 1024  # a page of the UI; Temporal's own limit is 2 MB per payload

_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


async def codec_operator(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> CurrentUser:
    """The office, by its bearer token or the codec cookie (same checks as every route: the
    account and its sign-in must still be valid)."""
    user = await current_account(request, token or request.cookies.get(COOKIE))
    if user.role is not Role.OFFICE:
        raise forbidden(
            "只有区评审办账号可以解密工作流数据",
            f"Only the award office may decrypt workflow payloads (your role: {user.role})",
        )
    return user


Operator = Annotated[CurrentUser, Depends(codec_operator)]


def bad_request(code: str, zh: str, en: str, status: int = 400, **details: Any) -> DomainError:
    return DomainError(code, zh, en, status=status, details=details)


async def read_payloads(request: Request) -> Payloads:
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise _too_large()
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        payloads = Payloads()
        json_format.Parse(body.decode("utf-8"), payloads)
    except (json_format.ParseError, UnicodeDecodeError, ValueError, TypeError, RecursionError) as e:
        raise bad_request(
            "CODEC_REQUEST_INVALID",
            '请求格式不正确，应为 {"payloads": [{"metadata": {…}, "data": "base64"}]}',
            'The request is not {"payloads": [{"metadata": {…}, "data": "base64"}]}',
            problem=str(e)[:300],
        ) from None
    return payloads


def _too_large() -> DomainError:
    return bad_request(
        "CODEC_REQUEST_TOO_LARGE",
        f"请求过大（上限 {MAX_BODY_BYTES // (1024 * 1024)} MB）",
        f"The request is too large (at most {MAX_BODY_BYTES // (1024 * 1024)} MB)",
        status=413,
    )


def codec(request: Request) -> EncryptionCodec:
    return request.app.state.codec  # type: ignore[no-any-return]


def _payloads_route(path: str, summary: str) -> Callable[[F], F]:
    """POST `path` answering payloads (`_answer`, protobuf JSON), described by a model so the
    OpenAPI schema shows them."""
    return router.post(path, summary=summary, response_model=PayloadsOut, response_class=JSONResponse)


def _answer(payloads: list[Any]) -> Response:
    body = json_format.MessageToJson(Payloads(payloads=payloads), indent=None)
    return Response(body, media_type="application/json")


@_payloads_route("/decode", "Decrypt Temporal payloads (remote codec protocol; the office only)")
async def decode(request: Request, user: Operator) -> Response:
    payloads = await read_payloads(request)
    try:
        decoded = await codec(request).decode(payloads.payloads)
    except PayloadDecryptError as e:
        zh = "未配置该密钥" if e.code == "PAYLOAD_KEY_UNKNOWN" else "数据已被篡改或不是用本系统的密钥加密的"
        raise bad_request(e.code, f"无法解密（密钥 {e.key_id}）：{zh}", str(e), key_id=e.key_id) from None
    log.info("codec: %s decrypted %d payload(s)", user.username, len(decoded))
    return _answer(decoded)


@_payloads_route("/encode", "Encrypt Temporal payloads (remote codec protocol; the office only)")
async def encode(request: Request, user: Operator) -> Response:
    payloads = await read_payloads(request)
    return _answer(await codec(request).encode(payloads.payloads))


@router.post(
    "/session",
    status_code=204,
    response_class=Response,
    summary="Set the codec cookie for the Temporal Web UI (the office)",
)
async def session(request: Request, user: Operator, cfg: Config) -> Response:
    """Sign the browser in to the codec server: an HttpOnly cookie (path /codec) holding this access
    token, ending with it. Call it from the same browser that opens the Temporal UI."""
    token = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
    if not token:
        raise bad_request(
            "BEARER_REQUIRED", "请使用 Bearer 令牌调用", "Call this with a Bearer token", status=401
        )
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE,
        token,
        max_age=cfg.jwt_ttl_minutes * 60,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


class CodecCORS:
    """CORS for the codec routes only (the Temporal UI's origins); every other route keeps none."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST", "OPTIONS"],
            allow_headers=["authorization", "content-type", "x-namespace"],
            allow_credentials=True,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(PREFIX + "/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
