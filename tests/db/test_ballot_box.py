"""The ballot box (db/ballot_box.py): sealing and the meeting's key, and what a reader of the
tables sees while ballots are cast (R14.6, P7). The whole ballot through the API, with the
attacks played against an open and a closed ballot, is tests/e2e/test_e2e_sealed_ballot.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import ballot_box
from db import models as m
from db.ballot_box import BallotKeyring, MeetingKey, seal, unseal
from domain.ballot import Choice, Vote, decode_ballot, encode_ballot
from domain.errors import DomainError

Sessions = async_sessionmaker[AsyncSession]
CANDIDATES = ["2031-0001", "2031-0002", "2031-0003"]
A, R = Choice.APPROVE, Choice.REJECT


def paper(*marks: Choice) -> bytes:
    return encode_ballot([Vote(c, x) for c, x in zip(CANDIDATES, marks, strict=True)], candidates=CANDIDATES)


# --- sealing and the meeting's key (no database) --------------------------------------------------
@pytest.mark.req("R14.6")
@pytest.mark.req("P7")
def test_a_sealed_ballot_is_opaque_and_as_long_as_any_other() -> None:
    key = BallotKeyring("a-ballot-secret-for-this-test-0123456789").new_meeting_key("2031-plenary-1")
    ballots = [paper(A, A, A), paper(R, R, R), paper(A, R, A), paper(A, A, A)]
    sealed = [seal(key.public_key, "2031-plenary-1", p) for p in ballots]
    # HPKE: the ephemeral X25519 key (32 bytes), the paper, the AES-GCM tag (16 bytes)
    assert {len(x) for x in sealed} == {32 + 1 + len(CANDIDATES) + 16}
    assert sealed[0] != sealed[3]  # the same ballot twice: two unrelated blobs
    for p, x in zip(ballots, sealed, strict=True):
        assert p not in x and b"APPROVE" not in x and b"2031-" not in x


@pytest.mark.req("R14.6")
@pytest.mark.req("P7")
def test_only_the_worker_secret_opens_the_meetings_key_and_its_ballots() -> None:
    worker = BallotKeyring("the-worker-ballot-secret-0123456789abcdef")
    key = worker.new_meeting_key("2031-plenary-1")
    private = worker.unwrap("2031-plenary-1", key)
    raw = private.private_bytes_raw()
    assert raw not in key.wrapped_private_key and len(key.wrapped_private_key) == 12 + 32 + 16
    assert "the-worker-ballot-secret" not in repr(worker) and worker.key_id in repr(worker)
    sealed = seal(key.public_key, "2031-plenary-1", paper(A, R, A))
    assert decode_ballot(unseal(private, "2031-plenary-1", sealed), candidates=CANDIDATES) == [
        Vote(CANDIDATES[0], A),
        Vote(CANDIDATES[1], R),
        Vote(CANDIDATES[2], A),
    ]

    def refused(code: str, f: Any, *args: Any) -> None:
        with pytest.raises(DomainError) as e:
            f(*args)
        assert e.value.code == code

    # another secret (a database reader has none): named as such, never a wrong key in silence
    refused(
        "BALLOT_KEY_UNAVAILABLE",
        BallotKeyring("another-secret-0123456789abcdef-0123").unwrap,
        "2031-plenary-1",
        key,
    )
    # the wrapped key of one meeting does not open as another's; a changed byte is refused
    refused("BALLOT_SEAL_BROKEN", worker.unwrap, "2031-plenary-2", key)
    tampered = MeetingKey(key.public_key, key.wrapped_private_key[:-1] + b"\x00", key.key_id)
    refused("BALLOT_SEAL_BROKEN", worker.unwrap, "2031-plenary-1", tampered)
    swapped = MeetingKey(worker.new_meeting_key("x").public_key, key.wrapped_private_key, key.key_id)
    refused("BALLOT_SEAL_BROKEN", worker.unwrap, "2031-plenary-1", swapped)
    # a ballot sealed for one meeting does not open in another, nor once altered
    refused("BALLOT_SEAL_BROKEN", unseal, private, "2031-plenary-2", sealed)
    refused("BALLOT_SEAL_BROKEN", unseal, private, "2031-plenary-1", sealed[:-1] + bytes([sealed[-1] ^ 1]))
    other = worker.unwrap("2031-plenary-1", worker.new_meeting_key("2031-plenary-1"))
    refused("BALLOT_SEAL_BROKEN", unseal, other, "2031-plenary-1", sealed)


@pytest.mark.req("R14.6")
def test_the_marks_kept_for_the_recount_are_a_function_of_the_tally() -> None:
    one = [Vote("b", A), Vote("a", R), Vote("a", A), Vote("b", A)]
    other = [Vote("a", A), Vote("b", A), Vote("b", A), Vote("a", R)]  # the same marks, cast otherwise
    rows = ballot_box.canonical_marks("2031-plenary-1", one)
    assert rows == ballot_box.canonical_marks("2031-plenary-1", other)
    assert [(r["candidate_id"], r["choice"]) for r in rows] == [
        ("a", "APPROVE"),
        ("a", "REJECT"),
        ("b", "APPROVE"),
        ("b", "APPROVE"),
    ]
    assert len({r["id"] for r in rows}) == 4


# --- what a reader of the tables sees (embedded PostgreSQL) ---------------------------------------
@dataclass
class Meeting:
    id: str
    key: MeetingKey
    members: list[int]


@pytest.fixture
async def meeting(sessions: Sessions) -> AsyncIterator[Meeting]:
    """A meeting with its key and four members present, written directly (no workflow)."""
    meeting_id = f"box-{uuid.uuid4().hex[:12]}"
    key = BallotKeyring("box-test-ballot-secret-0123456789abcdef").new_meeting_key(meeting_id)
    async with sessions.begin() as s:
        users = [
            m.User(username=f"{meeting_id}-{k}", display_name=f"委员{k}", password_hash="-", role="committee")
            for k in range(4)
        ]
        s.add_all(users)
        s.add(
            m.Meeting(
                id=meeting_id,
                cycle_year=2031,
                candidates=CANDIDATES,
                roster_size=5,
                present=4,
                state="VOTING",
                opened_by="office",
                opened_at=datetime.now(UTC),
            )
        )
        await s.flush()
        s.add(
            m.BallotKey(
                meeting_id=meeting_id,
                public_key=key.public_key,
                wrapped_private_key=key.wrapped_private_key,
                key_id=key.key_id,
            )
        )
        s.add_all(m.BallotTurnout(meeting_id=meeting_id, user_id=u.id, voted=False) for u in users)
        ids = [u.id for u in users]
    yield Meeting(meeting_id, key, ids)
    async with sessions.begin() as s:
        for model in (m.SealedBallot, m.BallotVote, m.BallotTurnout, m.BallotKey):
            await s.execute(delete(model).where(model.meeting_id == meeting_id))
        await s.execute(delete(m.Meeting).where(m.Meeting.id == meeting_id))
        await s.execute(delete(m.User).where(m.User.id.in_(ids)))


async def cast(sessions: Sessions, mt: Meeting, member: int, ballot: bytes) -> None:
    """What the API does (api/routes/committee.py cast_ballot), without the checks."""
    engine = sessions.kw["bind"]
    async with engine.connect() as conn, ballot_box.holding(conn, mt.id):
        async with AsyncSession(bind=conn) as s, s.begin():
            await ballot_box.mark_voted(s, mt.id, member)
        async with conn.begin():
            await ballot_box.put_in_box(conn, mt.id, seal(mt.key.public_key, mt.id, ballot))


async def table_view(s: AsyncSession, table: str, meeting_id: str) -> list[dict[str, Any]]:
    """Rows as an operator reads them: with their transaction id, place and commit time."""
    rows = await s.execute(
        text(
            f"select x.*, x.xmin::text as xmin_, x.ctid::text as ctid_, "
            f"pg_xact_commit_timestamp(x.xmin) as committed_ from {table} x "
            "where x.meeting_id = :m order by x.ctid"
        ),
        {"m": meeting_id},
    )
    return [dict(r) for r in rows.mappings().all()]


@pytest.mark.req("R14.6")
@pytest.mark.req("P7")
async def test_a_snapshot_orders_neither_the_voters_nor_the_ballots(
    sessions: Sessions, meeting: Meeting
) -> None:
    """After each cast, every turnout row carries the last register transaction's id and commit
    time, and every sealed ballot the last box transaction's, under ids never seen before: nothing
    in the tables says who voted when, or which ballot came when."""
    seen_ids: set[str] = set()
    for k, ballot in enumerate([paper(A, A, R), paper(R, A, A), paper(A, R, R)]):
        await cast(sessions, meeting, meeting.members[k], ballot)
        async with sessions() as s:
            turnout = await table_view(s, "ballot_turnout", meeting.id)
            box = await table_view(s, "sealed_ballots", meeting.id)
        assert sum(t["voted"] for t in turnout) == k + 1 and len(box) == k + 1
        assert len({t["xmin_"] for t in turnout}) == 1 and len({t["committed_"] for t in turnout}) == 1
        assert len({b["xmin_"] for b in box}) == 1 and len({b["committed_"] for b in box}) == 1
        assert turnout[0]["committed_"] is not None  # track_commit_timestamp is on (tests/conftest.py)
        assert turnout[0]["xmin_"] != box[0]["xmin_"]  # separate transactions
        assert {len(b["sealed"]) for b in box} == {32 + 1 + len(CANDIDATES) + 16}
        ids = {b["id"] for b in box}
        assert not ids & seen_ids and all(uuid.UUID(i).version == 4 for i in ids)
        seen_ids |= ids


@pytest.mark.req("R14.6")
async def test_the_close_waits_for_a_ballot_being_cast(sessions: Sessions, meeting: Meeting) -> None:
    """A cast holds the box between its two transactions; the close's lock waits for it, so the
    close never counts a member as having voted without their ballot in the box."""
    engine = sessions.kw["bind"]
    async with engine.connect() as conn, ballot_box.holding(conn, meeting.id):

        async def close() -> None:
            async with sessions.begin() as s:
                await ballot_box.lock_for_close(s, meeting.id)

        closing = asyncio.create_task(close())
        await asyncio.sleep(0.5)
        assert not closing.done()
    await asyncio.wait_for(closing, 10)
    # and the lock did not stay with the pooled connection
    await asyncio.wait_for(cast(sessions, meeting, meeting.members[0], paper(A, A, A)), 10)


@pytest.mark.req("P7")
@pytest.mark.parametrize(
    "secret",
    ["", "dev-only-ballot-secret-change-me", "short-0123456789", "x" * 40 + "changeme", "j" * 40],
    ids=["empty", "development", "short", "placeholder", "the-jwt-secret"],
)
def test_a_production_worker_refuses_a_weak_ballot_secret(secret: str) -> None:
    from config.settings import Settings

    cfg = Settings(environment="production", ballot_secret=secret, jwt_secret="j" * 40)
    with pytest.raises(RuntimeError, match="AWARD_BALLOT_SECRET"):
        cfg.check_ballot_secret()
    Settings(environment="production", ballot_secret="k" * 40, jwt_secret="j" * 40).check_ballot_secret()
