"""补充公示 on the time-skipping server, through the HTTP API (issue 9, point 3; Art. 14(5), 14(6)).

"A candidate who was not on the published preliminary list can only be added after a new 7-day
notice for that candidate." After the government returns the list, the chair proposes a candidate
of the plenary left off the published list by the quota (within the quota once added: the candidate
it replaces is named); the cycle publishes a supplementary 7-day notice of its own, takes
objections against that candidate only, waits for their investigation, and the committee decides
the substantiated finding; the next version takes the candidate in, the government approves it,
and the published result holds it. Refused: a candidate that failed the ballot, one beyond the
quota, a proposal out of turn, an objection against a candidate outside the supplementary notice.
Production rules (7-day notices, quota 1 for the quality award); the clock moved by `env.sleep`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import DATA_CONVERTER
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from timeskip import award_api, calendar, cycle, env, scenario

from config.settings import Settings
from db import models as m
from devstack.scenario import COMMITTEE, Scenario, eventually, expect, password_of
from domain.calendar import cst_date
from domain.publicity import notice_window
from worker.main import WORKFLOWS, workflow_runner

__all__ = ["env"]  # the time-skipping server fixture (tests/timeskip.py)
EVERYONE = [u for u, _ in COMMITTEE]


async def to_preliminary(env: WorkflowEnvironment, sc: Scenario) -> tuple[str, str, str]:
    """Three QUALITY candidates, quota 1: a1 (85 %) is listed; a2 (80 %) passes the ballot but is
    over the quota; a3 (80 %) fails the ballot (2 of 5 approve)."""
    now = await env.get_current_time()
    await sc.open_cycle(application_deadline=(now + timedelta(hours=1)).isoformat(), quota_quality=1)
    for k, name in (
        (1, "鹿城补充公示一号有限公司"),
        (2, "鹿城补充公示二号有限公司"),
        (3, "鹿城补充公示三号有限公司"),
    ):
        await sc.enterprise(k, name)
    for k in range(1, 10):
        await sc.expert(k)
    apps = [await sc.apply(k, "QUALITY", self_pct=80) for k in (1, 2, 3)]
    a1, a2, a3 = apps
    await env.sleep(timedelta(hours=1, minutes=1))  # the call closes
    for a in apps:
        assert (await sc.qualify(a))["qualified"] is True
    await sc.wait_cycle("DOCUMENT_REVIEW")
    await sc.draw()
    for a in apps:
        await sc.document_review(a, 80)
    await sc.onsite_list(apps)
    await sc.wait_cycle("ONSITE_REVIEW")
    visit = cst_date(await env.get_current_time())
    await sc.draw(visits=dict.fromkeys(apps, visit))
    for a, pct in ((a1, 85), (a2, 80), (a3, 80)):
        await sc.onsite_review(a, pct)
    meeting = await sc.convene()
    for i, member in enumerate(EVERYONE):
        choices = {a1: "APPROVE", a2: "APPROVE", a3: "APPROVE" if i < 2 else "REJECT"}
        expect(await sc.vote(meeting["meeting_id"], member, choices), 200)
    await sc.wait_cycle("PUBLIC_NOTICE")
    return a1, a2, a3


async def waiting(sc: Scenario, stage: str, prefix: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        c = await cycle(sc)
        return c if c["stage"] == stage and c["waiting_for"].startswith(prefix) else None

    return await eventually(probe, what=f"the cycle in {stage} waiting for {prefix!r}")


async def object_to(sc: Scenario, facts: str, application_id: str) -> httpx.Response:
    body = {"facts": facts, "application_id": application_id, "name": "李四", "contact": "13900000000"}
    return await sc.api.post(f"/public/objections/{sc.year}", json=body)


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status and r.json()["code"] == code, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.req("R14.8")
@pytest.mark.req("R14.7")
async def test_a_candidate_added_after_a_return_is_noticed_for_7_days_before_the_list_takes_it(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        sc = await scenario(env, api, settings)
        a1, a2, a3 = await to_preliminary(env, sc)
        chair, gov, year = sc.committee["chair"], sc.government, sc.year
        propose = f"/cycles/{year}/supplementary-notice"
        pub = expect(await api.get(f"/public/preliminary/{year}"), 200)
        assert [w["application_id"] for w in pub["list"]] == [a1] and pub["supplementary"] == []

        # Out of turn: during the preliminary notice, and before any return.
        r = await api.post(propose, headers=chair, json={"add": {a2: "名额内递补"}})
        refused(r, 409, "SUPPLEMENTARY_NOTICE_NOT_OPEN")
        await env.sleep(
            datetime.fromisoformat(pub["closes_at"]) - await env.get_current_time() + timedelta(minutes=1)
        )
        await sc.wait_cycle("FINAL_LIST")
        r = await api.post(propose, headers=chair, json={"add": {a2: "名额内递补"}})
        refused(r, 409, "SUPPLEMENTARY_NOTICE_NOT_OPEN")
        v1 = expect(await api.post(f"/cycles/{year}/final-list", headers=chair, json={"note": "第一版"}), 200)
        assert [w["application_id"] for w in v1["winners"]] == [a1]

        # The government returns version 1.
        await sc.wait_cycle("GOVERNMENT_APPROVAL")
        reason = "经核查，一号公司近三年发生质量事故，请评委会重新审定"
        returned = {"approved": False, "reason": reason, "version": 1}
        expect(await api.post(f"/cycles/{year}/approval", headers=gov, json=returned), 200)
        await sc.wait_cycle("FINAL_LIST")

        # Not directly: a candidate never noticed needs its supplementary notice.
        r = await api.post(f"/cycles/{year}/final-list", headers=chair, json={"reinstate": {a2: "递补"}})
        refused(r, 409, "SUPPLEMENTARY_NOTICE_REQUIRED")
        # Refused proposals: a plain member; a candidate that failed the ballot; one beyond the quota;
        # a candidate already published; a stranger to the ballot.
        r = await api.post(propose, headers=sc.committee["member1"], json={"add": {a2: "递补"}})
        assert r.status_code == 403, r.text
        r = await api.post(propose, headers=chair, json={"add": {a3: "递补"}})
        assert refused(r, 409, "SUPPLEMENTARY_BALLOT_NOT_PASSED")["details"]["applications"] == [a3]
        r = await api.post(propose, headers=chair, json={"add": {a2: "递补"}})
        over = refused(r, 409, "SUPPLEMENTARY_OVER_QUOTA")
        assert over["details"] == {"award": "QUALITY", "quota": 1, "count": 2}
        assert "移出的单位" in over["message_zh"]
        r = await api.post(propose, headers=chair, json={"add": {a1: "x"}})
        refused(r, 409, "SUPPLEMENTARY_ALREADY_PUBLISHED")
        r = await api.post(propose, headers=chair, json={"add": {f"{year}-9999": "x"}})
        refused(r, 422, "SUPPLEMENTARY_NOT_A_CANDIDATE")
        assert (await api.get(f"/public/preliminary/{year}")).json()["supplementary"] == []

        # The chair proposes a2 in place of a1, with reasons: the supplementary notice is published.
        body = {
            "add": {a2: "审查表决获全票通过，仅因名额所限未列入初选名单，按得分顺序递补"},
            "make_room": {a1: "近三年发生质量事故，不符合办法第十一条"},
            "note": "根据区政府退回意见提请补充公示",
        }
        sup = expect(await api.post(propose, headers=chair, json=body), 201)
        assert sup["notice_id"] == f"{year}-SUPP-1" and sup["answers_version"] == 1
        assert [c["application_id"] for c in sup["candidates"]] == [a2]
        published_at, closes_at = (datetime.fromisoformat(sup[k]) for k in ("published_at", "closes_at"))
        # 7 days by the Civil Code with the cycle's frozen rest days, like the preliminary notice
        assert closes_at == notice_window(published_at, 7, await calendar(sc))[1]
        r = await api.post(propose, headers=chair, json=body)  # once per return
        refused(r, 409, "SUPPLEMENTARY_NOTICE_NOT_OPEN")
        c = await waiting(sc, "SUPPLEMENTARY_NOTICE", f"Supplementary notice {year}-SUPP-1 (补充公示)")
        assert "1 candidate" in c["waiting_for"]
        pub = expect(await api.get(f"/public/preliminary/{year}"), 200)
        assert (
            pub["supplementary"][0]["notice_id"] == sup["notice_id"] and not pub["supplementary"][0]["closed"]
        )
        assert [w["application_id"] for w in pub["supplementary"][0]["list"]] == [a2]

        async def delivered() -> dict[str, Any] | None:  # the outbox delivers it
            r = await api.get("/public/notices")
            assert r.status_code == 200, r.text
            return next((n for n in r.json() if n["kind"] == "SUPPLEMENTARY_NOTICE"), None)

        text = await eventually(delivered, what="the supplementary notice delivered")
        assert text["title"] == f"{year}年度鹿城区政府质量奖补充公示"
        assert "鹿城补充公示二号有限公司" in text["body"] and "鹿城补充公示一号有限公司" not in text["body"]
        assert "24时止" in text["body"] and "拟补充列入" in text["body"]

        # During it the list cannot be fixed; objections only against the candidate noticed.
        r = await api.post(f"/cycles/{year}/final-list", headers=chair, json={})
        refused(r, 409, "SUPPLEMENTARY_NOTICE_RUNNING")
        refused(await object_to(sc, "一号公司另有问题", a1), 422, "OBJECTION_NOT_IN_SUPPLEMENTARY_NOTICE")
        filed = expect(await object_to(sc, "二号公司存在产品抽检不合格记录", a2), 201)
        assert filed["investigated"] and datetime.fromisoformat(filed["closes_at"]) == closes_at
        oid = filed["objection_id"]
        investigator = await sc.account("investigator1", "office", "investigator-pass-1", "调查人甲")
        expect(
            await api.post(
                f"/objections/{oid}/investigator", headers=sc.office, json={"username": "investigator1"}
            ),
            200,
        )
        findings = "经调查核实：抽检不合格系委托加工产品，已整改，属实但情节轻微"
        expect(
            await api.post(
                f"/objections/{oid}/report",
                headers=investigator,
                json={"findings": findings, "conclusion": "SUBSTANTIATED"},
            ),
            200,
        )

        # After the close: no objection any more; the substantiated finding waits for the committee.
        await env.sleep(closes_at - await env.get_current_time() + timedelta(minutes=1))
        await waiting(sc, "FINAL_LIST", "Waiting for the committee to fix the proposed list")
        refused(await object_to(sc, "二号公司另一问题", a2), 409, "OBJECTION_WINDOW_CLOSED")
        r = await api.post(f"/cycles/{year}/final-list", headers=chair, json={})
        assert refused(r, 409, "FINDINGS_UNDECIDED")["details"]["objections"] == [oid]
        keep = "问题已整改，情节轻微，不影响评审结果"
        r = await api.post(
            f"/objections/{oid}/decision", headers=chair, json={"decision": "KEEP", "reasons": keep}
        )
        assert expect(r, 201)["application_id"] == a2

        # Version 2 answers the return: a2 came through the supplementary notice, a1 made room.
        v2 = expect(await api.post(f"/cycles/{year}/final-list", headers=chair, json={"note": "第二版"}), 200)
        assert v2["version"] == 2 and v2["answers_version"] == 1
        assert [w["application_id"] for w in v2["winners"]] == [a2]
        assert v2["supplementary"] == f"{year}-SUPP-1" and f"{year}-SUPP-1" in v2["supplemented"][a2]
        assert "质量事故" in v2["removed"][a1] and keep in v2["kept"][a2]

        await sc.wait_cycle("GOVERNMENT_APPROVAL")
        approve = {"approved": True, "document_no": f"鹿政发〔{year}〕12号", "version": 2}
        expect(await api.post(f"/cycles/{year}/approval", headers=gov, json=approve), 200)
        await sc.wait_cycle("COMPLETED")
        result = expect(await api.get(f"/public/results/{year}"), 200)
        assert [w["application_id"] for w in result["winners"]] == [a2]
        assert result["winners"][0]["enterprise_name"] == "鹿城补充公示二号有限公司"
        await sc.wait_stage(a2, "AWARDED")
        await sc.wait_stage(a1, "NOT_AWARDED")

        # The version history: which version answered which return, and what came through 补充公示.
        auditor = await sc.account("auditor1", "auditor", password_of("auditor1"), "纪检组")
        r = await api.get(f"/cycles/{year}/final-list/versions", headers=auditor)
        assert r.status_code == 200, r.text
        versions = r.json()
        assert [(v["version"], v["state"], v["answers_version"]) for v in versions] == [
            (1, "RETURNED", None),
            (2, "APPROVED", 1),
        ]
        assert versions[1]["answers_reason"] == reason and versions[0]["supplemented"] == {}
        assert versions[1]["supplementary_notice"] == f"{year}-SUPP-1"
        assert list(versions[1]["supplemented"]) == [a2]
        r = await api.get("/objections", params={"year": year}, headers=sc.office)
        view = {o["id"]: o for o in r.json()}
        assert view[oid]["notice_id"] == f"{year}-SUPP-1" and view[oid]["awaiting_decision"] == []
        actions = [
            e["action"]
            for e in (await api.get("/audit", headers=sc.office, params={"page_size": 1000})).json()
        ]
        assert {"SUPPLEMENTARY_NOTICE_PUBLISHED", "SUPPLEMENTARY_NOTICE_CLOSED"} <= set(actions)
        async with sessions() as s:
            row = await s.get(m.SupplementaryNotice, f"{year}-SUPP-1")
            assert row is not None and row.closed and row.proposed_by == "chair"
            assert await s.scalar(select(m.Objection.notice_id).where(m.Objection.id == oid)) == row.id

        # the supplementary path replays deterministically on this code, and carries its patch marker
        history = await env.client.get_workflow_handle(f"award-cycle-{year}").fetch_history()
    markers = [e for e in history.events if e.HasField("marker_recorded_event_attributes")]
    assert any(b"supplementary-notice" in e.SerializeToString() for e in markers)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=workflow_runner())
    await replayer.replay_workflow(history)


@pytest.mark.req("R14.7")
async def test_a_substantiated_objection_during_the_supplementary_notice_can_keep_the_candidate_off(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        sc = await scenario(env, api, settings)
        a1, a2, _ = await to_preliminary(env, sc)
        chair, gov, year = sc.committee["chair"], sc.government, sc.year
        pub = expect(await api.get(f"/public/preliminary/{year}"), 200)
        await env.sleep(
            datetime.fromisoformat(pub["closes_at"]) - await env.get_current_time() + timedelta(minutes=1)
        )
        await sc.wait_cycle("FINAL_LIST")
        expect(await api.post(f"/cycles/{year}/final-list", headers=chair, json={}), 200)
        await sc.wait_cycle("GOVERNMENT_APPROVAL")
        returned = {"approved": False, "reason": "请重新审定", "version": 1}
        expect(await api.post(f"/cycles/{year}/approval", headers=gov, json=returned), 200)
        await sc.wait_cycle("FINAL_LIST")
        body = {"add": {a2: "按得分顺序递补"}, "make_room": {a1: "质量事故"}}
        sup = expect(
            await api.post(f"/cycles/{year}/supplementary-notice", headers=sc.committee["vice1"], json=body),
            201,
        )
        await sc.wait_cycle("SUPPLEMENTARY_NOTICE")

        # An objection naming no organisation is taken and scoped by the office to the candidates
        # of the supplementary notice only.
        r = await api.post(
            f"/public/objections/{year}", json={"facts": "补充公示的单位得分存疑", "anonymous": True}
        )
        general = expect(r, 201)["objection_id"]
        r = await api.post(f"/objections/{general}/scope", headers=sc.office, json={"application_ids": [a1]})
        refused(r, 422, "OBJECTION_TARGET")
        r = await api.post(f"/objections/{general}/scope", headers=sc.office, json={"application_ids": [a2]})
        assert expect(r, 200)["concerns"] == [a2]
        investigator = await sc.account("investigator1", "office", "investigator-pass-1", "调查人甲")
        expect(
            await api.post(
                f"/objections/{general}/investigator", headers=sc.office, json={"username": "investigator1"}
            ),
            200,
        )
        report = {"findings": "经调查核实：现场评审材料存在虚假内容", "conclusion": "SUBSTANTIATED"}
        expect(await api.post(f"/objections/{general}/report", headers=investigator, json=report), 200)
        r = await api.post(
            f"/objections/{general}/decision",
            headers=chair,
            json={"decision": "REMOVE", "reasons": "材料不实"},
        )
        expect(r, 201)

        # After the close the next version leaves a2 off with the committee's reasons.
        closes_at = datetime.fromisoformat(sup["closes_at"])
        await env.sleep(closes_at - await env.get_current_time() + timedelta(minutes=1))
        await waiting(sc, "FINAL_LIST", "Waiting for the committee to fix the proposed list")
        v2 = expect(await api.post(f"/cycles/{year}/final-list", headers=chair, json={}), 200)
        assert v2["version"] == 2 and v2["winners"] == [] and v2["supplemented"] == {}
        assert "材料不实" in v2["removed"][a2] and "质量事故" in v2["removed"][a1]
        # a2 was published by its supplementary notice: reinstating it needs no new notice
        await sc.wait_cycle("GOVERNMENT_APPROVAL")
        expect(await api.post(f"/cycles/{year}/approval", headers=gov, json={**returned, "version": 2}), 200)
        await sc.wait_cycle("FINAL_LIST")
        r = await api.post(
            f"/cycles/{year}/final-list", headers=chair, json={"reinstate": {a2: "复核后材料属实"}}
        )
        assert [w["application_id"] for w in expect(r, 200)["winners"]] == [a2]
