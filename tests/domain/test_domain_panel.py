"""The panel draw (R9.1, R20.1, R20.3): properties over random pools, conflicts and seeds, and examples."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.panel import (
    DrawResult,
    DrawRules,
    Panel,
    PanelRequest,
    PoolExpert,
    draw_panels,
    draw_replacement,
    input_hash,
)

T = TypeVar("T")
FIELDS = ("INDUSTRY", "CONSTRUCTION", "SERVICES")
CODES = tuple(f"9133030200000000{i:02d}" for i in range(6))


@dataclass(frozen=True)
class Case:
    requests: list[PanelRequest]
    pool: list[PoolExpert]
    conflicts: set[tuple[int, str]]
    rules: DrawRules
    seed: int
    existing_load: dict[int, int]
    exclude: dict[str, list[int]]

    def draw(self) -> DrawResult:
        return draw_panels(
            self.requests,
            self.pool,
            self.conflicts,
            self.rules,
            self.seed,
            existing_load=self.existing_load,
            exclude=self.exclude,
        )

    def hash(self) -> str:
        return input_hash(
            self.requests, self.pool, self.conflicts, self.rules, self.existing_load, self.exclude
        )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    expert_ids = draw(st.lists(st.integers(1, 60), unique=True, max_size=16))
    pool = [
        PoolExpert(
            expert_id=i,
            fields=tuple(draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2, unique=True))),
            available=draw(st.integers(0, 3)) != 0,
            disqualified=draw(st.integers(0, 7)) == 0,
        )
        for i in expert_ids
    ]
    app_ids = draw(st.lists(st.integers(1, 99), unique=True, max_size=8))
    requests = [
        PanelRequest(f"app-{a}", draw(st.sampled_from(CODES)), draw(st.sampled_from(FIELDS))) for a in app_ids
    ]
    all_ids = [*expert_ids, 99]  # a conflict may name an expert not in the pool
    conflicts = (
        draw(st.sets(st.tuples(st.sampled_from(all_ids), st.sampled_from(CODES)), max_size=20))
        if expert_ids
        else set()
    )
    existing_load = (
        draw(st.dictionaries(st.sampled_from(all_ids), st.integers(0, 5), max_size=6)) if expert_ids else {}
    )
    exclude = (
        draw(
            st.dictionaries(
                st.sampled_from([r.application_id for r in requests]),
                st.lists(st.sampled_from(all_ids), max_size=3),
                max_size=3,
            )
        )
        if requests and expert_ids
        else {}
    )
    rules = DrawRules(
        panel_size=draw(st.integers(3, 4)), load_cap=draw(st.integers(1, 4)), match_fields=draw(st.booleans())
    )
    return Case(requests, pool, conflicts, rules, draw(st.integers(0, 2**32)), existing_load, exclude)


def eligible(case: Case, expert: PoolExpert, request: PanelRequest) -> bool:
    """Whether the rules allow `expert` on `request`'s panel at all (load aside)."""
    return (
        expert.available
        and not expert.disqualified
        and (expert.expert_id, request.credit_code) not in case.conflicts
        and expert.expert_id not in case.exclude.get(request.application_id, ())
    )


def final_loads(case: Case, result: DrawResult) -> Counter[int]:
    load = Counter({e.expert_id: case.existing_load.get(e.expert_id, 0) for e in case.pool})
    load.update(m for p in result.panels for m in p.members)
    return load


# --- properties ---------------------------------------------------------------------------------


@pytest.mark.req("R20.1")
@settings(max_examples=80, deadline=None)
@given(case=cases())
def test_no_conflicted_disqualified_unavailable_or_excluded_expert_is_seated(case: Case) -> None:
    result = case.draw()
    pool = {e.expert_id: e for e in case.pool}
    requests = {r.application_id: r for r in case.requests}
    assert [p.application_id for p in result.panels] == sorted(requests)
    for panel in result.panels:
        assert len(set(panel.members)) == len(panel.members)
        for m in panel.members:
            assert m in pool
            assert eligible(case, pool[m], requests[panel.application_id])


