"""One text rule for everything people send (P6): control characters, DEL, C1 controls and lone
surrogates are refused with a 422 before they reach PostgreSQL or a workflow; CRLF is stored as LF.

The sweep below is generated from the app's own OpenAPI schema: every string field of every request
body (dict keys included), every string path and query parameter, the Idempotency-Key header and
every form field of every route gets a NUL, and must come back 422 naming that very field (or a
401/403/404 if the route refuses the caller first) — never a 5xx, never a 2xx — with nothing stored.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from conftest import ADMIN, OFFICE
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import login, register_enterprise
from temporalio.client import Client

from api.app import create_app
from api.deps import Session as DbSession
from config.settings import Settings
from db import repositories as repo
from devstack.scenario import Scenario, password_of
from domain.text import RefusedCharacter, clean_line, clean_text, first_refused, is_refused, printable

Sessions = async_sessionmaker[AsyncSession]
NUL = "\x00"

# --- (a) the rule itself -----------------------------------------------------------------------------

REFUSED = (
    [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]  # C0 (CR becomes LF in multi-line text)
    + ["\x7f"]  # DEL
    + [chr(c) for c in range(0x80, 0xA0)]  # C1
    + ["\ud800", "\udbff", "\udc00", "\udfff"]  # lone surrogates, both halves, both ends
)


@pytest.mark.req("P6")
@pytest.mark.parametrize("bad", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_every_refused_character_is_refused_in_text_and_in_a_line(bad: str) -> None:
    for rule in (clean_text, clean_line):
        with pytest.raises(RefusedCharacter) as e:
            rule(f"鹿城{bad}区")
        assert e.value.position == 2 and e.value.codepoint == f"U+{ord(bad):04X}"
        assert e.value.codepoint in e.value.message_en and e.value.codepoint in e.value.message_zh


@pytest.mark.req("P6")
def test_tab_and_newline_are_text_but_not_a_line() -> None:
    assert clean_text("第一行\n\t第二行") == "第一行\n\t第二行"
    for ch in "\t\n\r":
        with pytest.raises(RefusedCharacter):
            clean_line(f"名称{ch}")


@pytest.mark.req("P6")
def test_crlf_and_a_lone_cr_become_lf() -> None:
    assert clean_text("一\r\n二\r三\n四\r\n\r\n") == "一\n二\n三\n四\n\n"


@pytest.mark.req("P6")
@pytest.mark.parametrize(
    "fine",
    [
        "温州市鹿城区市场监督管理局",
        "鹿政办〔2027〕1号",
        "质量第一 😀👍🏽 ✓",  # emoji, a skin-tone modifier (astral plane, no surrogates in Python)
        "Ünïcödé – “quotes” — ½ € ¥ 𠀋",
        "\u00a0 NBSP and U+00A0 just after the C1 range",
        "",
    ],
)
def test_chinese_text_and_emoji_pass_unchanged(fine: str) -> None:
    assert clean_text(fine) == fine
    assert clean_line(fine) == fine


@pytest.mark.req("P6")
def test_printable_escapes_what_cannot_be_echoed() -> None:
    assert printable("a\x00b\ud800c") == "a\\u0000b\\ud800c"
    assert printable("中文") == "中文"
    printable("x\ud800").encode("utf-8")  # a lone surrogate cannot be encoded; its escape can


@pytest.mark.req("P6")
@given(st.text())
def test_clean_text_either_refuses_or_returns_clean_normalised_text(value: str) -> None:
    try:
        cleaned = clean_text(value)
    except RefusedCharacter as e:
        assert is_refused(e.char)
        return
    assert "\r" not in cleaned and first_refused(cleaned) is None
    assert clean_text(cleaned) == cleaned  # idempotent


# --- (b) every input of every route --------------------------------------------------------------------

KEY = "[key]"  # a path step naming the key of a dict rather than a value
SKIPPED_FORMATS = {"date", "date-time", "duration", "time", "binary", "uuid"}
PATTERN_SAMPLES = ["abc123", "password", "0" * 64, "x"]
Path = tuple[Any, ...]


@dataclass
class Case:
    method: str
    route: str
    what: str  # which input holds the NUL, e.g. body.reason, path.number, query.action
    location: str  # where the 422 must say the problem is (exact, or a suffix for body fields)
    path_params: dict[str, Any]
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    content: bytes | None = None  # a raw body (a multipart form written by hand)

    def url(self) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: quote(str(self.path_params[m[1]]), safe=""), self.route)


class Sampler:
    """Valid-looking values for a JSON schema, and where its free strings are."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.components = spec.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[1]]
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.resolve(schema["allOf"][0])
        return schema

    def variants(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        """The alternatives of a union at the top of a body (a discriminated union of facts)."""
        s = self.resolve(schema)
        options = s.get("oneOf") or s.get("anyOf")
        if options and all(self.resolve(o).get("type") == "object" for o in options):
            return [self.resolve(o) for o in options]
        return [s]

    def is_free_string(self, schema: dict[str, Any]) -> bool:
        s = self.resolve(schema)
        if "anyOf" in s:
            non_null = [o for o in s["anyOf"] if self.resolve(o).get("type") != "null"]
            return len(non_null) == 1 and self.is_free_string(non_null[0])
        return (
            s.get("type") == "string"
            and "enum" not in s
            and "const" not in s
            and s.get("format") not in SKIPPED_FORMATS
            and "contentMediaType" not in s
        )

    def string(self, s: dict[str, Any]) -> str:
        fmt = s.get("format")
        if fmt == "date":
            return "2026-01-01"
        if fmt == "date-time":
            return (datetime.now(UTC) + timedelta(days=30)).isoformat()
        if fmt == "duration":
            return "P1D"
        if pattern := s.get("pattern"):
            return next(c for c in PATTERN_SAMPLES if re.search(pattern, c))
        return "样例"[: max(1, min(2, s.get("maxLength", 2)))] + "x" * max(0, s.get("minLength", 0) - 2)

    def sample(self, schema: dict[str, Any]) -> tuple[Any, list[Path]]:
        """A value for `schema` with every optional part filled, and the paths of its free strings."""
        s = self.resolve(schema)
        if "const" in s:
            return s["const"], []
        if "enum" in s:
            return s["enum"][0], []
        for union in ("anyOf", "oneOf"):
            if union in s:
                options = [o for o in s[union] if self.resolve(o).get("type") != "null"]
                return self.sample(options[0]) if options else (None, [])
        kind = s.get("type")
        if kind == "object":
            value: dict[str, Any] = {}
            paths: list[Path] = []
            for name, prop in s.get("properties", {}).items():
                value[name], inner = self.sample(prop)
                paths += [(name, *p) for p in inner]
                if self.is_free_string(prop):
                    paths.append((name,))
            extra = s.get("additionalProperties")
            if isinstance(extra, dict) and not s.get("properties"):
                value["k1"], inner = self.sample(extra)
                paths += [("k1", *p) for p in inner] + [("k1", KEY)]
                if self.is_free_string(extra):
                    paths.append(("k1",))
            return value, paths
        if kind == "array":
            item, inner = self.sample(s.get("items", {}))
            count = max(1, s.get("minItems", 1))
            items = [copy.deepcopy(item) for _ in range(count)]
            return items, [(0, *p) for p in inner] + (
                [(0,)] if self.is_free_string(s.get("items", {})) else []
            )
        if kind == "string":
            return self.string(s), []
        if kind == "integer":
            return max(s.get("minimum", 1), min(s.get("maximum", 3), 3)), []
        if kind == "number":
            return 1, []
        if kind == "boolean":
            return True, []
        return None, []


def poison(value: Any, path: Path) -> Any:
    """A copy of `value` with a NUL in the string (or dict key) at `path`."""
    out = copy.deepcopy(value)
    is_key = path[-1] == KEY
    steps = path[:-2] if is_key else path[:-1]
    parent = out
    for step in steps:
        parent = parent[step]
    if is_key:
        parent[f"{path[-2]}{NUL}"] = parent.pop(path[-2])
    else:
        parent[path[-1]] = f"ok{NUL}"
    return out


def cases(spec: dict[str, Any]) -> Iterator[Case]:
    sampler = Sampler(spec)
    for route, methods in spec["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            path_params = {
                p["name"]: 2027 if sampler.resolve(p["schema"]).get("type") == "integer" else "sample-1"
                for p in params
                if p["in"] == "path"
            }
            base = {"method": method.upper(), "route": route}
            body_schema = op.get("requestBody", {}).get("content", {})
            json_bodies = (
                [sampler.sample(v) for v in sampler.variants(body_schema["application/json"]["schema"])]
                if "application/json" in body_schema
                else [(None, [])]
            )
            json_body = json_bodies[0][0]
            for p in params:
                if not sampler.is_free_string(p["schema"]):
                    continue
                where = {"path": "path", "query": "query", "header": "header"}[p["in"]]
                what = f"{where}.{p['name']}"
                if p["in"] == "path":
                    yield Case(
                        **base,
                        what=what,
                        location=what,
                        path_params={**path_params, p["name"]: f"ok{NUL}"},
                        json=json_body,
                    )
                elif p["in"] == "query":
                    yield Case(
                        **base,
                        what=what,
                        location=what,
                        path_params=path_params,
                        query={p["name"]: f"ok{NUL}"},
                        json=json_body,
                    )
                else:
                    yield Case(
                        **base,
                        what=what,
                        location=what,
                        path_params=path_params,
                        headers={p["name"]: f"ok{NUL}"},
                        json=json_body,
                    )
            for body, paths in json_bodies if "application/json" in body_schema else []:
                for p in paths:
                    what = "body." + ".".join(str(x) for x in p)
                    suffix = ".[key]" if p[-1] == KEY else "." + ".".join(str(x) for x in p[-2:])
                    yield Case(
                        **base, what=what, location=suffix, path_params=path_params, json=poison(body, p)
                    )
            for media in ("application/x-www-form-urlencoded", "multipart/form-data"):
                if media not in body_schema:
                    continue
                form = sampler.resolve(body_schema[media]["schema"])
                data: dict[str, str] = {}
                files: dict[str, tuple[str, bytes, str]] = {}
                for name, prop in form.get("properties", {}).items():
                    prop = sampler.resolve(prop)
                    if prop.get("format") == "binary" or "contentMediaType" in prop:
                        files[name] = ("sample.pdf", b"%PDF-1.4\n% sample\n%%EOF\n", "application/pdf")
                    elif sampler.is_free_string(prop):
                        value, _ = sampler.sample(prop)
                        data[name] = value if isinstance(value, str) else "sample"
                for name in data:
                    what = f"form.{name}"
                    yield Case(
                        **base,
                        what=what,
                        location=what,
                        path_params=path_params,
                        data={**data, name: f"ok{NUL}"},
                        files=files or None,
                    )
                for name in files:
                    what = f"form.{name}.filename"
                    content, content_type = raw_multipart(
                        data, {**files, name: (f"ok{NUL}.pdf", *files[name][1:])}
                    )
                    yield Case(
                        **base,
                        what=what,
                        location=what,
                        path_params=path_params,
                        headers={"Content-Type": content_type},
                        content=content,
                    )


def raw_multipart(data: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart form as a browser could send it, written by hand: httpx percent-escapes control
    characters in file names, a hostile client need not."""
    boundary = "sweep-boundary-61"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in data.items()
    ]
    for k, (filename, content, media_type) in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{filename}"\r\n'
        parts.append(f"{head}Content-Type: {media_type}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def row_counts(sessions: Sessions) -> dict[str, int]:
    """Rows of every table but the rate-limit counters (a refused request may count a hit) and the
    audit rows of refusals (every 403 is audited, P4)."""
    async with sessions() as s:
        tables = (
            await s.scalars(
                text(
                    "select tablename from pg_tables where schemaname='public' "
                    "and tablename not in ('alembic_version', 'rate_limits')"
                )
            )
        ).all()
        counts = {t: (await s.execute(text(f'select count(*) from "{t}"'))).scalar_one() for t in tables}
        denied = "select count(*) from audit_log where action = 'ACCESS_DENIED'"
        counts["audit_log"] -= (await s.execute(text(denied))).scalar_one()
        return counts


async def callers(api: httpx.AsyncClient) -> list[dict[str, str]]:
    """A token of each role: the office, an enterprise, an expert, a committee member, the
    government and the administrator (each account set up by whoever manages it)."""
    office = await login(api, *OFFICE)
    admin = await login(api, *ADMIN)
    sc = Scenario(api, office, datetime.now(UTC).year + 1, admin=admin)
    _, enterprise = await register_enterprise(api, office, 61)
    expert = await sc.expert(61, fields=("INDUSTRY",))
    heads = [office, enterprise, sc.expert_heads[expert["id"]]]
    for username, role in (("chair61", "committee"), ("gov61", "government")):
        heads.append(await sc.account(username, role, password_of(username), username))
    return [*heads, admin]


async def send(api: httpx.AsyncClient, case: Case, auth: dict[str, str]) -> httpx.Response:
    return await api.request(
        case.method,
        case.url(),
        params=case.query or None,
        headers={**auth, **case.headers},
        json=case.json if case.data is None and case.files is None and case.content is None else None,
        data=case.data,
        files=case.files,
        content=case.content,
    )


@pytest.mark.req("P6")
async def test_a_nul_in_any_string_input_of_any_route_is_refused_and_stores_nothing(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    spec = (await api.get("/openapi.json")).json()
    heads = await callers(api)
    all_cases = list(cases(spec))
    # the sweep reaches every kind of input, public and signed-in alike
    kinds = {c.what.split(".")[0] for c in all_cases}
    assert kinds == {"body", "path", "query", "header", "form"}, kinds
    whats = {(c.route, c.what) for c in all_cases}
    for expected in [
        ("/public/objections/{year}", "body.facts"),
        ("/public/objections/{year}", "body.application_id"),
        ("/public/objections/{year}", "header.Idempotency-Key"),
        ("/public/certificates/{number}", "path.number"),
        ("/auth/token", "form.username"),
        ("/documents", "form.file.filename"),
        ("/cycles/{year}/applications", "body.documents.0.title"),
        ("/cycles/{year}/applications", "body.self_assessment.k1.[key]"),
        ("/applications", "query.credit_code"),
        ("/audit", "query.action"),
        ("/enterprises/{credit_code}/facts", "body.summary"),
    ]:
        assert expected in whats, expected

    before = await row_counts(sessions)
    refused_first: list[str] = []
    failures: list[str] = []
    for case in all_cases:
        label = f"{case.method} {case.route} [{case.what}]"
        r = None
        for auth in [*heads, {}]:
            try:
                r = await send(api, case, auth)
            except Exception as e:  # the app raised instead of answering
                failures.append(f"{label}: raised {e!r}")
                break
            if r.status_code not in (401, 403):
                break
        if r is None:
            continue
        if r.status_code == 422:
            body = r.json()
            locations = [e["location"] for e in body.get("details", {}).get("errors", [])]
            if body["code"] != "INVALID_INPUT" or not any(
                loc == case.location or loc.endswith(case.location) for loc in locations
            ):
                failures.append(f"{label}: 422 but not for this field: {body}")
        elif r.status_code in (401, 403, 404):
            refused_first.append(f"{label}: {r.status_code}")
        else:
            failures.append(f"{label}: {r.status_code} {r.text[:300]}")
    assert not failures, "\n".join(failures)
    # A route may refuse the caller (or a missing record) before it reads its body; today none does,
    # with a token of every role at hand. Parameters, headers and forms are checked before any
    # route's own dependencies, so for them it is always the 422.
    assert not [x for x in refused_first if "[body." not in x], "\n".join(refused_first)
    assert await row_counts(sessions) == before
    assert len(all_cases) > 150


@pytest.mark.req("P6")
async def test_other_refused_characters_and_lone_surrogates_are_a_422(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    office = await login(api, *OFFICE)
    ent, _ = await register_enterprise(api, office, 62)
    code = ent["credit_code"]
    sc = Scenario(api, office, 2026)
    expert = sc.expert_heads[(await sc.expert(62))["id"]]
    before = await row_counts(sessions)
    fact = {"kind": "SERIOUS_VIOLATION", "on": "2026-01-01", "source": "区市场监管局", "evidence": "文书"}
    for bad in ["\x7f", "\x85", "\x1b[31m", "\x0c", "\u009f"]:
        r = await api.post(
            f"/enterprises/{code}/facts", headers=office, json={**fact, "summary": f"违法{bad}"}
        )
        assert r.status_code == 422, r.text
        assert r.json()["details"]["errors"][0]["location"] == "body.SERIOUS_VIOLATION.summary"
        r = await api.get(f"/public/certificates/{quote('证书' + bad)}")
        assert r.status_code == 422 and r.json()["details"]["errors"][0]["location"] == "path.number", r.text
    # JSON can carry a lone surrogate; it must never reach asyncpg (which cannot encode it)
    raw = '{"application_id": "x", "facts": "\\ud800 事实", "anonymous": true}'.encode()
    r = await api.post("/public/objections/2027", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    r.json()  # the answer itself is valid UTF-8 JSON
    raw = b'{"kind": "SERIOUS_VIOLATION", "on": "2026-01-01", "source": "s", "evidence": "e", "summary": "\\udfff"}'
    r = await api.post(
        f"/enterprises/{code}/facts", headers={**office, "Content-Type": "application/json"}, content=raw
    )
    assert r.status_code == 422 and "U+DFFF" in r.text, r.text
    # a lone surrogate as a dict key: the error names the key without breaking the UTF-8 answer
    # (as an expert: the route's role gate refuses any other role before it reads the body)
    raw = b'{"scores": {"\\ud800": 60}, "opinion": "x"}'
    r = await api.post(
        "/applications/a-1/panel-opinion", headers={**expert, "Content-Type": "application/json"}, content=raw
    )
    assert r.status_code == 422 and r.json()["details"]["errors"][0]["location"].endswith(".[key]"), r.text
    # a NUL in a key is shown escaped
    r = await api.post("/applications/a-1/panel-opinion", headers=expert, json={"scores": {"4.1\x00": 60}})
    assert r.status_code == 422 and "body.scores.4.1\\u0000.[key]" in r.json()["message_en"], r.text
    # a line break in a single-line parameter or header; a C1 control in a query filter
    header_split = quote("A\r\nSet-Cookie: x")
    assert (await api.get(f"/public/certificates/{header_split}")).status_code == 422
    r = await api.get("/audit", headers=office, params={"action": "X\x85"})
    assert r.status_code == 422 and r.json()["details"]["errors"][0]["location"] == "query.action"
    r = await api.post(
        "/public/objections/2027",
        json={"application_id": "x", "facts": "f"},
        headers={"Idempotency-Key": "key\x7f"},
    )
    assert r.status_code == 422 and r.json()["details"]["errors"][0]["location"] == "header.Idempotency-Key"
    assert await row_counts(sessions) == before


@pytest.mark.req("P6")
async def test_chinese_text_with_line_breaks_is_stored_unchanged_and_crlf_as_lf(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    office = await login(api, *OFFICE)
    ent, _ = await register_enterprise(api, office, 63, name="温州鹿城😀质量有限公司")
    assert ent["name"] == "温州鹿城😀质量有限公司"
    code = ent["credit_code"]
    r = await api.post(
        f"/enterprises/{code}/facts",
        headers=office,
        json={
            "kind": "MAJOR_COMPLAINT",
            "on": "2026-03-01",
            "source": "鹿城区市场监督管理局\r\n投诉举报处理科",
            "evidence": "鹿市监投〔2026〕7号\r附件：\t现场照片 📷",
            "due_to_organisation": False,
            "summary": "消费者投诉产品标签不规范。\r\n\r\n经核实：\n\t已整改完毕。",
        },
    )
    assert r.status_code == 201, r.text
    stored = {
        "source": "鹿城区市场监督管理局\n投诉举报处理科",
        "evidence": "鹿市监投〔2026〕7号\n附件：\t现场照片 📷",
    }
    assert {k: r.json()[k] for k in stored} == stored
    assert r.json()["attrs"]["summary"] == "消费者投诉产品标签不规范。\n\n经核实：\n\t已整改完毕。"
    async with sessions() as s:
        row = (
            await s.execute(
                text("select source, evidence, attrs from eligibility_facts where id = :id"),
                {"id": r.json()["id"]},
            )
        ).one()
    assert (row.source, row.evidence) == (stored["source"], stored["evidence"])
    assert row.attrs["summary"] == "消费者投诉产品标签不规范。\n\n经核实：\n\t已整改完毕。"
    listed = (await api.get(f"/enterprises/{code}/facts", headers=office)).json()
    assert [f["source"] for f in listed] == [stored["source"]]


# --- what the database refuses --------------------------------------------------------------------------

FAILING_STATEMENTS = {
    # SQLSTATE 22xxx, a data exception: the input cannot be stored -> 422 DATA_REJECTED
    "too-long": (
        "insert into enterprises (credit_code, name, registered_district, tax_district, "
        "independent_legal_person, registration_date, field, sector_tags) values "
        "('X', 'n', repeat('鹿', 60), 'd', true, '2020-01-01', 'INDUSTRY', '[]')",
        422,
        "DATA_REJECTED",
    ),
    "out-of-range": ("select 2147483647::int + 1", 422, "DATA_REJECTED"),
    "nul-byte": ("select convert_from('\\x00'::bytea, 'UTF8')", 422, "DATA_REJECTED"),
    "not-a-number": ("select 'zwei'::int", 422, "DATA_REJECTED"),
    # 23514, a check violation -> 422 DATA_REJECTED
    "check": (
        "create temp table t (v int check (v > 0)) on commit drop; insert into t values (-1)",
        422,
        "DATA_REJECTED",
    ),
    # 57014, a statement timeout: transient -> 503
    "timeout": ("set local statement_timeout = 10; select pg_sleep(1)", 503, "DATABASE_BUSY"),
    # 42601, a bug: an honest 500, with the project's error shape
    "syntax": ("selec 1", 500, "INTERNAL_ERROR"),
}


@pytest.mark.req("P6")
async def test_a_value_the_database_refuses_is_a_422_and_the_request_is_rolled_back(
    settings: Settings, temporal_client: Client, clean: None, sessions: Sessions
) -> None:
    app = create_app(settings, temporal_client)

    @app.post("/test-only/fail/{case}")
    async def write_then_fail(case: str, s: DbSession) -> None:
        await repo.audit(
            s,
            at=datetime.now(UTC),
            actor="test",
            actor_role="test",
            action="WRITTEN_BEFORE_THE_ERROR",
            entity_type="test",
            entity_id=case,
        )
        await s.flush()
        for statement in FAILING_STATEMENTS[case][0].split("; "):
            await s.execute(text(statement))

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test") as api:
            for case, (_, status, code) in FAILING_STATEMENTS.items():
                r = await api.post(f"/test-only/fail/{case}")
                assert r.status_code == status, (case, r.text)
                body = r.json()
                assert body["code"] == code and body["message_zh"] and body["message_en"], (case, body)
    async with sessions() as s:
        written = await s.scalar(
            text("select count(*) from audit_log where action = 'WRITTEN_BEFORE_THE_ERROR'")
        )
    assert written == 0  # each request's transaction was rolled back
