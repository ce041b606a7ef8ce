"""What the office meets in its first real year, through the HTTP API on the real servers: a panel
the pool cannot fill is filled by a later draw once the pool has changed; an expert disqualified
after their reviews are done is disqualified all the same and reads nothing any more; a step on a
workflow that has ended answers 409, never 404; reads answer while Temporal is unreachable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import ADMIN, OFFICE, TEST_KEYS
from support import expect_list, login

from api.app import create_app
from config.settings import Settings
from config.temporal import connect
from devstack.ports import free_port
from devstack.scenario import Scenario, eventually, expect


async def opened(api: httpx.AsyncClient, *, deadline_in: float) -> Scenario:
    sc = Scenario(api, await login(api, *OFFICE), datetime.now(UTC).year + 1, admin=await login(api, *ADMIN))
    await sc.open_cycle(
        application_deadline=(datetime.now(UTC) + timedelta(seconds=deadline_in)).isoformat(),
        demo=True,
        expert_load_cap=5,
        document_review_period=600,
        review_reminder_before=60,
    )
    return sc


async def assigned(api: httpx.AsyncClient, sc: Scenario, app_id: str) -> list[dict[str, Any]] | None:
    """The review assignments of the application, once the outbox has delivered them."""
    found = []
    for expert_id, h in sc.expert_heads.items():
        found += [
            n | {"read_by": expert_id}
            for n in expect_list(await api.get("/notices", headers=h))
            if n["kind"] == "REVIEW_ASSIGNMENT"
        ]
    return [n for n in found if app_id in n["body"]] or None


@pytest.mark.req("R9.1")
@pytest.mark.req("R20.1")
@pytest.mark.req("R14.2")
@pytest.mark.req("P2")
async def test_a_short_panel_is_filled_once_the_pool_has_changed(api: httpx.AsyncClient) -> None:
    sc = await opened(api, deadline_in=8)
    await sc.enterprise(71, "鹿城组评补足测试有限公司")
    e1, e2 = await sc.expert(71, fields=("INDUSTRY",)), await sc.expert(72, fields=("INDUSTRY",))
    app_id = await sc.apply(71, "QUALITY")
    await asyncio.sleep(8)
    assert (await sc.qualify(app_id))["qualified"] is True
    await sc.wait_cycle("DOCUMENT_REVIEW")

    # Two experts for a panel of three: the third seat cannot be filled within the rules.
    first = await sc.draw()
    assert first["panels"] == {} and first["unfilled_count"] == 1
    assert first["unfilled"][0]["application_id"] == app_id and first["unfilled"][0]["seat"] == 3
    assert sorted(m["expert_id"] for m in first["short"][app_id]) == sorted([e1["id"], e2["id"]])
    await asyncio.sleep(1)
    assert (await sc.app(app_id))["stage"] == "AWAITING_DOCUMENT_REVIEW"  # no review on a short panel
    assert await assigned(api, sc, app_id) is None
    r = await api.post(f"/cycles/{sc.year}/panels", headers=sc.office, json={"visits": {}})
    assert r.status_code == 200 and r.json()["panels"] == {}, r.text  # the pool has not changed

    # The office registers a third expert; a new draw fills the empty seat, the two keep theirs.
    e3 = await sc.expert(73, fields=("INDUSTRY",))
    second = await sc.draw()
    panel = second["panels"][app_id]
    assert sorted(m["expert_id"] for m in panel) == sorted([e1["id"], e2["id"], e3["id"]])
    assert sum(m["leader"] for m in panel) == 1 and not second["unfilled"]
    record = expect(await api.get(f"/draws/{second['draw_id']}", headers=sc.office), 200)
    assert sorted(record["inputs"]["seated"][app_id]) == sorted([e1["id"], e2["id"]])
    assert record["inputs"]["fills"] == {app_id: [first["draw_id"]]}  # linked to the draw it fills
    for draw_id in (first["draw_id"], second["draw_id"]):  # anyone may re-run both
        verified = expect(await api.get(f"/draws/{draw_id}/verify", headers=sc.committee["chair"]), 200)
        assert verified["matches"] is True and verified["recorded_hash"] == verified["recomputed_hash"]

    # The full panel is announced: every member is told and the review takes its course.
    await sc.wait_stage(app_id, "DOCUMENT_REVIEW")

    # Each inbox is read in its own request and the relay may deliver between two of them: wait
    # until every member's inbox shows it, then check each member got exactly one.
    async def all_told() -> list[dict[str, Any]] | None:
        notes = await assigned(api, sc, app_id)
        return notes if notes and len(notes) >= 3 else None

    notes = await eventually(all_told, what="the assignments of all three members")
    assert sorted(n["read_by"] for n in notes) == sorted(m["expert_id"] for m in panel)
    assert await sc.document_review(app_id, 70)


@pytest.mark.req("R20.2")
@pytest.mark.req("R20.3")
@pytest.mark.req("R14.1")
@pytest.mark.req("P2")
async def test_disqualification_works_whatever_the_panels_and_ended_steps_answer_409(
    api: httpx.AsyncClient,
) -> None:
    sc = await opened(api, deadline_in=10)
    await sc.enterprise(81, "鹿城纪律测试一号有限公司")
    await sc.enterprise(82, "鹿城纪律测试二号有限公司")
    await sc.enterprise(83, "鹿城纪律测试三号有限公司")  # its material is found untruthful: not qualified
    experts = [await sc.expert(k, fields=("INDUSTRY",)) for k in (81, 82, 83)]
    a1, a2, a3 = await sc.apply(81, "QUALITY"), await sc.apply(82, "QUALITY"), await sc.apply(83, "QUALITY")
    await asyncio.sleep(10)
    assert (await sc.qualify(a1))["qualified"] and (await sc.qualify(a2))["qualified"]
    assert (await sc.qualify(a3, truthful=False))["qualified"] is False
    await sc.wait_cycle("DOCUMENT_REVIEW")
    draw = await sc.draw()
    assert set(draw["panels"]) == {a1, a2}  # three experts sit on both panels
    await sc.document_review(a1, 70)  # the review of a1 is finished; a2's is open
    await sc.wait_stage(a1, "AWAITING_ONSITE_LIST")
    await sc.wait_stage(a2, "DOCUMENT_REVIEW")
    alternate = await sc.expert(84, fields=("INDUSTRY",))

    gone = experts[0]
    gone_heads = sc.expert_heads[gone["id"]]
    assert expect(await api.get(f"/applications/{a1}", headers=gone_heads), 200)["id"] == a1
    r = await api.post(
        f"/experts/{gone['id']}/discipline",
        headers=sc.office,
        json={"kind": "DISQUALIFICATION", "reason": "收受申报单位礼品"},
    )
    assert r.status_code == 200 and r.json()["status"] == "DISQUALIFIED", r.text
    # the open panel has an alternate; the finished review stays as it was recorded
    a2_panel = (await sc.app(a2))["panels"]["DOCUMENT"]
    assert gone["id"] not in {m["expert_id"] for m in a2_panel}
    assert alternate["id"] in {m["expert_id"] for m in a2_panel}
    a1_panel = (await sc.app(a1))["panels"]["DOCUMENT"]
    assert gone["id"] in {m["expert_id"] for m in a1_panel}
    # from now on the expert reads nothing, past or present
    r = await api.get("/expert/assignments", headers=gone_heads)
    assert r.status_code == 403 and r.json()["code"] == "EXPERT_DISQUALIFIED", r.text
    for app_id in (a1, a2):
        assert (await api.get(f"/applications/{app_id}", headers=gone_heads)).status_code == 403
    document = (await sc.app(a1))["documents"][0]["sha256"]
    assert (await api.get(f"/documents/{document}", headers=gone_heads)).status_code == 404  # not disclosed
    # repeating it changes nothing and fails nowhere
    again = await api.post(
        f"/experts/{gone['id']}/discipline",
        headers=sc.office,
        json={"kind": "DISQUALIFICATION", "reason": "收受申报单位礼品"},
    )
    assert again.status_code == 200, again.text
    # another member of the finished panel still reads it while the cycle runs (the default rule)
    assert (
        await api.get(f"/applications/{a1}", headers=sc.expert_heads[experts[1]["id"]])
    ).status_code == 200

    # A step on an application whose workflow has ended: 409 with a code that says so.
    await sc.wait_stage(a3, "NOT_QUALIFIED")
    owner = sc.enterprise_heads[83]

    async def ended() -> httpx.Response | None:
        r = await api.post(f"/applications/{a3}/onsite-confirmation", headers=owner, json={"confirmed": True})
        return r if r.json().get("code") == "APPLICATION_CLOSED" else None

    r = await eventually(ended, what="the ended application's answer")
    assert r.status_code == 409 and "已经结束" in r.json()["message_zh"]


@pytest.mark.req("P5")
async def test_reads_answer_from_postgresql_while_temporal_is_unreachable(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    """The office's lists, an application and the cycle are read from PostgreSQL: a second API
    process whose Temporal is unreachable answers them; a step that needs a workflow is a 503."""
    sc = await opened(api, deadline_in=30)
    await sc.enterprise(91, "鹿城只读测试有限公司")
    app_id = await sc.apply(91, "QUALITY")
    nowhere = await connect(f"127.0.0.1:{free_port()}", "default", TEST_KEYS, lazy=True)
    cut_off = create_app(settings.model_copy(update={"temporal_rpc_timeout_seconds": 2}), nowhere)
    async with cut_off.router.lifespan_context(cut_off):
        transport = httpx.ASGITransport(app=cut_off)
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=30) as other:
            a = expect(await other.get(f"/applications/{app_id}", headers=sc.office), 200)
            assert a["stage"] == "SUBMITTED" and a["waiting_for"]
            page = expect(await other.get("/applications", headers=sc.office, params={"year": sc.year}), 200)
            assert [x["id"] for x in page["items"]] == [app_id]
            c = expect(await other.get(f"/cycles/{sc.year}", headers=sc.office), 200)
            assert c["stage"] == "CALL_OPEN" and c["stages"] == {"SUBMITTED": 1}
            r = await other.post(
                f"/cycles/{sc.year}/deadline",
                headers=sc.office,
                json={"new_deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(), "reason": "延期"},
            )
            assert r.status_code == 503 and r.json()["code"] == "WORKFLOW_SERVICE_UNAVAILABLE", r.text