@pytest.mark.req("R9.1")
@settings(max_examples=80, deadline=None)
@given(case=cases())
def test_every_panel_is_full_or_reports_exactly_the_missing_seats_and_has_one_leader(case: Case) -> None:
    result = case.draw()
    pool = {e.expert_id: e for e in case.pool}
    fields = {r.application_id: r.field for r in case.requests}
    size = case.rules.panel_size
    assert size >= 3
    for panel in result.panels:
        seats = [u.seat for u in result.unfilled if u.application_id == panel.application_id]
        assert seats == list(range(len(panel.members) + 1, size + 1))
        assert len(panel.members) <= size
        if panel.members:
            assert panel.leader in panel.members
        else:
            assert panel.leader is None
        matched = tuple(m for m in panel.members if fields[panel.application_id] in pool[m].fields)
        assert panel.field_matched == matched
        if matched:
            assert panel.leader == matched[0]
    assert {u.application_id for u in result.unfilled} <= set(fields)
    for u in result.unfilled:
        assert u.reason_code in {"PANEL_SEAT_LOAD_CAP", "PANEL_SEAT_NO_ELIGIBLE_EXPERT"}
        assert u.reason_zh and u.reason_en


@pytest.mark.req("R9.1")
@settings(max_examples=80, deadline=None)
@given(case=cases())
def test_no_expert_goes_over_the_load_cap_counting_existing_load(case: Case) -> None:
    result = case.draw()
    seated = {m for p in result.panels for m in p.members}
    loads = final_loads(case, result)
    assert all(loads[m] <= case.rules.load_cap for m in seated)


@pytest.mark.req("R20.1")
@settings(max_examples=80, deadline=None)
@given(case=cases())
def test_an_unfilled_seat_is_one_no_eligible_expert_could_take(case: Case) -> None:
    """A seat is left empty only if everyone else is barred from the panel or at the cap."""
    result = case.draw()
    loads = final_loads(case, result)
    panels = {p.application_id: p for p in result.panels}
    for r in case.requests:
        panel = panels[r.application_id]
        if len(panel.members) == case.rules.panel_size:
            continue
        for e in case.pool:
            if e.expert_id not in panel.members and eligible(case, e, r):
                assert loads[e.expert_id] >= case.rules.load_cap
        counts = dict(next(u for u in result.unfilled if u.application_id == r.application_id).excluded)
        assert sum(counts.values()) == len(case.pool) - len(panel.members)


@pytest.mark.req("R20.1")
@settings(max_examples=80, deadline=None)
@given(case=cases())
def test_field_matching_is_preferred(case: Case) -> None:
    """A member outside the field is seated only when no eligible expert of the field had room."""
    if not case.rules.match_fields:
        return
    result = case.draw()
    loads = final_loads(case, result)
    requests = {r.application_id: r for r in case.requests}
    for panel in result.panels:
        r = requests[panel.application_id]
        if len(panel.field_matched) == len(panel.members):
            continue
        for e in case.pool:
            if r.field in e.fields and e.expert_id not in panel.members and eligible(case, e, r):
                assert loads[e.expert_id] >= case.rules.load_cap


@pytest.mark.req("R20.1")
@settings(max_examples=80, deadline=None)
@given(case=cases(), shuffle_seed=st.integers(0, 1000))
def test_same_inputs_and_seed_give_the_same_panels_in_any_input_order(case: Case, shuffle_seed: int) -> None:
    result = case.draw()
    assert case.draw() == result
    rng = random.Random(shuffle_seed)

    def shuffled(items: Collection[T]) -> list[T]:
        out = list(items)
        rng.shuffle(out)
        return out

    other = Case(
        requests=shuffled(case.requests),
        pool=[replace(e, fields=tuple(reversed(e.fields))) for e in shuffled(case.pool)],
        conflicts=set(shuffled(case.conflicts)),
        rules=case.rules,
        seed=case.seed,
        existing_load=dict(shuffled(case.existing_load.items())),
        exclude={a: shuffled(ids) for a, ids in shuffled(case.exclude.items())},
    )
    assert other.draw() == result
    assert other.hash() == result.input_hash == case.hash()
    assert result.seed == case.seed


