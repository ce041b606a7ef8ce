"""What the committee's plenary is given beyond the scores, through the HTTP API on the real servers:
the non-binding robustness table of the ranking in the work report (Art. 14(4), R14.6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import ADMIN, OFFICE

from devstack.scenario import Scenario, expect, scores

RULES: dict[str, Any] = {
    "demo": True,
    "public_notice_period": 14,
    "document_review_period": 300,
    "review_reminder_before": 60,
    "onsite_confirmation_period": 300,
    "onsite_reminder_before": 60,
    "objection_investigation_period": 300,
    "objection_reminder_before": 60,
    "expert_load_cap": 10,  # three experts sit on every panel: the panels are known in advance
    "score_spread_tolerance": 40,
    "onsite_threshold": 500,
    "min_final_score": 600,
    "quota_quality": 1,
}

# n -> (award, each member's document %, the leader's consolidated document %, on-site %)
PLAN: dict[int, tuple[str, tuple[int, int, int], int, int]] = {
    1: ("QUALITY", (60, 60, 80), 80, 80),  # the panel's score (800) is above its members' median (600)
    2: ("QUALITY", (70, 70, 70), 70, 75),
    3: ("QUALITY", (65, 65, 65), 65, 70),
    4: ("INNOVATION", (70, 70, 70), 70, 70),
}


async def document_review(sc: Scenario, app_id: str, members: tuple[int, int, int], leader_pct: int) -> None:
    await sc.wait_stage(app_id, "DOCUMENT_REVIEW")
    seats = await sc.panel(app_id, "DOCUMENT")
    for seat, pct in zip(sorted(seats, key=lambda s: s["expert_id"]), members, strict=True):
        body = {"scores": scores(pct), "strengths": "领导作用突出", "improvements": "过程管理有待加强"}
        r = await sc.api.post(
            f"/applications/{app_id}/scores", headers=sc.expert_heads[seat["expert_id"]], json=body
        )
        expect(r, 200)
    leader = next(s["expert_id"] for s in seats if s["leader"])
    body = {"scores": scores(leader_pct), "opinion": "经评审组合议形成意见。"}
    expect(
        await sc.api.post(
            f"/applications/{app_id}/panel-opinion", headers=sc.expert_heads[leader], json=body
        ),
        200,
    )


async def onsite_review(sc: Scenario, n: int, pct: int) -> None:
    app_id = sc.applications[n]
    await sc.wait_stage(app_id, "ONSITE_REVIEW")
    seats = await sc.panel(app_id, "ONSITE")
    leader = next(s["expert_id"] for s in seats if s["leader"])
    body = {"scores": scores(pct), "opinion": "现场评审情况属实。"}
    expect(
        await sc.api.post(
            f"/applications/{app_id}/onsite-report", headers=sc.expert_heads[leader], json=body
        ),
        200,
    )
    await sc.wait_stage(app_id, "ONSITE_CONFIRMATION")
    r = await sc.api.post(
        f"/applications/{app_id}/onsite-confirmation",
        headers=sc.enterprise_heads[n],
        json={"confirmed": True},
    )
    expect(r, 200)


async def to_plenary(api: httpx.AsyncClient, **rules: Any) -> Scenario:
    """Register, apply, qualify and review every enterprise of PLAN; the plenary is convened."""
    sc = Scenario(api, await Scenario.login(api, *OFFICE), datetime.now(UTC).year + 1)
    sc.admin = await Scenario.login(api, *ADMIN)
    for n in PLAN:
        await sc.enterprise(n, f"鹿城稳健性测试{n}号有限公司")
    for k in (1, 2, 3):
        await sc.expert(110 + k, fields=("INDUSTRY",))
    deadline = (datetime.now(UTC) + timedelta(seconds=8)).isoformat()
    await sc.open_cycle(application_deadline=deadline, **(RULES | rules))
    for n, (award, *_) in PLAN.items():
        await sc.apply(n, award)
    for n in PLAN:
        assert (await sc.qualify(sc.applications[n]))["qualified"]
    await sc.wait_cycle("DOCUMENT_REVIEW")
    assert not (await sc.draw())["unfilled"]
    for n, (_, members, leader, _) in PLAN.items():
        await document_review(sc, sc.applications[n], members, leader)
    await sc.onsite_list([sc.applications[n] for n in PLAN])
    await sc.wait_cycle("ONSITE_REVIEW")
    visit = datetime.now(UTC).date() + timedelta(days=1)
    assert not (await sc.draw(dict.fromkeys(sc.applications.values(), visit)))["unfilled"]
    for n, (*_, onsite) in PLAN.items():
        await onsite_review(sc, n, onsite)
    for app_id in sc.applications.values():
        await sc.wait_stage(app_id, "AWAITING_COMMITTEE")
    return sc


@pytest.mark.req("R14.6")
@pytest.mark.req("R7.1")
@pytest.mark.req("R3.3")
async def test_the_work_report_shows_how_the_ranking_depends_on_the_aggregation_as_information(
    api: httpx.AsyncClient,
) -> None:
    sc = await to_plenary(api)
    a = sc.applications
    await sc.convene()
    report = expect(await api.get(f"/cycles/{sc.year}/work-report", headers=sc.committee["member1"]), 200)
    table = report["content"]["robustness"]
    assert table["binding"] is False and "无记名投票" in table["note_zh"]
    quality, innovation = table["awards"]
    assert (quality["award"], quality["seats"], innovation["award"], innovation["seats"]) == (
        "QUALITY",
        1,
        "INNOVATION",
        5,
    )
    rows = {r["application_id"]: r for r in quality["candidates"]}
    # officially (the panels' scores) 1 is inside the cut-off of one seat; by its members' median,
    # trimmed mean (a panel of 3: the mean) and z-scores, 2 is
    assert rows[a[1]]["ranks"] == {"OFFICIAL": 1, "MEDIAN": 3, "TRIMMED_MEAN": 2, "Z_SCORE": 2}
    assert rows[a[1]]["scores"]["OFFICIAL"] == "800.00" and rows[a[1]]["scores"]["MEDIAN"] == "600.00"
    assert rows[a[2]]["ranks"]["OFFICIAL"] == 2 and rows[a[2]]["ranks"]["MEDIAN"] == 1
    assert rows[a[1]]["flagged"] and rows[a[2]]["flagged"] and not rows[a[3]]["flagged"]
    assert rows[a[2]]["changed_under"] == ["MEDIAN", "TRIMMED_MEAN", "Z_SCORE"]
    assert sorted(quality["flagged"]) == sorted([a[1], a[2]])
    assert [r["application_id"] for r in quality["candidates"]] == [a[1], a[2], a[3]]  # official order
    assert [r["flagged"] for r in innovation["candidates"]] == [False]  # alone, inside under every method
    text = report["text"]
    assert "排名稳健性参考（仅供参考，不作为评定依据）" in text and "第十四条第（四）项" in text
    assert f"△鹿城稳健性测试1号有限公司（{a[1]}）" in text and "△鹿城稳健性测试3号有限公司" not in text
    # information only: the enterprises never see it
    r = await api.get(f"/cycles/{sc.year}/work-report", headers=sc.enterprise_heads[1])
    assert r.status_code == 403


CRITERIA = {
    "QUALITY": {"min_total": 650, "min_category_points": {"4.7": 300}},  # 结果 at 75 % or more
    "INNOVATION": {"min_total": 720, "min_category_points": {"4.6": 60}},
}


@pytest.mark.req("R2.1")
@pytest.mark.req("R3.3")
@pytest.mark.req("R7.1")
@pytest.mark.req("R14.6")
@pytest.mark.req("P2")
async def test_each_award_s_own_criteria_decide_the_preliminary_list_with_their_reasons(
    api: httpx.AsyncClient,
) -> None:
    # Criteria the rubric does not have are refused when the committee approves the rules.
    probe = Scenario(api, await Scenario.login(api, *OFFICE), datetime.now(UTC).year + 1)
    probe.admin = await Scenario.login(api, *ADMIN)
    await probe.seat_committee()
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    for bad, code in (
        ({"QUALITY": {"min_category_points": {"4.9": 10}}}, "RULES_AWARD_CRITERIA"),
        ({"QUALITY": {"min_category_points": {"4.7": 401}}}, "RULES_AWARD_CRITERIA"),
        ({"INNOVATION": {"min_total": 0}}, "RULES_AWARD_CRITERIA"),
        ({"BEST": {"min_total": 700}}, "INVALID_INPUT"),
    ):
        rules = {"year": probe.year, "application_deadline": deadline, "award_criteria": bad}
        r = await api.post(
            f"/cycles/{probe.year}/rules/approve", headers=probe.committee["chair"], json={"rules": rules}
        )
        assert r.status_code == 422 and r.json()["code"] == code, r.text

    sc = await to_plenary(api, quota_quality=5, award_criteria=CRITERIA)
    a = sc.applications
    meeting = await sc.convene()
    report = expect(await api.get(f"/cycles/{sc.year}/work-report", headers=sc.committee["chair"]), 200)
    assert report["content"]["award_criteria"] == [
        {"award": "QUALITY", "min_total": 650, "min_category_points": {"4.7": 300}},
        {"award": "INNOVATION", "min_total": 720, "min_category_points": {"4.6": 60}},
    ]
    assert "【区政府质量奖】最终得分不低于650分；“4.7 结果”不低于300分。" in report["text"]
    assert "“4.6 测量、分析与改进”不低于60分" in report["text"]
    unmet = {r["application_id"]: r["criteria_unmet"] for r in report["content"]["candidates"]}
    assert unmet == {
        a[1]: [],
        a[2]: [],
        a[3]: ["4.7 结果 280.00分 < 300分"],
        a[4]: ["4.6 测量、分析与改进 56.00分 < 60分"],
    }

    for member in sc.committee:
        r = await sc.vote(meeting["meeting_id"], member, dict.fromkeys(a.values(), "APPROVE"))
        assert r.status_code == 200, r.text
    await sc.wait_cycle("PUBLIC_NOTICE")
    closed = expect(await api.get(f"/meetings/{meeting['meeting_id']}", headers=sc.office), 200)
    decided = closed["preliminary"]
    # every member approved all four; each award's own criteria still decide
    assert decided["winners"] == [a[1], a[2]]
    assert set(decided["excluded"]) == {a[3], a[4]}
    assert "“4.7 结果”得分280.00分，低于要求的300分" in decided["excluded"][a[3]]
    assert "区政府质量奖的评定条件" in decided["excluded"][a[3]]
    assert "低于最低入选分数720分" in decided["excluded"][a[4]]  # 创新奖's own bar, above the cycle's 600
    public = expect(await api.get(f"/public/preliminary/{sc.year}"), 200)
    assert [w["application_id"] for w in public["list"]] == [a[1], a[2]]
