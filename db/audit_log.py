"""The audit log as one hash chain (P4, P7): rows are appended at commit, read back in chain order.

`repositories.audit(...)` only queues its row on the session. When the transaction commits, the
queued rows are appended in one go (`_append_queued`, a `before_commit` hook on every Session):

1. every other write of the transaction is flushed first;
2. `pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)`: one appending transaction at a time, until it ends;
3. the head of the chain (last `seq`, its `row_hash`) and which of the rows' keys are already
   taken are read — in a statement after the lock, so under READ COMMITTED it sees the rows the
   previous holder committed;
4. the rows are numbered head+1, head+2, …, each hashed over its fields and its predecessor's
   hash (domain/audit_chain.py), inserted, and the transaction commits, releasing the lock.

Why this design: the chain is the commit order, with no fork (the lock, and UNIQUE(seq) should
anything write without it) and no gap (a position is taken only by a transaction about to commit;
one that rolls back never took one). The lock is the last lock its transaction takes and is held
only for two short statements and the commit, so writers never wait for each other's work, only
for each other's commits, and no deadlock can form through it (a holder waits for nothing but
its commit). Keyed rows keep their meaning: a key already in the log (a retried activity) or
twice in one batch is written once. Rows queued inside a savepoint that is rolled back are
dropped with it. The alternatives: chaining in an insert trigger holds the lock from the insert to
the commit, across the rest of the transaction's work (and can deadlock with row locks taken
after it); an asynchronous sealer chains only later and needs the rows to be updated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from db import models as m
from domain.audit_chain import GENESIS, HASHED_FIELDS, row_hash

# pg_advisory_xact_lock(int4, int4): ('au', 'dt') — no other lock of the project uses class 0x6175
AUDIT_CHAIN_LOCK = (0x6175, 0x6474)
_QUEUE = "audit_chain_queue"


@dataclass(frozen=True)
class _Queued:
    transaction: SessionTransaction | None  # the innermost transaction when it was queued
    values: dict[str, Any]


def queue(s: AsyncSession, values: dict[str, Any]) -> None:
    """Queue a row (every field but the chain's) to be appended when `s` commits."""
    sync = s.sync_session
    tx = sync.get_nested_transaction() or sync.get_transaction()
    sync.info.setdefault(_QUEUE, []).append(_Queued(tx, values))


def queued(s: AsyncSession) -> int:
    return len(s.sync_session.info.get(_QUEUE, ()))


def _chain(rows: Sequence[dict[str, Any]], head_seq: int, head_hash: str) -> list[dict[str, Any]]:
    chained, prev = [], head_hash
    for i, values in enumerate(rows, start=1):
        row = {**values, "seq": head_seq + i, "prev_hash": prev}
        row["row_hash"] = prev = row_hash(row)
        chained.append(row)
    return chained


@event.listens_for(Session, "before_commit")
def _append_queued(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint is released: its rows wait for the real commit
        return
    pending: list[_Queued] = session.info.pop(_QUEUE, [])
    if not pending:
        return
    session.flush()  # the chain's lock must be the last lock this transaction takes
    rows, seen = [], set()
    for p in pending:
        k = p.values.get("key")
        if k is not None:
            if k in seen:
                continue
            seen.add(k)
        rows.append(p.values)
    session.execute(
        text("select pg_advisory_xact_lock(:a, :b)"), {"a": AUDIT_CHAIN_LOCK[0], "b": AUDIT_CHAIN_LOCK[1]}
    )
    head = session.execute(
        text(
            "select (select seq from audit_log order by seq desc limit 1) as seq,"
            " (select row_hash from audit_log order by seq desc limit 1) as row_hash,"
            " array(select key from audit_log where key = any(cast(:keys as text[]))) as taken"
        ),
        {"keys": sorted(seen)},
    ).one()
    taken = set(head.taken)
    rows = [r for r in rows if r.get("key") is None or r["key"] not in taken]
    if rows:
        session.execute(insert(m.AuditEntry), _chain(rows, head.seq or 0, head.row_hash or GENESIS))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Rows queued in a transaction (or a savepoint) that rolled back are never appended."""
    pending: list[_Queued] | None = session.info.get(_QUEUE)
    if not pending:
        return
    if previous_transaction.parent is None:
        session.info.pop(_QUEUE, None)
        return

    def inside(tx: SessionTransaction | None) -> bool:
        while tx is not None:
            if tx is previous_transaction:
                return True
            tx = tx.parent
        return False

    session.info[_QUEUE] = [p for p in pending if not inside(p.transaction)]


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without a commit: nothing queued outlives it
        session.info.pop(_QUEUE, None)


# --- reading the chain ------------------------------------------------------------------------------
CHAIN_COLUMNS = ("id", *HASHED_FIELDS, "row_hash")  # the row id, what the hash covers, the hash


async def chain_rows(s: AsyncSession, *, batch: int = 2000) -> AsyncIterator[dict[str, Any]]:
    """Every row in chain order, as a dict of CHAIN_COLUMNS, streamed from one snapshot (one
    statement on a server-side cursor): rows appended meanwhile are not seen, none half-seen."""
    t = m.AuditEntry.__table__
    q = select(*(t.c[c] for c in CHAIN_COLUMNS)).order_by(t.c.seq).execution_options(yield_per=batch)
    result = await s.stream(q)
    async for part in result.mappings().partitions():
        for row in part:
            yield dict(row)
