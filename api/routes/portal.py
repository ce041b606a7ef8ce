"""The public portal (issue 11 point 1): server-rendered pages in Chinese under `/portal/`, for the
people the measures address — the notices of the award, the committee roster, the preliminary list
on public notice with an objection form (R14.7), the results of each year and a certificate check
(R15.1).

The pages read what the public API reads (the route functions of api/routes/committee.py,
api/routes/awards.py and api/routes/notices.py are called as they are) and the objection form files
through the one code path of `POST /public/objections/{year}` (`committee.lodge_objection`), in the
same rate-limit buckets (`ratelimit.objection_form_limits`), after the form's CSRF check
(api/portal/__init__.py). A refused objection is shown on the form, in Chinese, at its field; nothing
is stored. No page needs JavaScript.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from db import portal as portal_db
from db import repositories as repo
from domain.errors import DomainError
from domain.types import DeliveryState

from ..deps import Config, Session, Sessions, Temporal
from ..errors import RateLimited
from ..portal import CSRF_COOKIE, CSRF_FIELD, CSRF_MAX_AGE, PUBLIC_KINDS, csrf_ok, new_csrf_token, render
from ..ratelimit import objection_form_limits
from ..responses.awards import CertificateCheck
from ..schemas import TEXT_RULE_ERROR, ObjectionIn
from . import awards, committee

log = logging.getLogger(__name__)

router = APIRouter(prefix="/portal", tags=["portal"], default_response_class=HTMLResponse)

PAGE_SIZE = 20
MAX_CERTIFICATE_INPUT = 100
_SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# the fields of the objection form, as the page labels them
FIELDS = {
    "application_id": "异议对象",
    "facts": "异议的事实和理由",
    "evidence": "证据材料说明",
    "anonymous": "反映方式",
    "name": "姓名",
    "contact": "联系方式",
}
# the refusals of the objection rules (domain/publicity.py, domain/supplementary.py) that concern one field
_FIELD_OF_CODE = {
    "OBJECTION_TARGET": "application_id",
    "OBJECTION_NOT_IN_SUPPLEMENTARY_NOTICE": "application_id",
    "OBJECTION_FACTS": "facts",
    "OBJECTION_IDENTITY": "name",
}
HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "a page of the portal"}
}
FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        CSRF_FIELD: {"type": "string"},
                        "submission": {"type": "string"},
                        "application_id": {"type": "string"},
                        "facts": {"type": "string"},
                        "evidence": {"type": "string"},
                        "anonymous": {"type": "string", "enum": ["false", "true"]},
                        "name": {"type": "string"},
                        "contact": {"type": "string"},
                    },
                }
            }
        },
    }
}


def page(
    name: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    return HTMLResponse(render(name, **context), status_code=status, headers=headers)


def not_found_page(what: str) -> HTMLResponse:
    return page("error.html", status=404, title="未找到", message=f"{what}不存在或尚未公布。")


def _year(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) == 4 else None


def _secure(request: Request, cfg: Any) -> bool:
    return request.url.scheme == "https" or cfg.environment == "production"


def _csrf_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        token,
        max_age=int(CSRF_MAX_AGE.total_seconds()),
        path="/portal/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )


# --- reading ---------------------------------------------------------------------------------------
@router.get("/", summary="The portal's home page", responses=HTML)
async def home(s: Session) -> HTMLResponse:
    cycles, rosters, notices = await repo.published_years(s)
    years = sorted({y for y, _ in cycles} | rosters | set(notices), reverse=True)
    deadlines = dict(cycles)
    latest = await repo.notices_for(s, enterprise_id=None, public=True, limit=5, offset=0)
    return page(
        "home.html",
        title="首页",
        years=[
            {
                "year": y,
                "deadline": deadlines.get(y),
                "roster": y in rosters,
                "notice": notices.get(y),
                "results": y in notices and notices[y].approval_state == "APPROVED",
            }
            for y in years
        ],
        latest=latest,
    )


@router.get("/notices", summary="The public notices of the award", responses=HTML)
async def notice_list(
    s: Session, page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1
) -> HTMLResponse:
    rows = await repo.notices_for(
        s, enterprise_id=None, public=True, limit=PAGE_SIZE + 1, offset=(page_no - 1) * PAGE_SIZE
    )
    return page(
        "notices.html",
        title="公告公示",
        notices=rows[:PAGE_SIZE],
        page_no=page_no,
        more=len(rows) > PAGE_SIZE,
        kinds=PUBLIC_KINDS,
    )


@router.get("/notices/{notice_id}", summary="One public notice", responses=HTML)
async def notice_page(notice_id: str, s: Session) -> HTMLResponse:
    n = await repo.notice(s, int(notice_id)) if notice_id.isdigit() and len(notice_id) <= 9 else None
    if n is None or n.audience != "PUBLIC" or n.delivery_state != DeliveryState.DELIVERED:
        return not_found_page("该公告")
    return page("notice.html", title=n.title, notice=n)


async def _year_page(
    year: str, load: Callable[[int], Awaitable[Any]], what: str, title: str, template: str, name: str
) -> HTMLResponse:
    """The page of one year's `what` (`load`-ed as the public API reads it, shown as `name` under
    the year's `title`), or 404 when the year has none."""
    y = _year(year)
    if y is None:
        return not_found_page(f"该年度{what}")
    try:
        found = await load(y)
    except DomainError:
        return not_found_page(f"{y}年度{what}")
    return page(template, title=f"{y}年度{title}", **{name: found})


