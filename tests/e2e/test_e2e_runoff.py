"""The run-off ballot (决选投票, R14.6) end to end on real servers, through the HTTP API: the same
secret ballot as the plenary — quorum against the roster, a member recused from a candidate cannot
vote on it, one ballot each, sealed ballots opened once and the key destroyed, the office may close
it early, its tally published and its recount equal — among the tied candidates only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from conftest import ADMIN, OFFICE
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_e2e_committee import DEMO_RULES, through_review
from test_e2e_sealed_ballot import read_as_operator

from db import ballot_box
from devstack.scenario import COMMITTEE, Scenario, eventually, expect
from domain.ballot import Choice, Vote

EVERYONE = [u for u, _ in COMMITTEE]


@pytest.mark.req("R14.6")
@pytest.mark.req("P7")
async def test_a_run_off_keeps_the_secrecy_quorum_and_recusals_of_the_plenary(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    office = await Scenario.login(api, *OFFICE)
    year = datetime.now(UTC).year + 1
    sc = Scenario(api, office, year, admin=await Scenario.login(api, *ADMIN))
    monkeypatch.setitem(DEMO_RULES, "quota_quality", 2)
    # E1 scores highest; E2 and E8 get the same sheets (through_review varies 4.1.1 by n % 6)
    await through_review(
        sc, {1: ("QUALITY", 70, 80), 2: ("QUALITY", 70, 70), 8: ("QUALITY", 70, 70)}, experts=9
    )
    e1, e2, e8 = sc.applications[1], sc.applications[2], sc.applications[8]
    expect(
        await api.post(
            f"/cycles/{year}/committee/recusals",
            headers=sc.committee["member2"],
            json={"username": "member2", "application_id": e8, "reason": "近三年曾为该企业提供咨询"},
        ),
        201,
    )
    plenary = (await sc.convene())["meeting_id"]
    for member in EVERYONE:
        choices = {e1: "APPROVE", e2: "APPROVE", e8: "APPROVE"}
        if member == "member2":  # recused from e8; rejects e2, so e2 and e8 tie at 4 approvals
            choices = {e1: "APPROVE", e2: "REJECT"}
        expect(await sc.vote(plenary, member, choices), 200)

    # The tie for the second seat holds the notice back.
    c = await sc.wait_cycle("RUNOFF")
    assert c["waiting_for"].startswith(
        "Run-off ballot (决选投票) among 2 tied candidates for 1 seat of QUALITY"
    ), c
    assert (await api.get(f"/public/preliminary/{year}")).status_code == 404

    # Without a quorum (2 of 5; 2/3 needed) the run-off is refused and nothing is stored.
    r = await api.post(f"/cycles/{year}/runoff", headers=office, json={"attendees": ["chair", "vice1"]})
    assert r.status_code == 409 and r.json()["code"] == "QUORUM_NOT_MET", r.text
    assert (await api.get(f"/meetings/{year}-runoff-1", headers=office)).status_code == 404
    r = await api.post(f"/cycles/{year}/runoff", headers=office, json={"attendees": ["chair", "stranger"]})
    assert r.status_code == 422 and r.json()["code"] == "NOT_COMMITTEE_MEMBERS", r.text
    # only the office convenes
    r = await api.post(f"/cycles/{year}/runoff", headers=sc.committee["chair"], json={"attendees": EVERYONE})
    assert r.status_code == 403, r.text

    runoff = expect(
        await api.post(f"/cycles/{year}/runoff", headers=office, json={"attendees": EVERYONE}), 200
    )
    mid = runoff["meeting_id"]
    assert mid == f"{year}-runoff-1" and sorted(runoff["candidates"]) == sorted([e2, e8])
    assert (runoff["award"], runoff["seats"], runoff["present"], runoff["roster"]) == ("QUALITY", 1, 5, 5)
    # the plenary's ballot is closed; the run-off's is open
    r = await sc.vote(plenary, "member1", {e1: "APPROVE", e2: "APPROVE", e8: "APPROVE"})
    assert r.status_code == 409 and r.json()["code"] == "BALLOT_CLOSED", r.text
    # a member recused from a candidate cannot vote on it in the run-off either
    r = await sc.vote(mid, "member2", {e2: "REJECT", e8: "APPROVE"})
    assert r.status_code == 422 and r.json()["code"] == "BALLOT_RECUSED_CANDIDATE", r.text
    ballots = {
        "member2": {e2: "REJECT"},
        "chair": {e2: "REJECT", e8: "APPROVE"},
        "vice1": {e2: "APPROVE", e8: "APPROVE"},
        "vice2": {e2: "REJECT", e8: "APPROVE"},
    }
    for member, choices in ballots.items():
        expect(await sc.vote(mid, member, choices), 200)
    r = await sc.vote(mid, "member2", {e2: "APPROVE"})
    assert r.status_code == 409 and r.json()["code"] == "ALREADY_VOTED", r.text

    # While it is open: four sealed ballots in the box, no marks, the key wrapped.
    async def four_in() -> bool:
        view = await read_as_operator(sessions, mid)
        return len(view.box) == 4 and sum(t["voted"] for t in view.turnout) == 4

    await eventually(four_in, what="four run-off ballots in the box")
    opened = await read_as_operator(sessions, mid)
    assert not opened.marks and opened.key["wrapped_private_key"] is not None
    assert not any(e.encode() in bytes(x["sealed"]) for x in opened.box for e in (e2, e8, "APPROVE"))

    # The office closes it before member1 votes (an absent mark counts as not approving).
    expect(await api.post(f"/cycles/{year}/meeting/close", headers=office), 200)
    await sc.wait_cycle("PUBLIC_NOTICE")

    # e8: 3 of its 4 eligible approve (passes); e2: 1 of 5 (fails): e8 takes the seat.
    recount = expect(await api.get(f"/meetings/{mid}/recount", headers=sc.committee["member1"]), 200)
    assert recount["equal"] is True and recount["published"] == recount["recount"]
    by = {t["candidate_id"]: t for t in recount["published"]}
    assert (by[e8]["approve"], by[e8]["reject"], by[e8]["recused"], by[e8]["passed"]) == (3, 0, 1, True)
    assert (by[e2]["approve"], by[e2]["reject"], by[e2]["passed"]) == (1, 3, False)
    meeting = expect(await api.get(f"/meetings/{mid}", headers=office), 200)
    assert (meeting["kind"], meeting["state"], meeting["voted"]) == ("RUNOFF", "CLOSED", 4)

    # Opened once: the box is empty, the key destroyed, the marks a function of the tally alone.
    closed = await read_as_operator(sessions, mid)
    assert not closed.box and closed.key["wrapped_private_key"] is None
    from_tally = [
        Vote(t["candidate_id"], choice)
        for t in recount["published"]
        for choice, n in ((Choice.APPROVE, t["approve"]), (Choice.REJECT, t["reject"]))
        for _ in range(n)
    ]
    assert [(x["id"], x["candidate_id"], x["choice"]) for x in closed.marks] == [
        (x["id"], x["candidate_id"], x["choice"]) for x in ballot_box.canonical_marks(mid, from_tally)
    ]
    # the plenary's recount is untouched by the run-off
    assert expect(await api.get(f"/meetings/{plenary}/recount", headers=office), 200)["equal"] is True

    # The notice lists the plenary's winner and the run-off's.
    async def published() -> dict[str, Any] | None:
        r = await api.get(f"/public/preliminary/{year}")
        return r.json() if r.status_code == 200 else None

    pub = await eventually(published)
    assert [(w["application_id"], w["runoff"]) for w in pub["list"]] == [(e1, None), (e8, mid)]
