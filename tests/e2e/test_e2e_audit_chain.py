"""Tamper-evident audit (issue 8 point 5; P4, P7; MLPS 2.0 安全审计), on the real servers: the
chain after a real workflow's writes, a row edited by a superuser named by the API and the CLI,
the table refusing changes to the application's role, concurrent writers, the auditor (纪检)
reading and exporting but writing nothing, refusals and downloads audited, exports parsed back."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from conftest import ADMIN, OFFICE, ROOT
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import (
    add_fact,
    application_documents,
    eventually,
    expect_list,
    in_seconds,
    login,
    open_cycle,
    register_enterprise,
    self_assessment,
    upload,
    valid_certificate,
)
from temporalio.client import Client

from api.app import create_app
from api.deps import READ_METHODS, account_manager, current_user
from api.errors import sqlstate
from audit.export import BOM, parse_csv, parse_jsonl
from audit.verify import verify_parsed
from config.settings import Settings
from db import repositories as repo
from db.audit_log import CHAIN_COLUMNS
from domain.audit_chain import GENESIS

pytestmark = [pytest.mark.asyncio]
AUDITOR = ("jijian", "auditor-pass-0427")


async def auditor_headers(api: httpx.AsyncClient) -> dict[str, str]:
    """The administrator invites the auditor (纪检) like the other district accounts."""
    admin = await login(api, *ADMIN)
    r = await api.post(
        "/users",
        headers=admin,
        json={"username": AUDITOR[0], "display_name": "区纪委监委派驻纪检组", "role": "auditor"},
    )
    assert r.status_code == 201, r.text
    r = await api.post(
        "/auth/invitations/accept", json={"token": r.json()["invitation"]["token"], "password": AUDITOR[1]}
    )
    assert r.status_code == 200, r.text
    return await login(api, *AUDITOR)


async def cli(database_url: str, *args: str) -> tuple[int, str]:
    """`python -m audit …` in its own process, configured like the API (AWARD_DATABASE_URL)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "audit",
        *args,
        cwd=ROOT,
        env={**os.environ, "AWARD_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def superuser(database_url: str) -> asyncpg.Connection:
    """The test's own connection to the embedded PostgreSQL as its superuser (not the application)."""
    return await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))


