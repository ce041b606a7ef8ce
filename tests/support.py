"""Helpers that drive the system through its HTTP API the way its users do."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from conftest import ADMIN, DATA_CONVERTER, readable

from devstack.scenario import COMMITTEE, Scenario, credit_code, eventually, pdf, scores

# the tests import these from here as well as the helpers defined below
__all__ = ["COMMITTEE", "credit_code", "eventually", "pdf", "scores"]
HISTORY_DIR = Path(__file__).resolve().parent / "histories"


def expect_list(r: httpx.Response) -> list[dict[str, Any]]:
    """The body of a 200 answer that is a list."""
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body, list)
    return body


async def login(api: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    return await Scenario.login(api, username, password)


def enterprise_body(n: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "credit_code": credit_code(n),
        "name": f"温州测试{n}号有限公司",
        "registered_district": "鹿城区",
        "tax_district": "鹿城区",
        "independent_legal_person": True,
        "registration_date": "2015-06-01",
        "field": "INDUSTRY",
        "sector_tags": ["INTELLIGENT_EQUIPMENT"],
    }
    body.update(overrides)
    return body


async def register_enterprise(
    api: httpx.AsyncClient,
    office: dict[str, str],
    n: int,
    *,
    password: str = "enterprise-pass-1",
    **overrides: Any,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Office registers the enterprise and invites its account, the enterprise sets `password`;
    returns (enterprise, its auth headers)."""
    r = await api.post("/enterprises", json=enterprise_body(n, **overrides), headers=office)
    assert r.status_code == 201, r.text
    ent = r.json()
    r = await api.post(
        "/users",
        json={
            "username": f"ent{n}",
            "display_name": f"{ent['name']}申报联系人",
            "role": "enterprise",
            "enterprise_credit_code": ent["credit_code"],
        },
        headers=office,
    )
    assert r.status_code == 201, r.text
    await Scenario.accept(api, r.json()["invitation"], password)
    return ent, await login(api, f"ent{n}", password)


async def add_fact(
    api: httpx.AsyncClient, office: dict[str, str], code: str, fact: dict[str, Any]
) -> dict[str, Any]:
    body = {"source": "温州市鹿城区市场监督管理局", "evidence": "鹿市监〔2026〕1号", **fact}
    r = await api.post(f"/enterprises/{code}/facts", json=body, headers=office)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def valid_certificate(today: date) -> dict[str, Any]:
    return {
        "kind": "QMS_CERTIFICATE",
        "on": str(today - timedelta(days=400)),
        "number": "00121Q34567R2M",
        "body": "中国质量认证中心",
        "valid_from": str(today - timedelta(days=400)),
        "valid_to": str(today + timedelta(days=700)),
    }


async def upload(api: httpx.AsyncClient, headers: dict[str, str], content: bytes, name: str) -> str:
    r = await api.post("/documents", files={"file": (name, content, "application/pdf")}, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(content).hexdigest()
    return str(r.json()["sha256"])


async def application_documents(
    api: httpx.AsyncClient, headers: dict[str, str], tag: str
) -> list[dict[str, str]]:
    report = await upload(api, headers, pdf(f"自我评价报告 {tag}"), "self-assessment.pdf")
    form = await upload(api, headers, pdf(f"申报表 {tag}"), "form.pdf")
    evidence = await upload(api, headers, pdf(f"证明材料 {tag}"), "evidence.pdf")
    return [
        {"kind": "SELF_ASSESSMENT_REPORT", "sha256": report, "title": "自我评价报告"},
        {"kind": "APPLICATION_FORM", "sha256": form, "title": "鹿城区政府质量奖申报表"},
        {"kind": "EVIDENCE", "sha256": evidence, "title": "证明材料"},
    ]


def self_assessment(pct: int = 70) -> dict[str, int]:
    """The enterprise's own score of every item of the 2012 rubric (R13.1)."""
    return scores(pct)


def in_seconds(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def open_cycle(
    api: httpx.AsyncClient, office: dict[str, str], year: int, **rules: Any
) -> dict[str, Any]:
    """The way a cycle starts: the government approves the committee roster, the committee
    approves the rules (R6.1, R7.1), then the office starts the cycle (R3.1)."""
    sc = Scenario(api, office, year, admin=await login(api, *ADMIN))
    cycle = await sc.open_cycle(**rules)
    return {"cycle": cycle, "committee": sc.committee, "government": sc.government, "rules": sc.rules}


async def replay_and_keep(client: Any, query: str, prefix: str) -> int:
    """Replay the histories of the workflows matching `query` on the current code; with
    AWARD_RECORD_HISTORIES=1 keep them under tests/histories/ for future replay tests."""
    import os

    from temporalio.worker import Replayer

    from worker.main import WORKFLOWS, workflow_runner

    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=workflow_runner())
    folder = HISTORY_DIR
    n = 0
    async for wf in client.list_workflows(query + " AND ExecutionStatus != 'Terminated'"):
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        await replayer.replay_workflow(history)
        if os.environ.get("AWARD_RECORD_HISTORIES"):
            (folder / f"{prefix}-{wf.id}.json").write_text(readable(history).to_json())
        n += 1
    return n