@router.get("/{year}/committee", summary="The committee roster of a year", responses=HTML)
async def roster_page(year: str, s: Session) -> HTMLResponse:
    return await _year_page(
        year, lambda y: committee.get_roster(y, s), "评委会名单", "评审委员会名单", "committee.html", "roster"
    )


@router.get("/{year}/results", summary="The results of a year", responses=HTML)
async def results_page(year: str, s: Session) -> HTMLResponse:
    return await _year_page(
        year, lambda y: committee.results(y, s), "评审结果", "评审结果", "results.html", "result"
    )


@router.get("/certificates", summary="Check a certificate number", responses=HTML)
async def certificate_page(s: Session, number: str = "") -> HTMLResponse:
    """Valid, revoked or unknown: what `GET /public/certificates/{number}` tells the public."""
    wanted = number.strip()
    found: CertificateCheck | None = None
    error = ""
    if len(wanted) > MAX_CERTIFICATE_INPUT:
        error = f"证书编号不能超过{MAX_CERTIFICATE_INPUT}个字符"
    elif wanted:
        try:
            found = await awards.verify_certificate(wanted, s)
        except DomainError:
            found = None
    return page(
        "certificate.html",
        title="证书查验",
        number=wanted[:MAX_CERTIFICATE_INPUT],
        checked=bool(wanted) and not error,
        found=found,
        error=error,
        status=200 if not error else 422,
    )


@router.get(
    "/static/portal.css",
    summary="The portal's style sheet",
    response_class=Response,
    responses={200: {"content": {"text/css": {}}, "description": "the style sheet of the portal's pages"}},
)
async def stylesheet() -> Response:
    css = resources.files("api.portal").joinpath("static/portal.css").read_bytes()
    return Response(css, media_type="text/css; charset=utf-8")


# --- the preliminary list and the objection form (R14.7) ------------------------------------------------
async def _notice_state(request: Request, s: Any, year: int) -> dict[str, Any] | None:
    """The preliminary list as the public reads it, the window that takes objections now and the
    organisations that may be named (during a supplementary notice: its candidates only)."""
    try:
        pub = await committee.preliminary(year, s)
    except DomainError:
        return None
    sups = pub.supplementary
    if sups:
        last = sups[-1]
        opens, closes, closed, targets = last.published_at, last.closes_at, last.closed, last.list
    else:
        notice = await portal_db.public_notice(s, year)
        assert notice is not None  # committee.preliminary read it
        opens, closes, closed, targets = pub.published_at, pub.closes_at, notice.closed, pub.list
    now = await request.app.state.clock()
    return {
        "pub": pub,
        "window": {"opens": opens, "closes": closes, "supplementary": bool(sups)},
        "open": opens <= now < closes and not closed,
        "not_yet": now < opens,
        "targets": targets,
    }


def _form_page(
    state: dict[str, Any],
    year: int,
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    secure: bool = False,
) -> HTMLResponse:
    values = values or {}
    response = page(
        "preliminary.html",
        title=f"{year}年度初选名单公示",
        year=year,
        status=status,
        headers=headers,
        csrf_field=CSRF_FIELD,
        csrf_token=token,
        submission=values.get("submission") or secrets.token_urlsafe(18),
        values=values,
        errors=errors or {},
        general=general or [],
        fields=FIELDS,
        **state,
    )
    _csrf_cookie(response, token, secure)
    return response


@router.get(
    "/{year}/preliminary",
    summary="The preliminary list on public notice, with the objection form",
    responses=HTML,
)
async def preliminary_page(year: str, request: Request, s: Session, cfg: Config) -> HTMLResponse:
    y = _year(year)
    state = await _notice_state(request, s, y) if y is not None else None
    if y is None or state is None:
        return not_found_page("该年度初选名单公示")
    now = datetime.now(UTC)  # the token's age is wall-clock time, whatever clock the award runs on
    cookie = request.cookies.get(CSRF_COOKIE)
    token = (
        cookie
        if csrf_ok(cfg.jwt_secret, cookie, cookie, now) and cookie
        else new_csrf_token(cfg.jwt_secret, now)
    )
    return _form_page(state, y, token, secure=_secure(request, cfg))