@pytest.mark.req("P4")
@pytest.mark.req("P7")
async def test_a_qualification_review_leaves_one_chain_and_a_row_a_superuser_edits_is_named(
    api: httpx.AsyncClient, database_url: str
) -> None:
    office = await login(api, *OFFICE)
    auditor = await auditor_headers(api)
    today = datetime.now(UTC).date()
    year = today.year + 1
    good, good_h = await register_enterprise(api, office, 1, name="鹿城审计链制造有限公司")
    lapsed, lapsed_h = await register_enterprise(api, office, 2, name="鹿城审计链过期有限公司")
    await add_fact(api, office, good["credit_code"], valid_certificate(today))
    expired = {**valid_certificate(today), "on": str(today - timedelta(days=1100))}
    expired.update(valid_from=str(today - timedelta(days=1100)), valid_to=str(today - timedelta(days=2)))
    await add_fact(api, office, lapsed["credit_code"], expired)
    for ent in (good, lapsed):
        on = str(today - timedelta(days=30))
        await add_fact(api, office, ent["credit_code"], {"kind": "CREDIT_STATUS", "on": on, "status": "GOOD"})
        await add_fact(
            api,
            office,
            ent["credit_code"],
            {"kind": "INNOVATION_RESULT", "on": on, "summary": "主导制定团体标准1项"},
        )
    docs = {n: await application_documents(api, h, str(n)) for n, h in ((1, good_h), (2, lapsed_h))}
    await open_cycle(api, office, year, application_deadline=in_seconds(10))
    ids = []
    for n, h in ((1, good_h), (2, lapsed_h)):
        r = await api.post(
            f"/cycles/{year}/applications",
            headers=h,
            json={"award": "QUALITY", "documents": docs[n], "self_assessment": self_assessment()},
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["application_id"])

    # the workflow's activities check each application; the office decides; feedback goes out
    async def stage(app_id: str, *want: str) -> dict[str, Any] | None:
        a = (await api.get(f"/applications/{app_id}", headers=auditor)).json()  # the auditor reads it too
        return a if a["stage"] in want and a.get("qualification") else None

    for app_id in ids:
        a = await eventually(lambda i=app_id: stage(i, "QUALIFICATION_DECISION"), timeout=60)
        judged = [
            {"condition": c["condition"], "status": "PASS", "reason": "经核查申报材料，符合要求"}
            for c in a["qualification"]
            if c["auto_status"] == "NEEDS_JUDGEMENT"
        ]
        r = await api.post(
            f"/applications/{app_id}/qualification-decision",
            headers=office,
            json={"decisions": judged, "material_truthful": True, "note": "资格审查"},
        )
        assert r.status_code == 200, r.text
    await eventually(lambda: stage(ids[0], "AWAITING_DOCUMENT_REVIEW"), timeout=60)
    await eventually(lambda: stage(ids[1], "NOT_QUALIFIED"), timeout=60)
    entries = expect_list(await api.get("/audit", headers=auditor, params={"page_size": 1000}))
    actions = {e["action"] for e in entries}
    assert {"QUALIFICATION_CHECKED", "QUALIFICATION_DECIDED", "APPLICATION_SUBMITTED"} <= actions

    # one unbroken chain over every row the API, the activities and the accounts wrote
    r = await api.get("/audit/verify", headers=auditor)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["ok"] is True and report["first_break"] is None, report
    assert report["rows"] >= len(entries) and report["head"]["seq"] == report["rows"]
    assert sorted(e["seq"] for e in entries) == list(range(1, len(entries) + 1))
    first = min(entries, key=lambda e: e["seq"])
    assert first["prev_hash"] == GENESIS
    code, out = await cli(database_url, "verify", "--anchor", report["anchor"])
    assert code == 0 and "audit chain OK" in out, out

    # someone with the superuser's password edits one decision's reason behind the system's back
    con = await superuser(database_url)
    try:
        async with con.transaction():
            await con.execute("alter table audit_log disable trigger audit_log_insert_only")
            edited = await con.fetchval(
                "update audit_log set reason = '改为不予受理' where id = (select id from audit_log"
                " where action = 'QUALIFICATION_DECIDED' order by seq limit 1) returning id"
            )
            await con.execute("alter table audit_log enable trigger audit_log_insert_only")
    finally:
        await con.close()
    assert edited is not None

    r = await api.get("/audit/verify", headers=auditor, params={"anchor": report["anchor"]})
    broken = r.json()
    assert r.status_code == 200 and broken["ok"] is False
    assert broken["first_break"]["id"] == edited and broken["first_break"]["problem"] == "ROW_HASH_MISMATCH"
    assert f"row id {edited}" in broken["first_break"]["detail"]
    code, out = await cli(database_url, "verify")
    assert code == 1 and f"row id {edited}" in out and "ROW_HASH_MISMATCH" in out, out
    code, out = await cli(database_url, "verify", "--json")
    assert code == 1 and f'"id": {edited}' in out


