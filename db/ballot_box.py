"""The ballot box of the plenary's secret ballot (审查表决, Art. 14(4), R14.6, P7).

Threat model: an operator who can read any one of PostgreSQL (every table and system column —
xmin, ctid, commit timestamps — the WAL, backups), the Temporal histories or the logs, at any
moment, must not learn how any member voted. The README's Security section gives the argument;
in short:

- **Keys.** When the plenary is convened the worker makes the meeting's X25519 key pair
  (`BallotKeyring.new_meeting_key`). `ballot_keys` holds the public key, and the private key only
  wrapped (AES-256-GCM) under a key derived from `AWARD_BALLOT_SECRET`, which only the worker
  holds: not PostgreSQL, not Temporal, not a log, not the API. A worker restarted anywhere
  unwraps it again; a database reader cannot.
- **Sealing.** The API seals each ballot paper (`domain.ballot.encode_ballot`: the same length
  for every ballot of a meeting) to the meeting's public key with HPKE (RFC 9180: X25519,
  HKDF-SHA256, AES-256-GCM), bound to the meeting. The API never holds a private key.
- **Two transactions, nothing shared.** A ballot is cast on one connection holding the meeting's
  advisory lock (`holding`; the close takes the same lock, so it never falls between the two):
  first the register (`mark_voted` rewrites *every* turnout row of the meeting, so they all carry
  the last cast's transaction id and commit time), then the box (`put_in_box` takes every sealed
  ballot of the meeting out and puts them back, with the new one, in a random order under fresh
  random ids, so they all carry the last box transaction's id and time). A snapshot of the
  tables therefore orders neither the voters nor the ballots, and no transaction that wrote a
  ballot wrote anything naming a voter.
- **The close** (worker) unwraps the private key, opens every ballot, counts, stores the marks
  in canonical order under ids derived from their place in it (`canonical_marks`: a function of
  the published tally alone), empties the box and destroys the wrapped key, in one transaction.

The residual risks (the WAL and dead row versions still order the box's rewrites; a backup taken
while the ballot was open, together with the ballot secret, opens those ballots) are in the
README: rotate `AWARD_BALLOT_SECRET` after the plenary and the old sealed ballots are noise.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Table, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db import models as m
from domain.ballot import Choice, Vote
from domain.errors import DomainError, conflict

log = logging.getLogger(__name__)

SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
_CONTEXT = b"lucheng-quality-award/secret-ballot/v1"
_MARK_IDS = uuid.UUID("6b1c2f0e-5d4a-4e8b-9a71-0c3d2e1f4a5b")  # namespace of the marks' uuid5 ids
_shuffle = secrets.SystemRandom().shuffle

_BOX = m.SealedBallot
_TURNOUT = m.BallotTurnout


def _info(meeting_id: str) -> bytes:
    return _CONTEXT + b"\x00ballot\x00" + meeting_id.encode()


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=_CONTEXT + b"\x00" + purpose).derive(secret)


def _not_opened() -> DomainError:
    return conflict(
        "BALLOT_SEAL_BROKEN",
        "投票箱中有一张选票无法开启（已被改动或并非为本次会议密封），计票中止，请核对投票箱",
        "A ballot in the box cannot be opened (altered, or not sealed for this meeting); "
        "the count stops: check the ballot box",
    )


# --- sealing (the API) and opening (the worker at the close) -------------------------------------
def seal(public_key: bytes, meeting_id: str, paper: bytes) -> bytes:
    """The ballot paper encrypted to the meeting's public key: opaque, and as long as any other."""
    return SUITE.encrypt(paper, X25519PublicKey.from_public_bytes(public_key), info=_info(meeting_id))


def unseal(private_key: X25519PrivateKey, meeting_id: str, sealed: bytes) -> bytes:
    try:
        return SUITE.decrypt(sealed, private_key, info=_info(meeting_id))
    except (InvalidTag, ValueError):
        raise _not_opened() from None


@dataclass(frozen=True)
class MeetingKey:
    """A meeting's key pair as stored: the public key, and the private key wrapped under the
    worker's key-encryption key `key_id`."""

    public_key: bytes
    wrapped_private_key: bytes
    key_id: str


