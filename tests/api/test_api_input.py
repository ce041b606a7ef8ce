"""Bad input gets a clear 4xx with a stable code and a bilingual message, and changes nothing (P2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import OFFICE
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import (
    add_fact,
    application_documents,
    credit_code,
    enterprise_body,
    eventually,
    in_seconds,
    login,
    open_cycle,
    pdf,
    register_enterprise,
    self_assessment,
    upload,
    valid_certificate,
)

Sessions = async_sessionmaker[AsyncSession]


async def snapshot(sessions: Sessions) -> dict[str, int]:
    """Row count of every table: what 'nothing changed' is measured with. A refusal for want of a
    right (403) is audited (P4): those audit rows are counted apart, as `ACCESS_DENIED`."""
    async with sessions() as s:
        tables = (
            (
                await s.execute(
                    text(
                        "select tablename from pg_tables where schemaname='public' and tablename <> 'alembic_version'"
                    )
                )
            )
            .scalars()
            .all()
        )
        counts = {t: (await s.execute(text(f'select count(*) from "{t}"'))).scalar_one() for t in tables}
        denied = "select count(*) from audit_log where action = 'ACCESS_DENIED'"
        counts["ACCESS_DENIED"] = (await s.execute(text(denied))).scalar_one()
        counts["audit_log"] -= counts["ACCESS_DENIED"]
        return counts


def assert_error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code, body
    assert body["message_zh"] and body["message_en"]


@pytest.mark.req("P2")
@pytest.mark.req("R2.2")
async def test_malformed_enterprise_input_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    office = await login(api, *OFFICE)
    before = await snapshot(sessions)
    good = credit_code(7)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    r = await api.post("/enterprises", json=enterprise_body(7, credit_code=wrong_check), headers=office)
    assert_error(r, 422, "CREDIT_CODE_CHECK")
    assert "校验码" in r.json()["message_zh"] and good[17] in r.json()["message_zh"]
    assert_error(
        await api.post("/enterprises", json=enterprise_body(7, credit_code="12345"), headers=office),
        422,
        "CREDIT_CODE_LENGTH",
    )
    assert_error(
        await api.post("/enterprises", json=enterprise_body(7, field="MINING"), headers=office),
        422,
        "INVALID_INPUT",
    )
    assert_error(
        await api.post(
            "/enterprises", json=enterprise_body(7, registration_date="2015-13-01"), headers=office
        ),
        422,
        "INVALID_INPUT",
    )
    assert_error(
        await api.post("/enterprises", json={"credit_code": good}, headers=office), 422, "INVALID_INPUT"
    )
    assert await snapshot(sessions) == before

    await register_enterprise(api, office, 7)
    after_one = await snapshot(sessions)
    assert_error(
        await api.post("/enterprises", json=enterprise_body(7), headers=office), 409, "ENTERPRISE_EXISTS"
    )
    # a fact with an impossible period is refused
    r = await api.post(
        f"/enterprises/{good}/facts",
        headers=office,
        json={
            "kind": "QMS_CERTIFICATE",
            "on": "2025-01-01",
            "source": "认证机构",
            "evidence": "证书",
            "number": "X",
            "body": "Y",
            "valid_from": "2026-01-01",
            "valid_to": "2025-01-01",
        },
    )
    assert_error(r, 422, "INVALID_INPUT")
    r = await api.post(
        f"/enterprises/{good}/facts", headers=office, json={"kind": "RUMOUR", "on": "2025-01-01"}
    )
    assert_error(r, 422, "INVALID_INPUT")
    assert await snapshot(sessions) == after_one


@pytest.mark.req("P2")
@pytest.mark.req("R6.1")
@pytest.mark.req("P4")
async def test_roles_and_ownership_are_enforced(api: httpx.AsyncClient, sessions: Sessions) -> None:
    office = await login(api, *OFFICE)
    ent_a, a = await register_enterprise(api, office, 11)
    ent_b, b = await register_enterprise(api, office, 12)
    await add_fact(api, office, ent_a["credit_code"], valid_certificate(datetime.now(UTC).date()))
    year = datetime.now(UTC).year + 1
    # A failed sign-in is audited and counted against the account name (P7), so it comes before
    # the snapshot of "every refusal below changes nothing".
    assert_error(
        await api.post("/auth/token", data={"username": "office", "password": "wrong"}), 401, "AUTH_FAILED"
    )
    before = await snapshot(sessions)

    assert_error(await api.get("/applications"), 401, "UNAUTHENTICATED")
    assert_error(
        await api.get("/applications", headers={"Authorization": "Bearer forged.token.here"}),
        401,
        "UNAUTHENTICATED",
    )
    # An enterprise cannot start a cycle, record facts, read the audit log or create users.
    assert_error(
        await api.post("/cycles", headers=a, json={"year": year, "application_deadline": in_seconds(60)}),
        403,
        "FORBIDDEN",
    )
    assert_error(
        await api.post(
            f"/enterprises/{ent_a['credit_code']}/facts",
            headers=a,
            json={
                "kind": "CREDIT_STATUS",
                "on": "2026-01-01",
                "source": "s",
                "evidence": "e",
                "status": "GOOD",
            },
        ),
        403,
        "FORBIDDEN",
    )
    assert_error(await api.get("/audit", headers=a), 403, "FORBIDDEN")
    assert_error(await api.get(f"/enterprises/{ent_b['credit_code']}", headers=a), 403, "FORBIDDEN")
    assert (await api.get(f"/enterprises/{ent_a['credit_code']}", headers=a)).status_code == 200
    # nothing changed, but the four refusals are in the audit log (P4), with who and which route
    assert await snapshot(sessions) == {**before, "ACCESS_DENIED": before["ACCESS_DENIED"] + 4}
    async with sessions() as s:
        denied = (
            await s.execute(
                text("select actor, entity_id from audit_log where action = 'ACCESS_DENIED' order by seq")
            )
        ).all()
    assert [tuple(d) for d in denied[-4:]] == [
        ("ent11", "POST /cycles"),
        ("ent11", "POST /enterprises/{credit_code}/facts"),
        ("ent11", "GET /audit"),
        ("ent11", "GET /enterprises/{credit_code}"),
    ]

    # Another enterprise's application and documents are out of reach.
    docs = await application_documents(api, a, "a")
    await open_cycle(api, office, year, application_deadline=in_seconds(120))
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=a,
        json={"award": "QUALITY", "documents": docs, "self_assessment": self_assessment()},
    )
    assert r.status_code == 201, r.text
    app_id = r.json()["application_id"]
    assert_error(await api.get(f"/applications/{app_id}", headers=b), 403, "FORBIDDEN")
    assert (await api.get("/applications", headers=b)).json()["total"] == 0
    assert (await api.get("/applications", headers=a)).json()["total"] == 1
    assert_error(await api.get(f"/documents/{docs[0]['sha256']}", headers=b), 404, "NOT_FOUND")
    assert (await api.get(f"/documents/{docs[0]['sha256']}", headers=a)).status_code == 200
    # B cannot submit with A's documents; the office cannot decide for an application not yet checked.
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=b,
        json={"award": "QUALITY", "documents": docs, "self_assessment": self_assessment()},
    )
    assert_error(r, 422, "DOCUMENT_NOT_FOUND")
    r = await api.post(
        f"/applications/{app_id}/qualification-decision",
        headers=office,
        json={"decisions": [], "material_truthful": True},
    )
    assert_error(r, 409, "QUALIFICATION_NOT_READY")
    assert_error(
        await api.post(
            f"/applications/{app_id}/qualification-decision",
            headers=a,
            json={"decisions": [], "material_truthful": True},
        ),
        403,
        "FORBIDDEN",
    )


@pytest.mark.req("P2")
@pytest.mark.req("R13.1")
@pytest.mark.req("R2.1")
@pytest.mark.req("R4.1")
async def test_submission_input_errors_and_idempotent_retry(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    office = await login(api, *OFFICE)
    ent, h = await register_enterprise(api, office, 21)
    year = datetime.now(UTC).year + 1
    await open_cycle(api, office, year, application_deadline=in_seconds(120))
    docs = await application_documents(api, h, "21")
    before = await snapshot(sessions)

    assert_error(
        await api.post(
            f"/cycles/{year}/applications",
            headers=h,
            json={"award": "GOLDEN", "documents": docs, "self_assessment": self_assessment()},
        ),
        422,
        "INVALID_INPUT",
    )
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=h,
        json={"award": "QUALITY", "documents": docs[2:] * 2, "self_assessment": self_assessment()},
    )
    assert_error(r, 422, "DOCUMENT_REF_DUPLICATE")
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=h,
        json={"award": "QUALITY", "documents": [docs[0], docs[2]], "self_assessment": self_assessment()},
    )
    assert_error(r, 422, "DOCUMENTS_MISSING")
    assert "申报表" in r.json()["message_zh"]
    assert_error(
        await api.post(
            f"/cycles/{year + 5}/applications",
            headers=h,
            json={"award": "QUALITY", "documents": docs, "self_assessment": self_assessment()},
        ),
        404,
        "NOT_FOUND",
    )
    # The self-assessment is checked against the cycle's rubric (R13.1, R4.1).
    bad = {**self_assessment(), "4.1.1": 37}
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=h,
        json={"award": "QUALITY", "documents": docs, "self_assessment": bad},
    )
    assert_error(r, 422, "SCORE_OFF_STEP")
    partial = {k: v for k, v in self_assessment().items() if k != "4.7.6"}
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=h,
        json={"award": "QUALITY", "documents": docs, "self_assessment": partial},
    )
    assert_error(r, 422, "SCORE_MISSING_ITEM")
    # Oversized and empty documents.
    big = b"x" * (64 * 1024 + 1)
    r = await api.post("/documents", files={"file": ("big.pdf", big, "application/pdf")}, headers=h)
    assert_error(r, 413, "DOCUMENT_TOO_LARGE")
    assert_error(
        await api.post("/documents", files={"file": ("e.pdf", b"", "application/pdf")}, headers=h),
        422,
        "DOCUMENT_EMPTY",
    )
    assert await snapshot(sessions) == before

    # A retried POST with the same idempotency key acts once and answers the same.
    key = {"Idempotency-Key": "submit-once-21"}
    first = await api.post(
        f"/cycles/{year}/applications",
        headers={**h, **key},
        json={"award": "QUALITY", "documents": docs, "self_assessment": self_assessment()},
    )
    again = await api.post(
        f"/cycles/{year}/applications",
        headers={**h, **key},
        json={"award": "QUALITY", "documents": docs, "self_assessment": self_assessment()},
    )
    assert first.status_code == 201 and again.status_code == 201, (first.text, again.text)
    assert first.json()["application_id"] == again.json()["application_id"]
    after = await snapshot(sessions)
    assert after["applications"] == before["applications"] + 1
    # A second, different submission by the same enterprise is a duplicate (one per cycle).
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=h,
        json={"award": "INNOVATION", "documents": docs, "self_assessment": self_assessment()},
    )
    assert_error(r, 409, "DUPLICATE_APPLICATION")
    assert await snapshot(sessions) == after


@pytest.mark.req("P2")
@pytest.mark.req("R3.3")
@pytest.mark.req("R4.2")
async def test_cycle_rules_are_validated(api: httpx.AsyncClient, sessions: Sessions) -> None:
    office = await login(api, *OFFICE)
    year = datetime.now(UTC).year + 1
    before = await snapshot(sessions)
    bad = [
        ({"quota_quality": 6}, "RULES_QUOTA"),
        (
            {"application_deadline": (datetime.now(UTC) - timedelta(days=1)).isoformat()},
            "RULES_DEADLINE_PAST",
        ),
        ({"application_deadline": "2027-03-31T17:00:00"}, "INVALID_INPUT"),  # no time zone
        ({"criteria_edition": "GB/T 19580-1999"}, "RULES_CRITERIA_EDITION"),
        ({"year": year + 3}, "RULES_YEAR"),
    ]
    for change, code in bad:
        body = {"year": year, "application_deadline": in_seconds(3600), **change}
        assert_error(await api.post("/cycles", headers=office, json=body), 422, code)
    assert await snapshot(sessions) == before


@pytest.mark.req("P2")
async def test_deadline_extension(api: httpx.AsyncClient) -> None:
    office = await login(api, *OFFICE)
    year = datetime.now(UTC).year + 1
    opened = await open_cycle(api, office, year, application_deadline=in_seconds(600))
    old = datetime.fromisoformat(opened["cycle"]["deadline"])
    r = await api.post(
        f"/cycles/{year}/deadline",
        headers=office,
        json={"new_deadline": (old - timedelta(hours=1)).isoformat(), "reason": "提前"},
    )
    assert_error(r, 422, "DEADLINE_NOT_LATER")
    r = await api.post(
        f"/cycles/{year}/deadline",
        headers=office,
        json={"new_deadline": (old + timedelta(days=7)).isoformat(), "reason": " "},
    )
    assert_error(r, 422, "REASON_REQUIRED")
    r = await api.post(
        f"/cycles/{year}/deadline",
        headers=office,
        json={"new_deadline": (old + timedelta(days=900)).isoformat(), "reason": "延期"},
    )
    assert_error(r, 422, "DEADLINE_TOO_FAR")
    new = old + timedelta(days=7)
    r = await api.post(
        f"/cycles/{year}/deadline",
        headers=office,
        json={"new_deadline": new.isoformat(), "reason": "应企业要求延长申报期"},
    )
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["deadline"]) == new

    async def extension_published() -> list[dict[str, Any]] | None:  # once the relay has delivered it
        notices = (await api.get("/public/notices")).json()
        return [n for n in notices if n["kind"] == "DEADLINE_EXTENDED" and "延长" in n["body"]] or None

    assert await eventually(extension_published, timeout=10, what="the extension notice")
    audit = (await api.get("/audit", headers=office, params={"action": "DEADLINE_EXTENDED"})).json()
    assert len(audit) == 1 and audit[0]["reason"] == "应企业要求延长申报期" and audit[0]["actor"] == "office"


async def test_health(api: httpx.AsyncClient) -> None:
    r = await api.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


async def test_document_upload_is_content_addressed(api: httpx.AsyncClient) -> None:
    office = await login(api, *OFFICE)
    _, h = await register_enterprise(api, office, 31)
    first = await upload(api, h, pdf("same bytes"), "a.pdf")
    second = await upload(api, h, pdf("same bytes"), "b.pdf")
    assert first == second
    r = await api.get(f"/documents/{first}", headers=h)
    assert r.content == pdf("same bytes")


@pytest.mark.req("R6.1")
async def test_cli_creates_the_first_accounts(api: httpx.AsyncClient, database_url: str) -> None:
    from api.cli import create_user
    from domain.types import Role

    msg = await create_user(database_url, "gov1", "区政府审批人", Role.GOVERNMENT, "government-pass-1")
    assert "created" in msg
    assert "already exists" in await create_user(
        database_url, "gov1", "x", Role.GOVERNMENT, "other-password-1"
    )
    headers = await login(api, "gov1", "government-pass-1")
    me = (await api.get("/auth/me", headers=headers)).json()
    assert me["role"] == "government"
    # A government account cannot act as the office.
    assert_error(await api.get("/audit", headers=headers), 403, "FORBIDDEN")


@pytest.mark.req("P2")
async def test_values_the_database_cannot_hold_are_a_4xx(api: httpx.AsyncClient, sessions: Sessions) -> None:
    office = await login(api, *OFFICE)
    before = await snapshot(sessions)
    # the database refuses these (int32/int64 out of range): 422 DATA_REJECTED (P6)
    assert_error(await api.get("/public/preliminary/3000000000"), 422, "DATA_REJECTED")
    assert (await api.get("/public/notices", params={"page": 50_000_000})).json() == []  # past the end: empty
    assert_error(await api.get("/public/notices", params={"page": 10**19}), 422, "DATA_REJECTED")
    assert_error(await api.get("/experts/99999999999", headers=office), 422, "DATA_REJECTED")
    r = await api.post(
        "/enterprises", headers=office, json=enterprise_body(51, registered_district="鹿" * 60)
    )
    assert_error(r, 422, "INVALID_INPUT")
    assert await snapshot(sessions) == before