@router.get(
    "/{year}/objections",
    summary="The objection form's address, opened directly: back to the notice",
    status_code=303,
    response_class=RedirectResponse,
)
async def objection_form_address(year: str) -> RedirectResponse:
    y = _year(year)
    return RedirectResponse(f"/portal/{y}/preliminary" if y else "/portal/", status_code=303)


def _problem(err: Any) -> str:
    """A validation error of ObjectionIn, in Chinese."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == TEXT_RULE_ERROR:
        return str(ctx.get("message_zh", "含有不允许的字符"))
    if kind in ("string_too_long", "too_long"):
        return f"不能超过{ctx.get('max_length')}个字"
    if kind in ("string_too_short", "too_short", "missing"):
        return "请填写此项"
    if kind == "bool_parsing":
        return "请选择实名反映或匿名反映"
    return "填写的内容不符合要求"


@router.post(
    "/{year}/objections",
    summary="File an objection through the portal's form (R14.7)",
    responses={
        201: {"content": {"text/html": {}}, "description": "the confirmation page"},
        400: {"content": {"text/html": {}}, "description": "the form's token is missing or wrong"},
        422: {"content": {"text/html": {}}, "description": "the form again, with the errors at their fields"},
    },
    openapi_extra=FORM_BODY,
    status_code=201,
)
async def file_objection_form(
    year: str, request: Request, sessions: Sessions, client: Temporal, cfg: Config
) -> HTMLResponse:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    now = datetime.now(UTC)
    if not csrf_ok(cfg.jwt_secret, request.cookies.get(CSRF_COOKIE), values.get(CSRF_FIELD), now):
        log.info("portal objection refused: CSRF token missing or wrong")
        return page(
            "error.html",
            status=400,
            title="提交未受理",
            message="页面已过期或提交来源无法确认，异议未提交。请重新打开公示页面后再填写提交。",
            back=f"/portal/{year}/preliminary" if _year(year) else "/portal/",
        )
    token = values[CSRF_FIELD]
    secure = _secure(request, cfg)
    y = _year(year)
    async with sessions() as s, s.begin():
        state = await _notice_state(request, s, y) if y is not None else None
    if y is None or state is None:
        return not_found_page("该年度初选名单公示")
    shown = {k: values.get(k, "") for k in (*FIELDS, "submission")}
    try:
        await objection_form_limits(request)  # the API's limits, in the API's buckets (P6)
    except RateLimited as e:
        return _form_page(
            state,
            y,
            token,
            values=shown,
            general=[e.message_zh],
            status=429,
            headers=e.headers,
            secure=secure,
        )
    try:
        body = ObjectionIn.model_validate(
            {
                "application_id": values.get("application_id", ""),
                "facts": values.get("facts", ""),
                "evidence": values.get("evidence", ""),
                "anonymous": values.get("anonymous", "false"),
                "name": values.get("name", ""),
                "contact": values.get("contact", ""),
            }
        )
    except ValidationError as e:
        errors: dict[str, str] = {}
        for err in e.errors():
            field = str(err["loc"][0]) if err.get("loc") else ""
            errors.setdefault(field if field in FIELDS else "", _problem(err))
        general = [errors.pop("")] if "" in errors else []
        return _form_page(
            state, y, token, values=shown, errors=errors, general=general, status=422, secure=secure
        )
    submission = values.get("submission", "")
    try:
        filed = await committee.lodge_objection(
            y,
            body,
            sessions=sessions,
            client=client,
            cfg=cfg,
            clock=request.app.state.clock,
            key=f"portal-{submission}" if _SUBMISSION.match(submission) else None,
        )
    except DomainError as e:
        field = _FIELD_OF_CODE.get(e.code, "")
        marked = {field: e.message_zh} if field else {}
        if e.code == "OBJECTION_IDENTITY":  # the one of name and contact left empty, or both
            marked = {f: e.message_zh for f in ("name", "contact") if not shown[f].strip()} or marked
        return _form_page(
            state,
            y,
            token,
            values=shown,
            errors=marked,
            general=[] if field else [e.message_zh],
            status=e.status,
            secure=secure,
        )
    target = next((t for t in state["targets"] if t.application_id == body.application_id), None)
    response = page(
        "confirmation.html",
        status=201,
        title="异议已受理",
        year=y,
        filed=filed,
        target=target,
        anonymous=body.anonymous,
    )
    _csrf_cookie(response, new_csrf_token(cfg.jwt_secret, now), secure)  # a new form starts afresh
    return response