class BallotKeyring:
    """The worker's key-encryption key, derived from `AWARD_BALLOT_SECRET` (HKDF-SHA256). Its id
    (also derived, it reveals nothing of the secret) is stored beside each wrapped key, so a
    worker given another secret says so instead of failing obscurely."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the ballot secret is empty")
        material = secret.encode()
        self._kek = AESGCM(_derive(material, b"key-encryption-key"))
        self.key_id = _derive(material, b"key-id")[:8].hex()

    def __repr__(self) -> str:  # never the secret
        return f"BallotKeyring(key_id={self.key_id!r})"

    @staticmethod
    def _aad(meeting_id: str, public_key: bytes) -> bytes:
        return _CONTEXT + b"\x00wrap\x00" + meeting_id.encode() + b"\x00" + public_key

    def new_meeting_key(self, meeting_id: str) -> MeetingKey:
        private = X25519PrivateKey.generate()
        public = private.public_key().public_bytes_raw()
        nonce = os.urandom(12)
        wrapped = nonce + self._kek.encrypt(nonce, private.private_bytes_raw(), self._aad(meeting_id, public))
        return MeetingKey(public, wrapped, self.key_id)

    def unwrap(self, meeting_id: str, key: MeetingKey) -> X25519PrivateKey:
        if key.key_id != self.key_id:
            raise conflict(
                "BALLOT_KEY_UNAVAILABLE",
                "本次会议的投票密钥由另一个投票密钥（AWARD_BALLOT_SECRET）保护，工作进程无法开启投票箱；"
                "请为工作进程恢复召开会议时的密钥后重试",
                f"The meeting's ballot key is wrapped under another AWARD_BALLOT_SECRET (key id "
                f"{key.key_id}, the worker holds {self.key_id}); give the worker the secret it had "
                "when the plenary was convened and retry",
            )
        wrapped = key.wrapped_private_key
        try:
            raw = self._kek.decrypt(wrapped[:12], wrapped[12:], self._aad(meeting_id, key.public_key))
        except InvalidTag:
            raise _not_opened() from None
        private = X25519PrivateKey.from_private_bytes(raw)
        if private.public_key().public_bytes_raw() != key.public_key:
            raise _not_opened()
        return private


# --- the lock that keeps a cast's two transactions and the close apart -----------------------------
def lock_id(meeting_id: str) -> int:
    digest = hashlib.sha256(b"ballot-box\x00" + meeting_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@asynccontextmanager
async def holding(conn: AsyncConnection, meeting_id: str) -> AsyncIterator[None]:
    """The meeting's advisory lock on this connection, across the transactions inside (a session
    lock: no transaction id, nothing written). Casts take it in turn; the close waits for it. If
    it cannot be released, the connection is discarded, which releases it."""
    key = lock_id(meeting_id)
    await conn.execute(text("select pg_advisory_lock(:k)"), {"k": key})
    await conn.commit()
    try:
        yield
    finally:
        try:
            if conn.in_transaction():
                await conn.rollback()
            await conn.execute(text("select pg_advisory_unlock(:k)"), {"k": key})
            await conn.commit()
        except BaseException as e:
            log.warning("ballot box lock not released cleanly; its connection is discarded")
            await conn.invalidate()
            if not isinstance(e, Exception):  # a cancellation goes on; a database error ends here
                raise


async def lock_for_close(s: AsyncSession, meeting_id: str) -> None:
    """The close's hold on the box, until its transaction ends: waits for a cast in progress."""
    await s.execute(text("select pg_advisory_xact_lock(:k)"), {"k": lock_id(meeting_id)})


# --- the register and the box ------------------------------------------------------------------------
async def mark_voted(conn: AsyncConnection | AsyncSession, meeting_id: str, user_id: int) -> None:
    """The member has voted. Every turnout row of the meeting is rewritten, so none carries a
    transaction id or commit time of its own: the register says who has voted, not in what order."""
    await conn.execute(
        update(_TURNOUT)
        .where(_TURNOUT.meeting_id == meeting_id)
        .values(voted=or_(_TURNOUT.voted, _TURNOUT.user_id == user_id))
    )


async def unmark_voted(conn: AsyncConnection, meeting_id: str, user_id: int) -> None:
    """Undo `mark_voted` for a ballot that never reached the box (the member may vote again)."""
    await conn.execute(
        update(_TURNOUT)
        .where(_TURNOUT.meeting_id == meeting_id)
        .values(voted=_TURNOUT.voted & (_TURNOUT.user_id != user_id))
    )


async def put_in_box(conn: AsyncConnection, meeting_id: str, sealed: bytes) -> None:
    """In the caller's transaction: every sealed ballot of the meeting comes out of the box and
    goes back in, with the new one, in a random order under fresh random ids. Afterwards all of
    them carry this transaction's id and commit time and lie in an order that means nothing."""
    papers = list(
        (await conn.execute(delete(_BOX).where(_BOX.meeting_id == meeting_id).returning(_BOX.sealed)))
        .scalars()
        .all()
    )
    papers.append(sealed)
    _shuffle(papers)
    await conn.execute(
        insert(_BOX), [{"id": str(uuid.uuid4()), "meeting_id": meeting_id, "sealed": p} for p in papers]
    )


async def in_box(conn: AsyncConnection, meeting_id: str, sealed: bytes) -> bool:
    found = await conn.scalar(
        select(func.count()).select_from(_BOX).where(_BOX.meeting_id == meeting_id, _BOX.sealed == sealed)
    )
    return bool(found)


async def empty_box(s: AsyncSession, meeting_id: str) -> list[bytes]:
    """Take every sealed ballot of the meeting out of the box (the close)."""
    return list(
        (await s.execute(delete(_BOX).where(_BOX.meeting_id == meeting_id).returning(_BOX.sealed)))
        .scalars()
        .all()
    )


def canonical_marks(meeting_id: str, votes: Iterable[Vote]) -> list[dict[str, str]]:
    """The marks to keep for the recount (rows of `ballot_votes`, to insert in this order): sorted
    by candidate and choice, each id derived from its place in that order. Contents, ids and
    physical order are a function of the tally alone: the stored marks say nothing it does not."""
    rows: list[dict[str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for candidate_id, choice in sorted((v.candidate_id, Choice(v.choice).value) for v in votes):
        k = seen[(candidate_id, choice)] = seen.get((candidate_id, choice), 0) + 1
        name = f"{meeting_id}/{candidate_id}/{choice}/{k}"
        rows.append(
            {
                "id": str(uuid.uuid5(_MARK_IDS, name)),
                "meeting_id": meeting_id,
                "candidate_id": candidate_id,
                "choice": choice,
            }
        )
    return rows


async def keep_marks(s: AsyncSession, meeting_id: str, votes: Iterable[Vote]) -> None:
    """Replace the meeting's marks with `canonical_marks`, inserted in that order."""
    await s.execute(delete(m.BallotVote).where(m.BallotVote.meeting_id == meeting_id))
    rows = canonical_marks(meeting_id, votes)
    if rows:
        await s.execute(insert(cast(Table, m.BallotVote.__table__)), rows)  # Core: in this order


BALLOT_TABLES = ("sealed_ballots", "ballot_keys", "ballot_turnout", "ballot_votes")
