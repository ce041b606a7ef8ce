"""The winner's certificate (证书, Art. 15; R15.1) on A4 landscape: a double border, the large title
证书, the award's name, the wording of `domain.certificates.certificate_text` (the winner, the
award and year, 特发此证), the issuing government and the date at the right, the certificate
number and the government's approval document number at the foot. A revoked certificate carries
a red note of the revocation across it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from documents_pdf.typeset import (
    FONT,
    GOLD,
    GREY,
    PT,
    RED,
    Document,
    break_lines,
    centred,
    new_document,
    output,
    right_aligned,
)

W, H = 297.0, 210.0
NUMBER_PREFIX = "证书编号："


@dataclass(frozen=True)
class CertificateSheet:
    """What the certificate shows. `text` is the stored wording (certificate_text): its first line
    the number, then the winner followed by `：`, the citation, 特发此证, the issuer, the date."""

    text: str
    award_title: str  # 鹿城区政府质量奖
    approval_document_no: str = ""  # the district government's approval (区政府批准文号)
    revoked_note: str = ""  # e.g. 本证书已于2029年5月1日撤销（鹿政发〔2029〕3号），自撤销之日起作废。
    issued_at: datetime | None = None


@dataclass(frozen=True)
class _Wording:
    number: str
    winner: str
    citation: list[str]
    issuer: str
    date: str


def _wording(text: str) -> _Wording:
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    number = ""
    if lines and lines[0].startswith(NUMBER_PREFIX):
        number = lines.pop(0).removeprefix(NUMBER_PREFIX)
    if len(lines) < 4:
        raise ValueError("a certificate's text has the winner, the citation, the issuer and the date")
    date, issuer = lines.pop(), lines.pop()
    winner = lines.pop(0)
    return _Wording(number, winner, lines, issuer, date)


def render_certificate(sheet: CertificateSheet) -> bytes:
    words = _wording(sheet.text)
    pdf = new_document(title=f"证书 {words.number}", issued_at=sheet.issued_at, orientation="L")
    pdf.add_page()

    # the border: a gold frame, a red rule inside it, small squares at the inner corners
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(2.4)
    pdf.rect(9, 9, W - 18, H - 18)
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.7)
    pdf.rect(14, 14, W - 28, H - 28)
    pdf.set_fill_color(*RED)
    for x, y in ((14, 14), (W - 14, 14), (14, H - 14), (W - 14, H - 14)):
        pdf.rect(x - 2.2, y - 2.2, 4.4, 4.4, style="F")

    # the number at the top right
    pdf.set_font(FONT, size=12)
    right_aligned(pdf, 21, f"{NUMBER_PREFIX}{words.number}", right=W - 24)

    # 证书, large and red; the award's name under it
    pdf.set_text_color(*RED)
    pdf.set_font(FONT, size=54)
    with pdf.local_context(text_mode="FILL_STROKE", line_width=0.6, draw_color=RED):
        centred(pdf, 30, "证　书", left=0, width=W)
    pdf.set_font(FONT, size=24)
    pdf.set_text_color(*GOLD)
    with pdf.local_context(text_mode="FILL_STROKE", line_width=0.25, draw_color=GOLD):
        centred(pdf, 56, sheet.award_title, left=0, width=W)
    pdf.set_text_color(0, 0, 0)

    # the wording: the winner flush left, the citation indented two characters
    left, right = 48.0, W - 48.0
    size = 22
    line = size * PT * 1.8
    pdf.set_font(FONT, size=size)
    y = 82.0
    for winner_line in break_lines(pdf, words.winner, right - left):
        pdf.text(left, y + pdf.font_size * 0.88, winner_line)
        y += line
    indent = 2 * size * PT
    for sentence in words.citation:
        for i, text_line in enumerate(break_lines(pdf, sentence, right - left, first_indent=indent)):
            pdf.text(left + (indent if i == 0 else 0), y + pdf.font_size * 0.88, text_line)
            y += line

    # the issuer and the date at the right
    pdf.set_font(FONT, size=20)
    sign_right = W - 52
    date_w = pdf.get_string_width(words.date)
    issuer_w = pdf.get_string_width(words.issuer)
    centre = sign_right - date_w / 2
    sign_y = max(y + 8, 148.0)
    pdf.text(min(centre - issuer_w / 2, sign_right - issuer_w), sign_y + pdf.font_size * 0.88, words.issuer)
    right_aligned(pdf, sign_y + 20 * PT * 1.7, words.date, right=sign_right)

    # the foot: the approval document and where the certificate can be checked
    pdf.set_font(FONT, size=11)
    pdf.set_text_color(*GREY)
    foot = [f"批准文号：{sheet.approval_document_no}"] if sheet.approval_document_no else []
    foot.append("本证书可在鹿城区政府质量奖评审系统按证书编号公开查询核验")
    top = fy = H - 22 - 11 * PT * 1.6 * len(foot)
    for text_line in foot:
        pdf.text(24, fy + pdf.font_size * 0.88, text_line)
        fy += 11 * PT * 1.6

    if sheet.revoked_note:
        _revoked(pdf, sheet.revoked_note, top - 9)
    return output(pdf)


def _revoked(pdf: Document, note: str, y: float) -> None:
    pdf.set_text_color(*RED)
    with pdf.rotation(18, x=W / 2, y=H / 2):
        pdf.set_font(FONT, size=96)
        with pdf.local_context(fill_opacity=0.25):
            centred(pdf, H / 2 - 20, "已撤销", left=0, width=W)
    pdf.set_font(FONT, size=13)
    pdf.text(24, y + pdf.font_size * 0.88, note)
    pdf.set_text_color(0, 0, 0)
