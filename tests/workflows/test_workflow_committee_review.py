"""审查 and 审定 on the time-skipping server, through the HTTP API (issue 9; Art. 14(5), 14(6)).

The investigation reports go to the committee: every member reads the objections and the reports
(without who objected); a substantiated finding removes nobody by itself — the chair decides for the
committee, REMOVE or KEEP, with reasons, and the list cannot be fixed while a finding waits for it.
Anonymous objections are investigated like named ones; an objection naming no organisation is
taken and scoped by the office.

After a return, the committee revises the list (a removal and a reinstatement): each version is
kept, the government decides on the pending one (a stale version is refused), and the winners of
the approved version are published.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from timeskip import award_api, env, to_public_notice

from config.settings import Settings
from devstack.scenario import Scenario, expect, password_of

__all__ = ["env"]  # the time-skipping server fixture (tests/timeskip.py)


async def object_to(sc: Scenario, facts: str, application_id: str = "", **who: Any) -> dict[str, Any]:
    body = {"facts": facts, **({"application_id": application_id} if application_id else {})}
    body |= who or {"name": "张三", "contact": "13800000000"}
    return expect(await sc.api.post(f"/public/objections/{sc.year}", json=body), 201)


async def investigate(sc: Scenario, investigator: dict[str, str], objection_id: str, conclusion: str) -> None:
    expect(
        await sc.api.post(
            f"/objections/{objection_id}/investigator", headers=sc.office, json={"username": "investigator1"}
        ),
        200,
    )
    findings = f"经调查核实（{objection_id}）：{'反映情况属实' if conclusion == 'SUBSTANTIATED' else '反映情况不属实'}"
    expect(
        await sc.api.post(
            f"/objections/{objection_id}/report",
            headers=investigator,
            json={"findings": findings, "conclusion": conclusion},
        ),
        200,
    )


async def decide(sc: Scenario, objection_id: str, decision: str, reasons: str, **more: str) -> httpx.Response:
    return await sc.api.post(
        f"/objections/{objection_id}/decision",
        headers=sc.committee["chair"],
        json={"decision": decision, "reasons": reasons, **more},
    )


async def objections(sc: Scenario, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    r = await sc.api.get("/objections", params={"year": sc.year}, headers=headers)
    assert r.status_code == 200, r.text
    return {o["id"]: o for o in r.json()}


@pytest.mark.req("R14.7")
async def test_the_committee_reviews_every_report_and_decides_each_substantiated_finding(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        a1, a2 = sorted(sc.applications.values())

        # A named objection, an anonymous one (investigated by default), and one about the notice
        # itself that names no organisation (taken, investigated, scoped by the office).
        named = await object_to(sc, "该企业近三年发生过质量安全事故，申报时未如实说明", a1)
        anon = await object_to(sc, "匿名反映：该企业存在虚假宣传", a2, anonymous=True)
        general = await object_to(sc, "公示名单中有企业的现场评审得分与实际不符", anonymous=True)
        assert named["investigated"] and anon["investigated"] and general["investigated"]

        # Only listed organisations can be in scope; the office scopes the general one to a2.
        r = await api.post(
            f"/objections/{general['objection_id']}/scope",
            headers=sc.office,
            json={"application_ids": ["2000-9999"]},
        )
        assert r.status_code == 422 and r.json()["code"] == "OBJECTION_TARGET", r.text
        r = await api.post(
            f"/objections/{general['objection_id']}/scope",
            headers=sc.office,
            json={"application_ids": [a2], "note": "经初步核查，所反映问题涉及该企业现场评审"},
        )
        assert expect(r, 200)["concerns"] == [a2]
        r = await api.post(  # the named target stays in scope
            f"/objections/{named['objection_id']}/scope", headers=sc.office, json={"application_ids": [a2]}
        )
        assert r.status_code == 422 and r.json()["code"] == "OBJECTION_SCOPE_TARGET", r.text

        investigator = await sc.account("investigator1", "office", "investigator-pass-1", "调查人甲")
        await investigate(sc, investigator, named["objection_id"], "SUBSTANTIATED")
        await investigate(sc, investigator, anon["objection_id"], "SUBSTANTIATED")
        await investigate(sc, investigator, general["objection_id"], "SUBSTANTIATED")
        r = await api.post(  # the report is in: the scope is fixed
            f"/objections/{general['objection_id']}/scope", headers=sc.office, json={"application_ids": []}
        )
        assert r.status_code == 409 and r.json()["code"] == "OBJECTION_REPORTED", r.text

        # Every member of the committee reads every objection and its report, not who objected.
        member_view = await objections(sc, sc.committee["member2"])
        assert set(member_view) == {named["objection_id"], anon["objection_id"], general["objection_id"]}
        for o in member_view.values():
            assert "name" not in o and "contact" not in o
            assert o["conclusion"] == "SUBSTANTIATED" and o["findings"].startswith("经调查核实")
        assert member_view[general["objection_id"]]["application_id"] is None
        assert member_view[general["objection_id"]]["concerns"] == [a2]
        assert member_view[named["objection_id"]]["awaiting_decision"] == [a1]
        office_view = await objections(sc, sc.office)
        assert office_view[named["objection_id"]]["name"] == "张三"
        assert (
            await api.get("/objections", params={"year": sc.year}, headers=sc.enterprise_heads[1])
        ).status_code == 403

        # After the close: the list is refused while the findings wait for the committee.
        await env.sleep(n.closes_at - await env.get_current_time() + timedelta(minutes=1))
        await sc.wait_cycle("FINAL_LIST")
        chair = sc.committee["chair"]
        r = await api.post(f"/cycles/{sc.year}/final-list", headers=chair, json={})
        assert r.status_code == 409 and r.json()["code"] == "FINDINGS_UNDECIDED", r.text
        assert sorted(r.json()["details"]["objections"]) == sorted(
            [named["objection_id"], anon["objection_id"], general["objection_id"]]
        )

        # Only the chair (or a vice-chair) decides for the committee, with reasons, once.
        r = await api.post(
            f"/objections/{named['objection_id']}/decision",
            headers=sc.committee["member1"],
            json={"decision": "REMOVE", "reasons": "x"},
        )
        assert r.status_code == 403, r.text
        r = await decide(sc, named["objection_id"], "REMOVE", " ")
        assert r.status_code == 422, r.text
        removal = "隐瞒质量安全事故，不符合办法第十一条"
        assert expect(await decide(sc, named["objection_id"], "REMOVE", removal), 201)["application_id"] == a1
        r = await decide(sc, named["objection_id"], "KEEP", "改变主意")
        assert r.status_code == 409 and r.json()["code"] == "FINDING_DECIDED", r.text
        expect(
            await decide(sc, anon["objection_id"], "KEEP", "宣传用语不当，已责令整改，不影响评审结果"), 201
        )
        # still one finding waiting: refused, naming it
        r = await api.post(f"/cycles/{sc.year}/final-list", headers=chair, json={})
        assert r.status_code == 409 and r.json()["details"]["objections"] == [general["objection_id"]], r.text
        r = await api.post(
            f"/objections/{general['objection_id']}/decision",
            headers=sc.committee["vice1"],
            json={"decision": "KEEP", "reasons": "评分差异在允许范围内", "application_id": a2},
        )
        expect(r, 201)

        # The list follows the decisions: a1 removed with the committee's reasons, a2 kept.
        final = expect(await api.post(f"/cycles/{sc.year}/final-list", headers=chair, json={}), 200)
        assert [w["application_id"] for w in final["winners"]] == [a2]
        assert list(final["removed"]) == [a1] and removal in final["removed"][a1]
        assert "已责令整改" in final["kept"][a2] and final["version"] == 1

        member_view = await objections(sc, sc.committee["member2"])
        assert [d["decision"] for d in member_view[named["objection_id"]]["decisions"]] == ["REMOVE"]
        assert member_view[anon["objection_id"]]["decisions"][0]["decided_by"] == "chair"
        assert all(o["awaiting_decision"] == [] for o in member_view.values())
        audit = (await api.get("/audit", headers=sc.office, params={"page_size": 1000})).json()
        assert [e["action"] for e in audit].count("COMMITTEE_FINDING_DECIDED") == 3
        assert "OBJECTION_SCOPED" in {e["action"] for e in audit}


@pytest.mark.req("R14.8")
async def test_a_returned_list_is_revised_and_the_approved_version_is_published(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        a1, a2 = sorted(sc.applications.values())
        named = await object_to(sc, "该企业申报材料中的获奖证明与实际不符", a1)
        investigator = await sc.account("investigator1", "office", "investigator-pass-1", "调查人甲")
        await investigate(sc, investigator, named["objection_id"], "SUBSTANTIATED")
        expect(await decide(sc, named["objection_id"], "REMOVE", "获奖证明不实"), 201)
        await env.sleep(n.closes_at - await env.get_current_time() + timedelta(minutes=1))
        await sc.wait_cycle("FINAL_LIST")
        chair, gov = sc.committee["chair"], sc.government

        # A revision before any return is refused: the first list follows the decisions.
        r = await api.post(f"/cycles/{sc.year}/final-list", headers=chair, json={"remove": {a2: "x"}})
        assert r.status_code == 409 and r.json()["code"] == "LIST_REVISION_NOT_OPEN", r.text
        v1 = expect(
            await api.post(f"/cycles/{sc.year}/final-list", headers=chair, json={"note": "第一版"}), 200
        )
        assert v1["version"] == 1 and [w["application_id"] for w in v1["winners"]] == [a2]

        # The government returns version 1 with its reasons.
        await sc.wait_cycle("GOVERNMENT_APPROVAL")
        reason = "经复核，该企业获奖证明系发证机关登记错误，请评委会重新审定；另请核实另一企业的经济效益"
        returned = {"approved": False, "reason": reason, "version": 1}
        assert (
            expect(await api.post(f"/cycles/{sc.year}/approval", headers=gov, json=returned), 200)["decision"]
            == "RETURNED"
        )
        await sc.wait_cycle("FINAL_LIST")

        # Revisions the lists do not allow: a candidate never on the published list needs a
        # supplementary notice; removing one not on the returned list.
        r = await api.post(
            f"/cycles/{sc.year}/final-list", headers=chair, json={"reinstate": {"2000-9999": "补充列入"}}
        )
        assert r.status_code == 409 and r.json()["code"] == "SUPPLEMENTARY_NOTICE_REQUIRED", r.text
        assert "补充公示" in r.json()["message_zh"]
        r = await api.post(f"/cycles/{sc.year}/final-list", headers=chair, json={"remove": {a1: "x"}})
        assert r.status_code == 422 and r.json()["code"] == "LIST_REVISION_NOT_LISTED", r.text

        # Version 2: a1 reinstated, a2 removed, each with its reasons.
        body = {
            "note": "根据区政府退回意见重新审定",
            "reinstate": {a1: "发证机关出具更正说明，获奖证明属实"},
            "remove": {a2: "经济效益数据经核实不足"},
        }
        v2 = expect(await api.post(f"/cycles/{sc.year}/final-list", headers=chair, json=body), 200)
        assert v2["version"] == 2 and v2["answers_version"] == 1
        assert [w["application_id"] for w in v2["winners"]] == [a1]
        assert "经济效益数据经核实不足" in v2["removed"][a2] and a1 not in v2["removed"]
        assert "更正说明" in v2["reinstated"][a1]

        # Approving the stale version 1 is refused; version 2 is approved.
        await sc.wait_cycle("GOVERNMENT_APPROVAL")
        stale = {"approved": True, "document_no": f"鹿政发〔{sc.year}〕9号", "version": 1}
        r = await api.post(f"/cycles/{sc.year}/approval", headers=gov, json=stale)
        assert r.status_code == 409 and r.json()["code"] == "LIST_VERSION_NOT_PENDING", r.text
        approve = {**stale, "version": 2}
        expect(await api.post(f"/cycles/{sc.year}/approval", headers=gov, json=approve), 200)

        await sc.wait_cycle("COMPLETED")
        result = expect(await api.get(f"/public/results/{sc.year}"), 200)
        assert [w["application_id"] for w in result["winners"]] == [a1]
        assert result["approval_document_no"] == approve["document_no"]
        await sc.wait_stage(a2, "NOT_AWARDED")

        # Every version is kept, readable by the committee, the government, the office and the auditor.
        auditor = await sc.account("auditor1", "auditor", password_of("auditor1"), "纪检组")
        for who in (sc.committee["member1"], gov, sc.office, auditor):
            versions = expect_versions(await api.get(f"/cycles/{sc.year}/final-list/versions", headers=who))
            assert [(v["version"], v["state"]) for v in versions] == [(1, "RETURNED"), (2, "APPROVED")]
            assert versions[0]["return_reason"] == reason and versions[1]["answers_reason"] == reason
            assert (
                versions[1]["answers_version"] == 1 and versions[1]["document_no"] == approve["document_no"]
            )
            assert [w["application_id"] for w in versions[1]["winners"]] == [a1]
            assert versions[0]["fixed_by"] == "chair" and versions[1]["decided_by"] == "gov"
        r = await api.get(f"/cycles/{sc.year}/final-list/versions", headers=sc.enterprise_heads[1])
        assert r.status_code == 403


def expect_versions(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body, list)
    return body
