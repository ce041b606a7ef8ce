"""A ballot nobody can link (issue 8 point 2, R14.6, P7), through the API, the worker and the real
servers: an operator who reads any one of PostgreSQL (every table and system column, with commit
timestamps on), the Temporal histories or the logs — while the ballot is open and after it has
closed — plays the known attacks and cannot tell how any member voted; the recount still equals
the published tally. The design is in db/ballot_box.py and the README (Security)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import ADMIN, LIVE, OFFICE, readable
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from test_e2e_committee import through_review

from api.app import create_app
from config.settings import Settings
from db import ballot_box
from db.ballot_box import BallotKeyring, MeetingKey
from devstack.ports import free_port
from devstack.scenario import Scenario, expect
from domain.ballot import Choice, Vote, decode_ballot

Sessions = async_sessionmaker[AsyncSession]
CHOICES = ("APPROVE", "REJECT")


@dataclass
class OperatorView:
    """Everything a reader of PostgreSQL sees of one meeting's ballot, system columns included,
    and every row of every table with the transaction that wrote it."""

    turnout: list[dict[str, Any]]
    box: list[dict[str, Any]]
    marks: list[dict[str, Any]]
    key: dict[str, Any]
    rows_by_xmin: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    everything: str = ""


async def read_as_operator(sessions: Sessions, meeting_id: str) -> OperatorView:
    def system(table: str) -> str:
        return (
            f"select x.*, x.xmin::text as xmin_, x.ctid::text as ctid_, "
            f"pg_xact_commit_timestamp(x.xmin) as committed_ from {table} x where x.meeting_id = :m "
            "order by x.ctid"
        )

    async with sessions() as s:

        async def rows(table: str) -> list[dict[str, Any]]:
            return [dict(r) for r in (await s.execute(text(system(table)), {"m": meeting_id})).mappings()]

        view = OperatorView(
            await rows("ballot_turnout"),
            await rows("sealed_ballots"),
            await rows("ballot_votes"),
            (await rows("ballot_keys"))[0],
        )
        tables = (
            await s.scalars(text("select tablename from pg_tables where schemaname = 'public' order by 1"))
        ).all()
        dump = []
        for t in tables:
            for xmin, row in (
                await s.execute(text(f'select x.xmin::text, row_to_json(x)::text from "{t}" x'))
            ).all():
                view.rows_by_xmin.setdefault(xmin, []).append((t, row))
                dump.append(row)
        view.everything = "\n".join(dump)
    return view


def one(values: Any) -> Any:
    found = set(values)
    assert len(found) == 1, found
    return found.pop()


def assert_no_voter_beside_a_ballot(
    view: OperatorView, ballot_tables: set[str], identities: list[str]
) -> None:
    """Same-transaction attack: the transactions that wrote ballot rows wrote no row naming a voter
    (no turnout row, no user id, no name)."""
    ballot_xmins = {r["xmin_"] for r in view.box + view.marks}
    for xmin in ballot_xmins:
        for table, row in view.rows_by_xmin[xmin]:
            if table in ballot_tables:
                continue
            record = json.loads(row)
            assert table != "ballot_turnout", row
            assert not any(k in record for k in ("user_id", "username", "voter")), (table, row)
            assert not any(name in row for name in identities), (table, row)


async def vote_over_http(
    settings: Settings, client: Client, meeting_id: str, headers: dict[str, str], choices: dict[str, str]
) -> None:
    """One ballot through a real uvicorn server (its access log on, in the test's log capture)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, client), host="127.0.0.1", port=port, log_config=None, access_log=True
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            r = await http.post(f"/meetings/{meeting_id}/ballot", headers=headers, json={"choices": choices})
            assert r.status_code == 200, r.text
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 30)


def private_key_of(view: OperatorView, meeting_id: str, settings: Settings) -> bytes:
    """What only the worker can do: unwrap the meeting's private key with the ballot secret."""
    key = view.key
    private = BallotKeyring(settings.ballot_secret).unwrap(
        meeting_id, MeetingKey(key["public_key"], key["wrapped_private_key"], key["key_id"])
    )
    return private.private_bytes_raw()


