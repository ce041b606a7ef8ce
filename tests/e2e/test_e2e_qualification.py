"""Issue #2 end to end, through the HTTP API: call → submissions → deadline → checks → decisions
→ feedback notices, with a real worker, Temporal dev server and PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import DATA_CONVERTER, LIVE, OFFICE, readable
from support import (
    add_fact,
    application_documents,
    eventually,
    in_seconds,
    login,
    open_cycle,
    register_enterprise,
    self_assessment,
    valid_certificate,
)
from temporalio.client import Client
from temporalio.worker import Replayer

from worker.main import WORKFLOWS, workflow_runner

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
pytestmark = [pytest.mark.asyncio]


@pytest.mark.req("R3.1")
@pytest.mark.req("R7.1")
@pytest.mark.req("R3.2")
@pytest.mark.req("R5.1")
@pytest.mark.req("R11.4")
@pytest.mark.req("R11.7")
@pytest.mark.req("R13.1")
@pytest.mark.req("R14.1")
@pytest.mark.req("R14.4")
@pytest.mark.req("R17.1")
@pytest.mark.req("R21.1")
@pytest.mark.req("P2")
@pytest.mark.req("P3")
@pytest.mark.req("P4")
async def test_call_intake_and_qualification_review(api: httpx.AsyncClient, temporal_client: Client) -> None:
    office = await login(api, *OFFICE)
    today = datetime.now(UTC).date()
    year = today.year + 1

    # Master data: three applicants and one latecomer, with the facts the office has on file.
    good, good_h = await register_enterprise(api, office, 1, name="鹿城优质制造有限公司")
    expired, expired_h = await register_enterprise(api, office, 2, name="鹿城过期认证有限公司")
    revoked, revoked_h = await register_enterprise(
        api, office, 3, name="鹿城撤销奖励有限公司", field="SERVICES"
    )
    late, late_h = await register_enterprise(api, office, 4, name="鹿城迟交有限公司")
    banned, banned_h = await register_enterprise(api, office, 5, name="鹿城禁止申报有限公司")
    assert good["priority_sector"] is True  # Art. 5 priority-supported sector recorded (R5.1)

    for ent in (good, revoked, late):
        await add_fact(api, office, ent["credit_code"], valid_certificate(today))
    await add_fact(
        api,
        office,
        expired["credit_code"],
        {
            **valid_certificate(today),
            "valid_from": str(today - timedelta(days=1100)),
            "on": str(today - timedelta(days=1100)),
            "valid_to": str(today - timedelta(days=2)),
        },
    )
    for ent in (good, expired, revoked):
        await add_fact(
            api,
            office,
            ent["credit_code"],
            {"kind": "CREDIT_STATUS", "on": str(today - timedelta(days=30)), "status": "GOOD"},
        )
        await add_fact(
            api,
            office,
            ent["credit_code"],
            {
                "kind": "INNOVATION_RESULT",
                "on": str(today - timedelta(days=90)),
                "summary": "主导制定团体标准1项",
            },
        )
    revocation = {
        "credit_code": revoked["credit_code"],
        "award": "QUALITY",
        "award_year": today.year - 4,
        "revoked_on": str(date(today.year - 3, today.month, min(today.day, 28))),
        "reason": "申报材料弄虚作假",
        "document_no": f"鹿政发〔{today.year - 3}〕12号",
    }

    r = await api.post(
        "/revocations", headers=office, json={**revocation, "credit_code": banned["credit_code"]}
    )
    assert r.status_code == 201, r.text

    docs = {
        n: await application_documents(api, h, str(n))
        for n, h in ((1, good_h), (2, expired_h), (3, revoked_h), (4, late_h), (5, banned_h))
    }

    # The office starts the cycle (R3.1) with its rules; the rules revision is recorded (R21.1).
    # The committee approved the rules first (R7.1); a start with other rules is refused.
    r = await api.post("/cycles", headers=office, json={"year": year, "application_deadline": in_seconds(8)})
    assert r.status_code == 409 and r.json()["code"] == "RULES_NOT_APPROVED"
    opened = await open_cycle(api, office, year, application_deadline=in_seconds(8))
    cycle = opened["cycle"]
    assert cycle["workflow_id"] == f"award-cycle-{year}"
    assert "2023年修订" in cycle["rules_revision"] and cycle["criteria_edition"] == "GB/T 19580-2012"
    r = await api.post("/cycles", headers=office, json=opened["rules"])
    assert r.status_code == 409 and r.json()["code"] == "CYCLE_EXISTS"

    # Only enterprises submit, for themselves (R3.2); the office cannot submit on their behalf.
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=office,
        json={"award": "QUALITY", "documents": docs[1], "self_assessment": self_assessment()},
    )
    assert r.status_code == 403
    # A ban in force refuses the application at submission (R17.1): 409 with the registry entry
    # and the ban's end (its details in tests/e2e/test_e2e_legal_bars.py).
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=banned_h,
        json={"award": "QUALITY", "documents": docs[5], "self_assessment": self_assessment()},
    )
    assert r.status_code == 409 and r.json()["code"] == "APPLICATION_BANNED", r.text
    assert r.json()["details"]["revocation"]["credit_code"] == banned["credit_code"]
    ids = {}
    for n, h, award in ((1, good_h, "QUALITY"), (2, expired_h, "QUALITY"), (3, revoked_h, "INNOVATION")):
        r = await api.post(
            f"/cycles/{year}/applications",
            headers={**h, "Idempotency-Key": f"k{n}"},
            json={
                "award": award,
                "documents": docs[n],
                "contact_name": "张三",
                "self_assessment": self_assessment(),
            },
        )
        assert r.status_code == 201, r.text
        ids[n] = r.json()["application_id"]
    assert len(set(ids.values())) == 3
    # The registry learns of the third one's revocation only after it applied: the qualification
    # check as of the deadline finds the ban (R17.1).
    r = await api.post("/revocations", headers=office, json=revocation)
    assert r.status_code == 201, r.text

    # The call notice is public (R3.1).
    async def call_notice() -> list[dict[str, Any]] | None:  # delivered by the outbox, not at once
        r = await api.get("/public/notices")
        return [
            n for n in r.json() if n["kind"] == "CALL_FOR_APPLICATIONS" and str(year) in n["title"]
        ] or None

    assert await eventually(call_notice, what="the call notice delivered")

    # Intake closes when the deadline timer fires; a later submission is refused (R13.1).
    async def cycle_stage() -> str | None:
        c = (await api.get(f"/cycles/{year}", headers=office)).json()
        return c["stage"] if c["stage"] != "CALL_OPEN" else None

    await eventually(cycle_stage, timeout=30)
    r = await api.post(
        f"/cycles/{year}/applications",
        headers=late_h,
        json={"award": "QUALITY", "documents": docs[4], "self_assessment": self_assessment()},
    )
    assert r.status_code == 409 and r.json()["code"] == "INTAKE_CLOSED", r.text
    assert "截止" in r.json()["message_zh"]

    # The automatic checks run; each condition is recorded with status, evidence and clause (R11.7).
    async def checked(app_id: str) -> dict | None:
        a = (await api.get(f"/applications/{app_id}", headers=office)).json()
        return a if a["stage"] == "QUALIFICATION_DECISION" and a["qualification"] else None

    apps = {n: await eventually(lambda i=i: checked(i)) for n, i in ids.items()}
    status = {n: {c["condition"]: c["auto_status"] for c in a["qualification"]} for n, a in apps.items()}
    assert len(status[1]) == 14
    assert status[1]["QMS_CERTIFICATION"] == "PASS" and status[1]["NOT_BANNED"] == "PASS"
    assert status[2]["QMS_CERTIFICATION"] == "FAIL"
    assert status[3]["NOT_BANNED"] == "FAIL"
    ban = next(c for c in apps[3]["qualification"] if c["condition"] == "NOT_BANNED")
    assert "第十七条" in ban["clause"] and ban["evidence"]
    assert "waiting" in apps[1]["waiting_for"].lower() or "等待" in apps[1]["waiting_for"]

    # The office decides (R14.1): judgements need reasons, material truthfulness is attested.
    judgement = [
        {"condition": c, "status": "PASS", "reason": "经核查材料，符合要求"}
        for c in ("LAWFUL_COMPLIANCE", "EXCELLENCE_MODEL")
    ]
    r = await api.post(
        f"/applications/{ids[1]}/qualification-decision",
        headers=office,
        json={"decisions": [], "material_truthful": True},
    )
    assert r.status_code == 422 and r.json()["code"] == "QUALIFICATION_UNDECIDED"
    # No override of the ban exists (R17.1): not on a reason, not on a document.
    r = await api.post(
        f"/applications/{ids[3]}/qualification-decision",
        headers=office,
        json={
            "decisions": [
                *judgement,
                {
                    "condition": "NOT_BANNED",
                    "status": "PASS",
                    "reason": "领导同意",
                    "documents": [docs[3][2]["sha256"]],
                },
            ],
            "material_truthful": True,
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "QUALIFICATION_BAN_FINAL", r.text
    for n in ids:
        r = await api.post(
            f"/applications/{ids[n]}/qualification-decision",
            headers=office,
            json={"decisions": judgement, "material_truthful": True, "note": "资格审查"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["qualified"] is (n == 1)
    r = await api.post(
        f"/applications/{ids[2]}/qualification-decision",
        headers=office,
        json={"decisions": judgement, "material_truthful": True},
    )
    assert r.status_code == 409 and r.json()["code"] == "QUALIFICATION_ALREADY_DECIDED"

    # Failures get a feedback notice naming each failed condition and its clause (R14.4).
    async def inbox(h: dict[str, str], kind: str) -> list | None:
        return [n for n in (await api.get("/notices", headers=h)).json() if n["kind"] == kind] or None

    fb2 = (await eventually(lambda: inbox(expired_h, "QUALIFICATION_FEEDBACK")))[0]
    assert "质量管理体系认证" in fb2["body"] and "第十一条第（三）项" in fb2["body"]
    assert "鹿城区政府质量奖评审委员会办公室" in fb2["body"]
    fb3 = (await eventually(lambda: inbox(revoked_h, "QUALIFICATION_FEEDBACK")))[0]
    assert "第十七条" in fb3["body"] and "撤销" in fb3["body"]
    assert await inbox(good_h, "QUALIFICATION_FEEDBACK") is None
    # An enterprise never sees another's notices.
    assert all(
        n["application_id"] in (None, ids[2]) for n in (await api.get("/notices", headers=expired_h)).json()
    )

    # The eligible one waits for document review; the failures have ended.
    async def stage_of(app_id: str, want: str) -> dict | None:
        a = (await api.get(f"/applications/{app_id}", headers=office)).json()
        return a if a["stage"] == want else None

    waiting = await eventually(lambda: stage_of(ids[1], "AWAITING_DOCUMENT_REVIEW"))
    assert waiting["outcome"] == "QUALIFIED" and "资料评审" in waiting["waiting_for"]
    for n in (2, 3):
        await eventually(lambda n=n: stage_of(ids[n], "NOT_QUALIFIED"))
    assert (await eventually(cycle_stage)) in ("QUALIFICATION_REVIEW", "DOCUMENT_REVIEW")
    await eventually(lambda: _is(api, office, year, "DOCUMENT_REVIEW"))

    # Operators find everything in Temporal by year, award, stage and enterprise (P3).
    async def visible() -> list | None:
        q = f"AwardYear = {year} AND AwardStage = 'NOT_QUALIFIED'" + LIVE
        found = [w async for w in temporal_client.list_workflows(q)]
        return found if len(found) == 2 else None

    await eventually(visible)
    q = f"EnterpriseCreditCode = '{good['credit_code']}' AND AwardType = 'QUALITY'" + LIVE
    assert [w.id async for w in temporal_client.list_workflows(q)] == [f"application-{ids[1]}"]
    desc = await temporal_client.get_workflow_handle(f"application-{ids[1]}").describe()
    assert (await desc.static_summary()) == f"{year} 区政府质量奖 · 鹿城优质制造有限公司"

    # The office lists applications with filters and pagination.
    r = await api.get(
        "/applications", headers=office, params={"year": year, "outcome": "NOT_QUALIFIED", "page_size": 1}
    )
    assert r.json()["total"] == 2 and len(r.json()["items"]) == 1

    # Results break down by the Art. 5 sectors (R5.1).
    report = {
        row["sector"]: row
        for row in (await api.get(f"/cycles/{year}/reports/sectors", headers=office)).json()
    }
    assert (
        report["INTELLIGENT_EQUIPMENT"]["applications"] == 3 and report["INTELLIGENT_EQUIPMENT"]["priority"]
    )
    assert report["INTELLIGENT_EQUIPMENT"]["by_outcome"] == {"QUALIFIED": 1, "NOT_QUALIFIED": 2}
    assert report["INTELLIGENT_EQUIPMENT"]["by_award"] == {"QUALITY": 2, "INNOVATION": 1}

    # Every step is in the audit log with who and when (P4).
    entries = (await api.get("/audit", headers=office, params={"page_size": 1000})).json()
    by_action: dict[str, list] = {}
    for e in entries:
        by_action.setdefault(e["action"], []).append(e)
    assert [e["actor"] for e in by_action["CYCLE_STARTED"]] == ["office"]
    assert sorted(e["actor"] for e in by_action["APPLICATION_SUBMITTED"]) == ["ent1", "ent2", "ent3"]
    assert len(by_action["QUALIFICATION_CHECKED"]) == 3
    assert {e["actor"] for e in by_action["QUALIFICATION_DECIDED"]} == {"office"}
    assert len(by_action["NOTICE_QUALIFICATION_FEEDBACK"]) == 2
    assert len(by_action["FACT_RECORDED"]) >= 7 and by_action["REVOCATION_RECORDED"]
    assert all(e["at"] for e in entries)

    # The histories of this run replay on the current code; optionally kept for future replay tests.
    ids_all = [f"award-cycle-{year}"] + [f"application-{i}" for i in ids.values()]
    histories = [await temporal_client.get_workflow_handle(w).fetch_history() for w in ids_all]
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=workflow_runner())
    for h in histories:
        await replayer.replay_workflow(h)
    if os.environ.get("AWARD_RECORD_HISTORIES"):
        for h in histories:
            (HISTORIES / f"e2e-{h.workflow_id}.json").write_text(readable(h).to_json())


async def _is(api: httpx.AsyncClient, office: dict[str, str], year: int, stage: str) -> bool:
    return (await api.get(f"/cycles/{year}", headers=office)).json()["stage"] == stage
