"""Conflicts of interest (R20.1): detection from the experts' histories, and which conflicts block."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import add_years
from domain.conflicts import (
    ConflictRecord,
    ConflictSource,
    ConflictState,
    ConflictType,
    DetectedConflict,
    Engagement,
    EngagementKind,
    ExpertProfile,
    blocking_pairs,
    detect_conflicts,
    is_blocking,
)
from domain.errors import DomainError
from domain.panel import DrawRules, PanelRequest, PoolExpert, draw_panels

ON = date(2027, 4, 15)
A = "91330302MA2AAAAA1X"
B = "91330302MA2BBBBB2Y"
EMPLOYMENT, CONSULTING = EngagementKind.EMPLOYMENT, EngagementKind.CONSULTING


def expert(
    expert_id: int = 1, employer: str | None = None, *engagements: Engagement, name: str = "张三"
) -> ExpertProfile:
    return ExpertProfile(expert_id, name, employer, tuple(engagements))


def job(code: str, start: date, end: date | None, kind: EngagementKind = EMPLOYMENT) -> Engagement:
    return Engagement(code, kind, start, end)


def types(found: list[DetectedConflict]) -> list[tuple[int, str, ConflictType]]:
    return [(c.expert_id, c.credit_code, c.type) for c in found]


@pytest.mark.req("R20.1")
def test_current_employer_is_a_conflict() -> None:
    found = detect_conflicts([expert(7, A)], [A, B], on=ON, window_years=3)
    assert types(found) == [(7, A, ConflictType.CURRENT_EMPLOYER)]
    assert "现任职于该企业" in found[0].evidence_zh and A in found[0].evidence_zh


@pytest.mark.req("R20.1")
def test_credit_codes_are_compared_normalised() -> None:
    found = detect_conflicts([expert(7, f" {A.lower()} ")], [A], on=ON, window_years=3)
    assert types(found) == [(7, A, ConflictType.CURRENT_EMPLOYER)]
    found = detect_conflicts([expert(7, A)], [f"{A.lower()}\n"], on=ON, window_years=3)
    assert types(found) == [(7, A, ConflictType.CURRENT_EMPLOYER)]


@pytest.mark.req("R20.1")
def test_enterprises_not_asked_about_are_ignored() -> None:
    e = expert(1, B, job(B, date(2010, 1, 1), None), job(B, date(2026, 1, 1), None, CONSULTING))
    assert detect_conflicts([e], [A], on=ON, window_years=3) == []
    assert detect_conflicts([e], [], on=ON, window_years=3) == []


@pytest.mark.req("R20.1")
@pytest.mark.parametrize(
    ("end", "conflicted"),
    [
        (add_years(ON, -3), True),  # the window's first day counts
        (add_years(ON, -3) + timedelta(days=1), True),
        (add_years(ON, -3) - timedelta(days=1), False),  # one day before the window
        (ON, True),  # left on the day of the check
        (date(2015, 1, 1), False),
    ],
)
def test_past_employment_window_boundary(end: date, conflicted: bool) -> None:
    e = expert(1, B, job(A, date(2010, 3, 1), end))
    found = detect_conflicts([e], [A], on=ON, window_years=3)
    assert types(found) == ([(1, A, ConflictType.PAST_EMPLOYER)] if conflicted else [])
    if conflicted:
        assert "离职未满3年" in found[0].evidence_zh


@pytest.mark.req("R20.1")
def test_window_boundary_on_a_leap_day() -> None:
    on = date(2028, 2, 29)  # three years earlier there is no 29 February: the window opens on the 28th
    assert add_years(on, -3) == date(2025, 2, 28)
    inside = expert(1, None, job(A, date(2020, 1, 1), date(2025, 2, 28)))
    outside = expert(2, None, job(A, date(2020, 1, 1), date(2025, 2, 27)))
    assert types(detect_conflicts([inside, outside], [A], on=on, window_years=3)) == [
        (1, A, ConflictType.PAST_EMPLOYER)
    ]


@pytest.mark.req("R20.1")
@pytest.mark.parametrize("end", [None, ON + timedelta(days=1), date(2030, 12, 31)])
def test_ongoing_employment_is_a_current_employer(end: date | None) -> None:
    # Not recorded as the current employer, but the history says the employment is running.
    found = detect_conflicts([expert(3, None, job(A, date(2020, 1, 1), end))], [A], on=ON, window_years=3)
    assert types(found) == [(3, A, ConflictType.CURRENT_EMPLOYER)]
    if end is None:
        assert "至今" in found[0].evidence_zh


@pytest.mark.req("R20.1")
@pytest.mark.parametrize(
    ("start", "end", "conflicted"),
    [
        (date(2024, 1, 1), None, True),  # ongoing
        (date(2019, 1, 1), add_years(ON, -3), True),  # ended on the window's first day
        (date(2019, 1, 1), add_years(ON, -3) - timedelta(days=1), False),
        (date(2027, 6, 1), date(2027, 12, 31), True),  # agreed, starts after the check
        (date(2026, 5, 1), date(2026, 8, 31), True),
    ],
)
def test_consulting_within_the_window(start: date, end: date | None, conflicted: bool) -> None:
    e = expert(4, None, job(A, start, end, CONSULTING))
    found = detect_conflicts([e], [A], on=ON, window_years=3)
    assert types(found) == ([(4, A, ConflictType.CONSULTING)] if conflicted else [])


@pytest.mark.req("R20.1")
def test_window_zero_years_keeps_only_what_runs_on_the_day() -> None:
    e = expert(1, None, job(A, date(2020, 1, 1), ON), job(B, date(2020, 1, 1), ON - timedelta(days=1)))
    assert types(detect_conflicts([e], [A, B], on=ON, window_years=0)) == [(1, A, ConflictType.PAST_EMPLOYER)]


@pytest.mark.req("R20.1")
def test_one_result_per_type_with_all_evidence_and_sorted() -> None:
    e9 = expert(
        9,
        A,
        job(A, date(2026, 1, 1), None, CONSULTING),
        job(A, date(2025, 1, 1), date(2025, 6, 30), CONSULTING),
        job(B, date(2012, 1, 1), date(2026, 1, 31)),
        name="李四",
    )
    e2 = expert(2, None, job(B, date(2026, 2, 1), None, CONSULTING), name="王五")
    found = detect_conflicts([e9, e2], [B, A], on=ON, window_years=3)
    assert types(found) == [
        (2, B, ConflictType.CONSULTING),
        (9, A, ConflictType.CONSULTING),
        (9, A, ConflictType.CURRENT_EMPLOYER),
        (9, B, ConflictType.PAST_EMPLOYER),
    ]
    consulting = found[1].evidence_zh
    assert "2026年1月1日至今" in consulting and "2025年1月1日至2025年6月30日" in consulting
    assert found[0].evidence_zh.startswith("专家王五")


@pytest.mark.req("R20.1")
def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(DomainError) as info:
        detect_conflicts([], [A], on=ON, window_years=-1)
    assert info.value.code == "CONFLICT_WINDOW_NEGATIVE"
    with pytest.raises(DomainError) as info:
        job(A, date(2027, 1, 2), date(2027, 1, 1))
    assert info.value.code == "ENGAGEMENT_ENDS_BEFORE_START"


@pytest.mark.req("R20.1")
@pytest.mark.parametrize(
    ("state", "blocks"),
    [(ConflictState.SUSPECTED, True), (ConflictState.CONFIRMED, True), (ConflictState.DISMISSED, False)],
)
def test_which_states_block(state: ConflictState, blocks: bool) -> None:
    assert is_blocking(state) is blocks


@pytest.mark.req("R20.1")
def test_blocking_pairs_leave_out_dismissed_conflicts() -> None:
    records = [
        ConflictRecord(1, A, ConflictType.DECLARED_BY_EXPERT, ConflictSource.EXPERT, ConflictState.CONFIRMED),
        ConflictRecord(2, A, ConflictType.PAST_EMPLOYER, ConflictSource.DETECTED, ConflictState.SUSPECTED),
        ConflictRecord(3, A, ConflictType.CONSULTING, ConflictSource.DETECTED, ConflictState.DISMISSED),
        ConflictRecord(
            4,
            B.lower(),
            ConflictType.DECLARED_BY_ENTERPRISE,
            ConflictSource.ENTERPRISE,
            ConflictState.CONFIRMED,
        ),
    ]
    assert blocking_pairs(records) == {(1, A), (2, A), (4, B)}


@pytest.mark.req("R20.1")
def test_a_dismissed_conflict_does_not_keep_the_expert_off_the_panel() -> None:
    pool = [PoolExpert(i, ("INDUSTRY",)) for i in (1, 2, 3)]
    request = [PanelRequest("app-1", A, "INDUSTRY")]
    for state, seated in [(ConflictState.DISMISSED, True), (ConflictState.SUSPECTED, False)]:
        pairs = blocking_pairs(
            [ConflictRecord(3, A, ConflictType.CONSULTING, ConflictSource.DETECTED, state)]
        )
        result = draw_panels(request, pool, pairs, DrawRules(), seed=1)
        assert (3 in result.panels[0].members) is seated
        assert len(result.unfilled) == (0 if seated else 1)


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31))
codes = st.sampled_from([A, B, "91330302MA2CCCCC3Z"])


@st.composite
def engagements(draw: st.DrawFn) -> Engagement:
    start = draw(dates)
    end = draw(st.none() | st.dates(min_value=start, max_value=date(2036, 12, 31)))
    return Engagement(draw(codes), draw(st.sampled_from(list(EngagementKind))), start, end)


@pytest.mark.req("R20.1")
@settings(max_examples=150, deadline=None)
@given(
    profiles=st.lists(
        st.builds(
            ExpertProfile, st.integers(1, 6), st.just("专家"), st.none() | codes, st.tuples(engagements())
        ),
        max_size=6,
        unique_by=lambda p: p.expert_id,
    ),
    asked=st.sets(codes),
    on=dates,
    window=st.integers(0, 6),
)
def test_detection_matches_a_plain_reading_of_the_rule(
    profiles: list[ExpertProfile], asked: set[str], on: date, window: int
) -> None:
    found = detect_conflicts(profiles, asked, on=on, window_years=window)
    keys = types(found)
    assert keys == sorted(set(keys))  # sorted, one per (expert, enterprise, type)
    assert detect_conflicts(list(reversed(profiles)), asked, on=on, window_years=window) == found
    expected: set[tuple[int, str, ConflictType]] = set()
    first_day = add_years(on, -window)
    for p in profiles:
        if p.current_employer_credit_code in asked:
            expected.add((p.expert_id, p.current_employer_credit_code, ConflictType.CURRENT_EMPLOYER))
        for e in p.engagements:
            if e.enterprise_credit_code not in asked:
                continue
            running = e.end is None or e.end > on
            recent = e.end is None or e.end >= first_day
            if e.kind is EMPLOYMENT and running:
                expected.add((p.expert_id, e.enterprise_credit_code, ConflictType.CURRENT_EMPLOYER))
            elif e.kind is EMPLOYMENT and recent:
                expected.add((p.expert_id, e.enterprise_credit_code, ConflictType.PAST_EMPLOYER))
            elif e.kind is CONSULTING and recent:
                expected.add((p.expert_id, e.enterprise_credit_code, ConflictType.CONSULTING))
    assert set(keys) == expected
