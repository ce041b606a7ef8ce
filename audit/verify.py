"""Verify the audit chain: from the database, or from rows parsed back from an export."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.audit_log import chain_rows
from domain.audit_chain import ChainBreak, ChainCheck


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    head_id: int | None
    first_break: ChainBreak | None

    @classmethod
    def of(cls, check: ChainCheck) -> Verification:
        broken = check.finish()
        return cls(broken is None, check.rows, check.head_seq, check.head_hash, check.head_id, broken)

    @property
    def anchor(self) -> str:
        """`SEQ:ROW_HASH` of the last row: keep it, and pass it to a later verification."""
        return f"{self.head_seq}:{self.head_hash}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "head": {"seq": self.head_seq, "row_hash": self.head_hash, "id": self.head_id},
            "anchor": self.anchor,
            "first_break": self.first_break.to_dict() if self.first_break else None,
        }

    def summary(self) -> str:
        if self.first_break is None:
            return f"audit chain OK: {self.rows} rows, head {self.anchor}"
        b = self.first_break
        where = f"row id {b.id} (seq {b.seq})" if b.id is not None else f"seq {b.seq}"
        return f"audit chain BROKEN at {where}: {b.problem}: {b.detail}"


async def verify_database(s: AsyncSession, anchors: Mapping[int, str] | None = None) -> Verification:
    """The whole chain as committed when the check starts (one snapshot)."""
    return await verify_rows(chain_rows(s), anchors)


async def verify_rows(
    rows: AsyncIterable[Mapping[str, Any]], anchors: Mapping[int, str] | None = None
) -> Verification:
    check = ChainCheck(anchors=dict(anchors or {}))
    async for row in rows:
        check.feed(row)
    return Verification.of(check)


def verify_parsed(
    rows: Iterable[Mapping[str, Any]], anchors: Mapping[int, str] | None = None
) -> Verification:
    """Rows parsed back from an export (audit.export.parse_jsonl / parse_csv), in their order."""
    check = ChainCheck(anchors=dict(anchors or {}))
    for row in rows:
        check.feed(row)
    return Verification.of(check)