@pytest.mark.req("R20.1")
@settings(max_examples=80, deadline=None)
@given(case=cases(), which=st.integers(0, 6))
def test_input_hash_changes_when_any_input_changes(case: Case, which: int) -> None:
    base = case.hash()
    if which == 0:
        changed = replace(case, requests=[*case.requests, PanelRequest("app-new", CODES[0], "INDUSTRY")])
    elif which == 1:
        changed = replace(case, pool=[*case.pool, PoolExpert(1000, ("SERVICES",))])
    elif which == 2 and case.pool:
        first, *rest = case.pool
        changed = replace(case, pool=[replace(first, available=not first.available), *rest])
    elif which == 3:
        changed = replace(case, conflicts=case.conflicts ^ {(1000, CODES[1])})
    elif which == 4:
        changed = replace(case, rules=replace(case.rules, load_cap=case.rules.load_cap + 1))
    elif which == 5:
        changed = replace(case, existing_load={**case.existing_load, 1000: 1})
    else:
        changed = replace(case, exclude={**case.exclude, "app-new": [1000]})
    assert changed.hash() != base
    flipped = replace(case, rules=replace(case.rules, match_fields=not case.rules.match_fields))
    assert flipped.hash() != base
    for r_index, r in enumerate(case.requests):
        moved = [*case.requests]
        moved[r_index] = replace(r, field="OTHER")
        assert replace(case, requests=moved).hash() != base


@pytest.mark.req("R9.1")
@settings(max_examples=60, deadline=None)
@given(
    n_experts=st.integers(3, 20),
    n_apps=st.integers(1, 12),
    seed=st.integers(0, 2**32),
)
def test_load_is_balanced_in_a_uniform_pool(n_experts: int, n_apps: int, seed: int) -> None:
    pool = [PoolExpert(i, ("INDUSTRY",)) for i in range(n_experts)]
    requests = [PanelRequest(f"app-{a}", CODES[a % len(CODES)], "INDUSTRY") for a in range(n_apps)]
    result = draw_panels(requests, pool, set(), DrawRules(load_cap=100), seed)
    load = Counter({e.expert_id: 0 for e in pool})
    load.update(m for p in result.panels for m in p.members)
    assert max(load.values()) - min(load.values()) <= 1
    assert not result.unfilled


@pytest.mark.req("R20.3")
@settings(max_examples=80, deadline=None)
@given(case=cases(), data=st.data())
def test_a_replacement_keeps_every_rule(case: Case, data: st.DataObject) -> None:
    result = case.draw()
    drawn = [p for p in result.panels if p.members]
    if not drawn:
        return
    panel = data.draw(st.sampled_from(drawn))
    leaving = data.draw(st.sampled_from(panel.members))
    request = next(r for r in case.requests if r.application_id == panel.application_id)
    loads = dict(final_loads(case, result))
    pool_now = [replace(e, disqualified=True) if e.expert_id == leaving else e for e in case.pool]
    exclude = case.exclude.get(request.application_id, [])
    out = draw_replacement(
        panel,
        leaving,
        request,
        pool_now,
        case.conflicts,
        case.rules,
        case.seed,
        existing_load=loads,
        exclude=exclude,
    )
    assert out == draw_replacement(
        panel,
        leaving,
        request,
        pool_now[::-1],
        case.conflicts,
        case.rules,
        case.seed,
        existing_load=loads,
        exclude=exclude[::-1],
    )
    (new,) = out.panels
    seat = panel.members.index(leaving)
    others = [m for m in panel.members if m != leaving]
    assert leaving not in new.members
    assert [m for m in new.members if m in others] == others
    alternates = [m for m in new.members if m not in panel.members]
    assert len(alternates) + len(out.unfilled) == 1
    if alternates:
        (alt,) = alternates
        assert new.members[seat] == alt
        expert = next(e for e in case.pool if e.expert_id == alt)
        assert eligible(case, expert, request)
        assert loads.get(alt, 0) < case.rules.load_cap
    else:
        assert out.unfilled[0].seat == seat + 1
    if panel.leader != leaving:
        assert new.leader == panel.leader
    elif new.members:
        assert new.leader == (new.field_matched[0] if new.field_matched else new.members[0])
    assert new.leader in new.members or (new.leader is None and not new.members)


# --- examples -----------------------------------------------------------------------------------


def pool_of(n: int, field: str = "INDUSTRY", start: int = 1) -> list[PoolExpert]:
    return [PoolExpert(i, (field,)) for i in range(start, start + n)]


@pytest.mark.req("R9.1")
@pytest.mark.parametrize("size", [0, 1, 2, -3])
def test_rules_never_ask_for_fewer_than_three_experts(size: int) -> None:
    with pytest.raises(DomainError) as info:
        DrawRules(panel_size=size)
    assert info.value.code == "PANEL_TOO_SMALL"
    assert "至少由3名专家组成" in info.value.message_zh


