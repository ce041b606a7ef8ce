"""The run-off ballot (决选投票, Art. 14(4), R14.6) on the time-skipping server, driven through the
HTTP API: a tie across an award's cut-off holds the notice back; the office convenes a run-off
among the tied candidates for the seats left; a run-off that ties again is held again; the list is
completed from the run-offs before it is published; or the committee leaves the seats vacant
(宁缺毋滥). Production rules (quota 1 for the quality award), the clock moved only by `env.sleep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from conftest import DATA_CONVERTER
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from timeskip import award_api, cycle, env, scenario

from config.settings import Settings
from db import models as m
from devstack.scenario import COMMITTEE, Scenario, eventually, expect
from domain.calendar import cst_date
from worker.main import WORKFLOWS, workflow_runner

__all__ = ["env"]  # the time-skipping server fixture (tests/timeskip.py)
pytestmark = pytest.mark.req("R14.6")
EVERYONE = [u for u, _ in COMMITTEE]


@dataclass
class Tie:
    sc: Scenario
    tied: list[str]  # the two QUALITY candidates tied for the one seat
    other: str  # an INNOVATION candidate listed by the plenary
    plenary: str


async def to_tie(env: WorkflowEnvironment, sc: Scenario) -> Tie:
    """Two QUALITY candidates with the same scores (quota 1) and one INNOVATION candidate; the
    plenary approves all three: the QUALITY pair ties across the cut-off."""
    now = await env.get_current_time()
    await sc.open_cycle(application_deadline=(now + timedelta(hours=1)).isoformat(), quota_quality=1)
    for n, name in (
        (1, "鹿城决选测试一号有限公司"),
        (2, "鹿城决选测试二号有限公司"),
        (3, "鹿城决选测试三号有限公司"),
    ):
        await sc.enterprise(n, name)
    for k in range(1, 10):
        await sc.expert(k)
    a1 = await sc.apply(1, "QUALITY", self_pct=80)
    a2 = await sc.apply(2, "QUALITY", self_pct=80)
    a3 = await sc.apply(3, "INNOVATION", self_pct=80)
    apps = [a1, a2, a3]
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
    for a in apps:
        await sc.onsite_review(a, 80)  # the same scores: a1 and a2 tie on (votes, final, document)
    meeting = await sc.convene()
    for member in EVERYONE:
        expect(await sc.vote(meeting["meeting_id"], member, dict.fromkeys(apps, "APPROVE")), 200)
    return Tie(sc, sorted([a1, a2]), a3, meeting["meeting_id"])


async def waiting_for_runoff(sc: Scenario, candidates: int, seats: int) -> dict[str, Any]:
    want = f"Run-off ballot (决选投票) among {candidates} tied candidates for {seats} seat"

    async def probe() -> dict[str, Any] | None:
        c = await cycle(sc)
        return c if c["stage"] == "RUNOFF" and c["waiting_for"].startswith(want) else None

    return await eventually(probe, what=f"the cycle waiting for a run-off ({want})")


async def closed(sc: Scenario, meeting_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        r = expect(await sc.api.get(f"/meetings/{meeting_id}", headers=sc.office), 200)
        return r if r["state"] == "CLOSED" else None

    return await eventually(probe, what=f"{meeting_id} closed")


async def test_a_tie_at_the_cut_off_goes_to_a_run_off_held_again_until_settled(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        t = await to_tie(env, await scenario(env, api, settings))
        sc, (a1, a2) = t.sc, t.tied

        # The plenary's tally leaves the pair tied for the one seat: no notice, a run-off step.
        c = await waiting_for_runoff(sc, 2, 1)
        assert "QUALITY (区政府质量奖)" in c["waiting_for"], c
        assert (await api.get(f"/public/preliminary/{sc.year}")).status_code == 404
        plenary = await closed(sc, t.plenary)
        assert {x["candidate_id"]: x["approve"] for x in plenary["tally"]} == dict.fromkeys(
            [a1, a2, t.other], 5
        )
        # a vacancy needs reasons; the seat check refuses a plain member
        member = sc.committee["member1"]
        r = await api.post(f"/cycles/{sc.year}/runoff/vacancy", headers=member, json={"reason": "宁缺毋滥"})
        assert r.status_code == 403, r.text

        # Run-off 1 among the tied pair only: everyone approves both, so they tie again.
        first = expect(
            await api.post(f"/cycles/{sc.year}/runoff", headers=sc.office, json={"attendees": EVERYONE}), 200
        )
        assert first["meeting_id"] == f"{sc.year}-runoff-1"
        assert sorted(first["candidates"]) == [a1, a2] and first["seats"] == 1 and first["award"] == "QUALITY"
        again = await api.post(f"/cycles/{sc.year}/runoff", headers=sc.office, json={"attendees": EVERYONE})
        assert again.status_code == 409 and again.json()["code"] == "RUNOFF_NOT_OPEN", again.text
        # a ballot naming a candidate outside the run-off is refused
        r = await sc.vote(first["meeting_id"], "chair", {a1: "APPROVE", a2: "APPROVE", t.other: "APPROVE"})
        assert r.status_code == 422 and r.json()["code"] == "BALLOT_UNKNOWN_CANDIDATE", r.text
        for who in EVERYONE:
            expect(await sc.vote(first["meeting_id"], who, {a1: "APPROVE", a2: "APPROVE"}), 200)
        one = await closed(sc, first["meeting_id"])
        assert one["kind"] == "RUNOFF" and one["seats"] == 1
        assert {x["candidate_id"]: x["approve"] for x in one["tally"]} == {a1: 5, a2: 5}
        await waiting_for_runoff(sc, 2, 1)  # tied again: another run-off for the same seat

        # Run-off 2: a1 gets 3 of 5 (passes), a2 2 of 5 (does not): a1 takes the seat.
        second = expect(
            await api.post(f"/cycles/{sc.year}/runoff", headers=sc.office, json={"attendees": EVERYONE}), 200
        )
        assert second["meeting_id"] == f"{sc.year}-runoff-2"
        for who in EVERYONE:
            choice = (
                {a1: "APPROVE", a2: "REJECT"}
                if who in ("chair", "vice1", "vice2")
                else {a1: "REJECT", a2: "APPROVE"}
            )
            expect(await sc.vote(second["meeting_id"], who, choice), 200)
        await sc.wait_cycle("PUBLIC_NOTICE")
        recount = expect(await api.get(f"/meetings/{second['meeting_id']}/recount", headers=sc.office), 200)
        assert recount["equal"] is True
        assert {x["candidate_id"]: x["approve"] for x in recount["published"]} == {a1: 3, a2: 2}

        # The notice publishes the list completed from the run-offs.
        pub = await eventually(lambda: _published(sc))
        listed = {w["application_id"]: w for w in pub["list"]}
        assert set(listed) == {a1, t.other}, pub
        assert listed[a1]["runoff"] == second["meeting_id"] and listed[t.other]["runoff"] is None
        assert pub["runoffs"] == [first["meeting_id"], second["meeting_id"]]
        async with sessions() as s:
            notice = await s.scalar(select(m.Notice).where(m.Notice.key == f"preliminary-{sc.year}"))
            assert notice is not None
            assert "决选投票" in notice.body and "鹿城决选测试一号有限公司（经决选投票确定）" in notice.body
            actions = (
                await s.scalars(select(m.AuditEntry.action).where(m.AuditEntry.action.like("RUNOFF_%")))
            ).all()
        assert sorted(actions) == sorted(["RUNOFF_CONVENED", "RUNOFF_TALLIED", "RUNOFF_DECIDED"] * 2)

        # the run-offs' path replays deterministically on this code
        history = await env.client.get_workflow_handle(f"award-cycle-{sc.year}").fetch_history()
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=workflow_runner())
    await replayer.replay_workflow(history)


async def test_the_committee_may_leave_the_seats_of_a_tie_vacant(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        t = await to_tie(env, await scenario(env, api, settings))
        sc = t.sc
        await waiting_for_runoff(sc, 2, 1)
        chair = sc.committee["chair"]
        r = await api.post(f"/cycles/{sc.year}/runoff/vacancy", headers=chair, json={"reason": "   "})
        assert r.status_code == 422, r.text  # no reasons: refused, nothing stored
        r = await api.post(
            f"/cycles/{sc.year}/runoff/vacancy", headers=sc.office, json={"reason": "宁缺毋滥"}
        )
        assert r.status_code == 403, r.text  # the committee decides, not the office
        reason = "两家申报得分与得票完全相同，评委会认为均未明显优于对方，宁缺毋滥，名额空缺"
        body = expect(
            await api.post(f"/cycles/{sc.year}/runoff/vacancy", headers=chair, json={"reason": reason}), 200
        )
        assert body["vacant_seats"] == 1
        await sc.wait_cycle("PUBLIC_NOTICE")
        r = await api.post(f"/cycles/{sc.year}/runoff", headers=sc.office, json={"attendees": EVERYONE})
        assert r.status_code == 409, r.text  # nothing open any more

        pub = await eventually(lambda: _published(sc))
        assert [w["application_id"] for w in pub["list"]] == [t.other]
        assert pub["vacated"] == {"QUALITY": 1} and pub["runoffs"] == []
        async with sessions() as s:
            rows = (await s.scalars(select(m.SeatVacancy).where(m.SeatVacancy.cycle_year == sc.year))).all()
            assert [(v.award, v.seats, sorted(v.application_ids), v.reason, v.source) for v in rows] == [
                ("QUALITY", 1, t.tied, reason, t.plenary)
            ]
            audit = (
                await s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "SEATS_LEFT_VACANT"))
            ).all()
            assert len(audit) == 1 and audit[0].actor == "chair" and audit[0].reason == reason
            notice = await s.scalar(select(m.Notice).where(m.Notice.key == f"preliminary-{sc.year}"))
            assert notice is not None and "区政府质量奖：空缺" in notice.body and "1个名额空缺" in notice.body


async def _published(sc: Scenario) -> dict[str, Any] | None:
    r = await sc.api.get(f"/public/preliminary/{sc.year}")
    return r.json() if r.status_code == 200 else None
