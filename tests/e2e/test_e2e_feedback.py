"""Feedback every applicant can use (issue 10 point 1; R14.2, R14.4, R14.5), through the HTTP API on the
real servers: experts write strengths and opportunities per item (required below the rules' band),
the leader writes the panel's, and every applicant that reached document review receives its
feedback report — item by item the panel's band, strengths and opportunities, and the on-site
findings — after the stage that ended its path; never naming an expert or showing an individual score."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import ADMIN, OFFICE

from devstack.scenario import Scenario, eventually, expect, item_comments, password_of, scores
from domain.rubric import load_rubric

CODES = list(load_rubric("GB/T 19580-2012").item_codes)
RULES: dict[str, Any] = {
    "demo": True,
    "public_notice_period": 14,
    "document_review_period": 300,
    "review_reminder_before": 60,
    "onsite_confirmation_period": 300,
    "onsite_reminder_before": 60,
    "objection_investigation_period": 300,
    "objection_reminder_before": 60,
    "expert_load_cap": 10,
    "score_spread_tolerance": 40,
    "onsite_threshold": 500,
    "min_final_score": 600,
}
# n -> (award, each member's document %, the leader's consolidated document %, on-site %)
PLAN: dict[int, tuple[str, tuple[int, int, int], int, int]] = {
    1: ("QUALITY", (70, 75, 80), 75, 80),  # awarded
    2: ("QUALITY", (60, 65, 70), 65, 55),  # on site 550 < 600: not on the list, not awarded
    3: ("INNOVATION", (40, 40, 35), 45, 0),  # 450 < 500: not listed for on-site review
}


def panel_comments(n: int) -> dict[str, dict[str, str]]:
    """What the leader of enterprise n's panel writes for the panel, item by item."""
    return {
        code: {
            "strengths": f"评审组认为{n}号企业{code}方面做法有效",
            "opportunities": f"{code}方面建议加强对比分析",
        }
        for code in CODES
    }


async def seats(sc: Scenario, n: int) -> tuple[list[int], int]:
    found = await sc.panel(sc.applications[n], "DOCUMENT")
    return sorted(s["expert_id"] for s in found), next(s["expert_id"] for s in found if s["leader"])


async def member_scores(sc: Scenario, n: int) -> None:
    app_id = sc.applications[n]
    await sc.wait_stage(app_id, "DOCUMENT_REVIEW")
    members, _ = await seats(sc, n)
    for x, pct in zip(members, PLAN[n][1], strict=True):
        body: dict[str, Any] = {"scores": scores(pct)}
        if pct < 50:  # a caller that sends no comments keeps working where no item is below the band
            body["item_comments"] = item_comments(scores(pct))
        r = await sc.api.post(f"/applications/{app_id}/scores", headers=sc.expert_heads[x], json=body)
        expect(r, 200)


async def leader_opinion(sc: Scenario, n: int) -> None:
    app_id = sc.applications[n]
    _, leader = await seats(sc, n)
    body = {
        "scores": scores(PLAN[n][2]),
        "opinion": f"{n}号企业资料评审组意见。",
        "item_comments": panel_comments(n),
    }
    r = await sc.api.post(f"/applications/{app_id}/panel-opinion", headers=sc.expert_heads[leader], json=body)
    expect(r, 200)


async def no_report(sc: Scenario, n: int) -> None:
    r = await sc.api.get(f"/applications/{sc.applications[n]}/feedback", headers=sc.enterprise_heads[n])
    assert r.status_code == 404, r.text


async def delivered(sc: Scenario, n: int, kind: str) -> dict[str, Any]:
    """Enterprise n's notice of `kind`, once the outbox relay has delivered it to the inbox."""

    async def probe() -> dict[str, Any] | None:
        inbox = expect_list(await sc.api.get("/notices", headers=sc.enterprise_heads[n]))
        return next((x for x in inbox if x["kind"] == kind), None)

    return await eventually(probe, what=f"the {kind} notice of enterprise {n}")


def refused_items(r: httpx.Response) -> list[str]:
    assert r.status_code == 422 and r.json()["code"] == "ITEM_COMMENTS_REQUIRED", r.text
    return list(r.json()["details"]["items"])


