"""The 7-day public notice (初选公示, R14.7) at its edges, on the time-skipping server, driven
through the HTTP API the way its users drive it: production rules (a real 7-day notice counted by
the Civil Code, no demo), the clock moved only by `env.sleep`.

The window opens at publication and closes at 24:00 CST of the 7th day after it: an objection one
minute before the close is accepted, one a minute after is refused with the close named in CST; an
objection in the first minute is accepted, and the cycle does not leave the notice until its
investigation has reported; a substantiated objection takes the candidate off the final list once
the committee has decided so (R14.7, R14.8).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from timeskip import Notice, award_api, cycle, env, to_public_notice

from config.settings import Settings
from devstack.scenario import Scenario, eventually, expect
from domain.calendar import CST, cst_date, format_cst_date, period_end_from
from domain.publicity import format_close

__all__ = ["env"]  # the time-skipping server fixture (tests/timeskip.py)


async def object_to(sc: Scenario, application_id: str, facts: str, **who: Any) -> httpx.Response:
    body = {
        "application_id": application_id,
        "facts": facts,
        **(who or {"name": "张三", "contact": "13800000000"}),
    }
    return await sc.api.post(f"/public/objections/{sc.year}", json=body)


def assert_civil_code_window(n: Notice) -> None:
    """Closes at 24:00 CST (00:00 of the next day) of the 7th day after the publication date, or of
    the first working day after it if that day is a rest day (民法典 第二百零三条; the cycle's calendar)."""
    assert n.calendar is not None
    assert n.closes_at == period_end_from(n.published_at, days=7, calendar=n.calendar)
    seventh = cst_date(n.published_at) + timedelta(days=7)
    last = n.calendar.working_day_from(seventh)
    local = n.closes_at.astimezone(CST)
    assert local.time() == time(0)
    assert local.date() == last + timedelta(days=1)
    assert timedelta(days=7) < n.closes_at - n.published_at <= timedelta(days=8) + (last - seventh)


@pytest.mark.req("R14.7")
async def test_objection_one_minute_before_the_close_is_accepted_one_minute_after_refused(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        a1, a2 = sorted(sc.applications.values())
        assert sorted(n.listed) == [a1, a2]
        assert_civil_code_window(n)
        now = await env.get_current_time()
        assert n.published_at <= now < n.closes_at

        # Six days on, the notice is still open and the cycle waits in it.
        await env.sleep(n.closes_at - now - timedelta(minutes=1))
        now = await env.get_current_time()
        assert n.closes_at - timedelta(minutes=1) <= now < n.closes_at
        c = await cycle(sc)
        assert c["stage"] == "PUBLIC_NOTICE", c

        # 23:59 CST of the last day: accepted, and (named) investigated.
        r = await object_to(sc, a1, "该企业申报材料中的获奖证明与实际不符")
        filed = expect(r, 201)
        assert filed["investigated"] is True
        assert datetime.fromisoformat(filed["closes_at"]) == n.closes_at
        assert await env.get_current_time() < n.closes_at  # it really was filed inside the window

        # 00:01 CST of the next day: refused, the close named in CST.
        await env.sleep(timedelta(minutes=2))
        assert await env.get_current_time() > n.closes_at

        async def notice_closed() -> dict[str, Any] | None:
            c = await cycle(sc)
            return c if c["waiting_for"].startswith("Notice closed") else None

        c = await eventually(notice_closed, what="the notice timer to fire")
        assert c["stage"] == "PUBLIC_NOTICE"  # the named objection is being investigated
        assert "1 investigation" in c["waiting_for"]

        r = await object_to(sc, a2, "公示期满后提出的异议")
        assert r.status_code == 409, r.text
        err = r.json()
        assert err["code"] == "OBJECTION_WINDOW_CLOSED", err
        last_day = n.closes_at.astimezone(CST).date() - timedelta(days=1)
        close_cst = format_close(n.closes_at)
        assert close_cst == f"{format_cst_date(last_day)} 24:00"  # e.g. 2026年12月4日 24:00
        assert f"公示期已于{close_cst}（北京时间）届满" in err["message_zh"], err
        assert f"{close_cst} CST" in err["message_en"], err
        assert datetime.fromisoformat(err["details"]["closes_at"]) == n.closes_at

        objections = (await api.get("/objections", params={"year": sc.year}, headers=sc.office)).json()
        assert [(o["id"], o["application_id"], o["state"]) for o in objections] == [
            (filed["objection_id"], a1, "INVESTIGATING")
        ]  # the refused one left no record


@pytest.mark.req("R14.7")
@pytest.mark.req("R14.8")
async def test_first_minute_objection_holds_the_notice_until_investigated_and_removes_the_candidate(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        a1, a2 = sorted(sc.applications.values())
        assert_civil_code_window(n)

        # The first minute of the notice: a named objection is accepted and investigated; an
        # anonymous one is investigated too (the default rules since issue 9, Art. 14(5)).
        assert await env.get_current_time() - n.published_at < timedelta(minutes=1)
        filed = expect(await object_to(sc, a1, "该企业近三年发生过质量安全事故，申报时未如实说明"), 201)
        assert filed["investigated"] is True
        anon = expect(await object_to(sc, a2, "匿名反映：该企业存在违规宣传", anonymous=True), 201)
        assert anon["investigated"] is True
        assert await env.get_current_time() - n.published_at < timedelta(minutes=1)

        investigator = await sc.account("investigator1", "office", "investigator-pass-1", "调查人甲")
        before = await env.get_current_time()
        assigned = expect(
            await api.post(
                f"/objections/{filed['objection_id']}/investigator",
                headers=sc.office,
                json={"username": "investigator1"},
            ),
            200,
        )
        assert assigned["investigator"] == "investigator1"
        after = await env.get_current_time()
        due = datetime.fromisoformat(assigned["due_at"])  # 10 days by the Civil Code, after the close
        assert due in {
            period_end_from(before, days=10, calendar=n.calendar),
            period_end_from(after, days=10, calendar=n.calendar),
        }
        assert due > n.closes_at
        # the anonymous one is investigated and found unsubstantiated within the notice
        expect(
            await api.post(
                f"/objections/{anon['objection_id']}/investigator",
                headers=sc.office,
                json={"username": "investigator1"},
            ),
            200,
        )
        expect(
            await api.post(
                f"/objections/{anon['objection_id']}/report",
                headers=investigator,
                json={"findings": "经调查，未发现违规宣传", "conclusion": "UNSUBSTANTIATED"},
            ),
            200,
        )

        # Past the close: the notice is over but the cycle waits for the report.
        await env.sleep(n.closes_at - await env.get_current_time() + timedelta(minutes=1))

        async def notice_closed() -> dict[str, Any] | None:
            c = await cycle(sc)
            return c if c["waiting_for"].startswith("Notice closed") else None

        c = await eventually(notice_closed, what="the notice timer to fire")
        assert c["stage"] == "PUBLIC_NOTICE" and "1 investigation" in c["waiting_for"], c
        await env.sleep(timedelta(hours=12))  # a while longer: still held
        c = await cycle(sc)
        assert c["stage"] == "PUBLIC_NOTICE", c
        r = await api.post(f"/cycles/{sc.year}/final-list", headers=sc.committee["chair"], json={})
        assert r.status_code == 409 and r.json()["code"] == "FINAL_LIST_NOT_OPEN", r.text

        findings = "经调查核实，该企业2025年发生一般质量安全事故，申报时未如实说明"
        reported = expect(
            await api.post(
                f"/objections/{filed['objection_id']}/report",
                headers=investigator,
                json={"findings": findings, "conclusion": "SUBSTANTIATED"},
            ),
            200,
        )
        assert reported["conclusion"] == "SUBSTANTIATED"
        await sc.wait_cycle("FINAL_LIST")

        # No automatic removal: the list waits for the committee's decision on the finding.
        r = await api.post(f"/cycles/{sc.year}/final-list", headers=sc.committee["chair"], json={})
        assert r.status_code == 409 and r.json()["code"] == "FINDINGS_UNDECIDED", r.text
        expect(
            await api.post(
                f"/objections/{filed['objection_id']}/decision",
                headers=sc.committee["chair"],
                json={"decision": "REMOVE", "reasons": "隐瞒质量安全事故，不符合申报条件"},
            ),
            201,
        )

        final = expect(
            await api.post(
                f"/cycles/{sc.year}/final-list",
                headers=sc.committee["chair"],
                json={"note": "根据异议调查结果确定拟授奖名单"},
            ),
            200,
        )
        assert list(final["removed"]) == [a1]
        assert "隐瞒质量安全事故，不符合申报条件" in final["removed"][a1]
        assert [w["application_id"] for w in final["winners"]] == [a2]

        objections = (await api.get("/objections", params={"year": sc.year}, headers=sc.office)).json()
        assert {o["id"]: (o["state"], o["conclusion"]) for o in objections} == {
            filed["objection_id"]: ("REPORTED", "SUBSTANTIATED"),
            anon["objection_id"]: ("REPORTED", "UNSUBSTANTIATED"),
        }

        # The district government approves; the result leaves out the removed candidate.
        expect(
            await api.post(
                f"/cycles/{sc.year}/approval",
                headers=sc.government,
                json={"approved": True, "document_no": f"鹿政发〔{sc.year}〕8号"},
            ),
            200,
        )
        await sc.wait_cycle("COMPLETED")
        result = expect(await api.get(f"/public/results/{sc.year}"), 200)
        assert [w["application_id"] for w in result["winners"]] == [a2]
        assert result["approval_document_no"] == f"鹿政发〔{sc.year}〕8号"


@pytest.mark.req("R14.7")
async def test_notice_without_objections_ends_at_the_close_and_refuses_later_objections(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        a1, _ = sorted(sc.applications.values())
        assert_civil_code_window(n)
        assert (await api.get("/objections", params={"year": sc.year}, headers=sc.office)).json() == []

        # A minute before the close the cycle is still in the notice; a minute after, with nothing
        # to investigate, it has moved on to the final list.
        await env.sleep(n.closes_at - await env.get_current_time() - timedelta(minutes=1))
        c = await cycle(sc)
        assert c["stage"] == "PUBLIC_NOTICE" and c["waiting_for"].startswith("Public notice"), c
        await env.sleep(timedelta(minutes=2))
        await sc.wait_cycle("FINAL_LIST")
        r = await api.post(f"/cycles/{sc.year}/final-list", headers=sc.committee["chair"], json={})
        final = expect(r, 200)
        assert final["removed"] == {} and len(final["winners"]) == 2

        # A late objection is told the notice closed, and when (as it is while an investigation
        # holds the cycle in the notice, see the first test). FAILS today: once the cycle has left
        # PUBLIC_NOTICE, the first check of AwardCycleWorkflow._check_objection (workflows/cycle.py) answers
        # 409 OBJECTION_WINDOW_NOT_OPEN "当前没有进行中的公示" / "No public notice is open" before it
        # ever reaches check_objection_window, i.e. the code that domain.publicity reserves for a
        # notice not yet published, with no close time.
        r = await object_to(sc, a1, "公示期满后提出的异议")
        assert r.status_code == 409, r.text
        err = r.json()
        assert err["code"] == "OBJECTION_WINDOW_CLOSED", err
        assert f"公示期已于{format_close(n.closes_at)}（北京时间）届满" in err["message_zh"], err
        assert f"{format_close(n.closes_at)} CST" in err["message_en"], err
        assert datetime.fromisoformat(err["details"]["closes_at"]) == n.closes_at
