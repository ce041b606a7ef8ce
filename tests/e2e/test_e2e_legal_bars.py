"""Issue 9, points 4 and 5, end to end through the HTTP API with a real worker, Temporal and
PostgreSQL: the Art. 17 ban refuses an application at submission, with the registry entry and the
ban's end counted with the cycle's rest days; the office changes an automatic Art. 11 finding only
on the record of the fact or document that contradicts it; an application needs evidence, and the
office sees which condition each evidence document supports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import OFFICE
from support import (
    add_fact,
    application_documents,
    eventually,
    in_seconds,
    login,
    open_cycle,
    register_enterprise,
    self_assessment,
    upload,
    valid_certificate,
)

from devstack.holidays import calendar_of
from devstack.scenario import pdf
from domain.calendar import period_end

pytestmark = [pytest.mark.asyncio]


async def checked(api: httpx.AsyncClient, office: dict[str, str], app_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        a = (await api.get(f"/applications/{app_id}", headers=office)).json()
        return a if a["stage"] == "QUALIFICATION_DECISION" and a["qualification"] else None

    return await eventually(probe, what=f"{app_id} checked")


def judged(a: dict[str, Any], *but: str) -> list[dict[str, Any]]:
    """A PASS with a reason for every condition needing judgement (but those named)."""
    return [
        {"condition": c["condition"], "status": "PASS", "reason": "经核查申报材料，符合要求"}
        for c in a["qualification"]
        if c["auto_status"] == "NEEDS_JUDGEMENT" and c["condition"] not in but
    ]


@pytest.mark.req("R17.1")
@pytest.mark.req("R11.7")
@pytest.mark.req("R13.1")
@pytest.mark.req("R14.1")
async def test_bans_overrides_on_record_and_evidence(api: httpx.AsyncClient) -> None:
    office = await login(api, *OFFICE)
    today = datetime.now(UTC).date()
    year = today.year + 1
    expired, expired_h = await register_enterprise(api, office, 11, name="鹿城换证有限公司")
    other, _ = await register_enterprise(api, office, 12, name="鹿城他人有限公司")
    banned, banned_h = await register_enterprise(api, office, 13, name="鹿城撤销奖励有限公司")
    old_cert = {
        **valid_certificate(today),
        "on": str(today - timedelta(days=1100)),
        "valid_from": str(today - timedelta(days=1100)),
        "valid_to": str(today - timedelta(days=2)),
    }
    await add_fact(api, office, expired["credit_code"], old_cert)
    other_fact = await add_fact(api, office, other["credit_code"], valid_certificate(today))
    revoked_on = date(today.year - 4, 6, 30)
    r = await api.post(
        "/revocations",
        headers=office,
        json={
            "credit_code": banned["credit_code"],
            "award": "QUALITY",
            "award_year": today.year - 5,
            "revoked_on": str(revoked_on),
            "reason": "以不正当手段骗取奖项",
            "document_no": f"鹿政发〔{today.year - 4}〕21号",
        },
    )
    assert r.status_code == 201, r.text
    entry = r.json()

    # Evidence: the report, the form and at least one evidence document (Art. 13); an evidence
    # document may name the Art. 11 conditions it supports.
    report = await upload(api, expired_h, pdf("self-assessment 11"), "report.pdf")
    form = await upload(api, expired_h, pdf("form 11"), "form.pdf")
    cert = await upload(api, expired_h, pdf("换发的质量管理体系认证证书 11"), "iso9001.pdf")
    documents = [
        {"kind": "SELF_ASSESSMENT_REPORT", "sha256": report, "title": "自我评价报告"},
        {"kind": "APPLICATION_FORM", "sha256": form, "title": "申报表"},
        {
            "kind": "EVIDENCE",
            "sha256": cert,
            "title": "质量管理体系认证证书（换发）",
            "conditions": ["QMS_CERTIFICATION", "EXCELLENCE_MODEL"],
        },
    ]
    banned_docs = await application_documents(api, banned_h, "13")
    opened = await open_cycle(api, office, year, application_deadline=in_seconds(10))
    calendar = calendar_of(
        (await api.get(f"/cycles/{year}", headers=office)).json()["rules"]
    )  # frozen when the cycle started
    assert calendar is not None and calendar.covers(datetime.now(UTC).year)
    assert opened["cycle"]["stage"] == "CALL_OPEN"

    r = await api.post(
        f"/cycles/{year}/applications",
        headers=expired_h,
        json={"award": "QUALITY", "documents": documents[:2], "self_assessment": self_assessment()},
    )
    assert r.status_code == 422 and r.json()["code"] == "DOCUMENTS_MISSING", r.text
    assert "证明材料" in r.json()["message_zh"] and r.json()["details"]["missing"] == ["EVIDENCE"]
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=expired_h,
        json={"award": "QUALITY", "documents": documents, "self_assessment": self_assessment()},
    )
    assert r.status_code == 201, r.text
    app_id = r.json()["application_id"]

    # The ban (Art. 17): refused at submission with the registry entry and the instant it ends,
    # counted with the cycle's rest days; nothing is stored.
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=banned_h,
        json={"award": "INNOVATION", "documents": banned_docs, "self_assessment": self_assessment()},
    )
    assert r.status_code == 409 and r.json()["code"] == "APPLICATION_BANNED", r.text
    details = r.json()["details"]
    assert details["revocation"] == {
        k: entry[k]
        for k in ("id", "credit_code", "award", "award_year", "revoked_on", "reason", "document_no")
    }
    assert datetime.fromisoformat(details["ban_ends_at"]) == period_end(
        revoked_on, years=5, calendar=calendar
    )
    assert "第十七条" in r.json()["message_zh"] and "5年内不得再次申报" in r.json()["message_zh"]
    mine = (await api.get("/applications", headers=office, params={"year": year})).json()
    assert mine["total"] == 1

    # The office sees which condition each evidence document supports (R13.1).
    a = await checked(api, office, app_id)
    by_condition = {c["condition"]: c for c in a["qualification"]}
    assert by_condition["QMS_CERTIFICATION"]["auto_status"] == "FAIL"
    assert by_condition["QMS_CERTIFICATION"]["supporting_documents"] == [
        {"sha256": cert, "title": "质量管理体系认证证书（换发）"}
    ]
    assert by_condition["EXCELLENCE_MODEL"]["supporting_documents"][0]["sha256"] == cert
    assert by_condition["SPOT_CHECKS"]["supporting_documents"] == []
    assert [d.get("conditions") for d in a["documents"]] == [
        [],
        [],
        ["QMS_CERTIFICATION", "EXCELLENCE_MODEL"],
    ]

    # An override on a reason alone is refused ("领导同意"), so is one citing another's record.
    def decide(**override: Any) -> dict[str, Any]:
        qms = {"condition": "QMS_CERTIFICATION", "status": "PASS", "reason": "领导同意", **override}
        return {"decisions": [*judged(a), qms], "material_truthful": True}

    url = f"/applications/{app_id}/qualification-decision"
    r = await api.post(url, headers=office, json=decide())
    assert r.status_code == 422 and r.json()["code"] == "QUALIFICATION_OVERRIDE_EVIDENCE", r.text
    r = await api.post(url, headers=office, json=decide(fact_ids=[other_fact["id"]]))
    assert r.status_code == 422 and r.json()["code"] == "QUALIFICATION_EVIDENCE_NOT_FOUND", r.text
    assert r.json()["details"]["fact_ids"] == [other_fact["id"]]
    foreign = "0" * 64
    r = await api.post(url, headers=office, json=decide(documents=[foreign]))
    assert r.status_code == 422 and r.json()["code"] == "QUALIFICATION_EVIDENCE_NOT_FOUND", r.text

    # The office records the renewed certificate the registry lacked, and overrides on that record.
    renewed = await add_fact(
        api, office, expired["credit_code"], {**valid_certificate(today), "number": "R2"}
    )
    reason = "证书已于截止日前换发，见换发证书及登记"
    r = await api.post(
        url, headers=office, json=decide(reason=reason, fact_ids=[renewed["id"]], documents=[cert])
    )
    assert r.status_code == 200, r.text
    assert r.json()["qualified"] is True
    a = (await api.get(f"/applications/{app_id}", headers=office)).json()
    qms = next(c for c in a["qualification"] if c["condition"] == "QMS_CERTIFICATION")
    assert (qms["auto_status"], qms["final_status"], qms["overridden"]) == ("FAIL", "PASS", True)
    assert qms["decision_reason"] == reason
    assert (qms["decision_fact_ids"], qms["decision_documents"]) == ([renewed["id"]], [cert])
    audit = (await api.get("/audit", headers=office, params={"action": "QUALIFICATION_DECIDED"})).json()
    assert audit[0]["details"]["override_evidence"] == {
        "QMS_CERTIFICATION": {"fact_ids": [renewed["id"]], "documents": [cert]}
    }
