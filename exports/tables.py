"""A table of an export and its two file formats: CSV for any tool, XLSX for Excel.

CSV: UTF-8 with a byte order mark (so Excel reads the Chinese right), a header row, RFC 4180
quoting (a field with a comma, a quote or a line break is quoted, quotes doubled), CRLF line ends.
XLSX (openpyxl): one sheet, the header row bold and frozen, numbers as numbers, times as times
(Beijing time), columns wide enough to read.

Formula injection (CSV injection, OWASP): a text cell that begins with `=`, `+`, `-`, `@`, a tab
or a carriage return is a formula to a spreadsheet, and the exports hold what strangers and
applicants typed (names, opinions, objections' facts). Such a cell gets a leading apostrophe in
both formats, so it is shown as the text it is and never evaluated. Numbers are not text cells
and keep their sign.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from domain.calendar import CST

Cell = str | int | Decimal | datetime | date | bool | None

BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV_MEDIA_TYPE, "xlsx": XLSX_MEDIA_TYPE}
XLSX_MAX_ROWS = 1_048_576  # Excel's limit, the header row included
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name, e.g. 评分明细
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def neutralise(text: str) -> str:
    """A text cell that a spreadsheet would take for a formula, made plain text."""
    return "'" + text if text.startswith(_FORMULA) else text


def _text(value: Cell) -> str:
    """A cell as CSV text: times in Beijing time, booleans 是/否."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def to_csv(table: Table) -> bytes:
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_text(v) for v in row])
    return buf.getvalue().encode("utf-8")


def _xlsx_value(value: Cell) -> str | int | float | datetime | date | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.astimezone(CST).replace(tzinfo=None)  # Excel has no time zones: Beijing time
    if isinstance(value, str):
        return neutralise(value)
    return value


def to_xlsx(table: Table) -> bytes:
    if len(table.rows) + 1 > XLSX_MAX_ROWS:
        raise ValueError(f"{len(table.rows)} rows do not fit in one sheet")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=table.title[:31])
    ws.freeze_panes = "A2"
    widths = [min(max(_width(h), 6), 60) for h in table.headers]
    for row in table.rows[:200]:  # wide enough for what the first rows hold
        for i, v in enumerate(row):
            widths[i] = min(max(widths[i], _width(_text(v))), 60)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w + 2
    bold = Font(bold=True)
    header = []
    for h in table.headers:
        cell = WriteOnlyCell(ws, value=neutralise(h))
        cell.font = bold
        cell.alignment = Alignment(vertical="center")
        header.append(cell)
    ws.append(header)
    for row in table.rows:
        cells = []
        for v in row:
            value = _xlsx_value(v)
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            cells.append(cell)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _width(text: str) -> int:
    """Display width: a Chinese character is two columns wide."""
    first = text.split("\n", 1)[0]
    return sum(2 if ord(c) > 0x2E80 else 1 for c in first)


def render(table: Table, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table)
    raise ValueError(f"format is one of {', '.join(FORMATS)}, not {fmt!r}")