@pytest.mark.req("R14.2")
@pytest.mark.req("R14.4")
@pytest.mark.req("R14.5")
@pytest.mark.req("R20.2")
async def test_every_applicant_that_reached_document_review_gets_its_feedback_report(
    api: httpx.AsyncClient,
) -> None:
    sc = Scenario(api, await Scenario.login(api, *OFFICE), datetime.now(UTC).year + 1)
    sc.admin = await Scenario.login(api, *ADMIN)
    for n in PLAN:
        await sc.enterprise(n, f"鹿城反馈测试{n}号有限公司")
    for k in range(121, 125):
        await sc.expert(k, fields=("INDUSTRY",))
    auditor = await sc.account("jijian-feedback", "auditor", password_of("jijian-feedback"), "纪检")

    # The band is a rule the committee approves: the lower bound of a scoring band of the rubric.
    await sc.seat_committee()
    deadline = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()
    bad = {"year": sc.year, "application_deadline": deadline, "item_comments_below": 45}
    r = await api.post(f"/cycles/{sc.year}/rules/approve", headers=sc.committee["chair"], json={"rules": bad})
    assert r.status_code == 422 and r.json()["code"] == "RULES_ITEM_COMMENTS_BAND", r.text
    assert r.json()["details"]["allowed"] == [0, 10, 30, 50, 70, 90]
    await sc.open_cycle(application_deadline=deadline, item_comments_below=50, **RULES)
    for n, (award, *_) in PLAN.items():
        await sc.apply(n, award)
    for n in PLAN:
        assert (await sc.qualify(sc.applications[n]))["qualified"]
    await sc.wait_cycle("DOCUMENT_REVIEW")
    assert not (await sc.draw())["unfilled"]
    a = sc.applications

    # --- experts: per-item comments are required below the band (R14.2); a refusal stores nothing
    await sc.wait_stage(a[3], "DOCUMENT_REVIEW")
    members, leader = await seats(sc, 3)
    first = members[0]
    r = await api.post(
        f"/applications/{a[3]}/scores", headers=sc.expert_heads[first], json={"scores": scores(40)}
    )
    assert refused_items(r) == CODES  # every item is below 50 %
    almost = item_comments(scores(40))
    del almost["4.7.6"]
    almost["4.1.2"]["opportunities"] = " "
    body = {"scores": scores(40), "item_comments": almost}
    r = await api.post(f"/applications/{a[3]}/scores", headers=sc.expert_heads[first], json=body)
    assert refused_items(r) == ["4.1.2", "4.7.6"]
    assert expect_list(await api.get(f"/applications/{a[3]}/scores", headers=sc.office)) == []
    await member_scores(sc, 1)
    await member_scores(sc, 2)
    await member_scores(sc, 3)

    # --- the leader reads the members' comments (own panel only) and writes the panel's per item
    rows = expect_list(await api.get(f"/applications/{a[3]}/scores", headers=sc.expert_heads[leader]))
    assert len(rows) == 3 and all(set(row["item_comments"]) == set(CODES) for row in rows)
    outsider = next(x for x in sc.expert_heads if x not in members)
    r = await api.get(f"/applications/{a[3]}/scores", headers=sc.expert_heads[outsider])
    assert r.status_code == 403, r.text
    opinion = {"scores": scores(45), "opinion": "3号企业资料评审组意见。"}
    r = await api.post(f"/applications/{a[3]}/panel-opinion", headers=sc.expert_heads[leader], json=opinion)
    assert refused_items(r) == CODES
    written = {
        code: {
            "strengths": "评审组综合意见：" + rows[0]["item_comments"][code]["strengths"],
            "opportunities": "评审组综合意见：" + rows[0]["item_comments"][code]["opportunities"],
        }
        for code in CODES
    }
    r = await api.post(
        f"/applications/{a[3]}/panel-opinion",
        headers=sc.expert_heads[leader],
        json=opinion | {"item_comments": written},
    )
    assert expect(r, 200)["total"] == "450.00"
    document = expect_list(await api.get(f"/applications/{a[3]}/reviews", headers=sc.office))[0]
    assert document["item_comments"] == written
    await leader_opinion(sc, 1)
    await leader_opinion(sc, 2)

    # --- not listed for on-site review: the report comes once the on-site list is fixed (R14.4)
    await sc.wait_cycle("ONSITE_SELECTION")
    await no_report(sc, 3)
    await sc.onsite_list([a[1], a[2]])
    third = await sc.feedback(3)
    assert third["outcome"] == "NOT_SHORTLISTED" and third["content"]["onsite"] is None
    items = {i["code"]: i for i in third["content"]["items"]}
    assert list(items) == CODES
    for code, item in items.items():
        assert item["document"]["band"] == "30%–45%"
        assert item["document"]["strengths"] == written[code]["strengths"]
        assert item["document"]["opportunities"] == written[code]["opportunities"]
        assert item["onsite"] is None
    text = third["text"]
    assert "致鹿城反馈测试3号有限公司：" in text and "感谢贵单位" in text and "未列入现场评审名单" in text
    assert "4.7.6 领导方面的结果（50分，结果评分项）" in text
    assert text.rstrip().endswith("鹿城区政府质量奖评审委员会办公室\n" + _today_zh(third))
    await delivered(sc, 3, "DOCUMENT_REVIEW_FEEDBACK")
    letter = await delivered(sc, 3, "FEEDBACK_REPORT")
    assert (
        letter["title"] == f"{sc.year}年度质量管理创新奖评审反馈报告"
        and "鹿城区政府质量奖评审委员会办公室" in letter["body"]
    )
    await no_report(sc, 1)  # still under review

    # --- on-site review, committee, notice, approval: the others' reports after publication
    await sc.wait_cycle("ONSITE_REVIEW")
    visit = datetime.now(UTC).date() + timedelta(days=1)
    assert not (await sc.draw({a[1]: visit, a[2]: visit}))["unfilled"]
    for n in (1, 2):
        await sc.onsite_review(a[n], PLAN[n][3])
    meeting = await sc.convene()
    for member in sc.committee:
        r = await sc.vote(meeting["meeting_id"], member, {a[1]: "APPROVE", a[2]: "APPROVE"})
        assert r.status_code == 200, r.text
    await sc.wait_cycle("PUBLIC_NOTICE")
    await no_report(sc, 1)  # the list is only proposed: nothing has ended yet
    await no_report(sc, 2)
    await sc.wait_cycle("FINAL_LIST", timeout=90)
    expect(await api.post(f"/cycles/{sc.year}/final-list", headers=sc.committee["chair"], json={}), 200)
    await sc.wait_cycle("GOVERNMENT_APPROVAL")
    approval = {"approved": True, "document_no": f"鹿政发〔{sc.year}〕9号", "version": 1}
    expect(await api.post(f"/cycles/{sc.year}/approval", headers=sc.government, json=approval), 200)
    await sc.wait_cycle("COMPLETED")

    first_report, second = await sc.feedback(1), await sc.feedback(2)
    assert first_report["outcome"] == "AWARDED" and second["outcome"] == "NOT_AWARDED"
    assert f"荣获{sc.year}年度区政府质量奖" in first_report["text"] and "未获授奖" in second["text"]
    for n, report, (doc_band, site_band) in (
        (1, first_report, ("70%–85%", "70%–85%")),
        (2, second, ("50%–65%", "50%–65%")),
    ):
        onsite = report["content"]["onsite"]
        assert (
            onsite["confirmation"] == "CONFIRMED" and onsite["report"] == "现场核实了质量管理体系运行情况。"
        )
        assert onsite["visit_date"] == visit.isoformat()
        for item in report["content"]["items"]:
            assert item["document"]["band"] == doc_band and item["onsite"]["band"] == site_band
            assert item["document"]["strengths"] == panel_comments(n)[item["code"]]["strengths"]
            assert item["document"]["opportunities"] == panel_comments(n)[item["code"]]["opportunities"]
        assert "四、现场评审情况" in report["text"] and "贵单位已确认现场评审报告" in report["text"]
    await delivered(sc, 1, "AWARD_RESULT")
    await delivered(sc, 1, "FEEDBACK_REPORT")
    inbox = expect_list(await api.get("/notices", headers=sc.enterprise_heads[1]))
    assert [n["kind"] for n in inbox].count("FEEDBACK_REPORT") == 1

    # --- never an expert's name, never an individual score (Art. 20(5))
    names = [e["name"] for e in sc.experts.values()] + [f"expert{k}" for k in range(121, 125)]
    for n, report in ((1, first_report), (2, second), (3, third)):
        individual = expect_list(await api.get(f"/applications/{a[n]}/scores", headers=sc.office))
        assert len(individual) == 3
        letter = (await delivered(sc, n, "FEEDBACK_REPORT"))["body"]
        content = json.dumps(report["content"], ensure_ascii=False)
        for shown in (report["text"], letter, content):
            assert not any(name in shown for name in names)
            assert not any(row["total"] in shown for row in individual)
            for pct in set(PLAN[n][1]) - {0, 5, 10, 25, 30, 45, 50, 65, 70, 85, 90, 100}:
                assert f"{pct}%" not in shown  # a member's percentage that is no band's bound
        assert not re.search(r"\d\.\d\d", report["text"] + letter)  # no total at all

    # --- who may read: the enterprise its own, the office, the auditor (R20.2)
    url = f"/applications/{a[3]}/feedback"
    for reader in (sc.enterprise_heads[3], sc.office, auditor):
        assert expect(await api.get(url, headers=reader), 200)["sha256"] == third["sha256"]
    for outsider_head in (
        sc.enterprise_heads[1],
        sc.expert_heads[leader],
        sc.committee["chair"],
        sc.government,
    ):
        r = await api.get(url, headers=outsider_head)
        assert r.status_code == 403, r.text
        assert (await api.get(url + "/letter", headers=outsider_head)).status_code == 403
    assert (await api.get(url)).status_code == 401
    download = await api.get(url + "/letter", headers=sc.enterprise_heads[3])
    assert download.status_code == 200 and download.headers["content-type"] == "text/plain; charset=utf-8"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.content.decode("utf-8") == third["text"]
    issued = expect_list(
        await api.get("/audit", headers=sc.office, params={"action": "FEEDBACK_REPORT_ISSUED"})
    )
    assert sorted(e["entity_id"] for e in issued) == sorted(a.values())


def _today_zh(report: dict[str, Any]) -> str:
    return str(report["content"]["issued_on_zh"])


def expect_list(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body, list)
    return body
