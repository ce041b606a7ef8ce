"""Security headers on every response, and the headers of a document download (issue 8 point 6, P6).

Every answer of the API is JSON (or a download), never a page to render, so the default policy
forbids everything a browser could do with it: load, frame, submit, refer. The interactive
documentation (`/docs`, `/redoc`) gets a policy that lets its scripts and styles load and nothing
else; the public portal (`/portal/`) one that lets its own style sheet load and its forms post to
this origin, and runs no script. Nothing is cached: answers carry personal and
confidential data, and a shared cache must never keep one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.asgi import HttpMiddleware
from domain.documents import ascii_name
from domain.errors import DomainError

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# A download is never rendered by us; should a browser open it anyway, it is a sandboxed document
# that can run nothing and reach nothing (CSP `sandbox` without allow-* tokens).
DOWNLOAD_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"
# FastAPI's Swagger UI and ReDoc pages: their bundles come from jsDelivr, ReDoc's fonts from Google,
# each page starts its bundle with an inline script; the spec is fetched from this origin.
DOCS_POLICY = (
    "default-src 'none'; "
    "script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src blob:; "
    "connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
# The public portal (api/routes/portal.py): pages to render, with no script at all, the style sheet
# from this origin only, and forms that post to this origin only.
PORTAL_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def policy_of(path: str) -> str:
    if path in DOCS_PATHS:
        return DOCS_POLICY
    if path == "/portal" or path.startswith("/portal/"):
        return PORTAL_POLICY
    return API_POLICY


def security_headers(path: str) -> dict[str, str]:
    """The headers every response carries unless it sets its own (a download sets a stricter CSP)."""
    return {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": policy_of(path),
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def _add_missing(raw: Iterable[tuple[bytes, bytes]], wanted: dict[str, str]) -> list[tuple[bytes, bytes]]:
    headers = list(raw)
    present = {name.lower() for name, _ in headers}
    headers += [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in wanted.items()
        if name.lower().encode("latin-1") not in present
    ]
    return headers


class SecurityHeaders(HttpMiddleware):
    """Pure ASGI middleware (it never buffers a body): adds `security_headers` to every HTTP
    response that does not set them itself."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = security_headers(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _add_missing(message.get("headers", ()), wanted)}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def content_disposition(filename: str) -> str:
    """`attachment` with the name in ASCII (`filename=`) and in UTF-8 (RFC 6266 / RFC 8187 `filename*`),
    so a Chinese file name survives and nothing in it can break out of the header."""
    fallback = ascii_name(filename).replace("\\", "_").replace('"', "_")
    encoded = quote(filename, safe="!#$&+-.^_`|~", encoding="utf-8", errors="replace")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def download_headers(filename: str, etag: str) -> dict[str, str]:
    return {
        "Content-Disposition": content_disposition(filename),
        "Content-Security-Policy": DOWNLOAD_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
        "ETag": f'"{etag}"',
    }


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body passes its limit mid-stream: an HTTPException, so that
    FastAPI's body parsing passes it on as it is to the API's handler (api/errors.py)."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(status_code=413, detail=error.message_en)
        self.error = error


class RequestBodyLimit(HttpMiddleware):
    """Pure ASGI middleware: the body of a request is refused with 413 as soon as it is known to
    be larger than `limit_of(method, path)` — at once from its Content-Length, or while it streams
    in (chunked), the moment its bytes pass the limit — so it is never read, parsed or spooled
    whole (Starlette spools an uploaded file to disk as it parses the form)."""

    def __init__(self, app: ASGIApp, limit_of: Callable[[str, str], tuple[int, DomainError]]) -> None:
        super().__init__(app)
        self.limit_of = limit_of

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit, error = self.limit_of(scope["method"], scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            response = JSONResponse(error.to_dict(), status_code=413, headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(error)
            return message

        await self.app(scope, receive_within_limit, send)
