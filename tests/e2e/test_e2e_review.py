"""Issue #3 end to end, through the HTTP API: conflict-free reproducible panel draws, independent
scoring with reminders and replacement, the leader's opinion, the on-site list with feedback, and
on-site reports confirmed or disputed — with a real worker, Temporal dev server and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import LIVE, OFFICE
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

from devstack.scenario import Scenario, item_comments

Headers = dict[str, str]


async def stage(api: httpx.AsyncClient, office: Headers, app_id: str, want: str) -> dict[str, Any] | None:
    a = (await api.get(f"/applications/{app_id}", headers=office)).json()
    return a if a["stage"] == want else None


async def cycle_stage(api: httpx.AsyncClient, office: Headers, year: int, want: str) -> bool:
    return (await api.get(f"/cycles/{year}", headers=office)).json()["stage"] == want


def scores(pct: int, **items: int) -> dict[str, int]:
    return {**self_assessment(pct), **{k.replace("_", "."): v for k, v in items.items()}}


async def notices(api: httpx.AsyncClient, h: Headers, kind: str) -> list[dict[str, Any]] | None:
    return [n for n in (await api.get("/notices", headers=h)).json() if n["kind"] == kind] or None


@pytest.mark.req("R4.1")
@pytest.mark.req("R4.2")
@pytest.mark.req("R9.1")
@pytest.mark.req("R10.1")
@pytest.mark.req("R13.1")
@pytest.mark.req("R14.2")
@pytest.mark.req("R14.3")
@pytest.mark.req("R14.4")
@pytest.mark.req("R14.5")
@pytest.mark.req("R20.1")
@pytest.mark.req("R20.2")
@pytest.mark.req("R20.3")
@pytest.mark.req("P2")
@pytest.mark.req("P3")
async def test_document_and_onsite_review(api: httpx.AsyncClient, temporal_client: Client) -> None:
    office = await login(api, *OFFICE)
    today = datetime.now(UTC).date()
    year = today.year + 1

    # Four eligible enterprises.
    ents: list[dict[str, Any]] = []
    heads: list[Headers] = []
    for n in range(1, 5):
        ent, h = await register_enterprise(api, office, 40 + n, name=f"鹿城评审{n}号有限公司")
        await add_fact(api, office, ent["credit_code"], valid_certificate(today))
        await add_fact(
            api,
            office,
            ent["credit_code"],
            {"kind": "CREDIT_STATUS", "on": str(today - timedelta(days=9)), "status": "GOOD"},
        )
        ents.append(ent)
        heads.append(h)

    # Eight experts (R10.1): one works for enterprise 1 (detected conflict), one declares a conflict
    # with enterprise 2 (declared conflict).
    experts: dict[int, dict[str, Any]] = {}
    eh: dict[int, Headers] = {}
    for k in range(1, 9):
        body: dict[str, Any] = {
            "name": f"专家{k}",
            "qualifications": ["高级工程师", "卓越绩效评价师"],
            "fields": ["INDUSTRY"] if k % 2 else ["INDUSTRY", "SERVICES"],
            "username": f"expert{k}",
        }
        if k == 1:
            body |= {
                "current_employer_credit_code": ents[0]["credit_code"],
                "current_employer_name": ents[0]["name"],
            }
        r = await api.post("/experts", headers=office, json=body)
        assert r.status_code == 201, r.text
        experts[k] = r.json()
        await Scenario.accept(api, experts[k].pop("invitation"), f"expert-pass-{k:02d}")
        eh[k] = await login(api, f"expert{k}", f"expert-pass-{k:02d}")
        await Scenario.sign_undertaking(api, eh[k], year)  # Art. 20: before any assignment
    r = await api.post(
        f"/experts/{experts[2]['id']}/conflicts",
        headers=eh[2],
        json={"credit_code": ents[1]["credit_code"], "evidence": "近两年曾为该企业提供咨询"},
    )
    assert r.status_code == 201, r.text
    by_id = {e["id"]: k for k, e in experts.items()}

    # Cycle with short review periods (rules carry every duration).
    await open_cycle(
        api,
        office,
        year,
        application_deadline=in_seconds(8),
        panel_size=3,
        expert_load_cap=5,
        document_review_period=8,
        review_reminder_before=4,
        score_spread_tolerance=20,
        onsite_threshold=500,
        onsite_confirmation_period=30,
        onsite_reminder_before=5,
    )
    ids: list[str] = []
    for n, h in enumerate(heads):
        docs = await application_documents(api, h, f"r{n}")
        r = await api.post(
            f"/cycles/{year}/applications",
            headers=h,
            json={
                "award": "QUALITY" if n < 2 else "INNOVATION",
                "documents": docs,
                "self_assessment": self_assessment(60 + 5 * n),
            },
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["application_id"])
    for app_id in ids:
        await eventually(lambda a=app_id: stage(api, office, a, "QUALIFICATION_DECISION"), timeout=40)
        r = await api.post(
            f"/applications/{app_id}/qualification-decision",
            headers=office,
            json={
                "decisions": [
                    {"condition": c, "status": "PASS", "reason": "经核查符合"}
                    for c in ("LAWFUL_COMPLIANCE", "EXCELLENCE_MODEL", "INNOVATION")
                ],
                "material_truthful": True,
            },
        )
        assert r.status_code == 200 and r.json()["qualified"], r.text
    await eventually(lambda: cycle_stage(api, office, year, "DOCUMENT_REVIEW"))

    # --- the draw: conflict-free, ≥ 3 members with one leader, recorded and reproducible (R9.1, R20.1)
    assert (
        await api.post(f"/cycles/{year}/onsite-list", headers=office, json={"application_ids": []})
    ).status_code == 409
    r = await api.post(f"/cycles/{year}/panels", headers=office, json={})
    assert r.status_code == 200, r.text
    draw = r.json()
    assert draw["unfilled"] == [] and set(draw["panels"]) == set(ids)
    panels = {a: [m["expert_id"] for m in seats] for a, seats in draw["panels"].items()}
    leaders = {a: next(m["expert_id"] for m in seats if m["leader"]) for a, seats in draw["panels"].items()}
    assert all(len(p) == 3 and len(set(p)) == 3 for p in panels.values())
    assert experts[1]["id"] not in panels[ids[0]] and experts[2]["id"] not in panels[ids[1]]
    conflicts = (await api.get("/conflicts", headers=office)).json()
    assert any(
        c["expert_id"] == experts[1]["id"] and c["type"] == "CURRENT_EMPLOYER" and c["source"] == "DETECTED"
        for c in conflicts
    )
    verify = (await api.get(f"/draws/{draw['draw_id']}/verify", headers=office)).json()
    assert verify["matches"] and verify["recomputed_hash"] == draw["input_hash"] == verify["recorded_hash"]
    assert (await api.post(f"/cycles/{year}/panels", headers=office, json={})).json()[
        "code"
    ] == "NOTHING_TO_DRAW"

    # --- confidentiality (R20.2)
    seated = {by_id[x] for p in panels.values() for x in p}
    outsider = next(k for k in experts if experts[k]["id"] not in panels[ids[3]])
    assert (await api.get(f"/applications/{ids[3]}", headers=eh[outsider])).status_code == 403
    insider = by_id[panels[ids[3]][0]]
    assert (await api.get(f"/applications/{ids[3]}", headers=eh[insider])).status_code == 200
    assigned = (await api.get("/expert/assignments", headers=eh[insider])).json()
    assert ids[3] in {a["application_id"] for a in assigned}
    assert (await api.get(f"/applications/{ids[3]}/scores", headers=eh[insider])).status_code == 403
    assert await eventually(lambda: notices(api, eh[insider], "REVIEW_ASSIGNMENT"))
    assert seated

    # --- disqualification midway (R20.3): replaced on every open panel, never drawn again
    disq_app = ids[2]
    disq = next(x for x in panels[disq_app] if x != leaders[disq_app])
    r = await api.post(
        f"/experts/{disq}/discipline",
        headers=office,
        json={"kind": "DISQUALIFICATION", "reason": "违反评审纪律，私下接触申报企业"},
    )
    assert r.status_code == 200 and r.json()["status"] == "DISQUALIFIED", r.text

    async def replaced(app_id: str) -> list[dict[str, Any]] | None:
        a = (await api.get(f"/applications/{app_id}", headers=office)).json()
        members = a.get("panels", {}).get("DOCUMENT", [])
        return members if len(members) == 3 and disq not in [m["expert_id"] for m in members] else None

    for app_id in ids:  # replaced on every open panel it sat on, leader re-chosen if it led
        seats = await eventually(lambda a=app_id: replaced(a))
        panels[app_id] = [m["expert_id"] for m in seats]
        leaders[app_id] = next(m["expert_id"] for m in seats if m["leader"])
    assert disq not in {x for p in panels.values() for x in p}
    replacement_draws = [
        e for e in (await api.get("/audit", headers=office, params={"action": "EXPERT_REPLACED"})).json()
    ]
    assert replacement_draws and all(e["details"]["leaving"] == disq for e in replacement_draws)
    for e in replacement_draws:
        assert (await api.get(f"/draws/{e['details']['draw_id']}/verify", headers=office)).json()["matches"]

    # --- independent scores; one late expert → reminder → overdue → replaced (R14.2)
    late_app = ids[0]
    late = next(x for x in panels[late_app] if x != leaders[late_app])
    spread_app, low_app = ids[1], ids[3]
    for app_id, members in panels.items():
        for x in members:
            if (app_id, x) == (late_app, late):
                continue
            pct = 40 if app_id == low_app else 60
            items = {"4_1_1": 30} if app_id == spread_app and x == members[-1] else {}
            r = await api.post(
                f"/applications/{app_id}/scores",
                headers=eh[by_id[x]],
                json={
                    "scores": scores(pct, **items),
                    "strengths": "领导作用突出",
                    "improvements": "过程管理有待加强",
                    # the items below 50 % say what is strong and what to improve (R14.4)
                    "item_comments": item_comments(scores(pct, **items), below=50),
                },
            )
            assert r.status_code == 200, r.text
    r = await api.post(
        f"/applications/{ids[3]}/scores", headers=eh[by_id[panels[ids[3]][0]]], json={"scores": scores(60)}
    )
    assert r.json()["code"] == "SCORE_ALREADY_SUBMITTED"
    r = await api.post(
        f"/applications/{ids[2]}/scores",
        headers=eh[by_id[panels[ids[2]][0]]],
        json={"scores": scores(60, **{"4_1_1": 37})},
    )
    assert r.status_code in (409, 422)
    # after scoring, a member may read the panel's scores (a member of the panel as it is now: the
    # expert checked above may have been the one disqualified meanwhile)
    member = by_id[panels[ids[3]][0]]
    assert (await api.get(f"/applications/{ids[3]}/scores", headers=eh[member])).status_code == 200
    if experts[insider]["id"] == disq:
        assert (await api.get(f"/applications/{ids[3]}/scores", headers=eh[insider])).status_code == 403

    # operators see what the application waits for (P3)
    waiting = (await api.get(f"/applications/{late_app}", headers=office)).json()["waiting_for"]
    assert "1 of 3 expert scores" in waiting, waiting
    assert await eventually(lambda: notices(api, eh[by_id[late]], "REVIEW_REMINDER"), timeout=20)
    assert await eventually(lambda: notices(api, office, "REVIEW_OVERDUE"), timeout=20)
    r = await api.post(
        f"/applications/{late_app}/panel/replace",
        headers=office,
        json={"expert_id": late, "reason": "逾期未提交评分，更换专家"},
    )
    assert r.status_code == 200, r.text
    new_members = [m["expert_id"] for m in r.json()["members"]]
    (alternate,) = set(new_members) - set(panels[late_app])
    assert late not in new_members and disq not in new_members
    r = await api.post(
        f"/applications/{late_app}/scores", headers=eh[by_id[alternate]], json={"scores": scores(60)}
    )
    assert r.status_code == 200, r.text
    r = await api.post(
        f"/applications/{late_app}/scores", headers=eh[by_id[late]], json={"scores": scores(60)}
    )
    # the replaced expert is no longer assigned: cannot score, nor see the application (R20.2)
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    assert (await api.get(f"/applications/{late_app}", headers=eh[by_id[late]])).status_code == 403

    # --- the leaders' opinions; a wide spread needs a rationale (R9.1)
    for app_id in ids:
        pct = 40 if app_id == low_app else 60
        body = {
            "scores": scores(pct),
            "opinion": "该企业卓越绩效管理体系较完善。",
            "item_comments": item_comments(scores(pct), below=50),
        }
        if app_id == spread_app:
            non_leader = next(x for x in panels[app_id] if x != leaders[app_id])
            r = await api.post(
                f"/applications/{app_id}/panel-opinion", headers=eh[by_id[non_leader]], json=body
            )
            assert r.json()["code"] == "NOT_PANEL_LEADER"
            r = await api.post(
                f"/applications/{app_id}/panel-opinion", headers=eh[by_id[leaders[app_id]]], json=body
            )
            assert r.status_code == 422 and r.json()["code"] == "SPREAD_RATIONALE_REQUIRED", r.text
            body["rationales"] = {"4.1.1": "经合议，采纳多数专家意见"}
        r = await api.post(
            f"/applications/{app_id}/panel-opinion", headers=eh[by_id[leaders[app_id]]], json=body
        )
        assert r.status_code == 200, r.text
        assert r.json()["total"] == ("400.00" if app_id == low_app else "600.00")

    # --- the on-site list (R14.3); the one left out gets the panel's opinion (R14.4)
    await eventually(lambda: cycle_stage(api, office, year, "ONSITE_SELECTION"))
    ranking = (await api.get(f"/cycles/{year}/document-scores", headers=office)).json()
    assert ranking["threshold"] == 500 and ranking["applications"][-1]["application_id"] == low_app
    listed = [a for a in ids if a != low_app]
    r = await api.post(f"/cycles/{year}/onsite-list", headers=office, json={"application_ids": ids})
    assert r.json()["code"] == "ONSITE_REASON_REQUIRED"
    r = await api.post(f"/cycles/{year}/onsite-list", headers=office, json={"application_ids": listed})
    assert r.status_code == 200, r.text
    fb = (await eventually(lambda: notices(api, heads[3], "DOCUMENT_REVIEW_FEEDBACK")))[0]
    assert "400.00" in fb["body"] and "卓越绩效管理体系较完善" in fb["body"]
    await eventually(lambda: stage(api, office, low_app, "NOT_SHORTLISTED"))

    # --- on-site review (R14.5): panels with visit dates, reports, confirmation or dispute
    await eventually(lambda: cycle_stage(api, office, year, "ONSITE_REVIEW"))
    visit = str(today + timedelta(days=1))
    r = await api.post(f"/cycles/{year}/panels", headers=office, json={"visits": {listed[0]: visit}})
    assert r.json()["code"] == "VISIT_DATE_REQUIRED"
    r = await api.post(
        f"/cycles/{year}/panels", headers=office, json={"visits": dict.fromkeys(listed, visit)}
    )
    assert r.status_code == 200 and not r.json()["unfilled"], r.text
    onsite = r.json()
    for app_id, seats in onsite["panels"].items():
        assert disq not in [m["expert_id"] for m in seats]
        leader = next(m["expert_id"] for m in seats if m["leader"])
        await eventually(lambda a=app_id: stage(api, office, a, "ONSITE_REVIEW"))
        r = await api.post(
            f"/applications/{app_id}/onsite-report",
            headers=eh[by_id[leader]],
            json={"scores": scores(65), "opinion": "现场查看了生产过程与质量记录，情况属实。"},
        )
        assert r.status_code == 200 and r.json()["total"] == "650.00", r.text
    for n, app_id in enumerate(listed):
        owner = heads[ids.index(app_id)]
        await eventually(lambda a=app_id: stage(api, office, a, "ONSITE_CONFIRMATION"))
        report = (await eventually(lambda h=owner: notices(api, h, "ONSITE_REPORT")))[0]
        assert "650.00" in report["body"]
        if n == 0:
            r = await api.post(
                f"/applications/{app_id}/onsite-confirmation",
                headers=owner,
                json={"confirmed": False, "reason": ""},
            )
            assert r.json()["code"] == "DISPUTE_REASON_REQUIRED"
            r = await api.post(
                f"/applications/{app_id}/onsite-confirmation",
                headers=owner,
                json={"confirmed": False, "reason": "4.7.3财务结果未考虑2026年审计数据"},
            )
            assert r.status_code == 200 and r.json()["confirmation"] == "DISPUTED", r.text
            other = heads[(ids.index(app_id) + 1) % 4]
            assert (
                await api.post(
                    f"/applications/{app_id}/onsite-confirmation", headers=other, json={"confirmed": True}
                )
            ).status_code == 403
            await eventually(lambda a=app_id: stage(api, office, a, "ONSITE_DISPUTED"))
            r = await api.post(
                f"/applications/{app_id}/onsite-settlement",
                headers=office,
                json={"settlement": "经核实审计报告，调整财务结果评分", "revised_scores": scores(70)},
            )
            assert r.status_code == 200 and r.json()["onsite_total"] == "700.00", r.text
        else:
            r = await api.post(
                f"/applications/{app_id}/onsite-confirmation", headers=owner, json={"confirmed": True}
            )
            assert r.status_code == 200, r.text
    for app_id in listed:
        await eventually(lambda a=app_id: stage(api, office, a, "AWAITING_COMMITTEE"))
    await eventually(lambda: cycle_stage(api, office, year, "AWAITING_COMMITTEE"))
    reviews = (
        await api.get(f"/applications/{listed[0]}/reviews", headers=heads[ids.index(listed[0])])
    ).json()
    onsite_review = next(x for x in reviews if x["purpose"] == "ONSITE")
    assert onsite_review["confirmation"] == "SETTLED" and onsite_review["total"] == "700.00"
    assert (
        "scores" not in onsite_review
    )  # the enterprise sees the report and totals, not item-level rationale
    q = f"AwardYear = {year} AND AwardStage = 'AWAITING_COMMITTEE'" + LIVE
    found = await eventually(lambda: _count(temporal_client, q, 4))
    assert found == 4  # three applications and the cycle


async def _count(client: Client, query: str, want: int) -> int | None:
    n = len([w async for w in client.list_workflows(query)])
    return n if n == want else None
