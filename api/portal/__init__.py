"""The public portal's pages (issue 11): templates, labels and the objection form's CSRF token.

The routes are in api/routes/portal.py; the templates (Jinja2, autoescaped) and the one style
sheet are package data of this folder. The pages work without JavaScript and load nothing but the
style sheet from this origin (api/http_security.py, PORTAL_POLICY).

CSRF (the objection form): a signed double-submit token. The page sets it as a cookie (HttpOnly,
SameSite=Strict, path /portal/) and writes the same value into a hidden field; a post is taken
only when both are present, equal, signed under the server secret (HMAC-SHA256 of the JWT secret,
under a label of its own) and younger than `CSRF_MAX_AGE`. Another site can neither read the value
nor make the browser send the cookie with its post; a value it planted in a cookie fails the
signature.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from domain.calendar import format_cst
from domain.publicity import format_close
from domain.roster import Position
from domain.types import Award, NoticeKind

CSRF_COOKIE = "portal_csrf"
CSRF_FIELD = "csrf_token"
CSRF_MAX_AGE = timedelta(hours=12)
_CSRF_LABEL = b"portal-csrf|"

# the kinds of notice the public reads (domain/types.py), as the office titles them
PUBLIC_KINDS: dict[str, str] = {
    NoticeKind.CALL_FOR_APPLICATIONS: "申报通知",
    NoticeKind.DEADLINE_EXTENDED: "延期通知",
    NoticeKind.COMMITTEE_ROSTER: "评委会名单公布",
    NoticeKind.PRELIMINARY_LIST: "初选公示",
    NoticeKind.SUPPLEMENTARY_NOTICE: "补充公示",
    NoticeKind.AWARD_ANNOUNCEMENT: "授奖公告",
    NoticeKind.REVOCATION_ANNOUNCEMENT: "撤销公告",
    NoticeKind.EXPERIENCE: "先进经验推广",
}


def _sign(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), _CSRF_LABEL + payload.encode("ascii"), sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def new_csrf_token(secret: str, now: datetime) -> str:
    payload = f"{int(now.timestamp())}.{secrets.token_urlsafe(18)}"
    return f"{payload}.{_sign(secret, payload)}"


def csrf_token_valid(secret: str, token: str, now: datetime) -> bool:
    """Signed under `secret`, issued at most CSRF_MAX_AGE ago (and not in the future)."""
    if not token.isascii():
        return False
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
        return False
    issued, nonce, sig = parts
    if not hmac.compare_digest(sig.encode("ascii"), _sign(secret, f"{issued}.{nonce}").encode("ascii")):
        return False
    age = now.timestamp() - int(issued)
    return -60 <= age <= CSRF_MAX_AGE.total_seconds()


def csrf_ok(secret: str, cookie: str | None, field: str | None, now: datetime) -> bool:
    """The double submit: the cookie and the form's field carry the same valid token."""
    if not cookie or not field or not cookie.isascii() or not field.isascii():
        return False
    return hmac.compare_digest(cookie.encode("ascii"), field.encode("ascii")) and csrf_token_valid(
        secret, cookie, now
    )


def _when(at: Any) -> str:
    return format_cst(at) if isinstance(at, datetime) else ""


def _close(at: Any) -> str:
    return format_close(at) if isinstance(at, datetime) else ""


def _award(code: Any) -> str:
    try:
        return Award(str(code)).name_zh
    except ValueError:
        return str(code)


def _position(code: Any) -> str:
    try:
        return Position(str(code)).name_zh
    except ValueError:
        return str(code)


def _kind(code: Any) -> str:
    return PUBLIC_KINDS.get(str(code), "公告")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api.portal", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, close=_close, award=_award, position=_position, kind=_kind)
    return env


templates = _environment()


def render(name: str, **context: Any) -> str:
    return templates.get_template(name).render(**context)
