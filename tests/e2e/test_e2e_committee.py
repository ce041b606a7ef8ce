"""Issue #4 end to end through the HTTP API: from the call to certificates, with the committee's
secret ballot, the preliminary list (quota, vacancy), the public notice with objections, the
committee's final list, the government's approval (after one return) and the certificates."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import ADMIN, LIVE, OFFICE, readable
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import expect_list, replay_and_keep
from temporalio.client import Client

from devstack.scenario import COMMITTEE, Scenario, eventually, expect, scores

DEMO_RULES: dict[str, Any] = {
    "demo": True,
    "public_notice_period": 14,
    "document_review_period": 300,
    "review_reminder_before": 60,
    "onsite_confirmation_period": 300,
    "onsite_reminder_before": 60,
    "objection_investigation_period": 300,
    "objection_reminder_before": 60,
    "expert_load_cap": 8,
    "onsite_threshold": 500,
    "min_final_score": 600,
}


async def through_review(sc: Scenario, plan: dict[int, tuple[str, int, int]], experts: int) -> None:
    """Register, apply, qualify and review every enterprise of `plan`: n -> (award, document %, on-site %)."""
    for n in plan:
        await sc.enterprise(n, f"鹿城委员会测试{n}号有限公司")
    for k in range(1, experts + 1):
        await sc.expert(100 + k)
    deadline = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()
    await sc.open_cycle(application_deadline=deadline, **DEMO_RULES)
    for n, (award, _, _) in plan.items():
        await sc.apply(n, award)
    for n in plan:
        assert (await sc.qualify(sc.applications[n]))["qualified"]
    await sc.wait_cycle("DOCUMENT_REVIEW")
    assert not (await sc.draw())["unfilled"]
    for n, (_, doc, _) in plan.items():
        await sc.document_review(sc.applications[n], doc)
    await sc.onsite_list([sc.applications[n] for n in plan])
    await sc.wait_cycle("ONSITE_REVIEW")
    visit = datetime.now(UTC).date() + timedelta(days=1)
    assert not (await sc.draw(dict.fromkeys(sc.applications.values(), visit)))["unfilled"]
    for n, (_, _, onsite) in plan.items():
        # 4.1.1 differs by 5 % per enterprise so that no two candidates tie
        pct_items = {"4_1_1": min(100, onsite + 5 * (n % 6))}
        app_id = sc.applications[n]
        await sc.wait_stage(app_id, "ONSITE_REVIEW")
        seats = await sc.panel(app_id, "ONSITE")
        leader = next(s["expert_id"] for s in seats if s["leader"])
        expect(
            await sc.api.post(
                f"/applications/{app_id}/onsite-report",
                headers=sc.expert_heads[leader],
                json={"scores": scores(onsite, **pct_items), "opinion": "现场评审情况属实。"},
            ),
            200,
        )
        await sc.wait_stage(app_id, "ONSITE_CONFIRMATION")
        expect(
            await sc.api.post(
                f"/applications/{app_id}/onsite-confirmation",
                headers=sc.enterprise_heads[n],
                json={"confirmed": True},
            ),
            200,
        )
    for app_id in sc.applications.values():
        await sc.wait_stage(app_id, "AWAITING_COMMITTEE")


@pytest.mark.req("R2.1")
@pytest.mark.req("R3.3")
@pytest.mark.req("R6.1")
@pytest.mark.req("R7.1")
@pytest.mark.req("R14.6")
@pytest.mark.req("R14.7")
@pytest.mark.req("R14.8")
@pytest.mark.req("R15.1")
@pytest.mark.req("P3")
@pytest.mark.req("P4")
async def test_from_call_to_certificates(api: httpx.AsyncClient, temporal_client: Client) -> None:
    office = await Scenario.login(api, *OFFICE)
    year = datetime.now(UTC).year + 1
    sc = Scenario(api, office, year, admin=await Scenario.login(api, *ADMIN))
    # Six QUALITY candidates above the bar (quota case), two INNOVATION ones below it (vacancy case).
    plan = {n: ("QUALITY", 70, 70) for n in range(1, 7)} | {n: ("INNOVATION", 60, 55) for n in (7, 8)}
    await through_review(sc, plan, experts=12)
    roster = expect(await api.get(f"/cycles/{year}/committee"), 200)
    assert {m["position"] for m in roster["members"]} == {"CHAIR", "VICE_CHAIR", "MEMBER"}

    # A member with an interest in a candidate abstains on it, recorded as a recusal.
    recused_app = sc.applications[7]
    expect(
        await api.post(
            f"/cycles/{year}/committee/recusals",
            headers=sc.committee["vice2"],
            json={"username": "vice2", "application_id": recused_app, "reason": "曾任该企业顾问"},
        ),
        201,
    )
    meeting = await sc.convene()
    report = expect(await api.get(f"/cycles/{year}/work-report", headers=sc.committee["chair"]), 200)
    assert "评审工作报告" in report["text"] and len(report["content"]["candidates"]) == 8

    candidates = sorted(sc.applications.values())
    for member, _ in COMMITTEE:
        choices = {a: "APPROVE" for a in candidates if not (member == "vice2" and a == recused_app)}
        r = await sc.vote(meeting["meeting_id"], member, choices)
        assert r.status_code == 200, r.text

    # Preliminary list: at most 5 per award (quota), none for INNOVATION (vacancy: below 600).
    await sc.wait_cycle("PUBLIC_NOTICE")
    notice = await eventually(lambda: _published(api, year))
    listed = [w["application_id"] for w in notice["list"]]
    assert len(listed) == 5 and all(w["award"] == "QUALITY" for w in notice["list"])
    assert (
        sc.applications[6] not in listed
    )  # the lowest on-site score of the six (4.1.1 at 70 %) is over the quota
    tally = expect(await api.get(f"/meetings/{meeting['meeting_id']}", headers=office), 200)["tally"]
    assert next(t for t in tally if t["candidate_id"] == recused_app)["recused"] == 1

    # The notice itself reaches /public/notices once the outbox has delivered it (just after the
    # list is readable at /public/preliminary): wait for the delivery, then read it.
    async def delivered_notice() -> dict[str, Any] | None:
        public = expect_list(await api.get("/public/notices"))
        return next((n for n in public if n["kind"] == "PRELIMINARY_LIST"), None)

    assert (
        "空缺" in (await eventually(delivered_notice, what="the preliminary-list notice delivered"))["body"]
    )

    # An objection inside the window is investigated; the finding is substantiated.
    target = listed[0]
    filed = expect(
        await api.post(
            f"/public/objections/{year}",
            json={
                "application_id": target,
                "facts": "该企业2026年发生产品质量事故未如实申报",
                "evidence": "媒体报道",
                "name": "王某",
                "contact": "13800000000",
            },
        ),
        201,
    )
    anonymous = expect(
        await api.post(
            f"/public/objections/{year}",
            json={"application_id": listed[1], "facts": "听说该企业有问题", "anonymous": True},
        ),
        201,
    )
    assert filed["investigated"] and anonymous["investigated"]  # anonymous ones too (Art. 14(5), issue 9)
    again = await api.post(
        f"/public/objections/{year}",
        json={
            "application_id": target,
            "facts": "该企业2026年发生产品质量事故未如实申报",
            "evidence": "媒体报道",
            "name": "王某",
            "contact": "13800000000",
        },
    )
    assert again.status_code == 409 and again.json()["code"] == "DUPLICATE_OBJECTION"
    assert (
        expect(
            await api.post(
                f"/public/objections/{year}",
                json={"application_id": sc.applications[7], "facts": "x", "name": "a", "contact": "b"},
            ),
            422,
        )["code"]
        == "OBJECTION_TARGET"
    )
    investigator = await sc.account("investigator1", "office", "investigator-pass-1", "调查员")
    expect(
        await api.post(
            f"/objections/{filed['objection_id']}/investigator",
            headers=office,
            json={"username": "investigator1"},
        ),
        200,
    )
    r = await api.post(
        f"/objections/{filed['objection_id']}/report",
        headers=office,
        json={"findings": "x", "conclusion": "SUBSTANTIATED"},
    )
    assert r.json()["code"] == "NOT_INVESTIGATOR"
    expect(
        await api.post(
            f"/objections/{filed['objection_id']}/report",
            headers=investigator,
            json={"findings": "经核查，事故属实且未申报", "conclusion": "SUBSTANTIATED"},
        ),
        200,
    )
    expect(
        await api.post(
            f"/objections/{anonymous['objection_id']}/investigator",
            headers=office,
            json={"username": "investigator1"},
        ),
        200,
    )
    expect(
        await api.post(
            f"/objections/{anonymous['objection_id']}/report",
            headers=investigator,
            json={"findings": "经核查，未发现所反映问题", "conclusion": "UNSUBSTANTIATED"},
        ),
        200,
    )
    # The reports go to the committee (审查): every member reads them; the chair decides the finding.
    seen = expect_list(await api.get("/objections", params={"year": year}, headers=sc.committee["member2"]))
    assert {o["id"]: o["conclusion"] for o in seen} == {
        filed["objection_id"]: "SUBSTANTIATED",
        anonymous["objection_id"]: "UNSUBSTANTIATED",
    }
    assert all("name" not in o for o in seen)  # the committee judges the findings, not the objector

    # After the window: objections are refused; the committee fixes the list without the target.
    closes = datetime.fromisoformat(notice["closes_at"])
    await eventually(lambda: _after(closes), timeout=30)
    late = await api.post(
        f"/public/objections/{year}",
        json={"application_id": listed[2], "facts": "逾期异议", "name": "李某", "contact": "139"},
    )
    assert late.status_code == 409 and late.json()["code"] in (
        "OBJECTION_WINDOW_CLOSED",
        "OBJECTION_WINDOW_NOT_OPEN",
    )
    await sc.wait_cycle("FINAL_LIST")
    assert (
        await api.post(f"/cycles/{year}/final-list", headers=sc.committee["member1"], json={})
    ).status_code == 403
    # No automatic removal: the list waits for the committee's decision on the substantiated finding.
    r = await api.post(f"/cycles/{year}/final-list", headers=sc.committee["chair"], json={})
    assert r.status_code == 409 and r.json()["code"] == "FINDINGS_UNDECIDED", r.text
    expect(
        await api.post(
            f"/objections/{filed['objection_id']}/decision",
            headers=sc.committee["chair"],
            json={"decision": "REMOVE", "reasons": "发生产品质量事故未如实申报"},
        ),
        201,
    )
    final = expect(await api.post(f"/cycles/{year}/final-list", headers=sc.committee["chair"], json={}), 200)
    assert target in final["removed"] and "属实" in final["removed"][target]
    assert "未如实申报" in final["removed"][target]
    assert len(final["winners"]) == 4 and final["version"] == 1

    # The government returns the list once with a reason, then approves it with its document number.
    await sc.wait_cycle("GOVERNMENT_APPROVAL")
    assert (
        await api.post(f"/cycles/{year}/approval", headers=office, json={"approved": True})
    ).status_code == 403
    r = await api.post(f"/cycles/{year}/approval", headers=sc.government, json={"approved": True})
    assert r.json()["code"] == "DOCUMENT_NO_REQUIRED"
    expect(
        await api.post(
            f"/cycles/{year}/approval",
            headers=sc.government,
            json={"approved": False, "reason": "请补充说明异议调查情况", "version": 1},
        ),
        200,
    )
    await sc.wait_cycle("FINAL_LIST")
    again = expect(
        await api.post(
            f"/cycles/{year}/final-list", headers=sc.committee["chair"], json={"note": "已补充异议调查报告"}
        ),
        200,
    )
    assert again["version"] == 2 and again["winners"] == final["winners"]
    await sc.wait_cycle("GOVERNMENT_APPROVAL")
    expect(
        await api.post(
            f"/cycles/{year}/approval",
            headers=sc.government,
            json={"approved": True, "document_no": f"鹿政发〔{year}〕8号", "version": 2},
        ),
        200,
    )

    # Publication and certificates (R15.1): unique numbers with the award year.
    await sc.wait_cycle("COMPLETED")

    async def closed() -> httpx.Response | None:  # once the workflow has ended: 409, never 404
        r = await api.post(f"/cycles/{year}/panels", headers=office, json={"visits": {}})
        return r if r.json().get("code") == "CYCLE_CLOSED" else None

    assert (await eventually(closed, what="the ended cycle's answer")).status_code == 409
    results = expect(await api.get(f"/public/results/{year}"), 200)
    numbers = [w["certificate_number"] for w in results["winners"]]
    assert len(numbers) == 4 == len(set(numbers)) and all(str(year) in n for n in numbers)
    assert results["approval_document_no"] == f"鹿政发〔{year}〕8号"
    cert = expect(await api.get(f"/certificates/{numbers[0]}", headers=office), 200)
    assert "特发此证" in cert["text"] and cert["plaque_text"]
    winner_n = next(n for n, a in sc.applications.items() if a == cert["application_id"])
    await sc.wait_stage(cert["application_id"], "AWARDED")

    # the result reaches the winner's inbox once the outbox has delivered it (after the stage)
    async def award_result() -> dict[str, Any] | None:
        inbox = expect_list(await api.get("/notices", headers=sc.enterprise_heads[winner_n]))
        return next((n for n in inbox if n["kind"] == "AWARD_RESULT" and numbers[0] in n["body"]), None)

    assert (await eventually(award_result, what="the award result delivered"))["kind"] == "AWARD_RESULT"
    await sc.wait_stage(target, "NOT_AWARDED")
    assert any(n["kind"] == "AWARD_ANNOUNCEMENT" for n in expect_list(await api.get("/public/notices")))

    # Each winner has a long-lived award workflow, visible to operators (P3).
    async def awards() -> list[str] | None:
        found = [
            w.id
            async for w in temporal_client.list_workflows(
                f"AwardYear = {year} AND AwardStage = 'AWARDED' AND WorkflowType = 'AwardWorkflow'" + LIVE
            )
        ]
        return found if len(found) == 4 else None

    assert sorted(await eventually(awards)) == sorted(
        f"award-{w['application_id']}" for w in results["winners"]
    )
    audit = expect_list(await api.get("/audit", headers=office, params={"page_size": 1000}))
    actions = {e["action"]: e for e in audit}
    for action in (
        "ROSTER_APPROVED",
        "RULES_APPROVED",
        "PLENARY_CONVENED",
        "BALLOT_TALLIED",
        "PRELIMINARY_LIST_PUBLISHED",
        "OBJECTION_FILED",
        "OBJECTION_REPORTED",
        "COMMITTEE_FINDING_DECIDED",
        "FINAL_LIST_FIXED",
        "GOVERNMENT_RETURNED",
        "GOVERNMENT_APPROVED",
        "CERTIFICATE_ISSUED",
    ):
        assert action in actions, action
    assert actions["GOVERNMENT_APPROVED"]["actor"] == "gov"

    # Every workflow of the year replays on the current code (and may be kept for replay tests).
    assert await replay_and_keep(temporal_client, f"AwardYear = {year}", "full") >= 1 + 8 + 1 + 4


async def _published(api: httpx.AsyncClient, year: int) -> dict[str, Any] | None:
    r = await api.get(f"/public/preliminary/{year}")
    return r.json() if r.status_code == 200 else None


async def _after(t: datetime) -> bool:
    return datetime.now(UTC) > t + timedelta(seconds=1)


def _history_texts(history: Any) -> list[str]:
    """Every payload of a workflow history, decrypted (secrecy holds for the key holder too) and
    decoded to text."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, str) and "metadata" in node:
                try:
                    out.append(base64.b64decode(data).decode("utf-8", "replace"))
                except ValueError:
                    pass
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(readable(history).to_json()))
    return out


