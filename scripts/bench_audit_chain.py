"""What the audit chain costs: concurrent transactions appending audit rows, chained vs plain.

    .venv/bin/python scripts/bench_audit_chain.py [--concurrency 32] [--transactions 4000] [--rows 2] [--rounds 3]

Starts its own embedded PostgreSQL under .data/bench-audit-<pid>/ (stopped at the end), applies
the migrations, then runs rounds of the same workload two ways, interleaved so that a busy shared
machine weighs on both alike:

- chained: `repositories.audit()` as the application calls it (queued, appended at commit under
  the chain's advisory lock, db/audit_log.py);
- plain: the audit write as it was before migration 0009, one `INSERT … ON CONFLICT (key) DO
  NOTHING` per row into a table of the old shape (no chain, no lock).

Each transaction, like an activity's step, updates a record of its own, writes `--rows` keyed
audit rows (a retried activity's keys) and commits; `--concurrency` of them run at once (the
worker's default activity concurrency is 32). Prints transactions/s and commit latency (p50, p99)
per way, and verifies the chain at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from audit.verify import verify_database  # noqa: E402
from db import bench  # noqa: E402
from db import repositories as repo  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.session import make_engine, make_sessionmaker  # noqa: E402
from devstack.ports import free_port  # noqa: E402
from devstack.postgres import EmbeddedPostgres  # noqa: E402

WORK_ROWS = 1000  # rows of work the transactions update, one each


async def step(sessions: async_sessionmaker[AsyncSession], way: str, n: int, rows: int) -> float:
    """One activity-like transaction; returns its duration in seconds."""
    started = time.perf_counter()
    async with sessions.begin() as s:
        await bench.do_work(s, n % WORK_ROWS)
        for i in range(rows):
            key, entity = f"{way}-{n}-{i}", f"2027-{n:05d}"
            if way == "chained":
                await repo.audit_by(
                    s,
                    repo.Named("worker", "system"),
                    "BENCH_STEP",
                    "application",
                    entity,
                    at=datetime.now(UTC),
                    details={"n": n, "i": i},
                    key=key,
                )
            else:
                details = f'{{"n": {n}, "i": {i}}}'
                await bench.add_plain_audit(s, key, datetime.now(UTC), entity, details)
    return time.perf_counter() - started


async def round_of(
    sessions: async_sessionmaker[AsyncSession], way: str, first: int, count: int, concurrency: int, rows: int
) -> tuple[float, list[float]]:
    queue = iter(range(first, first + count))
    latencies: list[float] = []

    async def runner() -> None:
        for n in queue:
            latencies.append(await step(sessions, way, n, rows))

    started = time.perf_counter()
    await asyncio.gather(*(runner() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def run(url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url, pool_size=args.concurrency, max_overflow=0)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as s:
        await bench.create_baseline(s, WORK_ROWS)
    totals: dict[str, tuple[float, list[float]]] = {"plain": (0.0, []), "chained": (0.0, [])}
    per_round = args.transactions // args.rounds
    for r in range(args.rounds):
        for way in ("plain", "chained") if r % 2 == 0 else ("chained", "plain"):
            took, lat = await round_of(sessions, way, r * per_round, per_round, args.concurrency, args.rows)
            totals[way] = (totals[way][0] + took, totals[way][1] + lat)
            print(
                f"round {r + 1} {way:8} {per_round / took:7.0f} transactions/s  p50 {pct(lat, 0.5):6.1f} ms"
            )
    print(
        f"\n{args.concurrency} concurrent, {per_round * args.rounds} transactions per way, "
        f"{args.rows} audit rows each"
    )
    for way, (took, lat) in totals.items():
        n = len(lat)
        print(
            f"  {way:8} {n / took:7.0f} transactions/s ({n * args.rows / took:6.0f} audit rows/s)  "
            f"latency p50 {pct(lat, 0.5):6.1f} ms  p99 {pct(lat, 0.99):6.1f} ms  mean {statistics.mean(lat) * 1000:6.1f} ms"
        )
    async with sessions() as s:
        result = await verify_database(s)
    print(f"  {result.summary()}")
    await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--transactions", type=int, default=4000, help="per way, over all rounds")
    parser.add_argument("--rows", type=int, default=2, help="audit rows per transaction")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    folder = ROOT / ".data" / f"bench-audit-{os.getpid()}"
    pg = EmbeddedPostgres(folder / "pg", free_port())
    pg.start()
    try:
        url = pg.create_database("bench_audit")
        upgrade(url)
        asyncio.run(run(url, args))
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
