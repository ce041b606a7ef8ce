"""The audit log with its chain as JSON Lines or CSV, and both parsed back (to verify off-line).

JSON Lines: one JSON object per row with every column of db.audit_log.CHAIN_COLUMNS; `at` in UTC
with microseconds, exactly as it is hashed, so `domain.audit_chain.row_hash(row)` of a parsed
line is its `row_hash`.

CSV (for Excel): UTF-8 with a byte order mark, a header row, RFC 4180 quoting (a field with a
comma, quote or line break is quoted, quotes doubled), line ends CRLF, `details` as canonical
JSON, an empty `key` for a row without one. A text cell that would start with `=`, `+`, `-`, `@`,
a tab or a carriage return is a formula to a spreadsheet (CSV injection, and the log holds what
strangers typed, e.g. user names of failed sign-ins): such a cell, and any cell starting with
`'`, gets one leading `'`, which parse_csv takes off again — so the CSV verifies too.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

from db.audit_log import CHAIN_COLUMNS
from domain.audit_chain import canonical_json, instant

BOM = "\ufeff"
FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "'")
_INTEGERS = ("id", "seq")


def exported(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as exported: every chain column, `at` as hashed."""
    out = {c: row[c] for c in CHAIN_COLUMNS}
    out["at"] = instant(row["at"])
    return out


def jsonl_line(row: Mapping[str, Any]) -> str:
    return json.dumps(exported(row), ensure_ascii=False, separators=(",", ":")) + "\n"


def _cell(name: str, value: Any) -> str:
    if name == "details":
        return canonical_json(value)
    if value is None:
        return ""
    text = str(value)
    if name not in _INTEGERS and text.startswith(_FORMULA):
        return "'" + text
    return text


def _csv_line(values: Iterable[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    return buf.getvalue()


def csv_header() -> str:
    return BOM + _csv_line(CHAIN_COLUMNS)


def csv_line(row: Mapping[str, Any]) -> str:
    out = exported(row)
    return _csv_line(_cell(c, out[c]) for c in CHAIN_COLUMNS)


async def stream(
    rows: AsyncIterable[Mapping[str, Any]], fmt: str, *, batch: int = 500
) -> AsyncIterator[bytes]:
    """The export as UTF-8 chunks of about `batch` rows."""
    if fmt not in FORMATS:
        raise ValueError(f"format is one of {', '.join(FORMATS)}, not {fmt!r}")
    line = jsonl_line if fmt == "jsonl" else csv_line
    chunk: list[str] = [csv_header()] if fmt == "csv" else []
    async for row in rows:
        chunk.append(line(row))
        if len(chunk) >= batch:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    if chunk:
        yield "".join(chunk).encode("utf-8")


def parse_jsonl(text: str) -> Iterator[dict[str, Any]]:
    for line in text.split("\n"):  # not splitlines(): U+0085 or U+2028 inside a value is no line end
        if line.strip():
            yield json.loads(line)


def parse_csv(text: str) -> Iterator[dict[str, Any]]:
    """Rows of an export written by csv_line (the BOM may or may not still be there). Read the file
    with newline="": a line break inside a value is part of it."""
    reader = csv.DictReader(io.StringIO(text.removeprefix(BOM), newline=""))
    for raw in reader:
        row: dict[str, Any] = {}
        for name in CHAIN_COLUMNS:
            value = raw[name]
            if name in _INTEGERS:
                row[name] = int(value)
            elif name == "details":
                row[name] = json.loads(value)
            elif name == "key" and value == "":
                row[name] = None
            else:
                row[name] = value[1:] if value.startswith("'") else value
        yield row
