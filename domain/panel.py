"""The panel draw (R9.1, R20.1, R20.3): a pure function of (applications, pool, conflicts, rules, seed).

Every panel has at least 3 experts and one leader (组长负责制). No conflicted, disqualified or
unavailable expert, nor one who has not signed the cycle's undertaking (Art. 20; listed in the
result as skipped), is ever seated and nobody goes over the load cap: a seat that cannot be
filled within the rules is reported with the reason, never filled by bending one. Within the
rules the draw prefers experts of the application's field, then the least loaded, and breaks
the remaining ties with `random.Random(seed)`. The inputs are put in a canonical order first,
so the same inputs and seed give the same panels whatever order they came in; the seed and the
inputs' hash are recorded so that anyone can re-run the draw and check it.

How: experts are kept in buckets by current load, one set of buckets per field plus one for
the whole pool. A panel takes its members from the lowest-load bucket of its field upwards,
then (if short) from the whole pool; a bucket's eligible experts are sampled at random.
Applications with the fewest eligible experts are drawn first, so that the scarce experts go
where they are needed.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.errors import invalid, refuse_any, repeated

MIN_PANEL_SIZE = 3  # R9.1
ALGORITHM = "panel-draw/v1"  # part of the input hash: a change of algorithm changes every hash

_ALL = "\x00all"  # bucket key of the whole pool (no field is spelled like this)


@dataclass(frozen=True)
class PanelRequest:
    application_id: str
    credit_code: str
    field: str


@dataclass(frozen=True)
class PoolExpert:
    expert_id: int
    fields: tuple[str, ...]
    available: bool = True
    disqualified: bool = False  # R20.3: never drawn again
    unsigned: bool = False  # Art. 20: has not signed the cycle's undertaking, never seated until then


@dataclass(frozen=True)
class DrawRules:
    panel_size: int = 3
    load_cap: int = 5  # seats one expert may hold in the cycle, counting existing ones
    match_fields: bool = True

    def __post_init__(self) -> None:
        if self.panel_size < MIN_PANEL_SIZE:
            raise invalid(
                "PANEL_TOO_SMALL",
                f"评审组至少由{MIN_PANEL_SIZE}名专家组成，规则要求{self.panel_size}名",
                f"A review panel has at least {MIN_PANEL_SIZE} experts; the rules ask for {self.panel_size}",
                panel_size=self.panel_size,
            )
        if self.load_cap < 1:
            raise invalid(
                "PANEL_LOAD_CAP_INVALID",
                f"每名专家评审数量上限至少为1，规则为{self.load_cap}",
                f"The per-expert load cap must be at least 1; the rules say {self.load_cap}",
                load_cap=self.load_cap,
            )


@dataclass(frozen=True)
class Panel:
    application_id: str
    members: tuple[int, ...]  # in draw order
    leader: int | None  # one of the members; None only if there is no member
    field_matched: tuple[int, ...]  # members whose fields include the application's field


@dataclass(frozen=True)
class UnfilledSeat:
    application_id: str
    seat: int  # 1-based
    reason_code: str
    reason_zh: str
    reason_en: str
    excluded: tuple[tuple[str, int], ...] = ()  # (reason, number of experts) at the time of the draw


@dataclass(frozen=True)
class SkippedExpert:
    """An expert of the pool the draw left out, with the reason (listed in the draw's record)."""

    expert_id: int
    reason_code: str
    reason_zh: str
    reason_en: str


UNSIGNED_CODE = "UNDERTAKING_NOT_SIGNED"
UNSIGNED_ZH = "未签署本年度评审专家承诺书，不参加抽取（办法第二十条）"
UNSIGNED_EN = "has not signed this cycle's expert undertaking: not drawn (Art. 20)"


@dataclass(frozen=True)
class DrawResult:
    panels: tuple[Panel, ...]  # by application_id
    unfilled: tuple[UnfilledSeat, ...]  # by application_id, seat
    seed: int
    input_hash: str
    # experts left out for not having signed the cycle's undertaking, by expert_id (the pool's
    # disqualified and unavailable experts are marked in the recorded inputs)
    skipped: tuple[SkippedExpert, ...] = ()


def _skipped(pool: Sequence[PoolExpert]) -> tuple[SkippedExpert, ...]:
    return tuple(
        SkippedExpert(e.expert_id, UNSIGNED_CODE, UNSIGNED_ZH, UNSIGNED_EN)
        for e in sorted(pool, key=lambda e: e.expert_id)
        if e.unsigned and e.available and not e.disqualified
    )


# --- canonical inputs and their hash ------------------------------------------------------------


def _validate(requests: Sequence[PanelRequest], pool: Sequence[PoolExpert], load: Mapping[int, int]) -> None:
    dup = repeated(r.application_id for r in requests)
    refuse_any(
        dup,
        invalid,
        "PANEL_DUPLICATE_APPLICATION",
        "同一申报在一次抽取中出现多次：",
        "Applications appear more than once in one draw: ",
        application_ids=dup,
    )
    dup_e = repeated(e.expert_id for e in pool)
    refuse_any(
        [str(e) for e in dup_e],
        invalid,
        "PANEL_DUPLICATE_EXPERT",
        "专家库中专家重复：",
        "Experts appear more than once in the pool: ",
        expert_ids=dup_e,
    )
    negative = sorted(k for k, v in load.items() if v < 0)
    if negative:
        raise invalid(
            "PANEL_NEGATIVE_LOAD",
            "专家已承担评审数量不能为负数",
            "An expert's existing load cannot be negative",
            expert_ids=negative,
        )


def _canonical(
    requests: Sequence[PanelRequest],
    pool: Sequence[PoolExpert],
    conflicts: Collection[tuple[int, str]],
    rules: DrawRules,
    existing_load: Mapping[int, int] | None,
    exclude: Mapping[str, Collection[int]] | None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "algorithm": ALGORITHM,
        "requests": sorted([r.application_id, r.credit_code, r.field] for r in requests),
        "pool": sorted([e.expert_id, sorted(set(e.fields)), e.available, e.disqualified] for e in pool),
        "conflicts": sorted([int(x), str(c)] for x, c in set(conflicts)),
        "rules": {
            "panel_size": rules.panel_size,
            "load_cap": rules.load_cap,
            "match_fields": rules.match_fields,
        },
        "existing_load": sorted([k, v] for k, v in (existing_load or {}).items() if v),
        "exclude": sorted([a, sorted(set(ids))] for a, ids in (exclude or {}).items() if ids),
    }
    unsigned = sorted(e.expert_id for e in pool if e.unsigned)
    if unsigned:  # only when there are any: the hash of a draw without them is what it always was
        doc["unsigned"] = unsigned
    return doc


def _digest(doc: dict[str, Any]) -> str:
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_hash(
    requests: Sequence[PanelRequest],
    pool: Sequence[PoolExpert],
    conflicts: Collection[tuple[int, str]],
    rules: DrawRules,
    existing_load: Mapping[int, int] | None = None,
    exclude: Mapping[str, Collection[int]] | None = None,
    *,
    replacing: tuple[Panel, int] | None = None,
    seated: Mapping[str, Sequence[int]] | None = None,
) -> str:
    """sha256 of the canonical JSON of every input of a draw (in sorted order).

    Input order does not matter, nor do zero loads or empty exclusions (they change nothing);
    any other change of any input does. `replacing` is (panel, leaving) for `draw_replacement`;
    `seated` the members already seated on short panels that a draw fills.
    """
    doc = _canonical(requests, pool, conflicts, rules, existing_load, exclude)
    if seated and any(seated.values()):
        doc["seated"] = sorted([a, list(members)] for a, members in seated.items() if members)
    if replacing is not None:
        panel, leaving = replacing
        doc["replacing"] = {
            "application_id": panel.application_id,
            "members": list(panel.members),
            "leader": panel.leader,
            "leaving": leaving,
        }
    return _digest(doc)


# --- the draw ------------------------------------------------------------------------------------


class _Buckets:
    """Experts that can still take a seat, by load, per field and for the whole pool."""

    def __init__(self, fields: Mapping[int, frozenset[str]], load: dict[int, int], cap: int) -> None:
        self.fields = fields
        self.load = load
        self.cap = cap
        self.by_key: dict[str, dict[int, set[int]]] = {}
        for expert_id, expert_fields in fields.items():
            level = load[expert_id]
            if level < cap:
                for key in (_ALL, *expert_fields):
                    self.by_key.setdefault(key, {}).setdefault(level, set()).add(expert_id)

    def take(self, expert_id: int) -> None:
        level = self.load[expert_id]
        self.load[expert_id] = level + 1
        for key in (_ALL, *self.fields[expert_id]):
            levels = self.by_key[key]
            bucket = levels[level]
            bucket.discard(expert_id)
            if not bucket:
                del levels[level]
            if level + 1 < self.cap:
                levels.setdefault(level + 1, set()).add(expert_id)

    def pick(
        self, key: str, need: int, blocked: Collection[int], chosen: list[int], rng: random.Random
    ) -> None:
        """Append up to `need` eligible experts from `key`'s buckets to `chosen`, least loaded first."""
        levels = self.by_key.get(key)
        if not levels:
            return
        for level in sorted(levels):
            eligible = sorted(e for e in levels[level] if e not in blocked and e not in chosen)
            if len(eligible) > need:
                eligible = rng.sample(eligible, need)
            else:
                rng.shuffle(eligible)
            chosen.extend(eligible)
            need -= len(eligible)
            if need == 0:
                return


@dataclass(frozen=True)
class _Input:
    requests: tuple[PanelRequest, ...]  # by application_id
    pool: tuple[PoolExpert, ...]  # by expert_id
    fields: dict[int, frozenset[str]]  # drawable experts only
    conflicted: dict[str, frozenset[int]]  # credit code -> experts who may not review it
    load: dict[int, int]


def _code(credit_code: str) -> str:
    """Credit codes are compared trimmed and upper-cased: a stray space never hides a conflict."""
    return credit_code.strip().upper()


def _prepare(
    requests: Sequence[PanelRequest],
    pool: Sequence[PoolExpert],
    conflicts: Collection[tuple[int, str]],
    existing_load: Mapping[int, int],
) -> _Input:
    _validate(requests, pool, existing_load)
    by_code: dict[str, set[int]] = {}
    for expert_id, code in conflicts:
        by_code.setdefault(_code(code), set()).add(expert_id)
    ordered_pool = tuple(sorted(pool, key=lambda e: e.expert_id))
    return _Input(
        requests=tuple(sorted(requests, key=lambda r: r.application_id)),
        pool=ordered_pool,
        fields={
            e.expert_id: frozenset(e.fields)
            for e in ordered_pool
            if e.available and not e.disqualified and not e.unsigned
        },
        conflicted={code: frozenset(ids) for code, ids in by_code.items()},
        load={e.expert_id: existing_load.get(e.expert_id, 0) for e in ordered_pool},
    )


def _leader(members: Sequence[int], field: str, fields: Mapping[int, frozenset[str]]) -> int | None:
    """The first field-matched member in seat order, else the first member."""
    for m in members:
        if field in fields.get(m, frozenset()):
            return m
    return members[0] if members else None


def _exclusion_counts(
    data: _Input, request: PanelRequest, blocked: Collection[int], chosen: Sequence[int], cap: int
) -> list[tuple[str, int]]:
    """Why each expert of the pool not on this panel cannot take the seat (first reason that applies)."""
    counts = {"conflict": 0, "disqualified": 0, "unavailable": 0, "excluded": 0, "load_cap": 0}
    if any(e.unsigned for e in data.pool):  # counted only where it applies: older records stay as they are
        counts["unsigned"] = 0
    conflicted = data.conflicted.get(_code(request.credit_code), frozenset())
    for e in data.pool:
        if e.expert_id in chosen:
            continue
        if e.disqualified:
            counts["disqualified"] += 1
        elif not e.available:
            counts["unavailable"] += 1
        elif e.unsigned:
            counts["unsigned"] += 1
        elif e.expert_id in conflicted:
            counts["conflict"] += 1
        elif e.expert_id in blocked:
            counts["excluded"] += 1
        elif data.load[e.expert_id] >= cap:
            counts["load_cap"] += 1
    return list(counts.items())


def _unfilled(
    request: PanelRequest, seat: int, pool_size: int, counts: list[tuple[str, int]]
) -> UnfilledSeat:
    c = dict(counts)
    code = "PANEL_SEAT_LOAD_CAP" if c["load_cap"] else "PANEL_SEAT_NO_ELIGIBLE_EXPERT"
    unsigned_zh = f"未签署承诺书{c['unsigned']}人、" if "unsigned" in c else ""
    unsigned_en = f"{c['unsigned']} have not signed the undertaking, " if "unsigned" in c else ""
    zh = (
        f"第{seat}席无法抽取：专家库共{pool_size}人，其中利害关系回避{c['conflict']}人、"
        f"取消资格{c['disqualified']}人、不能参加{c['unavailable']}人、{unsigned_zh}指定回避{c['excluded']}人、"
        f"已达评审数量上限{c['load_cap']}人，符合条件的专家不足"
    )
    en = (
        f"Seat {seat} cannot be filled: of {pool_size} experts in the pool, {c['conflict']} have a "
        f"conflict of interest, {c['disqualified']} are disqualified, {c['unavailable']} are unavailable, "
        f"{unsigned_en}{c['excluded']} are excluded from this panel and {c['load_cap']} have reached the load cap; "
        "not enough eligible experts are left"
    )
    return UnfilledSeat(request.application_id, seat, code, zh, en, tuple(counts))


def _seat_experts(
    buckets: _Buckets,
    request: PanelRequest,
    need: int,
    blocked: Collection[int],
    rules: DrawRules,
    rng: random.Random,
) -> list[int]:
    chosen: list[int] = []
    if rules.match_fields:
        buckets.pick(request.field, need, blocked, chosen, rng)
    if len(chosen) < need:
        # Everyone eligible of the field is already chosen: the rest of the pool, least loaded first.
        buckets.pick(_ALL, need - len(chosen), blocked, chosen, rng)
    for expert_id in chosen:
        buckets.take(expert_id)
    return chosen


def draw_panels(
    requests: Sequence[PanelRequest],
    pool: Sequence[PoolExpert],
    conflicts: Collection[tuple[int, str]],
    rules: DrawRules,
    seed: int,
    *,
    existing_load: Mapping[int, int] | None = None,
    exclude: Mapping[str, Collection[int]] | None = None,
    seated: Mapping[str, Sequence[int]] | None = None,
) -> DrawResult:
    """Draw a panel of `rules.panel_size` experts for every request (see the module docstring).

    `conflicts` are the blocking (expert_id, credit_code) pairs; `existing_load` counts seats the
    experts already hold this cycle (the seated members' included); `exclude[application_id]` are
    never seated on that panel. `seated[application_id]` are members a short panel already has
    (an earlier draw could not fill every seat): they keep their seats, in order, and only the
    seats still empty are drawn; the leader is chosen by the same rule over the whole panel.
    """
    load_in = existing_load or {}
    exclude_in = exclude or {}
    seated_in = {a: tuple(ms) for a, ms in (seated or {}).items() if ms}
    data = _prepare(requests, pool, conflicts, load_in)
    rng = random.Random(seed)
    buckets = _Buckets(data.fields, data.load, rules.load_cap)

    blocked: dict[str, frozenset[int]] = {}
    slack: dict[str, int] = {}
    drawable = set(data.fields)
    for r in data.requests:
        blocked[r.application_id] = (
            data.conflicted.get(_code(r.credit_code), frozenset())
            | frozenset(exclude_in.get(r.application_id, ()))
            | frozenset(seated_in.get(r.application_id, ()))
        )
        slack[r.application_id] = len(drawable) - len(drawable & blocked[r.application_id])
    order = list(data.requests)
    rng.shuffle(order)
    order.sort(key=lambda r: slack[r.application_id])  # stable: ties keep the seeded order

    panels: dict[str, Panel] = {}
    unfilled: list[UnfilledSeat] = []
    known = {e.expert_id: frozenset(e.fields) for e in data.pool}  # a seated member may be capped now
    for r in order:
        already = list(seated_in.get(r.application_id, ()))
        need = max(rules.panel_size - len(already), 0)
        members = already + _seat_experts(buckets, r, need, blocked[r.application_id], rules, rng)
        panels[r.application_id] = Panel(
            r.application_id,
            tuple(members),
            _leader(members, r.field, known),
            tuple(m for m in members if r.field in known.get(m, frozenset())),
        )
        if len(members) < rules.panel_size:
            counts = _exclusion_counts(data, r, blocked[r.application_id], members, rules.load_cap)
            unfilled.extend(
                _unfilled(r, seat, len(data.pool), counts)
                for seat in range(len(members) + 1, rules.panel_size + 1)
            )
    return DrawResult(
        panels=tuple(panels[r.application_id] for r in data.requests),
        unfilled=tuple(sorted(unfilled, key=lambda u: (u.application_id, u.seat))),
        seed=seed,
        input_hash=input_hash(requests, pool, conflicts, rules, load_in, exclude_in, seated=seated_in),
        skipped=_skipped(data.pool),
    )


def draw_replacement(
    panel: Panel,
    leaving: int,
    request: PanelRequest,
    pool: Sequence[PoolExpert],
    conflicts: Collection[tuple[int, str]],
    rules: DrawRules,
    seed: int,
    *,
    existing_load: Mapping[int, int] | None = None,
    exclude: Collection[int] | None = None,
) -> DrawResult:
    """Draw one alternate for the seat of `leaving` (disqualified, withdrawn, newly conflicted).

    The alternate takes the leaving expert's seat; it is never a current member nor `leaving`,
    never one in `exclude` (e.g. experts who left this panel before), and never a conflicted,
    disqualified, unavailable or capped expert. If `leaving` led the panel,
    the leader is chosen again by the same rule (first field-matched member in seat order, else the
    first member); otherwise the leader stays. With no eligible alternate the seat is reported.
    """
    if panel.application_id != request.application_id:
        raise invalid(
            "PANEL_REQUEST_MISMATCH",
            f"评审组属于申报{panel.application_id}，而非{request.application_id}",
            f"The panel belongs to application {panel.application_id}, not {request.application_id}",
        )
    if leaving not in panel.members:
        raise invalid(
            "PANEL_NOT_A_MEMBER",
            f"专家{leaving}不是该评审组成员",
            f"Expert {leaving} is not a member of this panel",
            expert_id=leaving,
        )
    load_in = existing_load or {}
    data = _prepare([request], pool, conflicts, load_in)
    rng = random.Random(seed)
    buckets = _Buckets(data.fields, data.load, rules.load_cap)
    excluded = frozenset(exclude or ())
    blocked = (
        data.conflicted.get(_code(request.credit_code), frozenset()) | frozenset(panel.members) | excluded
    )
    alternate = _seat_experts(buckets, request, 1, blocked, rules, rng)

    seat = panel.members.index(leaving)
    members = [*panel.members[:seat], *alternate, *panel.members[seat + 1 :]]
    # Fields of every member, drawable or not any more; one gone from the pool matches none.
    pool_fields = {e.expert_id: frozenset(e.fields) for e in data.pool}
    known = {m: pool_fields.get(m, frozenset()) for m in members}
    leader = panel.leader if panel.leader != leaving else _leader(members, request.field, known)
    unfilled: tuple[UnfilledSeat, ...] = ()
    if not alternate:
        counts = _exclusion_counts(data, request, blocked, members, rules.load_cap)
        unfilled = (_unfilled(request, seat + 1, len(data.pool), counts),)
    return DrawResult(
        panels=(
            Panel(
                request.application_id,
                tuple(members),
                leader,
                tuple(m for m in members if request.field in known[m]),
            ),
        ),
        unfilled=unfilled,
        seed=seed,
        input_hash=input_hash(
            [request],
            pool,
            conflicts,
            rules,
            load_in,
            {request.application_id: excluded},
            replacing=(panel, leaving),
        ),
        skipped=_skipped(data.pool),
    )
