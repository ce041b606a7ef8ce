"""Shared typesetting: the embedded font, a new A4 document, and Chinese line breaking.

Chinese text breaks between any two characters, except that a line does not begin with closing
punctuation (，。、；：？！）》」』〕】” …) nor end with opening punctuation (（《「『〔【“), and a run
of Latin letters and digits (a number, an application id, a document number's year) is not split
unless it is longer than a line (GB/T 15834 标点符号用法, the usual 避头尾 rule). Full lines are
justified by spreading the spare width between the characters, as Chinese documents are set.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path

from fpdf import FPDF

FONT = "NotoSerifSC"
FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSerifSC-Regular.otf"

BLACK = (0, 0, 0)
RED = (200, 16, 30)  # the red of a masthead and its rule (版头红色)
GOLD = (176, 130, 40)
GREY = (110, 110, 110)

PT = 25.4 / 72  # millimetres per point

# no line begins with these (避头) ...
_NO_START = set("，。、；：？！）》」』〕】〗’”…—%‰·,.;:?!)]}%")
# ... and none ends with these (避尾)
_NO_END = set("（《「『〔【〖‘“([{")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_/:%]*|.", re.DOTALL)


@cache
def font_path() -> Path:
    """The font file inside its package (installed from the registry with the project)."""
    path = Path(str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)))
    if not path.is_file():  # pragma: no cover - a broken installation
        raise RuntimeError(f"{FONT_FILE} is missing from the {FONT_PACKAGE} package")
    return path


class Document(FPDF):
    """An A4 document; with `number_pages`, each page has its number at the foot (— 1 —, GB/T 9704
    7.5), and `reference` (e.g. the notice's number in the system) in small grey type below it."""

    number_pages = False
    reference = ""

    def footer(self) -> None:
        if not (self.number_pages or self.reference):
            return
        with self.local_context():
            self.set_font(FONT, size=14)
            self.set_text_color(*BLACK)
            if self.number_pages:
                centred(self, self.h - 28, f"— {self.page_no()} —", left=0, width=self.w)
            if self.reference:
                self.set_font(FONT, size=8)
                self.set_text_color(*GREY)
                centred(self, self.h - 14, self.reference, left=0, width=self.w)


def new_document(*, title: str, issued_at: datetime | None, orientation: str = "P") -> Document:
    """An empty A4 document with the font loaded. The creation date is the document's own date
    (when given), so the same record renders to the same bytes."""
    pdf = Document(orientation=orientation, unit="mm", format="A4")
    pdf.set_auto_page_break(False)  # the layouts break pages themselves
    pdf.add_font(FONT, "", str(font_path()))
    pdf.set_font(FONT, size=16)
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.set_creator("鹿城区政府质量奖评审系统")
    pdf.set_producer("鹿城区政府质量奖评审系统")
    pdf.set_creation_date(issued_at or datetime(2000, 1, 1, tzinfo=UTC))
    return pdf


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text)


def break_lines(pdf: FPDF, text: str, width: float, first_indent: float = 0.0) -> list[str]:
    """`text` (one paragraph, no line breaks) as lines no wider than `width` at the current font;
    the first line is `first_indent` narrower."""
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    avail = width - first_indent
    for token in _tokens(text):
        if token.isspace() and not line and lines:  # no line but the first begins with a space
            continue
        w = pdf.get_string_width(token)
        if w > avail and not line:  # a token longer than a line: split it by characters
            for ch in token:
                cw = pdf.get_string_width(ch)
                if used + cw > avail and line:
                    lines.append("".join(line))
                    line, used, avail = [], 0.0, width
                line.append(ch)
                used += cw
            continue
        if used + w > avail and line:
            carry: list[str] = []
            if token[0] in _NO_START:  # take the last character down with it
                carry = [line.pop()]
            while line and line[-1] and line[-1][-1] in _NO_END:
                carry.insert(0, line.pop())
            if not line:  # nothing left to break before: let the punctuation hang instead
                line, carry = carry, []
                line.append(token)
                used += w
                continue
            lines.append("".join(line))
            line = carry
            used = sum(pdf.get_string_width(t) for t in line)
            avail = width
        line.append(token)
        used += w
    if line or not lines:
        lines.append("".join(line))
    return lines


def balanced_lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """A title's lines of about equal length (not one full line and a stub): as few lines as at
    `width`, at the narrowest width that still needs no more."""
    lines = break_lines(pdf, text, width)
    if len(lines) < 2:
        return lines
    low, high = width / len(lines), width
    while high - low > 1.0:
        mid = (low + high) / 2
        if len(break_lines(pdf, text, mid)) <= len(lines):
            high = mid
        else:
            low = mid
    return break_lines(pdf, text, high)


def justified(pdf: FPDF, x: float, y: float, line: str, width: float, *, last: bool) -> None:
    """Write `line` at (x, y) (top of the line box); a full line is spread to `width`."""
    natural = pdf.get_string_width(line)
    gaps = len(line) - 1
    spacing = 0.0
    if not last and gaps > 0 and natural < width:
        spacing = (width - natural) / gaps
        if spacing > pdf.font_size:  # a nearly empty line is not spread
            spacing = 0.0
    pdf.set_char_spacing(spacing / PT)  # the Tc operator takes points
    pdf.text(x, y + pdf.font_size * 0.88, line)
    pdf.set_char_spacing(0)


def centred(pdf: FPDF, y: float, text: str, *, left: float, width: float) -> None:
    w = pdf.get_string_width(text)
    pdf.text(left + (width - w) / 2, y + pdf.font_size * 0.88, text)


def right_aligned(pdf: FPDF, y: float, text: str, *, right: float) -> None:
    pdf.text(right - pdf.get_string_width(text), y + pdf.font_size * 0.88, text)


def output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
