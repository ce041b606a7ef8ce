"""The audit log's hash chain (P4, P7; MLPS 2.0 安全审计): its canonical form and its check.

Pure (standard library only): the database appends with it (db/audit_log.py) and anyone can
verify an export with it, off-line, without this system.

Each row of the audit log has a position `seq` (1, 2, 3, … with no gap, in the order the rows
were committed), `prev_hash`, the `row_hash` of the row before it (`GENESIS` for the first), and

    row_hash = SHA-256(canonical JSON of {seq, key, at, actor, actor_role, action, entity_type,
                                          entity_id, reason, details, prev_hash}), lower-case hex

Canonical JSON: keys sorted, no insignificant white space, UTF-8 (characters as themselves, not
\\u escapes), `at` as UTC ISO 8601 with microseconds (`2027-03-01T08:00:00.000000+00:00`), and
a number with an integral value written as that integer (`2.0` → `2`): PostgreSQL's `jsonb`
keeps `1e16` as `10000000000000000`, and the hash must be the same before and after it is
stored. Editing any field of a row, its place, or removing or inserting a row breaks the chain at
that row; rewriting a whole tail consistently is caught by an anchor (a `seq` and `row_hash`
recorded earlier, e.g. printed by a previous verification or kept with an export).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "key",
    "at",
    "actor",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "reason",
    "details",
    "prev_hash",
)


def instant(at: datetime | str) -> str:
    """`at` as it is hashed: UTC, microseconds. A naive datetime is UTC (as the driver stores it)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _normal(value: Any) -> Any:
    """JSON values as PostgreSQL's jsonb gives them back: integral numbers as integers."""
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        # the integer its shortest decimal form denotes (1.5e300 is stored as 15 and 299 zeros)
        return int(Decimal(repr(value)))
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(
        _normal(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def row_hash(row: Mapping[str, Any]) -> str:
    """The hash of a row: `row` has every field of HASHED_FIELDS (others are ignored)."""
    fields = {name: row[name] for name in HASHED_FIELDS}
    fields["at"] = instant(fields["at"])
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain does not hold: the row named and what is wrong with it."""

    id: int | None  # the audit row's id (None when the break is that rows are missing at the end)
    seq: int
    problem: str  # stable code: SEQUENCE_GAP, PREVIOUS_HASH_MISMATCH, ROW_HASH_MISMATCH, ANCHOR_MISMATCH, ...
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "seq": self.seq, "problem": self.problem, "detail": self.detail}


@dataclass
class ChainCheck:
    """Feed the rows in `seq` order; the first break is kept, later rows are only counted.

    `anchors` maps a `seq` to the `row_hash` recorded for it earlier: a row that no longer has
    that hash, or a chain that now ends before it, is a break (a rewritten or truncated log)."""

    anchors: Mapping[int, str] = field(default_factory=dict)
    rows: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    head_id: int | None = None
    first_break: ChainBreak | None = None

    def feed(self, row: Mapping[str, Any]) -> ChainBreak | None:
        self.rows += 1
        if self.first_break is None:
            self.first_break = self._check(row)
        self.head_seq, self.head_hash, self.head_id = int(row["seq"]), str(row["row_hash"]), int(row["id"])
        return self.first_break

    def _check(self, row: Mapping[str, Any]) -> ChainBreak | None:
        row_id, seq = int(row["id"]), int(row["seq"])
        expected = self.head_seq + 1
        if seq != expected:
            missing = (
                f"{seq - expected} row(s) missing"
                if seq > expected
                else "a position used twice or out of order"
            )
            return ChainBreak(
                row_id,
                seq,
                "SEQUENCE_GAP",
                f"row id {row_id} has seq {seq} where seq {expected} was due ({missing}): rows were "
                "removed or re-numbered",
            )
        if row["prev_hash"] != self.head_hash:
            before = (
                f"row id {self.head_id} (seq {self.head_seq})" if self.head_id is not None else "the start"
            )
            return ChainBreak(
                row_id,
                seq,
                "PREVIOUS_HASH_MISMATCH",
                f"row id {row_id} (seq {seq}) names prev_hash {str(row['prev_hash'])[:16]}… but {before} "
                f"hashes to {self.head_hash[:16]}…: that row's row_hash or this row's prev_hash was rewritten",
            )
        recomputed = row_hash(row)
        if recomputed != row["row_hash"]:
            return ChainBreak(
                row_id,
                seq,
                "ROW_HASH_MISMATCH",
                f"row id {row_id} (seq {seq}) no longer hashes to its row_hash (stored "
                f"{str(row['row_hash'])[:16]}…, recomputed {recomputed[:16]}…): a field was edited after it was written",
            )
        anchored = self.anchors.get(seq)
        if anchored is not None and anchored != row["row_hash"]:
            return ChainBreak(
                row_id,
                seq,
                "ANCHOR_MISMATCH",
                f"row id {row_id} (seq {seq}) hashes to {str(row['row_hash'])[:16]}… but {anchored[:16]}… was "
                "recorded for this position: the log was rewritten from here or before",
            )
        return None

    def finish(self) -> ChainBreak | None:
        """After the last row: anchors beyond the end mean rows were removed from the end."""
        if self.first_break is None and self.anchors:
            beyond = max(self.anchors)
            if beyond > self.head_seq:
                self.first_break = ChainBreak(
                    None,
                    beyond,
                    "ROWS_MISSING_AT_END",
                    f"the chain ends at seq {self.head_seq} but seq {beyond} was recorded earlier: "
                    "rows were removed from the end of the log",
                )
        return self.first_break


def parse_anchor(text: str) -> tuple[int, str]:
    """`SEQ:ROW_HASH` (as a verification prints its head) → (seq, row_hash)."""
    seq, sep, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if (
        not sep
        or not seq.strip().isdigit()
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise ValueError(f"an anchor is SEQ:SHA256-HEX, e.g. 42:{GENESIS[:8]}…, not {text!r}")
    return int(seq), digest
