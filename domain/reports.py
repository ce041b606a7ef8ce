"""Breakdowns of a cycle's applications by the Art. 5 sector tags (R5.1)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.types import PRIORITY_SECTORS, SectorTag


@dataclass
class SectorRow:
    sector: str  # a SectorTag, or "UNTAGGED"
    priority: bool
    applications: int = 0
    by_award: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)


def by_sector(rows: Iterable[tuple[str, list[str], str, str]]) -> list[SectorRow]:
    """One row per sector tag (an application with several tags counts under each), in enum order."""
    counts: dict[str, tuple[Counter[str], Counter[str]]] = {}
    totals: Counter[str] = Counter()
    for award, tags, _stage, outcome in rows:
        for tag in tags or ["UNTAGGED"]:
            awards, outcomes = counts.setdefault(tag, (Counter(), Counter()))
            awards[award] += 1
            outcomes[outcome] += 1
            totals[tag] += 1
    order = [t.value for t in SectorTag] + ["UNTAGGED"]
    return [
        SectorRow(
            tag,
            tag in {p.value for p in PRIORITY_SECTORS},
            totals[tag],
            dict(counts[tag][0]),
            dict(counts[tag][1]),
        )
        for tag in order
        if tag in counts
    ]
