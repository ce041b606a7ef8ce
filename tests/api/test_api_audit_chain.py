"""The audit chain's routes through the HTTP API (issue 8 point 5; P4, R20.2): bad input is a 4xx
with a stable code and both messages, never a 500; who may not read the log is refused (and that
refusal is itself audited); a refused look at someone else's material — answered 404 so as not to
reveal it exists — is audited all the same, and the chain still verifies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import OFFICE
from support import expect_list, login, register_enterprise, upload

pytestmark = [pytest.mark.asyncio]


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    assert body["message_zh"] and body["message_en"]
    return body


@pytest.mark.req("P4")
async def test_bad_input_to_the_audit_routes_is_a_stable_4xx(api: httpx.AsyncClient) -> None:
    office = await login(api, *OFFICE)
    for anchor in ("abc", "12", "12:xyz", "-1:" + "0" * 64, "5:" + "g" * 64, "5:" + "a" * 63, ":" + "a" * 64):
        refused(
            await api.get("/audit/verify", headers=office, params={"anchor": anchor}), 422, "ANCHOR_INVALID"
        )
    # one good and one bad anchor: still refused, nothing half-checked
    good = (await api.get("/audit/verify", headers=office)).json()["anchor"]
    r = await api.get("/audit/verify", headers=office, params=[("anchor", good), ("anchor", "x")])
    refused(r, 422, "ANCHOR_INVALID")
    refused(await api.get("/audit/export", headers=office, params={"format": "xml"}), 422, "INVALID_INPUT")
    refused(await api.get("/audit", headers=office, params={"page": 0}), 422, "INVALID_INPUT")
    refused(await api.get("/audit", headers=office, params={"page_size": "many"}), 422, "INVALID_INPUT")
    # an anchor beyond the end of the log is a finding, not an error
    r = await api.get("/audit/verify", headers=office, params={"anchor": f"999999:{'a' * 64}"})
    assert r.status_code == 200 and r.json()["ok"] is False
    assert r.json()["first_break"]["problem"] == "ROWS_MISSING_AT_END"
    # without a sign-in: 401, and no one to name
    refused(await api.get("/audit/verify"), 401, "UNAUTHENTICATED")
    refused(await api.get("/audit/export"), 401, "UNAUTHENTICATED")


@pytest.mark.req("P4")
@pytest.mark.req("R20.2")
async def test_a_refused_look_at_another_enterprises_material_is_audited(api: httpx.AsyncClient) -> None:
    office = await login(api, *OFFICE)
    _, a = await register_enterprise(api, office, 31)
    _, b = await register_enterprise(api, office, 32)
    sha = await upload(api, a, b"%PDF-1.4 enterprise A's own report", "a.pdf")

    # B may neither read A's document (404: it does not learn it exists) nor the audit log (403)
    refused(await api.get(f"/documents/{sha}", headers=b), 404, "NOT_FOUND")
    refused(await api.get(f"/documents/{'0' * 64}", headers=b), 404, "NOT_FOUND")
    refused(await api.get("/audit", headers=b), 403, "FORBIDDEN")
    refused(await api.get("/audit/verify", headers=b), 403, "FORBIDDEN")
    refused(await api.get("/audit/export", headers=b), 403, "FORBIDDEN")
    assert (await api.get(f"/documents/{sha}", headers=a)).status_code == 200

    denied = expect_list(
        await api.get("/audit", headers=office, params={"action": "ACCESS_DENIED", "page_size": 100})
    )
    seen = sorted((e["entity_id"], e["details"]["status"], e["details"]["path"]) for e in denied)
    assert seen == sorted(
        [
            ("GET /documents/{sha256}", 404, f"/documents/{sha}"),
            ("GET /documents/{sha256}", 404, f"/documents/{'0' * 64}"),
            ("GET /audit", 403, "/audit"),
            ("GET /audit/verify", 403, "/audit/verify"),
            ("GET /audit/export", 403, "/audit/export"),
        ]
    )
    assert {(e["actor"], e["actor_role"]) for e in denied} == {("ent32", "enterprise")}
    # A's own download is audited as a download; B's refused ones are not downloads
    downloads = expect_list(await api.get("/audit", headers=office, params={"action": "DOCUMENT_DOWNLOADED"}))
    assert [(e["actor"], e["entity_id"]) for e in downloads] == [("ent31", sha)]

    report = (await api.get("/audit/verify", headers=office)).json()
    assert report["ok"] is True and report["first_break"] is None, report
