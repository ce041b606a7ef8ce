"""Safe documents and security headers (issue 8 point 6, P6): uploads are told by their content, the
size limit holds while the body streams in, downloads are attachments no browser renders, and every
response carries the security headers."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from urllib.parse import unquote

import httpx
import pytest
from conftest import OFFICE
from documents_samples import ACCEPTED, REFUSED
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import login, pdf, register_enterprise

from api.http_security import content_disposition
from config.settings import Settings
from db import models as m

Sessions = async_sessionmaker[AsyncSession]
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code, body
    assert body["message_zh"] and body["message_en"]
    return body  # type: ignore[no-any-return]


def assert_secured(r: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (r.request.url.path, name, r.headers.get(name))
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def stored_documents(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(m.Document)) or 0)


@pytest.mark.req("P6")
async def test_uploads_are_told_by_their_content_not_by_their_name_or_claimed_type(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    office = await login(api, *OFFICE)
    _, h = await register_enterprise(api, office, 41)
    for media_type, content in ACCEPTED.items():
        # the browser's claim is ignored: the stored type is the detected one
        r = await api.post("/documents", files={"file": ("upload.bin", content, "text/html")}, headers=h)
        assert r.status_code == 201, (media_type, r.text)
        assert r.json()["media_type"] == media_type
        assert r.json()["sha256"] == hashlib.sha256(content).hexdigest()
        got = await api.get(f"/documents/{r.json()['sha256']}", headers=h)
        assert got.status_code == 200 and got.headers["content-type"] == media_type
        assert got.content == content
    before = await stored_documents(sessions)
    for what, content in REFUSED.items():
        r = await api.post(
            "/documents", files={"file": ("申报材料.pdf", content, "application/pdf")}, headers=h
        )
        body = assert_error(r, 415, "DOCUMENT_TYPE_REFUSED")
        assert "application/pdf" in body["details"]["allowed"], what  # type: ignore[index]
        assert "PDF" in r.json()["message_zh"] and "DOCX" in r.json()["message_en"]
    assert await stored_documents(sessions) == before


@pytest.mark.req("P6")
async def test_a_download_is_an_attachment_under_a_safe_name_that_no_browser_renders(
    api: httpx.AsyncClient,
) -> None:
    office = await login(api, *OFFICE)
    _, h = await register_enterprise(api, office, 42)
    names = {
        "2027年自我评价报告.pdf": ("2027.pdf", "2027年自我评价报告.pdf"),
        "invoice.html": ("invoice.html.pdf", "invoice.html.pdf"),
        "semi;colon<b>.pdf": ("semi_colon_b.pdf", "semi_colon_b_.pdf"),
    }
    for n, (uploaded, (ascii_name, utf8_name)) in enumerate(names.items()):
        content = pdf(f"document {n} <script>alert(1)</script>")
        r = await api.post("/documents", files={"file": (uploaded, content, "text/html")}, headers=h)
        assert r.status_code == 201, r.text
        for reader in (h, office):
            got = await api.get(f"/documents/{r.json()['sha256']}", headers=reader)
            assert got.status_code == 200
            assert got.headers["content-type"] == "application/pdf"
            disposition = got.headers["content-disposition"]
            assert disposition.startswith("attachment;")
            assert f'filename="{ascii_name}"' in disposition
            encoded = disposition.split("filename*=UTF-8''", 1)[1]
            assert unquote(encoded) == utf8_name
            assert got.headers["x-content-type-options"] == "nosniff"
            policy = got.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "sandbox" in policy
            assert "no-store" in got.headers["cache-control"]
            assert got.headers["referrer-policy"] == "no-referrer"


def test_the_content_disposition_header_cannot_be_broken_out_of() -> None:
    for name in ('a"; filename="evil.html', "x\\y.pdf", "报告\u202e.pdf", "%0d%0aSet-Cookie: x"):
        header = content_disposition(name)
        header.encode("latin-1")  # a header value, nothing outside ISO-8859-1
        fallback = header.split('filename="', 1)[1].split('"', 1)[0]
        assert '"' not in fallback and "\\" not in fallback and "\r" not in header and "\n" not in header
        assert header.count('"') == 2


@pytest.mark.req("P6")
async def test_the_size_limit_holds_while_the_body_streams_in(
    api: httpx.AsyncClient, settings: Settings, sessions: Sessions
) -> None:
    office = await login(api, *OFFICE)
    _, h = await register_enterprise(api, office, 43)
    limit = settings.max_document_bytes
    exactly = pdf("x" * (limit - len(pdf(""))))
    assert len(exactly) == limit
    r = await api.post("/documents", files={"file": ("full.pdf", exactly, "application/pdf")}, headers=h)
    assert r.status_code == 201, r.text
    before = await stored_documents(sessions)

    # A body with no Content-Length, sent chunk by chunk: refused once its bytes pass the limit
    # (the file's limit plus the multipart framing allowance), the rest never read.
    boundary = "stream-boundary-8"
    chunk = b"x" * (16 * 1024)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        ).encode()
        for _ in range(640):  # 10 MiB if it were all read
            sent += len(chunk)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    r = await api.post(
        "/documents",
        content=body(),
        headers={**h, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_error(r, 413, "DOCUMENT_TOO_LARGE")
    assert_secured(r)
    allowance = 64 * 1024
    assert sent <= limit + allowance + 2 * len(chunk), sent  # stopped at the limit, not at 10 MiB

    # A Content-Length over the limit is refused before any of the body is read.
    declared = b"y" * (limit + allowance + 1)
    r = await api.post("/documents", files={"file": ("big.pdf", declared, "application/pdf")}, headers=h)
    assert_error(r, 413, "DOCUMENT_TOO_LARGE")
    # Any other body has its own, smaller limit.
    r = await api.post(
        "/enterprises",
        content=b'{"name": "' + b"x" * settings.max_request_bytes + b'"}',
        headers={**office, "Content-Type": "application/json"},
    )
    assert_error(r, 413, "REQUEST_TOO_LARGE")
    assert await stored_documents(sessions) == before


@pytest.mark.req("P6")
async def test_every_response_carries_the_security_headers(api: httpx.AsyncClient) -> None:
    office = await login(api, *OFFICE)
    answers = [
        await api.get("/health"),
        await api.get("/openapi.json"),
        await api.get("/auth/me", headers=office),
        await api.get("/auth/me"),  # 401
        await api.get("/no-such-route"),  # 404
        await api.get("/audit", params={"page": "many"}, headers=office),  # 422
        await api.post("/auth/token", data={"username": "office", "password": "wrong-password-1"}),
        await api.get("/public/notices"),
    ]
    assert {r.status_code for r in answers} >= {200, 401, 404, 422}
    for r in answers:
        assert_secured(r)
    docs = await api.get("/docs")
    assert docs.status_code == 200 and docs.headers["x-frame-options"] == "DENY"
    assert "script-src" in docs.headers["content-security-policy"]  # the one HTML page: its own policy
