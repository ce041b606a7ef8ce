"""The list the committee proposes to the government after the notice (Art. 14(6), R14.8)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class Entry(Protocol):
    application_id: str


def removals(winners: Sequence[Entry], substantiated: Mapping[str, str]) -> dict[str, str]:
    """Every preliminary winner with a substantiated objection is removed, with the findings as reason."""
    return {
        w.application_id: f"公示期间异议经调查属实：{substantiated[w.application_id]}"
        for w in winners
        if w.application_id in substantiated
    }
