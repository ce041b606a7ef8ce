"""Exports for the office and the committee as CSV (UTF-8 with BOM, for Excel) or XLSX (exports/).

Who may export what (the JSON each one mirrors has the same readers or fewer):
- scores (评分明细, experts by seat number only): the office, the year's committee members, the
  auditor (纪检);
- panels (评审组组成, with the experts' names): the office only;
- lists (表决与名单: tallies, scores, the preliminary and the proposed list): the office, the
  year's committee members, the government, the auditor;
- the audit log: the office and the auditor.

Every export is itself audited (DATA_EXPORTED: what, which year, which format, how many rows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from db import exports as queries
from db import models as m
from db import repositories as repo
from domain.calendar import CST
from domain.errors import DomainError, invalid
from domain.rubric import load_rubric
from domain.types import Role
from exports import sheets
from exports.tables import FORMATS, XLSX_MAX_ROWS, Table, render

from ..deps import CurrentUser, OfficeOrAuditor, Session, User, gate
from ..errors import not_found
from .committee import _may_read_committee_records

router = APIRouter(tags=["exports"])
F = TypeVar("F", bound=Callable[..., Any])

_FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in FORMATS.values()}, "description": "The export as a file"}
}
KIND_ZH = {"scores": "评分明细", "panels": "评审组组成", "lists": "表决与名单", "audit-log": "审计日志"}


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise invalid(
            "EXPORT_FORMAT",
            f"导出格式应为 {'、'.join(FORMATS)} 之一，收到“{fmt[:20]}”",
            f"The export format is one of {', '.join(FORMATS)}; got {fmt[:20]!r}",
            formats=list(FORMATS),
        )
    return fmt


def _export_route(path: str, summary: str, *roles: Role) -> Callable[[F], F]:
    """GET `path` answering a file in one of FORMATS (so the OpenAPI schema says so); `roles`: its gate."""
    gates = [gate(*roles)] if roles else []
    return router.get(
        path, summary=summary, response_class=Response, responses=_FILE_RESPONSE, dependencies=gates
    )


async def _of_year(s: Session, user: CurrentUser, year: int, fmt: str, *, records: bool) -> m.Cycle:
    """The checks of a year's export, in their order: the format, the caller's right to the
    committee's records of the year (`records`), the cycle."""
    _format(fmt)
    if records:
        await _may_read_committee_records(s, year, user)
    return await _cycle(s, year)


async def _cycle(s: Session, year: int) -> m.Cycle:
    cycle = await repo.cycle(s, year)
    if cycle is None:
        raise not_found(f"{year}年度评审", f"Cycle {year}")
    return cycle


async def _file(
    s: Session, user: CurrentUser, table: Table, kind: str, fmt: str, stem: str, year: int | None
) -> Response:
    if fmt == "xlsx" and len(table.rows) + 1 > XLSX_MAX_ROWS:
        raise DomainError(
            "EXPORT_TOO_LARGE",
            f"共{len(table.rows)}行，超出一个Excel工作表的行数上限，请导出CSV或缩小范围",
            f"{len(table.rows)} rows exceed one Excel sheet; export CSV or narrow the range",
            status=422,
        )
    content = await run_in_threadpool(render, table, fmt)
    await repo.audit_by(
        s,
        user,
        "DATA_EXPORTED",
        "export",
        f"{kind}-{year}" if year else kind,
        at=datetime.now(UTC),
        details={"kind": kind, "year": year, "format": fmt, "rows": len(table.rows)},
    )
    zh = f"{year}年度{KIND_ZH[kind]}.{fmt}" if year else f"{KIND_ZH[kind]}.{fmt}"
    disposition = f"attachment; filename=\"{stem}.{fmt}\"; filename*=UTF-8''{quote(zh)}"
    return Response(content, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition})


@_export_route(
    "/cycles/{year}/exports/scores.{fmt}",
    "Scores per application, stage, scorer and item (CSV or XLSX)",
    Role.OFFICE,
    Role.COMMITTEE,
    Role.AUDITOR,
)
async def export_scores(year: int, fmt: str, s: Session, user: User) -> Response:
    cycle = await _of_year(s, user, year, fmt, records=True)
    apps = await queries.candidates(s, year)
    seats = await queries.seats(s, year)
    table = sheets.scores_table(
        load_rubric(cycle.criteria_edition), apps, await queries.score_sheets(s, year, seats)
    )
    return await _file(s, user, table, "scores", fmt, f"scores-{year}", year)


@_export_route(
    "/cycles/{year}/exports/panels.{fmt}",
    "The panels' composition, with the experts' names (CSV or XLSX; the office only)",
    Role.OFFICE,
)
async def export_panels(year: int, fmt: str, s: Session, user: User) -> Response:
    await _of_year(s, user, year, fmt, records=False)
    table = sheets.panels_table(await queries.candidates(s, year), await queries.seats(s, year))
    return await _file(s, user, table, "panels", fmt, f"panels-{year}", year)


@_export_route(
    "/cycles/{year}/exports/lists.{fmt}",
    "The ballots' tallies with scores, the preliminary and the proposed list (CSV or XLSX)",
    Role.OFFICE,
    Role.COMMITTEE,
    Role.GOVERNMENT,
    Role.AUDITOR,
)
async def export_lists(year: int, fmt: str, s: Session, user: User) -> Response:
    await _of_year(s, user, year, fmt, records=True)
    table = sheets.lists_table(await queries.candidates(s, year), await queries.lists(s, year))
    return await _file(s, user, table, "lists", fmt, f"lists-{year}", year)


def _cst_midnight(d: date | None) -> datetime | None:
    return datetime.combine(d, time(), tzinfo=CST) if d else None


@_export_route(
    "/exports/audit-log.{fmt}",
    "The audit log in chain order (CSV or XLSX), optionally of some days (Beijing time)",
)
async def export_audit_log(
    fmt: str,
    s: Session,
    reader: OfficeOrAuditor,
    since: Annotated[date | None, Query(description="first day (Beijing time), inclusive")] = None,
    until: Annotated[date | None, Query(description="last day (Beijing time), inclusive")] = None,
) -> Response:
    """For the chain's off-line verification use GET /audit/export (JSON Lines or CSV)."""
    fmt = _format(fmt)
    if since and until and until < since:
        raise invalid("EXPORT_RANGE", "截止日期不能早于起始日期", "`until` is before `since`")
    end = _cst_midnight(until + timedelta(days=1)) if until and until < date.max else None
    entries = await queries.audit_entries(s, since=_cst_midnight(since), until=end)
    return await _file(s, reader, sheets.audit_table(entries), "audit-log", fmt, "audit-log", None)