@pytest.mark.req("R14.6")
@pytest.mark.req("R20.2")
async def test_ballot_secrecy(
    api: httpx.AsyncClient,
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After a meeting, no table row, no workflow history payload and no log line holds both a
    member's identity and that member's vote; a second ballot is refused; the recount equals the
    published tally."""
    caplog.set_level(logging.DEBUG)
    office = await Scenario.login(api, *OFFICE)
    year = datetime.now(UTC).year + 1
    sc = Scenario(api, office, year, admin=await Scenario.login(api, *ADMIN))
    await through_review(sc, {1: ("QUALITY", 70, 70), 2: ("INNOVATION", 70, 70)}, experts=6)
    meeting = await sc.convene(["chair", "vice1", "member1", "member2"])  # 4 of 5 present: quorum 2/3 met
    r = await api.post(
        f"/cycles/{year}/committee/recusals",
        headers=sc.committee["member1"],
        json={"username": "member1", "application_id": sc.applications[1], "reason": "会后申报"},
    )
    assert r.status_code == 409 and r.json()["code"] == "MEETING_CONVENED"  # a recusal cannot change a ballot
    a, b = sorted(sc.applications.values())
    ballots = {
        "chair": {a: "APPROVE", b: "REJECT"},
        "vice1": {a: "REJECT", b: "APPROVE"},
        "member1": {a: "APPROVE", b: "APPROVE"},
    }
    for member, choices in ballots.items():
        assert (await sc.vote(meeting["meeting_id"], member, choices)).status_code == 200
    again = await sc.vote(meeting["meeting_id"], "chair", {a: "REJECT", b: "REJECT"})
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_VOTED"
    absent = await sc.vote(meeting["meeting_id"], "vice2", {a: "APPROVE", b: "APPROVE"})
    assert absent.status_code == 403
    incomplete = await sc.vote(meeting["meeting_id"], "member2", {a: "APPROVE"})
    assert incomplete.status_code == 422 and incomplete.json()["code"] == "BALLOT_INCOMPLETE"
    assert (await sc.vote(meeting["meeting_id"], "member2", {a: "REJECT", b: "REJECT"})).status_code == 200
    await sc.wait_cycle("PUBLIC_NOTICE")

    # The published tally equals a recount of the stored votes.
    recount = expect(
        await api.get(f"/meetings/{meeting['meeting_id']}/recount", headers=sc.committee["chair"]), 200
    )
    assert recount["equal"] and recount["published"] == recount["recount"]
    by = {t["candidate_id"]: t for t in recount["published"]}
    assert (by[a]["approve"], by[a]["reject"], by[b]["approve"], by[b]["reject"]) == (2, 2, 2, 2)
    assert not by[a]["passed"]  # 2 of 4 present is not more than half

    members = await _members(sessions, year)
    choices = ("APPROVE", "REJECT")

    # 1. No row of any table holds a member's identity beside a vote.
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
        for t in tables:
            for (row,) in (await s.execute(text(f'select row_to_json(x)::text from "{t}" x'))).all():
                if any(f'"{c}"' in row for c in choices):
                    record = json.loads(row)
                    assert not any(name in row for name in members), (t, row)
                    assert not any(
                        k in record for k in ("user_id", "actor", "username", "recorded_by", "voter")
                    ), (t, row)
                    assert not any(k.endswith("_at") for k in record), (
                        t,
                        row,
                    )  # no time to line up with turnout
        votes = (await s.execute(text("select * from ballot_votes"))).mappings().all()
        assert len(votes) == 8 and set(votes[0].keys()) == {"id", "meeting_id", "candidate_id", "choice"}

    # 2. No workflow history payload holds a vote (the API signals only that a ballot was cast).
    async for wf in temporal_client.list_workflows(f"AwardYear = {year}" + LIVE):
        history = await temporal_client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        for payload in _history_texts(history):
            assert not any(f'"{c}"' in payload for c in choices), (wf.id, payload[:300])

    # 3. No log line holds both a member and a vote.
    for rec in caplog.records:
        line = rec.getMessage()
        assert not (any(n in line for n in members) and any(c in line for c in choices)), line


async def _members(sessions: async_sessionmaker[AsyncSession], year: int) -> list[str]:
    async with sessions() as s:
        rows = (
            await s.execute(
                text(
                    "select u.username, u.display_name from users u join committee_members c on c.user_id = u.id "
                    "where c.cycle_year = :y"
                ),
                {"y": year},
            )
        ).all()
    return [v for row in rows for v in row]
