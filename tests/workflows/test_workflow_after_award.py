"""After the award (Art. 17-19), on the time-skipping server with production rules, through the
HTTP API: a misuse case with its 30-day correction deadline (reminder, overdue escalation, a
rejected and an accepted correction), the yearly follow-up with a report, a late report and the
published experience, and the revocation: proposed by the committee, rejected once, approved,
published, the 5-year ban entered, certificate and trophy recovered, the award's workflow closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import DATA_CONVERTER
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import expect_list
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from timeskip import award_api, calendar, env, to_public_notice

from config.settings import Settings
from devstack.holidays import calendar_from_list
from devstack.scenario import Scenario, eventually, expect
from domain.calendar import period_end, period_end_from
from domain.eligibility import check_ban
from domain.facts import Revocation
from domain.types import Award
from worker.main import WORKFLOWS, workflow_runner

__all__ = ["env"]  # the time-skipping server fixture, shared with the notice-window tests


async def awarded(
    env: WorkflowEnvironment, api: httpx.AsyncClient, settings: Settings
) -> tuple[Scenario, dict[str, str]]:
    """A production cycle to publication with two winners; returns {application id: certificate}."""
    n = await to_public_notice(env, api, settings)
    sc = n.scenario
    await env.sleep(n.closes_at - await env.get_current_time() + timedelta(minutes=1))
    await sc.wait_cycle("FINAL_LIST")
    expect(await api.post(f"/cycles/{sc.year}/final-list", headers=sc.committee["chair"], json={}), 200)
    await sc.wait_cycle("GOVERNMENT_APPROVAL")
    approve = {"approved": True, "document_no": f"鹿政发〔{sc.year}〕8号"}
    expect(await api.post(f"/cycles/{sc.year}/approval", headers=sc.government, json=approve), 200)
    await sc.wait_cycle("COMPLETED")
    result = expect(await api.get(f"/public/results/{sc.year}"), 200)
    return sc, {w["application_id"]: w["certificate_number"] for w in result["winners"]}


def owner(sc: Scenario, application_id: str) -> dict[str, str]:
    n = next(k for k, a in sc.applications.items() if a == application_id)
    return sc.enterprise_heads[n]


async def inbox(api: httpx.AsyncClient, headers: dict[str, str], kind: str) -> list[dict[str, Any]]:
    r = expect_list(await api.get("/notices", headers=headers, params={"page_size": 200}))
    return [x for x in r if x["kind"] == kind]


async def public(api: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    """Public notices of `kind`, once the outbox has delivered one (a moment after the step)."""

    async def probe() -> list[dict[str, Any]] | None:
        return [x for x in expect_list(await api.get("/public/notices")) if x["kind"] == kind] or None

    return await eventually(probe, what=f"a public notice {kind}")


async def case_state(sc: Scenario, case_id: str, *states: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        c = expect(await sc.api.get(f"/misuse-cases/{case_id}", headers=sc.office), 200)
        return c if c["state"] in states else None

    return await eventually(probe, what=f"{case_id} in {states}")


async def notices_of(
    api: httpx.AsyncClient, headers: dict[str, str], kind: str, n: int = 1
) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        found = await inbox(api, headers, kind)
        return found if len(found) >= n else None

    return await eventually(probe, what=f"{n} notice(s) {kind}")


@pytest.mark.req("R19.1")
@pytest.mark.req("R18.1")
async def test_misuse_case_and_yearly_follow_up(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        sc, certs = await awarded(env, api, settings)
        a1, a2 = sorted(certs)
        c1, c2 = certs[a1], certs[a2]
        ent1, ent2 = owner(sc, a1), owner(sc, a2)
        listed = expect_list(await api.get("/awards", headers=sc.office, params={"year": sc.year}))
        assert {(x["certificate_number"], x["status"]) for x in listed} == {(c1, "ACTIVE"), (c2, "ACTIVE")}
        assert [x["certificate_number"] for x in expect_list(await api.get("/awards", headers=ent1))] == [c1]
        issued_at = datetime.fromisoformat(
            next(x for x in listed if x["certificate_number"] == c1)["issued_at"]
        )

        # A misuse of the title (Art. 19): a bad report is refused and leaves nothing behind.
        bad = await api.post(f"/awards/{c1}/misuse", headers=sc.office, json={"kind": "SLOGAN", "facts": "x"})
        assert bad.status_code == 422 and bad.json()["code"] == "MISUSE_KIND", bad.text
        empty = await api.post(
            f"/awards/{c1}/misuse", headers=sc.office, json={"kind": "PRODUCT_PROMOTION", "facts": " "}
        )
        assert empty.status_code == 422 and empty.json()["code"] == "MISUSE_FACTS_REQUIRED", empty.text
        assert (
            await api.post(
                f"/awards/{c1}/misuse", headers=ent1, json={"kind": "PRODUCT_PROMOTION", "facts": "x"}
            )
        ).status_code == 403
        assert expect(await api.get(f"/awards/{c1}", headers=sc.office), 200)["misuse_cases"] == []

        before = await env.get_current_time()
        opened = expect(
            await api.post(
                f"/awards/{c1}/misuse",
                headers=sc.office,
                json={
                    "kind": "PRODUCT_PROMOTION",
                    "facts": "在产品包装和电商详情页使用“区政府质量奖”称号宣传产品",
                    "evidence": "电商页面截图",
                    "source": "群众举报",
                },
            ),
            201,
        )
        case = opened["case_id"]
        due = datetime.fromisoformat(opened["due_at"])
        at_once = expect(await api.get(f"/misuse-cases/{case}", headers=sc.office), 200)  # readable at once
        assert at_once["state"] == "CORRECTION_ORDERED" and datetime.fromisoformat(at_once["due_at"]) == due
        cal = await calendar(sc)  # the rest days frozen into the cycle's rules: aftercare counts with them
        assert due == period_end_from(before, days=30, calendar=cal)  # 30 days by the Civil Code, 24:00 CST
        order = (await notices_of(api, ent1, "MISUSE_CORRECTION_ORDER"))[0]
        assert "责令" in order["body"] and "不得用于产品宣传" in order["body"] and case in order["body"]
        assert await inbox(api, ent2, "MISUSE_CORRECTION_ORDER") == []  # only the enterprise concerned
        r = await api.post(f"/misuse-cases/{case}/correction", headers=ent2, json={"description": "x"})
        assert r.status_code == 404, r.text  # another enterprise cannot see or answer the case
        nothing = await api.post(
            f"/misuse-cases/{case}/verification", headers=sc.office, json={"accepted": True}
        )
        assert nothing.status_code == 409 and nothing.json()["code"] == "NOTHING_TO_VERIFY"

        # Five days before the deadline: a reminder. A correction reported and not accepted.
        await env.sleep(due - timedelta(days=5) - await env.get_current_time() + timedelta(minutes=1))
        await notices_of(api, ent1, "MISUSE_REMINDER")
        expect(
            await api.post(
                f"/misuse-cases/{case}/correction", headers=ent1, json={"description": "已修改详情页"}
            ),
            200,
        )
        again = await api.post(
            f"/misuse-cases/{case}/correction", headers=ent1, json={"description": "再次报告"}
        )
        assert again.status_code == 409 and again.json()["code"] == "CORRECTION_NOT_EXPECTED"
        no_reason = await api.post(
            f"/misuse-cases/{case}/verification", headers=sc.office, json={"accepted": False}
        )
        assert no_reason.status_code == 422 and no_reason.json()["code"] == "VERIFICATION_NOTE_REQUIRED"
        r = expect(
            await api.post(
                f"/misuse-cases/{case}/verification",
                headers=sc.office,
                json={"accepted": False, "note": "产品包装仍印有获奖称号"},
            ),
            200,
        )
        assert r["state"] == "CORRECTION_ORDERED"
        assert "产品包装仍印有获奖称号" in (await notices_of(api, ent1, "MISUSE_VERIFIED"))[0]["body"]

        # Past the deadline with no accepted correction: overdue, escalated to the office.
        await env.sleep(due - await env.get_current_time() + timedelta(minutes=1))
        c = await case_state(sc, case, "OVERDUE")
        assert c["closed_at"] is None and "OVERDUE" in c["waiting_for"]
        await notices_of(api, sc.office, "MISUSE_OVERDUE")
        expect(
            await api.post(
                f"/misuse-cases/{case}/correction", headers=ent1, json={"description": "已全部更换包装"}
            ),
            200,
        )
        expect(
            await api.post(f"/misuse-cases/{case}/verification", headers=sc.office, json={"accepted": True}),
            200,
        )
        c = await case_state(sc, case, "CORRECTED")
        assert c["closed_at"] and c["correction"] == "已全部更换包装"
        desc = await env.client.get_workflow_handle(f"misuse-{case}").describe()
        assert desc.status == WorkflowExecutionStatus.COMPLETED
        # a closed case answers that it is closed (409), never that it does not exist (issue 13)
        r = await api.post(f"/misuse-cases/{case}/correction", headers=ent1, json={"description": "补充说明"})
        assert r.status_code == 409 and r.json()["code"] == "MISUSE_CASE_CLOSED", r.text

        # Follow-up (Art. 18): nothing to report before the first anniversary.
        early = await api.post(f"/awards/{c1}/follow-up", headers=ent1, json={"text": "持续推进卓越绩效"})
        assert early.status_code == 409 and early.json()["code"] == "FOLLOW_UP_NOT_OPEN"
        opens = period_end_from(issued_at, days=365, calendar=cal)
        await env.sleep(opens - await env.get_current_time() + timedelta(minutes=1))
        request = (await notices_of(api, ent1, "FOLLOW_UP_REQUEST"))[0]
        assert "（第1次）" in request["title"] and "第1次跟踪回访" in request["body"]
        await notices_of(api, ent2, "FOLLOW_UP_REQUEST")
        report = "持续实施卓越绩效模式，导入数字化质量管理平台，顾客满意度提升至96%"
        assert (
            expect(await api.post(f"/awards/{c1}/follow-up", headers=ent1, json={"text": report}), 200)[
                "round"
            ]
            == 1
        )
        dup = await api.post(f"/awards/{c1}/follow-up", headers=ent1, json={"text": report})
        assert dup.status_code == 409 and dup.json()["code"] == "FOLLOW_UP_NOT_OPEN"
        # The office publishes the experience from the report; not from a round without one.
        none = await api.post(
            f"/awards/{c2}/experience", headers=sc.office, json={"round_no": 1, "title": "t", "text": "x"}
        )
        assert none.status_code == 409 and none.json()["code"] == "FOLLOW_UP_NOT_REPORTED"
        expect(
            await api.post(
                f"/awards/{c1}/experience",
                headers=sc.office,
                json={"round_no": 1, "title": "数字化质量管理实践", "text": report},
            ),
            200,
        )
        shared = await public(api, "EXPERIENCE")
        assert len(shared) == 1 and "数字化质量管理实践" in shared[0]["title"] and report in shared[0]["body"]

        # The second winner misses the 30-day report date: escalated; its late report is still taken.
        report_due = period_end_from(opens, days=30, calendar=cal)
        await env.sleep(report_due - await env.get_current_time() + timedelta(days=1))
        overdue = await notices_of(api, sc.office, "FOLLOW_UP_OVERDUE")
        assert any(c2 in x["body"] for x in overdue) and not any(c1 in x["body"] for x in overdue)
        assert (
            expect(
                await api.post(f"/awards/{c2}/follow-up", headers=ent2, json={"text": "补报跟踪回访材料"}),
                200,
            )["round"]
            == 1
        )
        rounds = expect(await api.get(f"/awards/{c2}", headers=sc.office), 200)["follow_ups"]
        assert [(f["round"], f["state"]) for f in rounds] == [(1, "REPORTED")]
        requested = datetime.fromisoformat(rounds[0]["requested_at"])
        assert requested >= opens and datetime.fromisoformat(rounds[0]["due_at"]) == report_due


@pytest.mark.req("R17.2")
@pytest.mark.req("R17.1")
async def test_revocation_proposed_decided_published_and_banned(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        sc, certs = await awarded(env, api, settings)
        a1, a2 = sorted(certs)
        c1, c2 = certs[a1], certs[a2]
        ent1 = owner(sc, a1)
        chair, member = sc.committee["chair"], sc.committee["member1"]
        reason = "申报材料中伪造质量管理体系认证证书"
        proposal = {"reason": reason, "evidence": "认证机构出具的证明函"}

        # Only the chair or a vice-chair proposes; nothing to decide or recover before that.
        assert (await api.post(f"/awards/{c1}/revocation", headers=member, json=proposal)).status_code == 403
        assert (
            await api.post(f"/awards/{c1}/revocation", headers=sc.office, json=proposal)
        ).status_code == 403
        r = await api.post(f"/awards/{c1}/revocation", headers=chair, json={"reason": reason, "evidence": ""})
        assert r.status_code == 422 and r.json()["code"] == "REVOCATION_EVIDENCE_REQUIRED"
        r = await api.post(
            f"/awards/{c1}/revocation/decision",
            headers=sc.government,
            json={"approved": True, "document_no": "x"},
        )
        assert r.status_code == 409 and r.json()["code"] == "REVOCATION_NOT_PROPOSED"
        r = await api.post(f"/awards/{c1}/recovery", headers=sc.office, json={"item": "CERTIFICATE"})
        assert r.status_code == 409 and r.json()["code"] == "RECOVERY_NOT_OPEN"

        # The second winner: proposed, and rejected by the government with its reason; the award stands.
        expect(
            await api.post(
                f"/awards/{c2}/revocation",
                headers=chair,
                json={"reason": "举报称其数据不实", "evidence": "举报信"},
            ),
            200,
        )
        r = await api.post(
            f"/awards/{c2}/revocation/decision", headers=sc.government, json={"approved": False}
        )
        assert r.status_code == 422 and r.json()["code"] == "REJECTION_REASON_REQUIRED"
        rejected = {"approved": False, "reason": "经核查举报内容不属实"}
        assert (
            expect(
                await api.post(f"/awards/{c2}/revocation/decision", headers=sc.government, json=rejected), 200
            )["status"]
            == "ACTIVE"
        )
        assert expect(await api.get(f"/public/certificates/{c2}"), 200)["valid"] is True

        # The first: proposed (the enterprise is told), a second proposal refused, approved.
        case = expect(await api.post(f"/awards/{c1}/revocation", headers=chair, json=proposal), 200)[
            "case_id"
        ]
        told = (await notices_of(api, ent1, "REVOCATION_PROPOSED"))[0]
        assert reason in told["body"] and "第十七条" in told["body"]
        r = await api.post(f"/awards/{c1}/revocation", headers=chair, json=proposal)
        assert r.status_code == 409 and r.json()["code"] == "REVOCATION_NOT_OPEN"
        assert (
            await api.post(f"/awards/{c1}/revocation/decision", headers=sc.office, json={"approved": True})
        ).status_code == 403
        r = await api.post(
            f"/awards/{c1}/revocation/decision", headers=sc.government, json={"approved": True}
        )
        assert r.status_code == 422 and r.json()["code"] == "DOCUMENT_NO_REQUIRED"
        document_no = f"鹿政发〔{sc.year + 1}〕3号"
        decided_at = await env.get_current_time()
        r = expect(
            await api.post(
                f"/awards/{c1}/revocation/decision",
                headers=sc.government,
                json={"approved": True, "document_no": document_no},
            ),
            200,
        )
        assert r["status"] == "REVOKED"

        # Published; the certificate no longer verifies; the 5-year ban is in the registry (R17.1).
        announcement = (await public(api, "REVOCATION_ANNOUNCEMENT"))[0]
        assert document_no in announcement["body"] and "5年内不得再次申报" in announcement["body"]
        check = expect(await api.get(f"/public/certificates/{c1}"), 200)
        assert check["valid"] is False and check["revocation_document_no"] == document_no
        decision = (await notices_of(api, ent1, "REVOCATION_DECISION"))[0]
        assert "交回" in decision["body"] and document_no in decision["body"]
        registry = expect_list(await api.get("/revocations", headers=sc.office))
        assert len(registry) == 1 and registry[0]["document_no"] == document_no
        entry = registry[0]
        revoked_on = datetime.fromisoformat(f"{entry['revoked_on']}T12:00:00+08:00").date()
        # the registry counts the ban with every year of rest days known now
        known = calendar_from_list(expect_list(await api.get("/holiday-calendars", headers=sc.office)))
        assert datetime.fromisoformat(entry["ban_ends_at"]) == period_end(revoked_on, years=5, calendar=known)
        ban = Revocation(entry["credit_code"], Award(entry["award"]), entry["award_year"], revoked_on, reason)
        assert check_ban([ban], entry["credit_code"], decided_at + timedelta(days=4 * 365)).status == "FAIL"
        assert (
            check_ban([ban], entry["credit_code"], period_end(revoked_on, years=5) + timedelta(days=1)).status
            == "PASS"
        )
        record = expect(await api.get(f"/awards/{c1}", headers=sc.office), 200)
        assert record["status"] == "REVOKED" and [x["case_id"] for x in record["revocations"]] == [case]
        assert (
            expect(await api.get(f"/awards/{c2}", headers=sc.office), 200)["revocations"][0]["state"]
            == "REJECTED"
        )

        # A revoked award takes no misuse case or follow-up report.
        r = await api.post(
            f"/awards/{c1}/misuse", headers=sc.office, json={"kind": "YEAR_NOT_STATED", "facts": "x"}
        )
        assert r.status_code == 409 and r.json()["code"] == "AWARD_REVOKED"

        # Art. 17: the revocation is exposed in the news media, recorded by the office (the award's
        # workflow also waits for it: see test_a_revocation_is_exposed_in_the_news_media).
        exposure = {
            "medium": "鹿城新闻",
            "published_at": (await env.get_current_time()).isoformat(),
            "place": "第2版",
        }
        expect(await api.post(f"/awards/{c1}/media-exposure", headers=sc.office, json=exposure), 200)

        # The office recovers the certificate and the trophy; then the award's workflow closes.
        expect(
            await api.post(
                f"/awards/{c1}/recovery", headers=sc.office, json={"item": "CERTIFICATE", "note": "已交回"}
            ),
            200,
        )
        r = await api.post(f"/awards/{c1}/recovery", headers=sc.office, json={"item": "CERTIFICATE"})
        assert r.status_code == 409 and r.json()["code"] == "ALREADY_RECOVERED"
        r = await api.post(f"/awards/{c1}/recovery", headers=sc.office, json={"item": "PLAQUE"})
        assert r.status_code == 422 and r.json()["code"] == "RECOVERY_ITEM"
        expect(await api.post(f"/awards/{c1}/recovery", headers=sc.office, json={"item": "TROPHY"}), 200)
        handle = env.client.get_workflow_handle(record["workflow_id"])
        desc = await eventually(lambda: _closed(handle), what="the award workflow to close")
        assert desc.status == WorkflowExecutionStatus.COMPLETED
        r = await api.post(f"/awards/{c1}/recovery", headers=sc.office, json={"item": "TROPHY"})
        assert r.status_code == 409 and r.json()["code"] == "AWARD_CLOSED", r.text
        audit = expect_list(await api.get("/audit", headers=sc.office, params={"page_size": 1000}))
        actions = {e["action"] for e in audit}
        for action in (
            "REVOCATION_PROPOSED",
            "REVOCATION_REJECTED",
            "REVOCATION_APPROVED",
            "CERTIFICATE_RECOVERED",
            "TROPHY_RECOVERED",
        ):
            assert action in actions, action
        await replays(env.client, record["workflow_id"], f"award-{a2}")


@pytest.mark.req("R17.2")
async def test_a_revocation_is_exposed_in_the_news_media(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    """Art. 17: 在区级主要新闻媒体上予以曝光. After the government approves a revocation, the office
    records its publication in a named news medium within the rules' period (30 days by default):
    reminded before the due time, told once it has passed; the exposure shows on the revocation's
    record and in the award's read, and the award's workflow ends only once it is recorded and the
    certificate and the trophy are recovered."""
    async with award_api(env, settings, sessions, temporal_client) as api:
        sc, certs = await awarded(env, api, settings)
        a1, a2 = sorted(certs)
        c1, c2 = certs[a1], certs[a2]
        n1 = next(k for k, a in sc.applications.items() if a == a1)
        clipping = await sc.upload(n1, b"%PDF-1.4\n% clipping\n%%EOF\n", "鹿城新闻第2版.pdf")
        url = f"/awards/{c1}/media-exposure"

        def body(**kw: Any) -> dict[str, Any]:
            return {"medium": "鹿城新闻", "published_at": now.isoformat(), "place": "第2版 要闻", **kw}

        now = await env.get_current_time()
        r = await api.post(url, headers=sc.office, json=body())
        assert r.status_code == 409 and r.json()["code"] == "EXPOSURE_NOT_OPEN", r.text  # not revoked
        expect(
            await api.post(
                f"/awards/{c1}/revocation",
                headers=sc.committee["chair"],
                json={"reason": "伪造检测报告骗取奖项", "evidence": "检测机构证明"},
            ),
            200,
        )
        document_no = f"鹿政发〔{sc.year + 1}〕5号"
        approve = {"approved": True, "document_no": document_no}
        expect(await api.post(f"/awards/{c1}/revocation/decision", headers=sc.government, json=approve), 200)

        async def exposure(*states: str) -> dict[str, Any]:
            async def probe() -> dict[str, Any] | None:
                x = expect(await api.get(f"/awards/{c1}", headers=sc.office), 200)["media_exposure"]
                return x if x is not None and x["state"] in states else None

            return await eventually(probe, what=f"the exposure {states}")

        owed = await exposure("OWED")
        due = datetime.fromisoformat(owed["due_at"])
        revoked_at = datetime.fromisoformat(
            expect(await api.get(f"/awards/{c1}", headers=sc.office), 200)["revoked_at"]
        )
        assert due == period_end_from(revoked_at, days=30, calendar=await calendar(sc))

        # Refused records change nothing: the wrong role, no medium, nowhere, in the future, a
        # clipping that is not stored, another (not revoked) award.
        assert (await api.post(url, headers=sc.committee["chair"], json=body())).status_code == 403
        assert (await api.post(url, headers=sc.government, json=body())).status_code == 403
        now = await env.get_current_time()
        for bad, status, code in (
            (body(medium=" "), 422, "EXPOSURE_MEDIUM_REQUIRED"),
            (body(place="", url=""), 422, "EXPOSURE_PLACE_REQUIRED"),
            (body(url="file:///etc/passwd"), 422, "EXPOSURE_URL"),
            (body(published_at=(now + timedelta(days=2)).isoformat()), 422, "EXPOSURE_IN_FUTURE"),
            (body(published_at=(now - timedelta(days=3)).isoformat()), 422, "EXPOSURE_BEFORE_REVOCATION"),
            (body(document="f" * 64), 422, "EXPOSURE_DOCUMENT_NOT_FOUND"),
        ):
            r = await api.post(url, headers=sc.office, json=bad)
            assert r.status_code == status and r.json()["code"] == code, r.text
        r = await api.post(f"/awards/{c2}/media-exposure", headers=sc.office, json=body())
        assert r.status_code == 409 and r.json()["code"] == "EXPOSURE_NOT_OPEN", r.text
        assert (await exposure("OWED"))["medium"] is None

        # Certificate and trophy recovered: the workflow still waits for the exposure.
        for item in ("CERTIFICATE", "TROPHY"):
            expect(await api.post(f"/awards/{c1}/recovery", headers=sc.office, json={"item": item}), 200)
        record = expect(await api.get(f"/awards/{c1}", headers=sc.office), 200)
        assert "news media" in record["waiting_for"], record["waiting_for"]
        handle = env.client.get_workflow_handle(record["workflow_id"])
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

        # Reminded 5 days before the due time, told once it has passed (the office's inbox).
        await env.sleep(due - timedelta(days=5) - await env.get_current_time() + timedelta(minutes=1))
        reminder = (await notices_of(api, sc.office, "MEDIA_EXPOSURE_REMINDER"))[0]
        assert "区级主要新闻媒体" in reminder["body"] and c1 in reminder["title"]
        assert await inbox(api, sc.office, "MEDIA_EXPOSURE_OVERDUE") == []
        await env.sleep(due - await env.get_current_time() + timedelta(minutes=1))
        overdue = (await notices_of(api, sc.office, "MEDIA_EXPOSURE_OVERDUE"))[0]
        assert "第十七条" in overdue["body"] and "督办" in overdue["body"]
        late = await exposure("OVERDUE")
        assert late["overdue_at"] is not None

        # Recorded late, with the clipping: published; the award's workflow closes.
        now = await env.get_current_time()
        published = body(
            published_at=(now - timedelta(hours=1)).isoformat(),
            url="https://www.lucheng.gov.cn/art/revocation.html",
            document=clipping,
            note="区融媒体中心刊发",
        )
        r = expect(
            await api.post(url, headers={**sc.office, "Idempotency-Key": "exp-1"}, json=published), 200
        )
        assert r["state"] == "PUBLISHED" and r["case_id"] == f"{c1}-R1"
        desc = await eventually(lambda: _closed(handle), what="the award workflow to close")
        assert desc.status == WorkflowExecutionStatus.COMPLETED
        record = expect(await api.get(f"/awards/{c1}", headers=sc.office), 200)
        shown = record["revocations"][0]["media_exposure"]
        assert shown == record["media_exposure"]
        assert (
            shown["state"] == "PUBLISHED" and shown["medium"] == "鹿城新闻" and shown["place"] == "第2版 要闻"
        )
        assert shown["url"] == published["url"] and shown["document_sha256"] == clipping
        assert datetime.fromisoformat(shown["published_at"]) == datetime.fromisoformat(
            published["published_at"]
        )
        assert shown["recorded_by"] == "office" and shown["overdue_at"] == late["overdue_at"]
        assert "Closed" in record["waiting_for"]
        r = await api.post(url, headers=sc.office, json=published)
        assert r.status_code == 409 and r.json()["code"] == "AWARD_CLOSED", r.text
        audit = expect_list(
            await api.get("/audit", headers=sc.office, params={"entity_id": c1, "page_size": 1000})
        )
        actions = [e["action"] for e in audit]
        for action in ("MEDIA_EXPOSURE_OWED", "MEDIA_EXPOSURE_OVERDUE", "MEDIA_EXPOSURE_PUBLISHED"):
            assert actions.count(action) == 1, (action, actions)
        entry = next(e for e in audit if e["action"] == "MEDIA_EXPOSURE_PUBLISHED")
        assert entry["actor"] == "office" and entry["details"]["medium"] == "鹿城新闻"
        assert (await inbox(api, sc.office, "MEDIA_EXPOSURE_REMINDER")) == [reminder]  # once each
        await replays(env.client, record["workflow_id"])


async def replays(client: Client, *workflow_ids: str) -> None:
    """The histories just made replay on the current code (determinism of the new workflows)."""
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=workflow_runner())
    for wf in workflow_ids:
        await replayer.replay_workflow(await client.get_workflow_handle(wf).fetch_history())


async def _closed(handle: Any) -> Any:
    desc = await handle.describe()
    return desc if desc.status != WorkflowExecutionStatus.RUNNING else None