@pytest.mark.req("P7")
async def test_the_application_role_can_neither_change_nor_remove_audit_rows(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    office = await login(api, *OFFICE)  # a few rows: the accounts, the sign-in
    assert expect_list(await api.get("/audit", headers=office))
    # the application's own connections (its role, as configured in settings.database_url)
    for statement in (
        "update audit_log set reason = 'tidied up'",
        "delete from audit_log where action = 'SIGN_IN_SUCCEEDED'",
        "truncate audit_log",
    ):
        with pytest.raises(DBAPIError) as refused:
            async with sessions.begin() as s:
                await s.execute(text(statement))
        assert sqlstate(refused.value) == "42501" and "append-only" in str(refused.value), statement

    # a role that is not the table's owner cannot lift the trigger either, even if someone
    # granted it every privilege on the table
    probe = f"audit_probe_{uuid.uuid4().hex[:8]}"
    con = await superuser(database_url)
    try:
        await con.execute(f"create role {probe} login")
        await con.execute(f"grant usage on schema public to {probe}")
        await con.execute(f"grant select, insert, update, delete, truncate on audit_log to {probe}")
        other = await asyncpg.connect(
            database_url.replace("postgresql+asyncpg://postgres@", f"postgresql://{probe}@")
        )
        try:
            for statement in (
                "update audit_log set reason = 'x'",
                "delete from audit_log",
                "truncate audit_log",
                "alter table audit_log disable trigger audit_log_insert_only",
                "set session_replication_role = replica",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await other.execute(statement)
        finally:
            await other.close()
    finally:
        await con.execute(f"drop owned by {probe}")
        await con.execute(f"drop role {probe}")
        await con.close()
    r = await api.get("/audit/verify", headers=office)
    assert r.json()["ok"] is True, r.text


@pytest.mark.req("P7")
async def test_fifty_concurrent_writers_make_one_unbroken_chain(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    office = await login(api, *OFFICE)
    before = (await api.get("/audit/verify", headers=office)).json()["rows"]
    start = asyncio.Event()

    async def writer(n: int) -> int:
        """Transaction n writes 1-3 rows after some other work; every fifth rolls back; ten
        transactions write the same keyed event (a retried activity): it is written once."""
        await start.wait()
        rows = 1 + n % 3
        try:
            async with sessions.begin() as s:
                await s.execute(text("select pg_sleep(0.005 * (:n % 4))"), {"n": n})
                for i in range(rows):
                    await repo.audit(
                        s,
                        at=datetime.now(UTC),
                        actor=f"writer{n}",
                        actor_role="test",
                        action="CONCURRENT_APPEND",
                        entity_type="test",
                        entity_id=f"{n}.{i}",
                        details={"n": n, "i": i},
                    )
                await repo.audit(
                    s,
                    at=datetime.now(UTC),
                    actor=f"writer{n}",
                    actor_role="test",
                    action="KEYED_EVENT",
                    entity_type="test",
                    entity_id="once",
                    key="the-same-event" if n < 10 else f"event-{n}",
                )
                if n % 5 == 4:
                    raise RuntimeError("rolled back")
        except RuntimeError:
            return 0
        return rows

    async def refused(k: int) -> None:  # API requests appending their own rows at the same time
        await start.wait()
        r = await api.post("/cycles", headers=await login(api, *ADMIN), json={"year": 2000 + k})
        assert r.status_code == 403

    tasks = [asyncio.create_task(writer(n)) for n in range(50)] + [
        asyncio.create_task(refused(k)) for k in range(5)
    ]
    start.set()
    results = await asyncio.gather(*tasks)
    committed = [n for n in range(50) if n % 5 != 4]
    written = sum(r for r in results[:50] if r)
    keyed = 1 + len([n for n in committed if n >= 10])

    async with sessions() as s:
        counts = dict((await s.execute(text("select action, count(*) from audit_log group by action"))).all())
        seqs = (await s.scalars(text("select seq from audit_log order by seq"))).all()
    report = (await api.get("/audit/verify", headers=office)).json()
    assert report["ok"] is True, report
    assert counts["CONCURRENT_APPEND"] == written and counts["KEYED_EVENT"] == keyed
    assert counts["ACCESS_DENIED"] >= 5
    assert list(seqs) == list(range(1, len(seqs) + 1))  # no gap, no position twice
    assert report["rows"] == len(seqs) >= before + written + keyed + 5


def _write_routes(settings: Settings, client: Client) -> list[tuple[str, str]]:
    """Every route of the procedure that changes something (method, path), from the route table."""

    def needs(dependant: Any, calls: set[Any]) -> bool:
        return dependant.call in calls or any(needs(d, calls) for d in dependant.dependencies)

    def flat(routes: list[Any]) -> Iterator[Any]:  # routers are included unprefixed
        for route in routes:
            included = getattr(route, "original_router", None)
            yield from flat(included.routes) if included is not None else [route]

    found = []
    for route in flat(create_app(settings, client).routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or not needs(dependant, {current_user, account_manager}):
            continue
        found += [(method, route.path) for method in sorted(route.methods - READ_METHODS)]  # type: ignore[attr-defined]
    return found


@pytest.mark.req("P4")
@pytest.mark.req("P7")
async def test_the_auditor_reads_and_exports_everything_but_writes_nothing(
    api: httpx.AsyncClient, settings: Settings, temporal_client: Client, database_url: str, tmp_path: Path
) -> None:
    office = await login(api, *OFFICE)
    auditor = await auditor_headers(api)
    ent, ent_h = await register_enterprise(api, office, 7, name="鹿城纪检查阅有限公司")
    sha = await upload(api, ent_h, b"%PDF-1.4 self assessment", "report.pdf")
    # a stranger's hostile user name lands in the log through a failed sign-in
    hostile = '=HYPERLINK("http://x.example","a, "b"")'
    r = await api.post("/auth/token", data={"username": hostile, "password": "wrong-password-1"})
    assert r.status_code == 401

    # reads: the audit log, its verification, the records of decisions, documents (audited)
    code = ent["credit_code"]
    for path in (
        "/audit",
        "/audit/verify",
        "/applications",
        "/enterprises",
        f"/enterprises/{code}",
        f"/enterprises/{code}/facts",
        "/experts",
        "/conflicts",
        "/revocations",
        "/awards",
        "/auth/me",
    ):
        r = await api.get(path, headers=auditor)
        assert r.status_code == 200, (path, r.text)
    assert (await api.get("/objections", headers=auditor, params={"year": 2027})).status_code == 200
    r = await api.get(f"/documents/{sha}", headers=auditor)
    assert r.status_code == 200 and r.content == b"%PDF-1.4 self assessment"

    # writes: every route of the procedure that changes anything refuses the auditor, 403
    routes = _write_routes(settings, temporal_client)
    assert len(routes) > 40 and ("POST", "/users") in routes and ("POST", "/cycles") in routes
    for method, path in routes:
        url = path.replace("{", "").replace("}", "")  # any value: the refusal comes first
        r = await api.request(method, url, headers=auditor, json={})
        assert r.status_code == 403, (method, path, r.status_code, r.text)

    # each refusal is in the audit log, with who and which route; the download too
    denied = expect_list(
        await api.get("/audit", headers=auditor, params={"action": "ACCESS_DENIED", "page_size": 1000})
    )
    mine = [e for e in denied if e["actor"] == AUDITOR[0]]
    assert len(mine) == len(routes)
    assert {e["entity_id"] for e in mine} == {f"{m} {p}" for m, p in routes}
    assert all(e["actor_role"] == "auditor" and e["details"]["code"] == "FORBIDDEN" for e in mine)
    downloads = expect_list(await api.get("/audit", headers=office, params={"action": "DOCUMENT_DOWNLOADED"}))
    assert [(e["actor"], e["entity_id"]) for e in downloads] == [(AUDITOR[0], sha)]

    # the export, both formats, streamed with the chain, parses back and verifies
    r = await api.get("/audit/export", headers=auditor, params={"format": "jsonl"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    assert r.headers["content-disposition"].startswith("attachment;")
    rows = list(parse_jsonl(r.text))
    assert verify_parsed(rows).ok and [x["seq"] for x in rows] == list(range(1, len(rows) + 1))
    assert any(x["actor"] == hostile for x in rows) and rows[-1]["action"] == "AUDIT_EXPORTED"

    r = await api.get("/audit/export", headers=auditor, params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.startswith(BOM.encode("utf-8"))
    body = r.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body, newline="")))
    assert table[0] == list(CHAIN_COLUMNS) and len(table) == len(rows) + 2  # header, and this export's row
    cells = [c for line in table for c in line if hostile in c]
    assert cells and all(c == "'" + hostile for c in cells)  # a cell, not a formula, to Excel
    parsed = list(parse_csv(body))
    assert verify_parsed(parsed).ok and any(x["actor"] == hostile for x in parsed)

    # the same off-line: the CLI exports and verifies a file without the database
    target = tmp_path / "audit-log.csv"
    code, out = await cli(database_url, "export", "--format", "csv", "--output", str(target))
    assert code == 0, out
    assert target.read_bytes().startswith(BOM.encode("utf-8"))
    code, out = await cli("", "verify", "--file", str(target))
    assert code == 0 and "audit chain OK" in out, out