@pytest.mark.req("R9.1")
def test_load_cap_must_be_positive() -> None:
    with pytest.raises(DomainError) as info:
        DrawRules(load_cap=0)
    assert info.value.code == "PANEL_LOAD_CAP_INVALID"


@pytest.mark.req("R9.1")
def test_duplicates_and_negative_loads_are_refused() -> None:
    r = PanelRequest("app-1", CODES[0], "INDUSTRY")
    for requests, pool, load, code in [
        ([r, r], pool_of(3), {}, "PANEL_DUPLICATE_APPLICATION"),
        ([r], [*pool_of(3), PoolExpert(1, ("SERVICES",))], {}, "PANEL_DUPLICATE_EXPERT"),
        ([r], pool_of(3), {2: -1}, "PANEL_NEGATIVE_LOAD"),
    ]:
        with pytest.raises(DomainError) as info:
            draw_panels(requests, pool, set(), DrawRules(), 1, existing_load=load)
        assert info.value.code == code


@pytest.mark.req("R20.1")
def test_unfillable_seats_are_reported_with_the_reasons() -> None:
    pool = [
        *pool_of(2),  # 1, 2: eligible
        PoolExpert(3, ("INDUSTRY",)),  # conflicted
        PoolExpert(4, ("INDUSTRY",), disqualified=True),
        PoolExpert(5, ("INDUSTRY",), available=False),
        PoolExpert(6, ("SERVICES",)),  # at the cap already
        PoolExpert(7, ("SERVICES",)),  # excluded from this panel
    ]
    result = draw_panels(
        [PanelRequest("app-1", CODES[0], "INDUSTRY")],
        pool,
        {(3, CODES[0]), (1, CODES[1])},
        DrawRules(panel_size=4, load_cap=2),
        seed=5,
        existing_load={6: 2, 1: 1},
        exclude={"app-1": [7]},
    )
    (panel,) = result.panels
    assert sorted(panel.members) == [1, 2]
    assert [u.seat for u in result.unfilled] == [3, 4]
    u = result.unfilled[0]
    assert u.reason_code == "PANEL_SEAT_LOAD_CAP"
    assert dict(u.excluded) == {
        "conflict": 1,
        "disqualified": 1,
        "unavailable": 1,
        "excluded": 1,
        "load_cap": 1,
    }
    assert "第3席无法抽取" in u.reason_zh and "利害关系回避1人" in u.reason_zh
    assert "Seat 3 cannot be filled" in u.reason_en


@pytest.mark.req("R9.1")
def test_an_empty_pool_leaves_every_seat_unfilled_and_no_leader() -> None:
    result = draw_panels([PanelRequest("app-1", CODES[0], "INDUSTRY")], [], set(), DrawRules(), seed=0)
    assert result.panels == (Panel("app-1", (), None, ()),)
    assert [(u.seat, u.reason_code) for u in result.unfilled] == [
        (1, "PANEL_SEAT_NO_ELIGIBLE_EXPERT"),
        (2, "PANEL_SEAT_NO_ELIGIBLE_EXPERT"),
        (3, "PANEL_SEAT_NO_ELIGIBLE_EXPERT"),
    ]


@pytest.mark.req("R9.1")
def test_field_experts_first_then_others_and_the_leader_is_of_the_field() -> None:
    pool = [*pool_of(2, "CONSTRUCTION", start=1), *pool_of(5, "SERVICES", start=10)]
    result = draw_panels([PanelRequest("app-1", CODES[0], "CONSTRUCTION")], pool, set(), DrawRules(), seed=3)
    (panel,) = result.panels
    assert panel.members[:2] in {(1, 2), (2, 1)}
    assert panel.field_matched == panel.members[:2]
    assert panel.leader == panel.members[0]
    unmatched = draw_panels(
        [PanelRequest("app-1", CODES[0], "CONSTRUCTION")],
        pool,
        set(),
        DrawRules(match_fields=False),
        seed=3,
    )
    assert len(unmatched.panels[0].members) == 3


@pytest.mark.req("R9.1")
def test_without_field_experts_the_first_member_leads() -> None:
    result = draw_panels(
        [PanelRequest("app-1", CODES[0], "INDUSTRY")], pool_of(4, "SERVICES"), set(), DrawRules(), 9
    )
    (panel,) = result.panels
    assert panel.field_matched == ()
    assert panel.leader == panel.members[0]


