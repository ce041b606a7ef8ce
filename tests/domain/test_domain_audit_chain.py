"""The audit log's hash chain (P4, P7): any edit, removal, insertion or rewrite is found and named;
an export in either format verifies off-line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.export import BOM, csv_header, csv_line, jsonl_line, parse_csv, parse_jsonl
from audit.verify import verify_parsed
from domain.audit_chain import GENESIS, ChainCheck, canonical_json, parse_anchor, row_hash

T0 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def chain(n: int, **overrides: Any) -> list[dict[str, Any]]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        row = {
            "id": 100 + i,
            "seq": i,
            "key": f"k{i}" if i % 2 else None,
            "at": T0 + timedelta(seconds=i, microseconds=i),
            "actor": "office",
            "actor_role": "office",
            "action": "FACT_RECORDED",
            "entity_type": "enterprise",
            "entity_id": f"9133030200000000{i:02d}",
            "reason": "",
            "details": {"n": i, "kind": "QMS_CERTIFICATE", "nested": {"b": [1, 2.5], "a": "鹿城"}},
            "prev_hash": prev,
            **overrides,
        }
        row["row_hash"] = prev = row_hash(row)
        rows.append(row)
    return rows


def check(rows: list[dict[str, Any]], anchors: dict[int, str] | None = None) -> ChainCheck:
    c = ChainCheck(anchors=anchors or {})
    for r in rows:
        c.feed(r)
    c.finish()
    return c


@pytest.mark.req("P4")
@pytest.mark.req("P7")
def test_an_untouched_chain_verifies_and_reports_its_head() -> None:
    rows = chain(5)
    c = check(rows)
    assert c.first_break is None and c.rows == 5
    assert (c.head_seq, c.head_hash, c.head_id) == (5, rows[-1]["row_hash"], 105)
    assert check([]).first_break is None and check([]).head_hash == GENESIS


@pytest.mark.req("P7")
@pytest.mark.parametrize(
    "field_name, value",
    [
        ("actor", "someone-else"),
        ("actor_role", "government"),
        ("action", "FACT_DELETED"),
        ("entity_type", "user"),
        ("entity_id", "other"),
        ("reason", "changed"),
        ("details", {"n": 3}),
        ("key", "forged-key"),
        ("at", T0 + timedelta(days=1)),
    ],
)
def test_editing_any_field_of_a_row_names_that_row(field_name: str, value: Any) -> None:
    rows = chain(6)
    rows[2][field_name] = value
    b = check(rows).first_break
    assert b is not None and (b.id, b.seq, b.problem) == (103, 3, "ROW_HASH_MISMATCH")
    assert "row id 103" in b.detail


@pytest.mark.req("P7")
def test_a_row_rehashed_after_its_edit_breaks_the_link_to_the_next() -> None:
    rows = chain(6)
    rows[2]["reason"] = "rewritten"
    rows[2]["row_hash"] = row_hash(rows[2])
    b = check(rows).first_break
    assert b is not None and (b.id, b.problem) == (104, "PREVIOUS_HASH_MISMATCH")
    assert "row id 103 (seq 3)" in b.detail


@pytest.mark.req("P7")
def test_a_removed_row_is_a_gap_named_at_the_row_after_it() -> None:
    rows = chain(6)
    del rows[3]
    b = check(rows).first_break
    assert b is not None and (b.id, b.seq, b.problem) == (105, 5, "SEQUENCE_GAP")
    assert "1 row(s) missing" in b.detail


@pytest.mark.req("P7")
def test_a_rewritten_or_truncated_log_fails_against_an_anchor_recorded_earlier() -> None:
    rows = chain(8)
    anchor = {6: rows[5]["row_hash"]}
    assert check(rows, anchor).first_break is None
    # the end cut off: the chain itself still holds, the anchor does not
    b = check(rows[:4], anchor).first_break
    assert b is not None and (b.id, b.seq, b.problem) == (None, 6, "ROWS_MISSING_AT_END")
    # the whole log recomputed with one row changed: consistent, but not what was recorded
    forged = chain(8, reason="rewritten")
    b = check(forged, anchor).first_break
    assert b is not None and (b.seq, b.problem) == (6, "ANCHOR_MISMATCH")


def test_anchors_are_parsed_strictly() -> None:
    assert parse_anchor(f"12:{'A' * 64}") == (12, "a" * 64)
    for bad in ("12", f"x:{'a' * 64}", "12:abc", f"12:{'g' * 64}"):
        with pytest.raises(ValueError):
            parse_anchor(bad)


@pytest.mark.req("P7")
def test_the_canonical_form_is_what_postgresql_gives_back() -> None:
    # sorted keys, no spaces, characters as themselves; jsonb turns 2.0 into 2.0 but 1e16 into an integer
    assert canonical_json({"b": 1, "a": "鹿城"}) == '{"a":"鹿城","b":1}'
    assert canonical_json({"x": 2.0, "y": 1e16, "z": 0.5}) == '{"x":2,"y":10000000000000000,"z":0.5}'
    assert canonical_json(1.5e300) == "15" + "0" * 299
    # the instant is hashed in UTC, whatever zone it was given in
    row = chain(1)[0]
    shanghai = {**row, "at": row["at"].astimezone(timezone(timedelta(hours=8)))}
    assert row_hash(shanghai) == row["row_hash"]
    with pytest.raises(ValueError):
        canonical_json(float("nan"))


HOSTILE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
) | st.sampled_from(
    ["=1+1", "+SUM(A1)", "-2", "@cmd", "'quoted", "''", "a,b", 'say "hi"', "line\nbreak", "\r\n"]
)


@pytest.mark.req("P4")
@settings(max_examples=60, deadline=None)
@given(
    actor=HOSTILE, reason=HOSTILE, entity_id=HOSTILE, key=st.none() | HOSTILE.filter(bool), n=st.integers()
)
def test_an_export_parses_back_to_the_same_rows_in_both_formats(
    actor: str, reason: str, entity_id: str, key: str | None, n: int
) -> None:
    rows = chain(3, actor=actor, reason=reason, entity_id=entity_id, key=key, details={"n": n, "s": reason})
    jsonl = "".join(jsonl_line(r) for r in rows)
    text_csv = csv_header() + "".join(csv_line(r) for r in rows)
    assert text_csv.startswith(BOM)
    for parsed in (list(parse_jsonl(jsonl)), list(parse_csv(text_csv))):
        assert verify_parsed(parsed).ok
        assert [(p["actor"], p["reason"], p["entity_id"], p["key"]) for p in parsed] == [
            (actor, reason, entity_id, key)
        ] * 3
    # a spreadsheet sees no formula: every text cell starting with = + - @ is quoted with '
    cells = list(csv.reader(io.StringIO(text_csv.removeprefix(BOM), newline="")))
    assert all(not c.startswith(("=", "+", "-", "@")) for line in cells[1:] for c in line)
    assert json.loads(jsonl.split("\n")[0])["at"] == "2027-03-01T08:00:01.000001+00:00"
