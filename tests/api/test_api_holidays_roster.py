"""Issue 9, points 6 and 7, through the HTTP API: the office records a year's statutory holidays
(validated, audited); a cycle's rules are refused — at approval and at the start — while the years
its periods reach have no rest-day data, and freeze the data when it starts; the Art. 6 roster."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from conftest import ADMIN, OFFICE
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import expect_list, login

from api.schemas import CycleStart
from db import models as m
from devstack.holidays import calendar_for_tests_body, calendar_of
from devstack.scenario import COMMITTEE_POSTS, Scenario, expect, password_of, roster_body
from domain.calendar import CST, shipped_holiday_years
from domain.rules import rules_fingerprint

Sessions = async_sessionmaker[AsyncSession]


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["message_zh"] and body["message_en"], body
    return body


async def audit(api: httpx.AsyncClient, office: dict[str, str], action: str) -> list[dict[str, Any]]:
    return expect_list(await api.get("/audit", headers=office, params={"action": action, "page_size": 1000}))


@pytest.mark.req("P4")
async def test_the_office_records_a_years_holidays_validated_and_audited(api: httpx.AsyncClient) -> None:
    office = await login(api, *OFFICE)
    shipped = expect_list(await api.get("/holiday-calendars", headers=office))
    assert {y["year"] for y in shipped if y["shipped"]} >= {2024, 2025}
    y2025 = expect(await api.get("/holiday-calendars/2025", headers=office), 200)
    assert "国办发明电〔2024〕12号" in y2025["source"] and "2025-10-08" in y2025["holidays"]
    assert "2025-09-28" in y2025["workdays"]

    year = 2031  # a year nobody has data for
    refused(await api.get(f"/holiday-calendars/{year}", headers=office), 404, "NOT_FOUND")
    body = {
        "source": "国务院办公厅关于2031年部分节假日安排的通知（示例）",
        "holidays": ["2031-01-01", "2031-10-01", "2031-10-02", "2031-10-03"],
        "workdays": ["2031-09-28"],  # a Sunday
        "note": "测试录入",
    }
    for bad, code in (
        ({"holidays": ["2030-12-31"]}, "HOLIDAY_DATE_OUTSIDE_YEAR"),
        ({"holidays": ["2031-09-28"]}, "HOLIDAY_DAY_CONFLICT"),  # also a working day
        ({"workdays": ["2031-09-29"]}, "HOLIDAY_WORKDAY_NOT_WEEKEND"),  # a Monday
        ({"holidays": ["2031-01-01", "2031-01-01"]}, "HOLIDAY_DATE_DUPLICATE"),
        ({"source": "   "}, "HOLIDAY_SOURCE_REQUIRED"),
    ):
        refused(await api.post(f"/holiday-calendars/{year}", headers=office, json={**body, **bad}), 422, code)
    refused(
        await api.post("/holiday-calendars/2025", headers=office, json=body), 409, "HOLIDAY_CALENDAR_SHIPPED"
    )
    admin = await login(api, *ADMIN)
    assert (await api.post(f"/holiday-calendars/{year}", headers=admin, json=body)).status_code == 403

    created = expect(await api.post(f"/holiday-calendars/{year}", headers=office, json=body), 201)
    assert created["shipped"] is False and created["recorded_by"] == OFFICE[0]
    assert created["holidays"][0] == "2031-01-01" and created["workdays"] == ["2031-09-28"]
    refused(
        await api.post(f"/holiday-calendars/{year}", headers=office, json=body),
        409,
        "HOLIDAY_CALENDAR_EXISTS",
    )
    corrected = {**body, "holidays": [*body["holidays"], "2031-10-06"], "replace": True}
    expect(await api.post(f"/holiday-calendars/{year}", headers=office, json=corrected), 201)
    got = expect(await api.get(f"/holiday-calendars/{year}", headers=office), 200)
    assert "2031-10-06" in got["holidays"]
    assert year in {y["year"] for y in expect_list(await api.get("/holiday-calendars", headers=office))}

    [recorded] = [
        e for e in await audit(api, office, "HOLIDAY_CALENDAR_RECORDED") if e["entity_id"] == "2031"
    ]
    assert recorded["actor"] == OFFICE[0] and recorded["reason"] == "测试录入"
    assert recorded["details"]["workdays"] == ["2031-09-28"]
    [replaced] = await audit(api, office, "HOLIDAY_CALENDAR_REPLACED")
    assert replaced["details"]["previous"]["holidays"] == body["holidays"]
    assert "2031-10-06" in replaced["details"]["holidays"]


@pytest.mark.req("R7.1")
@pytest.mark.req("R21.1")
@pytest.mark.no_holiday_data
async def test_a_cycle_is_refused_while_its_years_have_no_holiday_data(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    """A deadline of 15 January next year: the cycle's periods reach next year and the year after,
    which no State Council notice covers yet. Approving and starting are refused until the office
    records them; then the cycle starts with the data frozen into its rules. Demo rules are exempt."""
    office = await login(api, *OFFICE)
    this_year = datetime.now(CST).year
    year = this_year + 1
    deadline = datetime(year, 1, 15, 17, 0, tzinfo=CST)
    missing = [y for y in (year, year + 1) if y not in shipped_holiday_years()]
    assert missing, "a year without a shipped notice"
    sc = Scenario(api, office, year, admin=await login(api, *ADMIN))
    await sc.seat_committee()
    chair = sc.committee["chair"]
    rules = {"year": year, "application_deadline": deadline.isoformat()}

    r = await api.post(f"/cycles/{year}/rules/approve", headers=chair, json={"rules": rules})
    body = refused(r, 409, "HOLIDAY_CALENDAR_MISSING")
    assert body["details"]["missing_years"] == missing
    assert f"{missing[-1]}年" in body["message_zh"] and "POST /holiday-calendars" in body["message_en"]

    # Demo rules (counted in seconds) are exempt.
    demo = {**rules, "demo": True, "public_notice_period": 30}
    expect(await api.post(f"/cycles/{year}/rules/approve", headers=chair, json={"rules": demo}), 200)

    # An approval recorded before the data was required does not let the cycle start either.
    async with sessions.begin() as s:
        approval = await s.get(m.RulesApproval, year)
        assert approval is not None
        doc = CycleStart.model_validate(rules).document()  # as the API fingerprints it
        approval.rules, approval.rules_hash = doc, rules_fingerprint(doc)
    r = await api.post("/cycles", headers=office, json=rules)
    assert refused(r, 409, "HOLIDAY_CALENDAR_MISSING")["details"]["missing_years"] == missing
    assert (await api.get(f"/cycles/{year}", headers=office)).status_code == 404  # nothing started

    # The office records the years (here explicit test calendars, saying so); then both pass.
    for y in missing:
        expect(
            await api.post(f"/holiday-calendars/{y}", headers=office, json=calendar_for_tests_body(y)), 201
        )
    assert {e["entity_id"] for e in await audit(api, office, "HOLIDAY_CALENDAR_RECORDED")} == set(
        map(str, missing)
    )
    expect(await api.post(f"/cycles/{year}/rules/approve", headers=chair, json={"rules": rules}), 200)
    started = expect(await api.post("/cycles", headers=office, json=rules), 201)
    assert started["stage"] == "CALL_OPEN"

    # The data of those years is frozen into the cycle's rules (R21.1): what its workflows count with.
    frozen = expect(await api.get(f"/cycles/{year}", headers=office), 200)["rules"]
    calendar = calendar_of(frozen)
    assert calendar is not None and calendar.missing((year, year + 1)) == []
    assert all("测试日历" in calendar.year(y).source for y in missing)  # type: ignore[union-attr]
    assert [y.year for y in calendar.years] == [year, year + 1]
    assert datetime.now(UTC) < deadline


@pytest.mark.req("R6.1")
async def test_the_roster_of_article_6_names_the_chair_the_vice_chairs_and_every_post(
    api: httpx.AsyncClient,
) -> None:
    office = await login(api, *OFFICE)
    year = datetime.now(CST).year + 1
    sc = Scenario(api, office, year, admin=await login(api, *ADMIN))
    for u in COMMITTEE_POSTS:
        sc.committee[u] = await sc.account(u, "committee", password_of(u), f"评委{u}")
    gov = await sc.account("gov", "government", password_of("gov"), "区政府")
    good = roster_body()

    def without(username: str) -> dict[str, Any]:
        return {"members": [x for x in good["members"] if x["username"] != username]}

    def changed(username: str, **change: str) -> dict[str, Any]:
        return {"members": [{**x, **change} if x["username"] == username else x for x in good["members"]]}

    url = f"/cycles/{year}/committee"
    for body, code in (
        (without("chair"), "ROSTER_CHAIR"),
        (without("vice2"), "ROSTER_VICE_CHAIRS"),
        (changed("vice1", position="MEMBER"), "ROSTER_VICE_CHAIRS"),
        (changed("chair", post="区市场监管局副局长"), "ROSTER_CHAIR_POST"),
        (changed("vice2", post="区发展和改革局局长"), "ROSTER_VICE_CHAIRS"),
        (changed("member1", post=""), "ROSTER_POST_REQUIRED"),
    ):
        refused(await api.post(url, headers=office, json=body), 422, code)
    assert (await api.get(url)).status_code == 404

    expect(await api.post(url, headers=office, json=good), 201)
    assert (await api.post(f"{url}/approve", headers=office, json={"document_no": "x"})).status_code == 403
    expect(await api.post(f"{url}/approve", headers=gov, json={"document_no": f"鹿政办〔{year}〕5号"}), 200)
    published = expect(await api.get(url), 200)
    posts = {(x["position"], x["post"]) for x in published["members"]}
    assert {("CHAIR", "区政府分管副区长"), ("VICE_CHAIR", "区政府办公室联系副主任")} <= posts
    assert ("VICE_CHAIR", "区市场监管局局长") in posts and all(x["post"] for x in published["members"])

    notices = expect_list(await api.get("/public/notices"))
    [notice] = [n for n in notices if n["kind"] == "COMMITTEE_ROSTER" and str(year) in n["title"]]
    assert "主任：评委chair（区政府分管副区长）" in notice["body"]
    assert (
        "副主任：评委vice2（区市场监管局局长）" in notice["body"] and f"鹿政办〔{year}〕5号" in notice["body"]
    )
