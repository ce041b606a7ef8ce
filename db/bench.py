"""Statements of the benchmarks only (scripts/bench_cycle.py, scripts/bench_audit_chain.py): bulk
seeds of a finished cycle, and the audit benchmark's plain baseline table. The system never runs
them. Nothing here commits: the benchmark's transaction does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db import models as m


# --- the read benchmark's seed (scripts/bench_cycle.py) ---------------------------------------------
async def add_cycle(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(m.Cycle).values(**values))


async def add_enterprises(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert the enterprises (one statement); their ids, in the order of `rows`."""
    result = await conn.execute(
        insert(m.Enterprise).returning(m.Enterprise.id, sort_by_parameter_order=True), list(rows)
    )
    return [row[0] for row in result]


async def add_applications(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await conn.execute(insert(m.Application), list(rows))


async def analyze_applications(conn: AsyncConnection) -> None:
    """Planner statistics for tables bulk-loaded just now."""
    await conn.execute(text("ANALYZE enterprises, applications"))


# --- the audit benchmark's baseline (scripts/bench_audit_chain.py) ----------------------------------
_PLAIN = """
create table audit_plain (
    id bigserial primary key, key varchar(250) unique, at timestamptz not null, actor varchar(100) not null,
    actor_role varchar(20) not null, action varchar(60) not null, entity_type varchar(40) not null,
    entity_id varchar(100) not null, reason text not null, details jsonb not null
)"""
_PLAIN_INSERT = text(
    "insert into audit_plain (key, at, actor, actor_role, action, entity_type, entity_id, reason, details)"
    " values (:key, :at, 'worker', 'system', 'BENCH_STEP', 'application', :entity, '', cast(:details as jsonb))"
    " on conflict (key) do nothing"
)


async def create_baseline(s: AsyncSession, work_rows: int) -> None:
    """The plain audit table (no chain) and `work_rows` rows of work to update."""
    await s.execute(text(_PLAIN))
    await s.execute(text("create table bench_work (id int primary key, n int not null default 0)"))
    await s.execute(
        text("insert into bench_work (id) select generate_series(0, cast(:last as int))"),
        {"last": work_rows - 1},
    )


async def do_work(s: AsyncSession, row: int) -> None:
    """The work of one activity-like transaction: one row updated."""
    await s.execute(text("update bench_work set n = n + 1 where id = :id"), {"id": row})


async def add_plain_audit(s: AsyncSession, key: str, at: datetime, entity: str, details: str) -> None:
    """One audit row of the baseline: an insert, no chain."""
    await s.execute(_PLAIN_INSERT, {"key": key, "at": at, "entity": entity, "details": details})