@pytest.mark.req("R9.1")
def test_experts_at_the_cap_are_never_drawn() -> None:
    result = draw_panels(
        [PanelRequest("app-1", CODES[0], "INDUSTRY")],
        pool_of(5),
        set(),
        DrawRules(load_cap=3),
        seed=2,
        existing_load={1: 3, 2: 7},
    )
    assert sorted(result.panels[0].members) == [3, 4, 5]


@pytest.mark.req("R9.1")
def test_the_seed_decides_the_draw() -> None:
    requests = [PanelRequest("app-1", CODES[0], "INDUSTRY")]
    draws = {draw_panels(requests, pool_of(10), set(), DrawRules(), seed).panels for seed in range(20)}
    assert len(draws) > 5
    assert draw_panels(requests, pool_of(10), set(), DrawRules(), 7) == draw_panels(
        requests, pool_of(10), set(), DrawRules(), 7
    )


@pytest.mark.req("R20.1")
def test_scarce_experts_go_where_they_are_needed() -> None:
    # app-b can only use experts 1-3 (4-6 are conflicted with it); the draw must leave them to it.
    pool = pool_of(6)
    conflicts = {(i, CODES[1]) for i in (4, 5, 6)}
    requests = [PanelRequest("app-a", CODES[0], "INDUSTRY"), PanelRequest("app-b", CODES[1], "INDUSTRY")]
    for seed in range(10):
        result = draw_panels(requests, pool, conflicts, DrawRules(load_cap=1), seed)
        assert not result.unfilled
        assert sorted(result.panels[1].members) == [1, 2, 3]


def panel_case() -> tuple[Panel, PanelRequest, list[PoolExpert], Mapping[int, int]]:
    pool = [*pool_of(4, "INDUSTRY", start=1), *pool_of(4, "SERVICES", start=10)]
    request = PanelRequest("app-1", CODES[0], "INDUSTRY")
    result = draw_panels([request], pool, set(), DrawRules(), seed=11)
    (panel,) = result.panels
    loads = Counter(panel.members)
    return panel, request, pool, loads


@pytest.mark.req("R20.3")
def test_replacing_the_leader_chooses_a_leader_again() -> None:
    panel, request, pool, loads = panel_case()
    assert panel.leader == panel.members[0]
    out = draw_replacement(panel, panel.leader, request, pool, set(), DrawRules(), 4, existing_load=loads)
    (new,) = out.panels
    (alt,) = set(new.members) - set(panel.members)
    assert new.members == (alt, *panel.members[1:])
    assert alt in {1, 2, 3, 4}  # the one INDUSTRY expert left
    assert new.leader == alt  # first field-matched member in seat order
    assert not out.unfilled
    assert out.input_hash != input_hash([request], pool, set(), DrawRules(), loads)
    again = draw_replacement(
        panel, panel.members[1], request, pool, set(), DrawRules(), 4, existing_load=loads
    )
    assert again.input_hash != out.input_hash
    assert again.panels[0].leader == panel.leader


@pytest.mark.req("R20.3")
def test_replacement_respects_conflicts_and_the_cap_or_reports_the_seat() -> None:
    panel, request, pool, loads = panel_case()
    leaving = panel.members[2]
    others = [e.expert_id for e in pool if e.expert_id not in panel.members]
    conflicts = {(x, request.credit_code) for x in others[:-1]}
    out = draw_replacement(panel, leaving, request, pool, conflicts, DrawRules(), 0, existing_load=loads)
    assert out.panels[0].members == (*panel.members[:2], others[-1])
    capped = {**loads, others[-1]: 5}
    out = draw_replacement(panel, leaving, request, pool, conflicts, DrawRules(), 0, existing_load=capped)
    assert out.panels[0].members == panel.members[:2]
    assert out.panels[0].leader == panel.leader
    (u,) = out.unfilled
    assert (u.seat, u.reason_code) == (3, "PANEL_SEAT_LOAD_CAP")


@pytest.mark.req("R20.3")
def test_replacement_refuses_a_non_member_or_another_application() -> None:
    panel, request, pool, loads = panel_case()
    with pytest.raises(DomainError) as info:
        draw_replacement(panel, 999, request, pool, set(), DrawRules(), 0, existing_load=loads)
    assert info.value.code == "PANEL_NOT_A_MEMBER"
    with pytest.raises(DomainError) as info:
        draw_replacement(
            panel, panel.members[0], replace(request, application_id="app-2"), pool, set(), DrawRules(), 0
        )
    assert info.value.code == "PANEL_REQUEST_MISMATCH"
