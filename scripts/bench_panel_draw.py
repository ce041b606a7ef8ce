"""Benchmark of the panel draw: 1,000 applications, 300 experts, 2,000 conflicts (seeded data).

    .venv/bin/python scripts/bench_panel_draw.py [--apps 1000] [--experts 300] [--conflicts 2000]

Prints the best of 5 runs (time.perf_counter) and seats per second; the target is <= 1 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.panel import DrawRules, PanelRequest, PoolExpert, draw_panels
from domain.types import Field

FIELDS = [f.value for f in Field]


def synthetic(
    apps: int, experts: int, conflicts: int, seed: int
) -> tuple[list[PanelRequest], list[PoolExpert], set[tuple[int, str]]]:
    rng = random.Random(seed)
    requests = [PanelRequest(f"2027-{i:05d}", f"CC{i:016d}", rng.choice(FIELDS)) for i in range(apps)]
    pool = [
        PoolExpert(
            expert_id=1000 + i,
            fields=tuple(rng.sample(FIELDS, rng.randint(1, 2))),
            available=rng.random() > 0.03,
            disqualified=rng.random() < 0.01,
        )
        for i in range(experts)
    ]
    pairs: set[tuple[int, str]] = set()
    while len(pairs) < conflicts:
        pairs.add((rng.choice(pool).expert_id, rng.choice(requests).credit_code))
    return requests, pool, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--conflicts", type=int, default=2000)
    parser.add_argument("--load-cap", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    requests, pool, pairs = synthetic(args.apps, args.experts, args.conflicts, seed=2027)
    rules = DrawRules(panel_size=3, load_cap=args.load_cap)
    times: list[float] = []
    result = None
    for run in range(args.runs):
        start = time.perf_counter()
        result = draw_panels(requests, pool, pairs, rules, seed=run)
        times.append(time.perf_counter() - start)
    assert result is not None
    best = min(times)
    seats = sum(len(p.members) for p in result.panels)
    matched = sum(len(p.field_matched) for p in result.panels)
    print(
        f"{args.apps} applications, {args.experts} experts, {len(pairs)} conflicts, "
        f"load cap {args.load_cap}: {seats} seats, {len(result.unfilled)} unfilled, "
        f"{matched / max(seats, 1):.1%} field-matched"
    )
    print(f"runs (s): {', '.join(f'{t:.4f}' for t in times)}")
    print(f"best of {args.runs}: {best:.4f} s, {seats / best:,.0f} seats/s (target <= 1 s)")


if __name__ == "__main__":
    main()
