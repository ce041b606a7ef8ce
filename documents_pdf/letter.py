"""Letters, notices and reports laid out as a Chinese government document (GB/T 9704-2012 党政机关
公文格式, its 信函格式 for letters): the issuing office's name in red over a red double rule, the
document number (文号) under it where there is one, the title centred, the addressee (主送) flush
left, the body in paragraphs indented two characters, the issuing office and the date at the
right, the page numbers at the foot. One renderer for every kind: a result letter, a feedback
letter, a public notice, the work report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from documents_pdf.typeset import (
    BLACK,
    FONT,
    PT,
    RED,
    Document,
    balanced_lines,
    break_lines,
    centred,
    justified,
    new_document,
    output,
    right_aligned,
)

# A4 portrait, the type area of GB/T 9704 (156 mm × 225 mm): top 37 mm, left 28 mm, right 26 mm
LEFT, RIGHT, TOP, BOTTOM = 28.0, 210.0 - 26.0, 37.0, 297.0 - 35.0
WIDTH = RIGHT - LEFT
TITLE_PT, BODY_PT, MASTHEAD_PT = 22, 16, 26  # 二号 title, 三号 body
LINE = BODY_PT * PT * 1.75  # 22 lines to the page, as GB/T 9704 sets them

_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


@dataclass(frozen=True)
class Letter:
    """What a letter-like document shows. `paragraphs` are the body's lines as composed; an empty
    one is a blank line between sections."""

    title: str
    paragraphs: Sequence[str]
    addressee: str = ""
    issuer: str = ""
    date: str = ""
    document_no: str = ""  # 文号, under the masthead
    masthead: str = ""  # 发文机关标志: the issuing office's name in red ("" = none)
    reference: str = ""  # small print at the foot of each page (the record's number in the system)
    issued_at: datetime | None = None


def letter_from_text(
    text: str,
    *,
    title: str | None = None,
    document_no: str = "",
    masthead: bool = True,
    reference: str = "",
    issued_at: datetime | None = None,
) -> Letter:
    """A stored text (a notice's body, the work report) as a Letter: a first line equal to the
    title is the title; a first line ending in `：` is the addressee; the last two lines, a name
    and a date (2027年3月31日), are the issuing office and the date. Nothing is reworded."""
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if title is None:
        while lines and not lines[0].strip():
            lines.pop(0)
        title = lines.pop(0).strip() if lines else ""
    elif lines and lines[0].strip() == title.strip():
        lines.pop(0)
    while lines and not lines[0].strip():
        lines.pop(0)
    issuer = date = ""
    if len(lines) >= 2 and _DATE.match(lines[-1].strip()) and _signature(lines[-2]):
        date, issuer = lines.pop().strip(), lines.pop().strip()
    elif lines and _DATE.match(lines[-1].strip()):
        date = lines.pop().strip()
    addressee = ""
    if len(lines) > 1 and _addressee(lines[0]):
        addressee = lines.pop(0).strip()
    paragraphs: list[str] = []
    for line in lines:
        line = line.strip()
        if line or (paragraphs and paragraphs[-1]):
            paragraphs.append(line)
    while paragraphs and not paragraphs[-1]:
        paragraphs.pop()
    return Letter(
        title=title,
        paragraphs=paragraphs,
        addressee=addressee,
        issuer=issuer,
        date=date,
        document_no=document_no,
        masthead=issuer if masthead else "",
        reference=reference,
        issued_at=issued_at,
    )


def _addressee(line: str) -> bool:
    """主送: a name followed by `：` (各有关单位：, 区评委会：, an enterprise's name), not a sentence."""
    s = line.strip()
    return s.endswith("：") and len(s) <= 60 and not any(c in s[:-1] for c in "。，；：！？")


def _signature(line: str) -> bool:
    """An issuing office's name: short, one phrase, no sentence punctuation."""
    s = line.strip()
    return 0 < len(s) <= 40 and not any(c in s for c in "。，；：！？")


class _Page:
    """Where the next line goes; a new page when the type area is full."""

    def __init__(self, pdf: Document) -> None:
        self.pdf = pdf
        self.y = TOP

    def room(self, height: float) -> None:
        if self.y + height > BOTTOM + 0.01:
            self.pdf.add_page()
            self.y = TOP

    def skip(self, height: float) -> None:
        self.y += height


def render_letter(letter: Letter) -> bytes:
    pdf = new_document(title=letter.title, issued_at=letter.issued_at)
    pdf.number_pages = True
    pdf.reference = letter.reference
    pdf.add_page()
    page = _Page(pdf)
    if letter.masthead:
        _masthead(pdf, page, letter.masthead, letter.document_no)
    elif letter.document_no:
        pdf.set_font(FONT, size=BODY_PT)
        centred(pdf, page.y, letter.document_no, left=LEFT, width=WIDTH)
        page.skip(LINE * 1.5)

    # the title: 二号, centred, lines broken where Chinese allows, drawn a little heavier
    pdf.set_font(FONT, size=TITLE_PT)
    title_line = TITLE_PT * PT * 1.5
    with pdf.local_context(text_mode="FILL_STROKE", line_width=0.25):
        for line in balanced_lines(pdf, letter.title, WIDTH - 2 * TITLE_PT * PT):
            page.room(title_line)
            centred(pdf, page.y, line, left=LEFT, width=WIDTH)
            page.skip(title_line)
    page.skip(LINE * 0.6)

    pdf.set_font(FONT, size=BODY_PT)
    if letter.addressee:
        for line in break_lines(pdf, letter.addressee, WIDTH):
            page.room(LINE)
            justified(pdf, LEFT, page.y, line, WIDTH, last=True)
            page.skip(LINE)
    indent = 2 * BODY_PT * PT  # 空两字
    for paragraph in letter.paragraphs:
        if not paragraph:
            page.skip(LINE * 0.5)
            continue
        lines = break_lines(pdf, paragraph, WIDTH, first_indent=indent)
        for i, line in enumerate(lines):
            page.room(LINE)
            x = LEFT + (indent if i == 0 else 0)
            justified(pdf, x, page.y, line, RIGHT - x, last=i == len(lines) - 1)
            page.skip(LINE)

    if letter.issuer or letter.date:
        # 发文机关署名 centred over the date, the date four characters in from the right margin
        page.skip(LINE)
        page.room(LINE * 2)
        date_right = RIGHT - 4 * BODY_PT * PT
        date_w = pdf.get_string_width(letter.date)
        centre = (
            date_right - date_w / 2 if letter.date else date_right - pdf.get_string_width(letter.issuer) / 2
        )
        if letter.issuer:
            issuer_w = pdf.get_string_width(letter.issuer)
            x = min(centre - issuer_w / 2, RIGHT - issuer_w)
            pdf.text(x, page.y + pdf.font_size * 0.88, letter.issuer)
            page.skip(LINE)
        if letter.date:
            right_aligned(pdf, page.y, letter.date, right=date_right)
            page.skip(LINE)
    return output(pdf)


def _masthead(pdf: Document, page: _Page, name: str, document_no: str) -> None:
    """信函格式: the office's full name in red, a red double rule (thick over thin) 170 mm wide,
    the 文号 under the rule at the right."""
    size = MASTHEAD_PT
    pdf.set_font(FONT, size=size)
    while size > 14 and pdf.get_string_width(name) > 170:
        size -= 1
        pdf.set_font(FONT, size=size)
    pdf.set_text_color(*RED)
    with pdf.local_context(text_mode="FILL_STROKE", line_width=0.3, draw_color=RED):
        centred(pdf, 24, name, left=0, width=pdf.w)
    rule_y = 24 + size * PT * 1.45
    left, right = (pdf.w - 170) / 2, (pdf.w + 170) / 2
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.9)
    pdf.line(left, rule_y, right, rule_y)
    pdf.set_line_width(0.3)
    pdf.line(left, rule_y + 1.4, right, rule_y + 1.4)
    pdf.set_text_color(*BLACK)
    pdf.set_draw_color(*BLACK)
    page.y = rule_y + 4
    if document_no:
        pdf.set_font(FONT, size=BODY_PT)
        right_aligned(pdf, page.y, document_no, right=RIGHT)
        page.y += LINE
    page.y = max(page.y + LINE * 0.8, TOP + 8)
