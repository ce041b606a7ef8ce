"""A panel draw as a record anyone can re-run: its inputs as JSON, and the draw re-done from them."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from domain.panel import (
    DrawResult,
    DrawRules,
    Panel,
    PanelRequest,
    PoolExpert,
    draw_panels,
    draw_replacement,
)


def encode_inputs(
    requests: Sequence[PanelRequest],
    pool: Sequence[PoolExpert],
    conflicts: Collection[tuple[int, str]],
    rules: DrawRules,
    existing_load: Mapping[int, int],
    exclude: Mapping[str, Collection[int]] | None = None,
    replacing: tuple[Panel, int] | None = None,
    seated: Mapping[str, Sequence[int]] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "requests": [asdict(r) for r in sorted(requests, key=lambda r: r.application_id)],
        "pool": [
            {
                "expert_id": e.expert_id,
                "fields": sorted(e.fields),
                "available": e.available,
                "disqualified": e.disqualified,
                **({"unsigned": True} if e.unsigned else {}),  # Art. 20; absent in older records
            }
            for e in sorted(pool, key=lambda e: e.expert_id)
        ],
        "conflicts": sorted([int(x), str(c)] for x, c in set(conflicts)),
        "rules": asdict(rules),
        "existing_load": {str(k): v for k, v in sorted(existing_load.items()) if v},
        "exclude": {a: sorted(set(ids)) for a, ids in sorted((exclude or {}).items()) if ids},
    }
    if replacing is not None:
        panel, leaving = replacing
        doc["replacing"] = {"panel": _panel_json(panel), "leaving": leaving}
    if seated and any(seated.values()):
        doc["seated"] = {a: list(ms) for a, ms in sorted(seated.items()) if ms}
    return doc


def _panel_json(p: Panel) -> dict[str, Any]:
    return {
        "application_id": p.application_id,
        "members": list(p.members),
        "leader": p.leader,
        "field_matched": list(p.field_matched),
    }


def result_json(result: DrawResult) -> dict[str, Any]:
    """The result as JSON stores it (tuples become lists), so a re-run compares equal to the record."""
    return json.loads(json.dumps(_result_doc(result), ensure_ascii=False))  # type: ignore[no-any-return]


def _result_doc(result: DrawResult) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "seed": result.seed,
        "input_hash": result.input_hash,
        "panels": [_panel_json(p) for p in result.panels],
        "unfilled": [asdict(u) for u in result.unfilled],
    }
    if result.skipped:  # only when there are any: older records compare equal to their re-run
        doc["skipped"] = [asdict(x) for x in result.skipped]
    return doc


def rerun(doc: Mapping[str, Any], seed: int) -> DrawResult:
    """Run the recorded draw again from its inputs and seed."""
    requests = [PanelRequest(**r) for r in doc["requests"]]
    pool = [
        PoolExpert(
            e["expert_id"], tuple(e["fields"]), e["available"], e["disqualified"], e.get("unsigned", False)
        )
        for e in doc["pool"]
    ]
    conflicts = {(int(x), str(c)) for x, c in doc["conflicts"]}
    rules = DrawRules(**doc["rules"])
    load = {int(k): int(v) for k, v in doc["existing_load"].items()}
    if "replacing" in doc:
        p = doc["replacing"]["panel"]
        panel = Panel(p["application_id"], tuple(p["members"]), p["leader"], tuple(p["field_matched"]))
        return draw_replacement(
            panel, doc["replacing"]["leaving"], requests[0], pool, conflicts, rules, seed, existing_load=load
        )
    exclude = {a: set(ids) for a, ids in doc["exclude"].items()}
    seated = {a: tuple(ms) for a, ms in doc.get("seated", {}).items()}
    return draw_panels(
        requests, pool, conflicts, rules, seed, existing_load=load, exclude=exclude, seated=seated
    )