@pytest.mark.req("R14.6")
@pytest.mark.req("P7")
async def test_nobody_can_link_a_ballot_open_or_closed(
    api: httpx.AsyncClient,
    temporal_client: Client,
    sessions: Sessions,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    office = await Scenario.login(api, *OFFICE)
    year = datetime.now(UTC).year + 1
    sc = Scenario(api, office, year, admin=await Scenario.login(api, *ADMIN))
    await through_review(sc, {1: ("QUALITY", 70, 70), 2: ("INNOVATION", 70, 70)}, experts=6)
    a, b = sorted(sc.applications.values())
    expect(
        await api.post(
            f"/cycles/{year}/committee/recusals",
            headers=sc.committee["member2"],
            json={"username": "member2", "application_id": a, "reason": "曾任该企业顾问"},
        ),
        201,
    )
    meeting = await sc.convene(["chair", "vice1", "member1", "member2"])
    mid = meeting["meeting_id"]
    ballots = {
        "chair": {a: "APPROVE", b: "REJECT"},
        "vice1": {a: "REJECT", b: "APPROVE"},
        "member1": {a: "APPROVE", b: "APPROVE"},
        "member2": {b: "REJECT"},  # recused from a
    }
    async with sessions() as s:
        ids = dict((await s.execute(text("select username, id from users where role = 'committee'"))).all())
        names = (await s.scalars(text("select display_name from users where role = 'committee'"))).all()
    identities = [*ids, *names]

    for member in ("chair", "vice1"):
        assert (await sc.vote(mid, member, ballots[member])).status_code == 200
    two = await read_as_operator(sessions, mid)
    await vote_over_http(settings, temporal_client, mid, sc.committee["member1"], ballots["member1"])

    # A cast whose box transaction fails after the register's: the member is told, the register
    # is put back, nothing is half-stored, and the member votes again later.
    async def lost(*args: Any) -> None:
        raise OperationalError("INSERT INTO sealed_ballots", {}, ConnectionError("connection lost"))

    with monkeypatch.context() as patch:
        patch.setattr(ballot_box, "put_in_box", lost)
        r = await sc.vote(mid, "member2", ballots["member2"])
    assert r.status_code == 503 and r.json()["code"] == "BALLOT_NOT_RECORDED", r.text

    # ---- the ballot is open: 3 of 4 members have voted ----------------------------------------
    opened = await read_as_operator(sessions, mid)
    voted = {u: t["voted"] for t in opened.turnout for u, i in ids.items() if i == t["user_id"]}
    assert voted == {"chair": True, "vice1": True, "member1": True, "member2": False}
    assert len(opened.box) == 3 and not opened.marks
    # xmin: the register and the box were written by different transactions, and no transaction
    # that wrote a ballot wrote anything naming a voter
    assert_no_voter_beside_a_ballot(opened, {"sealed_ballots"}, identities)
    assert one(t["xmin_"] for t in opened.turnout) != one(x["xmin_"] for x in opened.box)
    # xmin, ctid and commit timestamps order nothing: one transaction id and one commit time for
    # every turnout row, another for every sealed ballot, and the ballots under fresh random ids
    assert one(t["committed_"] for t in opened.turnout) is not None  # track_commit_timestamp = on
    one(x["committed_"] for x in opened.box)
    assert {x["id"] for x in opened.box}.isdisjoint(x["id"] for x in two.box)
    assert all(uuid.UUID(x["id"]).version == 4 for x in opened.box)
    # what a ballot says shows neither in its size nor in its bytes
    assert one(len(x["sealed"]) for x in opened.box) == 32 + 1 + 2 + 16
    assert not any(c.encode() in x["sealed"] for x in opened.box for c in (*CHOICES, a, b))
    # Residual risk (README): bytes do not change when the box is rewritten, so a reader of two
    # moments (the WAL, dead row versions, two backups) sees which blob is new — a link from a
    # voter to an opaque blob, which opens only with the meeting's key.
    assert len({bytes(x["sealed"]) for x in opened.box} - {bytes(x["sealed"]) for x in two.box}) == 1
    # the key: a database reader has the public key and a wrapped private key, never the key
    raw = private_key_of(opened, mid, settings)
    assert raw.hex() not in opened.everything and settings.ballot_secret not in opened.everything
    # (the worker, with the key, finds exactly the ballots cast in the box)
    assert Counter(
        tuple(decode_ballot(ballot_box.unseal(_x25519(raw), mid, bytes(x["sealed"])), candidates=[a, b]))
        for x in opened.box
    ) == Counter(
        tuple(Vote(c, Choice(v)) for c, v in sorted(ballots[u].items()))
        for u in ("chair", "vice1", "member1")
    )

    # ---- the last member votes: the cycle closes the ballot -------------------------------------
    assert (await sc.vote(mid, "member2", ballots["member2"])).status_code == 200
    await sc.wait_cycle("PUBLIC_NOTICE")
    closed = await read_as_operator(sessions, mid)
    recount = expect(await api.get(f"/meetings/{mid}/recount", headers=sc.committee["chair"]), 200)
    assert recount["equal"] and recount["published"] == recount["recount"]
    by = {t["candidate_id"]: t for t in recount["published"]}
    assert (by[a]["approve"], by[a]["reject"], by[a]["recused"]) == (2, 1, 1)
    assert (by[b]["approve"], by[b]["reject"]) == (2, 2)

    # the box is empty and the meeting's private key destroyed; the close vacuumed the ballot
    # tables, so their pages keep no dead version of a sealed ballot or of the wrapped key
    assert not closed.box and closed.key["wrapped_private_key"] is None
    assert raw.hex() not in closed.everything
    async with sessions() as s:
        vacuumed = await s.scalars(
            text(
                "select relname from pg_stat_all_tables where last_vacuum is not null and relname = any(:t)"
            ),
            {"t": list(ballot_box.BALLOT_TABLES)},
        )
        assert set(vacuumed.all()) == set(ballot_box.BALLOT_TABLES)
    # the marks kept for the recount — contents, ids and physical (ctid) order — are a function of
    # the published tally alone: they can say nothing the tally does not
    from_tally = [
        Vote(t["candidate_id"], choice)
        for t in recount["published"]
        for choice, n in ((Choice.APPROVE, t["approve"]), (Choice.REJECT, t["reject"]))
        for _ in range(n)
    ]
    assert [(x["id"], x["candidate_id"], x["choice"]) for x in closed.marks] == [
        (x["id"], x["candidate_id"], x["choice"]) for x in ballot_box.canonical_marks(mid, from_tally)
    ]
    one(x["committed_"] for x in closed.marks)
    # the close wrote the marks and no voter; the register still carries the last cast's
    # transaction and time only
    assert_no_voter_beside_a_ballot(closed, {"ballot_votes"}, identities)
    assert one(t["xmin_"] for t in closed.turnout) != one(x["xmin_"] for x in closed.marks)
    one(t["committed_"] for t in closed.turnout)

    # ---- Temporal: the cycle learns that a ballot was cast, and counts; nothing else ------------
    hidden = [base64.b64encode(bytes(x["sealed"])).decode() for x in opened.box] + [raw.hex()]
    signals, counts = 0, []
    async for wf in temporal_client.list_workflows(f"AwardYear = {year}" + LIVE):
        # read as the payload key holder reads it: the ballot must not be there even decrypted
        history = readable(await temporal_client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history())
        scheduled: dict[int, str] = {}
        for e in history.events:
            if e.HasField("workflow_execution_signaled_event_attributes"):
                sig = e.workflow_execution_signaled_event_attributes
                if sig.signal_name == "ballot_cast":
                    signals += 1
                    assert not sig.input.payloads and not sig.header.fields
                    assert not any(n in sig.identity for n in identities), sig.identity
            if e.HasField("activity_task_scheduled_event_attributes"):
                scheduled[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
            if e.HasField("activity_task_completed_event_attributes"):
                done = e.activity_task_completed_event_attributes
                if scheduled[done.scheduled_event_id] == "ballot_status":
                    counts.append(json.loads(done.result.payloads[0].data))
        raw_history = history.to_json()
        assert not any(x in raw_history for x in hidden)
    assert signals == 4  # one per ballot stored; the one that failed was not signalled
    assert all(set(c) == {"present", "voted"} for c in counts) and counts[-1] == {"present": 4, "voted": 4}

    # ---- the logs: no line holds a member beside a vote, the key or the secret -----------------
    lines = [rec.getMessage() for rec in caplog.records]
    for line in lines:
        assert not (any(n in line for n in identities) and any(c in line for c in CHOICES)), line
        assert raw.hex() not in line and settings.ballot_secret not in line
    access = [rec.getMessage() for rec in caplog.records if rec.name == "uvicorn.access"]
    assert len(access) == 1 and f'"POST /meetings/{mid}/ballot HTTP/1.1" 200' in access[0], access
    assert not any(c in access[0] for c in (*CHOICES, a, b, "member1")), access[0]


def _x25519(raw: bytes) -> Any:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    return X25519PrivateKey.from_private_bytes(raw)
